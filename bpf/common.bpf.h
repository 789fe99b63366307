/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What every netrace applet's programs share: the per-run settings (set
 * by user space in .rodata before load, so the verifier prunes the filters
 * that are off), the task filters, the event buffer and the lost counter.
 */

/* Per-run settings; zero means "no filter". */
const volatile __u32 filter_pid;		/* thread group id */
const volatile bool filter_uid_on;
const volatile __u32 filter_uid;
const volatile __u16 filter_family;		/* AF_INET or AF_INET6 */
const volatile __u32 filter_nports;
const volatile __u16 filter_ports[NR_MAX_PORTS];
/* -L/--localport and -D/--remoteport lists (tcpstates, tcplife). */
const volatile __u32 filter_nlports;
const volatile __u16 filter_lports[NR_MAX_PORTS];
const volatile __u32 filter_nrports;
const volatile __u16 filter_rports[NR_MAX_PORTS];
const volatile bool filter_cgroup;
const volatile bool filter_mntns;
const volatile bool count_mode;
const volatile bool use_ringbuf = true;
/* Tracepoint records read by a checked layout, not CO-RE (tcpconnect). */
const volatile bool tp_raw;
/*
 * Wake the reader only once this much is waiting: it drains on a timer.
 * User space sets it to a quarter of the ring (lib/tracer.c).
 */
const volatile __u64 wakeup_bytes = 256 * 1024;

/*
 * A ring buffer, or a perf buffer on kernels without one (type set at
 * open).  User space sizes the ring by the number of CPUs.
 */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1024 * 1024);
} nr_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NR_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} nr_stats SEC(".maps");

/* Replaced by the user's pinned maps (--cgroupmap, --mntnsmap) before load. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u64);
	__type(value, __u64);
} nr_cgroup_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u64);
	__type(value, __u32);
} nr_mntns_map SEC(".maps");

static __always_inline void stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&nr_stats, &idx);

	if (v)
		*v += 1;
}

/* True when the current task is not one the user asked to trace. */
static __always_inline bool task_filtered(void)
{
	__u64 id = bpf_get_current_pid_tgid();

	if (filter_pid && (id >> 32) != filter_pid)
		return true;
	if (filter_uid_on && (__u32)bpf_get_current_uid_gid() != filter_uid)
		return true;
	if (filter_cgroup) {
		__u64 cgid = bpf_get_current_cgroup_id();

		if (!bpf_map_lookup_elem(&nr_cgroup_map, &cgid))
			return true;
	}
	if (filter_mntns) {
		struct task_struct *t = (void *)bpf_get_current_task();
		__u64 ino = BPF_CORE_READ(t, nsproxy, mnt_ns, ns.inum);

		if (!bpf_map_lookup_elem(&nr_mntns_map, &ino))
			return true;
	}
	return false;
}

/*
 * Is port left out by the list of n ports (n 0: no list)?  A macro: the
 * loop is unrolled only over the global array itself.
 */
#define PORT_OUT_OF(list, n, port) ({					\
	bool __out = (n) != 0;						\
	unsigned int __i;						\
									\
	_Pragma("unroll")						\
	for (__i = 0; __i < NR_MAX_PORTS; __i++) {			\
		if (__i >= (n))						\
			break;						\
		if ((list)[__i] == (port)) {				\
			__out = false;					\
			break;						\
		}							\
	}								\
	__out; })

static __always_inline bool port_filtered(__u16 port)
{
	return PORT_OUT_OF(filter_ports, filter_nports, port);
}

static __always_inline bool is_v4_mapped(const __u8 *a)
{
	const __u32 *w = (const __u32 *)a;

	return w[0] == 0 && w[1] == 0 && w[2] == bpf_htonl(0x0000ffff);
}

/*
 * sock_common opens with the IPv4 address pair, the hash, the port pair
 * and the family, side by side: one read of that span fetches what took
 * five helper calls.  The offsets come from CO-RE; were a kernel to move
 * the fields apart, the verifier would keep only the read-each branch.
 */
#define SKC_SPAN	24

static __always_inline __u16 read_skc(struct nr_event *e, struct sock *sk)
{
	const __u32 base = bpf_core_field_offset(struct sock, __sk_common.skc_daddr);
	const __u32 saddr = bpf_core_field_offset(struct sock, __sk_common.skc_rcv_saddr) - base;
	const __u32 dport = bpf_core_field_offset(struct sock, __sk_common.skc_dport) - base;
	const __u32 num = bpf_core_field_offset(struct sock, __sk_common.skc_num) - base;
	const __u32 family = bpf_core_field_offset(struct sock, __sk_common.skc_family) - base;
	__u8 b[SKC_SPAN];
	__u16 v;

	if (saddr > SKC_SPAN - 4 || dport > SKC_SPAN - 2 ||
	    num > SKC_SPAN - 2 || family > SKC_SPAN - 2) {
		e->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
		e->rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
		e->laddr.v4 = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		e->raddr.v4 = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		return BPF_CORE_READ(sk, __sk_common.skc_family);
	}
	if (bpf_probe_read_kernel(b, sizeof(b), (void *)sk + base))
		return 0;
	__builtin_memcpy(&e->raddr.v4, b, 4);
	__builtin_memcpy(&e->laddr.v4, b + saddr, 4);
	__builtin_memcpy(&v, b + dport, 2);
	e->rport = bpf_ntohs(v);
	__builtin_memcpy(&e->lport, b + num, 2);
	__builtin_memcpy(&v, b + family, 2);
	return v;
}

