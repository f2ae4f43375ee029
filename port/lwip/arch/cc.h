/*
 * lwIP's compiler and platform glue for wrsh's lwIP port: the same file on
 * Linux (make lwip-check) and on a bare Cortex-M (make qemu-check).
 *
 * No printf: lwIP's default diagnostics and assertions print and abort,
 * which would pull stdio into a freestanding image. Diagnostics are
 * compiled out; a failed assertion goes to the board (wrsh_lwip_assert(),
 * which must not return: a bare-metal board halts or resets).
 */
#ifndef WRSH_LWIP_ARCH_CC_H
#define WRSH_LWIP_ARCH_CC_H

#define LWIP_PLATFORM_DIAG(x) \
	do {                  \
	} while (0)

void wrsh_lwip_assert(const char *msg, const char *file, int line);
#define LWIP_PLATFORM_ASSERT(x) wrsh_lwip_assert(x, __FILE__, __LINE__)

/* TCP initial sequence numbers and DNS query IDs: from the board's entropy */
unsigned int wrsh_lwip_rand(void);
#define LWIP_RAND() ((u32_t)wrsh_lwip_rand())

#endif
