/* The unit test runner: every suite, then "N passed, N failed". */
#include "harness.h"

void mem_tests(void);
void util_tests(void);
void crypto_tests(void);
void kcrypto_tests(void);
void der_tests(void);
void krb5_tests(void);
void ntlm_tests(void);
void http_tests(void);
void xml_tests(void);
void session_tests(void);
void seal_tests(void);
void psrp_tests(void);
void clixml_tests(void);
void psrp_build_tests(void);
void ps_session_tests(void);
void cim_tests(void);
void fault_tests(void);
void tls_tests(void);
void p256_tests(void);
void build_info_tests(void);
void secure_tests(void);
void xfer_tests(void);
void proxy_tests(void);
void dns_tests(void);

static void all(void)
{
	mem_tests();
	util_tests();
	crypto_tests();
	kcrypto_tests();
	der_tests();
	krb5_tests();
	ntlm_tests();
	http_tests();
	xml_tests();
	session_tests();
	seal_tests();
	psrp_tests();
	clixml_tests();
	psrp_build_tests();
	ps_session_tests();
	cim_tests();
	fault_tests();
	tls_tests();
	p256_tests();
	build_info_tests();
	secure_tests();
	xfer_tests();
	proxy_tests();
	dns_tests();
}

int main(int argc, char **argv)
{
	return harness_main(argc, argv, all);
}
