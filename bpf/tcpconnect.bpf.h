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
 */
struct tc_pending {
	__u64 ts_ns;
	__u64 pid_tgid;
	__u32 uid;
	char comm[NR_TASK_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);			/* struct sock * */
	__type(value, struct tc_pending);
} tc_pending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);			/* pid_tgid */
	__type(value, __u64);			/* struct sock * */
} tc_tid_sk SEC(".maps");

/*
 * The state tracepoint fires after the socket left the bind hash, when
 * sk's own port is gone: take the addresses the tracepoint recorded.
 */
static __always_inline void fill_tp(struct nr_event *e,
				    struct trace_event_raw_inet_sock_set_state *ctx)
{
	e->family = ctx->family;
	e->lport = ctx->sport;
	e->rport = ctx->dport;
	if (e->family == AF_INET6) {
		bpf_probe_read_kernel(&e->raddr.v6, 16, ctx->daddr_v6);
		if (!is_v4_mapped(e->raddr.v6)) {
			bpf_probe_read_kernel(&e->laddr.v6, 16, ctx->saddr_v6);
			return;
		}
		__builtin_memset(&e->raddr, 0, sizeof(e->raddr));
		e->family = AF_INET;
	}
	bpf_probe_read_kernel(&e->laddr.v4, 4, ctx->saddr);
	bpf_probe_read_kernel(&e->raddr.v4, 4, ctx->daddr);
}

/* Report sk's pending attempt once: whoever deletes the entry reports. */
static __always_inline void tc_tp_report(void *ctx, __u64 skp,
		struct trace_event_raw_inet_sock_set_state *tp)
{
	struct tc_pending *p = bpf_map_lookup_elem(&tc_pending, &skp);
	struct nr_event e = {};

	if (!p)
		return;
	e.ts_ns = p->ts_ns;
	e.pid = p->pid_tgid >> 32;
	e.tid = (__u32)p->pid_tgid;
	e.uid = p->uid;
	__builtin_memcpy(e.comm, p->comm, sizeof(e.comm));
	if (bpf_map_delete_elem(&tc_pending, &skp))
		return;
	if (tp)
		fill_tp(&e, tp);
	else
		fill_sock(&e, (struct sock *)skp, true);
	/* No port: inet_hash_connect() failed, no SYN was sent. */
	if (!e.lport)
		return;
	tc_report(ctx, &e);
}

SEC("tracepoint/sock/inet_sock_set_state")
int tc_tp_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	__u64 skp = (__u64)ctx->skaddr;

	if (ctx->protocol != IPPROTO_TCP)
		return 0;
	if (ctx->oldstate == TCP_SYN_SENT) {
		tc_tp_report(ctx, skp, ctx);
		return 0;
	}
	if (ctx->oldstate == TCP_CLOSE && ctx->newstate == TCP_SYN_SENT) {
		__u64 id = bpf_get_current_pid_tgid();
		struct tc_pending p = {
			.ts_ns = bpf_ktime_get_ns(),
			.pid_tgid = id,
			.uid = (__u32)bpf_get_current_uid_gid(),
		};

		if (task_filtered())
			return 0;
		bpf_get_current_comm(p.comm, sizeof(p.comm));
		bpf_map_update_elem(&tc_pending, &skp, &p, BPF_ANY);
		bpf_map_update_elem(&tc_tid_sk, &id, &skp, BPF_ANY);
	}
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_connect")
int tc_tp_connect_ret(struct nr_sys_exit_ctx *ctx)
{
	__u64 id = bpf_get_current_pid_tgid(), *skp, sk;

	skp = bpf_map_lookup_elem(&tc_tid_sk, &id);
	if (!skp)
		return 0;
	sk = *skp;
	bpf_map_delete_elem(&tc_tid_sk, &id);
	tc_tp_report(ctx, sk, NULL);
	return 0;
}
