// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* memfd_create() */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <sched.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <cap-ng.h>

#include "clock.h"
#include "ktypes.h"
#include "log.h"
#include "netrace.skel.h"
#include "out.h"
#include "tracer.h"

#define POLL_MS		100	/* drain interval: rows show within 100 ms */
#define PERF_PAGES	64	/* per CPU */
/* After the stop signal: how long a reader that does not read is waited for. */
#define STOP_DEADLINE_S	5
#define KERNEL_BTF	"/sys/kernel/btf/vmlinux"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif
#define HEAP_TRIM_DEFAULT	(128 * 1024)	/* glibc's M_TRIM_THRESHOLD */

/* SIGINT/SIGTERM received: the first stops tracing, the second output. */
static volatile sig_atomic_t stop_signals;
/* The signal mask while waiting: the stop signals let in. */
static sigset_t wait_mask;
/* stdout while tracing (lib/out.h). */
static struct out out;

static void on_signal(int sig __attribute__((unused)))
{
	stop_signals++;
}

/*
 * SIGINT and SIGTERM stay blocked except inside ppoll(): so one can never
 * land between the check of stop_signals and a wait that it should have
 * cut short, nor interrupt a write() half-way through a row.
 */
static void install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t stop;

	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sa.sa_mask = stop;
	sigprocmask(SIG_BLOCK, &stop, &wait_mask);
	sigdelset(&wait_mask, SIGINT);
	sigdelset(&wait_mask, SIGTERM);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* A closed pipe shows up as EPIPE on write, and we stop cleanly. */
	signal(SIGPIPE, SIG_IGN);
}

static int libbpf_log(enum libbpf_print_level level __attribute__((unused)),
		      const char *fmt, va_list ap)
{
	if (!nr_verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static bool has_caps(const unsigned int *caps, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (capng_have_capability(CAPNG_EFFECTIVE, caps[i]) != 1)
			return false;
	return true;
}

int tracer_check_privileges(void)
{
#ifndef CAP_BPF
#define CAP_PERFMON	38
#define CAP_BPF		39
#endif
	static const unsigned int admin[] = { CAP_SYS_ADMIN };
	static const unsigned int bpf[] = { CAP_BPF, CAP_PERFMON };

	if (!capng_get_caps_process() &&
	    (has_caps(admin, 1) || has_caps(bpf, 2)))
		return 0;
	nr_err("permission denied: run as root, or with CAP_BPF and CAP_PERFMON (CAP_SYS_ADMIN on kernels before 5.8)");
	return 1;
}

/*
 * Does this kernel refuse bpf() on a map we hold once we have no
 * capability?  Before Linux 6.0 ("bpf: refine
 * kernel.unprivileged_bpf_disabled behaviour"), with that sysctl set
 * (Debian's and RHEL's default) every bpf() command needs CAP_BPF or
 * CAP_SYS_ADMIN, map lookups included: -c's counts and the lost counter
 * would read as nothing.  Asked of a child that drops everything, so
 * that this process keeps what it has.
 */
static bool bpf_needs_cap(int map_fd)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return true;	/* cannot tell: keep what bpf() may need */
	if (pid == 0) {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);

		capng_clear(CAPNG_SELECT_CAPS);
		if (capng_apply(CAPNG_SELECT_CAPS))
			_exit(2);
		_exit(bpf_obj_get_info_by_fd(map_fd, &info, &len) &&
		      errno == EPERM);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return true;
	return WEXITSTATUS(status) != 0;
}

/*
 * Attached, the event buffer and the applet's descriptors open: what is
 * left to do (read the buffer and maps, detach, close) works on those
 * descriptors.  So give up every capability, the bounding set and
 * ambient ones too where that is allowed (it needs CAP_SETPCAP), and let
 * no exec() gain any back; except, on a kernel that wants one for every
 * bpf() command (above), the one it wants: CAP_BPF, or CAP_SYS_ADMIN on
 * a kernel without CAP_BPF (before 5.8).
 */
static int drop_privileges(int map_fd)
{
	static const unsigned int bpf_cap[] = { CAP_BPF };
	unsigned int keep = 0;

	if (bpf_needs_cap(map_fd))
		keep = has_caps(bpf_cap, 1) ? CAP_BPF : CAP_SYS_ADMIN;
	capng_clear(CAPNG_SELECT_ALL);
	if (keep)
		capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, keep);
	if (capng_apply(CAPNG_SELECT_ALL)) {
		nr_dbg("capabilities: the bounding set stays: no CAP_SETPCAP");
		capng_clear(CAPNG_SELECT_CAPS);
		if (keep)
			capng_update(CAPNG_ADD,
				     CAPNG_EFFECTIVE | CAPNG_PERMITTED, keep);
		if (capng_apply(CAPNG_SELECT_CAPS)) {
			nr_err("cannot drop capabilities: %s", strerror(errno));
			return -1;
		}
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		nr_err("cannot set no_new_privs: %s", strerror(errno));
		return -1;
	}
	if (keep)
		nr_dbg("capabilities: all dropped but %s (this kernel wants it for every bpf() call), no_new_privs set",
		       keep == CAP_BPF ? "CAP_BPF" : "CAP_SYS_ADMIN");
	else
		nr_dbg("capabilities: all dropped, no_new_privs set");
	return 0;
}

