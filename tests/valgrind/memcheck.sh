#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# valgrind.memcheck: every applet once under valgrind's memcheck, on real
# work: each tracer while a connection storm of its own on loopback
# (bench/nrstorm, held until the tracer is ready and then traced by -p)
# gives it events, stopped with SIGINT; xdpfeatures in a network
# namespace of its own with a veth pair.  Each run must exit 0 with no
# memcheck error: no invalid access, no use of uninitialised memory, no
# definitely or indirectly lost block at exit.  netrace.supp beside this
# script holds the suppressions, each with its reason.
#
# Usage: memcheck.sh --netrace PATH --storm PATH/TO/nrstorm --work DIR
# Needs root; not root is a skip, or a failure with CI=true or
# NETRACE_REQUIRE_PRIV=1.  NETRACE_ATTACH, if set, is passed as --attach.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/packaging/lib.sh
. "$here/../packaging/lib.sh"

nr='' storm='' work=''
while [ $# -gt 0 ]; do
	case $1 in
	--netrace)	nr=$2; shift 2 ;;
	--storm)	storm=$2; shift 2 ;;
	--work)		work=$2; shift 2 ;;
	*)		echo "usage: $0 --netrace PATH --storm PATH --work DIR" >&2
			exit 2 ;;
	esac
done
if [ -z "$nr" ] || [ -z "$storm" ] || [ -z "$work" ]; then
	echo "usage: $0 --netrace PATH --storm PATH --work DIR" >&2
	exit 2
fi

[ "$(id -u)" -eq 0 ] || skip_or_fail "valgrind.memcheck needs root (BPF)"
need_tools "valgrind iproute2" valgrind ip

conns=40		# connections per tracer run
ready_s=120		# start-up under valgrind: parsing BTF is slow there
events_s=60

rm -rf "$work"
mkdir -p "$work"
netns=nr-vg-$$
cleanup() {
	ip netns del "$netns" 2>/dev/null || true
}
trap cleanup EXIT

attach=()
[ -z "${NETRACE_ATTACH:-}" ] || attach=(--attach="$NETRACE_ATTACH")

# shellcheck disable=SC2054 # the commas are valgrind's
vg=(valgrind --tool=memcheck --leak-check=full
	--show-leak-kinds=definite,indirect
	--errors-for-leak-kinds=definite,indirect --error-exitcode=99
	--suppressions="$here/netrace.supp")

# vg_verdict NAME STATUS: the run's exit status and memcheck's summary.
vg_verdict() {
	local name=$1 st=$2 log=$work/$1.vg.log
	if [ "$st" -eq 0 ] && grep -q 'ERROR SUMMARY: 0 errors' "$log"; then
		ok "$name: exit 0, no memcheck error"
	else
		not_ok "$name: exit $st (99: memcheck errors), log $log:"
		grep -v '^--' "$log" | sed 's/^/    /' | head -n 150
		sed 's/^/    stderr: /' "$work/$name.err" | head -n 20
	fi
	# Valgrind 3.19 passes BPF_LINK_CREATE (28) and BPF_PROG_BIND_MAP
	# (35) to the kernel unchecked: both only read their attr and write
	# no user memory, so nothing is left unknown to memcheck.  Said, not
	# failed; any other unhandled call is shown the same way.
	sed -n 's/^--[0-9]*-- WARNING: \(unhandled .*\)/\1/p' "$log" |
		sort | uniq -c | sed -e "s/^ */  note: $name: /" \
			-e 's/command 28$/&: BPF_LINK_CREATE/' \
			-e 's/command 35$/&: BPF_PROG_BIND_MAP/'
}

# trace NAME APPLET ARGS...: the applet under valgrind, -p the storm.
trace() {
	local name=$1 st=0 spid tpid t n
	shift
	rm -f "$work/go"
	mkfifo "$work/go"
	# The storm waits for the tracer: its PID is known before it runs.
	( read -r _ <"$work/go"; exec "$storm" -n "$conns" -t 1 -d 30 ) \
		>"$work/$name.storm" 2>&1 &
	spid=$!
	"${vg[@]}" --log-file="$work/$name.vg.log" "$nr" "$@" -p "$spid" \
		"${attach[@]}" >"$work/$name.out" 2>"$work/$name.err" &
	tpid=$!
	for ((t = 0; t < ready_s * 10; t++)); do
		grep -q '^Tracing' "$work/$name.err" && break
		kill -0 "$tpid" 2>/dev/null || break
		sleep 0.1
	done
	if ! grep -q '^Tracing' "$work/$name.err"; then
		not_ok "$name: not ready within ${ready_s}s: $(head -c 500 "$work/$name.err")"
		kill "$spid" "$tpid" 2>/dev/null || true
		wait "$tpid" || true
		wait "$spid" || true
		return
	fi
	echo go >"$work/go"
	wait "$spid" || not_ok "$name: nrstorm failed: $(cat "$work/$name.storm")"
	# Every connection of the storm is an event (-j: one line each).
	for ((t = 0; t < events_s * 10; t++)); do
		n=$(grep -c "\"pid\":$spid," "$work/$name.out" || true)
		[ "$n" -ge "$conns" ] && break
		sleep 0.1
	done
	check "$name: $n of the storm's $conns connections traced" \
		test "$n" -ge "$conns"
	kill -INT "$tpid"
	wait "$tpid" || st=$?
	vg_verdict "$name" "$st"
}

trace tcpconnect tcpconnect -j -L -U
trace tcpaccept tcpaccept -j -T
trace tcplife tcplife -j -T

# xdpfeatures: a veth pair in a namespace of our own, so that --probe
# attaches XDP only there.
ip netns add "$netns"
ip -n "$netns" link add nrvg0 type veth peer name nrvg1
ip -n "$netns" link set nrvg0 up
ip -n "$netns" link set nrvg1 up
xdp() {
	local name=$1 st=0
	shift
	ip netns exec "$netns" "${vg[@]}" --log-file="$work/$name.vg.log" \
		"$nr" xdpfeatures "$@" >"$work/$name.out" 2>"$work/$name.err" ||
		st=$?
	vg_verdict "$name" "$st"
	check "$name: lists nrvg0" grep -q nrvg0 "$work/$name.out"
}
xdp xdpfeatures -a
xdp xdpfeatures-probe --probe -i nrvg0,nrvg1 -j
finish
