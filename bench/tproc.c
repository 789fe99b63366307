// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* A tracer under test: spawn, read and timestamp its output, stop. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tproc.h"

#define READ_CHUNK	(1 << 20)
#define PIPE_SIZE	(1 << 20)

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

void sleep_ns(uint64_t ns)
{
	struct timespec ts = { ns / 1000000000ULL, ns % 1000000000ULL };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static bool parse_u(const char *s, size_t n, unsigned long *v)
{
	unsigned long x = 0;
	size_t i;

	if (!n || n > 19)
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		x = x * 10 + (s[i] - '0');
	}
	*v = x;
	return true;
}

/* The last n whitespace-separated fields of line[0..len), last first. */
static int last_fields(const char *line, size_t len, int n,
		       const char **f, size_t *fl)
{
	size_t end = len, start;
	int k = 0;

	while (k < n) {
		while (end && line[end - 1] == ' ')
			end--;
		if (!end)
			break;
		start = end;
		while (start && line[start - 1] != ' ')
			start--;
		f[k] = line + start;
		fl[k] = end - start;
		k++;
		end = start;
	}
	return k;
}

/* 127.0.H.L as H * 256 + L (a probe's client port), else false. */
static bool daddr_port(const char *s, size_t n, unsigned long *port)
{
	unsigned long h, l;
	const char *dot;

	if (n < 9 || memcmp(s, "127.0.", 6))
		return false;
	dot = memchr(s + 6, '.', n - 6);
	if (!dot || !parse_u(s + 6, dot - s - 6, &h) ||
	    !parse_u(dot + 1, s + n - dot - 1, &l) || h > 255 || l > 255)
		return false;
	*port = h << 8 | l;
	return true;
}

static void on_line(struct tproc *t, const char *line, size_t len,
		    uint64_t now)
{
	const char *fs[8], **f;
	size_t fls[8], *fl;
	unsigned long a, b, c;
	uint64_t zero = 0;

	if (t->line_fn)
		t->line_fn(t->line_ctx, line, len, now);
	if ((len >= 4 && !memcmp(line, "PID ", 4)) ||
	    (len >= 7 && !memcmp(line, "SKADDR ", 7)) ||
	    (len >= 6 && !memcmp(line, "T  PID", 6))) {
		atomic_compare_exchange_strong(&t->t_header, &zero, now);
		return;
	}
	if (len >= 8 && !memcmp(line, "Tracing ", 8)) {
		atomic_compare_exchange_strong(&t->t_banner, &zero, now);
		return;
	}
	/* bpftrace: "Lost 123 events" */
	if (len > 5 && !memcmp(line, "Lost ", 5)) {
		const char *p = line + 5;
		size_t n = 0;

		while (5 + n < len && p[n] >= '0' && p[n] <= '9')
			n++;
		if (parse_u(p, n, &a))
			t->printed_lost += a;
		return;
	}
	if (last_fields(line, len, 3 + t->skip_fields, fs, fls) <
	    3 + t->skip_fields)
		return;
	f = fs + t->skip_fields;
	fl = fls + t->skip_fields;
	if (t->count_mode) {
		/* LADDR RADDR RPORT CONNECTS */
		if (parse_u(f[0], fl[0], &a) && parse_u(f[1], fl[1], &b) &&
		    b == t->storm_port)
			t->count_sum += a;
		return;
	}
	if (!parse_u(f[0], fl[0], &a) || a > 65535)
		return;
	if (t->ports_last) {
		if (!parse_u(f[1], fl[1], &c))
			return;
	/* "SADDR DADDR DPORT": the probe's client port is in DADDR. */
	} else if (!parse_u(f[2], fl[2], &c) && !daddr_port(f[1], fl[1], &c)) {
		return;
	}
	if (c > 65535)
		return;
	t->rows++;
	if (t->storm_port && a == t->storm_port) {
		t->storm_events++;
		if (t->needle && !memmem(line, len, t->needle, strlen(t->needle)))
			return;
		t->storm_rows++;
		t->t_last_storm_row = now;
	} else if (t->probe_port && a == t->probe_port) {
		uint64_t one = 1;
		ssize_t k;

		t->probe_rows++;
		zero = 0;
		atomic_compare_exchange_strong(&t->seen[c], &zero, now);
		k = write(t->probe_efd, &one, sizeof(one));
		(void)k;	/* the counter only wakes a waiter up */
	}
}

