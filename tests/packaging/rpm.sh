#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# tests/packaging/rpm.sh --netrace BIN --version V --work DIR [--source DIR]
#
# The RPM, end to end, as packaging/build-rpm.sh makes it:
#   - rpmbuild builds source and binary RPMs from the dist tarball;
#   - rpmlint finds no errors (packaging/netrace.rpmlintrc says which
#     warnings are accepted, and why);
#   - the RPM's files are exactly tests/packaging/expected-files.txt;
#   - installed into a scratch root (rpm --root, --nodeps --noscripts), the
#     applet links run by their names, rpm -V is clean, and it installs
#     next to a stand-in bcc-tools package (BCC's paths) without conflicts;
#   - createrepo_c's repository answers dnf repoquery with the package,
#     its version and its provides.
# Needs rpm, rpmlint, createrepo-c and dnf (Debian packages); in CI a
# missing one is a failure, elsewhere a skip.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/packaging/lib.sh
. "$here/lib.sh"

netrace=
version=
work=
src=$(cd "$here/../.." && pwd)
while [ $# -gt 0 ]; do
	case $1 in
	--netrace)	netrace=$2; shift 2 ;;
	--version)	version=$2; shift 2 ;;
	--work)		work=$2; shift 2 ;;
	--source)	src=$2; shift 2 ;;
	*)		echo "usage: $0 --netrace BIN --version V --work DIR [--source DIR]" >&2; exit 2 ;;
	esac
done
[ -x "$netrace" ] && [ -n "$version" ] && [ -n "$work" ] ||
	{ echo "usage: $0 --netrace BIN --version V --work DIR [--source DIR]" >&2; exit 2; }

need_tools "rpm rpmlint createrepo-c dnf" \
	rpm rpmbuild rpmspec rpmlint createrepo_c dnf git tar gzip

rm -rf "$work"
mkdir -p "$work"

# --- build ---------------------------------------------------------------
echo "# packaging/build-rpm.sh --out $work/rpm (log: $work/build.log)"
if "$src/packaging/build-rpm.sh" --out "$work/rpm" >"$work/build.log" 2>&1; then
	ok "rpmbuild: source and binary RPMs from netrace-$version.tar.gz"
else
	tail -40 "$work/build.log" | sed 's/^/#   /'
	not_ok "rpmbuild: source and binary RPMs from netrace-$version.tar.gz"
	finish
fi
mapfile -t rpms < <(find "$work/rpm/RPMS" -name 'netrace-*.rpm' ! -name '*debug*')
srpm=$(find "$work/rpm/SRPMS" -name "netrace-$version-*.src.rpm")
check "one binary RPM (${rpms[*]##*/})" test ${#rpms[@]} -eq 1
rpmfile=${rpms[0]}
check "source RPM ${srpm##*/}" test -f "$srpm"
nv=$(rpm -qp --qf '%{NAME} %{VERSION}' "$rpmfile")
check "package is 'netrace $version' ($nv)" test "$nv" = "netrace $version"
check "the tarball is netrace-$version/ with the spec" \
	tar -tzf "$work/rpm/SOURCES/netrace-$version.tar.gz" >/dev/null \
		"netrace-$version/packaging/netrace.spec"

# --- rpmlint -------------------------------------------------------------
# rpmlint exits non-zero on errors only (warnings are listed, not fatal).
if rpmlint -c "$src/packaging/rpmlint.toml" -r "$src/packaging/netrace.rpmlintrc" \
	"$work/rpm/SPECS/netrace.spec" "$srpm" "$rpmfile" >"$work/rpmlint.log" 2>&1; then
	ok "rpmlint: no errors ($(tail -1 "$work/rpmlint.log"))"
else
	not_ok "rpmlint: no errors"
fi
sed 's/^/#   rpmlint: /' "$work/rpmlint.log"

# --- file list -------------------------------------------------------------
rpm -qp --qf '[%{FILEMODES:perms}\t%{FILENAMES}\t%{FILELINKTOS}\n]' "$rpmfile" |
	awk -F'\t' '
		$2 ~ "^/usr/lib/\\.build-id(/|$)" { next }
		$1 ~ /^d/ { print $2 "/"; next }
		$1 ~ /^l/ { print $2 " -> " $3; next }
		{ print $2 }' | LC_ALL=C sort >"$work/files"
mapfile -t applets < <("$netrace" --list)
expected_files "${applets[@]}" >"$work/expected"
if diff -u "$work/expected" "$work/files" >"$work/files.diff"; then
	ok "rpm -qlp is tests/packaging/expected-files.txt"
else
	sed 's/^/#   /' "$work/files.diff"
	not_ok "rpm -qlp is tests/packaging/expected-files.txt"
fi
check "the binary is /usr/sbin/netrace, mode 755" \
	test "$(rpm -qp --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' "$rpmfile" |
		grep ' /usr/sbin/netrace$')" = "-rwxr-xr-x /usr/sbin/netrace"
