/*
 * wrsh on the MPS2 board (qemu mps2-an386): app.c's job over lwIP and the
 * LAN9118, the answer on UART0, the exit code through semihosting.
 *
 * The job comes from the semihosting command line, which under qemu is
 * -semihosting-config ...,arg=wrsh,arg=PORT,arg=USER,arg=KIND,arg=WHAT...:
 *   wrsh [https=PIN] PORT USER cmd|ps|cim WHAT...   (cim RESOURCE [NAME=VALUE])
 * The server is qemu's host (10.0.2.2 on its user network). The password
 * is never on a command line: the board asks for it on the UART (its
 * provisioning console; under qemu, qemu's stdin) and wipes it after.
 */
#include <string.h>

#include "lwip/init.h"
#include "lwip/netif.h"

#include "app.h"
#include "board.h"
#include "wrsh.h"

#define HOST "10.0.2.2"

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static bool parse_pin(const char *hex, uint8_t pin[32])
{
	int i;
	for (i = 0; i < 32; i++) {
		int h = hexval(hex[2 * i]), l = h < 0 ? -1 : hexval(hex[2 * i + 1]);
		if (l < 0)
			return false;
		pin[i] = (uint8_t)(h << 4 | l);
	}
	return !hex[64];
}

/* the next space-separated word of *p, NUL-terminated in place */
static char *word(char **p)
{
	char *w;
	while (**p == ' ')
		(*p)++;
	w = *p;
	while (**p && **p != ' ')
		(*p)++;
	if (**p)
		*(*p)++ = 0;
	return w;
}

static void write_uart(int stream, const char *s, size_t n)
{
	(void)stream; /* one console for both */
	board_putn(s, n);
}

static unsigned parse_port(const char *s)
{
	unsigned v = 0;
	while (*s >= '0' && *s <= '9' && v < 65536)
		v = v * 10 + (unsigned)(*s++ - '0');
	return *s || v > 65535 ? 0 : v;
}

int main(void)
{
	static struct netif nif;
	static char line[512], pw[128];
	static uint8_t pin[32];
	struct fw_job j;
	char *p = line, *w;
	int code;
	board_init();
	board_stack_paint();
	memset(&j, 0, sizeof(j));
	if (board_cmdline(line, sizeof(line)) <= 0 || strcmp(word(&p), "wrsh")) {
		board_puts("wrsh: usage: wrsh [https=PIN] PORT USER cmd|ps|cim WHAT...\n");
		board_exit(2);
	}
	w = word(&p);
	if (!strncmp(w, "https=", 6)) {
		if (!parse_pin(w + 6, pin))
			board_puts("wrsh: https=PIN wants the certificate's SHA-256 in hex\n"),
				board_exit(2);
		j.https = true;
		j.pin_sha256 = pin;
		w = word(&p);
	}
	j.host = HOST;
	j.port = (uint16_t)parse_port(w);
	j.user = word(&p);
	w = word(&p);
	j.kind = !strcmp(w, "ps") ? FW_PS : !strcmp(w, "cim") ? FW_CIM : FW_CMD;
	j.what = p;
	if (j.kind == FW_CIM) { /* cim RESOURCE [NAME=VALUE] */
		j.what = word(&p);
		j.selector = *p ? word(&p) : NULL;
	}
	if (!j.port || !*j.user || !*j.what)
		board_puts("wrsh: usage: wrsh [https=PIN] PORT USER cmd|ps|cim WHAT...\n"),
			board_exit(2);
	board_puts("password: ");
	if (board_getline(pw, sizeof(pw), 30000) < 0)
		board_puts("\nwrsh: no password on the console\n"), board_exit(2);
	board_puts("\n");
	j.password = pw;
	lwip_init();
	board_net_init(&nif);
	code = fw_run(&j, &board_lwip, write_uart);
	wrsh_wipe(pw, sizeof(pw));
	board_puts("stack peak ");
	board_put_dec((long)board_stack_used());
	board_puts(" bytes\n");
	board_exit(code);
}
