/*
 * wrsh_build_info(): this build's Kconfig values as one constant, so an
 * integrator can read what a library binary was built with (wrsh.h).
 */
#include "config.h"
#include "wrsh.h"

/* a feature's caps read 0 when the feature is not built in */
#define IF_ON(feature, v) ((feature) ? (size_t)(v) : 0)

static const struct wrsh_build_info info = {
	.version = WRSH_VERSION,
	.identify = CONFIG_WRSH_WSMAN_IDENTIFY,
	.winrs = CONFIG_WRSH_WINRS,
	.psrp = CONFIG_WRSH_PSRP,
	.cim = CONFIG_WRSH_CIM,
	.auth_basic = CONFIG_WRSH_AUTH_BASIC,
	.auth_ntlm = CONFIG_WRSH_AUTH_NTLM,
	.auth_kerberos = CONFIG_WRSH_AUTH_KERBEROS,
	.tls = CONFIG_WRSH_TLS,
	.tls_crl = CONFIG_WRSH_TLS && CONFIG_WRSH_TLS_CRL,
	.trace = CONFIG_WRSH_WSMAN_TRACE,
	.tx_buf = CONFIG_WRSH_WSMAN_TX_BUF,
	.rx_buf = CONFIG_WRSH_WSMAN_RX_BUF,
	.seal_max = IF_ON(CONFIG_WRSH_AUTH_NTLM || CONFIG_WRSH_AUTH_KERBEROS,
			  CONFIG_WRSH_WSMAN_SEAL_MAX),
	.http_head_max = CONFIG_WRSH_HTTP_HEAD_MAX,
	.http_max_line = CONFIG_WRSH_HTTP_MAX_LINE,
	.http_max_headers = CONFIG_WRSH_HTTP_MAX_HEADERS,
	.http_max_drain = CONFIG_WRSH_HTTP_MAX_DRAIN,
	.max_envelope = CONFIG_WRSH_WSMAN_MAX_ENVELOPE,
	.xml_max_depth = CONFIG_WRSH_XML_MAX_DEPTH,
	.text_max = CONFIG_WRSH_WSMAN_TEXT_MAX,
	.errmsg_len = CONFIG_WRSH_ERR_MSG_LEN,
	.krb5_ticket_max = IF_ON(CONFIG_WRSH_AUTH_KERBEROS, CONFIG_WRSH_AUTH_KRB5_TICKET_MAX),
	.krb5_kdcs = IF_ON(CONFIG_WRSH_AUTH_KERBEROS, CONFIG_WRSH_AUTH_KRB5_KDCS),
	.cim_depth = IF_ON(CONFIG_WRSH_CIM, CONFIG_WRSH_CIM_DEPTH),
	.cim_name_max = IF_ON(CONFIG_WRSH_CIM, CONFIG_WRSH_CIM_NAME_MAX),
	.cim_context_max = IF_ON(CONFIG_WRSH_CIM, CONFIG_WRSH_CIM_CONTEXT_MAX),
	.cim_max_selectors = IF_ON(CONFIG_WRSH_CIM, CONFIG_WRSH_CIM_MAX_SELECTORS),
};

/* see wrsh.h */
const struct wrsh_build_info *wrsh_build_info(void)
{
	return &info;
}
