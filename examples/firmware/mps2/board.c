/*
 * MPS2 AN385/AN386 board support under qemu (see board.h).
 *
 * Register facts: CMSDK APB UART (ARM DDI 0479, Cortex-M System Design Kit
 * TRM 4.4; qemu hw/char/cmsdk-apb-uart.c), FPGAIO counters (AN385 TRM;
 * qemu hw/misc/mps2-fpgaio.c, mapped at 0x40028000 by hw/arm/mps2.c),
 * SysTick (ARMv7-M ARM B3.3), semihosting (ARM "Semihosting for AArch32
 * and AArch64" v2.0: BKPT 0xAB, operation in r0, argument in r1).
 */
#include <stdint.h>

#include "lwip/ip4_addr.h"
#include "lwip/netif.h"
#include "lwip/sys.h"
#include "netif/ethernet.h"

#include "board.h"
#include "lan9118.h"

#define REG(a) (*(volatile uint32_t *)(a))

#define SYSCLK 25000000u /* qemu hw/arm/mps2.c SYSCLK_FRQ */

#define UART0 0x40004000u
#define UART_DATA REG(UART0 + 0x00)
#define UART_STATE REG(UART0 + 0x04) /* bit 0: TX buffer full, bit 1: RX buffer full */
#define UART_CTRL REG(UART0 + 0x08)  /* bit 0: TX enable, bit 1: RX enable */
#define UART_BAUDDIV REG(UART0 + 0x10)

#define SYST_CSR REG(0xe000e010u)
#define SYST_RVR REG(0xe000e014u)
#define SYST_CVR REG(0xe000e018u)

#define FPGAIO 0x40028000u
#define FPGAIO_COUNTER REG(FPGAIO + 0x18) /* free-running at SYSCLK */
#define FPGAIO_PSCNTR REG(FPGAIO + 0x20)

#define SYS_TIME 0x11
#define SYS_GET_CMDLINE 0x15
#define SYS_EXIT 0x18
#define SYS_EXIT_EXTENDED 0x20
#define ADP_Stopped_ApplicationExit 0x20026

/* the wall clock when the host gives none (qemu without semihosting, or
 * hardware without a debugger): the build's, seconds since 1970 */
#ifndef BOARD_EPOCH
#define BOARD_EPOCH 1735689600 /* 2025-01-01 */
#endif

static volatile uint32_t ticks; /* ms since board_init() */
static uint32_t epoch;		/* seconds since 1970 at ticks == 0 */
static uint64_t pool;

struct wrsh_lwip_board board_lwip;

static int semihost(int op, void *arg)
{
	register int r0 __asm__("r0") = op;
	register void *r1 __asm__("r1") = arg;
	__asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
	return r0;
}

void systick_handler(void);
void systick_handler(void)
{
	ticks++;
}

u32_t sys_now(void)
{
	return ticks;
}

static void putc_uart(char c)
{
	int i;
	/* bounded: a wedged UART loses characters rather than the program */
	for (i = 0; (UART_STATE & 1) && i < 100000; i++)
		;
	UART_DATA = (uint8_t)c;
}

void board_putn(const char *s, size_t n)
{
	while (n--)
		putc_uart(*s++);
}

extern uint32_t __stack_limit[], __stack_top[];
#define STACK_PAINT 0xa5a5a5a5u

void board_stack_paint(void)
{
	/* below this frame, with a margin */
	uintptr_t below = (uintptr_t)__builtin_frame_address(0) - 64;
	uint32_t *p;
	for (p = __stack_limit; (uintptr_t)p < below; p++)
		*p = STACK_PAINT;
}

size_t board_stack_used(void)
{
	const uint32_t *p = __stack_limit;
	while (p < __stack_top && *p == STACK_PAINT)
		p++;
	return (size_t)(__stack_top - p) * sizeof(*p);
}

int board_getline(char *buf, size_t cap, uint32_t timeout_ms)
{
	uint32_t start = ticks;
	size_t n = 0;
	while (ticks - start < timeout_ms) {
		char c;
		if (!(UART_STATE & 2))
			continue;
		c = (char)UART_DATA;
		if (c == '\n' || c == '\r')
			break;
		if (n + 1 >= cap)
			return -1;
		buf[n++] = c;
	}
	buf[n] = 0;
	return ticks - start < timeout_ms ? (int)n : -1;
}

void board_puts(const char *s)
{
	while (*s)
		putc_uart(*s++);
}

void board_put_dec(long v)
{
	char b[24], *p = b + sizeof(b);
	unsigned long u = v < 0 ? 0ul - (unsigned long)v : (unsigned long)v;
	*--p = 0;
	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--p = '-';
	board_puts(p);
}