static void err_append(struct tproc *t, const char *p, size_t n)
{
	pthread_mutex_lock(&t->errlock);
	if (t->errlen + n + 1 > t->errcap) {
		size_t cap = (t->errlen + n + 1) * 2;
		char *q = realloc(t->errtext, cap);

		if (!q) {
			pthread_mutex_unlock(&t->errlock);
			return;
		}
		t->errtext = q;
		t->errcap = cap;
	}
	memcpy(t->errtext + t->errlen, p, n);
	t->errlen += n;
	t->errtext[t->errlen] = '\0';
	pthread_mutex_unlock(&t->errlock);
}

static void *reader(void *arg)
{
	struct tproc *t = arg;
	char *buf = malloc(READ_CHUNK), *eb = malloc(4096);
	size_t have = 0;
	struct pollfd p[2] = {
		{ .fd = t->out_fd, .events = POLLIN },
		{ .fd = t->err_fd, .events = POLLIN },
	};

	if (!buf || !eb)
		goto out;
	while (p[0].fd >= 0 || p[1].fd >= 0) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents) {
			ssize_t n = read(p[1].fd, eb, 4096);

			if (n > 0)
				err_append(t, eb, n);
			else if (n == 0 || errno != EINTR)
				p[1].fd = -1;
		}
		if (p[0].revents) {
			ssize_t n = read(p[0].fd, buf + have, READ_CHUNK - have);
			uint64_t now = now_ns();
			char *s, *nl, *end;

			if (n <= 0) {
				if (n == 0 || errno != EINTR)
					p[0].fd = -1;
				continue;
			}
			end = buf + have + n;
			for (s = buf; (nl = memchr(s, '\n', end - s)); s = nl + 1)
				on_line(t, s, nl - s, now);
			have = end - s;
			/* A line longer than the buffer is no row of ours. */
			if (have == READ_CHUNK)
				have = 0;
			memmove(buf, s, have);
		}
	}
out:
	free(buf);
	free(eb);
	return NULL;
}

static int spawn(struct tproc *t, char *const argv[]);

int tproc_spawn(struct tproc *t, char *const argv[], uint16_t storm_port,
		uint16_t probe_port, bool count_mode, int skip_fields,
		const char *needle)
{
	memset(t, 0, sizeof(*t));
	t->storm_port = storm_port;
	t->probe_port = probe_port;
	t->count_mode = count_mode;
	t->skip_fields = skip_fields;
	t->needle = needle;
	return spawn(t, argv);
}

int tproc_spawn_lines(struct tproc *t, char *const argv[], tproc_line_fn fn,
		      void *ctx)
{
	memset(t, 0, sizeof(*t));
	t->line_fn = fn;
	t->line_ctx = ctx;
	return spawn(t, argv);
}

