/*
 * Many hosts from one command: -H a,b,c or -H @FILE runs the applet once
 * per host, --throttle N (default 32, as Invoke-Command) at a time.
 *
 * One process per host: each child is the applet as it runs for one host,
 * with its own arena (so memory is throttle x --mem, bounded), its own
 * session and its own clean-up; a stalled host holds up nobody but itself.
 * The parent only schedules, prefixes each output line with "host: " (or
 * inserts "host" into --json records), and sums up on stderr. Children run
 * in process groups of their own: a Ctrl-C reaches the parent alone, which
 * stops starting hosts and passes one SIGINT to each running child, whose
 * own handler deletes its shell.
 *
 * Exit status: 0 when every host succeeded; 1 when each host ran but some
 * command exited non-zero; 255 when a host could not be run (unreachable,
 * refused credentials, a protocol error); 130 when interrupted.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

#ifndef CONFIG_WRSH_CLI_ARENA
#define CONFIG_WRSH_CLI_ARENA 262144
#endif
#define FANOUT_HOSTS_MAX 4096
#define FANOUT_THROTTLE_MAX 256
#define FANOUT_LINE 4096	  /* a longer line is passed on in pieces, each prefixed */
#define FANOUT_NAMES (256 * 1024) /* the host list's text, all names together */

enum outcome { PENDING, RUNNING, SUCCEEDED, EXITED, UNREACHABLE, REFUSED, FAILED };

struct stream {
	int fd; /* -1 once at EOF */
	size_t n;
	char buf[FANOUT_LINE];
};

struct host {
	const char *name; /* in fanout.names */
	enum outcome st;
	int code; /* exit status, or minus the wrsh_err the child reported */
};

/* A host in flight: the only per-host memory that is more than a name */
struct slot {
	struct host *h; /* NULL: free */
	pid_t pid;
	int status_fd; /* the child's error class (conn_fail writes it) */
	struct stream out[2];
};

struct fanout {
	struct host *h;
	struct slot *slot; /* throttle of them */
	char *names;
	size_t names_len, n, next, running;
	unsigned throttle;
	bool prefix, json;
	char **argv; /* the applet's own arguments, without -H, --throttle, --no-prefix */
	int argc;
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static int add_host(struct fanout *f, const char *s, size_t len)
{
	while (len && (*s == ' ' || *s == '\t'))
		s++, len--;
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
		len--;
	if (!len)
		return 0;
	if (f->n == FANOUT_HOSTS_MAX)
		return cli_error("more than %d hosts", FANOUT_HOSTS_MAX), -1;
	if (f->names_len + len + 1 > FANOUT_NAMES)
		return cli_error("the host list is longer than %d bytes", FANOUT_NAMES), -1;
	f->h[f->n].name = f->names + f->names_len;
	memcpy(f->names + f->names_len, s, len);
	f->names[f->names_len + len] = 0;
	f->names_len += len + 1;
	f->n++;
	return 0;
}

/* @FILE: one host[:port] a line; '#' starts a comment */
static int read_hosts(struct fanout *f, const char *path)
{
	char line[1024];
	FILE *in = fopen(path, "r");
	int r = 0;
	if (!in)
		return cli_error("cannot read hosts file %s: %s", path, strerror(errno)), -1;
	while (!r && fgets(line, sizeof(line), in)) {
		char *hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		line[strcspn(line, "\n")] = 0;
		r = add_host(f, line, strlen(line));
	}
	fclose(in);
	return r;
}

static int parse_hosts(struct fanout *f, const char *list)
{
	if (list[0] == '@')
		return read_hosts(f, list + 1);
	while (*list) {
		size_t k = strcspn(list, ",");
		if (add_host(f, list, k))
			return -1;
		list += k + (list[k] == ',');
	}
	return 0;
}

/* An option's value, if given (the last one, as getopt would take): -X V,
 * -XV, --long V, --long=V. */
static const char *find_value(int argc, char **argv, const char *x, const char *lng)
{
	const char *v = NULL;
	size_t n = strlen(lng);
	int i;
	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		const char *a = argv[i];
		if ((!strcmp(a, x) || !strcmp(a, lng)) && i + 1 < argc)
			v = argv[++i];
		else if (!strncmp(a, lng, n) && a[n] == '=')
			v = a + n + 1;
		else if (x[1] != '-' && !strncmp(a, x, 2) && a[2])
			v = a + 2;
	}
	return v;
}

/* Takes --throttle and --no-prefix out of argv, and -H too unless
 * keep_host (one host: the applet runs here on argv as it is otherwise). */
