/*
 * winrm.cmd's short resource forms (`winrm help uris`), for firmware and
 * the CLI alike: an alias, then the rest of the path as it is.
 */
#include <string.h>

#include "util/str.h"
#include "wrsh.h"

static const struct {
	const char *alias, *uri;
} aliases[] = {
	{"wmi", "http://schemas.microsoft.com/wbem/wsman/1/wmi"},
	{"wmicimv2", "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2"},
	{"cimv2", "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2"},
	{"winrm", "http://schemas.microsoft.com/wbem/wsman/1"},
	{"wsman", "http://schemas.microsoft.com/wbem/wsman/1"},
	{"shell", "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"},
};

/* see wrsh.h */
const char *wrsh_cim_resource_uri(const char *res, char *buf, size_t cap)
{
	size_t i, n, a, rest;
	if (!res)
		return NULL;
	if (strstr(res, "://"))
		return res;
	n = strcspn(res, "/");
	rest = strlen(res + n);
	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		if (strlen(aliases[i].alias) != n || !str_ieq(res, n, aliases[i].alias))
			continue;
		a = strlen(aliases[i].uri);
		if (!buf || a + rest >= cap)
			return NULL;
		memcpy(buf, aliases[i].uri, a);
		memcpy(buf + a, res + n, rest + 1);
		return buf;
	}
	return NULL;
}