void board_put_hex(uint32_t v, int digits)
{
	int i;
	for (i = 4 * (digits < 1 ? 1 : digits > 8 ? 8 : digits) - 4; i >= 0; i -= 4)
		putc_uart("0123456789abcdef"[(v >> i) & 15]);
}

void board_exit(int code)
{
	uint32_t blk[2] = {ADP_Stopped_ApplicationExit, (uint32_t)code};
	/* SYS_EXIT_EXTENDED carries the status; plain SYS_EXIT (AArch32)
	 * only success or failure, for hosts without the extension */
	semihost(SYS_EXIT_EXTENDED, blk);
	semihost(SYS_EXIT, (void *)(uintptr_t)(code ? 0x20023 /* RunTimeErrorUnknown */
						    : ADP_Stopped_ApplicationExit));
	for (;;)
		__asm__ volatile("wfi");
}

int board_cmdline(char *buf, size_t cap)
{
	struct {
		char *buf;
		int len;
	} blk = {buf, (int)cap};
	if (cap < 2 || semihost(SYS_GET_CMDLINE, &blk) != 0 || blk.len < 0 ||
	    (size_t)blk.len >= cap)
		return -1;
	buf[blk.len] = 0;
	return blk.len;
}

void wrsh_lwip_assert(const char *msg, const char *file, int line)
{
	board_puts("\r\nassert: ");
	board_puts(msg);
	board_puts(" at ");
	board_puts(file);
	board_puts(":");
	board_put_dec(line);
	board_puts("\r\n");
	board_exit(99);
}

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/*
 * NOT SECURE. The MPS2 has no TRNG, under qemu or otherwise: this mixes
 * timer readings (SysTick's count, the FPGAIO cycle counter, the ms
 * clock), which only jitter with the host's scheduling, into a running
 * pool. An observer can guess them. It is good for TCP sequence numbers
 * in a test and nothing else; a real board fills buf from its TRNG.
 */
static uint32_t rand32(void)
{
	uint64_t e = (uint64_t)SYST_CVR << 40 ^ (uint64_t)FPGAIO_COUNTER << 8 ^
		     (uint64_t)ticks << 20 ^ FPGAIO_PSCNTR;
	pool = mix64(pool + 0x9e3779b97f4a7c15ull + e);
	return (uint32_t)(pool >> 32);
}

unsigned int wrsh_lwip_rand(void)
{
	return rand32();
}

wrsh_err board_random(void *ctx, void *buf, size_t len)
{
	uint8_t *p = buf;
	(void)ctx;
	while (len) {
		uint32_t r = rand32();
		size_t n = len < 4 ? len : 4;
		len -= n;
		while (n--) {
			*p++ = (uint8_t)r;
			r >>= 8;
		}
	}
	return WRSH_OK;
}

/* 100 ns units since 1601: the host's date at board_init() (semihosting
 * SYS_TIME, as qemu has no RTC for the MPS2) plus the ms clock since. */
uint64_t board_filetime(void *ctx)
{
	static uint32_t last;
	static uint64_t hi;
	uint32_t now = ticks;
	(void)ctx;
	if (now < last)
		hi += 1ull << 32;
	last = now;
	return ((uint64_t)epoch + 11644473600ull) * 10000000ull + (hi | now) * 10000ull;
}

static void board_poll(void *ctx)
{
	lan9118_poll(ctx);
}

void board_net_init(struct netif *nif)
{
	ip4_addr_t ip, mask, gw;
	IP4_ADDR(&ip, 10, 0, 2, 15);
	IP4_ADDR(&mask, 255, 255, 255, 0);
	IP4_ADDR(&gw, 10, 0, 2, 2);
	if (!netif_add(nif, &ip, &mask, &gw, NULL, lan9118_netif_init, ethernet_input)) {
		board_puts("lan9118: no NIC\r\n");
		board_exit(97);
	}
	netif_set_default(nif);
	netif_set_up(nif);
	board_lwip.ctx = nif;
}

void board_init(void)
{
	int t;
	UART_BAUDDIV = SYSCLK / 115200;
	UART_CTRL = 3;
	SYST_RVR = SYSCLK / 1000 - 1;
	SYST_CVR = 0;
	SYST_CSR = 7; /* processor clock, interrupt, enable */
	/* a host clock before the build is wrong, or no host at all */
	t = semihost(SYS_TIME, 0);
	epoch = t > BOARD_EPOCH - 86400 ? (uint32_t)t : BOARD_EPOCH;
	pool = mix64((uint64_t)epoch << 32 ^ FPGAIO_COUNTER);
	board_lwip.poll = board_poll;
	board_lwip.random = board_random;
	board_lwip.filetime = board_filetime;
}
