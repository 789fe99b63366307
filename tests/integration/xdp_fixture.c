// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Namespace, device, command and XDP program fixtures of it_xdpfeatures. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>

#include "xdp_fixture.h"
#include "xdp_netlink.h"

#define MAX_ARGS	32

/* ---- running commands ---- */

static void out_free(struct nr_ctx *ctx, void *arg)
{
	struct xf_out *o = arg;

	(void)ctx;
	free(o->out);
	free(o->err);
	free(o);
}

void xf_out_free(struct xf_out *o)
{
	out_free(NULL, o);
}

/* What "ip netns exec" does to the mounts: our own, with our /sys. */
static int fresh_sys(void)
{
	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL))
		return -1;
	umount2("/sys", MNT_DETACH);
	return mount("sysfs", "/sys", "sysfs", 0, NULL);
}

static void child_exec(const struct xf_run_cfg *cfg, const char *const argv[],
		       int out, int err)
{
	int null = open("/dev/null", O_RDONLY);

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 ||
	    dup2(err, 2) < 0)
		_exit(127);
	signal(SIGPIPE, SIG_DFL);
	if (cfg && cfg->own_sys && fresh_sys()) {
		dprintf(2, "fresh /sys: %s\n", strerror(errno));
		_exit(126);
	}
	/* A plain user: no groups, no capabilities (setuid drops them). */
	if (cfg && cfg->uid &&
	    (setgroups(0, NULL) || setgid(cfg->uid) || setuid(cfg->uid)))
		_exit(126);
	execv(argv[0], (char *const *)argv);
	dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Append what fd has to *buf; false at EOF. */
static bool drain(int fd, char **buf, size_t *len)
{
	char chunk[4096];
	ssize_t n = read(fd, chunk, sizeof(chunk));
	char *grown;

	if (n <= 0)
		return n < 0 && errno == EINTR;
	grown = realloc(*buf, *len + n + 1);
	assert_non_null(grown);
	memcpy(grown + *len, chunk, n);
	*len += n;
	grown[*len] = '\0';
	*buf = grown;
	return true;
}

static void collect(struct xf_out *o, pid_t pid, int out, int err)
{
	struct pollfd p[2] = { { out, POLLIN, 0 }, { err, POLLIN, 0 } };
	int64_t end = nr_now_ms() + XF_RUN_TIMEOUT_MS;
	size_t olen = 0, elen = 0;
	int open_fds = 2, i;

	while (open_fds) {
		int left = (int)(end - nr_now_ms());

		if (left <= 0 || poll(p, 2, left) == 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			fail_msg("command did not finish within %d ms",
				 XF_RUN_TIMEOUT_MS);
		}
		for (i = 0; i < 2; i++) {
			if (p[i].fd < 0 || !p[i].revents)
				continue;
			if (!drain(p[i].fd, i ? &o->err : &o->out,
				   i ? &elen : &olen)) {
				close(p[i].fd);
				p[i].fd = -1;
				open_fds--;
			}
		}
	}
	while (waitpid(pid, &o->status, 0) < 0 && errno == EINTR)
		;
}

