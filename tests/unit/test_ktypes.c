// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * ktypes_extract() on a made-up kernel BTF with every kind in it: which
 * types and members it keeps, with what offsets, sizes and bitfields,
 * and that it refuses what it cannot read.  The running kernel's BTF is
 * checked by integration.ktypes (every relocation, against libbpf's).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/btf.h>
#include <bpf/btf.h>

#include "ktypes.h"
#include "ktypes_fixture.h"

struct fixture {
	struct btf *kernel;
	struct btf *local;
	void *raw;		/* the kernel's, as bytes */
	__u32 size;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const void *raw;

	f->kernel = ktypes_fixture_kernel();
	f->local = ktypes_fixture_local();
	assert_non_null(f->kernel);
	assert_non_null(f->local);
	raw = btf__raw_data(f->kernel, &f->size);
	assert_non_null(raw);
	f->raw = malloc(f->size);
	memcpy(f->raw, raw, f->size);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	btf__free(f->kernel);
	btf__free(f->local);
	free(f->raw);
	free(f);
	return 0;
}

static const struct btf_type *find(const struct btf *b, const char *name,
				   int kind)
{
	int id = btf__find_by_name_kind(b, name, kind);

	return id > 0 ? btf__type_by_id(b, id) : NULL;
}

/* Member name of t, looked for through anonymous members; bit offset. */
static const struct btf_member *member(const struct btf *b,
				       const struct btf_type *t,
				       const char *name, __u32 *bit_off)
{
	const struct btf_member *m = btf_members(t), *found;
	int i;

	for (i = 0; i < btf_vlen(t); i++, m++) {
		const char *n = btf__name_by_offset(b, m->name_off);
		__u32 inner = 0;

		if (!strcmp(n, name)) {
			*bit_off += btf_member_bit_offset(t, i);
			return m;
		}
		if (!*n && (found = member(b, btf__type_by_id(b, m->type),
					   name, &inner))) {
			*bit_off += btf_member_bit_offset(t, i) + inner;
			return found;
		}
	}
	return NULL;
}

static void expect_member(const struct btf *b, const char *type,
			  const char *name, __u32 bit_off, __u32 type_size)
{
	const struct btf_type *t = find(b, type, BTF_KIND_STRUCT);
	const struct btf_member *m;
	__u32 off = 0;

	assert_non_null(t);
	m = member(b, t, name, &off);
	if (!m)
		fail_msg("%s.%s: missing", type, name);
	assert_int_equal(off, bit_off);
	assert_int_equal(btf__resolve_size(b, m->type), type_size);
}

static void expect_no_member(const struct btf *b, const char *type,
			     const char *name)
{
	__u32 off = 0;

	if (member(b, find(b, type, BTF_KIND_STRUCT), name, &off))
		fail_msg("%s.%s: kept, but no program reads it", type, name);
}

static void test_keeps_what_is_read(void **state)
{
	struct fixture *f = *state;
	struct btf *out = ktypes_extract(f->local, f->raw, f->size);
	const struct btf_type *sock, *task;
	const struct btf_member *m;
	__u32 off = 0;
	int i;

	assert_non_null(out);
	/* Sizes stay the kernel's; so do offsets inside anonymous unions. */
	sock = find(out, "sock", BTF_KIND_STRUCT);
	assert_non_null(sock);
	assert_int_equal(sock->size, 80);
	expect_member(out, "sock", "__sk_common", 0, 48);
	expect_member(out, "sock_common", "skc_daddr", 0, 4);
	expect_member(out, "sock_common", "skc_state", 96, 1);
	expect_member(out, "sock_common", "skc_v6_daddr", 128, 16);
	expect_member(out, "in6_addr", "in6_u", 0, 16);
	task = find(out, "task_struct", BTF_KIND_STRUCT);
	assert_non_null(task);
	assert_int_equal(task->size, 832);
	expect_member(out, "task_struct", "pid", 0, 4);

	/* A bitfield keeps its offset and width. */
	m = member(out, sock, "sk_protocol", &off);
	assert_non_null(m);
	assert_int_equal(off, 385);
	for (i = 0; i < btf_vlen(sock); i++)
		if (&btf_members(sock)[i] == m)
			assert_int_equal(btf_member_bitfield_size(sock, i), 8);

	/* Typedefs and qualifiers are looked through. */
	off = 0;
	m = member(out, find(out, "sock_common", BTF_KIND_STRUCT),
		   "skc_daddr", &off);
	assert_int_equal(btf_kind(btf__type_by_id(out, m->type)), BTF_KIND_INT);

	/* What nothing reads is left out. */
	expect_no_member(out, "sock_common", "skc_hash");
	expect_no_member(out, "sock_common", "skc_addrpair");
	expect_no_member(out, "sock", "sk_padding");
	expect_no_member(out, "task_struct", "comm");
	expect_no_member(out, "task_struct", "unused");
	assert_null(find(out, "unrelated", BTF_KIND_STRUCT));
	assert_null(find(out, "nr_event", BTF_KIND_STRUCT));
	assert_true(btf__find_by_name(out, "tcp_v4_connect") < 0);
	btf__free(out);
}

/* A member the program names, of a type it does not: a pointer to void. */
static void test_pointers_to_void(void **state)
{
	struct fixture *f = *state;
	struct btf *local = btf__new_empty();
	struct btf *out;
	const struct btf_member *m;
	const struct btf_type *pt;
	__u32 off = 0;
	int p;

	p = btf__add_ptr(local, 0);
	btf__add_struct(local, "sock", 16);
	btf__add_field(local, "sk_next", p, 0, 0);
	btf__add_field(local, "sk_owner", p, 64, 0);
	out = ktypes_extract(local, f->raw, f->size);
	assert_non_null(out);
	m = member(out, find(out, "sock", BTF_KIND_STRUCT), "sk_owner", &off);
	assert_non_null(m);
	assert_int_equal(off, 512);
	pt = btf__type_by_id(out, m->type);
	assert_true(btf_is_ptr(pt));
	assert_int_equal(pt->type, 0);
	/* Neither the task_struct behind it nor sock_common came along. */
	assert_null(find(out, "task_struct", BTF_KIND_STRUCT));
	assert_null(find(out, "sock_common", BTF_KIND_STRUCT));
	btf__free(out);
	btf__free(local);
}

static void expect_refused(const struct fixture *f, const void *raw,
			   size_t size)
{
	errno = 0;
	assert_null(ktypes_extract(f->local, raw, size));
	assert_int_equal(errno, EPROTO);
}

static void test_refuses_what_it_cannot_read(void **state)
{
	struct fixture *f = *state;
	struct btf_header *h;
	struct btf_type *t;
	char *raw = malloc(f->size);
	__u32 last_type;

	memcpy(raw, f->raw, f->size);
	h = (struct btf_header *)raw;

	/* Cut anywhere in the header or the types. */
	expect_refused(f, raw, sizeof(*h) - 1);
	expect_refused(f, raw, h->hdr_len + h->type_len - 1);

	/* A kind newer than this code (the first type is an int). */
	t = (struct btf_type *)(raw + h->hdr_len + h->type_off);
	t->info = 31u << 24;	/* kind 31, vlen 0 */
	expect_refused(f, raw, f->size);
	memcpy(raw, f->raw, f->size);

	/* Not BTF, or of another byte order. */
	h->magic = 0x9feb;
	expect_refused(f, raw, f->size);
	memcpy(raw, f->raw, f->size);

	/* Strings that do not end inside their section. */
	raw[h->hdr_len + h->str_off + h->str_len - 1] = 'x';
	expect_refused(f, raw, f->size);
	memcpy(raw, f->raw, f->size);

	/* A member whose type id is past the last type. */
	last_type = btf__type_cnt(f->kernel);
	{
		int id = btf__find_by_name_kind(f->kernel, "sock", BTF_KIND_STRUCT);
		const struct btf_type *st = btf__type_by_id(f->kernel, id);
		size_t off = (const char *)st - (const char *)btf__type_by_id(f->kernel, 1);
		struct btf_member *m = (struct btf_member *)
			(raw + h->hdr_len + h->type_off + off + sizeof(*st));

		m[0].type = last_type + 7;
		expect_refused(f, raw, f->size);
	}
	free(raw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_keeps_what_is_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pointers_to_void, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_what_it_cannot_read, setup, teardown),
	};

	return cmocka_run_group_tests_name("ktypes", tests, NULL, NULL);
}
