#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# In the VM: run one C integration suite (tests/integration/it_*) in one
# mode and write one result line to OUT.
#
#   suite.sh SUITE MODE TIMEOUT OUT
#
# MODE: auto | fentry | kprobe | tracepoint (NETRACE_ATTACH) or perfbuf
# (NETRACE_BUFFER=perfbuf, strategy chosen automatically).  The suite runs
# with CI=true, so a skipped privileged test is a failure.  Its output goes
# to the console, each line prefixed with "[SUITE.MODE]".

suite="$1" mode="$2" tmo="$3" out="$4"
name="$suite.$mode"
log="/tmp/$name.log"

case "$mode" in
auto)		att="" buf="" ;;
perfbuf)	att="" buf=perfbuf ;;
*)		att="$mode" buf="" ;;
esac

echo "nrvm: running $name"
cd /tmp || exit 1
env NETRACE=/opt/netrace/netrace NETRACE_ATTACH="$att" \
	NETRACE_BUFFER="$buf" CI=true NETRACE_REQUIRE_PRIV=1 NETRACE_VM=1 \
	timeout -s KILL "$tmo" "/opt/nrvm/it/$suite" >"$log" 2>&1
rc=$?
sed "s/^/[$name] /" "$log"

# cmocka: "[  FAILED  ] test_x" per failed test, then a summary.
failed=$(sed -n 's/^\[  FAILED  \] \(test_[A-Za-z0-9_]*\).*/\1/p' "$log" |
	sort -u | tr '\n' ' ')
ran=$(sed -n 's/^\[==========\] \([0-9]*\) test(s) run\..*/\1/p' "$log")
if [ "$rc" -eq 0 ] && [ -n "$ran" ] && [ "$ran" -gt 0 ]; then
	echo "PASS $name" >"$out"
	exit 0
elif [ "$rc" -eq 137 ]; then
	line="FAIL $name killed after ${tmo}s (timeout); failed so far: ${failed:-none}"
elif [ "$rc" -eq 77 ]; then
	line="FAIL $name exit 77 (skipped: not root?)"
elif [ -z "$ran" ] || [ "$ran" -eq 0 ]; then
	line="FAIL $name exit $rc, no test ran: $(tail -n 3 "$log" | tr '\n' ' ')"
else
	line="FAIL $name exit $rc; $ran run; failed: ${failed:-?}"
fi
# The first assertion message, so that the summary says why: the
# harness's "ERROR: message" line, else cmocka's "[  ERROR   ] --- message".
why=$(sed -n 's/^ERROR: //p' "$log" | head -n 1 | cut -c1-300)
[ -n "$why" ] || why=$(sed -n 's/^\[  ERROR   \] --- //p' "$log" | head -n 1 | cut -c1-300)
[ -n "$why" ] && line="$line; first error: $why"
echo "$line" >"$out"
