/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * tcpstates: every TCP state change, with the time the socket spent in
 * the state it leaves.  The one event that sees every change is the
 * kernel's sock:inet_sock_set_state (tcp_set_state() misses a listener's
 * and a child socket's first states), so each strategy attaches to it,
 * in the strongest form the strategy's kernels have: a BTF tracepoint
 * (fentry strategy: typed, no tracefs), a raw tracepoint (kprobe
 * strategy: no tracefs) or the classic tracepoint (BCC's hook).  PID and
 * COMM are the task on the CPU at the change, as BCC prints them: for a
 * change made by a received segment that is whoever was interrupted.
 */

/*
 * When each socket entered its current state, by socket address: set at
 * every change, gone at CLOSE.  LRU, so that a CLOSE the kernel skipped
 * (a BPF program already running on that CPU) cannot keep an entry for
 * good; BCC's table has the same 10240 entries.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 10240);
	__type(key, __u64);
	__type(value, __u64);
} ts_last SEC(".maps");

static __always_inline void ts_report(void *ctx, struct nr_sk_event *e)
{
	__u64 sk = e->skaddr, now = bpf_ktime_get_ns(), *since;

	/* A socket left out by -L/-D forgets when it changed, as BCC's. */
	if (PORT_OUT_OF(filter_lports, filter_nlports, e->c.lport) ||
	    PORT_OUT_OF(filter_rports, filter_nrports, e->c.rport)) {
		bpf_map_delete_elem(&ts_last, &sk);
		return;
	}
	since = bpf_map_lookup_elem(&ts_last, &sk);
	e->span_ns = since && now > *since ? now - *since : 0;
	if (filter_family && e->c.family != filter_family)
		return;
	fill_task(&e->c);
	e->c.ts_ns = now;
	e->c.type = NR_EV_STATE;
	emit_rec(ctx, e, sizeof(*e));
	if (e->newstate == TCP_CLOSE)
		bpf_map_delete_elem(&ts_last, &sk);
	else
		bpf_map_update_elem(&ts_last, &sk, &now, BPF_ANY);
}

/*
 * The BTF and raw tracepoints pass the socket: read what the classic
 * tracepoint records of it (inet_sock_set_state's TP_fast_assign).
 * IPv4-mapped IPv6 addresses stay IPv6, as the tracepoint has them.
 */
static __always_inline int ts_from_sock(void *ctx, const struct sock *sk,
					int oldstate, int newstate)
{
	const struct inet_sock *inet = (const void *)sk;
	struct nr_sk_event e = {};

	if (BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	e.skaddr = (__u64)sk;
	e.oldstate = oldstate;
	e.newstate = newstate;
	e.c.family = BPF_CORE_READ(sk, __sk_common.skc_family);
	e.c.lport = bpf_ntohs(BPF_CORE_READ(inet, inet_sport));
	e.c.rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (e.c.family == AF_INET6) {
		BPF_CORE_READ_INTO(&e.c.laddr.v6, sk,
			__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&e.c.raddr.v6, sk,
			__sk_common.skc_v6_daddr.in6_u.u6_addr8);
	} else {
		e.c.laddr.v4 = BPF_CORE_READ(inet, inet_saddr);
		e.c.raddr.v4 = BPF_CORE_READ(sk, __sk_common.skc_daddr);
	}
	ts_report(ctx, &e);
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(ts_btf, const struct sock *sk, int oldstate, int newstate)
{
	return ts_from_sock(ctx, sk, oldstate, newstate);
}

SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(ts_raw, const struct sock *sk, int oldstate, int newstate)
{
	return ts_from_sock(ctx, sk, oldstate, newstate);
}

SEC("tracepoint/sock/inet_sock_set_state")
int ts_tp(struct trace_event_raw_inet_sock_set_state *ctx)
{
	struct nr_sk_event e = {};

	if (ctx->protocol != IPPROTO_TCP)
		return 0;
	e.skaddr = (__u64)ctx->skaddr;
	e.oldstate = ctx->oldstate;
	e.newstate = ctx->newstate;
	e.c.family = ctx->family;
	e.c.lport = ctx->sport;
	e.c.rport = ctx->dport;
	/* The verifier takes no variable-offset context loads: copy. */
	if (e.c.family == AF_INET6) {
		bpf_probe_read_kernel(&e.c.laddr.v6, 16, ctx->saddr_v6);
		bpf_probe_read_kernel(&e.c.raddr.v6, 16, ctx->daddr_v6);
	} else {
		bpf_probe_read_kernel(&e.c.laddr.v4, 4, ctx->saddr);
		bpf_probe_read_kernel(&e.c.raddr.v4, 4, ctx->daddr);
	}
	ts_report(ctx, &e);
	return 0;
}
