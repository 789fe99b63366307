// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer target for lib/ktypes.c: every input is handed to
 * ktypes_extract() as a kernel's BTF, against the types a program reads
 * (the same made-up program as fuzz_ktypes_seeds.c's kernel).  Built and
 * run like fuzz_dns (tests/fuzz/CMakeLists.txt, run.sh).
 *
 * Beyond memory safety it checks the contract and aborts when it breaks:
 * NULL comes with errno EPROTO or ENOMEM, and a BTF it returns is one
 * libbpf accepts when it parses it back from its bytes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "ktypes.h"
#include "ktypes_fixture.h"

static struct btf *local;

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct btf *out, *back;
	const void *raw;
	__u32 len;

	if (!local) {
		libbpf_set_print(quiet);
		local = ktypes_fixture_local();
		if (!local)
			abort();
	}
	errno = 0;
	out = ktypes_extract(local, data, size);
	if (!out) {
		if (errno != EPROTO && errno != ENOMEM) {
			fprintf(stderr, "fuzz_ktypes: NULL with errno %d\n", errno);
			abort();
		}
		return 0;
	}
	raw = btf__raw_data(out, &len);
	back = raw ? btf__new(raw, len) : NULL;
	if (!back) {
		fprintf(stderr, "fuzz_ktypes: libbpf rejects the BTF it returned\n");
		abort();
	}
	btf__free(back);
	btf__free(out);
	return 0;
}
