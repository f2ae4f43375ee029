/*
 * The generic WS-Management operations on resources (wrsh.h, "CIM / WS-Man
 * resources"): request writers for Get, Put, Create, Delete, Invoke,
 * Enumerate, Pull and Release, and the enumeration the session keeps open
 * between pages.
 */
#ifndef WRSH_CIM_OPS_H
#define WRSH_CIM_OPS_H

#include "cim/instance.h"
#include "wsman/session.h"

#define CIM_NS_ENUM "http://schemas.xmlsoap.org/ws/2004/09/enumeration"
#define CIM_DIALECT_WQL "http://schemas.microsoft.com/wbem/wsman/1/WQL"
#define CIM_DEFAULT_MAX_ELEMENTS 100u

/* The open enumeration: one arena block holding this and, after it, the
 * copied resource URI and selector strings (Pull and Release name the same
 * resource as the Enumerate did). */
struct cim_enum {
	struct sess_part part; /* first: Released at wrsh_close */
	char context[CONFIG_WRSH_CIM_CONTEXT_MAX];
	const char *uri;
	struct wsman_kv sel[CONFIG_WRSH_CIM_MAX_SELECTORS];
	size_t nsel;
	uint32_t max_elements;
};

#endif
