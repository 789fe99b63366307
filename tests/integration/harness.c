// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Harness core: privileges, the per-test cleanup stack, the tracer
 * process (spawn, line reader over both pipes, strict JSON, stop) and
 * waiting for JSON events.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "harness.h"

int64_t nr_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void nr_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* ---- privileges ---- */

static bool env_is(const char *name, const char *val)
{
	const char *v = getenv(name);

	return v && !strcmp(v, val);
}

bool nr_priv_required(void)
{
	return env_is("CI", "true") || env_is("NETRACE_REQUIRE_PRIV", "1");
}

void nr_require_root(void)
{
	if (geteuid() == 0)
		return;
	if (nr_priv_required())
		fail_msg("privileged test skipped in CI (euid %d, need root)",
			 (int)geteuid());
	skip();
}

bool nr_suite_begin(const char *prog, bool *skip_all)
{
	const char *exe = getenv("NETRACE");
	const char *filter = getenv("NR_IT_FILTER");

	*skip_all = geteuid() != 0 && !nr_priv_required();
	if (*skip_all) {
		fprintf(stderr, "%s: not root, skipping every test\n", prog);
	} else if (!exe || access(exe, X_OK)) {
		fprintf(stderr, "%s: NETRACE=%s is not an executable netrace"
			" binary\n", prog, exe ? exe : "(unset)");
		return false;
	}
	if (filter)
		cmocka_set_test_filter(filter);
	return true;
}

/* ---- context ---- */

int nr_setup(void **state)
{
	struct nr_ctx *ctx = calloc(1, sizeof(*ctx));

	if (!ctx)
		return -1;
	/* A dead client or tracer must be an error, not our death. */
	signal(SIGPIPE, SIG_IGN);
	*state = ctx;
	return 0;
}

int nr_teardown(void **state)
{
	struct nr_ctx *ctx = *state;
	int bad;

	if (!ctx)
		return 0;
	while (ctx->ncleanups > 0) {
		struct nr_cleanup *c = &ctx->cleanups[--ctx->ncleanups];

		c->fn(ctx, c->arg);
	}
	bad = ctx->teardown_errors;
	free(ctx);
	*state = NULL;
	return bad ? -1 : 0;
}

void nr_defer(struct nr_ctx *ctx, nr_cleanup_fn fn, void *arg)
{
	if (ctx->ncleanups == NR_MAX_CLEANUPS) {
		/* Undo it now rather than leak it past the test. */
		fn(ctx, arg);
		fail_msg("harness: more than %d cleanups", NR_MAX_CLEANUPS);
	}
	ctx->cleanups[ctx->ncleanups].fn = fn;
	ctx->cleanups[ctx->ncleanups].arg = arg;
	ctx->ncleanups++;
}

struct nr_ctx *nr_test_begin(void **state)
{
	nr_require_root();
	return *state;
}

/* ---- tracer: spawning ---- */

const char *nr_netrace_path(void)
{
	const char *p = getenv("NETRACE");

	if (!p || !*p)
		fail_msg("NETRACE is not set: point it at the netrace binary");
	return p;
}

static bool has_prefix_arg(const char *const *args, const char *prefix)
{
	for (; args && *args; args++)
		if (!strncmp(*args, prefix, strlen(prefix)))
			return true;
	return false;
}

/* argv for the tracer; strings it points to live in *store. */
#define MAX_ARGS	64
static void build_argv(const struct nr_tracer_cfg *cfg, const char *exe,
		       char *argv[MAX_ARGS], char store[2][256])
{
	const char *att = getenv("NETRACE_ATTACH");
	const char *buf = getenv("NETRACE_BUFFER");
	int n = 0;

	argv[n++] = (char *)(cfg->argv0 ? cfg->argv0 : exe);
	if (cfg->applet)
		argv[n++] = (char *)cfg->applet;
	for (const char *const *a = cfg->args; a && *a && n < MAX_ARGS - 3; a++)
		argv[n++] = (char *)*a;
	/* The VM matrix runs the suite once per strategy and buffer. */
	if (!cfg->no_env_opts && att && *att &&
	    !has_prefix_arg(cfg->args, "--attach")) {
		snprintf(store[0], 256, "--attach=%s", att);
		argv[n++] = store[0];
	}
	if (!cfg->no_env_opts && buf && *buf &&
	    !has_prefix_arg(cfg->args, "--buffer")) {
		snprintf(store[1], 256, "--buffer=%s", buf);
		argv[n++] = store[1];
	}
	argv[n] = NULL;
}