struct xf_out *xf_run_owned_must(const struct xf_run_cfg *cfg,
				 const char *const argv[])
{
	struct xf_out *o = calloc(1, sizeof(*o));
	int out[2], err[2];
	pid_t pid;
	char *p;

	assert_non_null(o);
	o->out = strdup("");
	o->err = strdup("");
	assert_true(o->out && o->err);
	if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
		fail_msg("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		fail_msg("fork: %s", strerror(errno));
	if (!pid)
		child_exec(cfg, argv, out[1], err[1]);
	close(out[1]);
	close(err[1]);
	collect(o, pid, out[0], err[0]);
	for (p = o->err; *p; p++)
		o->nerr_lines += *p == '\n';
	return o;
}

struct xf_out *xf_run_must(struct nr_ctx *ctx, const struct xf_run_cfg *cfg,
			   const char *const argv[])
{
	struct xf_out *o = xf_run_owned_must(cfg, argv);

	nr_defer(ctx, out_free, o);
	return o;
}

struct xf_out *xf_netrace_must(struct nr_ctx *ctx, ...)
{
	const char *argv[MAX_ARGS] = { nr_netrace_path(), "xdpfeatures" };
	const char *arg;
	int n = 2;
	va_list ap;

	va_start(ap, ctx);
	while ((arg = va_arg(ap, const char *)) && n < MAX_ARGS - 1)
		argv[n++] = arg;
	va_end(ap);
	argv[n] = NULL;
	return xf_run_must(ctx, NULL, argv);
}

int xf_exit_code_must(const struct xf_out *o)
{
	if (!WIFEXITED(o->status))
		fail_msg("did not exit normally (wait status 0x%x)\nstderr:\n%s",
			 o->status, o->err);
	return WEXITSTATUS(o->status);
}

/* ---- namespaces and devices ---- */

static void netns_leave(struct nr_ctx *ctx, void *arg)
{
	int host_fd = (int)(intptr_t)arg;

	/* Ours dies with its last user: its veth and tap devices too. */
	if (setns(host_fd, CLONE_NEWNET)) {
		print_error("teardown: back to the first namespace: %s\n",
			    strerror(errno));
		ctx->teardown_errors++;
	}
	close(host_fd);
}

void xf_netns_enter_must(struct nr_ctx *ctx)
{
	int host_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int err;

	if (host_fd < 0)
		fail_msg("/proc/self/ns/net: %s", strerror(errno));
	if (unshare(CLONE_NEWNET)) {
		close(host_fd);
		fail_msg("unshare(CLONE_NEWNET): %s", strerror(errno));
	}
	nr_defer(ctx, netns_leave, (void *)(intptr_t)host_fd);
	err = xr_link_up("lo");
	if (err)
		fail_msg("lo up: %s", strerror(-err));
}

static void fd_close(struct nr_ctx *ctx, void *arg)
{
	(void)ctx;
	close((int)(intptr_t)arg);
}

int xf_netns_other_must(struct nr_ctx *ctx)
{
	int ours = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), other;

	if (ours < 0)
		fail_msg("/proc/self/ns/net: %s", strerror(errno));
	if (unshare(CLONE_NEWNET)) {
		close(ours);
		fail_msg("unshare(CLONE_NEWNET): %s", strerror(errno));
	}
	other = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (setns(ours, CLONE_NEWNET))
		fail_msg("back to our namespace: %s", strerror(errno));
	close(ours);
	if (other < 0)
		fail_msg("/proc/self/ns/net: %s", strerror(errno));
	nr_defer(ctx, fd_close, (void *)(intptr_t)other);
	return other;
}

void xf_veth_must(const char *name, const char *peer)
{
	int err = xr_veth_add(name, peer);

	if (err)
		fail_msg("veth %s/%s: %s", name, peer, strerror(-err));
}

/* /dev/net/tun, made if the VM's /dev lacks it. */
static int open_tun(void)
{
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd >= 0 || errno != ENOENT)
		return fd;
	mkdir("/dev/net", 0755);
	if (mknod("/dev/net/tun", S_IFCHR | 0600, makedev(10, 200)) &&
	    errno != EEXIST)
		return -1;
	return open("/dev/net/tun", O_RDWR | O_CLOEXEC);
}

void xf_tap_must(struct nr_ctx *ctx, const char *name)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	int fd = open_tun();

	if (fd < 0)
		fail_msg("/dev/net/tun: %s (is the tun module loaded?)",
			 strerror(errno));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	/* Not persistent: the device goes when fd is closed. */
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		close(fd);
		fail_msg("TUNSETIFF %s: %s", name, strerror(errno));
	}
	nr_defer(ctx, fd_close, (void *)(intptr_t)fd);
}

/* ---- "ip netns exec" ---- */

static const char *ip_path(void)
{
	static const char *const paths[] = {
		"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip",
	};
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (!access(paths[i], X_OK))
			return paths[i];
	return NULL;
}

static int run_quiet(const char *const argv[])
{
	struct xf_out *o = xf_run_owned_must(NULL, argv);
	int code = WIFEXITED(o->status) ? WEXITSTATUS(o->status) : -1;

	xf_out_free(o);
	return code;
}

struct netns_name {
	char name[48];
	const char *ip;
};

static void netns_unname(struct nr_ctx *ctx, void *arg)
{
	struct netns_name *n = arg;
	const char *argv[] = { n->ip, "netns", "del", n->name, NULL };

	/* Only the name goes: the namespace is ours until teardown. */
	if (run_quiet(argv)) {
		print_error("teardown: ip netns del %s failed\n", n->name);
		ctx->teardown_errors++;
	}
	free(n);
}

struct xf_out *xf_run_netns_exec_must(struct nr_ctx *ctx,
				      const char *const argv[], bool *real)
{
	const char *ip = ip_path(), *cmd[MAX_ARGS];
	const char *list[] = { ip, "netns", "list", NULL };
	struct xf_run_cfg own = { .own_sys = true };
	struct netns_name *n;
	char pid[16];
	int i, k = 0;

	/* busybox's ip has no "netns": do by hand what it would do. */
	*real = ip && !run_quiet(list);
	if (!*real)
		return xf_run_must(ctx, &own, argv);
	n = calloc(1, sizeof(*n));
	assert_non_null(n);
	n->ip = ip;
	snprintf(n->name, sizeof(n->name), "nrxf-%d", (int)getpid());
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	{
		const char *attach[] = { ip, "netns", "attach", n->name, pid,
					 NULL };

		if (run_quiet(attach)) {
			free(n);
			fail_msg("ip netns attach nrxf-%s %s failed", pid, pid);
		}
	}
	nr_defer(ctx, netns_unname, n);
	cmd[k++] = ip;
	cmd[k++] = "netns";
	cmd[k++] = "exec";
	cmd[k++] = n->name;
	for (i = 0; argv[i] && k < MAX_ARGS - 1; i++)
		cmd[k++] = argv[i];
	cmd[k] = NULL;
	return xf_run_must(ctx, NULL, cmd);
}

