/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The one tracer runtime: open the shared BPF object, turn on the
 * applet's programs for the best attach strategy the kernel allows, set
 * the per-run filters, load, attach, poll the event buffer, stop on
 * SIGINT/SIGTERM or a closed stdout, and report lost events.
 */
#ifndef NETRACE_TRACER_H
#define NETRACE_TRACER_H

#include <linux/types.h>
#include <stdbool.h>
#include <stdio.h>

#include "netrace.h"
#include "opts.h"

struct netrace_bpf;

struct tracer {
	const char *prefix;	/* programs of this applet: "tc_" */
	const char *const *sources;	/* --ebpf: BPF C source, NULL-ended */
	/* Options parsed, nothing loaded yet: prepare the output.  Nonzero
	 * is the exit status (2 after a usage error it printed). */
	int (*setup)(void *ctx, const struct nr_opts *o);
	/*
	 * Between open and load, for strategy a: applet settings in
	 * skel->rodata, maps a's programs do not use left uncreated.
	 */
	int (*configure)(struct netrace_bpf *skel, void *ctx, enum nr_attach a);
	/*
	 * Before open: can strategy a run without the kernel's types?  Then
	 * libbpf is kept from reading them (tens of milliseconds and MiB).
	 */
	bool (*typeless)(void *ctx, enum nr_attach a);
	/* Attached: banner and header.  0, -1 when a line could not be
	 * kept (no memory), or the exit status after an error it printed. */
	int (*ready)(struct netrace_bpf *skel, void *ctx);
	/*
	 * Descriptors besides the event buffer to wait on (up to max), and
	 * what to do when woken: read them.  Called before each batch of
	 * events is handled, so what they bring is known to the events.
	 */
	int (*fds)(void *ctx, int *fds, int max);
	void (*drain)(void *ctx);
	/*
	 * One event, its row (if any) to stdout.  -1: out of memory.  The
	 * record is event_size bytes (0: sizeof(struct nr_event)), at most
	 * NR_RECORD_MAX, and starts with a struct nr_event.
	 */
	int (*event)(void *ctx, const struct nr_event *e);
	size_t event_size;
	/* Stopped (detached), maps still there: count tables.  -1: out of
	 * memory. */
	int (*finish)(struct netrace_bpf *skel, void *ctx);
};

/*
 * The whole life of a tracing applet: parse argv, --ebpf, setup, run.
 * Returns the exit status.
 */
int tracer_main(const struct applet *a, int argc, char **argv,
		const struct tracer *t, void *ctx);
/* Run until stopped; returns the exit status (0, or 1 after an error). */
int tracer_run(const struct tracer *t, const struct nr_opts *o, void *ctx);

/*
 * Open the shared BPF object.  The only caller of netrace_bpf__open_opts():
 * the skeleton embeds the object in every file that calls it.  typeless:
 * libbpf will not read the kernel's BTF, and only programs without CO-RE
 * relocations that attach without kernel types can load.  Otherwise the
 * kernel types are written before the load (tracer_run() does).
 */
struct netrace_bpf *tracer_skel_open(bool typeless);

/*
 * Applets that follow sock:inet_sock_set_state on every strategy have it
 * three ways: a BTF tracepoint (fentry strategy), a raw tracepoint
 * (kprobe strategy: no tracefs) and the classic tracepoint.  The runtime
 * counts all three as tracepoints; from configure(), turn on the one of
 * strategy a.
 */
struct bpf_program;
void tracer_state_hook(enum nr_attach a, struct bpf_program *btf,
		       struct bpf_program *raw, struct bpf_program *tp);

/* 0 when the caller may load BPF, else 1 after one line on stderr. */
int tracer_check_privileges(void);

/* The BPF C source built into the binary (bpf/embed.c). */
extern const char nr_src_netrace_h[];
extern const char nr_src_common[];
extern const char nr_src_tcpconnect[];
extern const char nr_src_dns[];
extern const char nr_src_tcpaccept[];
extern const char nr_src_tcpconnlat[];
extern const char nr_src_tcplife[];
extern const char nr_src_tcpstates[];
extern const char nr_src_tcptracer[];
extern const char nr_src_xdpfeatures[];

/* --ebpf: print the named sources (NULL-terminated), 0 or 1. */
int tracer_print_source(const char *const *srcs);

#endif
