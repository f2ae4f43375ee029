/*
 * The POSIX platform's answers to the build-time questions of expat and
 * mbedTLS: included by core/expat/expat_config.h and
 * tls/wrsh_mbedtls_config.h, found as "port_config.h" through
 * -Iport/$(PORT). Only what differs between platforms lives here; wrsh's
 * features are Kconfig's, and what is the same everywhere stays in those
 * two files.
 */
#ifndef WRSH_PORT_CONFIG_H
#define WRSH_PORT_CONFIG_H

/* expat: the C library as configure finds it on a POSIX system. (expat
 * 2.5.0's own sources test none of these; its entropy sources stay off on
 * every platform, see expat_config.h.) Its assertions stay on: a failed
 * one prints and aborts, as the C library does. */
#define HAVE_STDINT_H 1
#define HAVE_STDLIB_H 1
#define HAVE_STRING_H 1
#define HAVE_UNISTD_H 1
#define HAVE_SYS_TYPES_H 1
#define STDC_HEADERS 1

/* mbedTLS: AES-NI (with PCLMUL for GCM) on x86-64 and the Armv8 crypto
 * extensions on aarch64, both chosen at run time from the CPU's feature
 * bits (cpuid; getauxval on Linux): TLS at hundreds of MB/s, not tens.
 * The C library's functions stay mbedTLS's defaults; its memory hooks are
 * set to the arena before every use (core/crypto/crypto.c, tls/mbedtls.c). */
#define MBEDTLS_HAVE_ASM
#define MBEDTLS_AESNI_C
#define MBEDTLS_AESCE_C

#endif
