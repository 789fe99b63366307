# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# shellcheck shell=bash
# Shared by the packaging tests: results, tool checks, --help parsing.

nr_passed=0
nr_failed=0

ok() { echo "ok - $*"; nr_passed=$((nr_passed + 1)); }
not_ok() { echo "not ok - $*"; nr_failed=$((nr_failed + 1)); }
# check DESCRIPTION COMMAND...: ok if the command succeeds.
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}
# Exit with the summary line: 1 if anything failed.
finish() {
	echo "$nr_passed passed, $nr_failed failed"
	[ "$nr_failed" -eq 0 ]
}

# A privileged or tool-dependent test that cannot run: skipped (77) on a
# developer's machine, failed in CI (CI=true or NETRACE_REQUIRE_PRIV=1).
skip_or_fail() {
	if [ "${CI:-}" = true ] || [ "${NETRACE_REQUIRE_PRIV:-}" = 1 ]; then
		echo "FAIL (CI): $*" >&2
		exit 1
	fi
	echo "SKIP: $*" >&2
	exit 77
}

# need_tools DEBIAN-PACKAGE-HINT TOOL...: every tool in PATH, or skip/fail.
need_tools() {
	local hint=$1 t missing=()
	shift
	for t in "$@"; do
		command -v "$t" >/dev/null || missing+=("$t")
	done
	[ ${#missing[@]} -eq 0 ] ||
		skip_or_fail "missing ${missing[*]}: apt-get install $hint"
}

# help_invocations CMD...: each option's invocation as --help prints it,
# one per line ("-p PID, --pid PID", "--ebpf").
help_invocations() {
	"$@" --help | help_text_invocations
}
# The same, from a --help text on stdin.
help_text_invocations() {
	awk '
		/^(optional arguments|options):$/ { on = 1; next }
		on && /^$/ { exit }
		on && /^  -/ { sub(/^  /, ""); sub(/  .*/, ""); print }'
}

# help_options CMD...: every option word (-p, --pid, ...), one per line.
help_options() {
	help_invocations "$@" | tr ',' '\n' | awk '{ print $1 }'
}

# expected_files APPLET...: tests/packaging/expected-files.txt with its
# @APPLET@ lines expanded, comments dropped, sorted.
# EXPECTED=NAME picks tests/packaging/NAME instead.
expected_files() {
	local line a
	local list=$(dirname "${BASH_SOURCE[0]}")/${EXPECTED:-expected-files.txt}
	while IFS= read -r line; do
		case $line in
		'#'*|'')	;;
		*@APPLET@*)	for a in "$@"; do echo "${line//@APPLET@/$a}"; done ;;
		*)		echo "$line" ;;
		esac
	done <"$list" | LC_ALL=C sort
}

# rpm_files RPM: the package's files as expected-files.txt writes them.
rpm_files() {
	rpm -qp --nosignature --qf '[%{FILEMODES:perms}\t%{FILENAMES}\t%{FILELINKTOS}\n]' "$1" |
		awk -F'\t' '
			$2 ~ "^/usr/lib/\\.build-id(/|$)" { next }
			$1 ~ /^d/ { print $2 "/"; next }
			$1 ~ /^l/ { print $2 " -> " $3; next }
			{ print $2 }' | LC_ALL=C sort
}

# same_list WHAT EXPECTED-FILE GOT-FILE: ok when equal, else the diff.
same_list() {
	if diff -u "$2" "$3" >"$3.diff"; then
		ok "$1"
	else
		sed 's/^/#   /' "$3.diff"
		not_ok "$1"
	fi
}

# need_root WHAT: root (chroot, rpm --root), or skip/fail.
need_root() {
	[ "$(id -u)" -eq 0 ] || skip_or_fail "$1 needs root"
}

# in_root ARCH ROOT CMD ARGS...: run CMD (a path inside ROOT) as if ROOT
# were /: chroot for this machine's architecture, qemu-user for another
# (netrace is static, so ROOT needs nothing else either way).
in_root() {
	local arch=$1 root=$2 cmd=$3
	shift 3
	if [ "$arch" = "$(uname -m)" ]; then
		chroot "$root" "$cmd" "$@"
	else
		"qemu-$arch-static" "$root$cmd" "$@"
	fi
}

# need_qemu_for ARCH...: for each ARCH other than this machine's, qemu-user
# (qemu-user-static) to run its binaries, or skip/fail.
need_qemu_for() {
	local a
	for a in "$@"; do
		[ "$a" = "$(uname -m)" ] || [ "$a" = noarch ] ||
			need_tools qemu-user-static "qemu-$a-static"
	done
}

# release_test_args USAGE ARGS...: the release tests' options into
# release (--release DIR), netrace (--netrace BIN), version (--version V),
# work (--work DIR) and src (--source DIR); anything else, or an option
# without its value: "usage: SCRIPT USAGE", exit 2.
release_test_args() {
	local usage=$1
	shift
	while [ $# -ge 2 ]; do
		case $1 in
		--release)	release=$2 ;;
		--netrace)	netrace=$2 ;;
		--version)	version=$2 ;;
		--work)		work=$2 ;;
		--source)	src=$2 ;;
		*)		break ;;
		esac
		shift 2
	done
	[ $# -eq 0 ] || { echo "usage: $0 $usage" >&2; exit 2; }
}