static void format_cmdline(struct nr_tracer *t, char *const argv[])
{
	size_t pos = 0;

	t->cmdline[0] = 0;
	for (int i = 0; argv[i] && pos < sizeof(t->cmdline) - 1; i++)
		pos += snprintf(t->cmdline + pos, sizeof(t->cmdline) - pos,
				"%s%s", i ? " " : "", argv[i]);
}

/* In the child: the environment a shell would give it, then exec. */
static void exec_tracer(pid_t parent, const char *exe, char *const argv[],
			int out_fd, int err_fd, bool no_core)
{
	struct rlimit zero = { 0, 0 };
	sigset_t none;
	int devnull;

	/* Never outlive the suite, even if it is killed. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	if (no_core && setrlimit(RLIMIT_CORE, &zero))
		_exit(127);
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	devnull = open("/dev/null", O_RDONLY);
	if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out_fd, 1) < 0 ||
	    dup2(err_fd, 2) < 0)
		_exit(127);
	execv(exe, argv);
	dprintf(2, "harness: exec %s: %s\n", exe, strerror(errno));
	_exit(127);
}

static void stream_init(struct nr_stream *s, int fd)
{
	memset(s, 0, sizeof(*s));
	s->fd = fd;
}

static void stream_free(struct nr_stream *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	for (size_t i = 0; i < s->nlines; i++)
		free(s->lines[i]);
	free(s->lines);
	free(s->part);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}

static void tracer_cleanup(struct nr_ctx *ctx, void *arg)
{
	struct nr_tracer *t = arg;
	char buf[64];
	int st;

	if (!t->reaped) {
		st = nr_tracer_stop(t, SIGINT, NR_STOP_TIMEOUT_MS);
		/* Every test also checks that SIGINT ends it with status 0. */
		if (!t->stopped_by_test && (st == -1 || !WIFEXITED(st) ||
					    WEXITSTATUS(st) != 0)) {
			print_error("teardown: '%s' after SIGINT: %s (want exit 0)\n"
				    "stderr:\n%s\n", t->cmdline,
				    st == -1 ? "hung, killed" :
				    nr_status_str(st, buf, sizeof(buf)),
				    nr_tracer_stderr(t));
			ctx->teardown_errors++;
		}
	}
	stream_free(&t->out);
	stream_free(&t->err);
	free(t->errbuf);
	free(t);
}

static struct nr_tracer *tracer_spawn_must(struct nr_ctx *ctx,
					   const struct nr_tracer_cfg *cfg)
{
	const char *exe = cfg->exe ? cfg->exe : nr_netrace_path();
	char *argv[MAX_ARGS], store[2][256];
	int out[2], err[2];
	struct nr_tracer *t;
	pid_t parent = getpid();

	build_argv(cfg, exe, argv, store);
	t = calloc(1, sizeof(*t));
	assert_non_null(t);
	t->cfg = *cfg;
	format_cmdline(t, argv);
	if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
		fail_msg("pipe: %s", strerror(errno));
	t->pid = fork();
	if (t->pid < 0)
		fail_msg("fork: %s", strerror(errno));
	if (t->pid == 0)
		exec_tracer(parent, exe, argv, out[1], err[1], cfg->no_core);
	close(out[1]);
	close(err[1]);
	stream_init(&t->out, out[0]);
	stream_init(&t->err, err[0]);
	nr_defer(ctx, tracer_cleanup, t);
	return t;
}

