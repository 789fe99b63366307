#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# tests/packaging/rpm.sh --release DIR --netrace BIN --version V --work DIR
#                        [--source DIR]
#
# The RPMs of a release (packaging/release.sh --out DIR, the
# packaging.release fixture), package by package:
#   - rpmlint finds no errors (packaging/netrace.rpmlintrc says which
#     warnings are accepted, and why);
#   - RHEL 8's rpm 4.14 reads them: xz or gzip payload, SHA-256 file
#     digests, an RSA/SHA-256 signature, no rpmlib() feature rpm 4.14 lacks;
#   - the RHEL 8 floor, for every architecture: no requirement but
#     rpmlib() and glibc's own sonames, no glibc symbol version above
#     GLIBC_2.28 (rpm -qpR, and readelf -d / readelf --dyn-syms -V, which
#     is objdump -T for every architecture, of the packaged binary); the checker
#     is shown to fail on the build tree's dynamically linked netrace;
#   - the binary of another architecture (aarch64, cross-compiled) is
#     that architecture's, static, and under qemu-user prints what this
#     machine's does (version, applets, every applet's --help);
#   - the file lists are exactly tests/packaging/expected-files.txt and
#     expected-files-bcc-compat.txt;
#   - installed into a scratch root with rpm --root (dependencies checked:
#     the root holds nothing else), signatures verified with the release's
#     key, the applets run there (chroot) by their names, rpm -V is clean;
#   - netrace installs next to a stand-in bcc-tools (BCC's paths), and
#     netrace-bcc-compat is refused beside it (Conflicts) and installs
#     without it, its /usr/share/bcc/tools links running netrace.
# Needs root, rpm, rpmlint and binutils (Debian packages); in CI a
# missing one is a failure, elsewhere a skip.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/packaging/lib.sh
. "$here/lib.sh"

netrace= version= work= release=
src=$(cd "$here/../.." && pwd)
u="--release DIR --netrace BIN --version V --work DIR [--source DIR]"
release_test_args "$u" "$@"
[ -x "$netrace" ] && [ -n "$version" ] && [ -n "$work" ] && [ -d "$release" ] ||
	release_test_args "$u" --missing

need_tools "rpm rpm2cpio cpio rpmlint binutils man-db" rpm rpmbuild rpm2cpio cpio rpmlint readelf man chroot
need_root "installing into a scratch root and chroot"

rm -rf "$work"
mkdir -p "$work"

host=$(uname -m)
main=$(find "$release/repo" -name "netrace-$version-*.$host.rpm")
mapfile -t bins < <(find "$release/repo" -name "netrace-$version-*.rpm" ! -name '*.noarch.rpm' | sort)
compat=$(find "$release/repo" -name "netrace-bcc-compat-$version-*.noarch.rpm")
srpm=$(find "$release" -maxdepth 1 -name "netrace-$version-*.src.rpm")
spec=$release/rpm/SPECS/netrace.spec
key=$release/repo/RPM-GPG-KEY-netrace
for f in "$main" "$compat" "$srpm" "$spec" "$key"; do
	[ -n "$f" ] && [ -f "$f" ] ||
		{ not_ok "the release in $release has its RPMs, spec and key"; finish; }
done
q() { rpm -qp --nosignature "$@"; }
mapfile -t arches < <(for f in "${bins[@]}"; do q --qf '%{ARCH}\n' "$f"; done)
need_qemu_for "${arches[@]}"
echo "# architectures: ${arches[*]}"
check "a netrace RPM for x86_64 and aarch64 (${arches[*]})" \
	test "${arches[*]}" = "aarch64 x86_64"
nv=$(q --qf '%{NAME} %{VERSION}' "$main")
check "package is 'netrace $version' ($nv)" test "$nv" = "netrace $version"

# --- rpmlint -------------------------------------------------------------
# rpmlint exits non-zero on errors only (warnings are listed, not fatal).
if rpmlint -c "$src/packaging/rpmlint.toml" -r "$src/packaging/netrace.rpmlintrc" \
	"$spec" "$srpm" "${bins[@]}" "$compat" >"$work/rpmlint.log" 2>&1; then
	ok "rpmlint: no errors ($(tail -1 "$work/rpmlint.log"))"
else
	not_ok "rpmlint: no errors"
fi
sed 's/^/#   rpmlint: /' "$work/rpmlint.log"

