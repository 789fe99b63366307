/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * xdpfeatures --probe: the smallest program a driver can run natively.
 * Attached in driver mode for a moment to prove native XDP works.
 */
SEC("xdp")
int xf_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}
