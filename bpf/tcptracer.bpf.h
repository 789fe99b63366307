/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * tcptracer: established TCP connections as they are made (connect),
 * taken (accept) and closed, each with the task that did it.  As BCC's
 * tool: a connect counts once it is established, a close is the close
 * of the socket's last descriptor (tcp_close()) unless the socket never
 * got past the handshake, and no event has a zero address or port.
 */

/* -N: the socket's network namespace inode; 0 for any. */
const volatile __u32 tt_netns;

/*
 * Who connected each socket, from the connect until the socket is
 * established (reported then) or closes.  LRU: a missed state change
 * must not leak an entry for good.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);			/* struct sock * */
	__type(value, struct nr_event);		/* the connecting task */
} tt_conn SEC(".maps");

/*
 * Fill e from sk and the task fields already in it, then filter and
 * send.  The socket's own family, as BCC: an IPv6 socket talking to an
 * IPv4-mapped address is IPv6 ([::ffff:a.b.c.d]).
 */
static __always_inline void tt_send(void *ctx, struct sock *sk,
				    struct nr_sk_event *e, __u8 type)
{
	const __u32 *l = (const __u32 *)e->c.laddr.v6;
	const __u32 *r = (const __u32 *)e->c.raddr.v6;

	fill_sock(&e->c, sk, false);
	/*
	 * BCC's port for connects and closes is inet_sport, which a socket
	 * keeps after it gave its bound port back (closed by a reset).
	 */
	if (type != NR_EV_ACCEPT)
		e->c.lport = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk,
						     inet_sport));
	if (e->c.family != AF_INET && e->c.family != AF_INET6)
		return;
	if (filter_family && e->c.family != filter_family)
		return;
	e->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	if (tt_netns && e->netns != tt_netns)
		return;
	/* BCC drops what has a zero address or port: unconnected sockets. */
	if (!e->c.lport || !e->c.rport)
		return;
	if (e->c.family == AF_INET && (!e->c.laddr.v4 || !e->c.raddr.v4))
		return;
	if (e->c.family == AF_INET6 && (!(l[0] | l[1] | l[2] | l[3]) ||
					!(r[0] | r[1] | r[2] | r[3])))
		return;
	e->c.type = type;
	e->c.ts_ns = bpf_ktime_get_ns();
	e->skaddr = (__u64)sk;
	emit_rec(ctx, e, sizeof(*e));
}

