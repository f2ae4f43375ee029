/* GUIDs as WS-Man writes them: 8-4-4-4-12 upper-case hex, byte order as text
 * (RFC 4122). PSRP's .NET byte order is a separate concern of psrp/. */
#ifndef WRSH_GUID_H
#define WRSH_GUID_H

#include <stdint.h>

#include "wrsh.h"

#define GUID_STR_LEN 36

/* Format g as "XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX" plus NUL into out[37]. */
void guid_format(const uint8_t g[16], char out[GUID_STR_LEN + 1]);
/* Parse either case, optional "uuid:" prefix and braces. WRSH_EPROTO if bad. */
wrsh_err guid_parse(const char *s, size_t n, uint8_t g[16]);
/* Turn 16 random bytes into a version 4 GUID. */
void guid_v4(uint8_t g[16]);

#endif
