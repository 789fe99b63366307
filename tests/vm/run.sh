#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Kernel test matrix: boots Debian's 5.10, 6.1 and 6.12 cloud kernels under qemu
# and runs netrace's checks there with every attach strategy (the
# development machine can only run the tracepoint one).  See README.md.
#
#   tests/vm/run.sh                                  # the whole matrix
#   tests/vm/run.sh --kernel 6.1 --strategy kprobe   # one cell
#
# Exit status: 0 when every check passed; 1 when a check failed, a VM did
# not boot or did not print its result block; 2 for a usage error.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${NETRACE_VM_BUILD:-/tmp/netrace-vm-build}
cache=${NETRACE_VM_CACHE:-/var/cache/netrace-vm}
out=
kernels=(5.10 6.1 6.12)
modes=(auto fentry kprobe tracepoint perfbuf)
checks=(smoke it)
jobs=${NETRACE_VM_JOBS:-2}
vm_timeout=${NETRACE_VM_TIMEOUT:-}
suite_timeout=${NETRACE_VM_SUITE_TIMEOUT:-240}
update=1
install=1
require_static=0
netrace_rpm=
arch=x86_64
expect_auto=fentry
# Modules the VMs load (with what they depend on): the virtio-net NIC's
# driver and bus, and what the suites create (veth pairs, tap devices).
vm_modules=(virtio_pci virtio_net veth tun)

usage()
{
	cat <<EOF
usage: tests/vm/run.sh [options]

  --arch ARCH       x86_64 (default) or aarch64: the kernels' and netrace's
                    architecture; aarch64 runs under qemu-system-aarch64
                    (TCG, virt machine) with Debian's arm64 cloud kernels,
                    a cross-built netrace (or the aarch64 RPM's) and suites
  --kernel LIST     5.10, 6.1, 6.12 or all (default: all); comma-separated
  --strategy LIST   auto, fentry, kprobe, tracepoint, perfbuf or all
                    (default: all); perfbuf = automatic strategy with
                    --buffer=perfbuf.  One VM per (kernel, strategy).
  --check LIST      smoke, it (every tests/integration suite), it_NAME
                    (one suite) or all (default: all)
  --source DIR      netrace source tree (default: $src)
  --build DIR       build directory (default: \$NETRACE_VM_BUILD or
                    /tmp/netrace-vm-build); never the tree's build/
  --cache DIR       kernel package cache (default: \$NETRACE_VM_CACHE or
                    /var/cache/netrace-vm)
  --out DIR         console logs and results (default: BUILD/vm-results)
  --jobs N          VMs at once (default: \$NETRACE_VM_JOBS or 2)
  --suite-timeout SEC  per check in the VM (default:
                    \$NETRACE_VM_SUITE_TIMEOUT or 240)
  --timeout SEC     per VM, boot to power-off (default: \$NETRACE_VM_TIMEOUT
                    or 90 + checks x suite timeout)
  --no-update       no apt-get update: newest kernel in the apt lists or,
                    failing that, in the cache
  --no-install      do not apt-get install missing tools
  --require-static  fail if netrace cannot be linked statically (default:
                    warn, name the missing symbols and run a dynamically
                    linked netrace, with its libraries, in the VMs)
  --netrace-rpm RPM|DIR  boot the netrace of this binary RPM (or of the
                    netrace-VERSION-RELEASE.ARCH.rpm in DIR, e.g. a
                    release's repo/) instead of building one: what users
                    install is what is tested (ctest's vm.matrix does)
  -h, --help        this text
EOF
}

die()
{
	echo "vm: error: $*" >&2
	exit 1
}

bad_usage()
{
	echo "vm: $*" >&2
	usage >&2
	exit 2
}

log()
{
	echo "vm: $*" >&2
}

split_list()	# split_list VAR "a,b" "all-values..."
{
	local var=$1 val=$2
	shift 2
	if [ "$val" = all ]; then
		eval "$var=(\"\$@\")"
	else
		# shellcheck disable=SC2229 # reads into the array named by $var
		IFS=, read -r -a "$var" <<<"$val"
	fi
}

while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) split_list kernels "${2:?}" 5.10 6.1 6.12; shift 2 ;;
	--kernel=*) split_list kernels "${1#*=}" 5.10 6.1 6.12; shift ;;
	--strategy) split_list modes "${2:?}" auto fentry kprobe tracepoint perfbuf; shift 2 ;;
	--strategy=*) split_list modes "${1#*=}" auto fentry kprobe tracepoint perfbuf; shift ;;
	--check) split_list checks "${2:?}" smoke it; shift 2 ;;
	--check=*) split_list checks "${1#*=}" smoke it; shift ;;
	--source) src=$(cd "${2:?}" && pwd); shift 2 ;;
	--source=*) src=$(cd "${1#*=}" && pwd); shift ;;
	--build) build=${2:?}; shift 2 ;;
	--build=*) build=${1#*=}; shift ;;
	--cache) cache=${2:?}; shift 2 ;;
	--cache=*) cache=${1#*=}; shift ;;
	--out) out=${2:?}; shift 2 ;;
	--out=*) out=${1#*=}; shift ;;
	--jobs) jobs=${2:?}; shift 2 ;;
	--jobs=*) jobs=${1#*=}; shift ;;
	--timeout) vm_timeout=${2:?}; shift 2 ;;
	--timeout=*) vm_timeout=${1#*=}; shift ;;
	--suite-timeout) suite_timeout=${2:?}; shift 2 ;;
	--suite-timeout=*) suite_timeout=${1#*=}; shift ;;
	--no-update) update=0; shift ;;
	--no-install) install=0; shift ;;
	--require-static) require_static=1; shift ;;
	--arch) arch=${2:?}; shift 2 ;;
	--arch=*) arch=${1#*=}; shift ;;
	--netrace-rpm) netrace_rpm=${2:?}; shift 2 ;;
	--netrace-rpm=*) netrace_rpm=${1#*=}; shift ;;
	-h|--help) usage; exit 0 ;;
	*) bad_usage "unknown option: $1" ;;
	esac
