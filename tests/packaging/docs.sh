#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# tests/packaging/docs.sh --netrace BIN --source DIR
#
# The documentation that ships in the packages against the binary, for
# every applet "netrace --list" prints:
#   - man/netrace-APPLET.8 exists, formats without warnings, has the usual
#     sections, its OPTIONS are exactly the options of "APPLET --help",
#     spelled alike, and its SYNOPSIS those of the usage line; a BCC tool's
#     page refers to BCC's page; netrace.8 names the applet and has
#     netrace's own options;
#   - examples/APPLET_example.txt exists and ends with "APPLET -h" (BCC's
#     "USAGE message") listing the options the binary has;
#   - completion/netrace.bash completes the applets after "netrace", and
#     every --help option after "netrace APPLET" and after a link named
#     APPLET, the --attach/--buffer values --help lists, and leaves a
#     command of an applet's name that is not netrace alone;
#   - packaging/netrace.spec has the binary's version.
# Needs groff (groff-base) and man (man-db).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/packaging/lib.sh
. "$here/lib.sh"

netrace=
src=$(cd "$here/../.." && pwd)
while [ $# -gt 0 ]; do
	case $1 in
	--netrace)	netrace=$2; shift 2 ;;
	--source)	src=$2; shift 2 ;;
	*)		echo "usage: $0 --netrace BIN [--source DIR]" >&2; exit 2 ;;
	esac
