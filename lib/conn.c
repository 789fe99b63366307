// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "clock.h"
#include "conn.h"
#include "format.h"

void conn_clock_init(struct conn_clock *c)
{
	memset(c, 0, sizeof(*c));
	/* bpf_ktime_get_ns() is CLOCK_MONOTONIC. */
	c->mono_to_real_ns = nr_real_minus_mono_ns();
	c->hms_sec = -1;
}

void conn_out_init(struct conn_out *c, const struct nr_opts *o,
		   const struct column *cols, unsigned int ncols)
{
	c->o = o;
	conn_clock_init(&c->clock);
	fmt_init(&c->fmt, stdout, o->json, cols, ncols);
}

/* localtime_r() once a second, not once an event. */
static const char *hms(struct conn_clock *c, uint64_t ts_ns)
{
	time_t sec = (time_t)(((int64_t)ts_ns + c->mono_to_real_ns) / 1000000000);
	struct tm tm;

	if (sec != c->hms_sec) {
		localtime_r(&sec, &tm);
		strftime(c->hms, sizeof(c->hms), "%H:%M:%S", &tm);
		c->hms_sec = sec;
	}
	return c->hms;
}

void conn_text(struct conn_clock *c, const struct nr_event *e,
	       struct conn_text *t)
{
	int family = e->family == AF_INET6 ? AF_INET6 : AF_INET;

	if (!c->first_ns)
		c->first_ns = e->ts_ns;
	/* BCC subtracts whole microseconds: so do we, digit for digit. */
	t->rel_ns = e->ts_ns >= c->first_ns ?
		    (e->ts_ns / 1000 - c->first_ns / 1000) * 1000 : 0;
	memcpy(t->hms, hms(c, e->ts_ns), sizeof(t->hms));
	t->ip = family == AF_INET6 ? 6 : 4;
	fmt_addr(t->laddr, sizeof(t->laddr), family, &e->laddr);
	fmt_addr(t->raddr, sizeof(t->raddr), family, &e->raddr);
}
