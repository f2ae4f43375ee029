/*
 * wrsh: one multi-call binary, busybox style. `wrsh APPLET ARGS...`, or a
 * link named after the applet (`ln -s wrsh cmd`). The applet table is
 * generated from the //applet: lines of the files in applets/
 * (scripts/applets.py).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct applet applets[] = {
#define APPLET(name, help, usage) {#name, name##_main, help, usage},
#include "applets.h"
#undef APPLET
};

#define NAPPLETS (sizeof(applets) / sizeof(applets[0]))

const struct applet *cli_applet;

static const struct applet *find(const char *name)
{
	size_t i;
	for (i = 0; i < NAPPLETS; i++)
		if (strcmp(applets[i].name, name) == 0)
			return &applets[i];
	return NULL;
}

static int usage(FILE *f)
{
	size_t i;
	fprintf(f, "wrsh " WRSH_VERSION ": Windows Remote Management from small machines\n\n"
		   "usage: wrsh APPLET [OPTIONS] (or call a link named after the applet)\n\n"
		   "applets:\n");
	for (i = 0; i < NAPPLETS; i++)
		fprintf(f, "  %-10s %s\n", applets[i].name, applets[i].help);
	fprintf(f, "\nwrsh APPLET --help shows an applet's options.\n");
	return f == stderr ? 2 : 0;
}

int main(int argc, char **argv)
{
	const char *base = argv[0] ? strrchr(argv[0], '/') : NULL;
	const struct applet *a;
	base = base ? base + 1 : argv[0] ? argv[0] : "wrsh";
	a = find(base);
	if (!a) {
		if (argc < 2)
			return usage(stderr);
		if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
			return usage(stdout);
		if (!strcmp(argv[1], "--version")) {
			printf("wrsh %s\n", WRSH_VERSION);
			return 0;
		}
		a = find(argv[1]);
		if (!a) {
			fprintf(stderr, "wrsh: unknown applet '%s'\n", argv[1]);
			return usage(stderr);
		}
		argc--, argv++;
	}
	cli_applet = a;
	return a->main(argc, argv);
}
