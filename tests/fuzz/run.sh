#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# ctest's fuzz.NAME: run the libFuzzer target fuzz_NAME for a bounded time
# on a fresh copy of the seed corpus; any crash, leak, sanitizer report or
# broken contract (fuzz_NAME.c) fails the test and prints the input that
# did it.
#
#   run.sh FUZZER SEEDGEN WORKDIR [SECONDS]
#   run.sh --missing TEST "why" PACKAGE  (configure found no usable libFuzzer)
#
# A missing libFuzzer skips (exit 77) on a developer's machine and fails
# with CI=true or NETRACE_REQUIRE_PRIV=1, naming the package to install.
set -u

if [ "${1:-}" = --missing ]; then
	t=${2:-fuzz}
	echo "$t: clang cannot build a libFuzzer target: ${3:-}" >&2
	echo "$t: install ${4:-libclang-rt-14-dev} (Debian/Ubuntu;" \
	     "compiler-rt on Fedora/RHEL), then re-run cmake" >&2
	if [ "${CI:-}" = true ] || [ "${NETRACE_REQUIRE_PRIV:-}" = 1 ]; then
		echo "$t: FAILED: the fuzz test may not be skipped in CI" >&2
		exit 1
	fi
	exit 77
fi

[ $# -ge 3 ] || { echo "usage: $0 FUZZER SEEDGEN WORKDIR [SECONDS]" >&2; exit 2; }
fuzzer=$1 seedgen=$2 work=$3 secs=${4:-20}
t=$(basename "$fuzzer")
t=fuzz.${t#fuzz_}

[ -x "$fuzzer" ] || { echo "$t: $fuzzer is not built" >&2; exit 1; }
rm -rf "$work"
mkdir -p "$work/seeds" "$work/corpus" "$work/crashes" || exit 1
"$seedgen" "$work/seeds" || { echo "$t: seed generator failed" >&2; exit 1; }

export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:strict_string_checks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"

log=$work/fuzz.log
# New inputs go to corpus/; the seeds are only read.  -close_fd_mask=1:
# the target prints nothing worth keeping on stdout.
"$fuzzer" -max_total_time="$secs" -rss_limit_mb=1024 -timeout=10 \
	-max_len=4096 -print_final_stats=1 -close_fd_mask=1 \
	-artifact_prefix="$work/crashes/" \
	"$work/corpus" "$work/seeds" >"$log" 2>&1
rc=$?

execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
if [ $rc -ne 0 ] || [ -n "$(ls -A "$work/crashes")" ]; then
	echo "$t: FAILED (exit $rc) after ${execs:-?} executions; log tail:" >&2
	tail -n 60 "$log" >&2
	for f in "$work/crashes"/*; do
		[ -f "$f" ] || continue
		echo "$t: reproducer $f ($(wc -c <"$f") bytes):" >&2
		od -An -tx1 -v "$f" | head -n 64 >&2
		echo "$t: replay: $fuzzer $f" >&2
	done
	exit 1
fi
if [ -z "$execs" ] || [ "$execs" -lt 1000 ]; then
	echo "$t: FAILED: only ${execs:-no} executions; log tail:" >&2
	tail -n 30 "$log" >&2
	exit 1
fi
echo "$t: $execs executions in ${secs}s, corpus $(ls "$work/corpus" | wc -l) new inputs, no crash"