int tracer_print_source(const char *const *srcs)
{
	for (; *srcs; srcs++)
		if (fputs(*srcs, stdout) == EOF)
			return 1;
	return fflush(stdout) ? 1 : 0;
}

/*
 * libbpf reads the file at btf_custom_path when it loads the object, not
 * when it opens it: so the kernel types can be written into it after the
 * open, once the object's own types say which it needs.  One file, made
 * once, in memory.
 */
static struct {
	int fd;
	char path[32];
} types_file = { .fd = -1 };

static const char *types_file_path(void)
{
	if (types_file.fd >= 0)
		return types_file.path;
	types_file.fd = memfd_create("netrace-ktypes", MFD_CLOEXEC);
	if (types_file.fd < 0)
		return NULL;
	snprintf(types_file.path, sizeof(types_file.path), "/proc/self/fd/%d",
		 types_file.fd);
	return types_file.path;
}

static int types_file_put(const void *data, size_t size)
{
	size_t done = 0;
	ssize_t n;

	if (ftruncate(types_file.fd, 0))
		return -errno;
	while (done < size &&
	       (n = pwrite(types_file.fd, (const char *)data + done,
			   size - done, done)) > 0)
		done += n;
	return done == size ? 0 : -EIO;
}

/*
 * A BPF type file with one int in it: with it libbpf reads neither the
 * kernel's BTF for CO-RE nor, for programs that attach without kernel
 * types, for anything else.  A relocation left in a loaded program
 * fails, and the verifier rejects the program if that code can run.
 */
static int put_no_types(void)
{
	struct btf *btf = btf__new_empty();
	const void *raw;
	__u32 size;
	int err = -ENOMEM;

	if (btf && btf__add_int(btf, "int", 4, BTF_INT_SIGNED) > 0 &&
	    (raw = btf__raw_data(btf, &size)))
		err = types_file_put(raw, size);
	btf__free(btf);
	return err;
}

struct netrace_bpf *tracer_skel_open(bool typeless)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	int err;

	opts.btf_custom_path = types_file_path();
	if (!opts.btf_custom_path)
		return NULL;
	if (typeless && (err = put_no_types())) {
		errno = -err;
		return NULL;
	}
	return netrace_bpf__open_opts(&opts);
}

/*
 * Fill the types file with the kernel types obj's programs are relocated
 * against.  If the kernel's BTF is beyond ktypes (a newer format), all of
 * it goes in and libbpf parses it: *whole says so.
 */
static int write_kernel_types(const struct bpf_object *obj, bool *whole)
{
	struct ktypes_raw raw;
	struct btf *types;
	const void *data;
	__u32 size;
	int err;

	err = ktypes_raw_open(KERNEL_BTF, &raw);
	if (err) {
		nr_dbg("cannot read %s: %s", KERNEL_BTF, strerror(-err));
		return err;
	}
	types = ktypes_extract(bpf_object__btf(obj), raw.data, raw.size);
	*whole = !types;
	if (types) {
		data = btf__raw_data(types, &size);
		nr_dbg("kernel types (BTF): %u taken from %s (%zu bytes, %s)",
		       btf__type_cnt(types) - 1, KERNEL_BTF, raw.size,
		       raw.mapped ? "mapped" : "read");
	} else {
		nr_dbg("kernel types (BTF): all of %s for libbpf to parse: %s",
		       KERNEL_BTF, strerror(errno));
		data = raw.data;
		size = raw.size;
	}
	err = data ? types_file_put(data, size) : -ENOMEM;
	btf__free(types);
	ktypes_raw_close(&raw);
	return err;
}