check "man pages, examples, README and LICENSE are marked doc/license" \
	test "$(rpm -qp --docfiles "$rpmfile" | grep -c -e /man8/ -e /doc/)" -ge 4
check "LICENSE is %license" bash -c \
	'rpm -qp --licensefiles "$1" | grep -qx /usr/share/licenses/netrace/LICENSE' \
	bash "$rpmfile"

# --- install into a scratch root ------------------------------------------
root=$work/root
mkdir -p "$root"
rpm --root "$root" --initdb
if rpm --root "$root" -i --nodeps --noscripts "$rpmfile" 2>"$work/install.err"; then
	ok "rpm --root -i --nodeps --noscripts"
else
	sed 's/^/#   /' "$work/install.err"
	not_ok "rpm --root -i --nodeps --noscripts"
	finish
fi
check "rpm -V: installed files as packaged" rpm --root "$root" -V --nodeps netrace
for a in "${applets[@]}"; do
	link=$root/usr/share/netrace/tools/$a
	# Through the link, the applet of its name: as "netrace APPLET".
	if out=$("$link" --help 2>&1) && [[ $out == "usage: $a "* ]] &&
	   [ "$out" = "$("$root/usr/sbin/netrace" "$a" --help)" ]; then
		ok "installed /usr/share/netrace/tools/$a --help is 'netrace $a --help'"
	else
		echo "$out" | head -3 | sed 's/^/#   /'
		not_ok "installed /usr/share/netrace/tools/$a --help is 'netrace $a --help'"
	fi
done
if printf '%s\n' "${applets[@]}" | grep -qx xdpfeatures; then
	# The reference table: no kernel, no privileges.
	if out=$("$root/usr/share/netrace/tools/xdpfeatures" --drivers 2>&1) &&
	   [ -n "$out" ]; then
		ok "installed xdpfeatures --drivers prints the driver table"
	else
		echo "$out" | head -3 | sed 's/^/#   /'
		not_ok "installed xdpfeatures --drivers prints the driver table"
	fi
fi
check "installed man page netrace(8) formats" bash -c \
	'man -l "$1" >/dev/null 2>&1' bash "$root/usr/share/man/man8/netrace.8.gz"

