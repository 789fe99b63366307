// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The kernel objects one process holds, and whether any outlived it.
 *
 * Other programs on the machine (other netrace runs among them) load BPF
 * at the same time, so nothing here looks at the system's lists: what a
 * process holds is read from its own descriptors (/proc/PID/fd and
 * fdinfo: BPF program, map, link and BTF ids, perf events, sockets
 * matched with /proc/PID/net/packet), and afterwards each of those ids
 * is looked up again.  Names the kernel could share are looked for by the
 * process too: tracefs events libbpf names after the pid, and pins on
 * any bpffs that lead to one of its objects.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>

#include "harness.h"

static const char *const kind_names[NR_KOBJ_KINDS] = {
	"program", "map", "link", "BTF",
};

/* What /proc/.../fd/N names for each kind, and the fdinfo key of its id. */
static const char *const kind_inode[NR_KOBJ_KINDS] = {
	"anon_inode:bpf-prog", "anon_inode:bpf-map", "anon_inode:bpf_link",
	"anon_inode:btf",
};
static const char *const kind_key[NR_KOBJ_KINDS] = {
	"prog_id", "map_id", "link_id", "btf_id",
};

const char *nr_kobj_kind_name(enum nr_kobj_kind k)
{
	return kind_names[k];
}

static int kind_of_target(const char *target)
{
	for (int k = 0; k < NR_KOBJ_KINDS; k++)
		if (!strcmp(target, kind_inode[k]))
			return k;
	return -1;
}

/* "key:\tvalue" of an fdinfo file; -1 if the key is not there. */
static long long fdinfo_value(const char *path, const char *key)
{
	size_t klen = strlen(key);
	long long v = -1;
	char line[256];
	FILE *f = fopen(path, "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			v = strtoll(line + klen + 1, NULL, 0);
			break;
		}
	fclose(f);
	return v;
}

/*
 * Is ino a socket listed in the packet file?  "sk RefCnt Type Proto Iface
 * R Rmem User Inode": the inode is left-justified and padded (%-6lu), so
 * a short one is followed by blanks.
 */
static bool packet_has(const char *packet_file, uint64_t ino)
{
	unsigned long long got;
	char line[512];
	bool found = false;
	FILE *f = fopen(packet_file, "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%*s %*s %*s %*s %*s %*s %*s %*s %llu",
			       &got) == 1 && got == ino;
	fclose(f);
	return found;
}

static void add_id(struct nr_kobjs *k, int kind, uint32_t id)
{
	if (k->n[kind] == NR_KOBJ_MAX)
		fail_msg("pid %d holds more than %d BPF %ss", (int)k->pid,
			 NR_KOBJ_MAX, kind_names[kind]);
	k->ids[kind][k->n[kind]++] = id;
}

/* One descriptor of pid: fd/N links to target. */
static void read_one_fd(struct nr_kobjs *k, const char *fd,
			const char *target)
{
	char path[320], packet[64];
	unsigned long long ino;
	int kind = kind_of_target(target);
	long long id;

	if (!strcmp(target, "anon_inode:[perf_event]")) {
		k->nperf++;
		return;
	}
	if (sscanf(target, "socket:[%llu]", &ino) == 1) {
		snprintf(packet, sizeof(packet), "/proc/%d/net/packet",
			 (int)k->pid);
		if (!packet_has(packet, ino))
			return;
		if (k->npacket == NR_KOBJ_MAX)
			fail_msg("pid %d: too many packet sockets", (int)k->pid);
		k->packet[k->npacket++] = ino;
		return;
	}
	if (kind < 0)
		return;
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", (int)k->pid, fd);
	id = fdinfo_value(path, kind_key[kind]);
	if (id <= 0)
		fail_msg("%s: no %s (is the fd gone? the process must be "
			 "alive and still while it is read)", path,
			 kind_key[kind]);
	if (kind == NR_KOBJ_MAP) {
		long long type = fdinfo_value(path, "map_type");

		k->nringbuf += type == BPF_MAP_TYPE_RINGBUF;
		k->nperfarray += type == BPF_MAP_TYPE_PERF_EVENT_ARRAY;
	}
	/* Two descriptors of one object (a dup) are one object. */
	for (int i = 0; i < k->n[kind]; i++)
		if (k->ids[kind][i] == id)
			return;
	add_id(k, kind, (uint32_t)id);
}

static void same_netns_must(pid_t pid)
{
	char theirs[64], ours[64], path[64];
	ssize_t a, b;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	a = readlink(path, theirs, sizeof(theirs) - 1);
	b = readlink("/proc/self/ns/net", ours, sizeof(ours) - 1);
	if (a < 0 || b < 0)
		fail_msg("%s: %s", path, strerror(errno));
	theirs[a] = ours[b] = 0;
	/* Its packet sockets are looked for later in our namespace. */
	if (strcmp(theirs, ours))
		fail_msg("pid %d is in network namespace %s, we in %s",
			 (int)pid, theirs, ours);
}

