/*
 * The MPS2 AN385/AN386 board under qemu: UART0 output, a 1 kHz SysTick
 * clock for lwIP (sys_now()), semihosting for the exit code, the host's
 * clock and the command line, and the LAN9118 as lwIP's netif.
 */
#ifndef WRSH_MPS2_BOARD_H
#define WRSH_MPS2_BOARD_H

#include <stddef.h>
#include <stdint.h>

#include "lwip_port.h"

struct netif;

/* UART, SysTick and the wall clock's base; first thing in main() */
void board_init(void);

/* the stack's high-water mark: paint it early in main(), read it at the
 * end (bytes from the top down to the deepest word written) */
void board_stack_paint(void);
size_t board_stack_used(void);

/* a line from UART0 (the provisioning console: under qemu, its stdin),
 * without its end; its length, or -1 past cap or timeout_ms */
int board_getline(char *buf, size_t cap, uint32_t timeout_ms);

void board_puts(const char *s);
void board_putn(const char *s, size_t n);
void board_put_dec(long v);
void board_put_hex(uint32_t v, int digits); /* the low digits, zero-padded */

/* end the program: under qemu its exit status (semihosting) */
__attribute__((noreturn)) void board_exit(int code);

/* the semihosting command line (qemu's -semihosting-config arg=...) into
 * buf, NUL-terminated; its length, or -1 when there is none */
int board_cmdline(char *buf, size_t cap);

/* 10.0.2.15/24 via 10.0.2.2 (qemu's user network) on the LAN9118, made
 * the default netif and up; it is the netif board_lwip polls */
void board_net_init(struct netif *nif);

wrsh_err board_random(void *ctx, void *buf, size_t len);
uint64_t board_filetime(void *ctx);

/* for wrsh_lwip_port_init(): poll = the LAN9118, random, filetime */
extern struct wrsh_lwip_board board_lwip;

#endif
