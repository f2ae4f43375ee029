/*
 * The firmware model on Linux: lwIP in this process, its link a tap device
 * (a virtual Ethernet cable whose other end is the kernel), so the lwIP
 * port and app.c run as they would on a board while the test endpoint
 * listens on the kernel's side. This file is the board: the NIC driver,
 * the clock, entropy, and the job from the command line.
 *
 *   fw-tap [--https PIN] [--timeout MS] [--op-timeout MS] TAP IP GW HOST PORT USER
 *          cmd|ps|cim WHAT [SELECTOR]          (password in WRSH_PASSWORD)
 *
 * TAP must exist and be up (ip tuntap add dev TAP mode tap); IP/24 is
 * lwIP's address on it, GW the kernel's. PIN: the server certificate's
 * SHA-256, hex.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/sys.h"
#include "netif/ethernet.h"
#include "wrsh.h"

/* Linux's include/uapi/linux/if_tun.h, spelled here: musl's toolchain
 * carries no kernel headers */
#define WRSH_TUNSETIFF _IOW('T', 202, int)
#define WRSH_IFF_TAP 0x0002
#define WRSH_IFF_NO_PI 0x1000

static int tap_fd = -1;
static struct netif tap_netif;

u32_t sys_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

void wrsh_lwip_assert(const char *msg, const char *file, int line)
{
	fprintf(stderr, "lwip: assertion \"%s\" failed at %s:%d\n", msg, file, line);
	abort();
}

static wrsh_err tap_random(void *ctx, void *buf, size_t len)
{
	uint8_t *p = buf;
	(void)ctx;
	while (len) {
		ssize_t k = getrandom(p, len, 0);
		if (k < 0 && errno != EINTR)
			return WRSH_EIO;
		if (k > 0)
			p += k, len -= (size_t)k;
	}
	return WRSH_OK;
}

unsigned int wrsh_lwip_rand(void)
{
	unsigned int v = 0;
	(void)tap_random(NULL, &v, sizeof(v));
	return v;
}

static uint64_t tap_filetime(void *ctx)
{
	struct timespec ts;
	(void)ctx;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec + 11644473600u) * 10000000u + (uint64_t)ts.tv_nsec / 100u;
}

static err_t tap_output(struct netif *nif, struct pbuf *p)
{
	uint8_t frame[1518];
	u16_t n = pbuf_copy_partial(p, frame, sizeof(frame), 0);
	(void)nif;
	if (write(tap_fd, frame, n) != (ssize_t)n)
		return ERR_OK; /* the cable is out (the tap is down): lost, as on a wire */
	return ERR_OK;
}

static err_t tap_init(struct netif *nif)
{
	static const uint8_t mac[6] = {0x02, 0x00, 0x00,
				       0x77, 0x72, 0x73}; /* locally administered */
	memcpy(nif->hwaddr, mac, sizeof(mac));
	nif->hwaddr_len = 6;
	nif->mtu = 1500;
	nif->name[0] = 't';
	nif->name[1] = 'p';
	nif->flags =
		NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_LINK_UP;
	nif->output = etharp_output;
	nif->linkoutput = tap_output;
	return ERR_OK;
}

/* Frames from the kernel into lwIP; waits at most a millisecond, so the
 * port's loops do not spin. */
static void tap_poll(void *ctx)
{
	uint8_t frame[1518];
	struct pollfd pf = {tap_fd, POLLIN, 0};
	int i;
	(void)ctx;
	if (poll(&pf, 1, 1) <= 0)
		return;
	for (i = 0; i < 16; i++) {
		ssize_t n = read(tap_fd, frame, sizeof(frame));
		struct pbuf *p;
		if (n <= 0)
			return;
		if (!(p = pbuf_alloc(PBUF_RAW, (u16_t)n, PBUF_POOL)))
			continue; /* the pool is full: dropped, TCP resends */
		pbuf_take(p, frame, (u16_t)n);
		if (tap_netif.input(p, &tap_netif) != ERR_OK)
			pbuf_free(p);
	}
}

static int tap_open(const char *name)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK);
	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = WRSH_IFF_TAP | WRSH_IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, WRSH_TUNSETIFF, &ifr) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void write_out(int stream, const char *s, size_t n)
{
	fwrite(s, 1, n, stream == 2 ? stderr : stdout);
	fflush(stream == 2 ? stderr : stdout);
}

static int hex_pin(const char *hex, uint8_t pin[32])
{
	int i;
	for (i = 0; i < 32; i++)
		if (sscanf(hex + 2 * i, "%2hhx", &pin[i]) != 1)
			return -1;
	return hex[64] ? -1 : 0;
}

int main(int argc, char **argv)
{
	static const struct wrsh_lwip_board board = {NULL, tap_poll, tap_random, tap_filetime};
	static uint8_t pin[32];
	struct fw_job j;
	ip4_addr_t ip, mask, gw;
	char *pw = getenv("WRSH_PASSWORD");
	int i = 1, code;
	memset(&j, 0, sizeof(j));
	for (; i + 1 < argc && !strncmp(argv[i], "--", 2); i += 2)
		if (!strcmp(argv[i], "--https") && !hex_pin(argv[i + 1], pin))
			j.https = true, j.pin_sha256 = pin;
		else if (!strcmp(argv[i], "--timeout"))
			j.timeout_ms = (uint32_t)strtoul(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--op-timeout"))
			j.op_timeout_ms = (uint32_t)strtoul(argv[i + 1], NULL, 10);
		else
			break;
	if (argc - i < 8 || !pw || !ip4addr_aton(argv[i + 1], &ip) ||
	    !ip4addr_aton(argv[i + 2], &gw)) {
		fprintf(stderr, "usage: fw-tap [--https PIN] [--timeout MS] [--op-timeout MS] "
				"TAP IP GW HOST PORT USER cmd|ps|cim WHAT [SELECTOR]\n"
				"(the password in WRSH_PASSWORD)\n");
		return 2;
	}
	if ((tap_fd = tap_open(argv[i])) < 0) {
		fprintf(stderr, "fw-tap: cannot open tap %s: %s\n", argv[i], strerror(errno));
		return 2;
	}
	j.host = argv[i + 3];
	j.port = (uint16_t)atoi(argv[i + 4]);
	j.user = argv[i + 5];
	j.kind = !strcmp(argv[i + 6], "ps") ? FW_PS : !strcmp(argv[i + 6], "cim") ? FW_CIM : FW_CMD;
	j.what = argv[i + 7];
	j.selector = argc - i > 8 ? argv[i + 8] : NULL;
	j.password = pw;
	IP4_ADDR(&mask, 255, 255, 255, 0);
	lwip_init();
	netif_add(&tap_netif, &ip, &mask, &gw, NULL, tap_init, ethernet_input);
	netif_set_default(&tap_netif);
	netif_set_up(&tap_netif);
	code = fw_run(&j, &board, write_out);
	wrsh_wipe(pw, strlen(pw));
	close(tap_fd);
	return code;
}