static int take_options(struct fanout *f, int *argc, char **argv, bool keep_host)
{
	int i, k = 1;
	f->throttle = 32;
	f->prefix = true;
	for (i = 1; i < *argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--")) {
			while (i < *argc)
				argv[k++] = argv[i++];
			break;
		}
		if (!keep_host && (!strcmp(a, "-H") || !strcmp(a, "--host")) && i + 1 < *argc) {
			i++;
		} else if (!keep_host &&
			   (!strncmp(a, "--host=", 7) || (!strncmp(a, "-H", 2) && a[2]))) {
			continue;
		} else if (!strcmp(a, "--throttle") || !strncmp(a, "--throttle=", 11)) {
			const char *v = a[10] == '=' ? a + 11 : i + 1 < *argc ? argv[++i] : "";
			char *end;
			unsigned long t = strtoul(v, &end, 10);
			if (*end || !t || t > FANOUT_THROTTLE_MAX)
				return cli_error("--throttle wants 1 to %d", FANOUT_THROTTLE_MAX),
				       -1;
			f->throttle = (unsigned)t;
		} else if (!strcmp(a, "--no-prefix")) {
			f->prefix = false;
		} else {
			f->json |= !strcmp(a, "--json");
			argv[k++] = argv[i];
		}
	}
	argv[k] = NULL;
	*argc = k;
	f->argv = argv;
	f->argc = k;
	return 0;
}

/* The one password prompt for every host: when the children would each
 * ask (a user, no password from the environment or a file, a terminal). */
static bool needs_prompt(int argc, char **argv)
{
	bool user = false;
	int i;
	if (getenv("WRSH_PASSWORD") || getenv("WRSH_NT_HASH") || !isatty(0))
		return false;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--password-file") || !strcmp(argv[i], "--nt-hash-file") ||
		    !strcmp(argv[i], "--keytab") || !strcmp(argv[i], "--ccache") ||
		    !strncmp(argv[i], "--password-file=", 16))
			return false;
		user |= !strncmp(argv[i], "-u", 2) || !strcmp(argv[i], "--user") ||
			!strncmp(argv[i], "--user=", 7);
	}
	return user;
}

/* host:port splits at its last colon, but an IPv6 literal only when
 * bracketed ([::1]:5986) */
static const char *port_of(char *name)
{
	char *colon = strrchr(name, ':');
	if (!colon || (name[0] == '[' ? colon[-1] != ']' : strchr(name, ':') != colon))
		return NULL;
	*colon = 0;
	return colon + 1;
}

/* In the child: the applet for one host, its output into the pipes. */
static void run_child(struct fanout *f, struct slot *sl, int out[2][2], int st[2],
		      const struct applet *a)
{
	char name[1024], *argv[4 + 512];
	const char *port;
	int i, k = 0, null = open("/dev/null", O_RDONLY);
	setpgid(0, 0);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (null >= 0)
		dup2(null, 0);
	dup2(out[0][1], 1);
	dup2(out[1][1], 2);
	for (i = 0; i < 2; i++)
		close(out[i][0]), close(out[i][1]);
	close(st[0]);
	cli_status_fd = st[1];
	snprintf(name, sizeof(name), "%s", sl->h->name);
	port = port_of(name);
	argv[k++] = f->argv[0];
	argv[k++] = "-H";
	argv[k++] = name;
	if (port) {
		argv[k++] = "-p";
		argv[k++] = (char *)port;
	}
	for (i = 1; i < f->argc && k < (int)(sizeof(argv) / sizeof(argv[0])) - 1; i++)
		argv[k++] = f->argv[i];
	argv[k] = NULL;
	optind = 1;
	_exit(a->main(k, argv));
}

static int start(struct fanout *f, struct slot *sl, struct host *h, const struct applet *a)
{
	int out[2][2], st[2], i;
	if (pipe(out[0]) || pipe(out[1]) || pipe(st))
		return cli_error("pipe: %s", strerror(errno)), -1;
	fflush(NULL);
	sl->h = h;
	sl->pid = fork();
	if (sl->pid < 0)
		return cli_error("fork: %s", strerror(errno)), -1;
	if (sl->pid == 0)
		run_child(f, sl, out, st, a);
	for (i = 0; i < 2; i++) {
		close(out[i][1]);
		sl->out[i].fd = out[i][0];
		sl->out[i].n = 0;
	}
	close(st[1]);
	sl->status_fd = st[0];
	h->st = RUNNING;
	f->running++;
	return 0;
}

/* {"host":"NAME", with the name as a JSON string */
static void json_host(FILE *to, const char *name)
{
	fputs("{\"host\":\"", to);
	for (; *name; name++) {
		unsigned char c = (unsigned char)*name;
		if (c == '"' || c == '\\')
			fprintf(to, "\\%c", c);
		else if (c < 0x20)
			fprintf(to, "\\u%04x", c);
		else
			fputc(c, to);
	}
	fputc('"', to);
}