/* ---- tracer: reading ---- */

static void stream_push(struct nr_stream *s, const char *p, size_t n)
{
	char *line;

	if (s->nlines == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->lines = realloc(s->lines, s->cap * sizeof(*s->lines));
		assert_non_null(s->lines);
	}
	line = strndup(p, n);
	assert_non_null(line);
	/* strndup stops at a NUL: keep the line's real bytes visible. */
	if (strlen(line) != n) {
		free(line);
		line = strdup("<line contains a NUL byte>");
	}
	s->lines[s->nlines++] = line;
}

/* Split what arrived into lines; a partial line waits for the rest. */
static void stream_feed(struct nr_stream *s, const char *data, size_t n)
{
	size_t start = 0;

	if (s->plen + n > s->pcap) {
		s->pcap = (s->plen + n) * 2;
		s->part = realloc(s->part, s->pcap);
		assert_non_null(s->part);
	}
	memcpy(s->part + s->plen, data, n);
	s->plen += n;
	for (size_t i = 0; i < s->plen; i++) {
		if (s->part[i] != '\n')
			continue;
		stream_push(s, s->part + start, i - start);
		start = i + 1;
	}
	memmove(s->part, s->part + start, s->plen - start);
	s->plen -= start;
}

static void stream_read(struct nr_stream *s)
{
	char buf[65536];
	ssize_t n = read(s->fd, buf, sizeof(buf));

	if (n > 0) {
		stream_feed(s, buf, n);
		return;
	}
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	/* EOF: an unterminated last line is still a line. */
	if (s->plen)
		stream_push(s, s->part, s->plen);
	s->plen = 0;
	s->eof = true;
}

/* One poll round over both pipes; returns at once if both are at EOF. */
static void tracer_pump(struct nr_tracer *t, int timeout_ms)
{
	struct nr_stream *ss[2] = { &t->out, &t->err };
	struct pollfd pfd[2];
	struct nr_stream *which[2];
	int n = 0;

	for (int i = 0; i < 2; i++) {
		if (ss[i]->fd < 0 || ss[i]->eof)
			continue;
		pfd[n].fd = ss[i]->fd;
		pfd[n].events = POLLIN;
		which[n++] = ss[i];
	}
	if (!n)
		return;
	if (poll(pfd, n, timeout_ms) <= 0)
		return;
	for (int i = 0; i < n; i++)
		if (pfd[i].revents)
			stream_read(which[i]);
}

int nr_tracer_line(struct nr_tracer *t, enum nr_fd which, int timeout_ms,
		   const char **line)
{
	struct nr_stream *s = which == NR_OUT ? &t->out : &t->err;
	int64_t end = nr_now_ms() + timeout_ms;
	bool expired = false;

	for (;;) {
		int64_t left;

		if (s->next < s->nlines) {
			*line = s->lines[s->next++];
			return 1;
		}
		if (s->eof)
			return -1;
		if (expired)
			return 0;
		/* Past the deadline, still take what is already there. */
		left = end - nr_now_ms();
		if (left <= 0) {
			expired = true;
			left = 0;
		}
		tracer_pump(t, (int)left);
	}
}

const char *nr_tracer_stderr(struct nr_tracer *t)
{
	size_t len = 1;

	for (size_t i = 0; i < t->err.nlines; i++)
		len += strlen(t->err.lines[i]) + 1;
	free(t->errbuf);
	t->errbuf = malloc(len);
	if (!t->errbuf)
		return "";
	t->errbuf[0] = 0;
	for (size_t i = 0; i < t->err.nlines; i++) {
		strcat(t->errbuf, t->err.lines[i]);
		strcat(t->errbuf, "\n");
	}
	return t->errbuf;
}

bool nr_tracer_stderr_has(struct nr_tracer *t, const char *needle)
{
	for (size_t i = 0; i < t->err.nlines; i++)
		if (strcasestr(t->err.lines[i], needle))
			return true;
	return false;
}

