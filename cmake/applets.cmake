# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Applet names, read from cmd/applets.def so the list lives in one place.
file(STRINGS ${CMAKE_SOURCE_DIR}/cmd/applets.def _defs REGEX "^APPLET\\(")
set(NETRACE_APPLETS)
foreach(_d ${_defs})
	string(REGEX REPLACE "^APPLET\\(([a-z0-9_]+).*" "\\1" _n "${_d}")
	list(APPEND NETRACE_APPLETS ${_n})
endforeach()
