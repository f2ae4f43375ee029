/*
 * The firmware model: what an integrator's application does with wrsh on a
 * board with lwIP and no OS. The board (board_*.c) brings up its NIC and
 * clock and fills the job; app.c opens a session over the lwIP port in a
 * static arena, runs the job, prints through the board and deletes the
 * remote shell on every path.
 */
#ifndef WRSH_FW_APP_H
#define WRSH_FW_APP_H

#include <stddef.h>
#include <stdint.h>

#include "lwip_port.h"

enum fw_kind { FW_CMD, FW_PS, FW_CIM };

struct fw_job {
	const char *host;
	uint16_t port;		   /* 0: 5985, or 5986 with https */
	bool https;		   /* TLS: the server certificate pinned by its SHA-256 */
	const uint8_t *pin_sha256; /* 32 bytes; needed with https (no CA store here) */
	const char *user;	   /* NTLM: "user" or "DOMAIN\\user" */
	const char *password;	   /* wiped by the board after fw_run */
	enum fw_kind kind;
	const char *what;	/* the command, the script, or a CIM resource (short form) */
	const char *selector;	/* CIM: NAME=VALUE, or NULL */
	uint32_t timeout_ms;	/* 0: the library's 30 s */
	uint32_t op_timeout_ms; /* WS-Man OperationTimeout; 0: the library's 20 s */
};

/* Where text goes: stream 1 output, 2 errors. */
typedef void (*fw_write_fn)(int stream, const char *s, size_t n);

/* Run the job; returns the command's exit code (cmd), 0/1 (ps: completed or
 * not; cim: got it or not), or 255 when wrsh failed (its message written to
 * stream 2). Last line on stream 1: "exit code N, arena peak P of S bytes". */
int fw_run(const struct fw_job *job, const struct wrsh_lwip_board *board, fw_write_fn write);

#endif
