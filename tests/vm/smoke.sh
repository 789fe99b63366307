#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# In the VM: a self-contained check of every tracing applet in one mode,
# with nothing but busybox (nc, netstat) as the other side.  The tracers
# run at once with -j -v; one loopback connection is made from a busybox
# nc client to a busybox nc listener, and the JSON each tracer prints is
# checked against ground truth: the PIDs of the two nc processes, the
# listener's port and the client's port as netstat shows them while the
# connection is up.  tcpconnect and tcpaccept field by field; tcpstates,
# tcplife, tcpconnlat and tcptracer by their row of the connection and
# its owner (so the aarch64 matrix and the auto and perfbuf columns run
# them too).  The tcpaccept check is what proves
# that the fexit program reads inet_csk_accept's return value at the
# right place on this kernel (its argument list differs 6.1 / 6.12).
#
#   smoke.sh MODE EXPECT_AUTO OUT
#
# MODE: auto | fentry | kprobe | tracepoint | perfbuf.  EXPECT_AUTO: the
# strategy automatic selection must pick on this kernel (fentry; kprobe
# where the kernel cannot attach fentry, and there MODE fentry checks
# that --attach=fentry is refused cleanly).  Writes
# "PASS|FAIL smoke.<applet>.<mode> [reason]" lines to OUT.

mode="$1" expect_auto="$2" out="$3"
: >"$out"

case "$mode" in
auto)		opts="" want_att="$expect_auto" want_buf=ringbuf port=5101 ;;
fentry)		opts=--attach=fentry want_att=fentry want_buf=ringbuf port=5102 ;;
kprobe)		opts=--attach=kprobe want_att=kprobe want_buf=ringbuf port=5103 ;;
tracepoint)	opts=--attach=tracepoint want_att=tracepoint want_buf=ringbuf port=5104 ;;
perfbuf)	opts=--buffer=perfbuf want_att="$expect_auto" want_buf=perfbuf port=5105 ;;
*)		echo "FAIL smoke.mode.$mode unknown mode" >"$out"; exit 0 ;;
esac

d="/tmp/smoke.$mode"
rm -rf "$d"
mkdir -p "$d"

# wait_for FILE PATTERN SECONDS [PID]: 0 once grep finds it; 1 on timeout
# or when PID (the process that writes FILE) is gone without printing it.
wait_for()
{
	local f="$1" pat="$2" n=$(($3 * 10)) pid="$4"

	while [ "$n" -gt 0 ]; do
		grep -q -- "$pat" "$f" 2>/dev/null && return 0
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			grep -q -- "$pat" "$f" 2>/dev/null
			return
		fi
		usleep 100000
		n=$((n - 1))
	done
	return 1
}

# The interesting part of a tracer's stderr: its own lines, not libbpf's.
own_lines()
{
	grep -v '^libbpf: ' "$1" | tail -n "${2:-20}" | tr '\n' '|'
}

# A kernel that cannot attach fentry at all (automatic selection must not
# pick it: arm64 6.1): --attach=fentry must fail at once, exit 1, with
# one line that says so and no libbpf noise (no -v).
if [ "$mode" = fentry ] && [ "$expect_auto" != fentry ]; then
	# tcpstates has no trampoline: its fentry strategy is a BTF
	# tracepoint, which such a kernel attaches.
	rc=0
	netrace tcpstates --attach=fentry -v >"$d/tcpstates.out" 2>"$d/tcpstates.err" &
	p=$!
	wait_for "$d/tcpstates.err" ": attach strategy: fentry" 60 "$p" || rc=1
	kill -INT "$p" 2>/dev/null
	n=100
	while [ $n -gt 0 ] && kill -0 "$p" 2>/dev/null; do
		usleep 100000
		n=$((n - 1))
	done
	kill -KILL "$p" 2>/dev/null && rc=1
	wait "$p" || rc=1
	if [ "$rc" = 0 ]; then
		echo "PASS smoke.tcpstates.$mode" >>"$out"
	else
		echo "FAIL smoke.tcpstates.$mode want 'attach strategy: fentry' and exit 0 at SIGINT: $(own_lines "$d/tcpstates.err" 8)" >>"$out"
	fi
	for app in tcpconnect tcpaccept tcplife tcpconnlat tcptracer; do
		rc=0
		/opt/netrace/netrace $app --attach=fentry >"$d/$app.out" 2>"$d/$app.err" || rc=$?
		lines=$(wc -l <"$d/$app.err")
		if [ "$rc" = 1 ] && [ "$lines" = 1 ] && [ ! -s "$d/$app.out" ] &&
		   grep -q "^$app: cannot attach with --attach=fentry: not supported by this kernel" "$d/$app.err"; then
			echo "PASS smoke.$app.$mode" >>"$out"
			sed "s/^/[smoke.$app.$mode stderr] /" "$d/$app.err"
		else
			echo "FAIL smoke.$app.$mode want exit 1 and one line 'cannot attach ... not supported by this kernel', got exit $rc, $lines lines: $(head -c 300 "$d/$app.err" | tr '\n' '|')" >>"$out"
		fi
	done
	exit 0
