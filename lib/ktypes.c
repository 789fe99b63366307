// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Reading the kernel's BTF by hand, instead of with btf__parse(): libbpf
 * copies all of it, checks every type and indexes it (about 20 ms here),
 * then searches all 127,000 types by name for each struct a program
 * reads (about 1 ms each).  One pass over the records, comparing only
 * struct and union names, takes under a millisecond; the types found
 * are then written with libbpf's own BTF writer.  The format is the
 * kernel's UAPI (linux/btf.h); a kind this code does not know makes it
 * give up (EPROTO) and the caller fall back to libbpf's way.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/btf.h>
#include <bpf/btf.h>

#include "ktypes.h"

/* Kinds newer than some distributions' UAPI headers. */
#ifndef BTF_KIND_ENUM64
#define BTF_KIND_DECL_TAG	17
#define BTF_KIND_TYPE_TAG	18
#define BTF_KIND_ENUM64		19
struct btf_enum64 {
	__u32 name_off;
	__u32 val_lo32;
	__u32 val_hi32;
};
#endif

#define KT_STRIDE	64	/* a type's offset is noted every KT_STRIDE ids */
#define KT_MAX_DEPTH	32	/* nesting of structs, arrays and typedefs */

struct kbtf {
	const char *types;
	__u32 types_len;
	const char *strs;
	__u32 strs_len;
	__u32 n;		/* type ids 1 .. n - 1 */
	__u32 *marks;		/* offset of type 1 + i * KT_STRIDE */
};

/* Bytes that follow a type's header, or -1 for a kind not known here. */
static long rec_extra(const struct btf_type *t)
{
	long vlen = BTF_INFO_VLEN(t->info);

	switch (BTF_INFO_KIND(t->info)) {
	case BTF_KIND_INT:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		return 4;
	case BTF_KIND_PTR:
	case BTF_KIND_FWD:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:
		return 0;
	case BTF_KIND_ARRAY:
		return sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return vlen * sizeof(struct btf_member);
	case BTF_KIND_ENUM:
		return vlen * sizeof(struct btf_enum);
	case BTF_KIND_ENUM64:
		return vlen * sizeof(struct btf_enum64);
	case BTF_KIND_FUNC_PROTO:
		return vlen * sizeof(struct btf_param);
	case BTF_KIND_DATASEC:
		return vlen * sizeof(struct btf_var_secinfo);
	}
	return -1;
}

static const char *kt_name(const struct kbtf *k, __u32 off)
{
	return off < k->strs_len ? k->strs + off : "";
}

