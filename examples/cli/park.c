/* A control master's parked cmd shell (see park.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "cli.h"
#include "park.h"

#define CMD_URI "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd"

enum kind { K_OTHER, K_CREATE, K_DELETE, K_COMMAND, K_SIGNAL };

struct span {
	const char *p;
	size_t n;
};

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.';
}

/* The text of the first element of this local name, any prefix, in d:
 * from its start tag's '>' to the next '<' (empty for <x/>). */
static bool elem(struct span d, const char *name, struct span *out)
{
	const char *end = d.p + d.n, *q = d.p;
	size_t k = strlen(name);
	while (q < end && (q = memmem(q, (size_t)(end - q), name, k))) {
		const char *lt = q, *t = q + k, *gt, *e;
		q = t;
		if (lt > d.p && lt[-1] == ':')
			for (lt--; lt > d.p && name_char(lt[-1]); lt--)
				;
		if (lt == d.p || lt[-1] != '<' || t == end || (*t != '>' && *t != ' '))
			continue;
		if (!(gt = memchr(t, '>', (size_t)(end - t))))
			return false;
		if (gt[-1] == '/') {
			out->p = gt, out->n = 0;
			return true;
		}
		if (!(e = memchr(gt + 1, '<', (size_t)(end - gt - 1))))
			return false;
		out->p = gt + 1, out->n = (size_t)(e - gt - 1);
		return true;
	}
	return false;
}

/* The text after the first `mark` (which ends in '>'), up to '<'. */
static bool after(struct span d, const char *mark, struct span *out)
{
	const char *end = d.p + d.n, *q = memmem(d.p, d.n, mark, strlen(mark)), *e;
	if (!q)
		return false;
	q += strlen(mark);
	if (!(e = memchr(q, '<', (size_t)(end - q))))
		return false;
	out->p = q, out->n = (size_t)(e - q);
	return true;
}

static bool is(struct span a, const char *s)
{
	return a.n == strlen(s) && !memcmp(a.p, s, a.n);
}

static bool ends(struct span a, const char *s)
{
	size_t k = strlen(s);
	return a.n >= k && !memcmp(a.p + a.n - k, s, k);
}

static bool fits_id(struct span a)
{
	return a.n && a.n < WRSH_SHELL_ID_MAX && !memchr(a.p, '"', a.n);
}

static enum kind kind_of(struct span req)
{
	struct span a, r;
	if (!elem(req, "Action", &a) || !elem(req, "ResourceURI", &r) || !is(r, CMD_URI))
		return K_OTHER;
	return ends(a, "/transfer/Create")   ? K_CREATE
	       : ends(a, "/transfer/Delete") ? K_DELETE
	       : ends(a, "/shell/Command")   ? K_COMMAND
	       : ends(a, "/shell/Signal")    ? K_SIGNAL
					     : K_OTHER;
}

/* Does req name shell sh (its ShellId selector)? */
static bool names(struct span req, const struct park_shell *sh)
{
	struct span id;
	return sh->used && after(req, "Name=\"ShellId\">", &id) && is(id, sh->id);
}

/* req without the texts of its MessageID and SessionId: what makes two
 * clients' Creates ask for the same shell. */
static bool make_key(struct span req, char *key, size_t *kn)
{
	struct span cut[2];
	const char *p = req.p;
	size_t n = 0, i;
	if (!elem(req, "MessageID", &cut[0]))
		return false;
	if (!elem(req, "SessionId", &cut[1]))
		cut[1] = cut[0];
	if (cut[1].p < cut[0].p) {
		struct span t = cut[0];
		cut[0] = cut[1], cut[1] = t;
	}
	if (req.n > PARK_CREATE_MAX)
		return false;
	for (i = 0; i < 2; i++) {
		if (cut[i].p < p)
			continue; /* the same span twice */
		memcpy(key + n, p, (size_t)(cut[i].p - p));
		n += (size_t)(cut[i].p - p);
		p = cut[i].p + cut[i].n;
	}
	memcpy(key + n, p, (size_t)(req.p + req.n - p));
	*kn = n + (size_t)(req.p + req.n - p);
	return true;
}

static void copy_id(char *dst, struct span id)
{
	memcpy(dst, id.p, id.n);
	dst[id.n] = 0;
}

/* The stored answer with its RelatesTo naming the client's request. */
static long relate(const char *a, size_t an, struct span msg_id, char *out, size_t cap)
{
	struct span d = {a, an}, r;
	size_t head, tail;
	if (!elem(d, "RelatesTo", &r))
		return 0;
	head = (size_t)(r.p - a);
	tail = an - head - r.n;
	if (head + msg_id.n + tail > cap)
		return 0;
	memcpy(out, a, head);
	memcpy(out + head, msg_id.p, msg_id.n);
	memcpy(out + head + msg_id.n, r.p + r.n, tail);
	return (long)(head + msg_id.n + tail);
}