static int strategy_of(const struct bpf_program *p)
{
	static const struct {
		const char *sec;
		enum nr_attach a;
	} map[] = {
		{ "fentry/", NR_ATTACH_FENTRY },
		{ "fexit/", NR_ATTACH_FENTRY },
		{ "kprobe/", NR_ATTACH_KPROBE },
		{ "kretprobe/", NR_ATTACH_KPROBE },
		{ "tracepoint/", NR_ATTACH_TRACEPOINT },
		{ "tp_btf/", NR_ATTACH_TRACEPOINT },
		{ "raw_tp/", NR_ATTACH_TRACEPOINT },
	};
	const char *sec = bpf_program__section_name(p);
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strncmp(sec, map[i].sec, strlen(map[i].sec)))
			return map[i].a;
	return -1;
}

/*
 * Classic tracepoints need tracefs for their ids; it is not always
 * mounted.  Then mount it for netrace alone, in a mount namespace of its
 * own whose mounts do not propagate back: the host's mount table stays
 * as it was, however netrace ends.
 */
static int ensure_tracefs(void)
{
	struct stat st;

	if (!stat("/sys/kernel/tracing/events", &st) ||
	    !stat("/sys/kernel/debug/tracing/events", &st))
		return 0;
	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) ||
	    mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL)) {
		nr_dbg("cannot mount tracefs on /sys/kernel/tracing: %s",
		       strerror(errno));
		return -errno;
	}
	nr_dbg("mounted tracefs on /sys/kernel/tracing, for netrace alone");
	return 0;
}

/*
 * Some kernels refuse every fentry program with EPERM (lockdown, LSM
 * policy) before even looking at its target: a two-instruction program
 * aimed at BTF id 1 tells so without the ~60 ms of parsing the kernel's
 * BTF that a real attempt costs.  Any other answer (EINVAL: id 1 is no
 * function) means "try for real".
 */
static bool fentry_refused(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
		    .expected_attach_type = BPF_TRACE_FENTRY,
		    .attach_btf_id = 1);
	int fd;

	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "nr_probe", "GPL", insns,
			   2, &opts);
	if (fd >= 0) {
		close(fd);
		return false;
	}
	return errno == EPERM;
}

/* Cheap look before paying for a load that cannot attach. */
static bool strategy_possible(enum nr_attach a, char *why, size_t n)
{
	struct stat st;

	if (a == NR_ATTACH_FENTRY && fentry_refused()) {
		snprintf(why, n, "kernel refuses fentry programs: %s",
			 strerror(EPERM));
		return false;
	}
	if (a == NR_ATTACH_KPROBE &&
	    stat("/sys/bus/event_source/devices/kprobe", &st) &&
	    stat("/sys/kernel/tracing/kprobe_events", &st) &&
	    stat("/sys/kernel/debug/tracing/kprobe_events", &st)) {
		snprintf(why, n, "kernel has no kprobes");
		return false;
	}
	if (a == NR_ATTACH_TRACEPOINT && ensure_tracefs()) {
		snprintf(why, n, "tracefs is not mounted and cannot be: mount -t tracefs nodev /sys/kernel/tracing");
		return false;
	}
	return true;
}

static int open_pinned(const char *path, const char *opt, __u32 vsize)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_obj_get(path);

	if (fd < 0) {
		nr_usage_err("cannot open %s '%s': %s", opt, path,
			     strerror(errno));
		return -2;
	}
	if (bpf_obj_get_info_by_fd(fd, &info, &len) ||
	    info.type != BPF_MAP_TYPE_HASH || info.key_size != 8 ||
	    info.value_size != vsize) {
		nr_usage_err("%s '%s' is not a BPF hash map with a u64 key and a u%u value",
			     opt, path, vsize * 8);
		close(fd);
		return -2;
	}
	return fd;
}

struct run {
	const struct tracer *t;
	const struct nr_opts *o;
	void *ctx;
	struct netrace_bpf *skel;
	struct ring_buffer *rb;
	struct perf_buffer *pb;
	int cgroup_fd, mntns_fd;
	bool ringbuf;
	bool nomem;		/* a row could not be kept */
	bool paused;		/* rows held reached OUT_HIGH_WATER */
	int out_err;		/* why output stopped: 0, -EPIPE, ... */
};

