// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Fixtures on the machine's file systems: a child cgroup v2, temp dirs
 * (and applet links in them), a private bpffs and maps pinned on it.
 * Each undoes itself at teardown, so a failed test leaves no cgroup,
 * mount or pin behind.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <bpf/bpf.h>

#include "harness.h"

/* Undo mountinfo's octal escapes (\040 for space) in place. */
static void unescape_octal(char *s)
{
	char *d = s;

	for (; *s; s++, d++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*d = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
				    (s[3] - '0'));
			s += 3;
		} else {
			*d = *s;
		}
	}
	*d = 0;
}

/*
 * mountinfo: "id parent maj:min root mountpoint opts [tags...] - fstype
 * source superopts".  The tags vary in number, so find " - " first.
 */
static bool mountinfo_cgroup2(char *line, char *buf, size_t n)
{
	char *sep = strstr(line, " - ");
	char mnt[4096], fstype[64];

	if (!sep || sscanf(sep + 3, "%63s", fstype) != 1 ||
	    strcmp(fstype, "cgroup2"))
		return false;
	if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
		return false;
	unescape_octal(mnt);
	snprintf(buf, n, "%s", mnt);
	return true;
}

int nr_cgroup2_mount(char *buf, size_t n)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[8192];
	int ret = -1;

	if (!f)
		return -1;
	while (ret && fgets(line, sizeof(line), f))
		if (mountinfo_cgroup2(line, buf, n))
			ret = 0;
	fclose(f);
	return ret;
}

static void rmdir_cleanup(struct nr_ctx *ctx, void *arg)
{
	int64_t end = nr_now_ms() + 2000;

	/* A just-reaped member can keep a cgroup busy for a moment. */
	while (rmdir(arg) && errno == EBUSY && nr_now_ms() < end)
		nr_sleep_ms(10);
	if (access(arg, F_OK) == 0) {
		print_error("teardown: cannot remove %s: %s\n", (char *)arg,
			    strerror(errno));
		ctx->teardown_errors++;
	}
	free(arg);
}

void nr_cgroup_create_must(struct nr_ctx *ctx, char *buf, size_t n)
{
	static unsigned int seq;
	char root[4096];

	if (nr_cgroup2_mount(root, sizeof(root)))
		fail_msg("no cgroup2 mount in /proc/self/mountinfo");
	snprintf(buf, n, "%s/netrace-it-%d-%u", root, (int)getpid(), seq++);
	if (mkdir(buf, 0755))
		fail_msg("mkdir %s: %s", buf, strerror(errno));
	nr_defer(ctx, rmdir_cleanup, strdup(buf));
}

/* Remove a flat temp dir: its entries (files, links), then itself. */
static void tmpdir_cleanup(struct nr_ctx *ctx, void *arg)
{
	DIR *d = opendir(arg);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		unlinkat(dirfd(d), e->d_name, 0);
	}
	if (d)
		closedir(d);
	rmdir_cleanup(ctx, arg);
}

void nr_tmpdir_must(struct nr_ctx *ctx, char *buf, size_t n)
{
	snprintf(buf, n, "/tmp/netrace-it.XXXXXX");
	if (!mkdtemp(buf))
		fail_msg("mkdtemp: %s", strerror(errno));
	nr_defer(ctx, tmpdir_cleanup, strdup(buf));
}

static void bpffs_cleanup(struct nr_ctx *ctx, void *arg)
{
	if (umount2(arg, 0) && umount2(arg, MNT_DETACH)) {
		print_error("teardown: umount %s: %s\n", (char *)arg,
			    strerror(errno));
		ctx->teardown_errors++;
	}
	rmdir_cleanup(ctx, arg);
}

void nr_bpffs_must(struct nr_ctx *ctx, char *buf, size_t n)
{
	snprintf(buf, n, "/tmp/netrace-it-bpffs.XXXXXX");
	if (!mkdtemp(buf))
		fail_msg("mkdtemp: %s", strerror(errno));
	if (mount("bpf", buf, "bpf", 0, NULL)) {
		int e = errno;

		rmdir(buf);
		fail_msg("mount bpffs on %s: %s", buf, strerror(e));
	}
	nr_defer(ctx, bpffs_cleanup, strdup(buf));
}

static void unpin_cleanup(struct nr_ctx *ctx, void *arg)
{
	if (unlink(arg)) {
		print_error("teardown: unpin %s: %s\n", (char *)arg,
			    strerror(errno));
		ctx->teardown_errors++;
	}
	free(arg);
}

void nr_pin_hash_map_must(struct nr_ctx *ctx, const char *path,
			  unsigned int key_size, const void *key,
			  unsigned int value_size, const void *value)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_HASH, "netrace_it", key_size,
				value_size, 16, NULL);
	int e;

	if (fd < 0)
		fail_msg("bpf_map_create: %s", strerror(-fd));
	e = bpf_map_update_elem(fd, key, value, BPF_ANY) ? errno : 0;
	if (!e && bpf_obj_pin(fd, path))
		e = errno;
	/* The pin holds the map; our fd is no longer needed. */
	close(fd);
	if (e)
		fail_msg("map update/pin at %s: %s", path, strerror(e));
	nr_defer(ctx, unpin_cleanup, strdup(path));
}