static const struct btf_type *kt_type(const struct kbtf *k, __u32 id)
{
	const struct btf_type *t;
	__u32 off, i;

	if (!id || id >= k->n)
		return NULL;
	off = k->marks[(id - 1) / KT_STRIDE];
	for (i = (id - 1) % KT_STRIDE; i; i--) {
		t = (const void *)(k->types + off);
		off += sizeof(*t) + rec_extra(t);
	}
	return (const void *)(k->types + off);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool in_set(const char *const *set, size_t n, const char *s)
{
	return n && bsearch(&s, set, n, sizeof(*set), cmp_str);
}

/* Sorted, without repeats. */
static size_t set_finish(const char **set, size_t n)
{
	size_t i, out = 0;

	qsort(set, n, sizeof(*set), cmp_str);
	for (i = 0; i < n; i++)
		if (!out || strcmp(set[out - 1], set[i]))
			set[out++] = set[i];
	return out;
}

struct kt_ctx {
	struct kbtf k;
	struct btf *out;
	char **roots;		/* essential names of local structs/unions */
	size_t nroots;
	const char **fields;	/* names of their members */
	size_t nfields;
	__u32 *found;		/* kernel ids of structs/unions named a root */
	size_t nfound;
	struct kt_memo {
		__u32 kid;
		int id;
	} *memo;
	size_t nmemo;
	int void_ptr;
};

/* What local's structs and unions are called, and call their members. */
static int local_names(struct kt_ctx *c, const struct btf *local)
{
	__u32 n = btf__type_cnt(local), id;
	size_t nmembers = 0;

	for (id = 1; id < n; id++)
		if (btf_is_composite(btf__type_by_id(local, id)))
			nmembers += btf_vlen(btf__type_by_id(local, id));
	c->roots = calloc(n, sizeof(*c->roots));
	c->fields = calloc(nmembers + 1, sizeof(*c->fields));
	if (!c->roots || !c->fields)
		return -ENOMEM;
	for (id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(local, id);
		const struct btf_member *m = btf_members(t);
		const char *name, *flavour;
		int i;

		if (!btf_is_composite(t))
			continue;
		for (i = 0; i < btf_vlen(t); i++)
			if (*(name = btf__name_by_offset(local, m[i].name_off)))
				c->fields[c->nfields++] = name;
		name = btf__name_by_offset(local, t->name_off);
		if (!*name)
			continue;
		flavour = strstr(name, "___");
		c->roots[c->nroots] = strndup(name, flavour ? (size_t)(flavour - name) :
							     strlen(name));
		if (!c->roots[c->nroots++])
			return -ENOMEM;
	}
	c->nfields = set_finish(c->fields, c->nfields);
	/* Roots keep their repeats: each is a copy, freed with the rest. */
	qsort(c->roots, c->nroots, sizeof(*c->roots), cmp_str);
	return 0;
}

static int check_header(struct kbtf *k, const void *data, size_t size)
{
	const struct btf_header *h = data;
	__u64 types_end, strs_end;

	if (size < sizeof(*h) || h->magic != BTF_MAGIC || h->version != BTF_VERSION ||
	    h->hdr_len < sizeof(*h) || h->hdr_len > size)
		return -EPROTO;
	types_end = (__u64)h->hdr_len + h->type_off + h->type_len;
	strs_end = (__u64)h->hdr_len + h->str_off + h->str_len;
	if (types_end > size || strs_end > size || !h->str_len)
		return -EPROTO;
	k->types = (const char *)data + h->hdr_len + h->type_off;
	/* Records are read in place: they must be aligned as the kernel's. */
	if ((uintptr_t)k->types % 4)
		return -EPROTO;
	k->types_len = h->type_len;
	k->strs = (const char *)data + h->hdr_len + h->str_off;
	k->strs_len = h->str_len;
	/* Every name then ends inside the section. */
	if (k->strs[k->strs_len - 1])
		return -EPROTO;
	return 0;
}

static int note_found(struct kt_ctx *c, __u32 id)
{
	__u32 *f;

	if (!(c->nfound % 16)) {
		f = realloc(c->found, (c->nfound + 16) * sizeof(*f));
		if (!f)
			return -ENOMEM;
		c->found = f;
	}
	c->found[c->nfound++] = id;
	return 0;
}

/* One pass: check every record's bounds, note offsets and the roots. */
static int scan(struct kt_ctx *c)
{
	struct kbtf *k = &c->k;
	__u32 off = 0, cap = 0, *marks;
	long extra;
	int err;

	for (k->n = 1; off < k->types_len; k->n++) {
		const struct btf_type *t = (const void *)(k->types + off);

		if (k->types_len - off < sizeof(*t) ||
		    (extra = rec_extra(t)) < 0 ||
		    k->types_len - off - sizeof(*t) < (size_t)extra)
			return -EPROTO;
		if ((k->n - 1) % KT_STRIDE == 0) {
			if ((k->n - 1) / KT_STRIDE >= cap) {
				cap = cap ? 2 * cap : 1024;
				marks = realloc(k->marks, cap * sizeof(*marks));
				if (!marks)
					return -ENOMEM;
				k->marks = marks;
			}
			k->marks[(k->n - 1) / KT_STRIDE] = off;
		}
		if ((BTF_INFO_KIND(t->info) == BTF_KIND_STRUCT ||
		     BTF_INFO_KIND(t->info) == BTF_KIND_UNION) && t->name_off &&
		    in_set((const char *const *)c->roots, c->nroots,
			   kt_name(k, t->name_off)) &&
		    (err = note_found(c, k->n)))
			return err;
		off += sizeof(*t) + extra;
	}
	return 0;
}

static int memo_get(const struct kt_ctx *c, __u32 kid)
{
	size_t i;

	for (i = 0; i < c->nmemo; i++)
		if (c->memo[i].kid == kid)
			return c->memo[i].id;
	return 0;
}

static int memo_put(struct kt_ctx *c, __u32 kid, int id)
{
	struct kt_memo *m;

	if (id < 0)
		return id;
	if (!(c->nmemo % 64)) {
		m = realloc(c->memo, (c->nmemo + 64) * sizeof(*m));
		if (!m)
			return -ENOMEM;
		c->memo = m;
	}
	c->memo[c->nmemo].kid = kid;
	c->memo[c->nmemo++].id = id;
	return id;
}

static int emit(struct kt_ctx *c, __u32 kid, int depth);

struct kept {
	const char *name;
	int id;
	__u32 bit_off, bits;
};

/* May this member stay?  Then its type is written first, into *kp. */
static int keep_member(struct kt_ctx *c, const struct btf_type *t,
		       const struct btf_member *m, struct kept *kp, int depth)
{
	const char *name = kt_name(&c->k, m->name_off);
	bool kflag = BTF_INFO_KFLAG(t->info);
	const struct btf_type *mt;
	int id;

	if (*name && !in_set(c->fields, c->nfields, name))
		return 0;
	if (!*name) {
		/* Anonymous: a struct or union to look into, or padding. */
		mt = kt_type(&c->k, m->type);
		if (!mt || (BTF_INFO_KIND(mt->info) != BTF_KIND_STRUCT &&
			    BTF_INFO_KIND(mt->info) != BTF_KIND_UNION))
			return 0;
	}
	/* Old-style bitfields keep their position in the int type. */
	if (!kflag && m->offset % 8)
		return -EPROTO;
	id = emit(c, m->type, depth + 1);
	if (id < 0)
		return id;
	if (!*name && !btf_vlen(btf__type_by_id(c->out, id)))
		return 0;
	kp->name = *name ? name : NULL;
	kp->id = id;
	kp->bit_off = kflag ? BTF_MEMBER_BIT_OFFSET(m->offset) : m->offset;
	kp->bits = kflag ? BTF_MEMBER_BITFIELD_SIZE(m->offset) : 0;
	return 1;
}

static int emit_composite(struct kt_ctx *c, const struct btf_type *t,
			  int depth)
{
	const struct btf_member *m = (const void *)(t + 1);
	const char *name = kt_name(&c->k, t->name_off);
	int i, n = 0, vlen = BTF_INFO_VLEN(t->info), id, err = 0;
	struct kept *kept = calloc(vlen + 1, sizeof(*kept));

	if (!kept)
		return -ENOMEM;
	for (i = 0; i < vlen && err >= 0; i++)
		if ((err = keep_member(c, t, &m[i], &kept[n], depth)) > 0)
			n++;
	if (err < 0) {
		free(kept);
		return err;
	}
	id = BTF_INFO_KIND(t->info) == BTF_KIND_STRUCT ?
		     btf__add_struct(c->out, *name ? name : NULL, t->size) :
		     btf__add_union(c->out, *name ? name : NULL, t->size);
	for (i = 0; i < n && id >= 0; i++)
		if ((err = btf__add_field(c->out, kept[i].name, kept[i].id,
					  kept[i].bit_off, kept[i].bits)))
			id = err;
	free(kept);
	return id;
}

static int emit_enum(struct kt_ctx *c, const struct btf_type *t)
{
	const char *name = kt_name(&c->k, t->name_off);
	bool is64 = BTF_INFO_KIND(t->info) == BTF_KIND_ENUM64;
	int i, id, err = 0;

	id = is64 ? btf__add_enum64(c->out, *name ? name : NULL, t->size,
				    BTF_INFO_KFLAG(t->info)) :
		    btf__add_enum(c->out, *name ? name : NULL, t->size);
	for (i = 0; i < (int)BTF_INFO_VLEN(t->info) && id >= 0 && !err; i++) {
		if (is64) {
			const struct btf_enum64 *e = (const void *)(t + 1);

			err = btf__add_enum64_value(c->out,
					kt_name(&c->k, e[i].name_off),
					(__u64)e[i].val_hi32 << 32 | e[i].val_lo32);
		} else {
			const struct btf_enum *e = (const void *)(t + 1);

			err = btf__add_enum_value(c->out,
					kt_name(&c->k, e[i].name_off), e[i].val);
		}
	}
	return err ? err : id;
}

/* The kernel type kid, written once; its new id, 0 for void, or -errno. */
static int emit(struct kt_ctx *c, __u32 kid, int depth)
{
	const struct btf_type *t;
	const struct btf_array *a;
	int id, elem, index;

	for (;; depth++) {
		if (!kid)
			return 0;
		if (depth > KT_MAX_DEPTH || !(t = kt_type(&c->k, kid)))
			return -EPROTO;
		switch (BTF_INFO_KIND(t->info)) {
		case BTF_KIND_TYPEDEF:
		case BTF_KIND_VOLATILE:
		case BTF_KIND_CONST:
		case BTF_KIND_RESTRICT:
		case BTF_KIND_TYPE_TAG:
			/* CO-RE looks through these. */
			kid = t->type;
			continue;
		}
		break;
	}
	if ((id = memo_get(c, kid)))
		return id;
	switch (BTF_INFO_KIND(t->info)) {
	case BTF_KIND_INT:
		if (BTF_INT_OFFSET(*(const __u32 *)(t + 1)))
			return -EPROTO;
		id = btf__add_int(c->out, kt_name(&c->k, t->name_off), t->size,
				  BTF_INT_ENCODING(*(const __u32 *)(t + 1)));
		break;
	case BTF_KIND_FLOAT:
		id = btf__add_float(c->out, kt_name(&c->k, t->name_off), t->size);
		break;
	case BTF_KIND_PTR:
		/* CO-RE only asks that a pointer be a pointer. */
		if (!c->void_ptr)
			c->void_ptr = btf__add_ptr(c->out, 0);
		return c->void_ptr;
	case BTF_KIND_ARRAY:
		a = (const void *)(t + 1);
		if ((elem = emit(c, a->type, depth + 1)) < 0)
			return elem;
		if ((index = emit(c, a->index_type, depth + 1)) < 0)
			return index;
		id = btf__add_array(c->out, index, elem, a->nelems);
		break;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		id = emit_composite(c, t, depth);
		break;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		id = emit_enum(c, t);
		break;
	default:
		/* Functions, variables, sections: never a member's type. */
		return -EPROTO;
	}
	return memo_put(c, kid, id);
}

static void ctx_free(struct kt_ctx *c)
{
	size_t i;

	for (i = 0; c->roots && i < c->nroots; i++)
		free(c->roots[i]);
	free(c->roots);
	free(c->fields);
	free(c->found);
	free(c->memo);
	free(c->k.marks);
}

struct btf *ktypes_extract(const struct btf *local, const void *data,
			   size_t size)
{
	struct kt_ctx c = {};
	size_t i;
	int err;

	err = check_header(&c.k, data, size);
	if (!err)
		err = local_names(&c, local);
	if (!err)
		err = scan(&c);
	if (!err && !(c.out = btf__new_empty()))
		err = -errno;
	for (i = 0; !err && i < c.nfound; i++)
		if ((err = emit(&c, c.found[i], 0)) > 0)
			err = 0;
	ctx_free(&c);
	if (err) {
		btf__free(c.out);
		/* libbpf's writer refusing a type: one it cannot hold. */
		errno = err == -ENOMEM ? ENOMEM : EPROTO;
		return NULL;
	}
	return c.out;
}

/* Kernels before 6.16 cannot map it: read it, 4 KiB per call (sysfs). */
static int raw_read(int fd, size_t size, struct ktypes_raw *raw)
{
	char *buf = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	size_t got = 0;
	ssize_t n;

	if (buf == MAP_FAILED)
		return -errno;
	while (got < size && (n = read(fd, buf + got, size - got)) > 0)
		got += n;
	if (got != size) {
		munmap(buf, size);
		return -EIO;
	}
	raw->data = buf;
	raw->size = size;
	return 0;
}

int ktypes_raw_open(const char *path, struct ktypes_raw *raw)
{
	struct stat st;
	void *p;
	int fd, err = 0;

	memset(raw, 0, sizeof(*raw));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || st.st_size <= 0) {
		err = -EPROTO;
		goto out;
	}
	p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p != MAP_FAILED) {
		raw->data = p;
		raw->size = st.st_size;
		raw->mapped = true;
	} else {
		err = raw_read(fd, st.st_size, raw);
	}
out:
	close(fd);
	return err;
}

void ktypes_raw_close(struct ktypes_raw *raw)
{
	if (raw->data)
		munmap((void *)raw->data, raw->size);
	memset(raw, 0, sizeof(*raw));
}