static void set_filters(struct run *r)
{
	struct netrace_bpf__rodata *ro = r->skel->rodata;
	const struct nr_opts *o = r->o;
	unsigned int i;

	ro->filter_pid = o->pid;
	ro->filter_uid_on = o->has_uid;
	ro->filter_uid = o->uid;
	ro->filter_family = o->family;
	ro->filter_nports = o->nports;
	for (i = 0; i < o->nports; i++)
		ro->filter_ports[i] = o->ports[i];
	ro->filter_nlports = o->nlports;
	for (i = 0; i < o->nlports; i++)
		ro->filter_lports[i] = o->lports[i];
	ro->filter_nrports = o->nrports;
	for (i = 0; i < o->nrports; i++)
		ro->filter_rports[i] = o->rports[i];
	ro->filter_cgroup = r->cgroup_fd >= 0;
	ro->filter_mntns = r->mntns_fd >= 0;
	ro->count_mode = o->count;
	ro->use_ringbuf = r->ringbuf;
}

static void select_programs(struct run *r, enum nr_attach a)
{
	struct bpf_program *p;
	struct bpf_map *m;
	size_t plen = strlen(r->t->prefix);

	bpf_object__for_each_program(p, r->skel->obj) {
		bool mine = !strncmp(bpf_program__name(p), r->t->prefix, plen);

		bpf_program__set_autoload(p, mine && strategy_of(p) == (int)a);
	}
	/*
	 * Other applets' maps: none of our programs refers to them, and
	 * creating a preallocated hash costs a millisecond or two.
	 */
	bpf_object__for_each_map(m, r->skel->obj) {
		const char *name = bpf_map__name(m);

		if (!bpf_map__is_internal(m) && strncmp(name, "nr_", 3) &&
		    strncmp(name, r->t->prefix, plen))
			bpf_map__set_autocreate(m, false);
	}
}

/*
 * libbpf reads the kernel's BTF (5.5 MB on the development machine) into
 * a fresh buffer and copies it into another: thousands of page faults,
 * which in a VM cost more than the rest of the start-up together (45 of
 * 70 ms there).  So grow the heap once, populated by a single madvise(),
 * let both buffers come from it, and give it back after the load.
 * Kernels before 5.14 lack MADV_POPULATE_WRITE: no harm, no gain.
 */
#define HEAP_SLACK	(16 << 10)

static void heap_prepare(void)
{
	long page = sysconf(_SC_PAGESIZE);
	struct stat st;
	uintptr_t lo, hi;
	size_t size;
	char *p;

	if (stat(KERNEL_BTF, &st) || st.st_size <= 0)
		return;
	size = 2 * (size_t)st.st_size + HEAP_SLACK;
	/* Blocks this large from the heap (not mmap), kept when freed. */
	mallopt(M_MMAP_THRESHOLD, size + page);
	mallopt(M_TRIM_THRESHOLD, 2 * size);
	p = malloc(size);
	if (!p)
		return;
	lo = ((uintptr_t)p + page - 1) & ~(uintptr_t)(page - 1);
	hi = ((uintptr_t)p + size) & ~(uintptr_t)(page - 1);
	madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE);
	free(p);
}

static void heap_release(void)
{
	mallopt(M_TRIM_THRESHOLD, HEAP_TRIM_DEFAULT);
	malloc_trim(0);
}

/*
 * The ring: 512 KiB for each CPU that may write into it, 1 to 16 MiB.
 * The reader is woken when a quarter is full, and the rest is what the
 * CPUs may write while it gets to run: on 2 CPUs, 768 KiB, 8,900 events,
 * a quarter of a second of a 37,000 connections/s storm.  The reader
 * maps the ring twice (records may wrap), so it counts twice in RSS.
 */
#define RING_PER_CPU	(512u << 10)
#define RING_MIN	(1u << 20)
#define RING_MAX	(16u << 20)

static __u32 ring_bytes(void)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	__u32 size = RING_MIN;

	if (ncpu < 1)
		ncpu = 1;
	while (size < RING_MAX && size < (__u64)ncpu * RING_PER_CPU)
		size *= 2;
	return size;
}

static int setup_buffer_map(struct run *r)
{
	struct bpf_map *m = r->skel->maps.nr_events;

	if (r->ringbuf) {
		__u32 size = ring_bytes();

		r->skel->rodata->wakeup_bytes = size / 4;
		return bpf_map__set_max_entries(m, size);
	}
	/* Perf buffer: one ring per CPU, created by libbpf when size is 0. */
	if (bpf_map__set_type(m, BPF_MAP_TYPE_PERF_EVENT_ARRAY) ||
	    bpf_map__set_key_size(m, sizeof(int)) ||
	    bpf_map__set_value_size(m, sizeof(int)) ||
	    bpf_map__set_max_entries(m, 0))
		return -1;
	return 0;
}

