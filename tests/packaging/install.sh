#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# tests/packaging/install.sh --build DIR --work DIR
#
# "DESTDIR=... cmake --install BUILD --prefix /usr" gives the layout of
# tests/packaging/expected-files.txt (the RPM's, with man pages not yet
# compressed), and the installed applet links run the installed binary.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/packaging/lib.sh
. "$here/lib.sh"

build=
work=
while [ $# -gt 0 ]; do
	case $1 in
	--build)	build=$2; shift 2 ;;
	--work)		work=$2; shift 2 ;;
	*)		echo "usage: $0 --build DIR --work DIR" >&2; exit 2 ;;
	esac
done
[ -n "$build" ] && [ -n "$work" ] || { echo "usage: $0 --build DIR --work DIR" >&2; exit 2; }

rm -rf "$work"
mkdir -p "$work"
root=$work/root

if DESTDIR=$root cmake --install "$build" --prefix /usr >"$work/install.log" 2>&1; then
	ok "cmake --install --prefix /usr with DESTDIR"
else
	sed 's/^/#   /' "$work/install.log"
	not_ok "cmake --install --prefix /usr with DESTDIR"
	finish
fi

# "PATH", "PATH/" (directory), "PATH -> TARGET" (symlink), as expected.
(cd "$root" && find . -mindepth 1 | sort | while IFS= read -r f; do
	p=${f#.}
	if [ -L "$f" ]; then
		echo "$p -> $(readlink "$f")"
	elif [ -d "$f" ]; then
		echo "$p/"
	else
		echo "$p"
	fi
done) | LC_ALL=C sort >"$work/installed"

# Expected, as CMake installs it: man pages uncompressed.
mapfile -t applets < <("$root/usr/sbin/netrace" --list)
expected_files "${applets[@]}" | sed 's/\.8\.gz$/.8/' | LC_ALL=C sort >"$work/expected"
# Every expected entry is there; nothing but parent directories is extra.
absent=$(LC_ALL=C comm -23 "$work/expected" "$work/installed")
extra=$(LC_ALL=C comm -13 "$work/expected" "$work/installed" | grep -v '/$' || :)
if [ -z "$absent" ] && [ -z "$extra" ]; then
	ok "installed files are tests/packaging/expected-files.txt"
else
	[ -z "$absent" ] || echo "$absent" | sed 's/^/#   missing: /'
	[ -z "$extra" ] || echo "$extra" | sed 's/^/#   not expected: /'
	not_ok "installed files are tests/packaging/expected-files.txt"
fi

# Man pages are installed as written (rpm and dh compress them).
for f in "$root"/usr/share/man/man8/*.8; do
	check "${f#"$root"} is roff, uncompressed" grep -q '^\.TH ' "$f"
done

# The links run the installed binary, by their names.
for link in "$root"/usr/share/netrace/tools/*; do
	a=${link##*/}
	if out=$("$link" --help 2>&1) && [[ $out == "usage: $a "* ]]; then
		ok "${link#"$root"} --help runs applet $a"
	else
		echo "$out" | head -3 | sed 's/^/#   /'
		not_ok "${link#"$root"} --help runs applet $a"
	fi
done
check "installed netrace --version" bash -c '"$1" --version >/dev/null' bash "$root/usr/sbin/netrace"

finish
