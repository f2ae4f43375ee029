/*
 * SMSC LAN9118 netif for lwIP, polled (see lan9118.h).
 *
 * Register offsets and bits: the SMSC LAN9118 datasheet (system CSRs, MAC
 * CSRs, PHY registers, TX command A/B, RX status), cross-checked against
 * the model the boards run under, qemu hw/net/lan9118.c. Quirks of that
 * model this driver steers around:
 *  - an unknown system CSR, or MAC CSRs 10..12 (VLAN2, wake-up), abort
 *    qemu (hw_error in the sources read): only the ones below are used;
 *  - RX_DP_CTRL's fast-forward leaves the model's FIFO counters wrong, so
 *    frames are dropped by reading their words out, which the chip allows;
 *  - TX buffer end alignment is ignored: this driver uses 4-byte (0);
 *  - MII_ACC never reads busy and PHY registers 17..31 are not modelled.
 * Every wait on the chip is a bounded count: a dead or hostile NIC makes
 * init fail or frames drop, never a hang.
 */
#include <stdint.h>
#include <string.h>

#include "lwip/etharp.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"

#include "lan9118.h"

/* system control and status registers */
#define RX_DATA_FIFO 0x00
#define TX_DATA_FIFO 0x20
#define RX_STATUS_FIFO 0x40
#define IRQ_CFG 0x54
#define INT_STS 0x58
#define INT_EN 0x5c
#define BYTE_TEST 0x64
#define RX_CFG 0x6c
#define TX_CFG 0x70
#define HW_CFG 0x74
#define RX_FIFO_INF 0x7c
#define TX_FIFO_INF 0x80
#define PMT_CTRL 0x84
#define MAC_CSR_CMD 0xa4
#define MAC_CSR_DATA 0xa8

#define BYTE_TEST_MAGIC 0x87654321u
#define HW_CFG_SRST 0x1u
#define PMT_CTRL_READY 0x1u
#define TX_CFG_TX_ON 0x2u
#define TX_CFG_TXSAO 0x4u /* TX status FIFO may overrun: we never read it */
#define RX_CFG_RX_DUMP 0x8000u
#define CSR_BUSY 0x80000000u
#define CSR_READ 0x40000000u

/* MAC CSRs, reached through MAC_CSR_CMD/DATA */
#define MAC_CR 1
#define ADDRH 2
#define ADDRL 3
#define MII_ACC 6
#define MII_DATA 7

#define MAC_CR_RXEN 0x4u
#define MAC_CR_TXEN 0x8u
#define MAC_CR_FDPX 0x100000u
#define MII_BUSY 0x1u
#define MII_WRITE 0x2u
#define PHY_ADDR 1 /* the internal PHY */
#define PHY_BCR 0
#define PHY_ANAR 4
#define PHY_BCR_ANEN 0x1000u
#define PHY_BCR_ANRESTART 0x0200u
#define PHY_ANAR_ALL 0x01e1u /* 10/100, half/full, IEEE 802.3 */

/* TX command A/B and RX status words */
#define TXA_FIRST 0x2000u
#define TXA_LAST 0x1000u
#define RXS_ERROR 0x8000u		   /* error summary */
#define RXS_LEN(s) (((s) >> 16) & 0x3fffu) /* frame length with its 4-byte CRC */

#define WAIT_SPINS 100000 /* register polls before giving up on the chip */
#define RX_BURST 8	  /* frames per lan9118_poll(), so one call stays short */
#define FRAME_MAX 1518	  /* 1514 + CRC; a VLAN-tagged frame is dropped */

static volatile uint32_t *reg(const struct netif *nif, unsigned off)
{
	uintptr_t base = nif->state ? (uintptr_t)nif->state : LAN9118_BASE;
	return (volatile uint32_t *)(base + off);
}

static uint32_t rd(const struct netif *nif, unsigned off)
{
	return *reg(nif, off);
}

static void wr(const struct netif *nif, unsigned off, uint32_t v)
{
	*reg(nif, off) = v;
}

