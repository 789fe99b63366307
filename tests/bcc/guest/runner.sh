#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# PID 1 of the BCC conformance VM (tests/bcc), after the initramfs has
# switched to the Debian root filesystem.  For every case in
# /opt/nrbcc/cases.sel it runs BCC's tool and netrace's applet at the same
# time, makes the traffic once, stops them all with SIGINT, and writes
# every output (and the -h texts and bad-input exit statuses) as a tar
# archive to /dev/vdb for the host to compare.  It compares nothing
# itself.  Then powers the VM off.
#
# cases.sel, one case a line, fields separated by "|":
#   NAME APPLET BCC-OPTIONS NETRACE-OPTIONS SCENARIOS
# (options may hold @PID, @CGMAP, @MNTNSMAP, @NETNS: the pid actor's PID, the
# pinned cgroup and mount-namespace maps).
set -euo pipefail

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8 TZ=UTC PYTHONUNBUFFERED=1
nr=/opt/nrbcc
export NRBCC_OUT=/run/nrbcc/out NRBCC_WORK=/run/nrbcc/work
res=/run/nrbcc/res
# BCC compiles with clang for ~45 s under TCG and ~300 MB each: a few at a
# time keep the one vCPU busy without running out of memory.
bcc_parallel=3
ready_timeout=600
traffic_timeout=600
# shellcheck source=/dev/null # written by tests/bcc/run
. "$nr/nrbcc.conf"

say() { echo "nrbcc: $*" >/dev/console; }

finish()
{
	say "writing results"
	tar -C /run/nrbcc -cf /dev/vdb res out work 2>/dev/console || say "tar failed"
	sync
	say "power off"
	echo o >/proc/sysrq-trigger
	sleep 30
}
trap finish EXIT

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null || true
mkdir -p /dev/pts /dev/shm
# devtmpfs has no /dev/fd: bash's <(...) needs it.
ln -sfn /proc/self/fd /dev/fd
ln -sfn /proc/self/fd/0 /dev/stdin
ln -sfn /proc/self/fd/1 /dev/stdout
ln -sfn /proc/self/fd/2 /dev/stderr
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null || true
mount -t bpf bpf /sys/fs/bpf
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mkdir -p "$NRBCC_OUT" "$NRBCC_WORK" "$res"
echo 4 >/proc/sys/kernel/printk
hostname nrbcc 2>/dev/null || true
ip link set lo up
# tcpstates -Y (BCC's through python3-systemd, netrace's own protocol)
# logs to the journal: a journald of the VM's own, when the root file
# system has one.
if [ -x /lib/systemd/systemd-journald ]; then
	/lib/systemd/systemd-journald </dev/null >/dev/null 2>&1 &
	for _ in $(seq 100); do
		[ -S /run/systemd/journal/socket ] && break
		sleep 0.2
	done
fi
say "kernel $(uname -r), $(dpkg-query -W -f='${Package} ${Version}' bpfcc-tools)"
uname -r >"$res/kernel"
dpkg-query -W -f='${Version}\n' bpfcc-tools >"$res/bcc-version"

# ---- usage texts and bad input (no BPF: Python's argparse, or netrace's
# parser, answers at once) --------------------------------------------------

bad_inputs()	# bad_inputs APPLET: one argument vector a line
{
	printf '%s\n' '--bogus' '-4 -6' '-p' '-P' '-x'
	case "$1" in
	tcpconnect) printf '%s\n' '-T' '-c -d' '-u' ;;
	tcpaccept) printf '%s\n' '-L' '-u 0' '-c' ;;
	tcpconnlat) printf '%s\n' 'abc' '-- -1' 'inf' '1 2' ;;
	tcplife) printf '%s\n' '-L' '-D' '-c' ;;
	tcpstates) printf '%s\n' '-L' '-D' '-c' '-w 1' ;;
	tcptracer) printf '%s\n' '-N' '-N abc' '-T' ;;
	esac
}
for applet in $(cut -d'|' -f2 "$nr/cases.sel" | sort -u); do
	"$applet-bpfcc" -h >"$res/help.$applet.bcc" 2>&1 || true
	"$nr/netrace" "$applet" -h >"$res/help.$applet.nr" 2>&1 || true
	: >"$res/badinput.$applet"
	while read -r args; do
		# shellcheck disable=SC2086 # one word an option
		b=0; timeout 120 "$applet-bpfcc" $args >/dev/null 2>&1 </dev/null || b=$?
		n=0; timeout 20 "$nr/netrace" "$applet" $args >/dev/null 2>&1 </dev/null || n=$?
		printf '%s\t%s\t%s\n' "$args" "$b" "$n" >>"$res/badinput.$applet"
	done < <(bad_inputs "$applet")
