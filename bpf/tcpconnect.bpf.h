/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * tcpconnect: one event per active TCP connection attempt, once the SYN
 * has gone out (the source port is chosen then).  Three strategies of the
 * same logic; user space loads the best one the kernel allows.
 */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct nr_count_key);
	__type(value, __u64);
} tc_counts SEC(".maps");

/* Filter on what the connection is, then count it or send it. */
static __always_inline void tc_report(void *ctx, struct nr_event *e)
{
	e->type = NR_EV_CONNECT;
	if (filter_family && e->family != filter_family)
		return;
	if (port_filtered(e->rport))
		return;
	if (count_mode) {
		struct nr_count_key k = {
			.saddr = e->laddr,
			.daddr = e->raddr,
			.family = e->family,
			.dport = e->rport,
		};
		__u64 one = 1, *n = bpf_map_lookup_elem(&tc_counts, &k);

		if (n) {
			__sync_fetch_and_add(n, 1);
			return;
		}
		/* Another CPU may have inserted the key since the lookup. */
		if (!bpf_map_update_elem(&tc_counts, &k, &one, BPF_NOEXIST))
			return;
		n = bpf_map_lookup_elem(&tc_counts, &k);
		if (n)
			__sync_fetch_and_add(n, 1);
		return;
	}
	emit(ctx, e);
}

/* The connecting task is current: fexit and kretprobe. */
static __always_inline int tc_return(void *ctx, struct sock *sk, int ret,
				     bool v6)
{
	struct nr_event e = {};

	if (ret || !sk)
		return 0;
	fill_sock(&e, sk, true);
	/* tcp_v6_connect() of a mapped address was reported by tcp_v4_connect(). */
	if (v6 && e.family != AF_INET6)
		return 0;
	fill_task(&e);
	e.ts_ns = bpf_ktime_get_ns();
	tc_report(ctx, &e);
	return 0;
}

/* fentry/fexit: arguments and return value in one program. */
SEC("fexit/tcp_v4_connect")
int BPF_PROG(tc_fx_v4, struct sock *sk, void *uaddr, int addr_len, int ret)
{
	if (task_filtered())
		return 0;
	return tc_return(ctx, sk, ret, false);
}

SEC("fexit/tcp_v6_connect")
int BPF_PROG(tc_fx_v6, struct sock *sk, void *uaddr, int addr_len, int ret)
{
	if (task_filtered())
		return 0;
	return tc_return(ctx, sk, ret, true);
}

/* kprobe/kretprobe: remember the socket by thread until the return. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u64);
	__type(value, __u64);
} tc_kp_sk SEC(".maps");

static __always_inline int tc_kp_entry(struct sock *sk)
{
	__u64 id = bpf_get_current_pid_tgid(), skp = (__u64)sk;

	if (task_filtered())
		return 0;
	bpf_map_update_elem(&tc_kp_sk, &id, &skp, BPF_ANY);
	return 0;
}

static __always_inline int tc_kp_return(void *ctx, int ret, bool v6)
{
	__u64 id = bpf_get_current_pid_tgid(), *skp;
	struct sock *sk;

	skp = bpf_map_lookup_elem(&tc_kp_sk, &id);
	if (!skp)
		return 0;
	sk = (struct sock *)*skp;
	bpf_map_delete_elem(&tc_kp_sk, &id);
	return tc_return(ctx, sk, ret, v6);
}

SEC("kprobe/tcp_v4_connect")
int BPF_KPROBE(tc_kp_v4, struct sock *sk)
{
	return tc_kp_entry(sk);
}

SEC("kretprobe/tcp_v4_connect")
int BPF_KRETPROBE(tc_kr_v4, int ret)
{
	return tc_kp_return(ctx, ret, false);
}

SEC("kprobe/tcp_v6_connect")
int BPF_KPROBE(tc_kp_v6, struct sock *sk)
{
	return tc_kp_entry(sk);
}

SEC("kretprobe/tcp_v6_connect")
int BPF_KRETPROBE(tc_kr_v6, int ret)
{
	return tc_kp_return(ctx, ret, true);
}

/*
 * Tracepoints.  CLOSE -> SYN_SENT fires in the connecting task, but before
 * the source port is chosen and before the SYN is sent (which may still
 * fail).  So remember the task there, and report the connection at the
 * first of: connect() returning in that thread (non-blocking connects,
 * refusals) or the socket's next state change (blocking connects,
 * TCP Fast Open), when the port is known.
 *
 * A pending entry lives from SYN_SENT to its report: 8192 connects in
 * flight at once, as libbpf-tools' tcpconnect allows.  LRU, so that a
 * state change the kernel skipped (a BPF program already running on that
 * CPU) cannot leak an entry for good.  Each preallocated entry costs
 * start-up time: 16384 took 3 ms more on the development machine.
 */
#define TC_INFLIGHT_MAX	8192
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TC_INFLIGHT_MAX);
	__type(key, __u64);			/* struct sock * */
	__type(value, struct nr_event);		/* task, addresses at SYN_SENT */
} tc_pending SEC(".maps");

/*
 * The connect that last went CLOSE -> SYN_SENT on this CPU, for its
 * connect() to report at its return.  A non-blocking connect returns on
 * the CPU it started on with nothing run there in between, as a rule;
 * when not (it slept in the port search, or moved), the thread found
 * here differs, and the connection is reported at the socket's next
 * state change instead: later, never lost.  A hash keyed by thread cost
 * an update, a lookup and a delete per connect; this costs two lookups.
 */
struct tc_last {
	__u64 id;				/* pid_tgid; 0: taken */
	__u64 sk;				/* struct sock * */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tc_last);
} tc_last SEC(".maps");

