/*
 * A control master's parked cmd shell. A client's `wrsh cmd` creates a
 * shell, runs its command and deletes the shell: three of its requests
 * are Create, Delete and the handshake before them. The master answers the
 * Delete itself and keeps the shell, idle, for the next client whose Create
 * asks for the same shell (the same envelope but for its ids): that Create
 * is answered from the first one's answer. So a warm one-shot costs the
 * server its Command, Send and Receive, and a Signal to release the
 * finished command that the master sends after answering.
 *
 * The master sees the envelopes in plain text (it seals them itself); what
 * is read from them is read with bounds, and a shell is parked only when
 * all of it was understood. A shell is never lent twice at once: the
 * master serves one client at a time.
 */
#ifndef WRSH_CLI_PARK_H
#define WRSH_CLI_PARK_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "wrsh.h"

#define PARK_CREATE_MAX 8192 /* a Create whose shell is parked, and its answer */
/* a parked shell idle longer is deleted, not lent: well inside Windows'
 * shell IdleTimeout (7200 s by default) */
#define PARK_IDLE_MAX_S 900

struct park_shell {
	char id[WRSH_SHELL_ID_MAX];
	char cmd[WRSH_SHELL_ID_MAX]; /* its last command, unless terminated */
	bool used, cmd_open;
	bool tainted; /* a request on it failed: deleted, never parked */
	size_t key_n, answer_n;
	char key[PARK_CREATE_MAX];    /* its Create without MessageID and SessionId */
	char answer[PARK_CREATE_MAX]; /* the CreateResponse */
};

struct park {
	struct park_shell lent;	  /* the client in hand's shell */
	struct park_shell parked; /* idle, waiting for a client */
	time_t parked_at;
	unsigned lends; /* Creates answered from the park */
};

/*
 * Answer req from the park when it can: a Create for the parked shell, a
 * Delete of the lent one. Returns the answer's length (written to ans,
 * HTTP 200), or 0: relay req.
 */
long park_answer(struct park *p, struct wrsh_session *s, const char *req, size_t n, char *ans,
		 size_t cap);
/* Learn from a relayed request and its answer (HTTP status). */
void park_learn(struct park *p, const char *req, size_t n, int status, const char *ans, size_t an);
/* After an answer: the parked shell's last command is terminated (or the
 * shell deleted when that fails). */
void park_tidy(struct park *p, struct wrsh_session *s);
/* The client is gone: the shell it held, if it did not delete it, is. */
void park_client_gone(struct park *p, struct wrsh_session *s);
/* The master ends: the parked shell is deleted. */
void park_close(struct park *p, struct wrsh_session *s);

#endif
