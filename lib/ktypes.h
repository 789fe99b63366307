/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The few kernel types netrace's programs are relocated against, taken
 * out of the kernel's BTF without parsing all of it.
 *
 * libbpf's CO-RE needs, for each struct or union a program reads, the
 * kernel's type of that name with the fields it reads (by name, through
 * anonymous structs and unions), their offsets, bitfield sizes and the
 * kinds and sizes of their types.  Nothing else: it never follows a
 * pointer's target type, nor needs typedefs or qualifiers.  Given to
 * libbpf as btf_custom_path, such a file replaces the 5.5 MB it would
 * otherwise read, copy and search (about 30 ms and 11 MiB).
 */
#ifndef NETRACE_KTYPES_H
#define NETRACE_KTYPES_H

#include <stdbool.h>
#include <stddef.h>

struct btf;

/* The kernel's BTF as it gave it: mapped (Linux 6.16+), else read. */
struct ktypes_raw {
	const void *data;
	size_t size;
	bool mapped;
};

/* 0, or -errno with raw cleared. */
int ktypes_raw_open(const char *path, struct ktypes_raw *raw);
void ktypes_raw_close(struct ktypes_raw *raw);

/*
 * A new BTF holding, of the kernel types in data, every struct and union
 * named like one of local's (flavours "name___x" count as "name"), each
 * with only the members whose names local's structs and unions use, and
 * what those members' types need: pointers point to void; typedefs and
 * qualifiers are left out.  NULL with errno set: EPROTO when data is not
 * a BTF this code understands (a kind newer than it, say), ENOMEM.
 */
struct btf *ktypes_extract(const struct btf *local, const void *data,
			   size_t size);

#endif
