// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The one BPF object of netrace: every applet's programs.  Each applet
 * turns on only its own programs (named with its prefix) for the attach
 * strategy chosen at run time.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>
#include "netrace.h"

#include "common.bpf.h"
#include "tcpconnect.bpf.h"
#include "dns.bpf.h"
#include "tcpaccept.bpf.h"
#include "tcpconnlat.bpf.h"
#include "tcplife.bpf.h"
#include "tcpstates.bpf.h"
#include "tcptracer.bpf.h"
#include "xdpfeatures.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";
