//config:config WRSH_APPLET_MASTER
//config:	bool "master: a warm session behind a unix socket, as ssh's ControlMaster (+5 KB)"
//config:	default y
//applet:master keep an authenticated session warm for other wrsh commands (--control)
//usage:wrsh master -H HOST [conn options] --control PATH [--persist DURATION]
//usage:Authenticates to HOST now, then serves `wrsh cmd|ps|put|get|cim --control PATH`:
//usage:they send their envelopes through this session, with no TCP, TLS or
//usage:NTLM/Kerberos handshake of their own. PATH is a unix socket only this user
//usage:may open (mode 0600; a client of another user is turned away). The session
//usage:reconnects and authenticates again after a network loss; the master exits
//usage:after DURATION without a client (default 10m; 30s, 2h, or seconds), or on
//usage:SIGINT/SIGTERM. One client at a time: others wait their turn. A `wrsh cmd`
//usage:client's shell is kept for the next one that asks for the same shell
//usage:(options alike), which then needs no Create or Delete: the master deletes
//usage:it when it exits, after 15 minutes unused, or when its client dies.
//usage:      --persist DURATION   idle time before exiting (default 10m)

/*
 * The master speaks plain HTTP/1.1 to its clients (each a wrsh whose
 * session has no credentials, see conn.c's open_control) and hands each
 * request's body to wrsh_relay(), which sends it with this session's
 * authentication and sealing; the answer's plain body goes back with its
 * status. Requests and answers are held whole in two buffers, each within
 * a cap (the client's largest request, twice the envelope an answer may
 * have): the master's memory does not grow with what goes through it.
 */
#define _GNU_SOURCE /* SO_PEERCRED's struct ucred */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "park.h"

#define MASTER_HEAD_MAX 8192
#define MASTER_REQUEST_MAX (512 * 1024) /* a put's largest request (its --envelope) */
#define MASTER_ANSWER_MAX (2 * 512 * 1024)

struct master {
	struct conn c;
	int lfd;
	unsigned persist_s;
	char head[MASTER_HEAD_MAX];
	char *req, *ans;
	size_t ans_n;
	struct park park;
	pid_t owner; /* the client that holds park.lent */
};

static volatile sig_atomic_t stopping;
/* SIGINT and SIGTERM are blocked but while the master waits for a client
 * (ppoll below), so one that comes mid-request is taken at the next wait
 * and none is lost between a check of `stopping` and the wait */
static sigset_t wait_mask;

static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

static int parse_duration(const char *s, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	unsigned long mul = !*end		? 1
			    : !strcmp(end, "s") ? 1
			    : !strcmp(end, "m") ? 60
			    : !strcmp(end, "h") ? 3600
						: 0;
	if (end == s || !mul || v > 86400 * 30 / mul)
		return -1;
	*out = (unsigned)(v * mul);
	return 0;
}

static int master_option(void *ctx, int opt, const char *arg)
{
	struct master *m = ctx;
	if (opt == 'P' && parse_duration(arg, &m->persist_s))
		return cli_error("--persist wants a duration: 600, 30s, 10m, 2h"), 2;
	return opt == 'P' ? 0 : -1;
}