void tracer_state_hook(enum nr_attach a, struct bpf_program *btf,
		       struct bpf_program *raw, struct bpf_program *tp)
{
	bpf_program__set_autoload(btf, a == NR_ATTACH_FENTRY);
	bpf_program__set_autoload(raw, a == NR_ATTACH_KPROBE);
	bpf_program__set_autoload(tp, a == NR_ATTACH_TRACEPOINT);
}

/* How many of the applet's programs the strategy will load. */
static int programs_loaded(struct run *r)
{
	struct bpf_program *p;
	int n = 0;

	bpf_object__for_each_program(p, r->skel->obj)
		n += bpf_program__autoload(p);
	return n;
}

/* Open, configure, load and attach for one strategy; 0 or -errno. */
static int try_strategy(struct run *r, enum nr_attach a)
{
	bool typeless = r->t->typeless && r->t->typeless(r->ctx, a);
	bool whole = false;
	int err;

	if (typeless)
		nr_dbg("attach strategy %s: kernel types (BTF) not read: none needed",
		       nr_attach_name(a));
	r->skel = tracer_skel_open(typeless);
	if (!r->skel)
		return -errno;
	select_programs(r, a);
	set_filters(r);
	if (setup_buffer_map(r))
		return -EINVAL;
	if (r->cgroup_fd >= 0 &&
	    bpf_map__reuse_fd(r->skel->maps.nr_cgroup_map, r->cgroup_fd))
		return -EINVAL;
	if (r->mntns_fd >= 0 &&
	    bpf_map__reuse_fd(r->skel->maps.nr_mntns_map, r->mntns_fd))
		return -EINVAL;
	if (r->t->configure && (err = r->t->configure(r->skel, r->ctx, a)))
		return err;
	/* Loading nothing would "succeed" and trace nothing. */
	if (!programs_loaded(r))
		return -EOPNOTSUPP;
	if (!typeless && (err = write_kernel_types(r->skel->obj, &whole)))
		return err;
	/* fentry programs: libbpf reads all of it to find their targets. */
	if (whole || a == NR_ATTACH_FENTRY)
		heap_prepare();
	err = netrace_bpf__load(r->skel);
	if (whole || a == NR_ATTACH_FENTRY)
		heap_release();
	if (err)
		return err;
	return netrace_bpf__attach(r->skel);
}

/*
 * Why an attach failed, for the user.  The kernel's ENOTSUPP (524) is
 * not a user-space errno (strerror() says "Unknown error 524"): it is
 * what a kernel answers that cannot attach that way at all, e.g. fentry
 * on arm64 before ftrace direct calls (6.1).
 */
static const char *attach_error(int err)
{
	if (err == -524)
		return "not supported by this kernel (ENOTSUPP)";
	if (err == -EOPNOTSUPP)
		return "this tool has no hook of that kind";
	return strerror(-err);
}

static int choose_strategy(struct run *r)
{
	static const enum nr_attach order[] = {
		NR_ATTACH_FENTRY, NR_ATTACH_KPROBE, NR_ATTACH_TRACEPOINT,
	};
	char why[3][160] = { "", "", "" };
	size_t i;
	int err;

	for (i = 0; i < 3; i++) {
		enum nr_attach a = order[i];

		if (r->o->attach != NR_ATTACH_AUTO && r->o->attach != a)
			continue;
		if (!strategy_possible(a, why[i], sizeof(why[i]))) {
			nr_dbg("attach strategy %s: %s", nr_attach_name(a), why[i]);
			continue;
		}
		err = try_strategy(r, a);
		if (!err) {
			nr_dbg("attach strategy: %s", nr_attach_name(a));
			return 0;
		}
		snprintf(why[i], sizeof(why[i]), "%s", attach_error(err));
		nr_dbg("attach strategy %s: failed: %s", nr_attach_name(a),
		       why[i]);
		netrace_bpf__destroy(r->skel);
		r->skel = NULL;
	}
	if (r->o->attach != NR_ATTACH_AUTO)
		nr_err("cannot attach with --attach=%s: %s (try --attach=auto; -v shows details)",
		       nr_attach_name(r->o->attach),
		       why[r->o->attach - NR_ATTACH_FENTRY]);
	else
		nr_err("no usable kernel hook: fentry: %s; kprobe: %s; tracepoint: %s (-v shows details)",
		       why[0], why[1], why[2]);
	return -1;
}