done

for k in "${kernels[@]}"; do
	case "$k" in 5.10|6.1|6.12) ;; *) bad_usage "--kernel: unknown kernel series '$k'" ;; esac
done
# What differs between the architectures: Debian's name for it, qemu and
# its machine, the console, and where the target's libraries live.
case "$arch" in
x86_64)	deb_arch=amd64 qemu=qemu-system-x86_64 qemu_pkg=qemu-system-x86
	machine=() tty=ttyS0 elf_machine=X86-64 ;;
aarch64) deb_arch=arm64 qemu=qemu-system-aarch64 qemu_pkg=qemu-system-arm
	machine=(-machine virt -cpu max) tty=ttyAMA0 elf_machine=AArch64 ;;
*)	bad_usage "--arch: unknown architecture '$arch' (x86_64 or aarch64)" ;;
esac
triplet=$arch-linux-gnu
foreign=0
[ "$arch" = "$(uname -m)" ] || foreign=1
for m in "${modes[@]}"; do
	case "$m" in auto|fentry|kprobe|tracepoint|perfbuf) ;;
	*) bad_usage "--strategy: unknown strategy '$m'" ;; esac
done
for c in "${checks[@]}"; do
	case "$c" in smoke|it|it_*) ;; *) bad_usage "--check: unknown check '$c'" ;; esac
done
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || bad_usage "--jobs: not a positive number: $jobs"
[ -z "$vm_timeout" ] || [[ "$vm_timeout" =~ ^[1-9][0-9]*$ ]] ||
	bad_usage "--timeout: not a positive number: $vm_timeout"
[[ "$suite_timeout" =~ ^[1-9][0-9]*$ ]] ||
	bad_usage "--suite-timeout: not a positive number: $suite_timeout"
[ -f "$src/CMakeLists.txt" ] && [ -d "$src/tests/integration" ] ||
	die "--source $src: not a netrace source tree"
case "$(cd "$(dirname "$build")" 2>/dev/null && pwd)/$(basename "$build")" in
"$src/build") die "--build: $build is the tree's own build directory; use another" ;;
esac
out=${out:-$build/vm-results}
if [ "$(id -u)" != 0 ]; then
	# Under ctest a user without root sees a skip; CI never does.
	[ "${CI:-}" = true ] || [ "${NETRACE_REQUIRE_PRIV:-}" = 1 ] || {
		echo "vm: not root: skipped" >&2; exit 77; }
	die "run as root (apt-get, the kernel package cache, building the initramfs)"
fi

t_start=$(date +%s)

# ---- tools -------------------------------------------------------------

need_pkgs=()
command -v "$qemu" >/dev/null || need_pkgs+=("$qemu_pkg")
if [ $foreign = 0 ]; then
	[ -x /bin/busybox ] && ! readelf -l /bin/busybox 2>/dev/null | grep -q INTERP ||
		need_pkgs+=(busybox-static)
fi
command -v cpio >/dev/null || need_pkgs+=(cpio)
command -v xz >/dev/null || need_pkgs+=(xz-utils)
command -v zstd >/dev/null || need_pkgs+=(zstd)
command -v readelf >/dev/null || need_pkgs+=(binutils)
command -v cmake >/dev/null || need_pkgs+=(cmake)
ip_bin=
for p in /usr/sbin/ip /sbin/ip /usr/bin/ip /bin/ip; do
	[ -x "$p" ] && ! [ "$(readlink -f "$p")" = "$(readlink -f /bin/busybox)" ] &&
		{ ip_bin=$p; break; }
done
[ -n "$ip_bin" ] || need_pkgs+=(iproute2)
if [ $foreign = 1 ]; then
	# Another architecture: its cross compiler and libraries for the
	# build (netrace, the suites), and the libraries its iproute2 loads.
	for p in "gcc-$triplet" "binutils-$triplet" "libc6-dev:$deb_arch" \
		"libbpf-dev:$deb_arch" "libelf-dev:$deb_arch" "zlib1g-dev:$deb_arch" \
		"libzstd-dev:$deb_arch" "libcap-ng-dev:$deb_arch" "libcmocka-dev:$deb_arch" \
		"libjansson-dev:$deb_arch" "libmnl0:$deb_arch" "libbsd0:$deb_arch" \
		"libcap2:$deb_arch"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			need_pkgs+=("$p")
	done
	if [[ " ${need_pkgs[*]}" == *":$deb_arch"* ]] &&
	   ! dpkg --print-foreign-architectures | grep -qx "$deb_arch"; then
		[ $install = 1 ] || die "missing: ${need_pkgs[*]} (dpkg --add-architecture $deb_arch; apt-get install them)"
		dpkg --add-architecture "$deb_arch"
		apt-get update >/dev/null 2>&1 || :
	fi
fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
	[ $install = 1 ] || die "missing: ${need_pkgs[*]} (apt-get install them, or drop --no-install)"
	log "installing ${need_pkgs[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		"${need_pkgs[@]}" >&2
fi
[ $foreign = 1 ] || ! readelf -l /bin/busybox | grep -q INTERP ||
	die "/bin/busybox is dynamically linked: apt-get install busybox-static"
ip_bin=${ip_bin:-/usr/sbin/ip}
[ -x "$ip_bin" ] || die "no iproute2 ip ($ip_bin): apt-get install iproute2"

# One host thread for both vCPUs: with multi-threaded TCG, a vCPU can run
# stale translated code while the kernel live-patches its text (static
# keys), and 6.12 then dies early in boot with "Oops: int3" in
# sched_clock_cpu.  Round-robin vCPUs see every patch at once.
accel=(-accel tcg,thread=single)
kvm_ok()
{
	[ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
	# The VMs' machine and CPU, stopped (-S), then a quit: fails at once
	# if KVM cannot be opened or cannot set up that vCPU (a nested KVM
	# that opens but refuses -cpu host's MSRs, "failed to set MSR 0x10a",
	# would pass a -machine none probe and kill every boot).
	{ echo quit | timeout 20 qemu-system-x86_64 -accel kvm -cpu host \
		-machine pc -S -nodefaults -display none -monitor stdio \
		>/dev/null 2>&1; } 2>/dev/null
}
if [ $foreign = 0 ] && kvm_ok; then
	accel=(-accel kvm -cpu host)
	log "accelerator: kvm"
else
	log "accelerator: tcg, single-threaded (no usable /dev/kvm)"
fi

# ---- build ---------------------------------------------------------------

# rpm_netrace RPM|DIR: unpack /usr/sbin/netrace of the binary RPM (in DIR:
# the one netrace-VERSION-RELEASE.ARCH.rpm) into the build directory and
# make it netrace_bin.  The RPM's binary is static (packaging/netrace.spec).
rpm_netrace()
{
	local f=$1 dir=$build/from-rpm
	if [ -d "$f" ]; then
		mapfile -t rpms < <(find "$f" -maxdepth 1 -name "netrace-[0-9]*.$arch.rpm")
		[ ${#rpms[@]} -eq 1 ] ||
			die "--netrace-rpm: ${#rpms[@]} netrace-*.$arch.rpm in $f, want one"
		f=${rpms[0]}
	fi
	[ -f "$f" ] || die "--netrace-rpm: no such file: $f"
	f=$(cd "$(dirname "$f")" && pwd)/$(basename "$f")
	command -v rpm2cpio >/dev/null && command -v cpio >/dev/null ||
		die "--netrace-rpm needs rpm2cpio and cpio: apt-get install rpm2cpio cpio"
	rm -rf "$dir"
	mkdir -p "$dir"
	(cd "$dir" && rpm2cpio "$f" | cpio -idm --quiet ./usr/sbin/netrace) ||
		die "--netrace-rpm: cannot unpack $f"
	[ -x "$dir/usr/sbin/netrace" ] || die "--netrace-rpm: $f has no /usr/sbin/netrace"
	! readelf -l "$dir/usr/sbin/netrace" | grep -q INTERP ||
		die "--netrace-rpm: the netrace of $f is dynamically linked"
	readelf -h "$dir/usr/sbin/netrace" | grep -q "Machine:.*$elf_machine" ||
		die "--netrace-rpm: the netrace of $f is not $arch"
	netrace_bin=$dir/usr/sbin/netrace
	log "netrace from $f"
}

mkdir -p "$build" "$out"
log "building $src in $build (NETRACE_STATIC=ON; the suites${netrace_rpm:+ only})"
cross=()
[ $foreign = 0 ] || cross=(-DCMAKE_TOOLCHAIN_FILE="$src/cmake/$triplet.cmake")
cmake -S "$src" -B "$build" -DNETRACE_STATIC=ON -DBUILD_TESTING=ON "${cross[@]}" \
	>"$out/cmake-configure.log" 2>&1 ||
	{ tail -n 30 "$out/cmake-configure.log" >&2; die "cmake configure failed (log: $out/cmake-configure.log)"; }
netrace_bin=$build/netrace
suite_build=$build	# where the it_* suites are built
build_dyn=${build%/}-dynamic	# only if the static link fails
static_warn=
rm -f "$netrace_bin"
if [ -n "$netrace_rpm" ]; then
	rpm_netrace "$netrace_rpm"
elif ! cmake --build "$build" -j "$(nproc)" --target netrace >"$out/build-netrace.log" 2>&1; then
	# The one known way the static link fails: a library without a .a
	# (a new dependency that ships none).  Say exactly which symbols need
	# it and, unless --require-static, go on with a dynamic netrace: the
	# VMs test kernels, and carry the shared libraries it needs.
	missing=$(sed -n "s/.*undefined reference to \`\([A-Za-z0-9_]*\)'.*/\1/p" \
		"$out/build-netrace.log" | sort -u | tr '\n' ' ')
	tail -n 30 "$out/build-netrace.log" >&2
	[ -n "$missing" ] || die "building netrace failed (log: $out/build-netrace.log)"
	users=$(sed -n 's/.*(\([A-Za-z0-9_]*\.c\)\.o): in function.*/\1/p' \
		"$out/build-netrace.log" | sort -u | tr '\n' ' ')
	static_warn="static link failed: undefined symbols, no static library has them: $missing(used by: $users; log: $out/build-netrace.log)"
	[ $require_static = 0 ] || die "NETRACE_STATIC: $static_warn"
	log "WARNING: NETRACE_STATIC: $static_warn"
	log "WARNING: using a dynamically linked netrace in the VMs (--require-static makes this an error)"
	cmake -S "$src" -B "$build_dyn" -DNETRACE_STATIC=OFF -DBUILD_TESTING=ON \
		>"$out/cmake-configure-dynamic.log" 2>&1 ||
		die "cmake configure (dynamic) failed (log: $out/cmake-configure-dynamic.log)"
	cmake --build "$build_dyn" -j "$(nproc)" --target netrace \
		>"$out/build-netrace-dynamic.log" 2>&1 ||
		die "building netrace (dynamic) failed (log: $out/build-netrace-dynamic.log)"
	netrace_bin=$build_dyn/netrace
	suite_build=$build_dyn
fi
[ -x "$netrace_bin" ] || die "no $netrace_bin after the build"
if [ -z "$static_warn" ] && readelf -l "$netrace_bin" | grep -q INTERP; then
	die "$netrace_bin is dynamically linked although NETRACE_STATIC=ON"
fi

# Integration suites: every it_* target the tree has now.
suites=()
want_it=0
for c in "${checks[@]}"; do
	case "$c" in
	it) want_it=1 ;;
	it_*) suites+=("$c") ;;
	esac
done
if [ $want_it = 1 ]; then
	mapfile -t all_suites < <(cmake --build "$suite_build" --target help |
		sed -n 's/^\.\.\. \(it_[A-Za-z0-9_]*\)$/\1/p' | sort -u)
	[ ${#all_suites[@]} -gt 0 ] || log "warning: no integration suite (it_*) target in $src"
	suites+=("${all_suites[@]}")
fi
host_fail=()	# "name reason" of what failed before any VM ran
built_suites=()
for s in ${suites[@]+"${suites[@]}"}; do
	if cmake --build "$suite_build" -j "$(nproc)" --target "$s" >"$out/build-$s.log" 2>&1; then
		bin=$(find "$suite_build" -path "$out" -prune -o \
			-type f -name "$s" -perm -u+x -print | head -n 1)
		if [ -n "$bin" ]; then
			built_suites+=("$bin")
		else
			host_fail+=("build.$s built, but no executable $s in $build")
		fi
	else
		log "building $s failed: $(grep -m1 -E 'error|Error' "$out/build-$s.log" || true)"
		host_fail+=("build.$s build failed (log: $out/build-$s.log)")
	fi
done
vm_checks=()
for c in "${checks[@]}"; do
	[ "$c" = smoke ] && vm_checks+=(smoke)
done
for b in ${built_suites[@]+"${built_suites[@]}"}; do
	vm_checks+=("$(basename "$b")")
done
[ ${#vm_checks[@]} -gt 0 ] || [ ${#host_fail[@]} -gt 0 ] || die "nothing to run"

# Every suite runs in the columns of the strategies (fentry, kprobe,
# tracepoint: each its own programs, and the old kernels' hooks and record
# layouts differ).  auto runs the smoke check only: automatic selection
# picks fentry on these kernels, which the smoke check proves for every
# applet while it traces a connection, and the suites would run fentry's
# programs again.  perfbuf runs the first applets' suites (the perf buffer
# is the runtime's, which they cover) and the smoke check (every applet).
# Every suite in every column does not fit in CI's 45 minutes.
perfbuf_checks=" smoke it_dns it_ktypes it_lifecycle it_tcpaccept it_tcpconnect it_xdpfeatures "
checks_of()	# checks_of MODE: the checks a VM of that mode runs
{
	local c
	for c in "${vm_checks[@]}"; do
		case "$1" in
		auto) [ "$c" = smoke ] || continue ;;
		perfbuf) [[ $perfbuf_checks == *" $c "* ]] || continue ;;
		esac
		echo "$c"
	done
}

# ---- kernels -------------------------------------------------------------

series_regex()
{
	case "$1" in
	5.10)	echo "^linux-image-5\\.10\\.0-[0-9]+-cloud-$deb_arch-unsigned\$" ;;
	6.1)	echo "^linux-image-6\\.1\\.0-[0-9]+-cloud-$deb_arch-unsigned\$" ;;
	6.12)	echo "^linux-image-6\\.12\\.[0-9]+\\+deb[0-9]+-cloud-$deb_arch-unsigned\$" ;;
	esac
}