# A stand-in for bcc-tools with the paths bcc-tools owns that could
# collide (/usr/share/bcc/tools/APPLET, tools/doc/APPLET_example.txt, the
# man pages by Fedora's and by upstream's name): both packages install side
# by side (rpm refuses file conflicts).
mkdir -p "$work/bcc/SPECS"
{
	cat <<'EOF'
Name: bcc-tools
Version: 0.0
Release: 0
Summary: stand-in for BCC's bcc-tools paths (netrace packaging test)
License: Apache-2.0
BuildArch: noarch
%description
Files at the paths bcc-tools owns, for a conflict test.
%install
mkdir -p %{buildroot}/usr/share/bcc/tools/doc %{buildroot}%{_mandir}/man8
EOF
	for a in "${applets[@]}"; do
		echo "echo '#!/bin/sh' >%{buildroot}/usr/share/bcc/tools/$a"
		echo "chmod 755 %{buildroot}/usr/share/bcc/tools/$a"
		echo "echo $a >%{buildroot}/usr/share/bcc/tools/doc/${a}_example.txt"
		# Fedora/RHEL name BCC's pages bcc-APPLET.8, upstream APPLET.8.
		for m in "$a" "bcc-$a"; do
			echo "echo '.TH $m 8' | gzip -n >%{buildroot}%{_mandir}/man8/$m.8.gz"
		done
	done
	echo "%files"
	echo "/usr/share/bcc"
	for a in "${applets[@]}"; do
		echo "%{_mandir}/man8/$a.8.gz"
		echo "%{_mandir}/man8/bcc-$a.8.gz"
	done
} >"$work/bcc/SPECS/bcc-tools.spec"
if rpmbuild -bb --nodeps --define "_topdir $work/bcc" --define "__os_install_post %{nil}" \
	"$work/bcc/SPECS/bcc-tools.spec" >"$work/bcc.log" 2>&1 &&
   rpm --root "$root" -i --nodeps --noscripts \
	"$work"/bcc/RPMS/noarch/bcc-tools-*.rpm 2>"$work/bcc.err"; then
	ok "installs next to bcc-tools (no file conflicts)"
else
	sed 's/^/#   /' "$work/bcc.err" "$work/bcc.log" | tail -20
	not_ok "installs next to bcc-tools (no file conflicts)"
fi
if rpm --root "$root" -e --nodeps --noscripts netrace 2>"$work/erase.err" &&
   [ -z "$(cd "$root" && find usr -path '*netrace*' -print -quit)" ]; then
	ok "rpm -e removes every netrace file"
else
	sed 's/^/#   /' "$work/erase.err"
	not_ok "rpm -e removes every netrace file"
fi

# --- the yum repository ----------------------------------------------------
repo=$work/rpm/repo
check "createrepo_c made $repo/repodata" test -f "$repo/repodata/repomd.xml"
# dnf against this repository alone (--repo; no system repositories),
# with --releasever (Debian's dnf has no system release to read it from)
# and a scratch cache and install root.
dnfq() {
	dnf -q --setopt=reposdir=/dev/null \
		--repofrompath="netrace,file://$repo" --repo netrace \
		--setopt=cachedir="$work/dnf/cache" --setopt=netrace.gpgcheck=0 \
		--installroot="$work/dnf/root" --releasever=1 \
		repoquery "$@" 2>"$work/dnf.err"
}
mkdir -p "$work/dnf/root"
if info=$(dnfq --info netrace); then
	echo "$info" | sed 's/^/#   /'
	check "dnf repoquery --info: Name netrace" \
		grep -Eq '^Name +: netrace$' <<<"$info"
	check "dnf repoquery --info: Version $version" \
		grep -Eq "^Version +: $version\$" <<<"$info"
else
	sed 's/^/#   /' "$work/dnf.err"
	not_ok "dnf repoquery --info netrace"
fi
release=$(rpm -qp --qf '%{RELEASE}' "$rpmfile")
arch=$(rpm -qp --qf '%{ARCH}' "$rpmfile")
if provides=$(dnfq --provides netrace); then
	echo "$provides" | sed 's/^/#   /'
	check "dnf repoquery --provides: netrace = $version-$release" \
		grep -qx "netrace = $version-$release" <<<"$provides"
	isa=$(rpm --eval "%{_isa}" 2>/dev/null || :)
	[[ -n $isa && $isa != *'%'* ]] || isa="($arch)"
	check "dnf repoquery --provides: netrace$isa = $version-$release" \
		grep -qxF "netrace$isa = $version-$release" <<<"$provides"
else
	sed 's/^/#   /' "$work/dnf.err"
	not_ok "dnf repoquery --provides netrace"
fi
if requires=$(dnfq --requires netrace); then
	echo "$requires" | sed 's/^/#   requires: /'
	check "dnf repoquery --requires: libbpf.so.1 (found by rpm)" \
		grep -q '^libbpf\.so\.1' <<<"$requires"
else
	not_ok "dnf repoquery --requires netrace"
fi

finish