/*
 * Rows held for stdout, past which the ring's events are left in the
 * ring until they are written: what a slow reader costs is kernel
 * memory netrace has anyway, not more of its own.
 */
#define OUT_HIGH_WATER	(256u << 10)

/* The size of the applet's records: struct nr_event or one that starts so. */
static size_t record_size(const struct run *r)
{
	return r->t->event_size ? r->t->event_size : sizeof(struct nr_event);
}

static int on_ring_event(void *ctx, void *data, size_t size)
{
	struct run *r = ctx;

	if (size < record_size(r))
		return 0;
	if (r->t->event(r->ctx, data)) {
		r->nomem = true;
		return -ENOMEM;
	}
	/* This record is consumed all the same: stop after it. */
	if (out_held(&out) > OUT_HIGH_WATER) {
		r->paused = true;
		return -EAGAIN;
	}
	return 0;
}

static void on_perf_event(void *ctx, int cpu __attribute__((unused)),
			  void *data, __u32 size)
{
	struct run *r = ctx;
	union {
		struct nr_event e;
		__u64 raw[NR_RECORD_MAX / sizeof(__u64)];
	} u;

	if (r->nomem || size < record_size(r) || record_size(r) > sizeof(u))
		return;
	/* A perf record's data is only 4-byte aligned: copy it out. */
	memcpy(&u, data, record_size(r));
	if (r->t->event(r->ctx, &u.e))
		r->nomem = true;
}

static int open_buffer(struct run *r)
{
	int fd = bpf_map__fd(r->skel->maps.nr_events);

	if (r->ringbuf)
		r->rb = ring_buffer__new(fd, on_ring_event, r, NULL);
	else
		/*
		 * No lost callback: the kernel's lost records count the same
		 * drops the BPF side already counted (when its output fails),
		 * and arrive only with a later event.
		 */
		r->pb = perf_buffer__new(fd, PERF_PAGES, on_perf_event, NULL,
					 r, NULL);
	if (!r->rb && !r->pb) {
		nr_err("cannot open the event buffer: %s", strerror(errno));
		return -1;
	}
	return 0;
}

#define MAX_FDS	8

/*
 * Events the buffer holds, into rows: all of them (all: a stop), or
 * until the rows held reach OUT_HIGH_WATER (a ring's events; a perf
 * buffer is read whole).  0 or -errno.
 */
static int consume(struct run *r, bool all)
{
	int err;

	fflush(stdout);
	out_set_kind(&out, OUT_EVENT);
	do {
		r->paused = false;
		err = r->rb ? ring_buffer__consume(r->rb) :
			      perf_buffer__consume(r->pb);
	} while (all && r->paused);
	fflush(stdout);
	out_set_kind(&out, OUT_OTHER);
	if (r->nomem || out.nomem)
		return -ENOMEM;
	return err < 0 && !r->paused ? err : 0;
}

/* What the applet wrote to stdout, whole rows to the reader: out_flush(). */
static int write_rows(uint64_t deadline_ns)
{
	fflush(stdout);
	return out_flush(&out, deadline_ns);
}

/*
 * Wake on the buffer's epoll descriptor or the applet's own, or every
 * POLL_MS: the BPF side asks for a wakeup only when much is waiting, so
 * a quiet tracer drains on the timer and a busy one in bulk.  Rows wait
 * for a slow reader here, in out_flush(), while the kernel's buffer
 * fills (and counts what it cannot hold); a stop signal ends the wait.
 */
static int poll_loop(struct run *r)
{
	struct timespec ts = { .tv_nsec = POLL_MS * 1000000L }, now = {};
	struct pollfd pfd[1 + MAX_FDS];
	int fds[MAX_FDS], nfd = 0, i, n, err;

	pfd[0].fd = r->rb ? ring_buffer__epoll_fd(r->rb) :
			    perf_buffer__epoll_fd(r->pb);
	if (r->t->fds)
		nfd = r->t->fds(r->ctx, fds, MAX_FDS);
	for (i = 0; i < nfd; i++)
		pfd[1 + i].fd = fds[i];
	for (i = 0; i <= nfd; i++)
		pfd[i].events = POLLIN;
	while (!stop_signals) {
		err = write_rows(0);
		if (err == -EINTR)
			continue;
		if (err) {
			r->out_err = err;
			return 0;
		}
		/* Events left in the ring at the high water: no waiting. */
		n = ppoll(pfd, 1 + nfd, r->paused ? &now : &ts, &wait_mask);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			nr_err("waiting for events: %s", strerror(errno));
			return -1;
		}
		/* No wakeup in POLL_MS: a quiet moment, rows all written. */
		if (!n)
			out_trim(&out);
		if (r->t->drain)
			r->t->drain(r->ctx);
		err = consume(r, false);
		if (err) {
			nr_err("reading events: %s", strerror(-err));
			return -1;
		}
	}
	return 0;
}

