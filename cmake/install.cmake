# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Installed layout (the same for "cmake --install" and the RPM), the "dist"
# and "rpm" targets, and the packaging tests.
#
#   <sbindir>/netrace                                  the binary
#   <datadir>/netrace/tools/<applet> -> ../../../sbin/netrace
#                                                      links, as bcc-tools
#   <mandir>/man8/netrace.8, netrace-<applet>.8        (uncompressed: rpm
#                                                      and dh compress them)
#   <datadir>/netrace/doc/<applet>_example.txt         BCC-style examples
#   <datadir>/bash-completion/completions/netrace, <applet> -> netrace
#   <docdir>/README.md, <datadir>/licenses/netrace/LICENSE
#
# Nothing is installed under a name bcc-tools owns (/usr/share/bcc/...,
# tcpconnect.8, tcpaccept.8): the man pages are netrace-<applet>(8).
# Applet links in a PATH directory are off by default (see
# NETRACE_INSTALL_PATH_LINKS and packaging/README.md), and so are the
# links at bcc-tools' paths (NETRACE_INSTALL_BCC_LINKS: the RPM's
# netrace-bcc-compat subpackage, which conflicts with bcc-tools).

if(NOT DEFINED NETRACE_APPLETS)
	include(${CMAKE_CURRENT_LIST_DIR}/applets.cmake)
endif()

option(NETRACE_INSTALL_PATH_LINKS
	"Also install <sbindir>/<applet> links (generic names such as tcpconnect in PATH)" OFF)
option(NETRACE_INSTALL_BCC_LINKS
	"Also install <datadir>/bcc/tools/<applet> links, bcc-tools' paths (the netrace-bcc-compat package)" OFF)
set(NETRACE_TOOLSDIR "${CMAKE_INSTALL_DATADIR}/netrace/tools" CACHE PATH
	"Applet links, in the spirit of /usr/share/bcc/tools")
set(NETRACE_EXAMPLESDIR "${CMAKE_INSTALL_DATADIR}/netrace/doc" CACHE PATH
	"Per-applet *_example.txt files")
set(NETRACE_BASHCOMPDIR "${CMAKE_INSTALL_DATADIR}/bash-completion/completions"
	CACHE PATH "bash-completion's completions directory")
set(NETRACE_LICENSEDIR "${CMAKE_INSTALL_DATADIR}/licenses/netrace" CACHE PATH
	"Where LICENSE goes (RPM's %license directory)")

set(_nr_src ${CMAKE_CURRENT_LIST_DIR}/..)
get_filename_component(_nr_src ${_nr_src} ABSOLUTE)
set(_nr_stage ${CMAKE_BINARY_DIR}/install-links)

# A relative link from dir to the installed binary, made in the build tree
# and installed as a link (install(FILES) keeps symlinks).
function(nr_install_link dir name)
	if(IS_ABSOLUTE "${dir}")
		set(_full "${dir}")
	else()
		set(_full "${CMAKE_INSTALL_PREFIX}/${dir}")
	endif()
	file(RELATIVE_PATH _rel "${_full}" "${CMAKE_INSTALL_FULL_SBINDIR}/netrace")
	string(MAKE_C_IDENTIFIER "${dir}" _key)
	set(_link "${_nr_stage}/${_key}/${name}")
	file(MAKE_DIRECTORY "${_nr_stage}/${_key}")
	file(REMOVE "${_link}")
	file(CREATE_LINK "${_rel}" "${_link}" SYMBOLIC)
	install(FILES "${_link}" DESTINATION "${dir}")
endfunction()

