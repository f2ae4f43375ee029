/*
 * Several sessions in several threads at once (issue 13): each thread owns
 * a session, its arena and a mock server, and runs Windows' recorded
 * create/command/receive/delete exchange (pypsrp "standard") round after
 * round. Built and run under ThreadSanitizer (`make test-tsan`): any shared
 * mutable state the library touches, such as a "current arena" that
 * expat's or mbedTLS's hooks read, is a reported race and fails the run.
 * Without TSan it still checks that every session got its own answers and
 * that every arena is empty at the end.
 *
 * The threads share nothing but the read-only recordings, read once before
 * they start; each prints nothing and reports through its own struct.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "mock.h"
#include "wrsh.h"

#define THREADS 4
#define ROUNDS 25
#define STD "tests/replay/windows/pypsrp-winrs-standard/"
#define SOAP_CT "application/soap+xml;charset=UTF-8"

static const char *const files[] = {STD "001-response.xml", STD "002-response.xml",
				    STD "003-response.xml", STD "005-response.xml"};
#define NFILES (sizeof(files) / sizeof(files[0]))

struct recording {
	char body[16384];
	size_t len;
};

struct worker {
	int id;
	const struct recording *rec; /* NFILES of them, read-only */
	unsigned char arena_buf[256 * 1024] __attribute__((aligned(16)));
	uint8_t store[64 * 1024], sent[64 * 1024];
	char out[256];
	size_t out_n;
	int rounds_ok;
	size_t peak;
	char why[160];
};

static wrsh_err collect(void *ctx, int stream, const void *p, size_t n)
{
	struct worker *w = ctx;
	if (stream != 1 || n > sizeof(w->out) - w->out_n)
		return WRSH_OK;
	memcpy(w->out + w->out_n, p, n);
	w->out_n += n;
	return WRSH_OK;
}

static bool failed(struct worker *w, const char *step, wrsh_err e, struct wrsh_session *s)
{
	snprintf(w->why, sizeof(w->why), "%s: %s (%s)", step, wrsh_strerror(e),
		 s ? wrsh_errmsg(s) : "");
	return false;
}

/* One whole exchange on a fresh session in w's arena. */
static bool one_round(struct worker *w, struct wrsh_arena *a)
{
	static const char *const args[] = {"/c", "echo", "hi"};
	struct mock_port m;
	struct wrsh_port port;
	struct wrsh_opts o;
	struct wrsh_session *s = NULL;
	uint32_t code = 99;
	bool done = false, ok;
	wrsh_err e;
	size_t i;

	mock_init(&m, &port, w->store, sizeof(w->store), w->sent, sizeof(w->sent));
	for (i = 0; i < NFILES; i++)
		if (!mock_add_http(&m, 200, SOAP_CT, w->rec[i].body, w->rec[i].len, 0))
			return failed(w, "queue", WRSH_ENOMEM, NULL);
	memset(&o, 0, sizeof(o));
	o.host = "win.example";
	o.auth = WRSH_AUTH_BASIC;
	o.user = "alice";
	o.password = "Passw0rd!";
	o.allow_unencrypted = true;
	w->out_n = 0;
	if ((e = wrsh_open(&s, a, &port, &o)))
		return failed(w, "open", e, s);
	if ((e = wrsh_shell_open(s, NULL)))
		ok = failed(w, "shell", e, s);
	else if ((e = wrsh_cmd_start(s, "cmd.exe", args, 3)))
		ok = failed(w, "command", e, s);
	else if ((e = wrsh_cmd_receive(s, collect, w, 0, &done, &code)))
		ok = failed(w, "receive", e, s);
	else if (!done || code != 0 || w->out_n != 4 || memcmp(w->out, "hi\r\n", 4))
		ok = failed(w, "output", WRSH_EPROTO, NULL);
	else if ((e = wrsh_shell_close(s)))
		ok = failed(w, "delete", e, s);
	else
		ok = true;
	wrsh_close(s);
	if (ok && wrsh_arena_in_use(a) != 0)
		ok = failed(w, "arena not empty after close", WRSH_ESTATE, NULL);
	return ok;
}

static void *run(void *arg)
{
	struct worker *w = arg;
	struct wrsh_arena *a = wrsh_arena_init(w->arena_buf, sizeof(w->arena_buf));
	int r;
	for (r = 0; r < ROUNDS && one_round(w, a); r++)
		w->rounds_ok++;
	w->peak = wrsh_arena_peak(a);
	return NULL;
}

static bool slurp(const char *path, struct recording *r)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	r->len = fread(r->body, 1, sizeof(r->body), f);
	fclose(f);
	return r->len > 0 && r->len < sizeof(r->body);
}

int main(void)
{
	static struct recording rec[NFILES];
	static struct worker w[THREADS];
	pthread_t tid[THREADS];
	int i, bad = 0;
	size_t k;

	for (k = 0; k < NFILES; k++)
		if (!slurp(files[k], &rec[k])) {
			fprintf(stderr, "threads: cannot read %s\n", files[k]);
			return 1;
		}
	for (i = 0; i < THREADS; i++) {
		w[i].id = i;
		w[i].rec = rec;
		if (pthread_create(&tid[i], NULL, run, &w[i])) {
			fprintf(stderr, "threads: pthread_create failed\n");
			return 1;
		}
	}
	for (i = 0; i < THREADS; i++)
		pthread_join(tid[i], NULL);
	for (i = 0; i < THREADS; i++) {
		if (w[i].rounds_ok == ROUNDS)
			continue;
		fprintf(stderr, "threads: session %d failed in round %d: %s\n", i,
			w[i].rounds_ok + 1, w[i].why);
		bad = 1;
	}
	/* the same exchange in the same sized arena: the same high-water mark */
	for (i = 1; i < THREADS; i++)
		if (w[i].peak != w[0].peak) {
			fprintf(stderr, "threads: arena peaks differ: %zu vs %zu\n", w[i].peak,
				w[0].peak);
			bad = 1;
		}
	printf("threads: %d sessions x %d rounds in parallel, arena peak %zu bytes each%s\n",
	       THREADS, ROUNDS, w[0].peak, bad ? ": FAILED" : "");
	return bad;
}
