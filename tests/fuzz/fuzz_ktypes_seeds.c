// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Writes fuzz_ktypes's seed corpus into the directory given: the made-up
 * kernel BTF of tests/unit/ktypes_fixture.c whole, cut inside its types
 * and inside its strings, and with its string section moved before its
 * types (the header allows any order).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/btf.h>
#include <bpf/btf.h>

#include "ktypes_fixture.h"
#include "seed_put.h"

/* The same BTF with the strings first, types after them (4-aligned). */
static void *strings_first(const void *raw, __u32 *size)
{
	const struct btf_header *h = raw;
	__u32 type_off = (h->str_len + 3) & ~3u;
	struct btf_header *nh;
	char *out, *body;

	*size = h->hdr_len + type_off + h->type_len;
	out = calloc(1, *size);
	if (!out)
		return NULL;
	memcpy(out, h, h->hdr_len);
	nh = (struct btf_header *)out;
	body = out + h->hdr_len;
	memcpy(body, (const char *)raw + h->hdr_len + h->str_off, h->str_len);
	memcpy(body + type_off, (const char *)raw + h->hdr_len + h->type_off,
	       h->type_len);
	nh->str_off = 0;
	nh->type_off = type_off;
	return out;
}

int main(int argc, char **argv)
{
	struct btf *k = ktypes_fixture_kernel();
	const struct btf_header *h;
	const void *raw;
	void *swapped;
	__u32 size, swapped_size;
	int err = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	raw = k ? btf__raw_data(k, &size) : NULL;
	if (!raw) {
		fprintf(stderr, "%s: cannot build the kernel BTF\n", argv[0]);
		return 1;
	}
	h = raw;
	swapped = strings_first(raw, &swapped_size);
	err |= seed_put(argv[1], "whole", raw, size);
	err |= seed_put(argv[1], "cut-types", raw, h->hdr_len + h->type_len / 2);
	err |= seed_put(argv[1], "cut-strings", raw, size - h->str_len / 2);
	err |= !swapped || seed_put(argv[1], "strings-first", swapped, swapped_size);
	free(swapped);
	btf__free(k);
	return err ? 1 : 0;
}