static int csr_wait(const struct netif *nif)
{
	int i;
	for (i = 0; i < WAIT_SPINS; i++)
		if (!(rd(nif, MAC_CSR_CMD) & CSR_BUSY))
			return 0;
	return -1;
}

static int mac_write(const struct netif *nif, unsigned idx, uint32_t v)
{
	if (csr_wait(nif))
		return -1;
	wr(nif, MAC_CSR_DATA, v);
	wr(nif, MAC_CSR_CMD, CSR_BUSY | idx);
	return csr_wait(nif);
}

static int mac_read(const struct netif *nif, unsigned idx, uint32_t *v)
{
	if (csr_wait(nif))
		return -1;
	wr(nif, MAC_CSR_CMD, CSR_BUSY | CSR_READ | idx);
	if (csr_wait(nif))
		return -1;
	*v = rd(nif, MAC_CSR_DATA);
	return 0;
}

static int phy_write(const struct netif *nif, unsigned r, uint16_t v)
{
	int i;
	uint32_t acc;
	if (mac_write(nif, MII_DATA, v) ||
	    mac_write(nif, MII_ACC, (PHY_ADDR << 11) | (r << 6) | MII_WRITE | MII_BUSY))
		return -1;
	for (i = 0; i < WAIT_SPINS; i++)
		if (mac_read(nif, MII_ACC, &acc) || !(acc & MII_BUSY))
			return 0;
	return -1;
}

static err_t lan9118_output(struct netif *nif, struct pbuf *p)
{
	struct pbuf *q, *last = NULL;
	uint32_t need = 0, first = TXA_FIRST;
	int i;

	if (p->tot_len > FRAME_MAX - 4)
		return ERR_BUF;
	/* the FIFO space the frame takes: 2 command words per buffer plus its
	 * words, counting the misaligned head and tail */
	for (q = p; q; q = q->next) {
		if (!q->len)
			continue;
		need += 8 + (((uintptr_t)q->payload & 3) + q->len + 3) / 4 * 4;
		last = q;
	}
	if (!last)
		return ERR_BUF;
	for (i = 0; (rd(nif, TX_FIFO_INF) & 0xffff) < need; i++)
		if (i == WAIT_SPINS)
			return ERR_MEM; /* TCP retransmits; ARP asks again */

	for (q = p; q; q = q->next) {
		const uint32_t *w;
		uint32_t off, n, a;
		if (!q->len)
			continue;
		off = (uintptr_t)q->payload & 3;
		/* A: this buffer's length and start offset in its first word;
		 * B: the whole frame's length (also as the tag) */
		a = q->len | off << 16 | first;
		if (q == last)
			a |= TXA_LAST;
		first = 0;
		wr(nif, TX_DATA_FIFO, a);
		wr(nif, TX_DATA_FIFO, (uint32_t)p->tot_len << 16 | p->tot_len);
		/* whole aligned words: the bytes around the buffer are read
		 * but the chip skips them by the offset and length */
		w = (const uint32_t *)((uintptr_t)q->payload - off);
		for (n = (off + q->len + 3) / 4; n; n--)
			wr(nif, TX_DATA_FIFO, *w++);
	}
	return ERR_OK;
}

/* Read a frame's words out of the RX FIFO into p (NULL: drop them). */
static void rx_copy(struct netif *nif, struct pbuf *p, uint32_t len)
{
	uint32_t words = (len + 3) / 4, pos = 0, frame = len - 4;
	struct pbuf *q = p;
	uint16_t off = 0;

	while (words--) {
		uint32_t w = rd(nif, RX_DATA_FIFO);
		int b;
		if (!q || pos >= frame)
			continue; /* dropping, or the CRC */
		if (off + 4 <= q->len && pos + 4 <= frame) {
			memcpy((uint8_t *)q->payload + off, &w, 4);
			off += 4;
			pos += 4;
		} else {
			for (b = 0; b < 4 && pos < frame; b++, pos++, w >>= 8) {
				if (off == q->len) {
					q = q->next;
					off = 0;
				}
				((uint8_t *)q->payload)[off++] = (uint8_t)w;
			}
		}
		if (q && off == q->len) {
			q = q->next;
			off = 0;
		}
	}
}