fi
echo "nrvm: smoke $mode: netrace {tcpconnect,tcpaccept,tcpstates,tcplife,tcpconnlat,tcptracer} -j -v $opts"

json_num()
{
	echo "$1" | sed -n "s/.*\"$2\":\([0-9-]*\).*/\1/p"
}

json_str()
{
	echo "$1" | sed -n "s/.*\"$2\":\"\([^\"]*\)\".*/\1/p"
}

# The row of the connection each other applet must print (a grep
# pattern): tcpstates its client's establishment, tcplife the client's
# session, tcpconnlat its connect, tcptracer its connect.
other_row()
{
	case "$1" in
	tcpstates)	echo "\"lport\":$cport,\"raddr\":\"127.0.0.1\",\"rport\":$port,\"oldstate\":\"SYN_SENT\",\"newstate\":\"ESTABLISHED\"" ;;
	tcplife)	echo "\"lport\":$cport,\"raddr\":\"127.0.0.1\",\"rport\":$port," ;;
	tcpconnlat)	echo "\"lport\":$cport,\"daddr\":\"127.0.0.1\",\"dport\":$port," ;;
	tcptracer)	echo "\"type\":\"connect\",.*\"sport\":$cport,\"dport\":$port," ;;
	esac
}

others_wait()
{
	local app

	for app in $others; do
		wait_for "$d/$app.out" "$(other_row $app)" 20
	done
}

# Exit statuses of the others, after SIGINT, in $others_rc (same order).
others_reap()
{
	local p rc

	others_rc=""
	for p in $others_pids; do
		n=100
		while [ $n -gt 0 ] && kill -0 "$p" 2>/dev/null; do
			usleep 100000
			n=$((n - 1))
		done
		kill -0 "$p" 2>/dev/null && kill -KILL "$p" && echo "nrvm: pid $p ignored SIGINT"
		rc=0
		wait "$p" || rc=$?
		others_rc="$others_rc $rc"
	done
}

# check_other APP RC: its row, PID and COMM the client's (tcpstates:
# none, its establishment runs in a softirq), strategy, buffer, exit.
check_other()
{
	local app="$1" rc="$2" line why=

	if [ -z "$cport" ]; then
		echo " test setup: no ESTABLISHED nc connection to port $port;"
		return
	fi
	line=$(grep -- "$(other_row "$app")" "$d/$app.out" | head -n 1)
	if [ -z "$line" ]; then
		why="no JSON row matching $(other_row "$app") (stdout: $(head -c 300 "$d/$app.out" | tr '\n' '|'));"
	elif [ "$app" != tcpstates ]; then
		[ "$(json_num "$line" pid)" = "$cpid" ] ||
			why="$why pid $(json_num "$line" pid), want $cpid;"
		[ "$(json_str "$line" comm)" = nc ] ||
			why="$why comm '$(json_str "$line" comm)', want nc;"
	fi
	# tcpstates' fentry strategy is a BTF tracepoint: where trampolines
	# cannot attach (arm64 6.1), automatic selection still picks it.
	local want="$want_att"
	[ "$app" = tcpstates ] && [ "$opts" != --attach=kprobe ] &&
		[ "$opts" != --attach=tracepoint ] && want_att=fentry
	why="$why$(check_common "$app" "$rc" "$d/$app.err")"
	want_att="$want"
	[ -z "$why" ] || echo "$why row: $line"
}

netrace tcpconnect -j -v $opts >"$d/c.out" 2>"$d/c.err" &
trc=$!
netrace tcpaccept -j -v $opts >"$d/a.out" 2>"$d/a.err" &
tra=$!
# The others: NAME.out, NAME.err, their PIDs in $others_pids.
others="tcpstates tcplife tcpconnlat tcptracer"
others_pids=""
for app in $others; do
	netrace $app -j -v $opts >"$d/$app.out" 2>"$d/$app.err" &
	others_pids="$others_pids $!"
