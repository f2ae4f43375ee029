//config:config WRSH_APPLET_PUT
//config:	bool "put: copy files to the host (like Copy-Item -ToSession) (+3 KB)"
//config:	default y
//config:	depends on WRSH_XFER
//config:	help
//config:	  Files and folder trees up through PowerShell Remoting,
//config:	  streamed, SHA-256 verified, renamed into place when whole,
//config:	  resumable.
//applet:put copy files to the host (like Copy-Item -ToSession)
//usage:wrsh put -H HOST [conn options] [-r] [-t] [--resume] [--no-clobber] [--json] LOCAL... REMOTE
//usage:Copies LOCAL files to REMOTE on HOST: a file's path, or a folder that receives
//usage:them under their own names (it must be one for several LOCALs). "-" reads stdin.
//usage:Each file is written as NAME.wrsh-part beside its target, checked by SHA-256 on
//usage:both sides and renamed when whole: an interrupted copy leaves no short file
//usage:under the real name.
//usage:  -r, --recursive          copy folders: LOCAL goes into REMOTE as REMOTE/LOCAL
//usage:                           (folders made as needed, empty ones too)
//usage:  -t, --preserve           keep the modification times (-p is the port)
//usage:      --resume             continue an interrupted copy (its first bytes checked)
//usage:      --no-clobber         refuse targets that exist
//usage:      --json               one result line per file: local, remote, bytes, resumed,
//usage:                           sha256, seconds
//usage:A progress line shows on a terminal. Exit status: 0, 1 when a file was not
//usage:copied, 130 after Ctrl-C, 255 on errors of wrsh or the connection.

#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "transfer.h"

#define PUT_MAX_OPERANDS 1024
#define PUT_MAX_DEPTH 64

struct put_app {
	bool recursive, preserve, resume, no_clobber, json;
	const char *arg[PUT_MAX_OPERANDS];
	int n;
	struct conn c;
	unsigned base; /* Ctrl-Cs before we began */
	int status;
	bool stop; /* the connection or Ctrl-C ended it all */
};

struct source {
	struct put_app *a;
	int fd;
	struct xfer_progress bar;
};

static int put_option(void *ctx, int opt, const char *arg)
{
	struct put_app *a = ctx;
	switch (opt) {
	case 1:
		if (a->n == PUT_MAX_OPERANDS)
			return cli_error("more than %d operands", PUT_MAX_OPERANDS), 2;
		a->arg[a->n++] = arg;
		return 0;
	case 'r':
		a->recursive = true;
		return 0;
	case 't':
		a->preserve = true;
		return 0;
	case 'R':
		a->resume = true;
		return 0;
	case 'N':
		a->no_clobber = true;
		return 0;
	case 'J':
		a->json = true;
		return 0;
	}
	return -1;
}

static wrsh_err read_source(void *ctx, char *buf, size_t cap, size_t *len)
{
	struct source *src = ctx;
	ssize_t r;
	for (;;) {
		if (pipeline_interrupts() != src->a->base)
			return WRSH_EINTR;
		r = read(src->fd, buf, cap);
		if (r >= 0)
			break;
		if (errno != EINTR)
			return WRSH_EIO;
	}
	*len = (size_t)r;
	return WRSH_OK;
}

/* a resume whose partial differs: read again from the start */
static wrsh_err rewind_source(void *ctx, enum wrsh_xfer_event ev, const struct wrsh_xfer_file *f)
{
	struct source *src = ctx;
	(void)ev;
	(void)f;
	return lseek(src->fd, 0, SEEK_SET) == 0 ? WRSH_OK : WRSH_EUNSUPPORTED;
}

static void progress(void *ctx, uint64_t done, uint64_t total)
{
	xfer_progress(&((struct source *)ctx)->bar, done, total);
}

/* The outcome of one file: kept going after a file's own failure. */
static void outcome(struct put_app *a, const char *local, wrsh_err e)
{
	if (!e)
		return;
	if (e == WRSH_EFILE) {
		cli_error("%s (%s)", wrsh_errmsg(a->c.s), local);
		a->status = a->status ? a->status : 1;
		return;
	}
	a->stop = true;
	if (e == WRSH_EINTR) {
		cli_error("put: %s: interrupted (the partial copy stays for --resume)", local);
		a->status = 130;
	} else {
		a->status = conn_fail(&a->c, e);
	}
}

