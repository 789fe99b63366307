# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# -DNETRACE_STATIC=ON: link the netrace binary fully statically, so it runs
# on a host with nothing installed (the kernel test VMs boot it from an
# initramfs that holds nothing else but busybox).
#
# Only the targets named in NETRACE_STATIC_TARGETS (default: netrace) are
# linked with -static and the static archives of their pkg-config
# dependencies (pkg-config --static: libbpf.a, libelf.a, libz.a, ...).
# Every other executable (unit and integration tests, which need
# libcmocka, of which Debian ships no .a) keeps linking the shared
# libraries, so one build directory holds both.
#
# The switch is a generator expression on the imported pkg-config targets
# that looks at the target being linked, so nothing else in the build has
# to know about it.
option(NETRACE_STATIC "Link netrace fully statically (needs the .a of every library it uses)" OFF)
set(NETRACE_STATIC_TARGETS netrace CACHE STRING
	"Executables linked statically when NETRACE_STATIC is ON")

if(NOT NETRACE_STATIC)
	return()
endif()

# Make one imported PkgConfig::<var> target resolve to static archives for
# the targets in NETRACE_STATIC_TARGETS and to what pkg-config found for
# everything else.  Libraries without a .a are left out for static targets
# and listed in <var>_STATIC_MISSING.
function(nr_static_pkg var)
	set(tgt PkgConfig::${var})
	if(NOT TARGET ${tgt})
		return()
	endif()
	set(is_static "$<IN_LIST:$<TARGET_PROPERTY:NAME>,${NETRACE_STATIC_TARGETS}>")
	get_target_property(shared_libs ${tgt} INTERFACE_LINK_LIBRARIES)
	if(NOT shared_libs)
		set(shared_libs)
	endif()

	set(archives)
	set(missing)
	foreach(lib ${${var}_STATIC_LIBRARIES})
		# Leave the C library's own parts to the compiler driver.
		if(lib MATCHES "^(c|m|pthread|dl|rt)$")
			continue()
		endif()
		find_library(NR_STATIC_${lib}_A NAMES lib${lib}.a
			HINTS ${${var}_STATIC_LIBRARY_DIRS})
		if(NR_STATIC_${lib}_A)
			list(APPEND archives ${NR_STATIC_${lib}_A})
		else()
			list(APPEND missing ${lib})
		endif()
	endforeach()

	set(iface)
	foreach(a ${archives})
		list(APPEND iface "$<${is_static}:${a}>")
	endforeach()
	foreach(s ${shared_libs})
		list(APPEND iface "$<$<NOT:${is_static}>:${s}>")
	endforeach()
	set_target_properties(${tgt} PROPERTIES INTERFACE_LINK_LIBRARIES "${iface}")
	set(${var}_STATIC_MISSING ${missing} PARENT_SCOPE)
	message(STATUS "netrace static: ${var} -> ${archives}")
endfunction()

nr_static_pkg(LIBBPF)
nr_static_pkg(CAPNG)

if(LIBBPF_STATIC_MISSING OR CAPNG_STATIC_MISSING)
	message(FATAL_ERROR "NETRACE_STATIC: no static archive for: "
		"${LIBBPF_STATIC_MISSING} ${CAPNG_STATIC_MISSING} (libbpf-dev, "
		"libelf-dev, zlib1g-dev and libcap-ng-dev ship libbpf.a, libelf.a, "
		"libz.a and libcap-ng.a on Debian; on Fedora/RHEL install "
		"libbpf-static, elfutils-libelf-devel-static, zlib-static and "
		"libcap-ng-devel)")
endif()

# -static only on the chosen executables, once they exist; a static PIE
# with NETRACE_HARDEN (cmake/harden.cmake).  It comes after the -pie of
# the directory's link options on the command line, and so wins.
function(nr_static_finish)
	if(NETRACE_HARDEN)
		set(_how -static-pie)
	else()
		set(_how -static)
	endif()
	foreach(t ${NETRACE_STATIC_TARGETS})
		if(TARGET ${t})
			target_link_options(${t} PRIVATE ${_how})
		else()
			message(FATAL_ERROR "NETRACE_STATIC_TARGETS: no target ${t}")
		endif()
	endforeach()
endfunction()
if(CMAKE_VERSION VERSION_LESS 3.19)
	message(FATAL_ERROR "NETRACE_STATIC needs CMake >= 3.19")
endif()
cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL nr_static_finish)