# --- what rpm 4.14 (RHEL 8) reads ------------------------------------------
# rpmlibProvides[] of rpm 4.14.2 (lib/rpmds.c), as RHEL 8 builds it (with
# bzip2, xz, Lua and file capabilities; without zstd): a package needing
# a feature not listed, or a newer version of one, does not install there.
rpm414='rpmlib(VersionedDependencies) 3.0.3-1
rpmlib(CompressedFileNames) 3.0.4-1
rpmlib(PayloadIsBzip2) 3.0.5-1
rpmlib(PayloadIsXz) 5.2-1
rpmlib(PayloadIsLzma) 4.4.2-1
rpmlib(PayloadFilesHavePrefix) 4.0-1
rpmlib(ExplicitPackageProvide) 4.0-1
rpmlib(HeaderLoadSortsTags) 4.0.1-1
rpmlib(ScriptletInterpreterArgs) 4.0.3-1
rpmlib(PartialHardlinkSets) 4.0.4-1
rpmlib(ConcurrentAccess) 4.1-1
rpmlib(BuiltinLuaScripts) 4.2.2-1
rpmlib(FileDigests) 4.6.0-1
rpmlib(FileCaps) 4.6.1-1
rpmlib(ScriptletExpansion) 4.9.0-1
rpmlib(TildeInVersions) 4.10.0-1
rpmlib(LargeFiles) 4.12.0-1
rpmlib(RichDependencies) 4.12.0-1'
# rpmlib_beyond_414 RPM: each rpmlib() need rpm 4.14 cannot meet.
rpmlib_beyond_414() {
	local name op ver have
	q --requires "$1" | while read -r name op ver; do
		[[ $name == rpmlib\(* ]] || continue
		have=$(awk -v n="$name" '$1 == n { print $2 }' <<<"$rpm414")
		if [ -z "$have" ]; then
			echo "$name (rpm 4.14 has no such feature)"
		elif [ -n "$ver" ] &&
		     [ "$(printf '%s\n%s\n' "$ver" "$have" | sort -V | tail -1)" != "$have" ]; then
			echo "$name $op $ver (rpm 4.14 has $have)"
		fi
	done
}
for f in "${bins[@]}" "$compat" "$srpm"; do
	n=${f##*/}
	comp=$(q --qf '%{PAYLOADCOMPRESSOR}' "$f")
	check "$n: payload $comp (xz or gzip, not zstd)" \
		bash -c '[ "$1" = xz ] || [ "$1" = gzip ]' bash "$comp"
	# 8 is PGPHASHALGO_SHA256; rpm >= 4.6 reads it.
	algo=$(q --qf '%{FILEDIGESTALGO}' "$f")
	check "$n: file digests SHA-256 (FILEDIGESTALGO $algo)" test "$algo" = 8
	sig=$(q --qf '%{RSAHEADER:pgpsig}' "$f")
	check "$n: signed, RSA/SHA256 ($sig)" bash -c '[[ $1 == RSA/SHA256,* ]]' bash "$sig"
	beyond=$(rpmlib_beyond_414 "$f")
	if [ -z "$beyond" ]; then
		ok "$n: every rpmlib() requirement is one rpm 4.14 meets"
	else
		echo "$beyond" | sed 's/^/#   /'
		not_ok "$n: every rpmlib() requirement is one rpm 4.14 meets"
	fi
done

# --- the RHEL 8 floor ---------------------------------------------------------
# What a minimal RHEL 8 has: glibc 2.28's libraries (and rtld(GNU_HASH),
# which its glibc provides); no libbpf.so.1 (RHEL 8 has libbpf.so.0), and
# libelf, libz or libcap-ng only when installed, so not needed at all.
glibc_libs='^(libc|libm|libdl|libpthread|librt|libresolv|ld-linux-x86-64|ld-linux-aarch64)\.so\.[0-9]+'
floor=2.28
above_floor() {	# above_floor: GLIBC_x.y versions on stdin above $floor
	grep -o 'GLIBC_[0-9][0-9.]*' | sort -u | sed 's/GLIBC_//' |
		while read -r v; do
			[ "$(printf '%s\n%s\n' "$v" "$floor" | sort -V | tail -1)" = "$floor" ] ||
				echo "GLIBC_$v"
		done
}
# floor_violations REQUIRES-FILE BINARY: what would not hold on RHEL 8.
floor_violations() {
	local r
	while read -r r; do
		case $r in
		rpmlib\(*|'rtld(GNU_HASH)') ;;
		*)	grep -Eq "$glibc_libs" <<<"$r" || echo "requires $r" ;;
		esac
	done <"$1"
	above_floor <"$1" | sed 's/^/requires a symbol version /'
	readelf -d "$2" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' |
		grep -Ev "$glibc_libs" | sed 's/^/NEEDED /' || :
	# The symbol versions the binary binds (readelf reads every
	# architecture's ELF, where this machine's objdump may not).
	readelf -W --dyn-syms -V "$2" 2>/dev/null | above_floor | sed 's/^/binds /' || :
}
# unpack RPM DIR: the package's files under DIR.
unpack() { mkdir -p "$2" && (cd "$2" && rpm2cpio "$1" | cpio -idm --quiet); }
for i in "${!bins[@]}"; do
	f=${bins[$i]}
	a=${arches[$i]}
	unpack "$f" "$work/x-$a"
	bin=$work/x-$a/usr/sbin/netrace
	q --requires "$f" | awk '{ print $1 }' >"$work/requires-$a"
	sed "s/^/#   $a requires: /" "$work/requires-$a"
	v=$(floor_violations "$work/requires-$a" "$bin")
	if [ -z "$v" ]; then
		ok "$a: RHEL 8 floor: no library but glibc's, nothing above GLIBC_$floor (rpm -qpR, readelf)"
	else
		echo "$v" | sed 's/^/#   /'
		not_ok "$a: RHEL 8 floor: no library but glibc's, nothing above GLIBC_$floor (rpm -qpR, readelf)"
	fi
	check "$a: the packaged binary is statically linked (no program interpreter)" \
		bash -c '! readelf -l "$1" | grep -q INTERP' bash "$bin"
	machine=$(readelf -h "$bin" | sed -n 's/^ *Machine: *//p')
	case $a in x86_64) want='Advanced Micro Devices X86-64' ;; aarch64) want=AArch64 ;; esac
	check "$a: the binary is built for $a ($machine)" test "$machine" = "$want"
