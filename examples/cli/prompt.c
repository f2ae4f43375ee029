/*
 * Host calls that wait for the user (MS-PSRP 2.2.3.17): Read-Host's
 * ReadLine, $Host.UI.Prompt's fields and PromptForChoice, answered from
 * stdin one line each, the prompt text on stderr so that stdout keeps
 * only the script's output. Secure strings and credentials
 * (ReadLineAsSecureString, PromptForCredential, Prompt's SecureString
 * fields) are read from the terminal with echo off and sent encrypted
 * (CONFIG_WRSH_PSRP_SECURE); without a terminal on stdin they are refused.
 * What a text client cannot answer (multiple choice, credential fields,
 * anything unknown) is refused: the script sees the host method throw,
 * with our reason, instead of waiting.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"

#ifndef CONFIG_WRSH_PSRP_SECRET_MAX /* Kconfig names none without secure strings */
#define CONFIG_WRSH_PSRP_SECRET_MAX 256
#endif

static void q_start(struct prompt *q, size_t *slot)
{
	if (q->n + 1 >= sizeof(q->buf)) {
		q->cut = true;
		q->target = NULL;
		return;
	}
	*slot = q->n;
	q->target = slot;
}

static size_t *q_item(struct prompt *q)
{
	if (q->nitems >= PROMPT_ITEMS) {
		q->cut = true;
		return NULL;
	}
	return &q->item[q->nitems++].name;
}

/* Which string of the call a value is: positional strings (caption,
 * message, ...) sit right in mp's list; choices and fields are objects
 * whose private fields keep their .NET names (label, name, ...). */
static void q_route(struct prompt *q, unsigned method, const struct wrsh_ps_node *n)
{
	size_t *slot = NULL;
	bool choice = method == WRSH_PS_HOST_PROMPT_CHOICE;
	struct prompt_item *cur = q->nitems ? &q->item[q->nitems - 1] : NULL;
	q->target = NULL;
	q->in_default = n->depth == 5 && !strcmp(n->tag, "I32");
	/* a Nil holds its place too: PromptForCredential's userName may be one */
	if (n->depth == 5 && (!strcmp(n->tag, "S") || !strcmp(n->tag, "Nil")) && !n->name)
		slot = q->nargs < PROMPT_ARGS ? &q->arg[q->nargs++] : NULL;
	else if (n->name && !strcmp(n->name, "label"))
		slot = choice ? q_item(q) : cur ? &cur->label : NULL;
	else if (n->name && !strcmp(n->name, "name") && !choice)
		slot = q_item(q);
	else if (n->name && !strcmp(n->name, "parameterTypeFullName") && cur)
		slot = &cur->type;
	if (slot)
		q_start(q, slot);
}

void prompt_reset(struct prompt *q)
{
	memset(q, 0, sizeof(*q));
	q->n = 1; /* offset 0: the empty string */
	q->def = -1;
}

void prompt_text(struct prompt *q, unsigned method, const struct wrsh_ps_node *n, const char *p,
		 size_t len, bool last)
{
	if (!q->in_value) {
		q_route(q, method, n);
		q->in_value = true;
		if (q->in_default)
			q->def = 0, q->def_neg = false;
	}
	if (q->in_default) {
		size_t i;
		for (i = 0; i < len; i++)
			if (p[i] == '-')
				q->def_neg = true;
			else if (p[i] >= '0' && p[i] <= '9' && q->def < 100000)
				q->def = q->def * 10 + (p[i] - '0');
	} else if (q->target) {
		size_t room = sizeof(q->buf) - 1 - q->n;
		if (len > room) {
			len = room;
			q->cut = true;
		}
		memcpy(q->buf + q->n, p, len);
		q->n += len;
	}
	if (last) {
		if (q->target)
			q->buf[q->n++] = 0; /* q_start kept room for it */
		if (q->in_default && q->def_neg)
			q->def = -1;
		q->in_value = q->in_default = false;
		q->target = NULL;
	}
}

static const char *s_at(const struct prompt *q, size_t off)
{
	return q->buf + off;
}

/* A line of stdin without its end; false at end of input. */
static bool read_answer(char *line, size_t cap)
{
	fflush(stderr);
	if (!fgets(line, (int)cap, stdin))
		return false;
	line[strcspn(line, "\r\n")] = 0;
	return true;
}

static wrsh_err refuse(struct wrsh_session *s, const char *why)
{
	struct wrsh_ps_answer a = {WRSH_PS_ANSWER_REFUSE, why, 0, NULL, NULL, 0, NULL, NULL};
	return wrsh_ps_host_answer(s, &a);
}

static void print_heading(const struct prompt *q)
{
	if (q->nargs > 0 && *s_at(q, q->arg[0]))
		fprintf(stderr, "%s\n", s_at(q, q->arg[0]));
	if (q->nargs > 1 && *s_at(q, q->arg[1]))
		fprintf(stderr, "%s\n", s_at(q, q->arg[1]));
}

/* "&Yes": the hot key follows the ampersand; shown without it. */
static char hotkey(const char *label)
{
	const char *amp = strchr(label, '&');
	return amp && amp[1] ? amp[1] : label[0];
}

