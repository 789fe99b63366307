/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * tcpconnlat: the latency of active TCP connects, from the start of the
 * connect to the first answer (SYN-ACK, or RST).  The connecting task is
 * stamped at the start (PID, COMM, time), keyed by socket; the answer
 * arrives in softirq context, or wherever the socket's backlog is run,
 * and is reported with the stamp.  Three strategies of one logic:
 *
 *   fentry/kprobe  tcp_v4/v6_connect() entry stamps (as BCC), and
 *                  tcp_rcv_state_process() in SYN_SENT ends it (as BCC:
 *                  the SYN-ACK or RST being processed).
 *   tracepoint     sock:inet_sock_set_state CLOSE -> SYN_SENT stamps (in
 *                  tcp_v4/v6_connect(), after the route lookup, before
 *                  the port is chosen and the SYN sent);
 *                  SYN_SENT -> ESTABLISHED ends it, and tcp:tcp_receive_reset
 *                  in SYN_SENT ends a refused one.  Other exits from
 *                  SYN_SENT (timeout, ICMP error, close) end nothing, as
 *                  BCC shows nothing for them.
 */

/* Minimum latency in microseconds (BCC's duration_us); 0: all. */
const volatile __u64 tcl_min_us;

struct tcl_start {
	__u64 ts_ns;
	__u32 pid;
	__u32 tid;
	__u32 uid;
	char comm[NR_TASK_COMM_LEN];
};

/*
 * Connects in flight, by struct sock *.  LRU: an attempt that never gets
 * an answer (timeout, ICMP error, closed first) is never ended on the
 * fentry and kprobe strategies, and must not hold its entry for good.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 10240);
	__type(key, __u64);
	__type(value, struct tcl_start);
} tcl_start SEC(".maps");

/* In the connecting task: -p and -4/-6 (the socket's own family). */
static __always_inline void tcl_stamp(__u64 skp, __u16 family)
{
	struct tcl_start s = {};
	__u64 id;

	if (filter_family && family != filter_family)
		return;
	if (task_filtered())
		return;
	id = bpf_get_current_pid_tgid();
	s.pid = id >> 32;
	s.tid = (__u32)id;
	s.uid = (__u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(s.comm, sizeof(s.comm));
	s.ts_ns = bpf_ktime_get_ns();
	bpf_map_update_elem(&tcl_start, &skp, &s, BPF_ANY);
}

/*
 * The answer to skp's connect: take its stamp (once), apply the minimum,
 * and send e (addresses and ports filled in by the caller, or by sk).
 */
static __always_inline void tcl_end(void *ctx, __u64 skp,
				    struct nr_sk_event *e, struct sock *sk)
{
	struct tcl_start *s = bpf_map_lookup_elem(&tcl_start, &skp);
	__u64 now = bpf_ktime_get_ns();

	if (!s)
		return;		/* not stamped: filtered, or before we began */
	e->c.ts_ns = now;
	e->c.pid = s->pid;
	e->c.tid = s->tid;
	e->c.uid = s->uid;
	__builtin_memcpy(e->c.comm, s->comm, sizeof(e->c.comm));
	e->span_ns = now - s->ts_ns;
	if (bpf_map_delete_elem(&tcl_start, &skp))
		return;		/* another CPU ended it first */
	if (e->span_ns / 1000 < tcl_min_us)
		return;
	if (sk)
		fill_sock(&e->c, sk, false);
	e->c.type = NR_EV_LATENCY;
	e->skaddr = skp;
	emit_rec(ctx, e, sizeof(*e));
}

/* BCC: only a socket still in SYN_SENT, i.e. the handshake's answer. */
static __always_inline int tcl_rcv(void *ctx, struct sock *sk)
{
	struct nr_sk_event e = {};

	if (BPF_CORE_READ(sk, __sk_common.skc_state) != TCP_SYN_SENT)
		return 0;
	tcl_end(ctx, (__u64)sk, &e, sk);
	return 0;
}

static __always_inline int tcl_connect(struct sock *sk)
{
	tcl_stamp((__u64)sk, BPF_CORE_READ(sk, __sk_common.skc_family));
	return 0;
}

/*
 * A connect to an IPv4-mapped address enters tcp_v6_connect(), then
 * tcp_v4_connect() for the same socket: the second stamp replaces the
 * first, as BCC's does.
 */
SEC("fentry/tcp_v4_connect")
int BPF_PROG(tcl_fe_v4, struct sock *sk)
{
	return tcl_connect(sk);
}

SEC("fentry/tcp_v6_connect")
int BPF_PROG(tcl_fe_v6, struct sock *sk)
{
	return tcl_connect(sk);
}

SEC("fentry/tcp_rcv_state_process")
int BPF_PROG(tcl_fe_rcv, struct sock *sk)
{
	return tcl_rcv(ctx, sk);
}

SEC("kprobe/tcp_v4_connect")
int BPF_KPROBE(tcl_kp_v4, struct sock *sk)
{
	return tcl_connect(sk);
}

SEC("kprobe/tcp_v6_connect")
int BPF_KPROBE(tcl_kp_v6, struct sock *sk)
{
	return tcl_connect(sk);
}

SEC("kprobe/tcp_rcv_state_process")
int BPF_KPROBE(tcl_kp_rcv, struct sock *sk)
{
	return tcl_rcv(ctx, sk);
}

/*
 * Tracepoints.  The state change's record has the addresses and ports
 * (the socket may have dropped its port by then); an IPv4-mapped
 * connect stays AF_INET6, as BCC prints it.
 */
static __always_inline void tcl_fill_tp(struct nr_event *e,
			const struct trace_event_raw_inet_sock_set_state *r)
{
	e->family = r->family;
	e->lport = r->sport;
	e->rport = r->dport;
	if (e->family == AF_INET6) {
		bpf_probe_read_kernel(e->laddr.v6, 16, r->saddr_v6);
		bpf_probe_read_kernel(e->raddr.v6, 16, r->daddr_v6);
		return;
	}
	bpf_probe_read_kernel(&e->laddr.v4, 4, r->saddr);
	bpf_probe_read_kernel(&e->raddr.v4, 4, r->daddr);
}

SEC("tracepoint/sock/inet_sock_set_state")
int tcl_tp_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	__u64 skp = (__u64)ctx->skaddr;
	struct nr_sk_event e = {};

	if (ctx->protocol != IPPROTO_TCP)
		return 0;
	if (ctx->oldstate == TCP_CLOSE && ctx->newstate == TCP_SYN_SENT) {
		tcl_stamp(skp, ctx->family);
	} else if (ctx->oldstate == TCP_SYN_SENT) {
		if (ctx->newstate != TCP_ESTABLISHED) {
			/* No answer, or a reset already reported. */
			bpf_map_delete_elem(&tcl_start, &skp);
			return 0;
		}
		tcl_fill_tp(&e.c, ctx);
		tcl_end(ctx, skp, &e, NULL);
	}
	return 0;
}

/*
 * A reset in SYN_SENT: the refusal BCC reports.  The state change to
 * CLOSE that follows cannot tell it from an ICMP port unreachable, which
 * sets the same error and which BCC does not report (no packet reaches
 * tcp_rcv_state_process()), so the reset is taken here.
 */
SEC("tracepoint/tcp/tcp_receive_reset")
int tcl_tp_rst(struct trace_event_raw_tcp_event_sk *ctx)
{
	struct sock *sk = (struct sock *)ctx->skaddr;

	return tcl_rcv(ctx, sk);
}