void nr_kobjs_read_must(pid_t pid, struct nr_kobjs *k)
{
	char dir[64], path[320], target[256];
	struct dirent *de;
	DIR *d;

	memset(k, 0, sizeof(*k));
	k->pid = pid;
	same_netns_must(pid);
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	d = opendir(dir);
	if (!d)
		fail_msg("%s: %s", dir, strerror(errno));
	while ((de = readdir(d))) {
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = 0;
		read_one_fd(k, de->d_name, target);
	}
	closedir(d);
}

int nr_kobjs_total(const struct nr_kobjs *k)
{
	int total = k->npacket;

	for (int kind = 0; kind < NR_KOBJ_KINDS; kind++)
		total += k->n[kind];
	return total;
}

/* ---- does it still exist? ---- */

/* Open the object by id: 1 it exists, 0 it does not, -errno otherwise. */
static int id_exists(int kind, uint32_t id)
{
	int fd;

	switch (kind) {
	case NR_KOBJ_PROG:
		fd = bpf_prog_get_fd_by_id(id);
		break;
	case NR_KOBJ_MAP:
		fd = bpf_map_get_fd_by_id(id);
		break;
	case NR_KOBJ_LINK:
		fd = bpf_link_get_fd_by_id(id);
		break;
	default:
		fd = bpf_btf_get_fd_by_id(id);
		break;
	}
	if (fd >= 0) {
		/* Our descriptor holds it too: let go at once. */
		close(fd);
		return 1;
	}
	return errno == ENOENT ? 0 : -errno;
}

/* Append to buf (pos tracks the end) without overrunning it. */
static void say(char *buf, size_t n, size_t *pos, const char *fmt, ...)
{
	va_list ap;

	if (*pos >= n)
		return;
	va_start(ap, fmt);
	*pos += vsnprintf(buf + *pos, n - *pos, fmt, ap);
	va_end(ap);
}

/*
 * The tracefs event files where a name would stay: kprobe and uprobe
 * events that libbpf creates through tracefs ("libbpf_PID_...") when the
 * kernel has no perf kprobe/uprobe PMU, and dynamic_events (both kinds).
 */
static const char *const event_files[] = {
	"kprobe_events", "uprobe_events", "dynamic_events",
};

const char *nr_tracefs_dir(void)
{
	static const char *const dirs[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
	};
	struct stat st;
	char path[64];

	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/events", dirs[i]);
		if (!stat(path, &st))
			return dirs[i];
	}
	/* What netrace does itself when it needs tracefs. */
	if (mount("nodev", dirs[0], "tracefs", 0, NULL) && errno != EBUSY)
		return NULL;
	return dirs[0];
}

int nr_tracefs_events_of(pid_t pid, char *buf, size_t n, size_t *pos)
{
	const char *dir = nr_tracefs_dir();
	char name[32], path[128], line[512];
	int found = 0;

	if (!dir)
		fail_msg("tracefs is not mounted and cannot be: the kprobe "
			 "and uprobe events cannot be checked");
	snprintf(name, sizeof(name), "libbpf_%d_", (int)pid);
	for (size_t i = 0; i < sizeof(event_files) / sizeof(*event_files);
	     i++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", dir, event_files[i]);
		f = fopen(path, "re");
		if (!f)
			continue;	/* a kernel without that kind */
		while (fgets(line, sizeof(line), f)) {
			if (!strstr(line, name))
				continue;
			line[strcspn(line, "\n")] = 0;
			say(buf, n, pos, "\n  %s: %s", event_files[i], line);
			found++;
		}
		fclose(f);
	}
	return found;
}

/* ---- pins ---- */

/* nftw() takes no argument for its callback: the walk's state. */
static struct {
	const struct nr_kobjs *k;
	char *buf;
	size_t n, *pos;
	int found;
} pin_walk;

static bool has_id(const struct nr_kobjs *k, int kind, uint32_t id)
{
	for (int i = 0; i < k->n[kind]; i++)
		if (k->ids[kind][i] == id)
			return true;
	return false;
}

/* One file on a bpffs: which object is it, is it one of k's? */
static int pin_visit(const char *path, const struct stat *st, int type,
		     struct FTW *ftw)
{
	char fdpath[64], info[64], target[64];
	int fd, kind;
	long long id;
	ssize_t len;