mkdir -p "$cache/debs" "$cache/unpacked"
# Two runs sharing the cache must not download or unpack the same package
# at once.
exec 9>"$cache/.lock"
flock -w 900 9 || die "$cache is locked by another run for 15 minutes"
if [ $update = 1 ]; then
	log "apt-get update"
	apt-get update >"$out/apt-update.log" 2>&1 ||
		log "warning: apt-get update failed (see $out/apt-update.log); using the lists and cache there are"
fi

unpacked()	# unpacked DEB: dpkg -x it into the cache once; prints the directory
{
	local d
	d="$cache/unpacked/$(basename "$1" .deb)"
	if [ ! -e "$d/.done" ]; then
		rm -rf "$d"
		mkdir -p "$d"
		dpkg -x "$1" "$d"
		touch "$d/.done"
	fi
	echo "$d"
}

# Debian 11's 5.10 kernel comes from bullseye, which the host's sources
# never name: an apt configuration of the matrix's own (sources, lists,
# cache under the cache directory), used for that package alone.
bullseye=$cache/apt-bullseye
apt_for()	# apt_for SERIES: sets apt_x, the options apt needs for it
{
	apt_x=()
	[ "$1" = 5.10 ] || return 0
	apt_x=(-o "Dir::Etc::sourcelist=$bullseye/sources.list"
		-o Dir::Etc::sourceparts=- -o "Dir::State::Lists=$bullseye/lists"
		-o "Dir::Cache=$bullseye/cache" -o APT::Get::List-Cleanup=0)
}
if [[ " ${kernels[*]} " == *" 5.10 "* ]]; then
	mkdir -p "$bullseye/lists/partial" "$bullseye/cache/archives/partial"
	# bullseye-security has the newest 5.10 builds (Debian 11 LTS).
	printf '%s\n' 'deb http://deb.debian.org/debian bullseye main' \
		'deb http://deb.debian.org/debian-security bullseye-security main' \
		>"$bullseye/sources.list"
	if [ $update = 1 ] || ! compgen -G "$bullseye/lists/*_Packages" >/dev/null; then
		apt_for 5.10
		apt-get "${apt_x[@]}" update >"$out/apt-update-bullseye.log" 2>&1 ||
			log "warning: apt-get update (bullseye) failed (see $out/apt-update-bullseye.log)"
	fi
