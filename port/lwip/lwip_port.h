/*
 * The lwIP port: one WinRM connection over lwIP's raw TCP API with NO_SYS=1.
 *
 * lwIP in NO_SYS mode does nothing on its own: received frames enter it
 * only when the board's driver hands them over, and its timers fire only
 * when someone calls sys_check_timeouts(). This port is that someone while
 * wrsh waits: connect, send and recv each run the board's poll() and
 * lwIP's timers in a loop until their condition holds or their deadline
 * (from sys_now()) passes. Between wrsh's calls lwIP sleeps; a firmware
 * that must keep the link alive meanwhile calls wrsh_lwip_pump() from its
 * own loop. Everything runs in the one context that calls wrsh: no
 * interrupts touch lwIP (a driver's interrupt may only set a flag that its
 * poll() reads), so SYS_LIGHTWEIGHT_PROT is off.
 *
 * Memory: the received bytes wrsh has not read yet stay in lwIP's pbufs and
 * the window opens as wrsh reads them (tcp_recved()), so the peer can never
 * send more than TCP_WND ahead; sends are copied into lwIP's heap and
 * bounded by TCP_SND_BUF. Nothing here allocates.
 *
 * The board supplies, besides the struct below, three link-time functions
 * lwIP itself needs: u32_t sys_now(void) (milliseconds, wrapping),
 * wrsh_lwip_rand() and wrsh_lwip_assert() (arch/cc.h).
 */
#ifndef WRSH_LWIP_PORT_H
#define WRSH_LWIP_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include "lwip/ip_addr.h"
#include "port.h"

struct pbuf;
struct tcp_pcb;

struct wrsh_lwip_board {
	void *ctx;
	/* move the frames the NIC has received into lwIP (netif->input);
	 * called in every wait, so it must not block */
	void (*poll)(void *ctx);
	/* as struct wrsh_port's: entropy and the wall clock (may be NULL) */
	wrsh_err (*random)(void *ctx, void *buf, size_t len);
	uint64_t (*filetime)(void *ctx);
};

struct wrsh_lwip {
	const struct wrsh_lwip_board *board;
	struct tcp_pcb *pcb;
	struct pbuf *rx; /* received, not yet read (its head trimmed as wrsh reads) */
	bool connected, eof, resolving;
	signed char err;     /* lwIP's err_t from the error callback, 0 while none */
	ip_addr_t addr;	     /* the peer, from a literal or DNS */
	uint32_t clock_last; /* sys_now() widened to 64 bits */
	uint64_t clock_hi;
	char msg[96];
};

/* Fill *port over the caller's *l; the board outlives both. */
void wrsh_lwip_port_init(struct wrsh_port *port, struct wrsh_lwip *l,
			 const struct wrsh_lwip_board *board);

/* One round of the board's poll() and lwIP's timers, for a firmware's main
 * loop while no wrsh call is running. */
void wrsh_lwip_pump(const struct wrsh_lwip_board *board);

#endif
