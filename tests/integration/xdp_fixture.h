// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Fixtures of the xdpfeatures suite: a network namespace of the test's
 * own (the suite moves into a fresh one, so the host's interfaces are
 * never touched), veth pairs and a tap device in it, commands run to
 * completion with their output captured, and a trivial XDP program
 * attached from the test itself with libbpf.  Nothing here needs
 * iproute2 (the test VMs have busybox only).  Everything undoes itself
 * at teardown through the harness's nr_defer().
 */
#ifndef NR_IT_XDP_FIXTURE_H
#define NR_IT_XDP_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "harness.h"

#define XF_RUN_TIMEOUT_MS	20000

/* unshare(CLONE_NEWNET) with lo up; back to the old one at teardown. */
void xf_netns_enter_must(struct nr_ctx *ctx);
/* Another fresh namespace, not entered: its fd (closed at teardown). */
int xf_netns_other_must(struct nr_ctx *ctx);
/* A veth pair in our namespace (it goes with the namespace). */
void xf_veth_must(const char *name, const char *peer);
/* A tap device (/dev/net/tun), deleted at teardown. */
void xf_tap_must(struct nr_ctx *ctx, const char *name);

/* A finished command: exit status and everything it wrote. */
struct xf_out {
	int status;		/* wait status */
	char *out, *err;	/* NUL-terminated, never NULL */
	size_t nerr_lines;
};

struct xf_run_cfg {
	uid_t uid;		/* 0: as we are; else setuid to it */
	bool own_sys;		/* a mount namespace with a fresh /sys */
};

/*
 * Run argv (argv[0] a path), stdin /dev/null; fails the test if it
 * cannot run or takes longer than XF_RUN_TIMEOUT_MS.  Freed at teardown.
 */
struct xf_out *xf_run_must(struct nr_ctx *ctx, const struct xf_run_cfg *cfg,
			   const char *const argv[]);
/* The same, but the caller frees it (loops that run many commands). */
struct xf_out *xf_run_owned_must(const struct xf_run_cfg *cfg,
				 const char *const argv[]);
void xf_out_free(struct xf_out *o);
/* "netrace xdpfeatures ARGS..." (NULL-terminated), as root. */
struct xf_out *xf_netrace_must(struct nr_ctx *ctx, ...)
	__attribute__((sentinel));
/* The exit code, or fails the test if it did not exit normally. */
int xf_exit_code_must(const struct xf_out *o);

/*
 * Run argv as "ip netns exec NAME argv..." in our namespace when
 * iproute2 is there (*real true); else the same by hand (a mount
 * namespace with a fresh /sys, what "ip netns exec" does).
 */
struct xf_out *xf_run_netns_exec_must(struct nr_ctx *ctx,
				      const char *const argv[], bool *real);

/* Load "r0 = XDP_PASS; exit" as an XDP program; fd closed at teardown. */
int xf_prog_load_must(struct nr_ctx *ctx);
/* The program id of fd. */
uint32_t xf_prog_id_must(int fd);
/* Attach fd natively to ifname; detached at teardown if still there. */
void xf_attach_native_must(struct nr_ctx *ctx, const char *ifname, int fd);
/* Detach the native program of ifname now. */
void xf_detach_must(const char *ifname);
/* bpf_xdp_query(): the attached program's id (0: none) and mode. */
uint32_t xf_attached_must(const char *ifname, uint8_t *mode);
/* if_nametoindex(), or fails the test. */
uint32_t xf_ifindex_must(const char *ifname);

/*
 * A child that adds and deletes veth pairs named PREFIXaN/PREFIXbN in
 * our namespace for ms milliseconds (killed at teardown at the latest).
 */
struct xf_churn;
struct xf_churn *xf_churn_start(struct nr_ctx *ctx, const char *prefix,
				int ms);
/* Still churning?  (Reaps it once it has finished.) */
bool xf_churn_running(struct xf_churn *c);

#endif
