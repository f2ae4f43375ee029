/*
 * How wrsh builds expat (xmlparse.c, xmlrole.c, xmltok.c compiled directly,
 * no configure step, the same for every target).
 *
 * - XML_NS: namespace processing; every WS-Man element is matched by URI.
 * - No XML_DTD: SOAP forbids DTDs and core/wsman/xml.c refuses any DOCTYPE, so
 *   parameter entities and external subsets are dead weight.
 * - No XML_CONTEXT_BYTES: nothing asks expat for input context, and without
 *   it expat parses straight from our receive buffer instead of copying.
 * - XML_POOR_ENTROPY: core/wsman/xml.c always sets the hash salt from the port's
 *   random source before parsing, so expat's own entropy code never runs
 *   (and needs no getrandom on an RTOS).
 * - What the platform has (its headers, assert) is port/<platform>/port_config.h's;
 *   xmlparse.c is built through xmlparse_wrsh.c, which keeps the C library
 *   calls wrsh never makes out of the image.
 */
#ifndef WRSH_EXPAT_CONFIG_H
#define WRSH_EXPAT_CONFIG_H

#include "port_config.h"

#if defined(WRSH_EXPAT_NO_ASSERT) && !defined(NDEBUG)
#define NDEBUG 1
#endif

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define BYTEORDER 4321
#define WORDS_BIGENDIAN 1
#else
#define BYTEORDER 1234
#endif

#define XML_NS 1
#define XML_POOR_ENTROPY 1
#define PACKAGE "expat"
#define PACKAGE_NAME "expat"
#define PACKAGE_VERSION "2.5.0"

#endif