fi

declare -A kdir kver
for k in "${kernels[@]}"; do
	re=$(series_regex "$k")
	apt_for "$k"
	# Newest first: a mirror may not carry a suite's newest build yet
	# (bullseye-security lists 5.10 builds its pool lacks), then the one
	# before it is taken.
	mapfile -t pkgs < <(apt-cache "${apt_x[@]}" search --names-only "$re" 2>/dev/null |
		awk '{ print $1 }' | grep -E "$re" | sort -V -r || true)
	deb=
	if [ ${#pkgs[@]} -gt 0 ]; then
		for pkg in "${pkgs[@]}"; do
			deb=$(ls -1 "$cache/debs/${pkg}_"*.deb 2>/dev/null | sort -V | tail -n 1 || true)
			if [ -n "$deb" ]; then
				log "$pkg: cached ($(basename "$deb"))"
				break
			fi
			log "downloading $pkg"
			if ( cd "$cache/debs" && apt-get "${apt_x[@]}" download "$pkg:$deb_arch" ) >"$out/apt-download-$k.log" 2>&1; then
				deb=$(ls -1 "$cache/debs/${pkg}_"*.deb | sort -V | tail -n 1)
				# Keep one package per series in the cache.
				for old in "$cache/debs/"*.deb; do
					b=$(basename "$old")
					[ "$old" != "$deb" ] && [[ "${b%%_*}" =~ $re ]] && {
						rm -f "$old"; rm -rf "$cache/unpacked/${b%.deb}"; }
				done
				break
			fi
			log "warning: apt-get download $pkg failed: $(grep -m1 -E '^(E|Err):' "$out/apt-download-$k.log" || true)"
		done
		[ -n "$deb" ] || { cat "$out/apt-download-$k.log" >&2; die "apt-get download failed for every $k package apt lists"; }
	else
		deb=$(for f in "$cache/debs/"*.deb; do
			[ -e "$f" ] || continue
			b=$(basename "$f"); [[ "${b%%_*}" =~ $re ]] && echo "$f"
		done | sort -V | tail -n 1)
		[ -n "$deb" ] || die "no $k cloud kernel package in apt ('apt-cache search $re') nor in $cache/debs"
		log "warning: $k: apt knows no package; using cached $(basename "$deb")"
	fi
	d=$(unpacked "$deb")
	v=$(ls -1 "$d/lib/modules" | head -n 1)
	[ -n "$v" ] && [ -f "$d/boot/vmlinuz-$v" ] || die "$deb: no vmlinuz or lib/modules in it"
	kdir[$k]=$d
	kver[$k]=$v
	log "kernel $k: $v"
done

# The guest's busybox and ip: this machine's, or for another architecture
# that architecture's Debian packages, unpacked into the cache.
busybox_bin=/bin/busybox
if [ $foreign = 1 ]; then
	for pkg in busybox-static iproute2; do
		# Downloaded once: which busybox or ip runs the checks does
		# not matter as long as it is that architecture's.
		deb=$(ls -1 "$cache/debs/${pkg}_"*"_$deb_arch.deb" 2>/dev/null | sort -V | tail -n 1 || true)
		if [ -z "$deb" ]; then
			( cd "$cache/debs" && apt-get download "$pkg:$deb_arch" ) \
				>"$out/apt-download-$pkg.log" 2>&1 ||
				die "apt-get download $pkg:$deb_arch failed (log: $out/apt-download-$pkg.log)"
			deb=$(ls -1 "$cache/debs/${pkg}_"*"_$deb_arch.deb" | sort -V | tail -n 1)
		fi
		d=$(unpacked "$deb")
		case $pkg in
		busybox-static) busybox_bin=$d/bin/busybox ;;
		iproute2) ip_bin=$d/bin/ip ;;
		esac
	done
	[ -x "$busybox_bin" ] && [ -x "$ip_bin" ] || die "no busybox or ip in the $deb_arch packages"