done
# The checker must be able to fail: the build tree's netrace, linked
# against this host's libbpf.so.1 and glibc, is what the old package was.
if readelf -l "$netrace" | grep -q INTERP; then
	: >"$work/requires.dyn"
	v=$(floor_violations "$work/requires.dyn" "$netrace")
	echo "$v" | sed 's/^/#   build tree: /'
	check "the floor check fails on the build tree's dynamic netrace" \
		grep -q 'libbpf\.so' <<<"$v"
fi

# --- another architecture's binary, under qemu-user ------------------------------
mapfile -t applets < <("$netrace" --list)
for a in "${arches[@]}"; do
	[ "$a" != "$host" ] || continue
	r=$work/x-$a
	check "$a under qemu: netrace --version is 'netrace $version'" \
		test "$(in_root "$a" "$r" /usr/sbin/netrace --version 2>&1)" = "netrace $version"
	check "$a under qemu: netrace --list is this machine's (${applets[*]})" \
		test "$(in_root "$a" "$r" /usr/sbin/netrace --list 2>&1)" = "$(printf '%s\n' "${applets[@]}")"
	for ap in "${applets[@]}"; do
		check "$a under qemu: /usr/share/netrace/tools/$ap --help is this machine's" \
			test "$(in_root "$a" "$r" "/usr/share/netrace/tools/$ap" --help 2>&1)" = \
			"$("$netrace" "$ap" --help 2>&1)"
	done
done

# --- file lists ---------------------------------------------------------------
expected_files "${applets[@]}" >"$work/expected"
for i in "${!bins[@]}"; do
	rpm_files "${bins[$i]}" >"$work/files-${arches[$i]}"
	same_list "netrace.${arches[$i]}: rpm -qlp is tests/packaging/expected-files.txt" \
		"$work/expected" "$work/files-${arches[$i]}"
done
rpm_files "$compat" >"$work/files-compat"
EXPECTED=expected-files-bcc-compat.txt expected_files "${applets[@]}" >"$work/expected-compat"
same_list "netrace-bcc-compat: rpm -qlp is tests/packaging/expected-files-bcc-compat.txt" \
	"$work/expected-compat" "$work/files-compat"
check "the binary is /usr/sbin/netrace, mode 755" \
	test "$(q --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' "$main" |
		grep ' /usr/sbin/netrace$')" = "-rwxr-xr-x /usr/sbin/netrace"
check "man pages, examples, README and LICENSE are marked doc/license" \
	test "$(q --docfiles "$main" | grep -c -e /man8/ -e /doc/)" -ge 4
check "LICENSE is %license" bash -c \
	'rpm -qp --nosignature --licensefiles "$1" | grep -qx /usr/share/licenses/netrace/LICENSE' \
	bash "$main"
req=$(q --requires "$compat" | grep -v '^rpmlib(' | tr '\n' ' ')
rel=$(q --qf '%{RELEASE}' "$main")
check "netrace-bcc-compat requires netrace = $version-$rel ($req)" \
	test "$req" = "netrace = $version-$rel "
check "netrace-bcc-compat conflicts with bcc-tools" \
	bash -c '[ "$(rpm -qp --nosignature --conflicts "$1")" = bcc-tools ]' bash "$compat"

# --- install into a scratch root ------------------------------------------
root=$work/root
mkdir -p "$root"
rpm --root "$root" --initdb
rpm --root "$root" --import "$key"
for f in "$main" "$compat"; do
	check "rpm -K ${f##*/} with the release's key: digests signatures OK" \
		bash -c 'rpm --root "$1" -K "$2" | grep -q ": digests signatures OK$"' bash "$root" "$f"