void lan9118_poll(struct netif *nif)
{
	int n;

	for (n = 0; n < RX_BURST && (rd(nif, RX_FIFO_INF) & 0xff0000); n++) {
		uint32_t st = rd(nif, RX_STATUS_FIFO), len = RXS_LEN(st);
		struct pbuf *p = NULL;
		if (!(st & RXS_ERROR) && len >= 14 + 4 && len <= FRAME_MAX)
			p = pbuf_alloc(PBUF_RAW, (u16_t)(len - 4), PBUF_POOL);
		rx_copy(nif, p, len);
		if (p && nif->input(p, nif) != ERR_OK)
			pbuf_free(p);
	}
}

err_t lan9118_netif_init(struct netif *nif)
{
	static const char fallback[6] = LAN9118_MAC;
	uint32_t hi, lo;
	int i;

	/* a bus that answers at all, in the chip's byte order */
	if (rd(nif, BYTE_TEST) != BYTE_TEST_MAGIC)
		return ERR_IF;
	wr(nif, HW_CFG, HW_CFG_SRST);
	for (i = 0; rd(nif, HW_CFG) & HW_CFG_SRST; i++)
		if (i == WAIT_SPINS)
			return ERR_IF;
	for (i = 0; !(rd(nif, PMT_CTRL) & PMT_CTRL_READY); i++)
		if (i == WAIT_SPINS)
			return ERR_IF;

	/* polled: no interrupt line, nothing pending */
	wr(nif, IRQ_CFG, 0);
	wr(nif, INT_EN, 0);
	wr(nif, INT_STS, 0xffffffffu);

	/* the EEPROM's address, loaded by the reset, unless there is none */
	if (mac_read(nif, ADDRL, &lo) || mac_read(nif, ADDRH, &hi))
		return ERR_IF;
	nif->hwaddr[0] = (uint8_t)lo;
	nif->hwaddr[1] = (uint8_t)(lo >> 8);
	nif->hwaddr[2] = (uint8_t)(lo >> 16);
	nif->hwaddr[3] = (uint8_t)(lo >> 24);
	nif->hwaddr[4] = (uint8_t)hi;
	nif->hwaddr[5] = (uint8_t)(hi >> 8);
	if ((nif->hwaddr[0] & 1) || !(lo | (hi & 0xffff)))
		memcpy(nif->hwaddr, fallback, 6);
	nif->hwaddr_len = 6;
	lo = nif->hwaddr[0] | (uint32_t)nif->hwaddr[1] << 8 | (uint32_t)nif->hwaddr[2] << 16 |
	     (uint32_t)nif->hwaddr[3] << 24;
	hi = nif->hwaddr[4] | (uint32_t)nif->hwaddr[5] << 8;
	if (mac_write(nif, ADDRL, lo) || mac_write(nif, ADDRH, hi))
		return ERR_IF;

	/* autonegotiate everything; the link comes up on its own. Full duplex
	 * is assumed, as a switch port negotiates: a half-duplex hub would
	 * need the PHY's result read back after negotiation. */
	if (phy_write(nif, PHY_ANAR, PHY_ANAR_ALL) ||
	    phy_write(nif, PHY_BCR, PHY_BCR_ANEN | PHY_BCR_ANRESTART))
		return ERR_IF;

	wr(nif, RX_CFG, RX_CFG_RX_DUMP); /* offset 0, 4-byte end alignment */
	wr(nif, TX_CFG, TX_CFG_TX_ON | TX_CFG_TXSAO);
	/* exact address filter plus broadcast (not promiscuous) */
	if (mac_write(nif, MAC_CR, MAC_CR_TXEN | MAC_CR_RXEN | MAC_CR_FDPX))
		return ERR_IF;

	nif->name[0] = 'e';
	nif->name[1] = 'n';
	nif->mtu = 1500;
	nif->flags =
		NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_LINK_UP;
	nif->output = etharp_output;
	nif->linkoutput = lan9118_output;
	return ERR_OK;
}