/*
 * What the programs use of the state tracepoint's record.  With tp_raw
 * it is read as struct nr_tp_sock_state, a layout user space checked
 * against the tracepoint's format file: no kernel types are involved,
 * so libbpf need not read the kernel's BTF (tcpconnect without -L, -j
 * or --mntnsmap: nothing but the local port needs the socket).  Else
 * through CO-RE.  User space loads one of the two state programs.
 */
struct tc_tp_rec {
	__u64 skaddr;
	int oldstate;
	int newstate;
	__u16 sport;
	__u16 dport;
	__u16 family;
	__u16 protocol;
	const __u8 *saddr;
	const __u8 *daddr;
	const __u8 *saddr_v6;
	const __u8 *daddr_v6;
};

#define TC_TP_REC(r, c) do {						\
	(r)->skaddr = (__u64)(c)->skaddr;				\
	(r)->oldstate = (c)->oldstate;					\
	(r)->newstate = (c)->newstate;					\
	(r)->sport = (c)->sport;					\
	(r)->dport = (c)->dport;					\
	(r)->family = (c)->family;					\
	(r)->protocol = (c)->protocol;					\
	(r)->saddr = (c)->saddr;					\
	(r)->daddr = (c)->daddr;					\
	(r)->saddr_v6 = (c)->saddr_v6;					\
	(r)->daddr_v6 = (c)->daddr_v6;					\
} while (0)

/*
 * The state tracepoint fires after the socket left the bind hash, when
 * sk's own port is gone: take the addresses the tracepoint recorded.
 */
static __always_inline void fill_tp(struct nr_event *e,
				    const struct tc_tp_rec *r)
{
	e->family = r->family;
	e->lport = r->sport;
	e->rport = r->dport;
	if (e->family == AF_INET6) {
		bpf_probe_read_kernel(&e->raddr.v6, 16, r->daddr_v6);
		if (!is_v4_mapped(e->raddr.v6)) {
			bpf_probe_read_kernel(&e->laddr.v6, 16, r->saddr_v6);
			return;
		}
		__builtin_memset(&e->raddr, 0, sizeof(e->raddr));
		e->family = AF_INET;
	}
	bpf_probe_read_kernel(&e->laddr.v4, 4, r->saddr);
	bpf_probe_read_kernel(&e->raddr.v4, 4, r->daddr);
}

/*
 * Report sk's pending attempt once: whoever deletes the entry reports.
 * r is the state change, or NULL at the return of thread id's connect().
 */
static __always_inline void tc_tp_report(void *ctx, __u64 skp,
					 const struct tc_tp_rec *r, __u64 id)
{
	struct nr_event *p = bpf_map_lookup_elem(&tc_pending, &skp);
	struct nr_event e;

	if (!p)
		return;
	/* At a return, only the connect of this thread (sk may be reused). */
	if (!r && ((__u64)p->pid << 32 | p->tid) != id)
		return;
	e = *p;
	if (bpf_map_delete_elem(&tc_pending, &skp))
		return;
	if (r) {
		fill_tp(&e, r);
	} else if (tp_raw) {
		/*
		 * Still pending when connect() returns: the SYN went out
		 * (a failure closes the socket first, as a state change).
		 * The port is the socket's alone: this mode does not show
		 * it, and the addresses are those of CLOSE -> SYN_SENT.
		 */
		tc_report(ctx, &e);
		return;
	} else {
		fill_sock(&e, (struct sock *)skp, true);
	}
	/* No port: inet_hash_connect() failed, no SYN was sent. */
	if (!e.lport)
		return;
	tc_report(ctx, &e);
}

static __always_inline void tc_tp_remember(const struct tc_tp_rec *r)
{
	__u64 skp = r->skaddr;
	struct nr_event e = {};
	struct tc_last *last;
	__u32 zero = 0;

	if (task_filtered())
		return;
	fill_task(&e);
	e.ts_ns = bpf_ktime_get_ns();
	if (tp_raw)
		fill_tp(&e, r);
	if (bpf_map_update_elem(&tc_pending, &skp, &e, BPF_ANY))
		return;
	last = bpf_map_lookup_elem(&tc_last, &zero);
	if (last) {
		last->id = (__u64)e.pid << 32 | e.tid;
		last->sk = skp;
	}
}

static __always_inline int tc_tp_state_rec(void *ctx, const struct tc_tp_rec *r)
{
	if (r->protocol != IPPROTO_TCP)
		return 0;
	if (r->oldstate == TCP_SYN_SENT)
		tc_tp_report(ctx, r->skaddr, r, 0);
	else if (r->oldstate == TCP_CLOSE && r->newstate == TCP_SYN_SENT)
		tc_tp_remember(r);
	return 0;
}

/* Two programs: clang would merge the two ways of reading into one. */
SEC("tracepoint/sock/inet_sock_set_state")
int tc_tp_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	struct tc_tp_rec r;

	TC_TP_REC(&r, ctx);
	return tc_tp_state_rec(ctx, &r);
}

SEC("tracepoint/sock/inet_sock_set_state")
int tc_tp_state_raw(struct nr_tp_sock_state *ctx)
{
	struct tc_tp_rec r;

	TC_TP_REC(&r, ctx);
	return tc_tp_state_rec(ctx, &r);
}

SEC("tracepoint/syscalls/sys_exit_connect")
int tc_tp_connect_ret(struct nr_sys_exit_ctx *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct tc_last *last;
	__u32 zero = 0;

	last = bpf_map_lookup_elem(&tc_last, &zero);
	if (!last || last->id != id)
		return 0;
	last->id = 0;
	tc_tp_report(ctx, last->sk, NULL, id);
	return 0;
}
