//config:config WRSH_APPLET_GET
//config:	bool "get: copy files from the host (like Copy-Item -FromSession) (+3 KB)"
//config:	default y
//config:	depends on WRSH_XFER
//config:	help
//config:	  Files and folder trees down through PowerShell Remoting,
//config:	  streamed straight to disk, SHA-256 verified, renamed into
//config:	  place when whole, resumable.
//applet:get copy files from the host (like Copy-Item -FromSession)
//usage:wrsh get -H HOST [conn options] [-r] [-t] [--resume] [--json] REMOTE... LOCAL
//usage:Copies REMOTE files on HOST to LOCAL: a file's path, or a folder that receives
//usage:them under their own names (it must be one for several REMOTEs). LOCAL "-"
//usage:writes one file to stdout. Each file is written as NAME.wrsh-part, checked by
//usage:SHA-256 against the host's and renamed when whole.
//usage:  -r, --recursive          copy folders: REMOTE arrives as LOCAL/REMOTE's name
//usage:  -t, --preserve           keep the modification times (-p is the port)
//usage:      --resume             continue from a NAME.wrsh-part left by an interrupted
//usage:                           copy (its bytes checked against the host's first ones)
//usage:      --json               one result line per file: local, remote, bytes, resumed,
//usage:                           sha256, seconds
//usage:A progress line shows on a terminal. Exit status: 0, 1 when a file was not
//usage:copied, 130 after Ctrl-C, 255 on errors of wrsh or the connection.

#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "transfer.h"

#define GET_MAX_OPERANDS 1024

struct get_app {
	bool recursive, preserve, resume, json;
	const char *arg[GET_MAX_OPERANDS];
	int n;
	struct conn c;
	unsigned base;
	int status;
	bool stop;
};

/* One local file being written: NAME.wrsh-part, renamed at its end. */
struct sink {
	struct get_app *a;
	const char *root; /* TREE: the local folder; else NULL */
	char path[4096], part[4112];
	int fd;
	bool to_stdout;
	int errno_saved;
	double t0;
	const char *remote;
	struct xfer_progress bar;
};

static int get_option(void *ctx, int opt, const char *arg)
{
	struct get_app *a = ctx;
	switch (opt) {
	case 1:
		if (a->n == GET_MAX_OPERANDS)
			return cli_error("more than %d operands", GET_MAX_OPERANDS), 2;
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
	case 'J':
		a->json = true;
		return 0;
	}
	return -1;
}

static wrsh_err local_fail(struct sink *k)
{
	k->errno_saved = errno;
	return WRSH_EIO;
}