done

c_ok=1 a_ok=1
c_why="" a_why=""
if ! wait_for "$d/c.err" "^Tracing connect" 180 "$trc"; then
	c_ok=0 c_why="no 'Tracing connect' banner: $(own_lines "$d/c.err" 8)"
fi
if ! wait_for "$d/a.err" "^Tracing accept" 180 "$tra"; then
	a_ok=0 a_why="no 'Tracing accept' banner: $(own_lines "$d/a.err" 8)"
fi
# The others are attached once -v says which strategy (their rows then
# tell whether they saw the connection).
set -- $others_pids
for app in $others; do
	wait_for "$d/$app.err" ": attach strategy: " 180 "$1"
	shift
done

cport="" lpid="" cpid=""
if [ $c_ok = 1 ] || [ $a_ok = 1 ]; then
	# Listener and client each hold the connection a few seconds, so
	# netstat can see it: that is the ground truth for the client port.
	sleep 6 | nc -l -p "$port" >/dev/null 2>&1 &
	lpid=$!
	n=50
	while [ $n -gt 0 ] && ! netstat -tln | grep -q ":$port "; do
		usleep 100000
		n=$((n - 1))
	done
	sleep 4 | nc 127.0.0.1 "$port" >/dev/null 2>&1 &
	cpid=$!
	n=50
	while [ $n -gt 0 ]; do
		cport=$(netstat -tn | awk -v p="127.0.0.1:$port" \
			'$5 == p && $6 == "ESTABLISHED" { split($4, a, ":"); print a[2]; exit }')
		[ -n "$cport" ] && break
		usleep 100000
		n=$((n - 1))
	done
	if [ -z "$cport" ]; then
		c_ok=0 a_ok=0
		c_why="test setup: no ESTABLISHED nc connection to port $port"
		a_why="$c_why"
	fi
	# The accepted socket as netstat shows it: busybox nc listens on a
	# dual-stack IPv6 socket where it can, and then the accepted IPv4
	# connection is IPv6 with v4-mapped addresses (as BCC shows it too).
	saddr=$(netstat -tn | awk -v p=":$port" \
		'substr($4, length($4) - length(p) + 1) == p && $6 == "ESTABLISHED" {
			print substr($4, 1, length($4) - length(p)); exit }')
	case "$saddr" in
	::ffff:127.0.0.1) a_ip=6 a_addr=::ffff:127.0.0.1 ;;
	*) a_ip=4 a_addr=127.0.0.1 ;;
	esac
fi

# Each tracer's event for this connection.
cline="" aline=""
if [ $c_ok = 1 ]; then
	wait_for "$d/c.out" "\"dport\":${port}[,}]" 20 "$trc"
	cline=$(grep "\"dport\":${port}[,}]" "$d/c.out" | head -n 1)
fi
if [ $a_ok = 1 ]; then
	wait_for "$d/a.out" "\"lport\":${port}[,}]" 20 "$tra"
	aline=$(grep "\"lport\":${port}[,}]" "$d/a.out" | head -n 1)
fi

# The others' rows: the session's end (tcplife) comes when both nc are
# gone, so end them now rather than after their sleeps.
[ -n "$cpid" ] && kill "$cpid" 2>/dev/null
[ -n "$lpid" ] && kill "$lpid" 2>/dev/null
[ -n "$cport" ] && others_wait

# Stop all (SIGINT: exit status 0 expected) and reap the nc processes.
for p in $trc $tra $others_pids; do
	kill -INT "$p" 2>/dev/null
done
n=100
while [ $n -gt 0 ] && { kill -0 "$trc" || kill -0 "$tra"; } 2>/dev/null; do
	usleep 100000
	n=$((n - 1))
done
for p in $trc $tra; do
	kill -0 "$p" 2>/dev/null && kill -KILL "$p" && echo "nrvm: pid $p ignored SIGINT"
done
wait "$trc"
crc=$?
wait "$tra"
arc=$?
others_reap
[ -n "$lpid" ] && kill "$lpid" 2>/dev/null
[ -n "$cpid" ] && kill "$cpid" 2>/dev/null
wait 2>/dev/null

