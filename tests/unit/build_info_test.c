/*
 * wrsh_build_info() against the Kconfig header this build was compiled
 * with: every feature flag and every cap, a feature's caps 0 when it is
 * not built in.
 */
#include "config.h"
#include "harness.h"
#include "wrsh.h"

static size_t cap_if(int on, size_t v)
{
	return on ? v : 0;
}

static void test_build_info_matches_autoconf(void)
{
	const struct wrsh_build_info *b = wrsh_build_info();
	CHECK(b == wrsh_build_info()); /* one constant, not a fresh copy */
	CHECK_STR(b->version, WRSH_VERSION);
	CHECK_EQ(b->identify, CONFIG_WRSH_WSMAN_IDENTIFY);
	CHECK_EQ(b->winrs, CONFIG_WRSH_WINRS);
	CHECK_EQ(b->psrp, CONFIG_WRSH_PSRP);
	CHECK_EQ(b->cim, CONFIG_WRSH_CIM);
	CHECK_EQ(b->auth_basic, CONFIG_WRSH_AUTH_BASIC);
	CHECK_EQ(b->auth_ntlm, CONFIG_WRSH_AUTH_NTLM);
	CHECK_EQ(b->tls, CONFIG_WRSH_TLS);
	CHECK_EQ(b->tls_crl, CONFIG_WRSH_TLS && CONFIG_WRSH_TLS_CRL);
	CHECK_EQ(b->trace, CONFIG_WRSH_WSMAN_TRACE);
	CHECK_EQ(b->tx_buf, CONFIG_WRSH_WSMAN_TX_BUF);
	CHECK_EQ(b->rx_buf, CONFIG_WRSH_WSMAN_RX_BUF);
	CHECK_EQ(b->seal_max, cap_if(CONFIG_WRSH_AUTH_NTLM, CONFIG_WRSH_WSMAN_SEAL_MAX));
	CHECK_EQ(b->http_head_max, CONFIG_WRSH_HTTP_HEAD_MAX);
	CHECK_EQ(b->http_max_line, CONFIG_WRSH_HTTP_MAX_LINE);
	CHECK_EQ(b->http_max_headers, CONFIG_WRSH_HTTP_MAX_HEADERS);
	CHECK_EQ(b->http_max_drain, CONFIG_WRSH_HTTP_MAX_DRAIN);
	CHECK_EQ(b->max_envelope, CONFIG_WRSH_WSMAN_MAX_ENVELOPE);
	CHECK_EQ(b->xml_max_depth, CONFIG_WRSH_XML_MAX_DEPTH);
	CHECK_EQ(b->text_max, CONFIG_WRSH_WSMAN_TEXT_MAX);
	CHECK_EQ(b->errmsg_len, CONFIG_WRSH_ERR_MSG_LEN);
	CHECK_EQ(b->cim_depth, cap_if(CONFIG_WRSH_CIM, CONFIG_WRSH_CIM_DEPTH));
	CHECK_EQ(b->cim_name_max, cap_if(CONFIG_WRSH_CIM, CONFIG_WRSH_CIM_NAME_MAX));
	CHECK_EQ(b->cim_context_max, cap_if(CONFIG_WRSH_CIM, CONFIG_WRSH_CIM_CONTEXT_MAX));
	CHECK_EQ(b->cim_max_selectors, cap_if(CONFIG_WRSH_CIM, CONFIG_WRSH_CIM_MAX_SELECTORS));
}

/* What check_config.h guarantees holds for the reported values too. */
static void test_build_info_sizes_are_sane(void)
{
	const struct wrsh_build_info *b = wrsh_build_info();
	CHECK(b->tx_buf >= 2048);
	CHECK(b->max_envelope >= 8192);
	CHECK(b->errmsg_len >= 64);
	CHECK(b->winrs || b->identify);
	CHECK(!b->psrp || b->winrs);
}

void build_info_tests(void)
{
	RUN(test_build_info_matches_autoconf);
	RUN(test_build_info_sizes_are_sane);
}