static long deleted(struct span msg_id, char *out, size_t cap)
{
	unsigned char u[16] = {0};
	int n;
	if (getrandom(u, sizeof(u), 0) != (ssize_t)sizeof(u))
		return 0;
	u[6] = (unsigned char)((u[6] & 0x0f) | 0x40), u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);
	n = snprintf(
		out, cap,
		"<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
		"xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\"><s:Header>"
		"<a:Action>http://schemas.xmlsoap.org/ws/2004/09/transfer/DeleteResponse"
		"</a:Action><a:MessageID>uuid:%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-"
		"%02X%02X%02X%02X%02X%02X</a:MessageID><a:To>http://schemas.xmlsoap.org/ws/2004/"
		"08/addressing/role/anonymous</a:To><a:RelatesTo>%.*s</a:RelatesTo></s:Header>"
		"<s:Body></s:Body></s:Envelope>",
		u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
		u[13], u[14], u[15], (int)msg_id.n, msg_id.p);
	return n > 0 && (size_t)n < cap ? n : 0;
}

static void release(struct wrsh_session *s, struct park_shell *sh)
{
	if (sh->used && wrsh_relay_delete(s, sh->id))
		cli_error("master: shell %s not deleted: %s", sh->id, s ? wrsh_errmsg(s) : "");
	sh->used = false;
}

/* A Create of the parked shell's kind: lend it. */
static long lend(struct park *p, struct wrsh_session *s, struct span req, char *ans, size_t cap)
{
	static char key[PARK_CREATE_MAX];
	struct span msg_id;
	size_t kn;
	long n;
	if (time(NULL) - p->parked_at > PARK_IDLE_MAX_S) {
		release(s, &p->parked);
		return 0;
	}
	if (p->parked.cmd_open || !make_key(req, key, &kn) || kn != p->parked.key_n ||
	    memcmp(key, p->parked.key, kn) || !elem(req, "MessageID", &msg_id) ||
	    !(n = relate(p->parked.answer, p->parked.answer_n, msg_id, ans, cap)))
		return 0;
	p->lent = p->parked;
	p->parked.used = false;
	p->lends++;
	return n;
}

/* The client deletes its shell: park it instead (park_tidy cleans it). */
static long park(struct park *p, struct wrsh_session *s, struct span req, char *ans, size_t cap)
{
	struct span msg_id;
	long n;
	if (p->lent.tainted || !elem(req, "MessageID", &msg_id) || !(n = deleted(msg_id, ans, cap)))
		return 0;	/* its Delete goes to the server */
	release(s, &p->parked); /* the newest kind stays warm */
	p->parked = p->lent;
	p->parked_at = time(NULL);
	p->lent.used = false;
	return n;
}

/* see park.h */
long park_answer(struct park *p, struct wrsh_session *s, const char *req, size_t n, char *ans,
		 size_t cap)
{
	struct span r = {req, n};
	switch (kind_of(r)) {
	case K_CREATE:
		return p->parked.used && !p->lent.used ? lend(p, s, r, ans, cap) : 0;
	case K_DELETE:
		return names(r, &p->lent) ? park(p, s, r, ans, cap) : 0;
	default:
		return 0;
	}
}

static void learn_create(struct park *p, struct span req, struct span a)
{
	struct park_shell *sh = &p->lent;
	struct span id, rel;
	if (a.n > sizeof(sh->answer) || !elem(a, "RelatesTo", &rel) ||
	    !(after(a, "Name=\"ShellId\">", &id) || elem(a, "ShellId", &id)) || !fits_id(id) ||
	    !make_key(req, sh->key, &sh->key_n))
		return;
	copy_id(sh->id, id);
	memcpy(sh->answer, a.p, a.n);
	sh->answer_n = a.n;
	sh->cmd_open = sh->tainted = false;
	sh->used = true;
}

/* see park.h */
void park_learn(struct park *p, const char *req, size_t n, int status, const char *ans, size_t an)
{
	struct span r = {req, n}, a = {ans, an}, id, code;
	enum kind k = kind_of(r);
	if (k == K_CREATE) {
		if (status == 200 && !p->lent.used)
			learn_create(p, r, a);
		return;
	}
	if (k == K_OTHER || !names(r, &p->lent))
		return;
	if (k == K_DELETE) {
		p->lent.used = false; /* its client deleted it */
	} else if (status != 200) {
		p->lent.tainted = true; /* in a state we cannot vouch for */
	} else if (k == K_COMMAND) {
		if (elem(a, "CommandId", &id) && fits_id(id))
			copy_id(p->lent.cmd, id), p->lent.cmd_open = true;
		else
			p->lent.tainted = true;
	} else if (k == K_SIGNAL && elem(r, "Code", &code) && ends(code, "/terminate")) {
		p->lent.cmd_open = false;
	}
}

/* see park.h */
void park_tidy(struct park *p, struct wrsh_session *s)
{
	if (!p->parked.used || !p->parked.cmd_open)
		return;
	if (wrsh_relay_terminate(s, p->parked.id, p->parked.cmd))
		release(s, &p->parked);
	p->parked.cmd_open = false;
}

/* see park.h */
void park_client_gone(struct park *p, struct wrsh_session *s)
{
	release(s, &p->lent);
}

/* see park.h */
void park_close(struct park *p, struct wrsh_session *s)
{
	release(s, &p->lent);
	release(s, &p->parked);
}