/* An event of the current task (accept, close). */
static __always_inline int tt_task_event(void *ctx, struct sock *sk,
					 __u8 type)
{
	struct nr_sk_event e = {};

	if (!sk)
		return 0;
	if (BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	fill_task(&e.c);
	tt_send(ctx, sk, &e, type);
	return 0;
}

/* A connect went out from the current task (the caller filtered it). */
static __always_inline void tt_remember(__u64 skp)
{
	struct nr_event t = {};

	fill_task(&t);
	bpf_map_update_elem(&tt_conn, &skp, &t, BPF_ANY);
}

/* sk changes state: report its connect once established. */
static __always_inline void tt_state(void *ctx, struct sock *sk, int state)
{
	__u64 skp = (__u64)sk;
	struct nr_sk_event e = {};
	struct nr_event *t;

	if (state == TCP_CLOSE) {
		bpf_map_delete_elem(&tt_conn, &skp);
		return;
	}
	if (state != TCP_ESTABLISHED)
		return;
	t = bpf_map_lookup_elem(&tt_conn, &skp);
	if (!t)
		return;
	e.c = *t;
	if (bpf_map_delete_elem(&tt_conn, &skp))
		return;		/* another CPU reported it */
	tt_send(ctx, sk, &e, NR_EV_CONNECT);
}

/* tcp_close(sk): what BCC reports of it. */
static __always_inline int tt_close(void *ctx, struct sock *sk)
{
	int state = BPF_CORE_READ(sk, __sk_common.skc_state);

	if (task_filtered())
		return 0;
	/* Closed before it was established: no connection to report. */
	if (state == TCP_SYN_SENT || state == TCP_SYN_RECV ||
	    state == TCP_NEW_SYN_RECV)
		return 0;
	return tt_task_event(ctx, sk, NR_EV_CLOSE);
}

/* fentry/fexit. */
SEC("fexit/tcp_v4_connect")
int BPF_PROG(tt_fx_v4, struct sock *sk, void *uaddr, int addr_len, int ret)
{
	if (!ret && !task_filtered())
		tt_remember((__u64)sk);
	return 0;
}

SEC("fexit/tcp_v6_connect")
int BPF_PROG(tt_fx_v6, struct sock *sk, void *uaddr, int addr_len, int ret)
{
	if (!ret && !task_filtered())
		tt_remember((__u64)sk);
	return 0;
}

SEC("fentry/tcp_set_state")
int BPF_PROG(tt_fe_state, struct sock *sk, int state)
{
	tt_state(ctx, sk, state);
	return 0;
}

SEC("fentry/tcp_close")
int BPF_PROG(tt_fe_close, struct sock *sk)
{
	return tt_close(ctx, sk);
}

SEC("fexit/inet_csk_accept")
int tt_fx_accept(unsigned long long *ctx)
{
	if (task_filtered())
		return 0;
	return tt_task_event(ctx, accept_fexit_sock(ctx), NR_EV_ACCEPT);
}

/* kprobes: the connecting socket by thread until connect returns. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u64);
	__type(value, __u64);
} tt_kp_sk SEC(".maps");

static __always_inline int tt_kp_entry(struct sock *sk)
{
	__u64 id = bpf_get_current_pid_tgid(), skp = (__u64)sk;

	if (task_filtered())
		return 0;
	/* An IPv4-mapped tcp_v6_connect() calls tcp_v4_connect(): same sk. */
	bpf_map_update_elem(&tt_kp_sk, &id, &skp, BPF_ANY);
	return 0;
}

static __always_inline int tt_kp_return(int ret)
{
	__u64 id = bpf_get_current_pid_tgid(), *skp;

	skp = bpf_map_lookup_elem(&tt_kp_sk, &id);
	if (!skp)
		return 0;
	if (!ret)
		tt_remember(*skp);
	bpf_map_delete_elem(&tt_kp_sk, &id);
	return 0;
}

SEC("kprobe/tcp_v4_connect")
int BPF_KPROBE(tt_kp_v4, struct sock *sk)
{
	return tt_kp_entry(sk);
}

SEC("kretprobe/tcp_v4_connect")
int BPF_KRETPROBE(tt_kr_v4, int ret)
{
	return tt_kp_return(ret);
}

SEC("kprobe/tcp_v6_connect")
int BPF_KPROBE(tt_kp_v6, struct sock *sk)
{
	return tt_kp_entry(sk);
}

SEC("kretprobe/tcp_v6_connect")
int BPF_KRETPROBE(tt_kr_v6, int ret)
{
	return tt_kp_return(ret);
}

SEC("kprobe/tcp_set_state")
int BPF_KPROBE(tt_kp_state, struct sock *sk, int state)
{
	tt_state(ctx, sk, state);
	return 0;
}

SEC("kprobe/tcp_close")
int BPF_KPROBE(tt_kp_close, struct sock *sk)
{
	return tt_close(ctx, sk);
}

/* The accepted socket grafted to its file (graft_tcp_sock()). */
SEC("kprobe/security_sock_graft")
int BPF_KPROBE(tt_kp_accept, struct sock *sk)
{
	if (task_filtered())
		return 0;
	return tt_task_event(ctx, graft_tcp_sock(sk), NR_EV_ACCEPT);
}

/*
 * Tracepoints.  Connects: CLOSE -> SYN_SENT runs in the connecting task,
 * SYN_SENT -> ESTABLISHED reports.  Accepts: accept()/accept4() returning
 * a descriptor, as tcpaccept.  Closes: no tracepoint marks tcp_close(),
 * but its first state change runs inside the release of the socket's
 * last file reference, in the closing task; a socket already closed
 * (reset by the peer) makes no change there, and is caught at close(2).
 */

