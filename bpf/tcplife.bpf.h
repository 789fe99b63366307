/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * tcplife: one event per TCP session that closed, with the process that
 * owns it, its addresses, the bytes it moved (the socket's own counters)
 * and how long it lived.
 *
 * Every strategy follows sock:inet_sock_set_state: tp_btf (fentry), the
 * raw tracepoint (kprobe: it exists wherever the tracepoint does, since
 * 4.16, needs no tracefs, costs less than a kprobe, and sees the SYN_RECV
 * of a new passive socket, which tcp_set_state() never does), the
 * classic tracepoint (tracepoint).
 *
 * Most transitions run in softirq, where the current task is whoever was
 * on the CPU (on loopback, often the peer).  The owner is taken only
 * where the task is the socket's own: the connect() that goes CLOSE ->
 * SYN_SENT (active opens), the accept() that returns it (passive opens:
 * fexit of inet_csk_accept, the kprobe of its grafting, or accept()/
 * accept4() returning),
 * and, when neither was seen (an io_uring accept, say), the close() or
 * shutdown() that goes to FIN_WAIT1 or LAST_ACK.
 */

enum {
	TL_OWNER_NONE,
	TL_OWNER_CLOSER,	/* close()/shutdown() in process context */
	TL_OWNER_ACCEPTER,
	TL_OWNER_OPENER,	/* connect() */
};

struct tl_sock {
	__u64 birth_ns;		/* the last move to a state before FIN_WAIT1 */
	__u32 pid;
	__u32 tid;
	__u32 uid;
	__u32 owner;		/* TL_OWNER_* */
	char comm[NR_TASK_COMM_LEN];
};

/*
 * Sessions alive at once.  Keyed by the struct sock's address, cleared
 * at CLOSE; LRU, so that a CLOSE the kernel skipped (a BPF program
 * already running on that CPU) cannot leak an entry for good.  When more
 * are open, the one whose state changed least recently is forgotten.
 */
#define TL_SESSIONS_MAX	16384
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TL_SESSIONS_MAX);
	__type(key, __u64);			/* struct sock * */
	__type(value, struct tl_sock);
} tl_socks SEC(".maps");

/* One state change, whichever hook saw it. */
struct tl_rec {
	__u64 sk;
	int oldstate;
	int newstate;
	__u16 family;
	__u16 sport;		/* host order */
	__u16 dport;
	const void *saddr;	/* 4 or 16 bytes, by family */
	const void *daddr;
};

static __always_inline void tl_take_task(struct tl_sock *s, __u32 owner)
{
	__u64 id = bpf_get_current_pid_tgid();

	s->pid = id >> 32;
	s->tid = (__u32)id;
	s->uid = (__u32)bpf_get_current_uid_gid();
	s->owner = owner;
	bpf_get_current_comm(s->comm, sizeof(s->comm));
}

/* The current task owns sk, unless a better witness already said who. */
static __always_inline void tl_own(__u64 skp, __u32 owner)
{
	struct tl_sock *s = bpf_map_lookup_elem(&tl_socks, &skp);

	if (s && s->owner < owner)
		tl_take_task(s, owner);
}

/* A new life, or a later step of one: as BCC, the last such step counts. */
static __always_inline void tl_born(const struct tl_rec *r)
{
	struct tl_sock *s, n = {};

	n.birth_ns = bpf_ktime_get_ns();
	if (r->oldstate == TCP_CLOSE && r->newstate == TCP_SYN_SENT) {
		tl_take_task(&n, TL_OWNER_OPENER);
	} else if (r->newstate != TCP_SYN_RECV ||
		   r->oldstate == TCP_SYN_SENT) {
		/* A passive socket is born SYN_RECV; an active one may pass
		 * through it (simultaneous open) and keeps its owner. */
		s = bpf_map_lookup_elem(&tl_socks, &r->sk);
		if (s) {
			s->birth_ns = n.birth_ns;
			return;
		}
	}
	bpf_map_update_elem(&tl_socks, &r->sk, &n, BPF_ANY);
}

static __always_inline void tl_closed(void *ctx, const struct tl_rec *r)
{
	struct tcp_sock *tp = (struct tcp_sock *)r->sk;
	struct tl_sock *s, own;
	struct nr_sk_event e = {};
	__u64 now;

	s = bpf_map_lookup_elem(&tl_socks, &r->sk);
	if (!s)
		return;		/* born before tracing began */
	own = *s;
	if (bpf_map_delete_elem(&tl_socks, &r->sk))
		return;		/* another CPU reported it */
	if (filter_pid && (own.owner == TL_OWNER_NONE || own.pid != filter_pid))
		return;
	if (filter_family && r->family != filter_family)
		return;
	/* -L and -D: on the session's ports at CLOSE. */
	if (PORT_OUT_OF(filter_lports, filter_nlports, r->sport) ||
	    PORT_OUT_OF(filter_rports, filter_nrports, r->dport))
		return;
	now = bpf_ktime_get_ns();
	e.c.ts_ns = now;
	e.c.type = NR_EV_LIFE;
	e.c.family = r->family;
	e.c.lport = r->sport;
	e.c.rport = r->dport;
	if (own.owner != TL_OWNER_NONE) {
		e.c.pid = own.pid;
		e.c.tid = own.tid;
		e.c.uid = own.uid;
		__builtin_memcpy(e.c.comm, own.comm, sizeof(e.c.comm));
	}
	if (r->family == AF_INET6) {
		bpf_probe_read_kernel(e.c.laddr.v6, 16, r->saddr);
		bpf_probe_read_kernel(e.c.raddr.v6, 16, r->daddr);
	} else {
		bpf_probe_read_kernel(&e.c.laddr.v4, 4, r->saddr);
		bpf_probe_read_kernel(&e.c.raddr.v4, 4, r->daddr);
	}
	e.skaddr = r->sk;
	e.span_ns = now - own.birth_ns;
	e.tx_bytes = BPF_CORE_READ(tp, bytes_acked);
	e.rx_bytes = BPF_CORE_READ(tp, bytes_received);
	e.oldstate = r->oldstate;
	e.newstate = r->newstate;
	emit_rec(ctx, &e, sizeof(e));
}

