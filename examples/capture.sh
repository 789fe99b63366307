#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# examples/capture.sh NETRACE [APPLET...]
#
# Runs the built netrace against loopback connections made here (a
# python3 http.server on 127.0.0.1/::1, curl and python3 clients, some as
# user nobody) and prints each applet invocation with its real output.
# The *_example.txt files quote this output; re-run it (as root) after an
# output change and paste the new blocks.  Nothing leaves loopback.
# Rows of processes other than these clients and servers are left out
# (see mine()): everything else is netrace's output as printed.
set -euo pipefail

[ $# -ge 1 ] || { echo "usage: $0 NETRACE [APPLET...]" >&2; exit 2; }
netrace=$(readlink -f "$1")
shift
applets=("$@")
[ ${#applets[@]} -gt 0 ] || mapfile -t applets < <("$netrace" --list)
[ "$(id -u)" -eq 0 ] || { echo "$0: run as root (BPF)" >&2; exit 1; }

py=/usr/bin/python3
port=8000
work=$(mktemp -d)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || :; done
	[ -z "${ns:-}" ] || ip netns del "$ns" 2>/dev/null || :
	wait 2>/dev/null || :
	rm -rf "$work"
}
trap cleanup EXIT

# Web server on port 8000: "serve [root|nobody] [ADDRESS]", by default
# dual-stack (::) and as root.
serve() {
	local -a as=()
	local bind=${2:-::}
	[ "${1:-}" = nobody ] && as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	mkdir -p "$work/www"
	echo hello >"$work/www/index.html"
	(cd "$work/www" && exec "${as[@]}" "$py" -m http.server --bind "$bind" \
		"$port" >/dev/null 2>&1) &
	server=$!
	pids+=("$server")
	for _ in $(seq 50); do
		curl -s -o /dev/null "http://127.0.0.1:$port/" && return 0
		sleep 0.1
	done
	echo "$0: http.server did not start" >&2
	exit 1
}
stop_server() { kill "$server"; wait "$server" 2>/dev/null || :; }

# Start "netrace ARGS" with output in $work/out, $work/err; wait until it
# traces (its header, or the banner on stderr).
start() {
	: >"$work/out"
	: >"$work/err"
	"$netrace" "$@" >"$work/out" 2>"$work/err" &
	tracer=$!
	pids+=("$tracer")
	for _ in $(seq 100); do
		if [ -s "$work/out" ] || grep -q Tracing "$work/err"; then
			sleep 0.3
			return 0
		fi
		sleep 0.1
	done
	echo "$0: netrace $* did not start: $(cat "$work/err")" >&2
	exit 1
}
# Ctrl-C, then show what it printed.
stop() {
	sleep 0.5
	kill -INT "$tracer"
	wait "$tracer" || echo "(exit status $?)"
	echo "----- stdout"
	mine <"$work/out"
	if [ -s "$work/err" ]; then
		echo "----- stderr"
		cat "$work/err"
	fi
	echo
}
show() { echo "===== netrace $*"; }

# Only the rows of the connections made here: test suites or services
# running at the same time on the capture host would clutter the example.
# Banners, headers and blank lines stay; event rows are kept by COMM
# (curl, python3), count rows (-c) by port (8000, 9).
mine() {
	awk '
		/CONNECTS/ || /"connects":/ { count = 1 }
		/^[^0-9:{]/ || /^$/ { print; next }
		count && /^\{/ { if ($0 ~ /"rport":(8000|9),/) print; next }
		count { if ($3 == 8000 || $3 == 9) print; next }
		/"comm":"(curl|python3)"/ || / (curl|python3) / || /,(curl|python3),/ { print }'
}

get() { curl -s -o /dev/null "$@" || :; }

# A DNS server on 127.0.0.1:53 that answers every A query with 127.0.0.2,
# and a resolver that asks it (the host's resolver is left alone).
dns_server() {
	"$py" -c 'import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
while True:
    q, addr = s.recvfrom(512)
    qid = struct.unpack("!H", q[:2])[0]
    i = 12
    while q[i]: i += q[i] + 1
    question, qtype = q[12:i + 5], struct.unpack("!H", q[i + 1:i + 3])[0]
    ans = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + \
        socket.inet_aton("127.0.0.2") if qtype == 1 else b""
    s.sendto(struct.pack("!HHHHHH", qid, 0x8180, 1, 1 if ans else 0, 0, 0)
             + question + ans, addr)' &
	dns=$!
	pids+=("$dns")
	sleep 0.5
}
resolve() {
	"$py" -c 'import socket, struct, sys
q = struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + b"".join(
    bytes([len(p)]) + p.encode() for p in sys.argv[1].split(".")) + b"\0" + \
    struct.pack("!HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
s.sendto(q, ("127.0.0.1", 53))
print(socket.inet_ntoa(s.recv(512)[-4:]))' "$1"
}
# A connect() to a closed port: refused, but its SYN was sent.
refused() {
	"$py" -c 'import socket,sys
s = socket.socket(); s.settimeout(2)
try: s.connect(("127.0.0.1", int(sys.argv[1])))
except OSError: pass' "$1"
}
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

tcpconnect() {
	serve
	show tcpconnect
	start tcpconnect
	get "http://127.0.0.1:$port/"
	get "http://[::1]:$port/"
	refused 9
	stop

	show tcpconnect -t
	start tcpconnect -t
	get "http://127.0.0.1:$port/"
	sleep 0.5
	get "http://[::1]:$port/"
	sleep 1
	refused 9
	stop

	show tcpconnect -U
	start tcpconnect -U
	get "http://127.0.0.1:$port/"
	as_nobody curl -s -o /dev/null "http://[::1]:$port/" || :
	stop

	show tcpconnect -L
	start tcpconnect -L
	get "http://127.0.0.1:$port/"
	get "http://[::1]:$port/"
	stop

	show tcpconnect -P 8000 -U
	start tcpconnect -P "$port" -U
	get "http://127.0.0.1:$port/"
	refused 9
	as_nobody curl -s -o /dev/null "http://127.0.0.1:$port/" || :
	stop

	show tcpconnect -c
	start tcpconnect -c
	for _ in 1 2 3; do get "http://127.0.0.1:$port/"; done
	get "http://[::1]:$port/"
	get "http://[::1]:$port/"
	refused 9
	stop

	show tcpconnect -j
	start tcpconnect -j
	get "http://127.0.0.1:$port/"
	as_nobody curl -s -o /dev/null "http://[::1]:$port/" || :
	stop

	show tcpconnect -c -j
	start tcpconnect -c -j
	get "http://127.0.0.1:$port/"
	get "http://127.0.0.1:$port/"
	get "http://[::1]:$port/"
	stop

	if ss -Hlun 'sport = :53' | grep -q .; then
		echo "(port 53 is taken here: no -d capture)"
	else
		dns_server
		show tcpconnect -d
		start tcpconnect -d
		get "http://$(resolve www.example.test):$port/"
		addr=$(resolve api.example.test)
		sleep 0.5
		get "http://$addr:$port/"
		get "http://127.0.0.1:$port/"
		refused 9
		stop
		show tcpconnect -d -j
		start tcpconnect -d -j
		get "http://$(resolve www.example.test):$port/"
		get "http://127.0.0.1:$port/"
		stop
		kill "$dns"
	fi
	stop_server
}

tcpaccept() {
	serve
	show tcpaccept
	start tcpaccept
	get "http://127.0.0.1:$port/"
	get "http://[::1]:$port/"
	stop

	show tcpaccept -T
	start tcpaccept -T
	get "http://127.0.0.1:$port/"
	sleep 1
	get "http://[::1]:$port/"
	stop

	show tcpaccept -t
	start tcpaccept -t
	get "http://127.0.0.1:$port/"
	sleep 0.5
	get "http://[::1]:$port/"
	stop

	show tcpaccept -j
	start tcpaccept -j
	get "http://127.0.0.1:$port/"
	get "http://[::1]:$port/"
	stop
	stop_server

	serve nobody
	show tcpaccept -U "(server running as nobody)"
	start tcpaccept -U
	get "http://127.0.0.1:$port/"
	get "http://[::1]:$port/"
	stop

	show tcpaccept -T -U -P 8000 -6
	start tcpaccept -T -U -P "$port" -6
	get "http://[::1]:$port/"
	stop
	stop_server

	serve root 127.0.0.1
	show tcpaccept "(IPv4-only server)"
	start tcpaccept
	get "http://127.0.0.1:$port/"
	get "http://127.0.0.1:$port/"
	stop
	stop_server
}

# An IPv6 socket connecting to ::ffff:127.0.0.1 (IPv4-mapped).
mapped() {
	"$py" -c 'import socket,sys
s = socket.socket(socket.AF_INET6); s.settimeout(2)
s.connect(("::ffff:127.0.0.1", int(sys.argv[1])))' "$1"
}
# A slow peer: a listener of backlog 1 holding two unaccepted connections
# drops curl's SYN; one is accepted 0.3 s later, and the SYN curl's kernel
# sends again after 1 s gets through.
slow_peer() {
	"$py" -c 'import socket, subprocess, threading, time
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 8001)); ls.listen(1)
fill = [socket.create_connection(("127.0.0.1", 8001)) for _ in range(2)]
def room():
    time.sleep(0.3)
    ls.accept()
threading.Thread(target=room, daemon=True).start()
subprocess.run(["curl", "-s", "-o", "/dev/null", "-m", "2",
                "http://127.0.0.1:8001/"])'
}

tcpconnlat() {
	serve
	show tcpconnlat
	start tcpconnlat
	get "http://127.0.0.1:$port/"
	get "http://[::1]:$port/"
	mapped "$port"
	refused 9
	stop

	show tcpconnlat -t -L
	start tcpconnlat -t -L
	get "http://127.0.0.1:$port/"
	sleep 0.5
	get "http://[::1]:$port/"
	stop

	show tcpconnlat 100 "(a slow peer on port 8001)"
	start tcpconnlat 100
	get "http://127.0.0.1:$port/"
	slow_peer
	stop

	show tcpconnlat -4
	start tcpconnlat -4
	get "http://127.0.0.1:$port/"
	get "http://[::1]:$port/"
	mapped "$port"
	stop

	show tcpconnlat -j
	start tcpconnlat -j
	get "http://127.0.0.1:$port/"
	refused 9
	stop
	stop_server
}

# xdpfeatures ARGS, in network namespace $ns when set; stderr shown too.
xf() {
	local -a in=()
	[ -n "${ns:-}" ] && in=(ip netns exec "$ns")
	show xdpfeatures "$@"
	"${in[@]}" "$netrace" xdpfeatures "$@" 2>&1 || echo "(exit status $?)"
	echo
}

xdpfeatures() {
	ns=
	xf --drivers
	xf
	xf -a
	xf -j
	# A network namespace of our own with a veth pair: nothing else there.
	ns=nr-example-$$
	ip netns add "$ns"
	ip -n "$ns" link add va type veth peer name vb
	ip -n "$ns" link set va up
	ip -n "$ns" link set vb up
	echo "(in network namespace $ns: lo and a veth pair va/vb)"
	xf
	xf -i va -v
	xf --probe -i va
	xf -i va -j
	ip netns del "$ns"
	ns=
}

# tcplife: sessions of curl with the web server, one of them 300 KiB.
tcplife() {
	serve
	head -c 307200 /dev/zero >"$work/www/big"
	show tcplife
	start tcplife
	get "http://127.0.0.1:$port/"
	get "http://127.0.0.1:$port/big"
	stop

	show tcplife -w
	start tcplife -w
	get "http://[::1]:$port/"
	get "http://127.0.0.1:$port/big"
	stop

	show tcplife -t
	start tcplife -t
	get "http://127.0.0.1:$port/"
	sleep 1
	get "http://127.0.0.1:$port/"
	stop

	show tcplife -stT
	start tcplife -stT
	get "http://127.0.0.1:$port/big"
	get "http://[::1]:$port/"
	stop

	show tcplife -L 8000
	start tcplife -L "$port"
	get "http://127.0.0.1:$port/"
	refused 9
	stop

	show tcplife -j
	start tcplife -j
	get "http://127.0.0.1:$port/big"
	stop
	stop_server
}

uname -r | sed 's/^/kernel: /'
for a in "${applets[@]}"; do
	declare -F "$a" >/dev/null || { echo "(no capture for $a)"; continue; }
	"$a"
done
