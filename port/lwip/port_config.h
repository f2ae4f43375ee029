/*
 * The lwIP platform's answers to the build-time questions of expat and
 * mbedTLS (see port/posix/port_config.h for the role of this file): a
 * freestanding target, such as a Cortex-M with newlib and no OS. newlib's
 * headers are there, but none of its functions that need an OS, a heap or
 * stdio may end up in the image; `make freestanding-check` fails on any.
 */
#ifndef WRSH_PORT_CONFIG_H
#define WRSH_PORT_CONFIG_H

/* expat: the C library's headers, no OS headers behind them. */
#define HAVE_STDINT_H 1
#define HAVE_STDLIB_H 1
#define HAVE_STRING_H 1
#define STDC_HEADERS 1
/* newlib's assert() prints to stderr and calls abort(), neither of which
 * a bare-metal image has. expat's assertions check its own invariants,
 * never the input (malformed XML is an error code either way), so they go. */
#define WRSH_EXPAT_NO_ASSERT 1

/* mbedTLS: none of the C library's functions by default. Its memory is
 * "none" until the arena hooks are set (as they are before every call),
 * and snprintf is wrsh's refusing stand-in (wrsh_mbedtls_config.h). */
#define MBEDTLS_PLATFORM_NO_STD_FUNCTIONS
/* bignum's inline assembly (UMAAL on a Cortex-M4): the handshake's RSA and
 * ECDHE arithmetic. No AES-NI or Armv8 AES: a Cortex-M has neither, and
 * the Armv8 one is detected by asking the OS (getauxval). */
#define MBEDTLS_HAVE_ASM

#endif