uint64_t nr_inode_must(const char *path)
{
	struct stat st;

	if (stat(path, &st))
		fail_msg("stat %s: %s", path, strerror(errno));
	return st.st_ino;
}

void nr_pin_filter_map_must(struct nr_ctx *ctx, const char *name,
			    uint64_t key, unsigned int value_size, char *buf,
			    size_t n)
{
	uint64_t v64 = 1;
	uint32_t v32 = 1;
	char fs[4096];

	if (value_size != sizeof(v32) && value_size != sizeof(v64))
		fail_msg("filter map %s: values of %u bytes", name, value_size);
	nr_bpffs_must(ctx, fs, sizeof(fs));
	snprintf(buf, n, "%s/%s", fs, name);
	nr_pin_hash_map_must(ctx, buf, sizeof(key), &key, value_size,
			     value_size == sizeof(v32) ? (void *)&v32 : &v64);
}

uint64_t nr_new_mntns_must(pid_t pid, const char *who)
{
	char ns[64];
	uint64_t ino;

	snprintf(ns, sizeof(ns), "/proc/%d/ns/mnt", (int)pid);
	ino = nr_inode_must(ns);
	if (ino == nr_inode_must("/proc/self/ns/mnt"))
		fail_msg("unshare(CLONE_NEWNS) left the %s in our mntns", who);
	return ino;
}

void nr_applet_link_must(struct nr_ctx *ctx, const char *applet, char *buf,
			 size_t n)
{
	char dir[256];

	nr_tmpdir_must(ctx, dir, sizeof(dir));
	snprintf(buf, n, "%s/%s", dir, applet);
	if (symlink(nr_netrace_path(), buf))
		fail_msg("symlink %s: %s", buf, strerror(errno));
}

/* "Name:\tVALUE" of /proc/PID/status into buf; false if absent. */
static bool proc_status(pid_t pid, const char *name, char *buf, size_t n)
{
	char path[64], line[256];
	size_t len = strlen(name);
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		if (!strncmp(line, name, len) && line[len] == ':') {
			snprintf(buf, n, "%s", line + len + 1 + strspn(line + len + 1, " \t"));
			buf[strcspn(buf, "\n")] = '\0';
			found = true;
		}
	fclose(f);
	return found;
}

/*
 * Ground truth for what a tracer may keep: does this kernel refuse bpf()
 * on a map a process holds once it has no capability (before Linux 6.0,
 * with kernel.unprivileged_bpf_disabled set)?  A child with an empty
 * capability set tries.
 */
static bool kernel_gates_bpf(void)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd, status;
	pid_t pid;

	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "nr_gate", 4, 4, 1, NULL);
	if (fd < 0)
		fail_msg("bpf_map_create: %s", strerror(errno));
	pid = fork();
	if (pid == 0) {
		struct __user_cap_header_struct hdr = {
			.version = _LINUX_CAPABILITY_VERSION_3,
		};
		struct __user_cap_data_struct none[2] = {};

		if (syscall(SYS_capset, &hdr, none))
			_exit(2);
		_exit(bpf_obj_get_info_by_fd(fd, &info, &len) && errno == EPERM);
	}
	close(fd);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) > 1)
		fail_msg("probing bpf() without capabilities failed");
	return WEXITSTATUS(status) == 1;
}

/*
 * No capability left, and no_new_privs; on a kernel that gates every
 * bpf() call, exactly the one capability it wants: CAP_BPF, or
 * CAP_SYS_ADMIN where the kernel has no CAP_BPF.
 */
void nr_expect_no_privs_must(struct nr_tracer *t)
{
	static const char *const caps[] = {
		"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb",
	};
	char v[64], kept[32] = "0000000000000000";
	unsigned long last = 0;
	FILE *f;

	if (kernel_gates_bpf()) {
		f = fopen("/proc/sys/kernel/cap_last_cap", "re");
		if (!f || fscanf(f, "%lu", &last) != 1)
			fail_msg("cannot read /proc/sys/kernel/cap_last_cap");
		fclose(f);
		snprintf(kept, sizeof(kept), "%016llx",
			 1ULL << (last >= 39 ? 39 : 21));	/* CAP_BPF, CAP_SYS_ADMIN */
	}
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		const char *want = i == 1 || i == 2 ? kept : "0000000000000000";

		if (!proc_status(t->pid, caps[i], v, sizeof(v)) || strcmp(v, want))
			fail_msg("'%s' while tracing: %s is %s, want %s",
				 t->cmdline, caps[i], v, want);
	}
	if (!proc_status(t->pid, "NoNewPrivs", v, sizeof(v)) || strcmp(v, "1"))
		fail_msg("'%s' while tracing: NoNewPrivs is not 1", t->cmdline);
}