fi
exec 9>&-

# ---- initramfs -----------------------------------------------------------

# A module's dependencies, from the depends= string of its .modinfo.
mod_depends()
{
	local f=$1
	case "$f" in
	*.xz)	xz -dc "$f" ;;
	*.zst)	zstd -dcq "$f" ;;
	*)	cat "$f" ;;
	esac | tr '\0' '\n' | sed -n 's/^depends=//p' | head -n 1 | tr ',' ' '
}

mod_file()	# mod_file MODDIR NAME: the .ko[.xz|.zst], '-' and '_' alike
{
	local pat
	pat=$(echo "$2" | sed 's/[-_]/[-_]/g')
	find "$1/kernel" -regextype posix-extended \
		-regex ".*/$pat\\.ko(\\.xz|\\.zst|\\.gz)?" | head -n 1
}

is_builtin()	# is_builtin MODDIR NAME
{
	local pat
	pat=$(echo "$2" | sed 's/[-_]/[-_]/g')
	grep -qE "/$pat\\.ko\$" "$1/modules.builtin" 2>/dev/null
}

# Post-order walk: every module after the ones it needs.
declare -A mod_seen
mod_order=()
mod_walk()	# mod_walk MODDIR NAME
{
	local md=$1 m=$2 f dep
	[ -z "${mod_seen[$m]:-}" ] || return 0
	mod_seen[$m]=1
	f=$(mod_file "$md" "$m")
	if [ -z "$f" ]; then
		is_builtin "$md" "$m" && return 0
		die "module $m: not in $md (neither a .ko nor built in)"
	fi
	for dep in $(mod_depends "$f"); do
		mod_walk "$md" "$dep"
	done
	mod_order+=("$m:$f")
}

# Shared part: busybox, netrace and its applet links, scripts, suites and
# the shared libraries the suites load (cmocka has no .a on Debian: the
# suites are linked dynamically and carry their libraries with them).
base=$out/initramfs-base
rm -rf "$base"
mkdir -p "$base"/{bin,sbin,dev,proc,sys,tmp,run,root,etc,lib/modules,opt/netrace,opt/nrvm/it}
cp "$busybox_bin" "$base/bin/busybox"
ln -s busybox "$base/bin/sh"
cp "$netrace_bin" "$base/opt/netrace/netrace"
while read -r a; do
	[ -n "$a" ] && ln -s netrace "$base/opt/netrace/$a"
done < <(sed -n 's/^APPLET(\([a-z0-9_]*\).*/\1/p' "$src/cmd/applets.def")
install -m 0755 "$here/init.sh" "$base/init"
install -m 0755 "$here/smoke.sh" "$base/opt/nrvm/smoke.sh"
install -m 0755 "$here/suite.sh" "$base/opt/nrvm/suite.sh"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$base/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$base/etc/group"
mknod -m 600 "$base/dev/console" c 5 1
mknod -m 666 "$base/dev/null" c 1 3
# copy_libs BINARY: the dynamic loader and the shared libraries it loads,
# recursively, from the target architecture's library directories (read
# from the ELF files: ldd cannot look into another architecture's).
declare -A lib_seen
lib_dirs=("/lib/$triplet" "/usr/lib/$triplet" /lib64 /lib /usr/lib)
copy_lib_file()
{
	mkdir -p "$base$(dirname "$1")"
	[ -e "$base$1" ] || cp -L "$1" "$base$1"
}
copy_libs()
{
	local f=$1 interp need d lib
	interp=$(readelf -l "$f" | sed -n 's/.*Requesting program interpreter: \(.*\)]$/\1/p')
	[ -z "$interp" ] || copy_lib_file "$interp"
	for need in $(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'); do
		[ -z "${lib_seen[$need]:-}" ] || continue
		lib_seen[$need]=1
		lib=
		for d in "${lib_dirs[@]}"; do
			[ -e "$d/$need" ] && { lib=$d/$need; break; }
		done
		[ -n "$lib" ] || die "$need, which $f needs, is in none of ${lib_dirs[*]}"
		copy_lib_file "$lib"
		copy_libs "$lib"
	done
}
[ -z "$static_warn" ] || copy_libs "$netrace_bin"
# iproute2's ip: the suites make namespaces and tap devices with it
# (busybox's ip can do neither).
mkdir -p "$base/usr/sbin"
cp -L "$ip_bin" "$base/usr/sbin/ip"
copy_libs "$ip_bin"
for b in ${built_suites[@]+"${built_suites[@]}"}; do
	cp "$b" "$base/opt/nrvm/it/"
	copy_libs "$b"
done

# Modules of each kernel, decompressed, with their load order.
for k in "${kernels[@]}"; do
	md="${kdir[$k]}/lib/modules/${kver[$k]}"
	mods=$out/modules-$k
	rm -rf "$mods"
	mkdir -p "$mods"
	mod_seen=()
	mod_order=()
	for m in "${vm_modules[@]}"; do
		mod_walk "$md" "$m"
	done
	: >"$mods/load.list"
	for m in "${mod_order[@]}"; do
		name=${m%%:*} f=${m#*:}
		case "$f" in
		*.xz)	xz -dc "$f" ;;
		*.zst)	zstd -dcq "$f" ;;
		*.gz)	gzip -dc "$f" ;;
		*)	cat "$f" ;;
		esac >"$mods/$name.ko"
		echo "$name" >>"$mods/load.list"
	done
	log "kernel $k modules: $(tr '\n' ' ' <"$mods/load.list")"
