#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# build.hardening: the netrace binary is built the way NETRACE_HARDEN
# says (cmake/harden.cmake): a position-independent executable, full
# RELRO (GNU_RELRO and BIND_NOW), the stack protector and, when
# FORTIFY is on, glibc's checked functions (__*_chk).  A static binary
# carries all of glibc's, so its symbols prove nothing: for it only the
# ELF properties are checked.
# Usage: check.sh PATH/TO/netrace on|off  (the second: _FORTIFY_SOURCE)
set -euo pipefail

# shellcheck source=tests/packaging/lib.sh
. "$(dirname "$0")/../packaging/lib.sh"

[ $# -eq 2 ] || { echo "usage: $0 NETRACE FORTIFY(on|off)" >&2; exit 2; }
bin=$1 fortify=$2
need_tools binutils readelf

hdr=$(readelf -hW "$bin")
dyn=$(readelf -dW "$bin")
phdr=$(readelf -lW "$bin")

check "ELF type DYN (position-independent executable)" \
	grep -qE '^ +Type: +DYN ' <<<"$hdr"
check "DT_FLAGS_1 has PIE" grep -qE '\(FLAGS_1\).* PIE( |$)' <<<"$dyn"
check "GNU_RELRO segment (RELRO)" grep -qE '^ +GNU_RELRO ' <<<"$phdr"
check "BIND_NOW (full RELRO: -z now)" \
	grep -qE '\(FLAGS\).*BIND_NOW|\(FLAGS_1\).* NOW( |$)' <<<"$dyn"

if grep -qE '^ +INTERP ' <<<"$phdr"; then
	syms=$(readelf --dyn-syms -W "$bin" | awk '$7 == "UND" { print $8 }' |
		sed 's/@.*//')
	check "imports __stack_chk_fail (-fstack-protector-strong)" \
		grep -qx __stack_chk_fail <<<"$syms"
	if [ "$fortify" = on ]; then
		chk=$(grep -E '^__[a-z0-9_]+_chk$' <<<"$syms" |
			grep -vx __stack_chk_fail || true)
		# shellcheck disable=SC2086 # one name per word
		check "imports checked functions (_FORTIFY_SOURCE):$(printf ' %s' $chk)" \
			test -n "$chk"
	else
		ok "_FORTIFY_SOURCE is off in this build: __*_chk not checked"
	fi
else
	ok "statically linked: symbols not checked (libc.a has them all)"
fi
finish
