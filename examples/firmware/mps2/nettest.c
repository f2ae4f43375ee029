/*
 * The network proof for the MPS2 board: lwIP's raw TCP API over the
 * LAN9118, polled. Connects to 10.0.2.2:PORT (qemu's user network maps
 * 10.0.2.2 to the host's 127.0.0.1), sends "hello\n", prints what comes
 * back until the peer closes, and exits 0; nonzero on an error or after
 * 10 s. PORT is the last word of the semihosting command line
 * (-semihosting-config ...,arg=nettest,arg=PORT) or NETTEST_PORT.
 * Exit status: 0 done; 2/3 no pcb or connect refused locally; 4 lwIP
 * reported an error (-14: reset, nothing listening); 5 timeout; 6 nothing
 * sent or received; 97 no NIC; 98 a fault; 99 an lwIP assertion.
 */
#include <string.h>

#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/sys.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"

#include "board.h"
#include "lan9118.h"

#ifndef NETTEST_PORT
#define NETTEST_PORT 5985
#endif

static struct netif nif;
static char reply[256]; /* the start of the reply, for the UART */
static size_t reply_len;
static u32_t total, fnv = 2166136261u; /* all of it: its length and FNV-1a */
static int closed, sent;
static err_t failed; /* from the error callback: the pcb is gone */

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct pbuf *q;
	u16_t i;
	(void)arg;
	if (!p || err != ERR_OK) {
		closed = 1;
		if (p)
			pbuf_free(p);
		return ERR_OK;
	}
	for (q = p; q; q = q->next)
		for (i = 0; i < q->len; i++)
			fnv = (fnv ^ ((u8_t *)q->payload)[i]) * 16777619u;
	total += p->tot_len;
	reply_len +=
		pbuf_copy_partial(p, reply + reply_len, (u16_t)(sizeof(reply) - 1 - reply_len), 0);
	tcp_recved(pcb, p->tot_len);
	pbuf_free(p);
	return ERR_OK;
}

static void on_err(void *arg, err_t err)
{
	(void)arg;
	failed = err ? err : ERR_ABRT;
}

static const char hello[] __attribute__((aligned(4))) = "xhello\n";

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	(void)arg;
	if (err != ERR_OK)
		return err;
	/* by reference and unaligned: lwIP chains the headers' pbuf to this
	 * one, so the driver's multi-buffer, start-offset TX path runs */
	if (tcp_write(pcb, hello + 1, 6, 0) == ERR_OK && tcp_output(pcb) == ERR_OK)
		sent = 1;
	return ERR_OK;
}

static void pump(void)
{
	lan9118_poll(&nif);
	sys_check_timeouts();
}

static u16_t port_arg(void)
{
	char line[96], *w = NULL, *p;
	unsigned long v = 0;
	if (board_cmdline(line, sizeof(line)) <= 0)
		return NETTEST_PORT;
	for (p = line; *p; p++)
		if (*p != ' ' && (p == line || p[-1] == ' '))
			w = p;
	for (p = w; p && *p >= '0' && *p <= '9' && v < 65536; p++)
		v = v * 10 + (unsigned long)(*p - '0');
	return p && !*p && v && v < 65536 ? (u16_t)v : NETTEST_PORT;
}

int main(void)
{
	struct tcp_pcb *pcb;
	ip_addr_t host;
	u16_t port;
	u32_t t0;
	int i;

	board_init();
	board_puts("nettest: mps2 lan9118 lwip " LWIP_VERSION_STRING "\r\n");
	lwip_init();
	board_net_init(&nif);
	port = port_arg();
	board_puts("nettest: mac");
	for (i = 0; i < 6; i++) {
		board_puts(i ? ":" : " ");
		board_put_hex(nif.hwaddr[i], 2);
	}
	/* the host's clock through semihosting, as TLS will need it */
	board_puts(", unix time ");
	board_put_dec((long)(board_filetime(NULL) / 10000000u - 11644473600u));
	board_puts(", connecting to 10.0.2.2:");
	board_put_dec(port);
	board_puts("\r\n");

	pcb = tcp_new();
	if (!pcb)
		return 2;
	tcp_err(pcb, on_err);
	tcp_recv(pcb, on_recv);
	IP4_ADDR(ip_2_ip4(&host), 10, 0, 2, 2);
	if (tcp_connect(pcb, &host, port, on_connected) != ERR_OK)
		return 3;

	t0 = sys_now();
	while (!closed && !failed && sys_now() - t0 < 10000)
		pump();
	if (failed) {
		board_puts("nettest: error ");
		board_put_dec(failed);
		board_puts("\r\n");
		return 4;
	}
	if (!closed) {
		board_puts("nettest: timeout\r\n");
		tcp_abort(pcb);
		return 5;
	}
	/* answer the peer's FIN and let the ACK go out */
	if (tcp_close(pcb) != ERR_OK)
		tcp_abort(pcb);
	for (t0 = sys_now(); sys_now() - t0 < 100;)
		pump();

	reply[reply_len] = 0;
	board_puts("nettest: reply: ");
	board_putn(reply, strcspn(reply, "\n"));
	board_puts("\r\nnettest: received ");
	board_put_dec((long)total);
	board_puts(" bytes, fnv1a ");
	board_put_hex(fnv, 8);
	board_puts("\r\n");
	board_puts(sent ? "nettest: ok\r\n" : "nettest: hello not sent\r\n");
	return sent && reply_len ? 0 : 6;
}