# Man pages, examples and completion links for the applets that have them.
# An applet without its man page or example is reported by the
# packaging.docs test, not here, so adding an applet never breaks the build.
install(FILES ${_nr_src}/man/netrace.8 DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
install(FILES ${_nr_src}/completion/netrace.bash
	DESTINATION ${NETRACE_BASHCOMPDIR} RENAME netrace)
foreach(_a ${NETRACE_APPLETS})
	nr_install_link("${NETRACE_TOOLSDIR}" ${_a})
	if(NETRACE_INSTALL_PATH_LINKS)
		nr_install_link("${CMAKE_INSTALL_SBINDIR}" ${_a})
	endif()
	# For scripts that run /usr/share/bcc/tools/APPLET; never on by
	# default: the paths are bcc-tools' (packaging/README.md).
	if(NETRACE_INSTALL_BCC_LINKS)
		nr_install_link("${CMAKE_INSTALL_DATADIR}/bcc/tools" ${_a})
	endif()
	if(EXISTS ${_nr_src}/man/netrace-${_a}.8)
		install(FILES ${_nr_src}/man/netrace-${_a}.8
			DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
	endif()
	if(EXISTS ${_nr_src}/examples/${_a}_example.txt)
		install(FILES ${_nr_src}/examples/${_a}_example.txt
			DESTINATION ${NETRACE_EXAMPLESDIR})
	endif()
	# bash-completion loads a file named after the command word.
	file(MAKE_DIRECTORY ${_nr_stage}/completions)
	file(REMOVE ${_nr_stage}/completions/${_a})
	file(CREATE_LINK netrace ${_nr_stage}/completions/${_a} SYMBOLIC)
	install(FILES ${_nr_stage}/completions/${_a} DESTINATION ${NETRACE_BASHCOMPDIR})
endforeach()
install(FILES ${_nr_src}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${_nr_src}/LICENSE DESTINATION ${NETRACE_LICENSEDIR})

# make dist: netrace-VERSION.tar.gz in the build directory.
set(NETRACE_DIST_TARBALL ${CMAKE_BINARY_DIR}/netrace-${PROJECT_VERSION}.tar.gz)
add_custom_target(dist
	COMMAND ${_nr_src}/packaging/dist.sh ${_nr_src} ${PROJECT_VERSION}
		${NETRACE_DIST_TARBALL}
	COMMENT "dist: netrace-${PROJECT_VERSION}.tar.gz"
	VERBATIM USES_TERMINAL)

# make rpm: unsigned source and binary RPMs in <build>/rpm (a release,
# signed, with its repository and tarball: packaging/release.sh).
add_custom_target(rpm
	COMMAND ${_nr_src}/packaging/build-rpm.sh --out ${CMAKE_BINARY_DIR}/rpm
		--tarball ${NETRACE_DIST_TARBALL}
	COMMENT "rpm: RPMs in ${CMAKE_BINARY_DIR}/rpm"
	VERBATIM USES_TERMINAL)
add_dependencies(rpm dist)

# Packaging tests (ctest -L packaging).  add_test() may come before
# include(CTest): without BUILD_TESTING no test file is written at all.
add_test(NAME packaging.docs
	COMMAND ${_nr_src}/tests/packaging/docs.sh
		--netrace $<TARGET_FILE:netrace> --source ${_nr_src})
add_test(NAME packaging.install
	COMMAND ${_nr_src}/tests/packaging/install.sh
		--build ${CMAKE_BINARY_DIR}
		--work ${CMAKE_BINARY_DIR}/packaging-test/install)
# A whole release, signed with a key made for it (packaging/release.sh):
# what the RPM, repository and tarball tests and the VM matrix (which
# boots the RPM's binary) check.  rpmbuild builds the project once more.
set(NETRACE_RELEASE_DIR ${CMAKE_BINARY_DIR}/release)
add_test(NAME packaging.release
	COMMAND ${_nr_src}/tests/packaging/release.sh
		--out ${NETRACE_RELEASE_DIR})
set_tests_properties(packaging.release PROPERTIES FIXTURES_SETUP release
	TIMEOUT 1800)
add_test(NAME packaging.rpm
	COMMAND ${_nr_src}/tests/packaging/rpm.sh
		--release ${NETRACE_RELEASE_DIR} --source ${_nr_src}
		--version ${PROJECT_VERSION} --netrace $<TARGET_FILE:netrace>
		--work ${CMAKE_BINARY_DIR}/packaging-test/rpm)
add_test(NAME packaging.repo
	COMMAND ${_nr_src}/tests/packaging/repo.sh
		--release ${NETRACE_RELEASE_DIR} --version ${PROJECT_VERSION}
		--work ${CMAKE_BINARY_DIR}/packaging-test/repo)
add_test(NAME packaging.tarball
	COMMAND ${_nr_src}/tests/packaging/tarball.sh
		--release ${NETRACE_RELEASE_DIR} --version ${PROJECT_VERSION}
		--netrace $<TARGET_FILE:netrace>
		--work ${CMAKE_BINARY_DIR}/packaging-test/tarball)
set_tests_properties(packaging.rpm packaging.repo packaging.tarball PROPERTIES
	FIXTURES_REQUIRED release TIMEOUT 600)
# The maintainer's way: --key from the keyring and --url (x86_64 only).
add_test(NAME packaging.release_key
	COMMAND ${_nr_src}/tests/packaging/release-key.sh
		--work ${CMAKE_BINARY_DIR}/packaging-test/release-key)
set_tests_properties(packaging.release_key PROPERTIES TIMEOUT 900)
set_tests_properties(packaging.docs packaging.install packaging.release
	packaging.rpm packaging.repo packaging.tarball packaging.release_key PROPERTIES
	LABELS packaging SKIP_RETURN_CODE 77)
