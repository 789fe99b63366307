// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The BPF C source, built into the binary for --ebpf.  .incbin keeps the
 * files byte for byte without a generator step; each gets a NUL ending.
 */
#define NR_EMBED(sym, file)						\
	__asm__(".section .rodata\n"					\
		".global " #sym "\n"					\
		".type " #sym ", @object\n"				\
		".balign 8\n"						\
		#sym ":\n"						\
		".incbin \"" NETRACE_BPF_DIR "/" file "\"\n"		\
		".byte 0\n"						\
		".previous\n")

NR_EMBED(nr_src_netrace_h, "netrace.h");
NR_EMBED(nr_src_common, "common.bpf.h");
NR_EMBED(nr_src_tcpconnect, "tcpconnect.bpf.h");
NR_EMBED(nr_src_tcpaccept, "tcpaccept.bpf.h");
NR_EMBED(nr_src_tcpconnlat, "tcpconnlat.bpf.h");
NR_EMBED(nr_src_tcplife, "tcplife.bpf.h");
NR_EMBED(nr_src_tcpstates, "tcpstates.bpf.h");
NR_EMBED(nr_src_tcptracer, "tcptracer.bpf.h");
NR_EMBED(nr_src_xdpfeatures, "xdpfeatures.bpf.h");
NR_EMBED(nr_src_dns, "dns.bpf.h");