/*
 * Local and remote address and ports of sk.  With unmap, an AF_INET6
 * socket talking to an IPv4-mapped address is reported as IPv4 (its
 * connect goes through the IPv4 code, and BCC's tcpconnect sees that);
 * tcpaccept reports the accepted socket's own family, as BCC does.
 * A family other than AF_INET and AF_INET6 is left in e for the caller.
 */
static __always_inline void fill_sock(struct nr_event *e, struct sock *sk,
				      bool unmap)
{
	__u16 family = read_skc(e, sk);
	__u32 l4 = e->laddr.v4, r4 = e->raddr.v4;

	/*
	 * A socket that closed (reset before accept(), say) gave its port
	 * back, and skc_num is 0; the port it had stays in inet_sport.
	 */
	if (!e->lport)
		e->lport = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk,
						   inet_sport));
	e->family = family;
	if (family != AF_INET6)
		return;
	BPF_CORE_READ_INTO(&e->raddr.v6, sk,
			   __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	if (!unmap || !is_v4_mapped(e->raddr.v6)) {
		BPF_CORE_READ_INTO(&e->laddr.v6, sk,
			__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		return;
	}
	/* A mapped pair: the sock's IPv4 addresses are that pair. */
	e->family = AF_INET;
	__builtin_memset(&e->raddr, 0, sizeof(e->raddr));
	__builtin_memset(&e->laddr, 0, sizeof(e->laddr));
	e->laddr.v4 = l4;
	e->raddr.v4 = r4;
}

static __always_inline void fill_task(struct nr_event *e)
{
	__u64 id = bpf_get_current_pid_tgid();

	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->uid = (__u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
}

/*
 * The open file behind descriptor fd of the current task, or NULL: for
 * the system call tracepoints, which see descriptors, not sockets.
 */
static __always_inline struct file *fd_file(long fd)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	struct file **fds, *f;
	struct fdtable *fdt;

	if (fd < 0)
		return NULL;
	/* Each pointer hop is a helper call: walk to the table once. */
	fdt = BPF_CORE_READ(t, files, fdt);
	if (fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]))
		return NULL;
	return f;
}

/*
 * The sock of file f when f is a socket, else NULL.  A file's
 * private_data is a struct socket only for sockets: the socket's own
 * pointer back to f tells, without the kernel's (static) socket_file_ops.
 */
static __always_inline struct sock *file_sock(struct file *f)
{
	struct socket *sock;

	if (!f)
		return NULL;
	sock = BPF_CORE_READ(f, private_data);
	if (!sock || BPF_CORE_READ(sock, file) != f)
		return NULL;
	return BPF_CORE_READ(sock, sk);
}

/*
 * The socket of descriptor fd of the current task, or NULL: the
 * tracepoint strategies find what accept() returned this way.
 */
static __always_inline struct sock *task_fd_sock(long fd)
{
	return file_sock(fd_file(fd));
}

/*
 * The verifier takes only fixed-offset context loads; left to itself
 * clang turns the two into one load from a computed address.
 */
#define CTX_LOAD(ctx, idx) ({						\
	__u64 __v;							\
	asm volatile("%[v] = *(u64 *)(%[c] + %[off])"			\
		     : [v] "=r"(__v) : [c] "r"(ctx), [off] "i"((idx) * 8));	\
	__v; })

/*
 * fexit of inet_csk_accept(): the new socket.  fexit sees the return
 * value after the arguments: ctx[2] since Linux 6.10 (sk, struct
 * proto_accept_arg *), ctx[4] before (sk, flags, err, kern).  CO-RE
 * answers which, at load time.
 */
static __always_inline struct sock *accept_fexit_sock(unsigned long long *ctx)
{
	if (bpf_core_type_exists(struct proto_accept_arg))
		return (struct sock *)CTX_LOAD(ctx, 2);
	return (struct sock *)CTX_LOAD(ctx, 4);
}

/*
 * kprobe strategy: the new socket of an accept, from the entry of
 * security_sock_graft(), which inet_accept() calls (through sock_graft())
 * in the accepting task once inet_csk_accept() has returned it.  Not a
 * kretprobe on inet_csk_accept(), as BCC: a task blocked in accept() holds
 * a kretprobe instance, a kernel without CONFIG_PREEMPTION has
 * num_possible_cpus() of them, and with more tasks waiting than that the
 * other returns are lost without a trace (Linux 5.10 on 2 CPUs: 18 events
 * for 20 accepts by 4 threads).  An entry probe has no instances to run
 * out of.  Other families graft too: TCP sockets only.
 */
static __always_inline struct sock *graft_tcp_sock(struct sock *sk)
{
	if (!sk || BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol) != IPPROTO_TCP)
		return NULL;
	return sk;
}

/* Send one record (size bytes, at most NR_RECORD_MAX), or count it lost. */
static __always_inline void emit_rec(void *ctx, void *rec, __u64 size)
{
	if (use_ringbuf) {
		__u64 flags = BPF_RB_NO_WAKEUP;

		if (bpf_ringbuf_query(&nr_events, BPF_RB_AVAIL_DATA) + size >=
		    wakeup_bytes)
			flags = BPF_RB_FORCE_WAKEUP;
		if (bpf_ringbuf_output(&nr_events, rec, size, flags))
			stat_inc(NR_STAT_LOST);
	} else if (bpf_perf_event_output(ctx, &nr_events, BPF_F_CURRENT_CPU,
					 rec, size)) {
		stat_inc(NR_STAT_LOST);
	}
}

static __always_inline void emit(void *ctx, struct nr_event *e)
{
	emit_rec(ctx, e, sizeof(*e));
}