# check_common APPLET RC ERRFILE: strategy, buffer, exit status.
check_common()
{
	local app="$1" rc="$2" err="$3" got why=

	got=$(sed -n 's/^[a-z]*: attach strategy: \([a-z]*\)$/\1/p' "$err" | head -n 1)
	[ "$got" = "$want_att" ] ||
		why="$why attach strategy '${got:-none}', want '$want_att';"
	got=$(sed -n 's/^[a-z]*: event buffer: \([a-z]*\)$/\1/p' "$err" | head -n 1)
	[ "$got" = "$want_buf" ] ||
		why="$why event buffer '${got:-none}', want '$want_buf';"
	[ "$rc" -eq 0 ] || why="$why exit status $rc after SIGINT;"
	echo "$why"
}

# tcpconnect: the client nc connected to 127.0.0.1:port from cport.
if [ $c_ok = 1 ]; then
	why=
	if [ -z "$cline" ]; then
		why="no JSON event with dport $port (stdout: $(head -c 300 "$d/c.out" | tr '\n' '|'));"
	else
		[ "$(json_num "$cline" pid)" = "$cpid" ] ||
			why="$why pid $(json_num "$cline" pid), want $cpid;"
		[ "$(json_str "$cline" comm)" = nc ] ||
			why="$why comm '$(json_str "$cline" comm)', want nc;"
		[ "$(json_num "$cline" ip)" = 4 ] ||
			why="$why ip $(json_num "$cline" ip), want 4;"
		[ "$(json_str "$cline" saddr)" = 127.0.0.1 ] ||
			why="$why saddr $(json_str "$cline" saddr);"
		[ "$(json_str "$cline" daddr)" = 127.0.0.1 ] ||
			why="$why daddr $(json_str "$cline" daddr);"
		[ "$(json_num "$cline" lport)" = "$cport" ] ||
			why="$why lport $(json_num "$cline" lport), want $cport;"
		[ "$(json_num "$cline" uid)" = 0 ] ||
			why="$why uid $(json_num "$cline" uid), want 0;"
	fi
	why="$why$(check_common tcpconnect "$crc" "$d/c.err")"
	[ -z "$why" ] || { c_ok=0; c_why="$why event: $cline"; }
fi

# tcpaccept: the listener nc accepted on port from the client's cport.
if [ $a_ok = 1 ]; then
	why=
	if [ -z "$aline" ]; then
		why="no JSON event with lport $port (stdout: $(head -c 300 "$d/a.out" | tr '\n' '|'));"
	else
		[ "$(json_num "$aline" pid)" = "$lpid" ] ||
			why="$why pid $(json_num "$aline" pid), want $lpid;"
		[ "$(json_str "$aline" comm)" = nc ] ||
			why="$why comm '$(json_str "$aline" comm)', want nc;"
		[ "$(json_num "$aline" ip)" = "$a_ip" ] ||
			why="$why ip $(json_num "$aline" ip), want $a_ip;"
		[ "$(json_str "$aline" laddr)" = "$a_addr" ] ||
			why="$why laddr $(json_str "$aline" laddr), want $a_addr;"
		[ "$(json_str "$aline" raddr)" = "$a_addr" ] ||
			why="$why raddr $(json_str "$aline" raddr), want $a_addr;"
		[ "$(json_num "$aline" rport)" = "$cport" ] ||
			why="$why rport $(json_num "$aline" rport), want $cport;"
		[ "$(json_num "$aline" uid)" = 0 ] ||
			why="$why uid $(json_num "$aline" uid), want 0;"
	fi
	why="$why$(check_common tcpaccept "$arc" "$d/a.err")"
	[ -z "$why" ] || { a_ok=0; a_why="$why event: $aline"; }
fi

# The console log keeps what each tracer said; all of it on a failure
# (libbpf's verifier log is the finding then).
set -- $others_rc
for app in tcpconnect tcpaccept $others; do
	case $app in
	tcpconnect)	ok=$c_ok why=$c_why f=c ;;
	tcpaccept)	ok=$a_ok why=$a_why f=a ;;
	*)		why=$(check_other "$app" "$1") f=$app ok=1
			[ -z "$why" ] || ok=0
			shift ;;
	esac
	if [ "$ok" = 1 ]; then
		echo "PASS smoke.$app.$mode" >>"$out"
		grep -v '^libbpf: ' "$d/$f.err" | sed "s/^/[smoke.$app.$mode stderr] /"
	else
		echo "FAIL smoke.$app.$mode$(echo " $why" | tr -s ' ')" >>"$out"
		sed "s/^/[smoke.$app.$mode stderr] /" "$d/$f.err"
	fi
	sed "s/^/[smoke.$app.$mode stdout] /" "$d/$f.out"
done
exit 0
