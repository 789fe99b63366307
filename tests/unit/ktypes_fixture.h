/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef NETRACE_KTYPES_FIXTURE_H
#define NETRACE_KTYPES_FIXTURE_H

struct btf;

/* The kernel: the structs a program reads, and one of every BTF kind. */
struct btf *ktypes_fixture_kernel(void);
/* The program: the few members it reads, one struct a flavour. */
struct btf *ktypes_fixture_local(void);

#endif
