# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Each dependency, with the package that provides it on Debian/Ubuntu and
# on Fedora/RHEL, so a missing one says exactly what to install.
find_package(PkgConfig)
if(NOT PKG_CONFIG_FOUND)
	message(FATAL_ERROR "pkg-config not found: install pkg-config (Debian) or pkgconf-pkg-config (Fedora/RHEL)")
endif()

macro(nr_require_pkg var module deb rpm)
	pkg_check_modules(${var} IMPORTED_TARGET ${module})
	if(NOT ${var}_FOUND)
		message(FATAL_ERROR "${module} not found: install ${deb} (Debian/Ubuntu) or ${rpm} (Fedora/RHEL)")
	endif()
endmacro()

macro(nr_require_prog var name deb rpm)
	find_program(${var} NAMES ${name} PATHS /usr/sbin /sbin /usr/local/sbin)
	if(NOT ${var})
		message(FATAL_ERROR "${name} not found: install ${deb} (Debian/Ubuntu) or ${rpm} (Fedora/RHEL)")
	endif()
endmacro()

nr_require_pkg(LIBBPF "libbpf>=0.8" libbpf-dev libbpf-devel)
nr_require_pkg(CAPNG libcap-ng libcap-ng-dev libcap-ng-devel)
nr_require_prog(CLANG clang clang clang)
nr_require_prog(BPFTOOL bpftool bpftool bpftool)