/* t is zeroed but for what the caller set; the reader starts with it. */
static int spawn(struct tproc *t, char *const argv[])
{
	int out[2] = { -1, -1 }, err[2] = { -1, -1 }, e;

	t->pid = -1;
	t->out_fd = t->err_fd = t->probe_efd = -1;
	pthread_mutex_init(&t->errlock, NULL);
	t->seen = calloc(65536, sizeof(*t->seen));
	t->probe_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!t->seen || t->probe_efd < 0 ||
	    pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
		e = -errno;
		goto fail;
	}
	fcntl(out[0], F_SETPIPE_SZ, PIPE_SIZE);
	fflush(NULL);
	t->t_exec = now_ns();
	t->pid = fork();
	if (t->pid < 0) {
		e = -errno;
		goto fail;
	}
	if (!t->pid) {
		int null = open("/dev/null", O_RDONLY);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		signal(SIGINT, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		if (null >= 0)
			dup2(null, 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		execvp(argv[0], argv);
		dprintf(2, "nrbench: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	t->out_fd = out[0];
	t->err_fd = err[0];
	if ((e = -pthread_create(&t->reader, NULL, reader, t)))
		return e;
	t->reader_started = true;
	return 0;
fail:
	if (out[0] >= 0) {
		close(out[0]);
		close(out[1]);
	}
	if (err[0] >= 0) {
		close(err[0]);
		close(err[1]);
	}
	return e;
}

bool tproc_alive(struct tproc *t)
{
	siginfo_t si = { 0 };

	if (t->pid <= 0)
		return false;
	/* Look without reaping: tproc_stop() collects the rusage. */
	if (waitid(P_PID, t->pid, &si, WEXITED | WNOHANG | WNOWAIT))
		return false;
	return si.si_pid == 0;
}

int tproc_stop(struct tproc *t, uint64_t timeout_ns)
{
	uint64_t end = now_ns() + timeout_ns, next = now_ns() + 3000000000ULL;
	pid_t r;

	if (t->pid <= 0)
		return -1;
	kill(t->pid, SIGINT);
	t->sigints = 1;
	for (;;) {
		r = wait4(t->pid, &t->status, WNOHANG, &t->ru);
		if (r == t->pid || (r < 0 && errno != EINTR))
			break;
			/* A SIGINT that came at the wrong moment may be lost. */
		if (now_ns() > next && now_ns() < end) {
			kill(t->pid, SIGINT);
			t->sigints++;
			next = now_ns() + 3000000000ULL;
		}
		if (now_ns() > end) {
			t->killed = true;
			kill(t->pid, SIGKILL);
			wait4(t->pid, &t->status, 0, &t->ru);
			break;
		}
		sleep_ns(2000000);
	}
	t->pid = -1;
	if (t->reader_started)
		pthread_join(t->reader, NULL);
	t->reader_started = false;
	return 0;
}

void tproc_drain(struct tproc *t, _Atomic unsigned long *count,
		 unsigned long want, uint64_t max_ns, uint64_t quiet_ns)
{
	uint64_t end = now_ns() + max_ns, quiet_since = now_ns();
	unsigned long last = *count;

	while (*count < want && now_ns() < end && tproc_alive(t)) {
		sleep_ns(20000000);
		if (*count != last) {
			last = *count;
			quiet_since = now_ns();
		} else if (now_ns() - quiet_since > quiet_ns) {
			break;
		}
	}
}

void tproc_free(struct tproc *t)
{
	if (t->pid > 0)
		tproc_stop(t, 2000000000ULL);
	if (t->out_fd >= 0)
		close(t->out_fd);
	if (t->err_fd >= 0)
		close(t->err_fd);
	if (t->probe_efd >= 0)
		close(t->probe_efd);
	free(t->seen);
	free(t->errtext);
	pthread_mutex_destroy(&t->errlock);
	t->out_fd = t->err_fd = t->probe_efd = -1;
	t->seen = NULL;
	t->errtext = NULL;
}

char *tproc_stderr(struct tproc *t)
{
	char *s;

	pthread_mutex_lock(&t->errlock);
	s = strdup(t->errtext ? t->errtext : "");
	pthread_mutex_unlock(&t->errlock);
	return s;
}

unsigned long tproc_reported_lost(struct tproc *t)
{
	char *s = tproc_stderr(t), *p;
	unsigned long n = 0;

	/* "tcpconnect: 123 events lost: the kernel could not deliver them" */
	for (p = s; p && (p = strstr(p, " events lost")); p++) {
		char *q = p;

		while (q > s && q[-1] >= '0' && q[-1] <= '9')
			q--;
		if (q < p)
			n += strtoul(q, NULL, 10);
	}
	free(s);
	return n;
}

int tproc_need_root(const char *prog)
{
	const char *ci = getenv("CI"), *rp = getenv("NETRACE_REQUIRE_PRIV");

	if (!geteuid())
		return 0;
	if ((ci && !strcmp(ci, "true")) || (rp && !strcmp(rp, "1"))) {
		fprintf(stderr, "%s: needs root (CI=true: not skipping)\n", prog);
		return 1;
	}
	fprintf(stderr, "%s: needs root: skipped\n", prog);
	return 77;
}

void fails_add(struct fails *f, const char *fmt, ...)
{
	size_t len = strlen(f->text);
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s: %s\n", f->prog, f->who, msg);
	f->n++;
	snprintf(f->text + len, sizeof(f->text) - len, "%s%s",
		 len ? "; " : "", msg);
}

long proc_status_field(pid_t pid, const char *key, bool all_tasks)
{
	char path[320], line[256];
	size_t klen = strlen(key);
	long sum = -1;
	DIR *d = NULL;
	struct dirent *de;
	FILE *f;

	if (all_tasks) {
		snprintf(path, sizeof(path), "/proc/%d/task", pid);
		d = opendir(path);
		if (!d)
			return -1;
	}
	for (;;) {
		if (d) {
			de = readdir(d);
			if (!de)
				break;
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/proc/%d/task/%s/status",
				 pid, de->d_name);
		} else {
			snprintf(path, sizeof(path), "/proc/%d/status", pid);
		}
		f = fopen(path, "r");
		if (f) {
			while (fgets(line, sizeof(line), f))
				if (!strncmp(line, key, klen) &&
				    line[klen] == ':') {
					sum = (sum < 0 ? 0 : sum) +
					      strtol(line + klen + 1, NULL, 10);
					break;
				}
			fclose(f);
		}
		if (!d)
			break;
	}
	if (d)
		closedir(d);
	return sum;
}

uint64_t proc_cpu_ns(pid_t pid)
{
	char path[320];
	struct dirent *de;
	uint64_t sum = 0;
	DIR *d;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		unsigned long long ns;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/schedstat",
			 pid, de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fscanf(f, "%llu", &ns) == 1)
			sum += ns;
		fclose(f);
	}
	closedir(d);
	return sum;
}