/* ---- tracer: JSON ---- */

static bool type_ok(json_t *v, int type)
{
	if (type == JSON_REAL)
		return json_is_number(v);
	return (int)json_typeof(v) == type;
}

/* Exactly the schema's keys, each of its type. */
static bool schema_ok(json_t *obj, const struct nr_jkey *schema, char *why,
		      size_t n)
{
	size_t nkeys = 0;

	for (const struct nr_jkey *k = schema; k->name; k++, nkeys++) {
		json_t *v = json_object_get(obj, k->name);

		if (!v) {
			snprintf(why, n, "key \"%s\" missing", k->name);
			return false;
		}
		if (!type_ok(v, k->type)) {
			snprintf(why, n, "key \"%s\" has the wrong type",
				 k->name);
			return false;
		}
	}
	if (json_object_size(obj) != nkeys) {
		snprintf(why, n, "%zu keys, want exactly %zu",
			 json_object_size(obj), nkeys);
		return false;
	}
	return true;
}

json_t *nr_tracer_json_must(struct nr_tracer *t, int timeout_ms, int *rc)
{
	const char *line;
	json_error_t jerr;
	char why[256];
	json_t *obj;
	int r = nr_tracer_line(t, NR_OUT, timeout_ms, &line);

	if (rc)
		*rc = r;
	if (r != 1)
		return NULL;
	obj = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
	if (!obj)
		fail_msg("'%s': stdout line is not valid JSON (%s): %s",
			 t->cmdline, jerr.text, line);
	if (!json_is_object(obj))
		fail_msg("'%s': stdout line is not a JSON object: %s",
			 t->cmdline, line);
	if (t->cfg.schema && !schema_ok(obj, t->cfg.schema, why, sizeof(why)))
		fail_msg("'%s': JSON object %s: %s", t->cmdline, why, line);
	if (t->cfg.check && !t->cfg.check(obj, why, sizeof(why)))
		fail_msg("'%s': JSON object %s: %s", t->cmdline, why, line);
	return obj;
}

/* ---- tracer: start and stop ---- */

/*
 * Wait for the banner.  In text mode it must be the first stdout line;
 * in JSON mode it comes on stderr (stdout carries JSON only).
 */
void nr_tracer_wait_ready_must(struct nr_tracer *t)
{
	int64_t end = nr_now_ms() + NR_READY_TIMEOUT_MS;
	const char *line;
	int r;

	for (;;) {
		int left = (int)(end - nr_now_ms());

		r = nr_tracer_line(t, t->cfg.ready_fd, left > 0 ? left : 0,
				   &line);
		if (r != 1)
			break;
		if (t->cfg.banner_substr ? !!strstr(line, t->cfg.banner) :
					   !strcmp(line, t->cfg.banner))
			return;
		if (t->cfg.ready_fd == NR_OUT && !t->cfg.banner_substr)
			fail_msg("'%s': first stdout line is not the banner\n"
				 "  want: %s\n  got:  %s", t->cmdline,
				 t->cfg.banner, line);
	}
	nr_tracer_stop(t, SIGKILL, NR_STOP_TIMEOUT_MS);
	t->stopped_by_test = true;
	fail_msg("'%s': %s before the banner \"%s\" on %s\nstderr:\n%s",
		 t->cmdline, r == 0 ? "timed out" : "exited",
		 t->cfg.banner, t->cfg.ready_fd == NR_OUT ? "stdout" : "stderr",
		 nr_tracer_stderr(t));
}

struct nr_tracer *nr_tracer_start_must(struct nr_ctx *ctx,
				       const struct nr_tracer_cfg *cfg)
{
	struct nr_tracer *t = tracer_spawn_must(ctx, cfg);

	/*
	 * Events on stdout that arrived with a banner on stderr stay queued
	 * (and are validated when read): two pipes have no common order.
	 */
	if (cfg->ready_fd >= 0 && !cfg->no_wait)
		nr_tracer_wait_ready_must(t);
	return t;
}