/* ---- XDP programs ---- */

int xf_prog_load_must(struct nr_ctx *ctx)
{
	/* r0 = XDP_PASS (2); exit */
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0,
		  .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "xf_test", "GPL", insns,
			       2, NULL);

	if (fd < 0)
		fail_msg("bpf_prog_load: %s", strerror(-fd));
	nr_defer(ctx, fd_close, (void *)(intptr_t)fd);
	return fd;
}

uint32_t xf_prog_id_must(int fd)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		fail_msg("bpf_obj_get_info_by_fd: %s", strerror(errno));
	return info.id;
}

uint32_t xf_ifindex_must(const char *ifname)
{
	unsigned int idx = if_nametoindex(ifname);

	if (!idx)
		fail_msg("no interface %s: %s", ifname, strerror(errno));
	return idx;
}

uint32_t xf_attached_must(const char *ifname, uint8_t *mode)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int err = bpf_xdp_query(xf_ifindex_must(ifname), 0, &q);

	if (err)
		fail_msg("bpf_xdp_query %s: %s", ifname, strerror(-err));
	if (mode)
		*mode = q.attach_mode;
	return q.prog_id ? q.prog_id : q.drv_prog_id;
}

struct attached {
	char ifname[IF_NAMESIZE];
	int fd;
};

static void detach_at_teardown(struct nr_ctx *ctx, void *arg)
{
	struct attached *a = arg;
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = a->fd);
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	unsigned int idx = if_nametoindex(a->ifname);

	(void)ctx;
	/* Only ours, only if still there (the test may have detached it). */
	if (idx && !bpf_xdp_query(idx, 0, &q) &&
	    (q.drv_prog_id ? q.drv_prog_id : q.prog_id) ==
	    xf_prog_id_must(a->fd))
		bpf_xdp_detach(idx, XDP_FLAGS_DRV_MODE, &opts);
	free(a);
}

void xf_attach_native_must(struct nr_ctx *ctx, const char *ifname, int fd)
{
	struct attached *a = calloc(1, sizeof(*a));
	int err;

	assert_non_null(a);
	snprintf(a->ifname, sizeof(a->ifname), "%s", ifname);
	a->fd = fd;
	err = bpf_xdp_attach(xf_ifindex_must(ifname), fd, XDP_FLAGS_DRV_MODE,
			     NULL);
	if (err) {
		free(a);
		fail_msg("attach XDP to %s natively: %s", ifname,
			 strerror(-err));
	}
	nr_defer(ctx, detach_at_teardown, a);
}

void xf_detach_must(const char *ifname)
{
	int err = bpf_xdp_detach(xf_ifindex_must(ifname), XDP_FLAGS_DRV_MODE,
				 NULL);

	if (err)
		fail_msg("detach XDP from %s: %s", ifname, strerror(-err));
}

/* ---- interfaces that come and go ---- */

static void churn(const char *prefix, int ms)
{
	int64_t end = nr_now_ms() + ms;
	char a[IF_NAMESIZE], b[IF_NAMESIZE];
	unsigned int i;

	for (i = 0; nr_now_ms() < end; i++) {
		snprintf(a, sizeof(a), "%sa%u", prefix, i % 4);
		snprintf(b, sizeof(b), "%sb%u", prefix, i % 4);
		xr_link_del(a);
		xr_veth_add(a, b);
	}
}

struct xf_churn {
	pid_t pid;
	bool done;
};

static void churn_stop(struct nr_ctx *ctx, void *arg)
{
	struct xf_churn *c = arg;

	(void)ctx;
	if (!c->done) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, NULL, 0);
	}
	free(c);
}

struct xf_churn *xf_churn_start(struct nr_ctx *ctx, const char *prefix,
				int ms)
{
	struct xf_churn *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	c->pid = fork();
	if (c->pid < 0)
		fail_msg("fork: %s", strerror(errno));
	if (!c->pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		churn(prefix, ms);
		_exit(0);
	}
	nr_defer(ctx, churn_stop, c);
	return c;
}

bool xf_churn_running(struct xf_churn *c)
{
	if (!c->done && waitpid(c->pid, NULL, WNOHANG) == c->pid)
		c->done = true;
	return !c->done;
}