static void emit(const struct fanout *f, const struct host *h, int which, const char *p, size_t n)
{
	FILE *to = which ? stderr : stdout;
	if (f->json && !which && n && p[0] == '{') {
		/* a --json record: the host as its first member */
		json_host(to, h->name);
		fputs(n > 1 && p[1] != '}' ? "," : "", to);
		fwrite(p + 1, 1, n - 1, to);
	} else if (f->json && !which) {
		/* a scalar (PowerShell's 1, "text") as the value of a record */
		size_t k = n && p[n - 1] == '\n' ? n - 1 : n;
		json_host(to, h->name);
		fputs(",\"value\":", to);
		fwrite(p, 1, k, to);
		fputs("}\n", to);
		return;
	} else {
		if (f->prefix)
			fprintf(to, "%s: ", h->name);
		fwrite(p, 1, n, to);
	}
	if (!n || p[n - 1] != '\n')
		fputc('\n', to);
}

/* Pass on each whole line read so far; at EOF the rest too. */
static void drain(const struct fanout *f, struct slot *sl, int which, bool eof)
{
	struct stream *s = &sl->out[which];
	size_t start = 0, i;
	for (i = 0; i < s->n; i++)
		if (s->buf[i] == '\n') {
			emit(f, sl->h, which, s->buf + start, i + 1 - start);
			start = i + 1;
		}
	if (start == 0 && s->n == sizeof(s->buf))
		emit(f, sl->h, which, s->buf, s->n), start = s->n; /* a line past the cap */
	if (eof && start < s->n)
		emit(f, sl->h, which, s->buf + start, s->n - start), start = s->n;
	memmove(s->buf, s->buf + start, s->n - start);
	s->n -= start;
	fflush(which ? stderr : stdout);
}

static void read_stream(const struct fanout *f, struct slot *sl, int which)
{
	struct stream *s = &sl->out[which];
	ssize_t k = read(s->fd, s->buf + s->n, sizeof(s->buf) - s->n);
	if (k < 0 && errno == EINTR)
		return;
	if (k <= 0) {
		drain(f, sl, which, true);
		close(s->fd);
		s->fd = -1;
		return;
	}
	s->n += (size_t)k;
	drain(f, sl, which, false);
}

/* Both streams at EOF: reap the child and classify the host. */
static void finish(struct fanout *f, struct slot *sl)
{
	struct host *h = sl->h;
	unsigned char e = 0;
	int status = 0;
	while (waitpid(sl->pid, &status, 0) < 0 && errno == EINTR)
		;
	if (read(sl->status_fd, &e, 1) != 1)
		e = 0;
	close(sl->status_fd);
	sl->h = NULL;
	f->running--;
	h->code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (e == WRSH_EIO || e == WRSH_ETIMEDOUT)
		h->st = UNREACHABLE;
	else if (e == WRSH_EAUTH)
		h->st = REFUSED;
	else if (e)
		h->st = FAILED, h->code = -(int)e;
	else if (h->code == CLI_EXIT_ERROR || !WIFEXITED(status))
		h->st = FAILED;
	else
		h->st = h->code ? EXITED : SUCCEEDED;
}

static void list(const struct fanout *f, enum outcome st, const char *what)
{
	size_t i, k = 0, all = 0;
	for (i = 0; i < f->n; i++)
		all += f->h[i].st == st;
	if (!all)
		return;
	fprintf(stderr, ", %zu %s (", all, what);
	for (i = 0; i < f->n && k < 10; i++) {
		const struct host *h = &f->h[i];
		if (h->st != st)
			continue;
		fprintf(stderr, "%s%s", k++ ? ", " : "", h->name);
		if (h->st == FAILED && h->code < 0)
			fprintf(stderr, ": %s", wrsh_strerror((wrsh_err)-h->code));
		else if (h->st == EXITED || h->st == FAILED)
			fprintf(stderr, ": exit %d", h->code);
	}
	fprintf(stderr, "%s)", all > k ? ", ..." : "");
}

static int summary(const struct fanout *f)
{
	size_t i, ok = 0, exited = 0, bad = 0, left = 0;
	for (i = 0; i < f->n; i++) {
		ok += f->h[i].st == SUCCEEDED;
		exited += f->h[i].st == EXITED;
		bad += f->h[i].st >= UNREACHABLE;
		left += f->h[i].st == PENDING;
	}
	fprintf(stderr, "wrsh: %zu hosts: %zu succeeded", f->n, ok);
	list(f, EXITED, "exited non-zero");
	list(f, UNREACHABLE, "unreachable");
	list(f, REFUSED, "refused the credentials");
	list(f, FAILED, "failed");
	if (left)
		fprintf(stderr, ", %zu not started (interrupted)", left);
	fputc('\n', stderr);
	if (interrupted)
		return 130;
	return bad ? CLI_EXIT_ERROR : exited ? 1 : 0;
}