static bool label_is(const char *label, const char *answer)
{
	for (; *label && *answer; label++) {
		if (*label == '&')
			continue;
		if ((*label | 0x20) != (*answer | 0x20))
			return false;
		answer++;
	}
	while (*label == '&')
		label++;
	return !*label && !*answer;
}

static int find_choice(const struct prompt *q, const char *answer)
{
	unsigned i;
	if (!*answer)
		return q->def >= 0 && (unsigned)q->def < q->nitems ? q->def : -1;
	for (i = 0; i < q->nitems; i++) {
		const char *label = s_at(q, q->item[i].name);
		if ((!answer[1] && (hotkey(label) | 0x20) == (answer[0] | 0x20)) ||
		    label_is(label, answer))
			return (int)i;
	}
	return -1;
}

/* PromptForChoice: "[Y] Yes  [N] No  (default is "Y"): " until a valid
 * answer; an empty line takes the default. */
static wrsh_err choose(struct wrsh_session *s, const struct prompt *q)
{
	struct wrsh_ps_answer a = {WRSH_PS_ANSWER_CHOICE, NULL, 0, NULL, NULL, 0, NULL, NULL};
	char line[256];
	unsigned i;
	int pick = -1;
	if (!q->nitems || q->cut)
		return refuse(s, "wrsh: a choice with no labels or more than the client shows");
	print_heading(q);
	while (pick < 0) {
		for (i = 0; i < q->nitems; i++) {
			const char *label = s_at(q, q->item[i].name), *c;
			fprintf(stderr, "[%c] ", hotkey(label));
			for (c = label; *c; c++)
				if (*c != '&')
					fputc(*c, stderr);
			fputs("  ", stderr);
		}
		if (q->def >= 0 && (unsigned)q->def < q->nitems)
			fprintf(stderr, "(default is \"%c\")",
				hotkey(s_at(q, q->item[q->def].name)));
		fputs(": ", stderr);
		if (!read_answer(line, sizeof(line)))
			return refuse(s, "wrsh: no answer to the choice (end of input)");
		pick = find_choice(q, line);
	}
	a.choice = pick;
	return wrsh_ps_host_answer(s, &a);
}

#define NO_TTY "wrsh: a secure prompt needs a terminal (stdin is not one)"
#define NO_SECURE "wrsh: secure strings are not built into this wrsh (CONFIG_WRSH_PSRP_SECURE)"
#define TOO_LONG "wrsh: a secret longer than CONFIG_WRSH_PSRP_SECRET_MAX bytes"

/* A secret from the terminal on stdin, echo off, read straight into buf
 * (no stdio buffer keeps a copy): false at end of input or when it does
 * not fit (*cut; never sent cut short). The caller checked isatty(0). */
static bool read_secret(const char *label, char *buf, size_t cap, bool *cut)
{
	struct termios old, quiet;
	size_t n = 0;
	bool got = false;
	char c;
	*cut = false;
	/* echo off before the label shows, so that what is typed as soon as
	 * it appears is not echoed (as conn.c's password prompt) */
	tcgetattr(0, &old);
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(0, TCSANOW, &quiet);
	if (label)
		fputs(label, stderr);
	fflush(stderr);
	while (read(0, &c, 1) == 1) {
		got = true;
		if (c == '\n' || c == '\r')
			break;
		if (n + 1 < cap)
			buf[n++] = c;
		else
			*cut = true;
	}
	buf[n] = 0;
	c = 0;
	tcsetattr(0, TCSANOW, &old);
	fputc('\n', stderr); /* the one the terminal did not echo */
	if (*cut)
		wrsh_wipe(buf, cap);
	return got && !*cut;
}

static wrsh_err secret_line(struct wrsh_session *s)
{
	struct wrsh_ps_answer a = {WRSH_PS_ANSWER_SECURE, NULL, 0, NULL, NULL, 0, NULL, NULL};
	char secret[CONFIG_WRSH_PSRP_SECRET_MAX + 1];
	bool cut;
	wrsh_err e;
	if (!CONFIG_WRSH_PSRP_SECURE)
		return refuse(s, NO_SECURE);
	if (!isatty(0))
		return refuse(s, NO_TTY);
	if (!read_secret(NULL, secret, sizeof(secret), &cut))
		return refuse(s, cut ? TOO_LONG
				     : "wrsh: no answer to the secure prompt (end of input)");
	a.secret = secret;
	e = wrsh_ps_host_answer(s, &a);
	wrsh_wipe(secret, sizeof(secret));
	return e;
}

/* PromptForCredential(caption, message, userName, targetName[, ...]):
 * "User: " unless the call names one, then "Password for user X: ". */
