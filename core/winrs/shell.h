/* The session's WinRS shell: its state, for the WinRS API (shell.c) and for
 * PSRP's pool, which is a shell of the PowerShell resource. */
#ifndef WRSH_SHELL_H
#define WRSH_SHELL_H

#include "wsman/session.h"
#include "winrs/winrs.h"

struct winrs_shell {
	struct sess_part part; /* first: deletes the shell at wrsh_close */
	struct winrs_parse wp; /* the response being consumed */
	const char *uri;       /* WinRS cmd or the PowerShell pool */
	char id[WINRS_ID_MAX];
	char cmd_id[WINRS_ID_MAX];
	bool open, is_pool;
	bool cmd_active;   /* started and not yet Done */
	bool cmd_finished; /* Done, not yet terminated */
};

/* The session's shell state, or NULL. */
struct winrs_shell *winrs_shell(const struct wrsh_session *s);
/* The state for a shell about to be created (its Create's response is read
 * into it); NULL with the error set when the arena is exhausted. */
struct winrs_shell *winrs_shell_new(struct wrsh_session *s, const char *uri);
/* Delete the shell (if it was created) and drop its state, without the
 * sticky-error gate: wrsh_shell_close, wrsh_ps_close and wrsh_close. */
wrsh_err winrs_delete_shell(struct wrsh_session *s);

#endif