done

# The strategy the automatic choice must make: fentry, but not on arm64
# before 6.4 (5.10, 6.1), where the kernel cannot attach fentry/fexit
# (ENOTSUPP: arm64 has BPF trampolines through ftrace direct calls only
# since 6.4) and netrace must fall back to kprobes.
expect_auto_of()	# expect_auto_of SERIES
{
	case "$arch:$1" in
	aarch64:5.10|aarch64:6.1) echo kprobe ;;
	*)		echo "$expect_auto" ;;
	esac
}

build_initramfs()	# build_initramfs SERIES MODE IMAGE
{
	local k=$1 mode=$2 img=$3 root
	root=$out/initramfs-$k-$mode
	rm -rf "$root"
	cp -a "$base" "$root"
	cp "$out/modules-$k/"* "$root/lib/modules/"
	cat >"$root/etc/nrvm.conf" <<EOF
NRVM_SERIES='$k'
NRVM_MODES='$mode'
NRVM_CHECKS='$(checks_of "$mode" | tr '\n' ' ')'
NRVM_EXPECT_AUTO='$(expect_auto_of "$k")'
NRVM_SUITE_TIMEOUT='$suite_timeout'
EOF
	( cd "$root" && find . -print0 | cpio --null -o -H newc --owner 0:0 --quiet ) |
		gzip -1 >"$img"
	rm -rf "$root"
}

