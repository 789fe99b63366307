/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * tcpaccept: one event per successful accept(), seen in the task that
 * called accept() (never in the softirq that finished the handshake, whose
 * current task is unrelated), so PID, COMM and UID are the accepter's.
 */

static __always_inline int ta_report(void *ctx, struct sock *sk)
{
	struct nr_event e = {};

	if (!sk)
		return 0;
	/* sk_protocol was a bitfield before Linux 5.6. */
	if (BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	fill_sock(&e, sk, false);
	if (e.family != AF_INET && e.family != AF_INET6)
		return 0;
	if (filter_family && e.family != filter_family)
		return 0;
	if (port_filtered(e.lport))
		return 0;
	fill_task(&e);
	e.ts_ns = bpf_ktime_get_ns();
	e.type = NR_EV_ACCEPT;
	emit(ctx, &e);
	return 0;
}

SEC("fexit/inet_csk_accept")
int ta_fx(unsigned long long *ctx)
{
	if (task_filtered())
		return 0;
	return ta_report(ctx, accept_fexit_sock(ctx));
}

/* kprobe: the accepted socket grafted to its file (graft_tcp_sock()). */
SEC("kprobe/security_sock_graft")
int BPF_KPROBE(ta_kp, struct sock *sk)
{
	if (task_filtered())
		return 0;
	return ta_report(ctx, graft_tcp_sock(sk));
}

/*
 * Tracepoints: accept()/accept4() returning a descriptor; its socket is
 * found through the task's file table.  Accepts that bypass these system
 * calls (io_uring, in-kernel users) are not seen.
 */
static __always_inline int ta_tp_exit(struct nr_sys_exit_ctx *ctx)
{
	if (ctx->ret < 0 || task_filtered())
		return 0;
	return ta_report(ctx, task_fd_sock(ctx->ret));
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int ta_tp_accept4(struct nr_sys_exit_ctx *ctx)
{
	return ta_tp_exit(ctx);
}

SEC("tracepoint/syscalls/sys_exit_accept")
int ta_tp_accept(struct nr_sys_exit_ctx *ctx)
{
	return ta_tp_exit(ctx);
}
