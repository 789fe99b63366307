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

/* Cell col (CONN_COL) of v, if the applet has that column. */
static void put(union cell *v, uint8_t col, union cell c)
{
	if (col)
		v[col - 1] = c;
}

void conn_cells(const struct conn_cols *k, const struct nr_event *e,
		const struct conn_text *t, union cell *v)
{
	put(v, k->hms, (union cell){ .s = t->hms });
	put(v, k->secs, (union cell){ .ns = t->rel_ns });
	put(v, k->uid, (union cell){ .i = e->uid });
	put(v, k->pid, (union cell){ .i = e->pid });
	put(v, k->comm, (union cell){ .s = e->comm });
	put(v, k->ip, (union cell){ .i = t->ip });
	put(v, k->laddr, (union cell){ .s = t->laddr });
	put(v, k->lport, (union cell){ .i = e->lport });
	put(v, k->raddr, (union cell){ .s = t->raddr });
	put(v, k->rport, (union cell){ .i = e->rport });
}
