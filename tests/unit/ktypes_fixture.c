// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * A made-up kernel BTF and a program's types, for test_ktypes and for
 * fuzz_ktypes (whose seeds are this kernel, whole and cut).
 */
#include <linux/btf.h>
#include <bpf/btf.h>

#include "ktypes_fixture.h"

/*
 * A kernel with:
 *	struct sock_common {
 *		union { __u64 skc_addrpair;
 *			struct { __be32 skc_daddr; __be32 skc_rcv_saddr; }; };
 *		unsigned int skc_hash;
 *		volatile unsigned char skc_state;
 *		struct in6_addr skc_v6_daddr;
 *	};
 *	struct in6_addr { union { __u8 u6_addr8[16]; __be32 u6_addr32[4]; } in6_u; };
 *	struct sock { struct sock_common __sk_common;
 *		unsigned int sk_padding:1, sk_protocol:8, sk_type:16;
 *		struct sock *sk_next; const struct task_struct *sk_owner; };
 *	struct task_struct { int pid; char comm[16]; long unused[100]; };
 *	struct unrelated { int pid; };
 * and one of each other kind (function, prototype, variable, section,
 * tags, enum64, float, forward declaration), which only the scan sees.
 */
struct btf *ktypes_fixture_kernel(void)
{
	struct btf *b = btf__new_empty();
	int u8, u32, u64, uint, uchar, be32, vuchar, sockp, taskp, anon_s,
	    anon_u, in6u, in6, arr8, arr32, sc, task_fwd, comm, unused, lng,
	    i32;

	if (!b)
		return NULL;
	u8 = btf__add_int(b, "unsigned char", 1, 0);
	u32 = btf__add_int(b, "unsigned int", 4, 0);
	u64 = btf__add_int(b, "long long unsigned int", 8, 0);
	uint = u32;
	uchar = u8;
	lng = btf__add_int(b, "long", 8, BTF_INT_SIGNED);
	i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	be32 = btf__add_typedef(b, "__be32", u32);
	vuchar = btf__add_volatile(b, uchar);

	arr8 = btf__add_array(b, u32, u8, 16);
	arr32 = btf__add_array(b, u32, be32, 4);
	in6u = btf__add_union(b, NULL, 16);
	btf__add_field(b, "u6_addr8", arr8, 0, 0);
	btf__add_field(b, "u6_addr32", arr32, 0, 0);
	in6 = btf__add_struct(b, "in6_addr", 16);
	btf__add_field(b, "in6_u", in6u, 0, 0);

	anon_s = btf__add_struct(b, NULL, 8);
	btf__add_field(b, "skc_daddr", be32, 0, 0);
	btf__add_field(b, "skc_rcv_saddr", be32, 32, 0);
	anon_u = btf__add_union(b, NULL, 8);
	btf__add_field(b, "skc_addrpair", u64, 0, 0);
	btf__add_field(b, NULL, anon_s, 0, 0);
	sc = btf__add_struct(b, "sock_common", 48);
	btf__add_field(b, NULL, anon_u, 0, 0);
	btf__add_field(b, "skc_hash", uint, 64, 0);
	btf__add_field(b, "skc_state", vuchar, 96, 0);
	btf__add_field(b, "skc_v6_daddr", in6, 128, 0);

	task_fwd = btf__add_fwd(b, "task_struct", BTF_FWD_STRUCT);
	taskp = btf__add_ptr(b, btf__add_const(b, task_fwd));
	sockp = btf__add_ptr(b, btf__add_fwd(b, "sock", BTF_FWD_STRUCT));
	btf__add_struct(b, "sock", 80);
	btf__add_field(b, "__sk_common", sc, 0, 0);
	btf__add_field(b, "sk_padding", uint, 384, 1);
	btf__add_field(b, "sk_protocol", uint, 385, 8);
	btf__add_field(b, "sk_type", uint, 393, 16);
	btf__add_field(b, "sk_next", sockp, 448, 0);
	btf__add_field(b, "sk_owner", taskp, 512, 0);

	comm = btf__add_array(b, u32, u8, 16);
	unused = btf__add_array(b, u32, lng, 100);
	btf__add_struct(b, "task_struct", 832);
	btf__add_field(b, "pid", i32, 0, 0);
	btf__add_field(b, "comm", comm, 32, 0);
	btf__add_field(b, "unused", unused, 256, 0);
	btf__add_struct(b, "unrelated", 4);
	btf__add_field(b, "pid", i32, 0, 0);

	/* The kinds only the scan meets. */
	{
		int proto = btf__add_func_proto(b, u32), fn, var, sec, e64;

		btf__add_func_param(b, "sk", sockp);
		fn = btf__add_func(b, "tcp_v4_connect", BTF_FUNC_GLOBAL, proto);
		var = btf__add_var(b, "sysctl_x", BTF_VAR_GLOBAL_ALLOCATED, u32);
		sec = btf__add_datasec(b, ".data", 4);
		btf__add_datasec_var_info(b, var, 0, 4);
		btf__add_decl_tag(b, "user", fn, -1);
		btf__add_type_tag(b, "percpu", u32);
		e64 = btf__add_enum64(b, "big", 8, false);
		btf__add_enum64_value(b, "BIG_ONE", 1ULL << 40);
		btf__add_float(b, "double", 8);
		btf__add_enum(b, "sk_state", 4);
		btf__add_enum_value(b, "TCP_ESTABLISHED", 1);
		if (fn < 0 || var < 0 || sec < 0 || e64 < 0 ||
		    btf__find_by_name_kind(b, "unrelated", BTF_KIND_STRUCT) < 0) {
			btf__free(b);
			return NULL;
		}
	}
	return b;
}

/*
 * What a program reads:
 *	struct in6_addr { union { __be32 u6_addr32[4]; } in6_u; };
 *	struct sock_common { __be32 skc_daddr; unsigned char skc_state;
 *			     struct in6_addr skc_v6_daddr; };
 *	struct sock___old { struct sock_common __sk_common; __u16 sk_protocol; };
 *	struct task_struct { int pid; };
 *	struct nr_event { int pid; };	(the program's own, not the kernel's)
 */
struct btf *ktypes_fixture_local(void)
{
	struct btf *b = btf__new_empty();
	int u32, u16, u8, i32, arr, in6u, in6, sc;

	if (!b)
		return NULL;
	u32 = btf__add_int(b, "unsigned int", 4, 0);
	u16 = btf__add_int(b, "unsigned short", 2, 0);
	u8 = btf__add_int(b, "unsigned char", 1, 0);
	i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	arr = btf__add_array(b, u32, u32, 4);
	in6u = btf__add_union(b, NULL, 16);
	btf__add_field(b, "u6_addr32", arr, 0, 0);
	in6 = btf__add_struct(b, "in6_addr", 16);
	btf__add_field(b, "in6_u", in6u, 0, 0);
	sc = btf__add_struct(b, "sock_common", 24);
	btf__add_field(b, "skc_daddr", u32, 0, 0);
	btf__add_field(b, "skc_state", u8, 32, 0);
	btf__add_field(b, "skc_v6_daddr", in6, 64, 0);
	btf__add_struct(b, "sock___old", 32);
	btf__add_field(b, "__sk_common", sc, 0, 0);
	btf__add_field(b, "sk_protocol", u16, 192, 0);
	btf__add_struct(b, "task_struct", 4);
	btf__add_field(b, "pid", i32, 0, 0);
	btf__add_struct(b, "nr_event", 4);
	btf__add_field(b, "pid", i32, 0, 0);
	return b;
}
