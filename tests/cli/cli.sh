#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# The command line contract of every applet: dispatch, help, --ebpf, and
# bad input rejected with one line and exit 2 before anything is loaded.
# Usage: cli.sh PATH/TO/netrace
set -uo pipefail

nr=$1
pass=0 fail=0
# Checking what an unprivileged user sees needs root to become one.
if [ "$(id -u)" -ne 0 ]; then
	if [ "${CI:-}" = true ] || [ "${NETRACE_REQUIRE_PRIV:-}" = 1 ]; then
		echo "cli: privileged test skipped in CI"; exit 1
	fi
	echo "cli: not root, skipped"; exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# expect STATUS STDERR_LINES CMD...: exit status and number of stderr lines
expect() {
	local want=$1 lines=$2 got n
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	n=$(wc -l <"$tmp/err")
	if [ "$got" -ne "$want" ]; then
		bad "$*: exit $got, want $want ($(head -c 300 "$tmp/err"))"
	elif [ "$lines" -ge 0 ] && [ "$n" -ne "$lines" ]; then
		bad "$*: $n stderr lines, want $lines: $(cat "$tmp/err")"
	else
		ok
	fi
}

applets=$("$nr" --list)
[ -n "$applets" ] && ok || bad "--list printed nothing"
[ "$applets" = "$(printf '%s\n' "$applets" | LC_ALL=C sort -u)" ] && ok ||
	bad "--list is not sorted and unique: $applets"

expect 0 0 "$nr" --help
grep -q '^usage: netrace' "$tmp/out" && ok || bad "netrace --help: no usage line"
for a in $applets; do
	grep -q "^  $a " "$tmp/out" && ok || bad "netrace --help does not list $a"
done
expect 0 0 "$nr" --version
grep -qE '^netrace [0-9]+\.[0-9]+\.[0-9]+$' "$tmp/out" && ok || bad "--version: $(cat "$tmp/out")"
expect 2 -1 "$nr"
expect 2 -1 "$nr" nosuchapplet
grep -q "nosuchapplet" "$tmp/err" && ok || bad "unknown applet not named"

# An applet through a link named after it, and through netrace APPLET.
for a in $applets; do
	ln -sf "$(readlink -f "$nr")" "$tmp/$a"
	expect 0 0 "$tmp/$a" --help
	grep -q "^usage: $a " "$tmp/out" && ok || bad "$a --help via link: no usage"
	grep -q '^examples:' "$tmp/out" && ok || bad "$a --help: no examples"
	cp "$tmp/out" "$tmp/help-link"
	expect 0 0 "$nr" "$a" -h
	cmp -s "$tmp/out" "$tmp/help-link" && ok || bad "$a: -h differs between link and netrace $a"
done

# --ebpf prints the applet's own BPF source and loads nothing: it must
# work without privileges too.
prefix_of() {
	case $1 in
	tcpconnect) echo tc_ ;;
	tcpaccept) echo ta_ ;;
	tcplife) echo tl_ ;;
	esac
}
for a in tcpconnect tcpaccept tcplife; do
	prefix=$(prefix_of $a)
	expect 0 0 "$nr" $a --ebpf
	grep -q "int.*(${prefix}" "$tmp/out" && ok || bad "$a --ebpf: no ${prefix} program"
	for other in tc_ ta_ tl_; do
		[ "$other" = "$prefix" ] && continue
		grep -q "int.*(${other}" "$tmp/out" && bad "$a --ebpf shows another applet's programs" || ok
	done
	setpriv --reuid=65534 --regid=65534 --clear-groups "$nr" $a --ebpf >/dev/null 2>&1 &&
		ok || bad "$a --ebpf fails without privileges"
done

# tcpconnlat's programs (tcl_), and none of tcpconnect's (tc_).
expect 0 0 "$nr" tcpconnlat --ebpf
grep -q "int.*(tcl_" "$tmp/out" && ok || bad "tcpconnlat --ebpf: no tcl_ program"
grep -q "int.*(t[ca]_" "$tmp/out" && bad "tcpconnlat --ebpf shows another applet's programs" || ok
setpriv --reuid=65534 --regid=65534 --clear-groups "$nr" tcpconnlat --ebpf >/dev/null 2>&1 &&
	ok || bad "tcpconnlat --ebpf fails without privileges"

# Bad input: exit 2, one line naming the value, before any privilege or
# kernel check (so an unprivileged user sees exit 2, not 1).
while IFS='|' read -r a args value; do
	[ -n "$a" ] || continue
	# shellcheck disable=SC2086
	expect 2 1 setpriv --reuid=65534 --regid=65534 --clear-groups "$nr" $a $args
	grep -qF -- "$value" "$tmp/err" && ok || bad "$a $args: message does not name '$value': $(cat "$tmp/err")"
	grep -q -- "--help" "$tmp/err" && ok || bad "$a $args: no usage hint"
	[ ! -s "$tmp/out" ] && ok || bad "$a $args: wrote to stdout"
done <<'CASES'
tcpconnect|-p abc|abc
tcpconnect|-p 0|'0'
tcpconnect|-P 70000|70000
tcpconnect|-P 80,,81|80,,81
tcpconnect|-u -1|-1
tcpconnect|-4 -6|-6
tcpconnect|--bogus|--bogus
tcpconnect|-T|-T
tcpconnect|extra|extra
tcpconnect|--attach=nope|nope
tcpconnect|--buffer=nope|nope
tcpaccept|-p -5|-5
tcpaccept|-P 0|'0'
tcpaccept|-c|-c
tcpaccept|-L|-L
tcpaccept|-u 0|-u
tcpconnlat|abc|abc
tcpconnlat|-- -1|-1
tcpconnlat|inf|inf
tcpconnlat|1e400|1e400
tcpconnlat|1 2|2
tcpconnlat|-p abc|abc
tcpconnlat|-4 -6|-6
tcpconnlat|-P 80|-P
tcpconnlat|--attach=nope|nope
tcplife|-p x|x
tcplife|-L 0|'0'
tcplife|-D 65536|65536
tcplife|-L 80,,81|80,,81
tcplife|-4 -6|-6
tcplife|-P 80|-P
tcplife|-c|-c
tcplife|extra|extra
tcplife|--attach=nope|nope
CASES

# Without privileges: one line saying what is missing, exit 1 (every
# tracing applet: all but xdpfeatures).
for a in $("$nr" --list | grep -vx xdpfeatures); do
	expect 1 1 setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$nr" $a
	grep -qi 'root\|CAP_BPF' "$tmp/err" && ok || bad "$a unprivileged: message does not say what is missing"
done

echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