static wrsh_err write_all(void *ctx, const void *buf, size_t len)
{
	struct sink *k = ctx;
	const char *p = buf;
	if (pipeline_interrupts() != k->a->base)
		return WRSH_EINTR;
	while (len) {
		ssize_t w = write(k->fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return local_fail(k);
		p += w;
		len -= (size_t)w;
	}
	return WRSH_OK;
}

/* the partial, read back for a resume */
static wrsh_err read_partial(void *ctx, char *buf, size_t cap, size_t *len)
{
	struct sink *k = ctx;
	ssize_t r = read(k->fd, buf, cap);
	if (r < 0)
		return local_fail(k);
	*len = (size_t)r;
	return WRSH_OK;
}

static void set_mtime(const char *path, int64_t ms)
{
	struct timespec t[2];
	t[0].tv_sec = 0;
	t[0].tv_nsec = UTIME_OMIT;
	t[1].tv_sec = (time_t)(ms / 1000);
	t[1].tv_nsec = (long)(ms % 1000) * 1000000;
	if (utimensat(AT_FDCWD, path, t, 0))
		cli_error("warning: %s: modification time not kept: %s", path, strerror(errno));
}

static wrsh_err open_part(struct sink *k, const struct wrsh_xfer_file *f)
{
	if (k->root) { /* TREE: a new file under the root */
		if (xfer_join(k->path, sizeof(k->path), k->root, f->name))
			return errno = ENAMETOOLONG, local_fail(k);
		snprintf(k->part, sizeof(k->part), "%s.wrsh-part", k->path);
		k->fd = open(k->part, O_WRONLY | O_CREAT | O_TRUNC, 0666);
		xfer_progress_begin(&k->bar, f->name, true);
		k->t0 = xfer_now();
		return k->fd < 0 ? local_fail(k) : WRSH_OK;
	}
	if (ftruncate(k->fd, (off_t)f->at) || lseek(k->fd, (off_t)f->at, SEEK_SET) < 0)
		return local_fail(k);
	return WRSH_OK;
}

static wrsh_err finish_part(struct sink *k, const struct wrsh_xfer_file *f)
{
	if (k->to_stdout)
		return WRSH_OK;
	if (fsync(k->fd) || close(k->fd)) {
		k->fd = -1;
		return local_fail(k);
	}
	k->fd = -1;
	if (k->a->preserve)
		set_mtime(k->part, f->mtime_ms);
	return rename(k->part, k->path) ? local_fail(k) : WRSH_OK;
}

static wrsh_err on_event(void *ctx, enum wrsh_xfer_event ev, const struct wrsh_xfer_file *f)
{
	struct sink *k = ctx;
	char dir[4096];
	switch (ev) {
	case WRSH_XFER_FOLDER:
		if (xfer_join(dir, sizeof(dir), k->root, f->name))
			return errno = ENAMETOOLONG, local_fail(k);
		return xfer_mkdirs(dir) ? local_fail(k) : WRSH_OK;
	case WRSH_XFER_BEGIN:
		return k->to_stdout ? WRSH_OK : open_part(k, f);
	case WRSH_XFER_END: {
		wrsh_err e = finish_part(k, f);
		if (k->root) {
			xfer_progress_end(&k->bar);
			if (!e && k->a->json) {
				struct wrsh_xfer x;
				memset(&x, 0, sizeof(x));
				x.bytes = f->size;
				snprintf(x.sha256, sizeof(x.sha256), "%s", f->sha256);
				xfer_json(k->path, &x, f->name, xfer_now() - k->t0);
			}
		}
		return e;
	}
	case WRSH_XFER_FAILED:
		xfer_progress_end(&k->bar);
		cli_error("get: %s: %s", f->name, f->text ? f->text : "not copied");
		if (k->fd >= 0 && !k->to_stdout) {
			close(k->fd);
			unlink(k->part);
		}
		k->fd = -1;
		k->a->status = k->a->status ? k->a->status : 1;
		return WRSH_OK;
	}
	return WRSH_OK;
}

static void progress(void *ctx, uint64_t done, uint64_t total)
{
	xfer_progress(&((struct sink *)ctx)->bar, done, total);
}

static void outcome(struct get_app *a, struct sink *k, const char *what, wrsh_err e)
{
	if (!e)
		return;
	if (e == WRSH_EIO && k->errno_saved) {
		cli_error("get: %s: %s", k->root ? k->path : k->part, strerror(k->errno_saved));
		a->status = a->status ? a->status : 1;
		a->stop = true; /* the local side is broken: the next file fares no better */
	} else if (e == WRSH_EFILE) {
		cli_error("%s (%s)", wrsh_errmsg(a->c.s), what);
		a->status = a->status ? a->status : 1;
	} else if (e == WRSH_EINTR) {
		cli_error("get: %s: interrupted (the partial copy stays for --resume)", what);
		a->status = 130;
		a->stop = true;
	} else {
		a->status = conn_fail(&a->c, e);
		a->stop = true;
	}
}

static void get_file(struct get_app *a, const char *remote, const char *local)
{
	struct sink k;
	struct wrsh_xfer_io io;
	struct wrsh_xfer x;
	struct stat st;
	wrsh_err e;
	memset(&k, 0, sizeof(k));
	memset(&io, 0, sizeof(io));
	memset(&x, 0, sizeof(x));
	k.a = a;
	k.to_stdout = !strcmp(local, "-");
	k.t0 = xfer_now();
	if (k.to_stdout) {
		k.fd = 1;
	} else {
		snprintf(k.path, sizeof(k.path), "%s", local);
		snprintf(k.part, sizeof(k.part), "%s.wrsh-part", local);
		k.fd = open(k.part, O_RDWR | O_CREAT | (a->resume ? 0 : O_TRUNC), 0666);
		if (k.fd < 0 || fstat(k.fd, &st)) {
			cli_error("cannot write %s: %s", k.part, strerror(errno));
			a->status = a->status ? a->status : 1;
			return;
		}
		if (a->resume && st.st_size > 0) {
			x.flags |= WRSH_XFER_RESUME;
			x.at = (uint64_t)st.st_size;
			io.read = read_partial;
		}
	}
	io.write = write_all;
	io.event = on_event;
	io.progress = progress;
	io.ctx = &k;
	xfer_progress_begin(&k.bar, xfer_basename(remote), true);
	e = wrsh_get(a->c.s, remote, &io, &x);
	xfer_progress_end(&k.bar);
	if (k.fd > 1) {
		close(k.fd);
		/* a hash mismatch: the bytes are wrong, not merely short */
		if (e == WRSH_EFILE && x.sha256[0])
			unlink(k.part);
	}
	if (e == WRSH_EFILE && !x.sha256[0] && !k.to_stdout && !x.at)
		unlink(k.part); /* nothing came: no such file, access denied */
	outcome(a, &k, remote, e);
	if (!e && a->json)
		xfer_json(local, &x, x.remote, xfer_now() - k.t0);
}

static void get_tree(struct get_app *a, const char *remote, const char *local)
{
	struct sink k;
	struct wrsh_xfer_io io;
	struct wrsh_xfer x;
	wrsh_err e;
	memset(&k, 0, sizeof(k));
	memset(&io, 0, sizeof(io));
	memset(&x, 0, sizeof(x));
	k.a = a;
	k.root = local;
	k.fd = -1;
	if (xfer_mkdirs(local)) {
		cli_error("cannot make %s: %s", local, strerror(errno));
		a->status = a->status ? a->status : 1;
		return;
	}
	x.flags = WRSH_XFER_TREE;
	io.write = write_all;
	io.event = on_event;
	io.progress = progress;
	io.ctx = &k;
	e = wrsh_get(a->c.s, remote, &io, &x);
	xfer_progress_end(&k.bar);
	if (k.fd >= 0)
		close(k.fd);
	if (e == WRSH_EFILE && a->status) /* the files' own failures, already told */
		e = WRSH_OK;
	outcome(a, &k, remote, e);
}

static void get_all(struct get_app *a)
{
	const char *local = a->arg[a->n - 1];
	char path[4096], leaf[256];
	struct stat st;
	bool into = !strcmp(local, "-") ? false : stat(local, &st) == 0 && S_ISDIR(st.st_mode);
	int i;
	if (a->n > 2 && !into && !a->recursive)
		return (void)(cli_error("%s: not a folder (several REMOTEs need one)", local),
			      a->status = 2);
	if (!strcmp(local, "-") && (a->n > 2 || a->recursive))
		return (void)(cli_error("-: one file only"), a->status = 2);
	for (i = 0; i < a->n - 1 && !a->stop; i++) {
		xfer_leaf(a->arg[i], leaf, sizeof(leaf));
		if ((into || a->recursive) && xfer_join(path, sizeof(path), local, leaf)) {
			cli_error("%s: path too long", local);
			a->status = 1;
			continue;
		}
		if (a->recursive)
			get_tree(a, a->arg[i], path);
		else
			get_file(a, a->arg[i], into ? path : local);
	}
}

int get_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"recursive", no_argument, NULL, 'r'},
		{"preserve", no_argument, NULL, 't'},
		{"resume", no_argument, NULL, 'R'},
		{"json", no_argument, NULL, 'J'},
		{NULL, 0, NULL, 0},
	};
	struct get_app a;
	struct applet_opts ao = {"-rt", longopts, get_option, &a};
	struct conn_opts o;
	int first, status = 0;
	wrsh_err e;
	memset(&a, 0, sizeof(a));
	ao.ctx = &a;
	first = conn_parse(argc, argv, &o, &ao, &status);
	if (first < 0)
		return status;
	for (; first < argc; first++)
		if ((status = get_option(&a, 1, argv[first])))
			return status;
	if (a.n < 2)
		return cli_error("give REMOTE... LOCAL"), 2;
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
		get_all(&a);
	if (!e && !a.stop && (e = wrsh_ps_close(a.c.s)))
		a.status = conn_fail(&a.c, e);
	conn_close(&a.c);
	return a.status;
}
