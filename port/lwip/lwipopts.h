/*
 * lwIP's configuration for wrsh: the raw API with NO_SYS=1 (no threads, no
 * sockets, no netconn), the way bare-metal firmware runs it. Memory is all
 * static (lwIP's own heap and pools, in .bss), sized for one WinRM
 * connection at a time plus a KDC or DNS exchange.
 *
 * What bounds a session's network RAM: the receive window (TCP_WND) is the
 * most a peer may send before wrsh reads it, and the pbuf pool holds it;
 * the send buffer (TCP_SND_BUF) is copied into lwIP's heap (MEM_SIZE) until
 * acknowledged. An integrator with more RAM raises both for throughput.
 */
#ifndef WRSH_LWIPOPTS_H
#define WRSH_LWIPOPTS_H

#define NO_SYS 1
#define LWIP_SOCKET 0
#define LWIP_NETCONN 0
#define SYS_LIGHTWEIGHT_PROT 0 /* one context: lwIP runs only inside the port's calls */
#define LWIP_TIMERS 1

/* a pointer's alignment: lwIP keeps pointers in its pool elements (8 on
 * the 64-bit hosts lwip-check runs on, 4 on a Cortex-M) */
#if defined(__SIZEOF_POINTER__) && __SIZEOF_POINTER__ == 8
#define MEM_ALIGNMENT 8
#else
#define MEM_ALIGNMENT 4
#endif
#define MEM_SIZE (12 * 1024)
#define MEMP_NUM_PBUF 8
#define MEMP_NUM_RAW_PCB 0
#define MEMP_NUM_UDP_PCB 2
#define MEMP_NUM_TCP_PCB 2
#define MEMP_NUM_TCP_PCB_LISTEN 0
#define MEMP_NUM_TCP_SEG 16
#define MEMP_NUM_SYS_TIMEOUT (LWIP_NUM_SYS_TIMEOUT_INTERNAL + 1)
#define PBUF_POOL_SIZE 10

#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define LWIP_ICMP 1
#define LWIP_RAW 0
#define LWIP_UDP 1
#define LWIP_TCP 1
#define LWIP_DHCP 0
#define LWIP_AUTOIP 0
#define LWIP_ACD 0
#define LWIP_IGMP 0
#define LWIP_DNS 1
#define DNS_TABLE_SIZE 2
#define DNS_MAX_NAME_LENGTH 128
#define IP_REASSEMBLY 0
#define IP_FRAG 0

#define TCP_MSS 1460
#define TCP_WND (4 * TCP_MSS)
#define TCP_SND_BUF (4 * TCP_MSS)
#define TCP_SND_QUEUELEN (2 * TCP_SND_BUF / TCP_MSS)
#define TCP_QUEUE_OOSEQ 0 /* out-of-order segments are dropped, not held */
#define LWIP_TCP_KEEPALIVE 0
#define LWIP_CALLBACK_API 1

#define LWIP_NETIF_STATUS_CALLBACK 0
#define LWIP_NETIF_LINK_CALLBACK 0
#define LWIP_SINGLE_NETIF 1
#define LWIP_STATS 0
#define LWIP_CHKSUM_ALGORITHM 3
#define LWIP_NETIF_LOOPBACK 0
#define LWIP_HAVE_LOOPIF 0

#endif