/* The socket at path, mode 0600; a stale one (nobody answers) replaced. */
static int listen_at(const char *path)
{
	struct sockaddr_un sun;
	mode_t old;
	int fd, r;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return cli_error("--control: path too long"), -1;
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return cli_error("socket: %s", strerror(errno)), -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		close(fd);
		return cli_error("--control %s: a master already serves it", path), -1;
	}
	if (errno == ECONNREFUSED)
		unlink(path); /* a master that died without cleaning up */
	close(fd);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return cli_error("socket: %s", strerror(errno)), -1;
	old = umask(077);
	r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (r || chmod(path, 0600) || listen(fd, 16)) {
		cli_error("--control %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Wait for fd to be readable within the idle time: 1, 0 (idle, or a
 * signal to stop), -1. */
static int wait_in(int fd, unsigned seconds)
{
	struct pollfd p = {fd, POLLIN, 0};
	struct timespec ts = {(time_t)seconds, 0};
	int r = ppoll(&p, 1, &ts, &wait_mask);
	return r < 0 ? (errno == EINTR ? 0 : -1) : r;
}

/* Read until buf holds a whole head (CRLFCRLF) plus what came after it.
 * Returns the head's length with its blank line, 0 at a clean EOF, -1. */
static ssize_t read_head(struct master *m, int fd, size_t *have)
{
	for (;;) {
		char *end = *have ? memmem(m->head, *have, "\r\n\r\n", 4) : NULL;
		ssize_t k;
		if (end)
			return end + 4 - m->head;
		if (*have == sizeof(m->head) || wait_in(fd, m->persist_s) <= 0)
			return -1;
		k = read(fd, m->head + *have, sizeof(m->head) - *have);
		if (k <= 0)
			return k == 0 && !*have ? 0 : -1;
		*have += (size_t)k;
	}
}

static long content_length(const char *head, size_t n)
{
	const char *p = head, *end = head + n;
	while (p < end) {
		const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
		if (!eol)
			break;
		if (eol - p > 15 && !strncasecmp(p, "Content-Length:", 15))
			return strtol(p + 15, NULL, 10);
		p = eol + 2;
	}
	return -1;
}

static wrsh_err keep_answer(void *ctx, const void *p, size_t n)
{
	struct master *m = ctx;
	if (n > MASTER_ANSWER_MAX - m->ans_n)
		return WRSH_ELIMIT;
	memcpy(m->ans + m->ans_n, p, n);
	m->ans_n += n;
	return WRSH_OK;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL); /* a client gone is EPIPE */
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k, n -= (size_t)k;
	}
	return 0;
}

/* One request: relayed, answered. 0 to go on with the connection, -1 not. */
static int serve_one(struct master *m, int fd, size_t *have)
{
	ssize_t hl = read_head(m, fd, have);
	long len;
	size_t got;
	int status = 0;
	char line[160];
	wrsh_err e;
	long lent;
	if (hl <= 0)
		return -1;
	len = content_length(m->head, (size_t)hl);
	if (len < 0 || len > MASTER_REQUEST_MAX)
		return write_all(fd, "HTTP/1.1 413 Too Large\r\nContent-Length: 0\r\n\r\n", 45), -1;
	got = *have - (size_t)hl < (size_t)len ? *have - (size_t)hl : (size_t)len;
	memcpy(m->req, m->head + hl, got);
	memmove(m->head, m->head + hl + got, *have - (size_t)hl - got);
	*have -= (size_t)hl + got;
	while (got < (size_t)len) {
		ssize_t k = wait_in(fd, m->persist_s) > 0
				    ? read(fd, m->req + got, (size_t)len - got)
				    : -1;
		if (k <= 0)
			return -1;
		got += (size_t)k;
	}
	m->ans_n = 0;
	if ((lent = park_answer(&m->park, m->c.s, m->req, got, m->ans, MASTER_ANSWER_MAX)) > 0) {
		m->ans_n = (size_t)lent;
		status = 200;
	} else {
		/* the client's own OperationTimeout rules the wait; its --timeout
		 * bounds ours beyond that, so a long Receive is not cut short */
		e = wrsh_relay(m->c.s, m->req, got, 20000u + m->c.o.timeout_s * 1000u * 2,
			       keep_answer, m, &status);
		if (e) {
			conn_fail(&m->c, e); /* said on the master's stderr; the client hears 502 */
			status = 502;
			m->ans_n = 0;
		}
		park_learn(&m->park, m->req, got, status, m->ans, m->ans_n);
	}
	snprintf(line, sizeof(line),
		 "HTTP/1.1 %d %s\r\nContent-Type: application/soap+xml;charset=UTF-8\r\n"
		 "Content-Length: %zu\r\n\r\n",
		 status,
		 status == 200	 ? "OK"
		 : status == 502 ? "Bad Gateway"
				 : "Error",
		 m->ans_n);
	if (write_all(fd, line, strlen(line)) || write_all(fd, m->ans, m->ans_n))
		return -1;
	park_tidy(&m->park, m->c.s); /* after the answer: the client need not wait */
	return 0;
}