/* The struct file reference count: a file_ref_t since Linux 6.13. */
struct file___ref {
	struct {
		struct {
			long counter;
		} refcnt;
	} f_ref;
} __attribute__((preserve_access_index));

struct file___count {
	struct {
		long counter;
	} f_count;
} __attribute__((preserve_access_index));

/*
 * References to f, as "one" (the caller's alone) or "none" (being
 * released): file_ref_t counts one reference as 0 and marks a released
 * file with a negative value; atomic_long_t counts them.
 */
static __always_inline long file_refs(struct file *f, bool *newer)
{
	*newer = bpf_core_field_exists(struct file___ref, f_ref);
	if (*newer)
		return BPF_CORE_READ((struct file___ref *)f, f_ref.refcnt.counter);
	return BPF_CORE_READ((struct file___count *)f, f_count.counter);
}

/* sk's file is being released (its last reference dropped). */
static __always_inline bool tt_releasing(struct sock *sk)
{
	struct file *f = BPF_CORE_READ(sk, sk_socket, file);
	bool newer;
	long n;

	if (!f)
		return false;
	n = file_refs(f, &newer);
	return newer ? n < 0 : n == 0;
}

/*
 * The state changes tcp_close() makes first, from each state BCC
 * reports (tcp_close_state(), or to CLOSE: unread data, SO_LINGER 0).
 * Only these: a socket lingering in close() (SO_LINGER) releases its
 * lock, and the peer's answers then change its state in other contexts.
 */
static __always_inline bool tt_close_change(int old, int new)
{
	switch (old) {
	case TCP_ESTABLISHED:
		return new == TCP_FIN_WAIT1 || new == TCP_CLOSE;
	case TCP_CLOSE_WAIT:
		return new == TCP_LAST_ACK || new == TCP_CLOSE;
	case TCP_FIN_WAIT1:
	case TCP_FIN_WAIT2:
	case TCP_CLOSING:
	case TCP_LAST_ACK:
		return new == old;
	}
	return false;
}

SEC("tracepoint/sock/inet_sock_set_state")
int tt_tp_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	struct sock *sk = (struct sock *)ctx->skaddr;
	int old = ctx->oldstate, new = ctx->newstate;

	if (ctx->protocol != IPPROTO_TCP)
		return 0;
	if (old == TCP_CLOSE && new == TCP_SYN_SENT) {
		if (!task_filtered())
			tt_remember((__u64)sk);
		return 0;
	}
	if (tt_close_change(old, new) && tt_releasing(sk) && !task_filtered())
		tt_task_event(ctx, sk, NR_EV_CLOSE);
	if (old == TCP_SYN_SENT || new == TCP_CLOSE)
		tt_state(ctx, sk, new);
	return 0;
}

static __always_inline int tt_tp_accept(struct nr_sys_exit_ctx *ctx)
{
	if (ctx->ret < 0 || task_filtered())
		return 0;
	return tt_task_event(ctx, task_fd_sock(ctx->ret), NR_EV_ACCEPT);
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int tt_tp_accept4(struct nr_sys_exit_ctx *ctx)
{
	return tt_tp_accept(ctx);
}

SEC("tracepoint/syscalls/sys_exit_accept")
int tt_tp_accept1(struct nr_sys_exit_ctx *ctx)
{
	return tt_tp_accept(ctx);
}

/* close(2) of the last reference to a socket in CLOSE (see above). */
SEC("tracepoint/syscalls/sys_enter_close")
int tt_tp_close(struct nr_sys_enter_ctx *ctx)
{
	struct file *f = fd_file(ctx->args[0]);
	struct sock *sk = file_sock(f);
	bool newer;
	long n;

	if (!sk || BPF_CORE_READ(sk, __sk_common.skc_state) != TCP_CLOSE)
		return 0;
	n = file_refs(f, &newer);
	if (n != (newer ? 0 : 1) || task_filtered())
		return 0;
	return tt_task_event(ctx, sk, NR_EV_CLOSE);
}
