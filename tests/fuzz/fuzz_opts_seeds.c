// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Writes fuzz_opts's seed corpus into the directory given: the command
 * lines of each applet's --help examples and man page, some with options
 * run together, abbreviated or given "=VALUE", and a few a user gets
 * wrong.  Each seed is the applet's index in cmd/applets.def, then its
 * arguments, each ended by a NUL.
 */
#include <stdio.h>
#include <string.h>

#include "seed_put.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define APPLET(name) #name,
static const char *const applets[] = {
#include "applets.def"
};
#undef APPLET

/* Applet name, then its arguments, split at single spaces. */
static const char *const lines[] = {
	"tcpaccept",
	"tcpaccept -t",
	"tcpaccept -T",
	"tcpaccept -P 80,81",
	"tcpaccept -p 181",
	"tcpaccept -U",
	"tcpaccept -j",
	"tcpaccept --cgroupmap mappath",
	"tcpaccept --mntnsmap mappath",
	"tcpaccept -4",
	"tcpaccept -6",
	"tcpaccept -Tt -P 22,80,443 --attach=kprobe --buffer perfbuf",
	"tcpaccept --time --timestamp --port=8080 --print-uid --json",
	"tcpaccept --ebpf",
	"tcplife",
	"tcplife -T",
	"tcplife -w",
	"tcplife -stT",
	"tcplife -p 181",
	"tcplife -L 80",
	"tcplife -L 80,81",
	"tcplife -D 80",
	"tcplife -4",
	"tcplife -6",
	"tcplife --wide --csv --localport=22,443 --remoteport 80 -j --attach=tracepoint",
	"tcpconnect",
	"tcpconnect -t",
	"tcpconnect -d",
	"tcpconnect -p 181",
	"tcpconnect -P 80",
	"tcpconnect -P 80,81",
	"tcpconnect -4",
	"tcpconnect -6",
	"tcpconnect -U",
	"tcpconnect -u 1000",
	"tcpconnect -c",
	"tcpconnect -L",
	"tcpconnect -j",
	"tcpconnect --cgroupmap mappath",
	"tcpconnect --mntnsmap mappath",
	"tcpconnect -tdLU -p181 -u0 --attach tracepoint -v",
	"tcpconnect --att=fentry --buf=ringbuf --dns --lport",
	"tcpconnect -h",
	"tcpconnect --help",
	"tcpconnect -4 -6",
	"tcpconnect -P 80,,81",
	"tcpconnect -p -1",
	"tcpconnect --attach uprobe",
	"tcpconnect -- -t",
	"xdpfeatures",
	"xdpfeatures -i eth0,va",
	"xdpfeatures -a",
	"xdpfeatures --drivers",
	"xdpfeatures --probe -i eth0",
	"xdpfeatures -j",
	"xdpfeatures -aj -ieth0 --interface=veth0,veth1 -i lo --verbose",
	"xdpfeatures --drivers --json",
	"xdpfeatures -i eth0, -x",
};

/* The seed of one line: 0 when it is written, else 1. */
static int put_line(const char *dir, unsigned int n, const char *line)
{
	char seed[256], name[32];
	size_t i, len = strcspn(line, " ");
	const char *arg = line + len;

	for (i = 0; i < ARRAY_SIZE(applets); i++)
		if (strlen(applets[i]) == len && !strncmp(applets[i], line, len))
			break;
	if (i == ARRAY_SIZE(applets) || strlen(line) + 1 >= sizeof(seed)) {
		fprintf(stderr, "fuzz_opts_seeds: bad line '%s'\n", line);
		return 1;
	}
	seed[0] = i;
	len = 1;
	if (*arg) {
		/* Every space, and the end, ends an argument. */
		for (arg++; *arg; arg++)
			seed[len++] = *arg == ' ' ? '\0' : *arg;
		seed[len++] = '\0';
	}
	snprintf(name, sizeof(name), "argv-%02u", n);
	return seed_put(dir, name, seed, len) ? 1 : 0;
}

int main(int argc, char **argv)
{
	unsigned int i;
	int err = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	for (i = 0; i < ARRAY_SIZE(lines); i++)
		err |= put_line(argv[1], i, lines[i]);
	return err;
}
