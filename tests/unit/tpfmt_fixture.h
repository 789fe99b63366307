/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef NETRACE_TPFMT_FIXTURE_H
#define NETRACE_TPFMT_FIXTURE_H

/* Real format files of Linux 6.18 (tpfmt_fixture.c). */
extern const char tpfmt_inet_sock_set_state[];
extern const char tpfmt_sys_enter_accept4[];
extern const char tpfmt_net_dev_xmit[];	/* a __data_loc field */

#endif