static int run_all(struct fanout *f, const struct applet *a)
{
	struct pollfd pf[2 * FANOUT_THROTTLE_MAX];
	struct slot *who[2 * FANOUT_THROTTLE_MAX];
	bool stopped = false;
	unsigned i;
	while ((f->next < f->n && !interrupted) || f->running) {
		nfds_t np = 0, j;
		if (interrupted && !stopped) { /* one SIGINT each: their handlers clean up */
			for (i = 0; i < f->throttle; i++)
				if (f->slot[i].h)
					kill(f->slot[i].pid, SIGINT);
			stopped = true;
		}
		for (i = 0; i < f->throttle && !interrupted && f->next < f->n; i++)
			if (!f->slot[i].h && start(f, &f->slot[i], &f->h[f->next++], a))
				return CLI_EXIT_ERROR;
		for (i = 0; i < f->throttle; i++) {
			struct slot *sl = &f->slot[i];
			int w;
			if (sl->h && sl->out[0].fd < 0 && sl->out[1].fd < 0)
				finish(f, sl);
			for (w = 0; sl->h && w < 2; w++)
				if (sl->out[w].fd >= 0) {
					pf[np].fd = sl->out[w].fd;
					pf[np].events = POLLIN;
					who[np++] = sl;
				}
		}
		if (!np)
			continue;
		if (poll(pf, np, -1) < 0 && errno != EINTR)
			return cli_error("poll: %s", strerror(errno)), CLI_EXIT_ERROR;
		for (j = 0; j < np; j++)
			if (pf[j].revents)
				read_stream(f, who[j], pf[j].fd == who[j]->out[1].fd);
	}
	return summary(f);
}

static bool has_flag(int argc, char **argv, const char *flag)
{
	int i;
	for (i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], flag))
			return true;
	return false;
}

/* --stats: what the fan-out can hold at once (each child prints its own
 * arena_peak as it ends) */
static void stats_line(const struct fanout *f)
{
	const char *m = find_value(f->argc, f->argv, "--mem", "--mem"); /* (long only) */
	unsigned long mem = m ? strtoul(m, NULL, 10) : CONFIG_WRSH_CLI_ARENA;
	unsigned t = f->throttle < f->n ? f->throttle : (unsigned)f->n;
	fprintf(stderr,
		"wrsh: stats fanout hosts=%zu throttle=%u arenas_at_once=%u arena_size=%lu "
		"arena_bound=%lu\n",
		f->n, f->throttle, t, mem, mem * t);
}

int fanout_main(const struct applet *a, int argc, char **argv)
{
	static char pw[256];
	struct fanout f;
	struct sigaction sa;
	const char *hosts = find_value(argc, argv, "-H", "--host");
	bool one = !hosts || (!strchr(hosts, ',') && hosts[0] != '@');
	int r = 2;
	memset(&f, 0, sizeof(f));
	if (take_options(&f, &argc, argv, one))
		return 2;
	if (one)
		return a->main(argc, argv);
	if (!strcmp(a->name, "shell"))
		return cli_error("shell is interactive: one host at a time"), 2;
	f.h = calloc(FANOUT_HOSTS_MAX, sizeof(*f.h));
	f.names = malloc(FANOUT_NAMES);
	f.slot = calloc(f.throttle, sizeof(*f.slot));
	if (!f.h || !f.names || !f.slot) {
		cli_error("cannot allocate the host table");
		r = CLI_EXIT_ERROR;
	} else if (parse_hosts(&f, hosts)) {
		r = 2;
	} else if (!f.n) {
		cli_error("no hosts in %s", hosts);
	} else if (needs_prompt(f.argc, f.argv) &&
		   conn_prompt_password(find_value(f.argc, f.argv, "-u", "--user"), "each host", pw,
					sizeof(pw))) {
		r = CLI_EXIT_ERROR;
	} else {
		if (pw[0])
			cli_password = pw; /* each child copies it (conn.c's get_password) */
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		if (has_flag(f.argc, f.argv, "--stats"))
			stats_line(&f);
		r = run_all(&f, a);
	}
	wrsh_wipe(pw, sizeof(pw));
	free(f.slot);
	free(f.names);
	free(f.h);
	return r;
}