done
say "usage texts and bad input done"

# ---- fixtures: actors, cgroup, pinned maps --------------------------------

export NRBCC_CGROUP=/sys/fs/cgroup/nrbcc
mkdir -p "$NRBCC_CGROUP"
for a in pid mntns cgroup; do
	python3 "$nr/traffic.py" actor "$a" 2>>"$res/traffic.err" &
done
for _ in $(seq 100); do
	[ -e "$NRBCC_WORK/actor.pid" ] && [ -e "$NRBCC_WORK/actor.mntns" ] &&
		[ -e "$NRBCC_WORK/actor.cgroup" ] && break
	sleep 0.2
done
fact() { sed -n "s/^$2=//p" "$NRBCC_WORK/actor.$1"; }
actor_pid=$(fact pid pid)
# Map keys as the kernel stores them: host byte order (little endian).
le64() { printf '%016x' "$1" | sed 's/\(..\)/\1 /g' | tr ' ' '\n' | tac | tr '\n' ' '; }
cgmap=/sys/fs/bpf/nrbcc_cg
mntnsmap=/sys/fs/bpf/nrbcc_mntns
# The cgroup v2 id is the cgroup directory's inode number.
bpftool map create "$cgmap" type hash key 8 value 8 entries 1024 name cgroupset
# shellcheck disable=SC2046 # one byte a word
bpftool map update pinned "$cgmap" key hex $(le64 "$(stat -c %i "$NRBCC_CGROUP")") value hex 01 00 00 00 00 00 00 00
bpftool map create "$mntnsmap" type hash key 8 value 4 entries 1024 name mount_ns_set
# shellcheck disable=SC2046
bpftool map update pinned "$mntnsmap" key hex $(le64 "$(fact mntns mntns)") value hex 01 00 00 00