bool nr_has_arg(const char *const *args, const char *a)
{
	for (; args && *args; args++)
		if (!strcmp(*args, a))
			return true;
	return false;
}

void nr_applet_cfg(struct nr_tracer_cfg *cfg, const char *applet,
		   const char *const *args, const char *banner)
{
	bool json = nr_has_arg(args, "-j") || nr_has_arg(args, "--json");

	memset(cfg, 0, sizeof(*cfg));
	cfg->applet = applet;
	cfg->args = args;
	cfg->ready_fd = json ? NR_ERR : NR_OUT;
	cfg->banner = banner;
}

struct nr_tracer *nr_applet_start_must(struct nr_ctx *ctx, nr_cfg_fn cfg_fn,
				       const char *const *args)
{
	struct nr_tracer_cfg cfg;

	cfg_fn(&cfg, args);
	return nr_tracer_start_must(ctx, &cfg);
}

struct nr_tracer *nr_usage_error_must(struct nr_ctx *ctx,
				      const struct nr_tracer_cfg *cfg)
{
	struct nr_tracer_cfg c = *cfg;
	struct nr_tracer *t;
	char buf[64];
	int st;

	c.ready_fd = -1;
	c.no_env_opts = true;
	t = nr_tracer_start_must(ctx, &c);
	st = nr_tracer_stop(t, 0, NR_STOP_TIMEOUT_MS);
	t->stopped_by_test = true;
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 2)
		fail_msg("'%s': %s, want exit 2\nstderr:\n%s", t->cmdline,
			 nr_status_str(st, buf, sizeof(buf)),
			 nr_tracer_stderr(t));
	if (t->err.nlines != 1)
		fail_msg("'%s': want exactly one stderr line, got %zu:\n%s",
			 t->cmdline, t->err.nlines, nr_tracer_stderr(t));
	if (t->out.nlines)
		fail_msg("'%s': stdout not empty: %s", t->cmdline,
			 t->out.lines[0]);
	return t;
}

/* Drain until both pipes hit EOF (the tracer is dead), at most ms. */
static void tracer_drain(struct nr_tracer *t, int ms)
{
	int64_t end = nr_now_ms() + ms;

	while ((!t->out.eof && t->out.fd >= 0) ||
	       (!t->err.eof && t->err.fd >= 0)) {
		int64_t left = end - nr_now_ms();

		if (left <= 0)
			break;
		tracer_pump(t, (int)left);
	}
}

int nr_tracer_stop(struct nr_tracer *t, int sig, int timeout_ms)
{
	int64_t end = nr_now_ms() + timeout_ms;
	int killed = 0;

	if (t->reaped)
		return t->status;
	if (sig)
		kill(t->pid, sig);
	for (;;) {
		pid_t r = waitpid(t->pid, &t->status, WNOHANG);

		if (r == t->pid)
			break;
		if (nr_now_ms() >= end && !killed) {
			kill(t->pid, SIGKILL);
			killed = 1;
			end = nr_now_ms() + 5000;
		} else if (nr_now_ms() >= end) {
			break;	/* unkillable: D state; give up on it */
		}
		/* Keep reading, so a full pipe cannot stall its exit. */
		tracer_pump(t, 20);
	}
	t->reaped = true;
	tracer_drain(t, 1000);
	return killed ? -1 : t->status;
}

bool nr_tracer_exited(struct nr_tracer *t)
{
	if (t->reaped)
		return true;
	tracer_pump(t, 0);
	if (waitpid(t->pid, &t->status, WNOHANG) != t->pid)
		return false;
	t->reaped = true;
	tracer_drain(t, 1000);
	return true;
}

