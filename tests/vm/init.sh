#!/bin/busybox sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# /init of the kernel test VM (busybox ash; not bash: busybox-static is all
# the initramfs has).  Mounts what the tracers and the suites need, loads
# the modules, runs every (check, mode) that /etc/nrvm.conf asks for and
# prints one result block on the console:
#
#   NETRACE-RESULT-BEGIN
#   INFO kernel <uname -r>
#   PASS <check>.<mode>
#   FAIL <check>.<mode> <reason>
#   INFO <check>.<mode> seconds <n>
#   INFO checks <number of PASS/FAIL lines above>
#   NETRACE-RESULT-END
#
# then powers off.  tests/vm/run.sh parses the block.  Anything that kills
# this script panics the kernel (panic=-1, -no-reboot): qemu exits and the
# missing markers are reported by run.sh.

/bin/busybox mkdir -p /bin /sbin /usr/bin /usr/sbin
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin:/opt/netrace
export HOME=/root TERM=dumb

RESULTS=/run/nrvm/results
NCHECKS=0

result()	# result PASS|FAIL name [reason...]
{
	local what="$1" name="$2"

	shift 2
	if [ "$what" = PASS ]; then
		echo "PASS $name" >>"$RESULTS"
	else
		echo "FAIL $name ${*:-failed}" >>"$RESULTS"
	fi
	NCHECKS=$((NCHECKS + 1))
	echo "nrvm: $what $name $*"
}

info()
{
	echo "INFO $*" >>"$RESULTS"
}

finish()
{
	# Nothing from the kernel may land inside the block.
	echo 1 >/proc/sys/kernel/printk 2>/dev/null
	sync
	sleep 1
	echo
	echo "NETRACE-RESULT-BEGIN"
	cat "$RESULTS"
	echo "INFO checks $NCHECKS"
	echo "NETRACE-RESULT-END"
	sleep 1
	poweroff -f
	# Not reached; if it is, the panic ends the VM all the same.
	exit 1
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm /run /tmp
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /dev/shm
chmod 1777 /tmp /dev/shm
mkdir -p /run/nrvm /var
ln -sfn /run /var/run
: >"$RESULTS"

# The tracers mount tracefs themselves when they need it; the VM mounts it
# too, so the kprobe strategy's checks find kprobe_events either way.
mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
mount -t debugfs nodev /sys/kernel/debug 2>/dev/null
mount -t bpf bpf /sys/fs/bpf
mount -t cgroup2 cgroup2 /sys/fs/cgroup

. /etc/nrvm.conf

# Keep the console readable: the suites' output, not kernel chatter.
echo 4 >/proc/sys/kernel/printk
hostname nrvm
ip link set lo up

info "kernel $(uname -r)"
info "series $NRVM_SERIES"

# Modules in dependency order (run.sh computed it from each .ko's depends).
modfail=
for m in $(cat /lib/modules/load.list); do
	if ! out=$(insmod "/lib/modules/$m.ko" 2>&1); then
		modfail="$modfail $m: $out;"
	fi
done
if [ -z "$modfail" ]; then
	result PASS vm.modules
else
	result FAIL vm.modules "insmod failed:$modfail"
fi

# The virtio-net device (no network behind it: user-mode with restrict=on)
# must be bound by virtio_net: proves the module set is complete.
drv=
for n in /sys/class/net/*; do
	[ -e "$n/device/driver" ] || continue
	d=$(basename "$(readlink "$n/device/driver")")
	if [ "$d" = virtio_net ]; then
		drv=$(basename "$n")
		break
	fi
done
if [ -n "$drv" ]; then
	ip link set "$drv" up
	result PASS vm.virtio_net
else
	result FAIL vm.virtio_net "no network interface bound to virtio_net"
fi

# veth (namespaces only, never routed anywhere): the module must work.
if ip link add nrvm0 type veth peer name nrvm1 2>/dev/null; then
	ip link del nrvm0
	result PASS vm.veth
else
	result FAIL vm.veth "ip link add type veth failed"
fi

if [ -r /sys/kernel/btf/vmlinux ]; then
	result PASS vm.btf
else
	result FAIL vm.btf "no /sys/kernel/btf/vmlinux"
fi

# xdpfeatures on the real virtio_net device: live flags from the netdev
# family since 6.3 (6.12 here), the documentation's table before (6.1).
xdp_row=$(/opt/netrace/netrace xdpfeatures -j -i "${drv:-none}" 2>&1)
case "$(uname -r)" in
5.10.*|6.1.*)	xdp_want='"source":"table"' xdp_live='"basic_table":"yes"' ;;
*)	xdp_want='"source":"kernel"' xdp_live='"basic":true' ;;
esac
if echo "$xdp_row" | grep -q '"driver":"virtio_net"' &&
   echo "$xdp_row" | grep -qF "$xdp_want" &&
   echo "$xdp_row" | grep -qF "$xdp_live"; then
	result PASS vm.xdp_virtio
else
	result FAIL vm.xdp_virtio "want virtio_net, $xdp_want: $xdp_row"
fi

for mode in $NRVM_MODES; do
	for check in $NRVM_CHECKS; do
		t0=$(date +%s)
		case "$check" in
		smoke)
			/opt/nrvm/smoke.sh "$mode" "$NRVM_EXPECT_AUTO" \
				"$RESULTS.smoke"
			while read -r what name reason; do
				result "$what" "$name" "$reason"
			done <"$RESULTS.smoke"
			rm -f "$RESULTS.smoke"
			;;
		it_*)
			/opt/nrvm/suite.sh "$check" "$mode" "$NRVM_SUITE_TIMEOUT" \
				"$RESULTS.suite"
			read -r what name reason <"$RESULTS.suite"
			result "$what" "$name" "$reason"
			rm -f "$RESULTS.suite"
			;;
		esac
		info "$check.$mode seconds $(($(date +%s) - t0))"
	done
done

finish
