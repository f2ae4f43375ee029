#include <stdio.h>
#include <string.h>

#include "util/hex.h"
#include "vectors.h"

int vec_each(const char *path, vec_fn fn)
{
	char line[4096], desc[256] = "";
	int n = 0;
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *fields[VEC_MAX_FIELDS], *p = line, *colon, *space;
		int nf = 0;
		line[strcspn(line, "\r\n")] = 0;
		if (line[0] == '#' || !line[0])
			continue;
		colon = strchr(line, ':');
		space = strchr(line, ' ');
		if (!colon || (space && space < colon)) {
			snprintf(desc, sizeof(desc), "%.200s", line);
			continue;
		}
		while (nf < VEC_MAX_FIELDS) {
			fields[nf++] = p;
			p = strchr(p, ':');
			if (!p)
				break;
			*p++ = 0;
		}
		fn(desc, fields, nf);
		n++;
	}
	fclose(f);
	return n;
}

size_t vec_hex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = strlen(hex);
	if (n % 2 || n / 2 > cap || hex_decode(hex, n, out, n / 2))
		return (size_t)-1;
	return n / 2;
}

wrsh_err vec_err(const char *name)
{
	static const char *const names[] = {
		"OK",	 "EINVAL", "ENOMEM", "ELIMIT",	     "EIO",	   "ETIMEDOUT", "ECLOSED",
		"ETLS",	 "ECERT",  "EHTTP",  "EAUTH",	     "EINTEGRITY", "EXML",	"EFAULT",
		"EPSRP", "ESTATE", "EPROTO", "EUNSUPPORTED", "EINTR"};
	size_t i;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return (wrsh_err)i;
	return WRSH_ERR_COUNT;
}

size_t vec_unescape(char *s)
{
	char *o = s, *p = s;
	while (*p) {
		if (p[0] == '\\' && (p[1] == 'r' || p[1] == 'n')) {
			*o++ = p[1] == 'r' ? '\r' : '\n';
			p += 2;
		} else {
			*o++ = *p++;
		}
	}
	*o = 0;
	return (size_t)(o - s);
}
