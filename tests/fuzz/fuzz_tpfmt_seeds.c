// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Writes fuzz_tpfmt's seed corpus into the directory given: real format
 * files of Linux 6.18 (tests/unit/tpfmt_fixture.c) as tracefs prints
 * them, sock/inet_sock_set_state also with a field name to look up in
 * front ("NAME\0TEXT", see fuzz_tpfmt.c) and cut inside a field's line.
 */
#include <stdio.h>
#include <string.h>

#include "seed_put.h"
#include "tpfmt_fixture.h"

/* NAME, a NUL, then text. */
static int put_named(const char *dir, const char *file, const char *name,
		     const char *text)
{
	char seed[4096];
	size_t n = strlen(name) + 1, len = strlen(text);

	if (n + len > sizeof(seed))
		return -1;
	memcpy(seed, name, n);
	memcpy(seed + n, text, len);
	return seed_put(dir, file, seed, n + len);
}

int main(int argc, char **argv)
{
	const char *sock = tpfmt_inet_sock_set_state;
	const char *cut = strstr(sock, "offset:24;");
	int err = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	err |= seed_put(argv[1], "inet_sock_set_state", sock, strlen(sock));
	err |= seed_put(argv[1], "sys_enter_accept4", tpfmt_sys_enter_accept4,
			strlen(tpfmt_sys_enter_accept4));
	err |= seed_put(argv[1], "net_dev_xmit", tpfmt_net_dev_xmit,
			strlen(tpfmt_net_dev_xmit));
	err |= put_named(argv[1], "named-saddr_v6", "saddr_v6", sock);
	err |= put_named(argv[1], "named-upeer_addrlen", "upeer_addrlen",
			 tpfmt_sys_enter_accept4);
	err |= !cut || seed_put(argv[1], "cut-in-sport", sock, cut + 8 - sock);
	return err ? 1 : 0;
}
