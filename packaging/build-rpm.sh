#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# packaging/build-rpm.sh [--out DIR] [--tarball FILE] [--arch LIST]
#
# Source and binary RPMs of netrace, unsigned (packaging/release.sh signs
# them and makes the repository):
#   DIR/SOURCES/netrace-VERSION.tar.gz   (packaging/dist.sh, unless --tarball)
#   DIR/SRPMS/netrace-VERSION-RELEASE.src.rpm
#   DIR/RPMS/ARCH/netrace-VERSION-RELEASE.ARCH.rpm
#   DIR/RPMS/noarch/netrace-bcc-compat-VERSION-RELEASE.noarch.rpm
# --arch LIST: x86_64 and/or aarch64, comma-separated (default: this
# machine's).  Another architecture than this machine's is cross-compiled
# (cmake/aarch64-linux-gnu.cmake on x86_64: gcc-aarch64-linux-gnu and the
# arm64 multiarch -dev packages), its unit tests run through qemu-user.
# DIR defaults to build/rpm in the source tree.  The spec used is the one
# inside the tarball, so the tarball alone is what is built.
#
# On a system whose rpm database does not hold the build dependencies
# (Debian, Ubuntu), rpmbuild runs with --nodeps: the Debian packages
# provide what the BuildRequires name.  NETRACE_RPM_NODEPS=0/1 overrides.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
out=$src/build/rpm
tarball=
arches=$(uname -m)

die() { echo "build-rpm: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
	case $1 in
	--out)		out=$2; shift 2 ;;
	--tarball)	tarball=$2; shift 2 ;;
	--arch)		arches=${2//,/ }; shift 2 ;;
	-h|--help)	sed -n '3,21s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*)		die "unknown argument '$1' (see --help)" ;;
	esac
done

for arch in $arches; do
	case $arch in
	x86_64|aarch64)	;;
	*)	echo "build-rpm: --arch: '$arch' is not x86_64 or aarch64" >&2; exit 2 ;;
	esac
done

for tool in rpmbuild rpmspec; do
	command -v "$tool" >/dev/null ||
		die "$tool not found: install rpm (Debian) or rpm-build (Fedora/RHEL)"
done

mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -rf "$out/BUILD" "$out/BUILDROOT" "$out/RPMS" "$out/SRPMS" "$out/SPECS"
mkdir -p "$out/SOURCES" "$out/SPECS"

version=$(rpmspec -q --srpm --qf '%{version}' "$src/packaging/netrace.spec")
if [ -z "$tarball" ]; then
	tarball=$out/SOURCES/netrace-$version.tar.gz
	"$src/packaging/dist.sh" "$src" "$version" "$tarball"
fi
[ -f "$tarball" ] || die "no tarball $tarball"
name=$(basename "$tarball")
[ "$name" = "netrace-$version.tar.gz" ] ||
	die "$name: the spec's Version is $version (netrace-$version.tar.gz)"
[ "$tarball" -ef "$out/SOURCES/$name" ] || cp "$tarball" "$out/SOURCES/$name"

# The spec from the tarball: what is packaged is what the tarball says.
tar -xzOf "$out/SOURCES/$name" "netrace-$version/packaging/netrace.spec" \
	>"$out/SPECS/netrace.spec" ||
	die "$name has no netrace-$version/packaging/netrace.spec"

nodeps=${NETRACE_RPM_NODEPS:-}
if [ -z "$nodeps" ]; then
	# An RPM distribution's rpm database knows the shell's package.
	if rpm -qf "$(command -v sh)" >/dev/null 2>&1; then
		nodeps=0
	else
		nodeps=1
	fi
fi
args=(--define "_topdir $out")
if [ "$nodeps" = 1 ]; then
	echo "build-rpm: not an RPM distribution: rpmbuild --nodeps" >&2
	args+=(--nodeps)
	# rpm's brp-compress is a "#!/bin/sh" script that needs bash ("read
	# -d"): where /bin/sh is dash it compresses no man page.  Run it with
	# bash (on Fedora/RHEL /bin/sh is bash anyway).
	brp=$(rpm --eval '%{?__brp_compress}')
	if [ -n "$brp" ] && command -v bash >/dev/null; then
		args+=(--define "__brp_compress bash $brp")
	fi
fi

# cross_args ARCH: rpmbuild's options to build ARCH on this machine.
cross_args() {
	local triplet=$1-linux-gnu t
	[ -f "$src/cmake/$triplet.cmake" ] ||
		die "--arch $1: no cmake/$triplet.cmake to cross-compile from $(uname -m)"
	for t in gcc strip objdump; do
		command -v "$triplet-$t" >/dev/null ||
			die "--arch $1: no $triplet-$t: apt-get install gcc-$triplet (and, after dpkg --add-architecture arm64, the -dev:arm64 packages; packaging/README.md)"
	done
	echo "--target=$1"
	echo "--define=netrace_cmake_args -DCMAKE_TOOLCHAIN_FILE=cmake/$triplet.cmake"
	echo "--define=__strip $triplet-strip"
	echo "--define=__objdump $triplet-objdump"
}

# The source RPM once, with the first architecture; binary RPMs for all.
build=-ba
for arch in $arches; do
	extra=()
	if [ "$arch" != "$(uname -m)" ]; then
		mapfile -t extra < <(cross_args "$arch")
		[ ${#extra[@]} -gt 0 ] || exit 1
	fi
	echo "build-rpm: $arch" >&2
	rpmbuild "${args[@]}" "$build" "${extra[@]}" "$out/SPECS/netrace.spec"
	build=-bb
done

echo "build-rpm: source RPM:  $(ls "$out"/SRPMS/*.src.rpm)"
find "$out/RPMS" -name '*.rpm' | sort | sed 's/^/build-rpm: binary RPM:  /'
