/* Build configuration: Kconfig's header when the Makefile made one, then a
 * default for every symbol (so firmware can compile core/ without Kconfig),
 * then the consistency checks. */
#ifndef WRSH_CONFIG_H
#define WRSH_CONFIG_H

#ifdef WRSH_HAVE_AUTOCONF
#include "wrsh_autoconf.h"
#endif
#include "wrsh_config_defaults.h"
#include "check_config.h"

#endif