# Each check is killed in the VM after --suite-timeout, so a hung suite
# still leaves a result block; the VM's own timeout is the backstop for a
# hung kernel: boot plus every check at its limit.
vm_timeout=${vm_timeout:-$(( 90 + ${#vm_checks[@]} * suite_timeout ))}

# ---- one VM --------------------------------------------------------------

# What tests/vm/smoke.sh checks, in its order.
smoke_applets="tcpconnect tcpaccept tcpstates tcplife tcpconnlat tcptracer"

expected_names()	# expected_names MODE: every check name a VM must report
{
	local mode=$1 c
	echo vm.modules vm.virtio_net vm.veth vm.btf vm.xdp_virtio
	for c in $(checks_of "$mode"); do
		case "$c" in
		smoke)	for a in $smoke_applets; do echo "smoke.$a.$mode"; done ;;
		*)	echo "$c.$mode" ;;
		esac
	done
}

boot_vm()	# boot_vm SERIES INITRD CONSOLE: sets rc to qemu's exit status
{
	rc=0
	timeout -k 10 "$vm_timeout" "$qemu" "${machine[@]}" "${accel[@]}" \
		-m 1024 -smp 2 -nographic -no-reboot \
		-kernel "${kdir[$1]}/boot/vmlinuz-${kver[$1]}" -initrd "$2" \
		-append "console=$tty panic=-1 oops=panic mitigations=off" \
		-netdev user,id=n0,restrict=on \
		-device virtio-net-pci,netdev=n0,romfile= \
		</dev/null >"$3" 2>&1 || rc=$?
}

run_vm()	# run_vm SERIES MODE: writes $out/result-SERIES-MODE.txt
{
	local k=$1 mode=$2 img console res t0 rc block n_lines n_decl name why
	console=$out/console-$k-$mode.log
	res=$out/result-$k-$mode.txt
	: >"$res"
	img=$out/initrd-$k-$mode.gz
	if ! build_initramfs "$k" "$mode" "$img"; then
		echo "FAIL vm.initramfs.$mode could not build $img" >>"$res"
		return 0
	fi
	t0=$(date +%s)
	boot_vm "$k" "$img" "$console"
	# A kernel that dies before it runs /init has not run a line of
	# netrace (TCG has shown a rare "Fatal exception in interrupt" early
	# in boot): boot once more, and say so in the summary.
	if [ $rc != 124 ] && [ $rc != 137 ] &&
	   ! grep -q 'Run /init as init process' "$console"; then
		why=$(tr -d '\r' <"$console" | grep -m1 -E 'Kernel panic|BUG:|Oops' ||
			tail -n 1 "$console" | tr -d '\r')
		mv "$console" "${console%.log}.try1.log"
		echo "RETRY vm.boot.$mode died before /init (qemu exit $rc): $why; console ${console%.log}.try1.log" >>"$res"
		log "$k $mode: the kernel died before /init ($why): booting again"
		boot_vm "$k" "$img" "$console"
	fi
	echo "TIME $(( $(date +%s) - t0 ))" >>"$res"
	rm -f "$img"

	block=$(tr -d '\r' <"$console" |
		sed -n '/^NETRACE-RESULT-BEGIN$/,/^NETRACE-RESULT-END$/p')
	if ! grep -q '^NETRACE-RESULT-BEGIN$' <<<"$block"; then
		if [ $rc = 124 ] || [ $rc = 137 ]; then
			why="VM timed out after ${vm_timeout}s without a result block"
		elif ! grep -q 'Run /init as init process' "$console"; then
			why="VM did not boot (qemu exit $rc): $(tail -n 3 "$console" | tr -d '\r' | tr '\n' '|')"
		else
			why="no NETRACE-RESULT-BEGIN marker (qemu exit $rc): $(tr -d '\r' <"$console" | grep -m1 -E 'Kernel panic|BUG:|Oops' || tail -n 2 "$console" | tr -d '\r' | tr '\n' '|')"
		fi
		echo "FAIL vm.boot.$mode $why" >>"$res"
		return 0
	fi
	if ! grep -q '^NETRACE-RESULT-END$' <<<"$block"; then
		echo "FAIL vm.result.$mode no NETRACE-RESULT-END marker (qemu exit $rc)" >>"$res"
	fi
	grep -E '^(PASS|FAIL|INFO) ' <<<"$block" >>"$res" || true
	n_lines=$(grep -cE '^(PASS|FAIL) ' <<<"$block" || true)
	n_decl=$(sed -n 's/^INFO checks \([0-9]*\)$/\1/p' <<<"$block")
	[ "$n_lines" = "${n_decl:-x}" ] ||
		echo "FAIL vm.result.$mode result block has $n_lines check lines, the VM declared ${n_decl:-none}" >>"$res"
	for name in $(expected_names "$mode"); do
		grep -qE "^(PASS|FAIL) $name( |\$)" <<<"$block" ||
			echo "FAIL $name missing from the result block" >>"$res"
	done
}

# ---- matrix --------------------------------------------------------------

rm -f "$out"/result-*.txt "$out"/console-*.log
for h in ${host_fail[@]+"${host_fail[@]}"}; do
	echo "FAIL $h" >>"$out/result-host.txt"
done

log "matrix: kernels ${kernels[*]}; strategies ${modes[*]}; checks ${vm_checks[*]}; ${jobs} VM(s) at once, ${vm_timeout}s each"
running=0
for k in "${kernels[@]}"; do
	for m in "${modes[@]}"; do
		if [ $running -ge "$jobs" ]; then
			wait -n || true
			running=$((running - 1))
		fi
		log "boot $k (${kver[$k]}), strategy $m"
		run_vm "$k" "$m" &
		running=$((running + 1))
	done
done
wait || true

# ---- report --------------------------------------------------------------

result_lines()	# result_lines TAG: every VM's TAG lines, "  [kernel] TAG ..."
{
	local k m

	for k in "${kernels[@]}"; do
		for m in "${modes[@]}"; do
			sed -n "s/^$1 /  [$k] $1 /p" "$out/result-$k-$m.txt"
		done
	done
}

status=0
summary=$out/summary.txt
{
	echo "netrace kernel matrix: $(date -u +%Y-%m-%dT%H:%M:%SZ), accel ${accel[1]}"
	for k in "${kernels[@]}"; do
		echo "kernel $k: ${kver[$k]}"
	done
	[ -z "$static_warn" ] ||
		echo "WARNING: the VMs ran a dynamically linked netrace: NETRACE_STATIC $static_warn"
	echo
	printf '%-6s %-20s' kernel check
	for m in "${modes[@]}"; do printf ' %-10s' "$m"; done
	echo
	for k in "${kernels[@]}"; do
		rows=(vm)
		for c in "${vm_checks[@]}"; do
			case "$c" in
			smoke) for a in $smoke_applets; do rows+=("smoke.$a"); done ;;
			*) rows+=("$c") ;;
			esac
		done
		for r in "${rows[@]}"; do
			printf '%-6s %-20s' "$k" "$r"
			for m in "${modes[@]}"; do
				f=$out/result-$k-$m.txt
				if [ "$r" = vm ]; then
					if grep -qE "^FAIL (vm\\.|vm\\.boot|vm\\.result)" "$f"; then
						v=FAIL
					else
						v=PASS
					fi
				elif grep -qE "^FAIL $r\\.$m( |\$)" "$f"; then
					v=FAIL
				elif grep -qE "^PASS $r\\.$m\$" "$f"; then
					v=PASS
				else
					v=-
				fi
				printf ' %-10s' "$v"
			done
			echo
		done
	done
	echo
	printf '%-6s %-20s' kernel "VM seconds"
	for m in "${modes[@]}"; do printf ' %-10s' "$m"; done
	echo
	for k in "${kernels[@]}"; do
		printf '%-6s %-20s' "$k" ""
		for m in "${modes[@]}"; do
			printf ' %-10s' "$(sed -n 's/^TIME //p' "$out/result-$k-$m.txt")"
		done
		echo
	done
	echo
	if grep -qh '^RETRY ' "$out"/result-*.txt 2>/dev/null; then
		echo "boots retried (a kernel died before /init; the second boot's result counts):"
		result_lines RETRY
	fi
	if grep -qh '^FAIL ' "$out"/result-*.txt 2>/dev/null; then
		echo "failures:"
		result_lines FAIL
		[ -f "$out/result-host.txt" ] && sed 's/^/  [host] /' "$out/result-host.txt"
	fi
	echo "total: $(( $(date +%s) - t_start ))s; console logs: $out/console-<kernel>-<strategy>.log"
} >"$summary"
cat "$summary"

if grep -qh '^FAIL ' "$out"/result-*.txt 2>/dev/null; then
	status=1
	echo "vm: FAILED: see the failures above and the console logs in $out" >&2
fi
n_pass=$(cat "$out"/result-*.txt | grep -c '^PASS ' || true)
n_fail=$(cat "$out"/result-*.txt | grep -c '^FAIL ' || true)
echo "vm: $n_pass passed, $n_fail failed"
exit $status
