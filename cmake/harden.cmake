# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Compiler and linker hardening, and the sanitizer build.  Both apply to
# every C target of this directory and below (netrace, netrace_lib, unit
# tests, integration harness, benchmarks), not to the BPF object or the
# libFuzzer targets, which custom commands build with their own flags.
#
# NETRACE_HARDEN (default ON): what distribution packages use
# (Fedora's %optflags and hardened ld specs): -D_FORTIFY_SOURCE=3,
# -fstack-protector-strong, a position-independent executable (PIE) and
# full RELRO (-z relro -z now).  _FORTIFY_SOURCE needs optimisation, so
# a Debug build goes without it.  With NETRACE_STATIC, netrace is a
# static PIE (cmake/static.cmake links it with -static-pie).  The test
# build.hardening checks the binary (tests/harden/check.sh).
#
# NETRACE_SANITIZE (default OFF): AddressSanitizer (with LeakSanitizer)
# and UndefinedBehaviorSanitizer, every report fatal
# (-fno-sanitize-recover=all).  scripts/dev test builds it in
# build-asan/ and runs the unit, cli and integration tests there.  It
# leaves _FORTIFY_SOURCE out: the __*_chk functions glibc calls instead of
# memcpy() and friends are not intercepted, so ASan would check less.

option(NETRACE_HARDEN "Build with _FORTIFY_SOURCE=3, stack protector, PIE and full RELRO" ON)
option(NETRACE_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)

set(NETRACE_FORTIFY OFF)
if(NETRACE_HARDEN)
	if(NOT NETRACE_SANITIZE AND NOT CMAKE_BUILD_TYPE STREQUAL Debug)
		set(NETRACE_FORTIFY ON)
		# -U first: CFLAGS from a package build may already set it.
		add_compile_options(-U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=3)
	endif()
	add_compile_options(-fstack-protector-strong -fPIE)
	add_link_options(-pie LINKER:-z,relro,-z,now)

	# glibc >= 2.34 and gcc >= 12 (or clang) give level 3; older ones
	# silently give 2, which should not pass for what was asked.
	if(NETRACE_FORTIFY)
		include(CheckCSourceCompiles)
		set(CMAKE_REQUIRED_FLAGS "-O2 -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=3")
		check_c_source_compiles("#include <string.h>
#if !defined(__USE_FORTIFY_LEVEL) || __USE_FORTIFY_LEVEL < 3
#error fortify level below 3
#endif
int main(void) { return 0; }" NETRACE_HAVE_FORTIFY3)
		unset(CMAKE_REQUIRED_FLAGS)
		if(NOT NETRACE_HAVE_FORTIFY3)
			message(WARNING "NETRACE_HARDEN: this compiler and C "
				"library give _FORTIFY_SOURCE=2 only (level 3 "
				"needs gcc >= 12 or clang, and glibc >= 2.34)")
		endif()
	endif()
endif()

if(NETRACE_SANITIZE)
	if(NETRACE_STATIC)
		message(FATAL_ERROR "NETRACE_SANITIZE and NETRACE_STATIC "
			"cannot be combined: the sanitizer runtimes are shared "
			"libraries")
	endif()
	set(_nr_san -fsanitize=address,undefined)
	add_compile_options(${_nr_san} -fno-sanitize-recover=all
		-fno-omit-frame-pointer)
	add_link_options(${_nr_san})
endif()
