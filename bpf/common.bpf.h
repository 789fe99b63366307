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
const volatile bool filter_cgroup;
const volatile bool filter_mntns;
const volatile bool count_mode;
const volatile bool use_ringbuf = true;
/* Wake the reader only once this much is waiting: it drains on a timer. */
const volatile __u64 wakeup_bytes = 256 * 1024;

/* A ring buffer, or a perf buffer on kernels without one (type set at open). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 * 1024 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NR_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/* Replaced by the user's pinned maps (--cgroupmap, --mntnsmap) before load. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u64);
	__type(value, __u64);
} cgroup_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u64);
	__type(value, __u32);
} mntns_map SEC(".maps");

static __always_inline void stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

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

		if (!bpf_map_lookup_elem(&cgroup_map, &cgid))
			return true;
	}
	if (filter_mntns) {
		struct task_struct *t = (void *)bpf_get_current_task();
		__u64 ino = BPF_CORE_READ(t, nsproxy, mnt_ns, ns.inum);

		if (!bpf_map_lookup_elem(&mntns_map, &ino))
			return true;
	}
	return false;
}

static __always_inline bool port_filtered(__u16 port)
{
	unsigned int i;

	if (!filter_nports)
		return false;
#pragma unroll
	for (i = 0; i < NR_MAX_PORTS; i++) {
		if (i >= filter_nports)
			break;
		if (filter_ports[i] == port)
			return false;
	}
	return true;
}

static __always_inline bool is_v4_mapped(const __u8 *a)
{
	const __u32 *w = (const __u32 *)a;

	return w[0] == 0 && w[1] == 0 && w[2] == bpf_htonl(0x0000ffff);
}

/*
 * Local and remote address and ports of sk.  With unmap, an AF_INET6
 * socket talking to an IPv4-mapped address is reported as IPv4 (its
 * connect goes through the IPv4 code, and BCC's tcpconnect sees that);
 * tcpaccept reports the accepted socket's own family, as BCC does.
 */
static __always_inline void fill_sock(struct nr_event *e, struct sock *sk,
				      bool unmap)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	e->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	e->rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (family == AF_INET6) {
		BPF_CORE_READ_INTO(&e->raddr.v6, sk,
				   __sk_common.skc_v6_daddr.in6_u.u6_addr8);
		if (!unmap || !is_v4_mapped(e->raddr.v6)) {
			BPF_CORE_READ_INTO(&e->laddr.v6, sk,
				__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
			e->family = AF_INET6;
			return;
		}
		__builtin_memset(&e->raddr, 0, sizeof(e->raddr));
	}
	e->family = AF_INET;
	e->laddr.v4 = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
	e->raddr.v4 = BPF_CORE_READ(sk, __sk_common.skc_daddr);
}

static __always_inline void fill_task(struct nr_event *e)
{
	__u64 id = bpf_get_current_pid_tgid();

	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->uid = (__u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
}

static __always_inline void emit(void *ctx, struct nr_event *e)
{
	if (use_ringbuf) {
		__u64 flags = BPF_RB_NO_WAKEUP;

		if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) + sizeof(*e) >=
		    wakeup_bytes)
			flags = BPF_RB_FORCE_WAKEUP;
		if (bpf_ringbuf_output(&events, e, sizeof(*e), flags))
			stat_inc(NR_STAT_LOST);
	} else if (bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, e,
					 sizeof(*e))) {
		stat_inc(NR_STAT_LOST);
	}
}