done
# No --nodeps: the package needs nothing the empty root lacks.
if rpm --root "$root" -i "$main" 2>"$work/install.err"; then
	ok "rpm --root -i into an empty root (dependencies checked)"
else
	sed 's/^/#   /' "$work/install.err"
	not_ok "rpm --root -i into an empty root (dependencies checked)"
	finish
fi
check "rpm -V: installed files as packaged" rpm --root "$root" -V netrace
# run_in_root WHAT CMD...: CMD in the root, where only the package is.
run_in_root() {
	local what=$1 out
	shift
	if out=$(chroot "$root" "$@" 2>&1); then
		printf '%s\n' "$out"
	else
		echo "$out" | head -3 | sed 's/^/#   /' >&2
		return 1
	fi
}
for a in "${applets[@]}"; do
	# Through the link, the applet of its name: as "netrace APPLET".
	if out=$(run_in_root "$a" "/usr/share/netrace/tools/$a" --help) &&
	   [[ $out == "usage: $a "* ]] &&
	   [ "$out" = "$(chroot "$root" /usr/sbin/netrace "$a" --help)" ]; then
		ok "installed /usr/share/netrace/tools/$a --help is 'netrace $a --help' (chroot)"
	else
		not_ok "installed /usr/share/netrace/tools/$a --help is 'netrace $a --help' (chroot)"
	fi
done
check "installed netrace --version is 'netrace $version' (chroot)" \
	test "$(run_in_root version /usr/sbin/netrace --version)" = "netrace $version"
if printf '%s\n' "${applets[@]}" | grep -qx xdpfeatures; then
	# The reference table: no kernel, no privileges.
	check "installed xdpfeatures --drivers prints the driver table (chroot)" \
		bash -c '[ -n "$(chroot "$1" /usr/share/netrace/tools/xdpfeatures --drivers)" ]' \
		bash "$root"
fi
check "installed man page netrace(8) formats" bash -c \
	'man -l "$1" >/dev/null 2>&1' bash "$root/usr/share/man/man8/netrace.8.gz"

# A stand-in for bcc-tools with the paths bcc-tools owns that could
# collide (/usr/share/bcc/tools/APPLET, tools/doc/APPLET_example.txt, the
# man pages by Fedora's and by upstream's name): netrace installs next to
# it (rpm refuses file conflicts), netrace-bcc-compat must not.
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
   rpm --root "$root" -i --nodeps --noscripts --nosignature \
	"$work"/bcc/RPMS/noarch/bcc-tools-*.rpm 2>"$work/bcc.err"; then
	ok "netrace installs next to bcc-tools (no file conflicts)"
else
	sed 's/^/#   /' "$work/bcc.err" "$work/bcc.log" | tail -20
	not_ok "netrace installs next to bcc-tools (no file conflicts)"
fi
if rpm --root "$root" -i "$compat" >"$work/compat.err" 2>&1; then
	not_ok "netrace-bcc-compat is refused next to bcc-tools"
else
	sed 's/^/#   /' "$work/compat.err"
	check "netrace-bcc-compat is refused next to bcc-tools (Conflicts)" \
		grep -Eq 'bcc-tools conflicts with netrace-bcc-compat|netrace-bcc-compat.* conflicts with bcc-tools' \
		"$work/compat.err"
fi
rpm --root "$root" -e --nodeps --noscripts bcc-tools
if rpm --root "$root" -i "$compat" 2>"$work/compat.err"; then
	ok "netrace-bcc-compat installs without bcc-tools"
	for a in "${applets[@]}"; do
		check "/usr/share/bcc/tools/$a --help is 'netrace $a --help' (chroot)" \
			bash -c '[ "$(chroot "$1" /usr/share/bcc/tools/$2 --help)" = "$(chroot "$1" /usr/sbin/netrace $2 --help)" ]' \
			bash "$root" "$a"
	done
	check "netrace cannot be removed while netrace-bcc-compat needs it" \
		bash -c '! rpm --root "$1" -e netrace 2>/dev/null' bash "$root"
	check "rpm -e netrace-bcc-compat" rpm --root "$root" -e netrace-bcc-compat
else
	sed 's/^/#   /' "$work/compat.err"
	not_ok "netrace-bcc-compat installs without bcc-tools"
fi
if rpm --root "$root" -e netrace 2>"$work/erase.err" &&
   [ -z "$(cd "$root" && find usr -path '*netrace*' -print -quit)" ] &&
   [ ! -e "$root/usr/share/bcc" ]; then
	ok "rpm -e removes every netrace file"
else
	sed 's/^/#   /' "$work/erase.err"
	not_ok "rpm -e removes every netrace file"
fi

finish