done
[ -x "$netrace" ] || { echo "$0: no netrace binary '$netrace'" >&2; exit 2; }
netrace=$(readlink -f "$netrace")
need_tools "groff-base man-db" groff man

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mapfile -t applets < <("$netrace" --list)
[ ${#applets[@]} -gt 0 ] || { echo "$0: netrace --list printed nothing" >&2; exit 1; }
echo "# applets: ${applets[*]}"

# A man page as plain text, with every .TP tag on a line of its own (an
# indent of 1n for the test: a short tag would share its line with the
# text) and no wrapping of long tags.
man_text() {
	sed 's/^\.TP$/.TP 1n/' "$1" |
		groff -man -Tascii -rLL=250n -P-cbou 2>/dev/null
}
# The item lines of section SECTION of a formatted page: the option
# invocations ("-p PID, --pid PID"), indented 7 spaces.
man_items() {
	awk -v sec="$2" '
		/^[A-Z]/ { on = ($0 == sec); next }
		on && /^       -/ { sub(/^ +/, ""); sub(/ +$/, ""); print }' "$1"
}
# Formatting warnings: groff's, and man's own (what rpmlint and lintian run).
man_lint() {
	local out
	out=$( { groff -man -ww -z "$1"
		LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$1" >/dev/null
	} 2>&1)
	[ -z "$out" ] || { echo "$out" | sed 's/^/#   /'; return 1; }
}
# Two sorted line sets are equal, else the difference is shown.
same_set() {
	local a=$1 b=$2 la=$3 lb=$4
	if diff -q <(sort -u "$a") <(sort -u "$b") >/dev/null; then
		return 0
	fi
	comm -23 <(sort -u "$a") <(sort -u "$b") | sed "s/^/#   only in $la: /"
	comm -13 <(sort -u "$a") <(sort -u "$b") | sed "s/^/#   only in $lb: /"
	return 1
}

# The completion, run as bash-completion runs it: COMP_WORDS/COMP_CWORD
# set, _netrace called, COMPREPLY printed one per line.
complete_words() {
	bash -c '
		. "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()
		_netrace 2>/dev/null
		printf "%s\n" "${COMPREPLY[@]}"' \
		bash "$src/completion/netrace.bash" "$@" | sed '/^$/d'
}

# --- netrace(8) ----------------------------------------------------------
page=$src/man/netrace.8
if [ -f "$page" ]; then
	check "netrace.8 formats without warnings" man_lint "$page"
	man_text "$page" >"$work/netrace.txt"
	man_items "$work/netrace.txt" OPTIONS >"$work/items"
	printf '%s\n' --list '-h, --help' --version >"$work/want"
	check "netrace.8 OPTIONS are --list, -h/--help, --version" \
		same_set "$work/want" "$work/items" "netrace" "netrace.8"
	for a in "${applets[@]}"; do
		check "netrace.8 names $a and netrace-$a(8)" \
			grep -q "netrace-$a(8)" "$work/netrace.txt"
	done
else
	not_ok "man/netrace.8 exists"
fi

# --- per applet ----------------------------------------------------------
mkdir -p "$work/links"
for a in "${applets[@]}"; do
	ln -s "$netrace" "$work/links/$a"
	help_invocations "$netrace" "$a" >"$work/$a.inv"
	help_options "$netrace" "$a" >"$work/$a.opts"
	[ -s "$work/$a.inv" ] || not_ok "$a --help lists options"

	page=$src/man/netrace-$a.8
	if [ -f "$page" ]; then
		check "netrace-$a.8 formats without warnings" man_lint "$page"
		man_text "$page" >"$work/$a.man"
		man_items "$work/$a.man" OPTIONS >"$work/$a.items"
		check "netrace-$a.8 OPTIONS are exactly '$a --help's options" \
			same_set "$work/$a.inv" "$work/$a.items" "--help" "man page"
		for s in NAME SYNOPSIS DESCRIPTION OPTIONS OUTPUT "EXIT STATUS" \
			 EXAMPLES "SEE ALSO"; do
			check "netrace-$a.8 has $s" grep -qx "$s" "$work/$a.man"
		done
		# The usage line's options are in the SYNOPSIS too.
		"$netrace" "$a" --help | sed -n '/^usage:/,/^$/p' |
			grep -oE '\[-[^] |]+( [A-Z]+)?' | sed 's/^\[//' >"$work/$a.usage"
		sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' "$work/$a.man" |
			grep -oE '\[-[^] |]+( [A-Z]+)?' | sed 's/^\[//' >"$work/$a.syn"
		check "netrace-$a.8 SYNOPSIS has the usage line's options" \
			same_set "$work/$a.usage" "$work/$a.syn" "usage" "SYNOPSIS"
		sed -n '/^SEE ALSO/,$p' "$work/$a.man" >"$work/$a.see"
		check "netrace-$a.8 SEE ALSO has netrace(8)" \
			grep -q "netrace(8)" "$work/$a.see"
		# A BCC tool's page names BCC's page (bcc-tools installs it as
		# bcc-APPLET(8) on Fedora and RHEL), which it does not replace.
		if grep -q "BCC's $a\b" "$work/$a.man"; then
			check "netrace-$a.8 SEE ALSO has BCC's bcc-$a(8)" \
				grep -q "bcc-$a(8)" "$work/$a.see"
		fi
	else
		not_ok "man/netrace-$a.8 exists (one man page per applet)"
	fi

	ex=$src/examples/${a}_example.txt
	if [ -f "$ex" ]; then
		# BCC's "USAGE message": the options the binary has, spelled
		# alike (its prose may lag a little; the options may not).
		sed -n "/^# \.\/$a -h\$/,\$p" "$ex" | tail -n +2 |
			help_text_invocations >"$work/$a.exinv"
		check "${a}_example.txt ends with '$a -h' listing the options of '$a --help' (paste the new --help)" \
			same_set "$work/$a.inv" "$work/$a.exinv" "--help" "example"
	else
		not_ok "examples/${a}_example.txt exists (run examples/capture.sh as root)"
	fi

	complete_words "$netrace" "$a" - >"$work/$a.comp"
	check "completion: 'netrace $a -<TAB>' gives every --help option" \
		same_set "$work/$a.opts" "$work/$a.comp" "--help" "completion"
	complete_words "$work/links/$a" - >"$work/$a.lcomp"
	check "completion: '$a -<TAB>' (a link) gives every --help option" \
		same_set "$work/$a.opts" "$work/$a.lcomp" "--help" "completion"
	# The values of --attach and --buffer, as their help text lists them
	# ("...: auto, fentry, kprobe or tracepoint (default: auto)").
	for opt in --attach --buffer; do
		grep -qx -- "$opt" "$work/$a.opts" || continue
		"$netrace" "$a" --help | awk -v o="$opt" '
			index($0, "  " o " ") == 1 { on = 1 }
			on { t = t " " $0 }
			on && /\)$/ { exit }
			END { print t }' |
			sed 's/.*: \(.*\) (default.*/\1/; s/,/ /g; s/ or / /' |
			tr -s ' ' '\n' | sed '/^$/d' >"$work/$a.vals"
		complete_words "$netrace" "$a" "$opt" "" >"$work/$a.cvals"
		check "completion: '$a $opt <TAB>' gives the values --help lists ($(tr '\n' ' ' <"$work/$a.vals"))" \
			same_set "$work/$a.vals" "$work/$a.cvals" "--help" "completion"
	done
	# bcc-tools' tcpconnect is not netrace: no netrace options for it.
	printf '#!/bin/sh\nexit 0\n' >"$work/$a"
	chmod +x "$work/$a"
	complete_words "$work/$a" - >"$work/$a.other"
	check "completion: a '$a' that is not netrace gets no netrace options" \
		test ! -s "$work/$a.other"
done

"$netrace" --list >"$work/list"
complete_words "$netrace" "" >"$work/comp"
check "completion: 'netrace <TAB>' gives the applets" \
	same_set "$work/list" "$work/comp" "--list" "completion"

# --- version ---------------------------------------------------------------
version=$("$netrace" --version | awk '{ print $2 }')
spec_version=$(awk '$1 == "Version:" { print $2 }' "$src/packaging/netrace.spec")
check "netrace.spec Version ($spec_version) is netrace --version ($version)" \
	test "$spec_version" = "$version"

finish