/*
 * The first stop signal: take no new events, turn what the kernel holds
 * into rows, add the applet's tables, and write all of it, waiting for
 * the reader up to STOP_DEADLINE_S; a second signal stops at once.
 */
static int stop_tracing(struct run *r)
{
	uint64_t deadline, t0 = nr_clock_ns(CLOCK_MONOTONIC);
	int err;

	netrace_bpf__detach(r->skel);
	/* fexit's trampolines may wait for RCU-tasks: seconds, in a VM. */
	nr_dbg("programs detached in %llu ms",
	       (unsigned long long)(nr_clock_ns(CLOCK_MONOTONIC) - t0) / 1000000);
	if (r->t->drain)
		r->t->drain(r->ctx);
	err = consume(r, true);
	if (!err && r->t->finish && r->t->finish(r->skel, r->ctx))
		err = -ENOMEM;
	if (err)
		nr_err("reading events: %s", strerror(-err));
	deadline = nr_clock_ns(CLOCK_MONOTONIC) + STOP_DEADLINE_S * 1000000000ULL;
	do
		r->out_err = write_rows(deadline);
	while (r->out_err == -EINTR && stop_signals < 2);
	return err ? -1 : 0;
}

static __u64 lost_events(struct run *r)
{
	int ncpu = libbpf_num_possible_cpus();
	__u32 key = NR_STAT_LOST;
	__u64 *v, sum = 0;
	int i;

	if (ncpu <= 0)
		return sum;
	v = calloc(ncpu, sizeof(*v));
	if (v && !bpf_map__lookup_elem(r->skel->maps.nr_stats, &key, sizeof(key),
				       v, ncpu * sizeof(*v), 0))
		for (i = 0; i < ncpu; i++)
			sum += v[i];
	free(v);
	return sum;
}

/*
 * Runs of the applet's programs the kernel skipped because a BPF program
 * was already running on that CPU (a softirq's TCP state change during a
 * kprobe's program, say): each may be an event that nothing else counts.
 * The kernel counts them since Linux 5.12 for fentry, 6.7 for kprobes and
 * tracepoints; before that they stay unknown (0).
 */
static __u64 skipped_runs(struct run *r)
{
	struct bpf_program *p;
	__u64 sum = 0;

	bpf_object__for_each_program(p, r->skel->obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(p);

		if (fd < 0)
			continue;
		if (bpf_obj_get_info_by_fd(fd, &info, &len))
			nr_dbg("program %s: no info (%s): its skipped runs unknown",
			       bpf_program__name(p), strerror(errno));
		else
			sum += info.recursion_misses;
	}
	return sum;
}

static bool want_ringbuf(const struct nr_opts *o)
{
	if (o->buffer == NR_BUFFER_PERFBUF)
		return false;
	if (o->buffer == NR_BUFFER_RINGBUF)
		return true;
	return libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) > 0;
}

/* Why rows were not written: the end of a "rows not written" line. */
static const char *out_err_why(int err, char *buf, size_t n)
{
	if (err == -ETIMEDOUT)
		snprintf(buf, n, "stdout was not read for %d s after the stop signal",
			 STOP_DEADLINE_S);
	else if (err == -EINTR)
		snprintf(buf, n, "stopped at once by a second signal");
	else
		snprintf(buf, n, "writing to stdout: %s", strerror(-err));
	return buf;
}

/* The same count for -j readers: one JSON object on stderr. */
static void report_lost_json(__u64 lost, __u64 dropped, __u64 unwritten,
			     __u64 skipped)
{
	char buf[192];
	int n;

	n = snprintf(buf, sizeof(buf),
		     "{\"lost_events\":%llu,\"kernel_dropped\":%llu,\"not_written\":%llu,\"kernel_skipped\":%llu}\n",
		     (unsigned long long)lost, (unsigned long long)dropped,
		     (unsigned long long)unwritten,
		     (unsigned long long)skipped);
	if (write(STDERR_FILENO, buf, n) < 0)
		return;
}

/*
 * Every event that did not reach stdout: the kernel's drops, and rows
 * that were not written (except to a reader that went away: EPIPE); and
 * the program runs the kernel skipped, which may have been events.
 * 1 when rows were not written, else 0.
 */
