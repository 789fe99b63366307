// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The kernel types netrace hands libbpf (lib/ktypes.c) against the
 * kernel's whole BTF, on this kernel: every CO-RE relocation of every
 * program in the object (all applets, all attach strategies) must come
 * out the same, as libbpf reports each one it applies.
 *
 * Needs root: libbpf relocates programs as it loads them, after it has
 * created the maps.  On a kernel that refuses some program (fentry
 * here), the load fails after every relocation has been made, which is
 * all this test needs.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "harness.h"
#include "ktypes.h"
#include "netrace.skel.h"

#define KERNEL_BTF	"/sys/kernel/btf/vmlinux"
#define MAX_LINES	4096
#define MIN_RELOS	100	/* the object has about 170 */

static char *lines[MAX_LINES];
static int nlines;

/* libbpf's account of a relocation it applied, or of one it could not. */
static bool is_relo_result(const char *s)
{
	return strstr(s, ": relo #") &&
	       (strstr(s, "patched insn") || strstr(s, "substituting insn") ||
		strstr(s, "poison"));
}

static int capture(enum libbpf_print_level level, const char *fmt,
		   va_list ap)
{
	char buf[1024];

	(void)level;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (is_relo_result(buf) && nlines < MAX_LINES)
		lines[nlines++] = strdup(strstr(buf, "prog '"));
	return 0;
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Write the kernel types obj needs to path, as the tracer does. */
static void write_types(struct bpf_object *obj, const char *path)
{
	struct ktypes_raw raw;
	struct btf *types;
	const void *data;
	__u32 size;
	FILE *f;
	int err;

	err = ktypes_raw_open(KERNEL_BTF, &raw);
	if (err)
		fail_msg("%s: %s", KERNEL_BTF, strerror(-err));
	types = ktypes_extract(bpf_object__btf(obj), raw.data, raw.size);
	if (!types)
		fail_msg("ktypes_extract: %s", strerror(errno));
	data = btf__raw_data(types, &size);
	f = fopen(path, "we");
	if (!data || !f || fwrite(data, 1, size, f) != size || fclose(f))
		fail_msg("%s: %s", path, strerror(errno));
	btf__free(types);
	ktypes_raw_close(&raw);
}

/*
 * Load the whole object, relocated against the kernel's BTF (path
 * NULL) or against what ktypes takes from it; the sorted relocation
 * results, *n of them.
 */
static char **relocations(const char *path, int *n)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = path);
	struct bpf_object *obj;
	size_t sz;
	const void *elf = netrace_bpf__elf_bytes(&sz);
	char **out;

	nlines = 0;
	obj = bpf_object__open_mem(elf, sz, &opts);
	if (!obj)
		fail_msg("open: %s", strerror(errno));
	if (path)
		write_types(obj, path);
	libbpf_set_print(capture);
	bpf_object__load(obj);
	libbpf_set_print(NULL);
	bpf_object__close(obj);
	out = calloc(nlines + 1, sizeof(*out));
	assert_non_null(out);
	memcpy(out, lines, nlines * sizeof(*out));
	qsort(out, nlines, sizeof(*out), cmp_line);
	*n = nlines;
	return out;
}

static void test_relocations_match(void **state)
{
	char path[] = "/tmp/nr_it_ktypes_XXXXXX";
	char **full, **taken;
	int nfull, ntaken, i, fd;

	(void)state;
	nr_require_root();
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	full = relocations(NULL, &nfull);
	taken = relocations(path, &ntaken);
	unlink(path);
	if (nfull < MIN_RELOS)
		fail_msg("libbpf reported %d relocations against the kernel's BTF, want >= %d (did its log change?)",
			 nfull, MIN_RELOS);
	for (i = 0; i < nfull && i < ntaken; i++)
		if (strcmp(full[i], taken[i]))
			fail_msg("relocation differs:\n  kernel BTF: %s\n  ktypes:     %s",
				 full[i], taken[i]);
	if (nfull != ntaken)
		fail_msg("%d relocations against the kernel's BTF, %d against ktypes'",
			 nfull, ntaken);
	print_message("%d relocations, the same against both\n", nfull);
	for (i = 0; i < nfull; i++) {
		free(full[i]);
		free(taken[i]);
	}
	free(full);
	free(taken);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_relocations_match),
	};
	bool skip_all;
	int rc;

	if (!nr_suite_begin("it_ktypes", &skip_all))
		return 1;
	rc = cmocka_run_group_tests_name("ktypes", tests, NULL, NULL);
	return skip_all ? NR_EXIT_SKIP : rc;
}
