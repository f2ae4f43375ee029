/*
 * An lwIP netif driver for the SMSC LAN9118 (and the LAN9220 the MPS2 boards
 * carry, register-compatible without checksum offload): polled, no
 * interrupts, no allocation beyond lwIP's PBUF_POOL.
 *
 *   netif_add(&nif, &ip, &mask, &gw, NULL, lan9118_netif_init, ethernet_input);
 *   for (;;) { lan9118_poll(&nif); sys_check_timeouts(); }
 *
 * The register block is at LAN9118_BASE unless netif_add's state argument
 * is non-NULL, then that is the base address. The MAC address is the one
 * the chip loaded from its EEPROM, or LAN9118_MAC when it has none.
 */
#ifndef WRSH_LAN9118_H
#define WRSH_LAN9118_H

#include "lwip/err.h"

struct netif;

#ifndef LAN9118_BASE
#define LAN9118_BASE 0x40200000u /* MPS2 AN385/AN386 (AN385 TRM, qemu hw/arm/mps2.c) */
#endif

#ifndef LAN9118_MAC
/* six bytes; qemu gives its first NIC 52:54:00:12:34:56 */
#define LAN9118_MAC "\x52\x54\x00\x12\x34\x56"
#endif

err_t lan9118_netif_init(struct netif *nif);

/* Hand at most a few received frames to nif->input; never blocks. */
void lan9118_poll(struct netif *nif);

#endif