static int report_lost(struct run *r)
{
	struct out_left left = {};
	__u64 dropped = lost_events(r), skipped = skipped_runs(r), lost;
	char why[128];

	if (r->out_err && r->out_err != -EPIPE) {
		out_left(&out, &left);
		nr_err("%llu rows not written: %s", (unsigned long long)left.lines,
		       out_err_why(r->out_err, why, sizeof(why)));
	}
	lost = dropped + left.events;
	if (left.events)
		nr_err("%llu events lost: %llu the kernel could not deliver, %llu not written to stdout",
		       (unsigned long long)lost, (unsigned long long)dropped,
		       (unsigned long long)left.events);
	else if (lost)
		nr_err("%llu events lost: the kernel could not deliver them",
		       (unsigned long long)lost);
	if (skipped)
		nr_err("the kernel skipped netrace's programs %llu times (another BPF program was running on that CPU): as many events may be missing",
		       (unsigned long long)skipped);
	if (r->o->json && (lost || skipped))
		report_lost_json(lost, dropped, left.events, skipped);
	return left.lines ? 1 : 0;
}

static int run_traced(struct run *r)
{
	int ret = 0;

	if (open_buffer(r))
		return 1;
	install_signals();
	if (r->t->ready && (ret = r->t->ready(r->skel, r->ctx)))
		return ret < 0 ? 1 : ret;
	if (drop_privileges(bpf_map__fd(r->skel->maps.nr_stats)))
		return 1;
	if (poll_loop(r))
		ret = 1;
	if (!r->out_err && stop_tracing(r))
		ret = 1;
	if (report_lost(r))
		ret = 1;
	return ret;
}

int tracer_run(const struct tracer *t, const struct nr_opts *o, void *ctx)
{
	struct run r = {
		.t = t, .o = o, .ctx = ctx, .cgroup_fd = -1, .mntns_fd = -1,
	};
	int ret = 1;

	nr_verbose = o->verbose;
	libbpf_set_print(libbpf_log);
	if (tracer_check_privileges())
		return 1;
	if (access(KERNEL_BTF, R_OK)) {
		nr_err("kernel BTF not found (/sys/kernel/btf/vmlinux): netrace needs a kernel built with CONFIG_DEBUG_INFO_BTF=y");
		return 1;
	}
	ret = 2;
	if (o->cgroupmap &&
	    (r.cgroup_fd = open_pinned(o->cgroupmap, "--cgroupmap", 8)) < 0)
		goto out;
	if (o->mntnsmap &&
	    (r.mntns_fd = open_pinned(o->mntnsmap, "--mntnsmap", 4)) < 0)
		goto out;
	ret = 1;
	r.ringbuf = want_ringbuf(o);
	nr_dbg("event buffer: %s", r.ringbuf ? "ringbuf" : "perfbuf");
	if (choose_strategy(&r))
		goto out;
	ret = run_traced(&r);
out:
	ring_buffer__free(r.rb);
	perf_buffer__free(r.pb);
	netrace_bpf__destroy(r.skel);
	if (r.cgroup_fd >= 0)
		close(r.cgroup_fd);
	if (r.mntns_fd >= 0)
		close(r.mntns_fd);
	return ret;
}

/*
 * While an applet traces, stdout is a stream into memory that the
 * runtime writes out whole rows at a time (lib/out.h).  glibc lets a
 * program assign stdout; every applet keeps using it as it is.
 */
static int run_with_out(const struct tracer *t, const struct nr_opts *o,
			void *ctx)
{
	FILE *saved = stdout, *f;
	int ret;

	out_init(&out, STDOUT_FILENO, &wait_mask);
	sigprocmask(SIG_SETMASK, NULL, &wait_mask);
	f = out_stream(&out);
	if (!f) {
		nr_err("cannot set up output: %s", strerror(errno));
		return 1;
	}
	stdout = f;
	ret = t->setup ? t->setup(ctx, o) : 0;
	if (!ret)
		ret = tracer_run(t, o, ctx);
	stdout = saved;
	fclose(f);
	out_free(&out);
	return ret;
}

int tracer_main(const struct applet *a, int argc, char **argv,
		const struct tracer *t, void *ctx)
{
	struct nr_opts o;
	int ret;

	ret = nr_parse_opts(a, argc, argv, &o);
	if (ret)
		return ret > 0 ? 0 : 2;
	if (o.ebpf)
		return tracer_print_source(t->sources);
	return run_with_out(t, &o, ctx);
}