subst()	# subst OPTIONS: the fixtures' values in place of @NAMES
{
	local s=$1
	s=${s//@PID/$actor_pid}
	s=${s//@CGMAP/$cgmap}
	s=${s//@MNTNSMAP/$mntnsmap}
	s=${s//@NETNS/$(stat -Lc %i /proc/self/ns/net)}
	echo "$s"
}

# ---- tracers ---------------------------------------------------------------

declare -A bcc_of	# "applet opts" -> the BCC instance's file name
pids=()
names=()
ready_wait()	# ready_wait FILE PID [ERE]: until FILE has a line (matching
{		# ERE) or PID is gone
	local i
	for ((i = 0; i < ready_timeout * 5; i++)); do
		if [ $# -gt 2 ]; then
			grep -qE -- "$3" "$1" 2>/dev/null && return 0
		elif [ -s "$1" ]; then
			return 0
		fi
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.2
	done
	return 1
}
start()	# start NAME COMMAND...: output in $NRBCC_OUT/NAME
{
	local name=$1
	shift
	# A background command of a shell without job control starts with
	# SIGINT ignored, and Python then never raises KeyboardInterrupt: BCC
	# would not stop at Ctrl-C.  Back to the default for both tracers.
	env --default-signal=INT "$@" >"$NRBCC_OUT/$name" \
		2>"$NRBCC_WORK/$name.err" </dev/null &
	pids+=($!)
	names+=("$name")
	echo "$*" >"$NRBCC_WORK/$name.cmd"
}

# BCC first (slow), at most $bcc_parallel compiling at once; one BCC
# instance serves every case with the same applet and BCC options.
scen=""
n_bcc=0
t0=$(date +%s)
while IFS='|' read -r name applet bopts nopts scenarios; do
	scen="$scen ${scenarios//,/ }"
	key="$applet $bopts"
	if [ -z "${bcc_of[$key]:-}" ]; then
		n_bcc=$((n_bcc + 1))
		bcc_of[$key]=bcc$n_bcc
		# Wait for a slot: the oldest BCC still without output.
		while :; do
			busy=0
			for i in "${!names[@]}"; do
				[[ ${names[$i]} == bcc* ]] || continue
				[ -s "$NRBCC_OUT/${names[$i]}" ] && continue
				kill -0 "${pids[$i]}" 2>/dev/null && busy=$((busy + 1))
			done
			[ $busy -lt $bcc_parallel ] && break
			sleep 1
		done
		# shellcheck disable=SC2046 # options are words
		start "bcc$n_bcc" "$applet-bpfcc" $(subst "$bopts")
		say "started bcc$n_bcc: $applet-bpfcc $(subst "$bopts")"
	fi
	printf '%s\t%s\n' "$name" "${bcc_of[$key]}" >>"$res/bcc-of"
done <"$nr/cases.sel"
while IFS='|' read -r name applet bopts nopts scenarios; do
	[ "$nopts" = - ] && nopts=$bopts
	# shellcheck disable=SC2046
	start "nr.$name" "$nr/netrace" "$applet" $(subst "$nopts")
done <"$nr/cases.sel"

failed_start=0
for i in "${!names[@]}"; do
	# BCC's tcpconnlat -v prints its program before it compiles it: its
	# header says it traces.
	ready=()
	if grep -q -- '^tcpconnlat-bpfcc.* -v' "$NRBCC_WORK/${names[$i]}.cmd"; then
		ready=('^(TIME\(s\) +)?PID +COMM ')
	fi
	if ! ready_wait "$NRBCC_OUT/${names[$i]}" "${pids[$i]}" "${ready[@]}"; then
		say "${names[$i]} did not start: $(tail -n 5 "$NRBCC_WORK/${names[$i]}.err" | tr '\n' '|')"
		failed_start=1
	fi
done
echo "$(( $(date +%s) - t0 ))" >"$res/start-seconds"
say "$n_bcc BCC and $(wc -l <"$nr/cases.sel") netrace tracers ready after $(cat "$res/start-seconds") s"
# BCC prints its header, then opens its perf buffers: give it a moment.
sleep 5

# ---- traffic ---------------------------------------------------------------

# Each scenario once, in the order of the first case that names it.
order=()
declare -A seen
for s in $scen; do
	[ -n "${seen[$s]:-}" ] && continue
	seen[$s]=1
	order+=("$s")
done
t0=$(date +%s)
tr_rc=0
# Killed before the host's VM timeout, so that what was recorded still
# reaches the host.
timeout -k 5 "$traffic_timeout" python3 "$nr/traffic.py" run "${order[@]}" \
	2>>"$res/traffic.err" || tr_rc=$?
echo "$tr_rc" >"$res/traffic-rc"
echo "$(( $(date +%s) - t0 ))" >"$res/traffic-seconds"
say "traffic (${order[*]}): exit $tr_rc after $(cat "$res/traffic-seconds") s"

# ---- stop ------------------------------------------------------------------

for i in "${!names[@]}"; do
	kill -INT "${pids[$i]}" 2>/dev/null || true
done
# A tracer still there 60 s after SIGINT is killed (and fails).
stop_by=$(( $(date +%s) + 60 ))
for i in "${!names[@]}"; do
	rc=0
	while kill -0 "${pids[$i]}" 2>/dev/null && [ "$(date +%s)" -lt $stop_by ]; do
		sleep 0.2
	done
	kill -KILL "${pids[$i]}" 2>/dev/null || true
	wait "${pids[$i]}" || rc=$?
	printf '%s\t%s\n' "${names[$i]}" "$rc" >>"$res/exit-status"
done
echo "$failed_start" >"$res/failed-start"
# Who is who in the journal (its _PID): each tracer's process.
for i in "${!names[@]}"; do
	printf '%s\t%s\n' "${names[$i]}" "${pids[$i]}" >>"$res/pids"
done
if [ -S /run/systemd/journal/socket ]; then
	sleep 1
	journalctl -o json --no-pager -t tcpstates >"$res/journal.json" 2>/dev/null || true
fi
say "done"
