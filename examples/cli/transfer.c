/*
 * What put and get share: the session options a transfer wants, the
 * progress line (bytes, rate, ETA, redrawn in place on a terminal's
 * stderr, as curl does), the --json result line, and path helpers.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "transfer.h"

double xfer_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void xfer_conn_opts(struct conn_opts *o)
{
	bool sealed = !o->https || o->seal_https;
	o->send_buf = CONFIG_WRSH_CLI_XFER_BUF;
	/* a sealed answer is held whole in the send buffer's memory */
	if (!o->envelope)
		o->envelope = sealed ? CONFIG_WRSH_CLI_XFER_BUF - 4096 : 512000;
	if (o->mem < CONFIG_WRSH_CLI_ARENA + 2 * (size_t)CONFIG_WRSH_CLI_XFER_BUF)
		o->mem = CONFIG_WRSH_CLI_ARENA + 2 * (size_t)CONFIG_WRSH_CLI_XFER_BUF;
}

static void human(char *out, size_t cap, double v)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	unsigned u = 0;
	while (v >= 1024 && u < 4)
		v /= 1024, u++;
	snprintf(out, cap, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

void xfer_progress_begin(struct xfer_progress *p, const char *name, bool on)
{
	memset(p, 0, sizeof(*p));
	p->on = on && isatty(2);
	p->name = name;
	p->start = xfer_now();
}

void xfer_progress(void *ctx, uint64_t done, uint64_t total)
{
	struct xfer_progress *p = ctx;
	char d[16], r[16], eta[24] = "";
	double now = xfer_now(), rate;
	if (!p || !p->on || (now - p->last < 0.2 && done != total))
		return;
	p->last = now;
	rate = now > p->start ? (double)done / (now - p->start) : 0;
	human(d, sizeof(d), (double)done);
	human(r, sizeof(r), rate);
	if (total != UINT64_MAX && total && rate > 0 && done <= total)
		snprintf(eta, sizeof(eta), "  %3u%%  ETA %us", (unsigned)(done * 100 / total),
			 (unsigned)((double)(total - done) / rate));
	fprintf(stderr, "\r\033[K%.40s  %s  %s/s%s", p->name, d, r, eta);
	p->shown = true;
}

void xfer_progress_end(struct xfer_progress *p)
{
	if (p->shown)
		fputs("\r\033[K", stderr);
	p->shown = false;
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void xfer_json(const char *local, const struct wrsh_xfer *x, const char *remote, double seconds)
{
	fputs("{\"local\":", stdout);
	json_str(stdout, local);
	fputs(",\"remote\":", stdout);
	json_str(stdout, remote);
	printf(",\"bytes\":%llu,\"resumed\":%llu,\"sha256\":\"%s\",\"seconds\":%.3f}\n",
	       (unsigned long long)x->bytes, (unsigned long long)x->skipped, x->sha256, seconds);
	fflush(stdout);
}

const char *xfer_basename(const char *path)
{
	const char *b = path, *p;
	size_t n = strlen(path);
	while (n > 1 && (path[n - 1] == '/' || path[n - 1] == '\\'))
		n--; /* "dir/" is dir */
	for (p = path; p < path + n; p++)
		if ((*p == '/' || *p == '\\') && p + 1 < path + n)
			b = p + 1;
	return b;
}

/* The leaf of path into out, without trailing separators. */
void xfer_leaf(const char *path, char *out, size_t cap)
{
	const char *b = xfer_basename(path);
	size_t n = strlen(b);
	while (n > 1 && (b[n - 1] == '/' || b[n - 1] == '\\'))
		n--;
	snprintf(out, cap, "%.*s", (int)n, b);
}

int xfer_join(char *out, size_t cap, const char *a, const char *b)
{
	size_t n = strlen(a);
	bool sep = n && (a[n - 1] == '/' || a[n - 1] == '\\');
	int r = snprintf(out, cap, "%s%s%s", a, sep ? "" : "/", b);
	return r < 0 || (size_t)r >= cap ? -1 : 0;
}

int xfer_mkdirs(const char *path)
{
	char p[4096];
	size_t i, n = strlen(path);
	if (n >= sizeof(p))
		return errno = ENAMETOOLONG, -1;
	memcpy(p, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != 0)
			continue;
		p[i] = 0;
		if (mkdir(p, 0777) < 0 && errno != EEXIST)
			return -1;
		p[i] = i < n ? '/' : 0;
	}
	return 0;
}

int xfer_status(wrsh_err e)
{
	if (e == WRSH_EINTR)
		return 130;
	return e == WRSH_EFILE ? 1 : CLI_EXIT_ERROR;
}