static void put_file(struct put_app *a, const char *local, const char *remote, const char *leaf,
		     bool mkdirs)
{
	struct source src;
	struct wrsh_xfer_io io;
	struct wrsh_xfer x;
	struct stat st;
	double t0 = xfer_now();
	wrsh_err e;
	memset(&src, 0, sizeof(src));
	memset(&io, 0, sizeof(io));
	memset(&x, 0, sizeof(x));
	src.a = a;
	src.fd = strcmp(local, "-") ? open(local, O_RDONLY) : 0;
	if (src.fd < 0 || fstat(src.fd, &st)) {
		cli_error("cannot read %s: %s", local, strerror(errno));
		a->status = a->status ? a->status : 1;
		if (src.fd > 0)
			close(src.fd);
		return;
	}
	x.flags = (a->resume ? WRSH_XFER_RESUME : 0) | (a->no_clobber ? WRSH_XFER_NO_CLOBBER : 0) |
		  (mkdirs ? WRSH_XFER_MKDIRS : 0);
	x.size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : UINT64_MAX;
	x.mtime_ms = a->preserve && S_ISREG(st.st_mode)
			     ? (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000
			     : -1;
	io.read = read_source;
	io.event = S_ISREG(st.st_mode) ? rewind_source : NULL;
	io.progress = progress;
	io.ctx = &src;
	xfer_progress_begin(&src.bar, xfer_basename(local), true);
	e = wrsh_put(a->c.s, remote, leaf, &io, &x);
	xfer_progress_end(&src.bar);
	if (src.fd > 0)
		close(src.fd);
	outcome(a, local, e);
	if (!e && a->json)
		xfer_json(local, &x, x.remote, xfer_now() - t0);
}

static void put_tree(struct put_app *a, const char *dir, const char *remote, int depth)
{
	char lp[4096], rp[WRSH_XFER_NAME_MAX];
	struct dirent *d;
	struct stat st;
	DIR *D;
	wrsh_err e = wrsh_mkdir(a->c.s, remote);
	if (e) {
		outcome(a, dir, e);
		return;
	}
	if (depth > PUT_MAX_DEPTH) {
		cli_error("%s: deeper than %d folders: not copied", dir, PUT_MAX_DEPTH);
		a->status = a->status ? a->status : 1;
		return;
	}
	if (!(D = opendir(dir))) {
		cli_error("cannot read %s: %s", dir, strerror(errno));
		a->status = a->status ? a->status : 1;
		return;
	}
	while (!a->stop && (d = readdir(D))) {
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		if (xfer_join(lp, sizeof(lp), dir, d->d_name) ||
		    xfer_join(rp, sizeof(rp), remote, d->d_name)) {
			cli_error("%s/%s: path too long: not copied", dir, d->d_name);
			a->status = a->status ? a->status : 1;
			continue;
		}
		if (lstat(lp, &st) == 0 && S_ISDIR(st.st_mode))
			put_tree(a, lp, rp, depth + 1);
		else if (stat(lp, &st) == 0 && S_ISREG(st.st_mode))
			put_file(a, lp, rp, NULL, false);
		else
			cli_error("%s: not a file or folder (a link to a folder?): skipped", lp);
	}
	closedir(D);
}

static void put_all(struct put_app *a)
{
	const char *remote = a->arg[a->n - 1];
	bool many = a->n > 2;
	char rp[WRSH_XFER_NAME_MAX], leaf[256];
	struct stat st;
	int i;
	for (i = 0; i < a->n - 1 && !a->stop; i++) {
		const char *local = a->arg[i];
		bool dir = strcmp(local, "-") && stat(local, &st) == 0 && S_ISDIR(st.st_mode);
		if (dir && !a->recursive) {
			cli_error("%s is a folder (copy it with -r)", local);
			a->status = a->status ? a->status : 1;
			continue;
		}
		xfer_leaf(local, leaf, sizeof(leaf));
		if ((dir || many) && xfer_join(rp, sizeof(rp), remote, leaf)) {
			cli_error("%s: path too long", remote);
			a->status = 1;
			continue;
		}
		if (dir)
			put_tree(a, local, rp, 0);
		else if (many)
			put_file(a, local, rp, NULL, false);
		else
			put_file(a, local, remote, strcmp(local, "-") ? leaf : NULL, false);
	}
}

int put_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"recursive", no_argument, NULL, 'r'}, {"preserve", no_argument, NULL, 't'},
		{"resume", no_argument, NULL, 'R'},    {"no-clobber", no_argument, NULL, 'N'},
		{"json", no_argument, NULL, 'J'},      {NULL, 0, NULL, 0},
	};
	struct put_app a;
	struct applet_opts ao = {"-rt", longopts, put_option, &a};
	struct conn_opts o;
	int first, status = 0;
	wrsh_err e;
	memset(&a, 0, sizeof(a));
	ao.ctx = &a;
	first = conn_parse(argc, argv, &o, &ao, &status);
	if (first < 0)
		return status;
	for (; first < argc; first++)
		if ((status = put_option(&a, 1, argv[first])))
			return status;
	if (a.n < 2)
		return cli_error("give LOCAL... REMOTE"), 2;
	xfer_conn_opts(&o);
	if (pipeline_signals())
		return cli_error("cannot set up signals: %s", strerror(errno)), CLI_EXIT_ERROR;
	if ((status = conn_open(&a.c, &o, true)))
		return status;
	a.base = pipeline_interrupts();
	conn_posix(&a.c)->wake_fd[0] = pipeline_wake_fd();
	if ((e = wrsh_ps_open(a.c.s)))
		a.status = conn_fail(&a.c, e);
	else
		put_all(&a);
	if (!e && !a.stop && (e = wrsh_ps_close(a.c.s)))
		a.status = conn_fail(&a.c, e);
	conn_close(&a.c);
	return a.status;
}