static wrsh_err credential(struct wrsh_session *s, const struct prompt *q)
{
	struct wrsh_ps_answer a = {WRSH_PS_ANSWER_CREDENTIAL, NULL, 0, NULL, NULL, 0, NULL, NULL};
	char user[256], label[300], secret[CONFIG_WRSH_PSRP_SECRET_MAX + 1];
	bool cut;
	wrsh_err e;
	if (!CONFIG_WRSH_PSRP_SECURE)
		return refuse(s, NO_SECURE);
	if (!isatty(0))
		return refuse(s, NO_TTY);
	print_heading(q);
	if (q->nargs > 2 && *s_at(q, q->arg[2])) {
		snprintf(user, sizeof(user), "%s", s_at(q, q->arg[2]));
	} else {
		fputs("User: ", stderr);
		if (!read_answer(user, sizeof(user)))
			return refuse(s, "wrsh: no answer to the credential prompt (end of input)");
	}
	snprintf(label, sizeof(label), "Password for user %s: ", user);
	if (!read_secret(label, secret, sizeof(secret), &cut)) {
		wrsh_wipe(secret, sizeof(secret));
		return refuse(s, cut ? TOO_LONG
				     : "wrsh: no answer to the credential prompt (end of input)");
	}
	a.text = user;
	a.secret = secret;
	e = wrsh_ps_host_answer(s, &a);
	wrsh_wipe(secret, sizeof(secret));
	return e;
}

static bool type_is(const char *type, const char *name)
{
	return strstr(type, name) != NULL;
}

/* Prompt: one line per field, "Label: "; a Hashtable of name -> text, a
 * SecureString field read with echo off and sent as one. */
static wrsh_err fields(struct wrsh_session *s, const struct prompt *q)
{
	static char answers[PROMPT_ITEMS][512];
	/* a secret field: what the library takes, within the field's buffer */
	const size_t secret_room = CONFIG_WRSH_PSRP_SECRET_MAX + 1 < sizeof(answers[0])
					   ? CONFIG_WRSH_PSRP_SECRET_MAX + 1
					   : sizeof(answers[0]);
	const char *names[PROMPT_ITEMS], *values[PROMPT_ITEMS];
	bool secure[PROMPT_ITEMS];
	struct wrsh_ps_answer a = {WRSH_PS_ANSWER_FIELDS, NULL, 0, names, values, 0, NULL, secure};
	unsigned i;
	wrsh_err e;
	if (q->cut)
		return refuse(s, "wrsh: a prompt with more fields than the client shows");
	for (i = 0; i < q->nitems; i++) {
		const char *type = s_at(q, q->item[i].type);
		if (type_is(type, "PSCredential"))
			return refuse(s, "wrsh: this client does not answer credential fields "
					 "(use Get-Credential)");
		secure[i] = type_is(type, "SecureString");
		if (secure[i] && !CONFIG_WRSH_PSRP_SECURE)
			return refuse(s, NO_SECURE);
		if (secure[i] && !isatty(0))
			return refuse(s, NO_TTY);
	}
	print_heading(q);
	for (i = 0; i < q->nitems; i++) {
		const char *label = s_at(q, q->item[i].label);
		bool got, cut = false;
		char shown[300];
		snprintf(shown, sizeof(shown), "%s: ", *label ? label : s_at(q, q->item[i].name));
		if (!secure[i])
			fputs(shown, stderr);
		got = secure[i] ? read_secret(shown, answers[i], secret_room, &cut)
				: read_answer(answers[i], sizeof(answers[i]));
		if (!got) {
			e = refuse(s,
				   cut ? TOO_LONG : "wrsh: no answer to the prompt (end of input)");
			goto wipe;
		}
		names[i] = s_at(q, q->item[i].name);
		values[i] = answers[i];
	}
	a.n = q->nitems;
	e = wrsh_ps_host_answer(s, &a);
wipe:
	wrsh_wipe(answers, sizeof(answers)); /* answers may be secrets */
	return e;
}

wrsh_err prompt_answer(struct wrsh_session *s, const struct prompt *q, bool stdin_free)
{
	char line[4096], why[160];
	int method = 0;
	const char *name = "";
	wrsh_err e;
	(void)wrsh_ps_host_call(s, &method, &name);
	if (!stdin_free)
		return refuse(s, "wrsh: stdin carries pipeline input (--input): no answers to "
				 "host prompts");
	switch (method) {
	case WRSH_PS_HOST_READ_LINE:
		if (!read_answer(line, sizeof(line)))
			return wrsh_ps_host_reply(s, NULL); /* $null, as at a console's EOF */
		e = wrsh_ps_host_reply(s, line);
		wrsh_wipe(line, sizeof(line)); /* it may have been a secret */
		return e;
	case WRSH_PS_HOST_PROMPT_CHOICE:
		return choose(s, q);
	case WRSH_PS_HOST_PROMPT:
		return fields(s, q);
	case WRSH_PS_HOST_READ_LINE_SECURE:
		return secret_line(s);
	case WRSH_PS_HOST_PROMPT_CREDENTIAL1:
	case WRSH_PS_HOST_PROMPT_CREDENTIAL2:
		return credential(s, q);
	default:
		snprintf(why, sizeof(why),
			 "wrsh: the host method %s is not supported by this client",
			 *name ? name : "(unnamed)");
		return refuse(s, why);
	}
}