	(void)st;
	(void)ftw;
	if (type != FTW_F)
		return 0;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;	/* unpinned meanwhile, or not an object */
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	snprintf(info, sizeof(info), "/proc/self/fdinfo/%d", fd);
	len = readlink(fdpath, target, sizeof(target) - 1);
	target[len > 0 ? len : 0] = 0;
	kind = kind_of_target(target);
	id = kind >= 0 ? fdinfo_value(info, kind_key[kind]) : -1;
	close(fd);
	if (id > 0 && has_id(pin_walk.k, kind, (uint32_t)id)) {
		say(pin_walk.buf, pin_walk.n, pin_walk.pos,
		    "\n  pin %s: %s %lld", path, kind_names[kind], id);
		pin_walk.found++;
	}
	return 0;
}

int nr_kobjs_pins(const struct nr_kobjs *k, char *buf, size_t n, size_t *pos)
{
	char line[1024], mnt[512], fstype[64];
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		fail_msg("/proc/self/mountinfo: %s", strerror(errno));
	pin_walk.k = k;
	pin_walk.buf = buf;
	pin_walk.n = n;
	pin_walk.pos = pos;
	pin_walk.found = 0;
	/* "id parent maj:min root mountpoint opts... - fstype source ..." */
	while (fgets(line, sizeof(line), f)) {
		const char *sep = strstr(line, " - ");

		if (!sep || sscanf(line, "%*s %*s %*s %*s %511s", mnt) != 1 ||
		    sscanf(sep + 3, "%63s", fstype) != 1 ||
		    strcmp(fstype, "bpf"))
			continue;
		nftw(mnt, pin_visit, 16, FTW_PHYS | FTW_MOUNT);
	}
	fclose(f);
	return pin_walk.found;
}

/* ---- what is left ---- */

int nr_kobjs_left(const struct nr_kobjs *k, char *buf, size_t n)
{
	size_t pos = 0;
	int left = 0;

	buf[0] = 0;
	for (int kind = 0; kind < NR_KOBJ_KINDS; kind++)
		for (int i = 0; i < k->n[kind]; i++) {
			int r = id_exists(kind, k->ids[kind][i]);

			if (!r)
				continue;
			say(buf, n, &pos, "\n  BPF %s id %u %s", kind_names[kind],
			    k->ids[kind][i], r > 0 ? "exists" :
			    "cannot be looked up");
			if (r < 0)
				say(buf, n, &pos, " (%s)", strerror(-r));
			left++;
		}
	for (int i = 0; i < k->npacket; i++)
		if (packet_has("/proc/self/net/packet", k->packet[i])) {
			say(buf, n, &pos, "\n  packet socket inode %llu",
			    (unsigned long long)k->packet[i]);
			left++;
		}
	left += nr_tracefs_events_of(k->pid, buf, n, &pos);
	left += nr_kobjs_pins(k, buf, n, &pos);
	return left;
}

void nr_kobjs_gone_must(const struct nr_kobjs *k, const char *who)
{
	int64_t end = nr_now_ms() + NR_GONE_TIMEOUT_MS;
	char left[4096];
	int n;

	/* Programs and maps are freed after an RCU grace period or in a
	 * work item: a few milliseconds after the process is reaped. */
	while ((n = nr_kobjs_left(k, left, sizeof(left))) &&
	       nr_now_ms() < end)
		nr_sleep_ms(20);
	if (n)
		fail_msg("%s (pid %d) is gone, but %d of its kernel objects "
			 "still exist %d ms later:%s", who, (int)k->pid, n,
			 NR_GONE_TIMEOUT_MS, left);
}

void nr_kobjs_disjoint_must(const struct nr_kobjs *a,
			    const struct nr_kobjs *b)
{
	for (int kind = 0; kind < NR_KOBJ_KINDS; kind++)
		for (int i = 0; i < a->n[kind]; i++)
			if (has_id(b, kind, a->ids[kind][i]))
				fail_msg("pids %d and %d share BPF %s id %u",
					 (int)a->pid, (int)b->pid,
					 kind_names[kind], a->ids[kind][i]);
	for (int i = 0; i < a->npacket; i++)
		for (int j = 0; j < b->npacket; j++)
			if (a->packet[i] == b->packet[j])
				fail_msg("pids %d and %d share packet socket "
					 "%llu", (int)a->pid, (int)b->pid,
					 (unsigned long long)a->packet[i]);
}

const char *nr_kobjs_str(const struct nr_kobjs *k, char *buf, size_t n)
{
	snprintf(buf, n, "pid %d: %d programs, %d maps (%d ring buffer, %d "
		 "perf event array), %d links, %d BTF, %d perf events, %d "
		 "packet sockets", (int)k->pid, k->n[NR_KOBJ_PROG],
		 k->n[NR_KOBJ_MAP], k->nringbuf, k->nperfarray,
		 k->n[NR_KOBJ_LINK], k->n[NR_KOBJ_BTF], k->nperf, k->npacket);
	return buf;
}
