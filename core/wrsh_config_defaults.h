/*
 * A default for every configuration symbol (coreHTTP's
 * core_http_config_defaults.h). Kconfig (build/wrsh_autoconf.h) defines
 * every symbol, bools as 0 or 1; a firmware build without Kconfig gets these.
 * The help texts in the Kconfig files say what each one costs and breaks.
 */
#ifndef WRSH_CONFIG_DEFAULTS_H
#define WRSH_CONFIG_DEFAULTS_H

#ifndef CONFIG_WRSH_TX_BUF
#define CONFIG_WRSH_TX_BUF 16384
#endif
#ifndef CONFIG_WRSH_RX_BUF
#define CONFIG_WRSH_RX_BUF 8192
#endif
#ifndef CONFIG_WRSH_HTTP_MAX_LINE
#define CONFIG_WRSH_HTTP_MAX_LINE 4096
#endif
#ifndef CONFIG_WRSH_HTTP_HEAD_MAX
#define CONFIG_WRSH_HTTP_HEAD_MAX 2048
#endif
#ifndef CONFIG_WRSH_HTTP_MAX_HEADERS
#define CONFIG_WRSH_HTTP_MAX_HEADERS 64
#endif
#ifndef CONFIG_WRSH_HTTP_MAX_DRAIN
#define CONFIG_WRSH_HTTP_MAX_DRAIN 65536
#endif
#ifndef CONFIG_WRSH_MAX_ENVELOPE
#define CONFIG_WRSH_MAX_ENVELOPE 153600
#endif
#ifndef CONFIG_WRSH_XML_MAX_DEPTH
#define CONFIG_WRSH_XML_MAX_DEPTH 32
#endif
#ifndef CONFIG_WRSH_TEXT_MAX
#define CONFIG_WRSH_TEXT_MAX 512
#endif
#ifndef CONFIG_WRSH_ERRMSG_LEN
#define CONFIG_WRSH_ERRMSG_LEN 256
#endif
#ifndef CONFIG_WRSH_TRACE
#define CONFIG_WRSH_TRACE 1
#endif
#ifndef CONFIG_WRSH_IDENTIFY
#define CONFIG_WRSH_IDENTIFY 1
#endif
#ifndef CONFIG_WRSH_WINRS
#define CONFIG_WRSH_WINRS 1
#endif
#ifndef CONFIG_WRSH_PSRP
#define CONFIG_WRSH_PSRP 1
#endif
#ifndef CONFIG_WRSH_XFER
#define CONFIG_WRSH_XFER 1
#endif
#ifndef CONFIG_WRSH_XFER_SEGMENT
#define CONFIG_WRSH_XFER_SEGMENT 16777216
#endif
#ifndef CONFIG_WRSH_PSRP_SECURE
#define CONFIG_WRSH_PSRP_SECURE 1
#endif
#ifndef CONFIG_WRSH_PSRP_SECRET_MAX
#define CONFIG_WRSH_PSRP_SECRET_MAX 256
#endif
#ifndef CONFIG_WRSH_CIM
#define CONFIG_WRSH_CIM 1
#endif
#ifndef CONFIG_WRSH_CIM_DEPTH
#define CONFIG_WRSH_CIM_DEPTH 8
#endif
#ifndef CONFIG_WRSH_CIM_NAME_MAX
#define CONFIG_WRSH_CIM_NAME_MAX 128
#endif
#ifndef CONFIG_WRSH_CIM_CONTEXT_MAX
#define CONFIG_WRSH_CIM_CONTEXT_MAX 128
#endif
#ifndef CONFIG_WRSH_CIM_MAX_SELECTORS
#define CONFIG_WRSH_CIM_MAX_SELECTORS 16
#endif
#ifndef CONFIG_WRSH_AUTH_BASIC
#define CONFIG_WRSH_AUTH_BASIC 1
#endif
#ifndef CONFIG_WRSH_TLS
#define CONFIG_WRSH_TLS 1
#endif
#ifndef CONFIG_WRSH_TLS_CRL
#define CONFIG_WRSH_TLS_CRL 1
#endif
#ifndef CONFIG_WRSH_AUTH_NTLM
#define CONFIG_WRSH_AUTH_NTLM 1
#endif
#ifndef CONFIG_WRSH_SEAL_MAX
#define CONFIG_WRSH_SEAL_MAX 32768
#endif

#endif