void nr_tracer_stop_sig_must(struct nr_tracer *t, int sig)
{
	const char *name = sigabbrev_np(sig) ?: "?";
	char buf[64];
	int st = nr_tracer_stop(t, sig, NR_STOP_TIMEOUT_MS);

	t->stopped_by_test = true;
	if (st == -1)
		fail_msg("'%s' did not exit within %d ms of SIG%s\nstderr:\n%s",
			 t->cmdline, NR_STOP_TIMEOUT_MS, name,
			 nr_tracer_stderr(t));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("'%s' after SIG%s: %s, want exit 0\nstderr:\n%s",
			 t->cmdline, name, nr_status_str(st, buf, sizeof(buf)),
			 nr_tracer_stderr(t));
}

void nr_tracer_stop_must(struct nr_tracer *t)
{
	nr_tracer_stop_sig_must(t, SIGINT);
}

void nr_tracer_close_stdout(struct nr_tracer *t)
{
	if (t->out.fd >= 0)
		close(t->out.fd);
	t->out.fd = -1;
	t->out.eof = true;
}

const char *nr_status_str(int status, char *buf, size_t n)
{
	if (status == -1)
		snprintf(buf, n, "hung (killed)");
	else if (WIFEXITED(status))
		snprintf(buf, n, "exited %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, n, "killed by SIG%s",
			 sigabbrev_np(WTERMSIG(status)) ?: "?");
	else
		snprintf(buf, n, "wait status 0x%x", status);
	return buf;
}

/*
 * One /proc/PID file (stat, wchan, stack) after " NAME:", each line
 * followed by ";", into buf at *len.
 */
static void proc_file(pid_t pid, const char *name, char *buf, size_t n,
		      size_t *len)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	f = fopen(path, "re");
	if (!f)
		return;
	*len += snprintf(buf + *len, n - *len, " %s:", name);
	while (*len < n && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		*len += snprintf(buf + *len, n - *len, " %s;", line);
	}
	fclose(f);
}

const char *nr_task_where(pid_t pid, char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = 0;
	proc_file(pid, "stat", buf, n, &len);
	if (len < n)
		proc_file(pid, "wchan", buf, n, &len);
	if (len < n)
		proc_file(pid, "stack", buf, n, &len);
	return buf;
}

/* ---- JSON events ---- */

long long nr_jint(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

const char *nr_jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

bool nr_addr_canonical(long long ip, const char *s)
{
	int af = ip == 4 ? AF_INET : AF_INET6;
	unsigned char bin[16];
	char back[INET6_ADDRSTRLEN];

	return s && inet_pton(af, s, bin) == 1 &&
	       inet_ntop(af, bin, back, sizeof(back)) && !strcmp(back, s);
}

bool nr_port_ok(long long p)
{
	return p >= 0 && p <= 65535;
}

bool nr_conn_event_sane(json_t *o, const char *a1, const char *a2,
			const char *p1, const char *p2, char *why, size_t n)
{
	long long ip = nr_jint(o, "ip");

	if (ip != 4 && ip != 6)
		snprintf(why, n, "ip is %lld, want 4 or 6", ip);
	else if (!nr_addr_canonical(ip, nr_jstr(o, a1)))
		snprintf(why, n, "%s is not inet_ntop IPv%lld", a1, ip);
	else if (!nr_addr_canonical(ip, nr_jstr(o, a2)))
		snprintf(why, n, "%s is not inet_ntop IPv%lld", a2, ip);
	else if (!nr_port_ok(nr_jint(o, p1)) || !nr_port_ok(nr_jint(o, p2)))
		snprintf(why, n, "port out of range");
	else if (nr_jint(o, "pid") <= 0 || nr_jint(o, "uid") < 0)
		snprintf(why, n, "pid or uid out of range");
	else
		return true;
	return false;
}

const char *nr_json_raw(json_t *o, char *buf, size_t n)
{
	char *raw = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);

	snprintf(buf, n, "%s", raw ? raw : "?");
	free(raw);
	return buf;
}

static void check_not_dropped(struct nr_tracer *t, json_t *o, const char *raw,
			      const struct nr_drops *d, const char *when)
{
	long long pid = nr_jint(o, "pid");

	for (int i = 0; d && i < d->n; i++)
		if (pid == d->pids[i])
			fail_msg("'%s': an event of pid %d, which the filter "
				 "must drop, appeared %s\n  event: %s",
				 t->cmdline, (int)d->pids[i], when, raw);
}

