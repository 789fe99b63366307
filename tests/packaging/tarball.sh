#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# tests/packaging/tarball.sh --release DIR --netrace BIN --version V --work DIR
#
# The release tarball for hosts without rpm, as an admin uses it:
#   - SHA256SUMS holds every artifact and matches (sha256sum -c), and its
#     signature verifies with the release's RPM-GPG-KEY-netrace;
#   - for x86_64 and aarch64: its binary is the one in the binary RPM,
#     byte for byte, and so are its man pages and examples;
#   - unpacked, "install.sh --prefix /usr/local --destdir ROOT" (by dash:
#     POSIX sh) installs the layout of tests/packaging/expected-files.txt
#     under /usr/local, with the links it makes; the applets run in ROOT
#     (chroot: nothing else is there; qemu-user for the other
#     architecture) by their names and print what the build's netrace does;
#   - "install.sh --prefix DIR" straight into a directory works too, and a
#     relative prefix or an unknown option is refused (exit 2).
# Needs root (chroot), rpm2cpio, cpio, gpg and qemu-user-static; in CI a missing one is a
# failure, elsewhere a skip.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/packaging/lib.sh
. "$here/lib.sh"

release= netrace= version= work=
u="--release DIR --netrace BIN --version V --work DIR"
release_test_args "$u" "$@"
[ -d "$release" ] && [ -x "$netrace" ] && [ -n "$version" ] && [ -n "$work" ] ||
	release_test_args "$u" --missing
need_tools "rpm cpio gnupg dash" rpm2cpio cpio gpg sha256sum dash chroot
need_qemu_for x86_64 aarch64
need_root "chroot"

rm -rf "$work"
mkdir -p "$work"

# --- sums and their signature ------------------------------------------------
check "SHA256SUMS lists the tarball, the source RPM and every RPM of repo/" \
	bash -c 'cd "$1" && [ "$(awk "{ print \$2 }" SHA256SUMS | sort)" = \
		"$( (ls netrace-*.tar.gz netrace-*.src.rpm; ls repo/*.rpm) | sort)" ]' bash "$release"
check "sha256sum -c SHA256SUMS" bash -c 'cd "$1" && sha256sum --quiet -c SHA256SUMS' bash "$release"
export GNUPGHOME=$work/gnupg
mkdir -m 700 "$GNUPGHOME"
trap 'gpgconf --kill gpg-agent 2>/dev/null || :' EXIT
gpg --batch --quiet --import "$release/repo/RPM-GPG-KEY-netrace" 2>/dev/null
check "SHA256SUMS.asc: a good signature by the release's key" \
	bash -c 'gpg --batch --status-fd 1 --verify "$1.asc" "$1" 2>/dev/null | grep -q "^\[GNUPG:\] GOODSIG"' \
	bash "$release/SHA256SUMS"
cp "$release/SHA256SUMS" "$work/SHA256SUMS"
printf '%064d  repo/evil.rpm\n' 0 >>"$work/SHA256SUMS"
cp "$release/SHA256SUMS.asc" "$work/"
check "SHA256SUMS.asc: a changed SHA256SUMS fails to verify" \
	bash -c '! gpg --batch --verify "$1.asc" "$1" 2>/dev/null' bash "$work/SHA256SUMS"

mapfile -t applets < <("$netrace" --list)

