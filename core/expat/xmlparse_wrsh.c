/*
 * expat's xmlparse.c as wrsh builds it, on every platform: the unchanged
 * file, with the C library calls wrsh never makes through it renamed to
 * stand-ins, so that an image for a freestanding target links none of
 * malloc, getenv, stdio, getpid or gettimeofday (`make freestanding-check`).
 * .deps/ is unpacked from Debian's source package, so it is not patched.
 *
 * Why each call is dead: core/wsman/xml.c always passes its own memory
 * suite (XML_ParserCreate_MM), so expat's default one (malloc, realloc,
 * free) is never taken; and it always sets the hash salt from the port's
 * random source (XML_SetHashSalt) before parsing, so expat never gathers
 * entropy (gettimeofday, getpid) nor prints it for EXPAT_ENTROPY_DEBUG
 * (getenv, fprintf to stderr; getDebugLevel's strtoul and errno go with
 * getenv, once it is known to return NULL). Should that code run anyway,
 * the stand-ins keep it safe: no parser without a suite (NULL, as when
 * out of memory), an empty environment, nothing printed, a salt of 0.
 *
 * The headers that declare those functions come first, so that they keep
 * their real names; xmlparse.c's own includes of them are then no-ops,
 * and the macros rename its uses only.
 *
 * Positions are not tracked: after every parse call expat scans all the
 * bytes it took once more, counting lines and columns for
 * XML_GetCurrentLineNumber (16 % of an HTTPS stream's instructions, 24 %
 * over HTTP). A WS-Man envelope is one line anyway; core/wsman/xml.c
 * reports the byte offset of an error (XML_GetCurrentByteIndex, which
 * needs no positions).
 */
#include <expat_config.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <unistd.h>

#include "internal.h" /* PTRCALL, which xmltok.h needs */
#include "xmltok.h"
#undef XmlUpdatePosition
#define XmlUpdatePosition(enc, ptr, end, pos) ((void)0)

static void *no_malloc(size_t n)
{
	(void)n;
	return NULL;
}

static void *no_realloc(void *p, size_t n)
{
	(void)p, (void)n;
	return NULL;
}

static void no_free(void *p)
{
	(void)p;
}

static char *no_getenv(const char *name)
{
	(void)name;
	return NULL;
}

static int no_fprintf(FILE *f, const char *fmt, ...)
{
	(void)f, (void)fmt;
	return 0;
}

static long no_getpid(void)
{
	return 0;
}

static int no_gettimeofday(struct timeval *tv, void *tz)
{
	(void)tz;
	tv->tv_sec = 0;
	tv->tv_usec = 0;
	return 0;
}

#define malloc no_malloc
#define realloc no_realloc
#define free no_free
#define getenv no_getenv
#define fprintf no_fprintf
#undef stderr
#define stderr ((FILE *)NULL)
#define getpid no_getpid
#define gettimeofday no_gettimeofday

#include "xmlparse.c"
