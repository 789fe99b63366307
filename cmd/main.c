// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * netrace: one binary, many applets (busybox style).  The applet is the
 * basename of argv[0] when that names one (a "tcpconnect" link), else the
 * first argument ("netrace tcpconnect -t").
 */
#include <libgen.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "opts.h"

#define APPLET(name) extern const struct applet applet_##name;
#include "applets.def"
#undef APPLET

static const struct applet *const applets[] = {
#define APPLET(name) &applet_##name,
#include "applets.def"
#undef APPLET
};

#define NR_APPLETS (sizeof(applets) / sizeof(applets[0]))

static const struct applet *find_applet(const char *name)
{
	size_t i;

	for (i = 0; i < NR_APPLETS; i++)
		if (!strcmp(applets[i]->name, name))
			return applets[i];
	return NULL;
}

static void list_applets(FILE *out)
{
	size_t i;

	for (i = 0; i < NR_APPLETS; i++)
		fprintf(out, "  %-14s %s\n", applets[i]->name,
			applets[i]->summary);
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: netrace APPLET [options]   (or run APPLET through a link named after it)\n"
		"       netrace --list | --help | --version\n\n"
		"netrace: BCC-compatible network tracers in one small binary.\n\n"
		"applets:\n");
	list_applets(out);
	fprintf(out, "\n'netrace APPLET --help' describes each applet's options.\n");
}

static int run_applet(const struct applet *a, int argc, char **argv)
{
	nr_prog = a->name;
	return a->main(a, argc, argv);
}

int main(int argc, char **argv)
{
	const struct applet *a;
	char *base = basename(argv[0]);

	a = find_applet(base);
	if (a)
		return run_applet(a, argc, argv);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--list")) {
		size_t i;

		for (i = 0; i < NR_APPLETS; i++)
			printf("%s\n", applets[i]->name);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("netrace %s\n", NETRACE_VERSION);
		return 0;
	}
	a = find_applet(argv[1]);
	if (!a) {
		nr_err("unknown applet '%s'; applets are:", argv[1]);
		list_applets(stderr);
		return 2;
	}
	return run_applet(a, argc - 1, argv + 1);
}