# tarball_checks ARCH: the tarball of ARCH against its RPM, installed into
# a scratch root where its tools run (chroot, or qemu-user for another
# architecture).
tarball_checks() {
	local arch=$1 name=netrace-$version-linux-$1 t w=$work/$1 main same f a out
	local tarball=$release/$name.tar.gz
	if [ ! -f "$tarball" ]; then
		not_ok "the release has $name.tar.gz"
		return
	fi
	mkdir -p "$w"
	tar -C "$w" -xzf "$tarball"
	t=$w/$name
	main=$(find "$release/repo" -name "netrace-$version-*.$arch.rpm")
	mkdir -p "$w/rpm"
	(cd "$w/rpm" && rpm2cpio "$main" | cpio -idm --quiet)
	check "$arch: sbin/netrace is the RPM's /usr/sbin/netrace" \
		cmp "$t/sbin/netrace" "$w/rpm/usr/sbin/netrace"
	same=1
	for f in share/man/man8 share/netrace/doc; do
		diff -r "$t/$f" "$w/rpm/usr/$f" >/dev/null || same=0
	done
	check "$arch: man pages and examples are the RPM's" test $same = 1
	check "$arch: LICENSE and README.md are there" test -f "$t/LICENSE" -a -f "$t/README.md"
	check "$arch: share/netrace/applets lists the RPM's applet links" \
		test "$(cat "$t/share/netrace/applets")" = "$(ls "$w/rpm/usr/share/netrace/tools")"

	# Installed into a scratch root by dash (POSIX sh).
	local root=$w/root
	if dash "$t/install.sh" --prefix /usr/local --destdir "$root" >"$w/install.out" 2>&1; then
		ok "$arch: install.sh --prefix /usr/local --destdir ROOT (dash)"
	else
		sed 's/^/#   /' "$w/install.out"
		not_ok "$arch: install.sh --prefix /usr/local --destdir ROOT (dash)"
		return
	fi
	# The RPM's layout, under /usr/local; man pages compressed as there.
	expected_files "${applets[@]}" | sed -e 's,^/usr/,/usr/local/,' -e '/\/$/d' \
		>"$w/expected"
	(cd "$root" && find . \( -type f -o -type l \) -printf '%p\t%l\n') |
		awk -F'\t' '{ sub(/^\./, "", $1); print ($2 == "" ? $1 : $1 " -> " $2) }' |
		LC_ALL=C sort >"$w/files"
	same_list "$arch: installed files are the RPM's layout under /usr/local" \
		"$w/expected" "$w/files"
	check "$arch: sbin/netrace has mode 755" \
		test "$(stat -c %a "$root/usr/local/sbin/netrace")" = 755
	for a in "${applets[@]}"; do
		out=$(in_root "$arch" "$root" "/usr/local/share/netrace/tools/$a" --help 2>&1) || :
		check "$arch: installed /usr/local/share/netrace/tools/$a --help" \
			test "$out" = "$("$netrace" "$a" --help 2>&1)"
	done
	check "$arch: installed netrace --version is 'netrace $version'" \
		test "$(in_root "$arch" "$root" /usr/local/sbin/netrace --version 2>&1)" = "netrace $version"
	check "$arch: install.sh again (an update) succeeds" bash -c \
		'dash "$1/install.sh" --prefix /usr/local --destdir "$2" >/dev/null' bash "$t" "$root"
}
for arch in x86_64 aarch64; do
	tarball_checks "$arch"
done
t=$work/$(uname -m)/netrace-$version-linux-$(uname -m)

# --- straight into a directory, and bad input -----------------------------------
if dash "$t/install.sh" --prefix "$work/opt" >/dev/null 2>"$work/opt.err" &&
   out=$("$work/opt/share/netrace/tools/tcpconnect" --help 2>&1) &&
   [[ $out == "usage: tcpconnect "* ]]; then
	ok "install.sh --prefix DIR, then DIR/share/netrace/tools/tcpconnect --help"
else
	sed 's/^/#   /' "$work/opt.err"
	not_ok "install.sh --prefix DIR, then DIR/share/netrace/tools/tcpconnect --help"
fi
# bad_usage NAMED ARGS...: exit 2, the first line of stderr names NAMED.
bad_usage() {
	local named=$1 rc=0
	shift
	dash "$t/install.sh" "$@" >/dev/null 2>"$work/bad.err" || rc=$?
	check "install.sh $*: exit 2 ($rc), stderr names $named" \
		bash -c '[ "$1" = 2 ] && head -1 "$2" | grep -qF -- "$3"' bash "$rc" "$work/bad.err" "$named"
}
bad_usage "'relative/dir'" --prefix relative/dir
bad_usage "'--frobnicate'" --frobnicate

finish