static bool want_match(json_t *o, const struct nr_event_want *w)
{
	for (int i = 0; i < NR_WANT_KEYS && w->key[i]; i++)
		if (nr_jint(o, w->key[i]) != w->val[i])
			return false;
	return true;
}

static bool want_near(json_t *o, const struct nr_event_want *w)
{
	for (int i = 0; i < w->nnear && i < NR_WANT_KEYS && w->key[i]; i++)
		if (nr_jint(o, w->key[i]) == w->val[i])
			return true;
	return false;
}

/* Events near w (see want_near()): "; events with that pid or lport:..." */
static const char *near_list(const struct nr_event_want *w, const char *miss,
			     char *buf, size_t n)
{
	size_t pos;

	buf[0] = 0;
	if (!w->nnear)
		return buf;
	pos = snprintf(buf, n, "; events with that");
	for (int i = 0; i < w->nnear && i < NR_WANT_KEYS && w->key[i] &&
	     pos < n; i++)
		pos += snprintf(buf + pos, n - pos, "%s %s", i ? " or" : "",
				w->key[i]);
	if (pos < n)
		snprintf(buf + pos, n - pos, ":%s", miss[0] ? miss : " none");
	return buf;
}

json_t *nr_event_wait_must(struct nr_tracer *t, const struct nr_event_want *w)
{
	int64_t end = nr_now_ms() + NR_EVENT_TIMEOUT_MS;
	char miss[2048] = "", raw[1024], first[1024], near[2200];
	json_t *found = NULL;
	int rc = 1;

	while (rc == 1) {
		int64_t left = end - nr_now_ms();
		json_t *o = nr_tracer_json_must(t, left > 0 ? (int)left : 0,
						&rc);
		size_t len = strlen(miss);
		bool match;

		if (!o)
			break;
		nr_json_raw(o, raw, sizeof(raw));
		check_not_dropped(t, o, raw, w->drops,
				  found ? "just after the kept one"
					: "before the kept one");
		match = want_match(o, w);
		if (found && match && w->once)
			fail_msg("'%s': two events for %s:\n  %s\n  %s",
				 t->cmdline, w->what, first, raw);
		if (!found && match) {
			found = o;
			snprintf(first, sizeof(first), "%s", raw);
			if (!w->grace_ms)
				break;
			end = nr_now_ms() + w->grace_ms;
			continue;
		}
		/* Alike but not it: a failure message shows why. */
		if (!found && want_near(o, w) && len + 16 < sizeof(miss))
			snprintf(miss + len, sizeof(miss) - len, "\n  %s", raw);
		json_decref(o);
	}
	if (found)
		return found;
	fail_msg("'%s': no event for %s within %d ms (%s)%s\nstderr:\n%s",
		 t->cmdline, w->what, NR_EVENT_TIMEOUT_MS,
		 rc == -1 ? "stdout closed" : "timeout",
		 near_list(w, miss, near, sizeof(near)), nr_tracer_stderr(t));
	return NULL;
}

void nr_events_collect(struct nr_tracer *t, const int *have, int want,
		       int timeout_ms, int quiet_ms, nr_event_fn fn, void *arg)
{
	int64_t end = nr_now_ms() + timeout_ms;
	bool lingering = false;
	int rc = 1;

	while (rc == 1) {
		int64_t left;
		json_t *o;
		bool more;

		if (*have >= want && !lingering) {
			lingering = true;
			end = nr_now_ms() + NR_GRACE_MS;
		}
		left = end - nr_now_ms();
		if (quiet_ms && left > quiet_ms)
			left = quiet_ms;
		o = nr_tracer_json_must(t, left > 0 ? (int)left : 0, &rc);
		if (!o)
			break;
		more = fn(t, o, arg);
		json_decref(o);
		if (!more)
			break;
	}
}