/* Only this user's processes: the session holds this user's credentials. */
static bool peer_is_us(int fd, pid_t *pid)
{
	struct ucred cr;
	socklen_t n = sizeof(cr);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &n) || cr.uid != geteuid())
		return false;
	*pid = cr.pid;
	return true;
}

static time_t now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec;
}

/*
 * A client's library drops its connection and opens another when a signal
 * wakes it mid-Receive (a Ctrl-C on its way to the command), so a closed
 * connection does not mean a client gone: the shell it holds is deleted
 * once its process is, looked at each second while it holds one.
 */
static void look_for_owner(struct master *m)
{
	if (m->park.lent.used && kill(m->owner, 0) && errno == ESRCH)
		park_client_gone(&m->park, m->c.s);
}

static int serve(struct master *m)
{
	time_t idle_since = now_s();
	for (;;) {
		size_t have = 0;
		time_t idle = now_s() - idle_since;
		unsigned left = idle >= (time_t)m->persist_s ? 0 : m->persist_s - (unsigned)idle;
		int fd, r = wait_in(m->lfd, m->park.lent.used && left > 1 ? 1 : left);
		pid_t pid;
		if (stopping)
			return 0;
		if (r < 0)
			return cli_error("poll: %s", strerror(errno)), CLI_EXIT_ERROR;
		look_for_owner(m);
		if (r == 0 && !left)
			return 0;
		if (r == 0 || (fd = accept4(m->lfd, NULL, NULL, SOCK_CLOEXEC)) < 0)
			continue;
		if (peer_is_us(fd, &pid))
			while (!stopping && !serve_one(m, fd, &have))
				if (m->park.lent.used)
					m->owner = pid;
		close(fd);
		idle_since = now_s();
	}
}

static wrsh_err ignore_prop(void *ctx, const char *name, const char *value, size_t len)
{
	(void)ctx, (void)name, (void)value, (void)len;
	return WRSH_OK;
}

int master_main(int argc, char **argv)
{
	static const struct option longopts[] = {{"persist", required_argument, NULL, 'P'},
						 {NULL, 0, NULL, 0}};
	static struct master m;
	struct applet_opts ao = {"", longopts, master_option, &m};
	struct conn_opts o;
	struct sigaction sa;
	sigset_t stop_set;
	int first, status = 0;
	wrsh_err e;
	m.persist_s = 600;
	first = conn_parse(argc, argv, &o, &ao, &status);
	if (first < 0)
		return status;
	if (first < argc || !o.control)
		return cli_error("master takes --control PATH and no operands"), 2;
	if (!o.send_buf)
		o.send_buf = MASTER_REQUEST_MAX; /* any client's request fits */
	if (o.mem < 4 * (size_t)MASTER_REQUEST_MAX)
		o.mem = 4 * (size_t)MASTER_REQUEST_MAX;
	m.req = malloc(MASTER_REQUEST_MAX);
	m.ans = malloc(MASTER_ANSWER_MAX);
	if (!m.req || !m.ans)
		return cli_error("cannot allocate the master's buffers"), CLI_EXIT_ERROR;
	if ((m.lfd = listen_at(o.control)) < 0)
		return CLI_EXIT_ERROR;
	if ((status = conn_open(&m.c, &o, true))) {
		unlink(o.control);
		return status;
	}
	/* authenticate now: a wrong password is said here, not to a client */
	e = wrsh_identify(m.c.s, true, ignore_prop, NULL);
	if (e) {
		status = conn_fail(&m.c, e);
	} else {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_stop;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigemptyset(&stop_set);
		sigaddset(&stop_set, SIGINT);
		sigaddset(&stop_set, SIGTERM);
		sigprocmask(SIG_BLOCK, &stop_set, &wait_mask);
		fprintf(stderr, "wrsh: master: %s ready on %s (exits after %u s idle)\n", o.host,
			o.control, m.persist_s);
		status = serve(&m);
		park_close(&m.park, m.c.s);
		if (m.park.lends)
			fprintf(stderr, "wrsh: master: %u shells lent from the park\n",
				m.park.lends);
	}
	close(m.lfd);
	unlink(o.control);
	conn_close(&m.c);
	free(m.req);
	free(m.ans);
	return status;
}