static __always_inline int tl_state(void *ctx, const struct tl_rec *r)
{
	if (r->family != AF_INET && r->family != AF_INET6)
		return 0;
	if (r->newstate < TCP_FIN_WAIT1)
		tl_born(r);
	else if (r->newstate == TCP_FIN_WAIT1 || r->newstate == TCP_LAST_ACK)
		tl_own(r->sk, TL_OWNER_CLOSER);
	else if (r->newstate == TCP_CLOSE)
		tl_closed(ctx, r);
	return 0;
}

/*
 * tp_btf and raw_tp see (sk, oldstate, newstate): the rest is read from
 * sk as the tracepoint itself does (before anything of it changed).
 */
static __always_inline int tl_sk_state(void *ctx, struct sock *sk,
				       int oldstate, int newstate)
{
	__u64 skp = (__u64)sk;
	struct tl_rec r = {
		.sk = skp,
		.oldstate = oldstate,
		.newstate = newstate,
	};

	/* sk_protocol was a bitfield before Linux 5.6. */
	if (BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	r.family = BPF_CORE_READ(sk, __sk_common.skc_family);
	r.sport = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
	r.dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (r.family == AF_INET6) {
		r.saddr = (void *)(skp + bpf_core_field_offset(struct sock,
				__sk_common.skc_v6_rcv_saddr));
		r.daddr = (void *)(skp + bpf_core_field_offset(struct sock,
				__sk_common.skc_v6_daddr));
	} else {
		r.saddr = (void *)(skp + bpf_core_field_offset(struct sock,
				__sk_common.skc_rcv_saddr));
		r.daddr = (void *)(skp + bpf_core_field_offset(struct sock,
				__sk_common.skc_daddr));
	}
	return tl_state(ctx, &r);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tl_btf_state, struct sock *sk, int oldstate, int newstate)
{
	return tl_sk_state(ctx, sk, oldstate, newstate);
}

SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(tl_raw_state, struct sock *sk, int oldstate, int newstate)
{
	return tl_sk_state(ctx, sk, oldstate, newstate);
}

SEC("tracepoint/sock/inet_sock_set_state")
int tl_tp_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	struct tl_rec r = {
		.sk = (__u64)ctx->skaddr,
		.oldstate = ctx->oldstate,
		.newstate = ctx->newstate,
		.family = ctx->family,
		.sport = ctx->sport,
		.dport = ctx->dport,
	};

	if (ctx->protocol != IPPROTO_TCP)
		return 0;
	if (r.family == AF_INET6) {
		r.saddr = ctx->saddr_v6;
		r.daddr = ctx->daddr_v6;
	} else {
		r.saddr = ctx->saddr;
		r.daddr = ctx->daddr;
	}
	return tl_state(ctx, &r);
}

/* Passive opens: the task accept() returns the socket to owns it. */
SEC("fexit/inet_csk_accept")
int tl_fx_accept(unsigned long long *ctx)
{
	struct sock *sk = accept_fexit_sock(ctx);

	if (sk)
		tl_own((__u64)sk, TL_OWNER_ACCEPTER);
	return 0;
}

/* kprobe: the accepted socket grafted to its file (graft_tcp_sock()). */
SEC("kprobe/security_sock_graft")
int BPF_KPROBE(tl_kp_accept, struct sock *sk)
{
	sk = graft_tcp_sock(sk);
	if (sk)
		tl_own((__u64)sk, TL_OWNER_ACCEPTER);
	return 0;
}

/* Accepts that bypass these system calls (io_uring) are not seen here. */
static __always_inline int tl_tp_accepted(struct nr_sys_exit_ctx *ctx)
{
	struct sock *sk;

	if (ctx->ret < 0)
		return 0;
	sk = task_fd_sock(ctx->ret);
	if (sk)
		tl_own((__u64)sk, TL_OWNER_ACCEPTER);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int tl_tp_accept4(struct nr_sys_exit_ctx *ctx)
{
	return tl_tp_accepted(ctx);
}

SEC("tracepoint/syscalls/sys_exit_accept")
int tl_tp_accept(struct nr_sys_exit_ctx *ctx)
{
	return tl_tp_accepted(ctx);
}
