/* Refuse configurations that cannot work (mbedTLS's check_config.h idea). */
#ifndef WRSH_CHECK_CONFIG_H
#define WRSH_CHECK_CONFIG_H

#if CONFIG_WRSH_WSMAN_TX_BUF < 2048
#error "CONFIG_WRSH_WSMAN_TX_BUF below 2048 cannot hold a WS-Man envelope"
#endif
#if CONFIG_WRSH_WSMAN_RX_BUF < 256
#error "CONFIG_WRSH_WSMAN_RX_BUF must be at least 256"
#endif
#if CONFIG_WRSH_HTTP_MAX_LINE < 128
#error "CONFIG_WRSH_HTTP_MAX_LINE below 128 cannot hold a status line"
#endif
#if CONFIG_WRSH_WSMAN_MAX_ENVELOPE < 8192
#error "CONFIG_WRSH_WSMAN_MAX_ENVELOPE below 8192: Windows refuses MaxEnvelopeSize under 8 KB"
#endif
#if CONFIG_WRSH_XML_MAX_DEPTH < 8 || CONFIG_WRSH_XML_MAX_DEPTH > 250
#error "CONFIG_WRSH_XML_MAX_DEPTH must be within 8..250"
#endif
#if CONFIG_WRSH_WSMAN_TEXT_MAX < 64
#error "CONFIG_WRSH_WSMAN_TEXT_MAX below 64 cannot hold a GUID or a fault code"
#endif
#if CONFIG_WRSH_ERR_MSG_LEN < 64
#error "CONFIG_WRSH_ERR_MSG_LEN must be at least 64"
#endif
#if (CONFIG_WRSH_AUTH_NTLM || CONFIG_WRSH_AUTH_KERBEROS) && (CONFIG_WRSH_WSMAN_SEAL_MAX < 8192)
#error "CONFIG_WRSH_WSMAN_SEAL_MAX below 8192 is below the smallest MaxEnvelopeSize"
#endif
#if CONFIG_WRSH_CIM && (CONFIG_WRSH_CIM_DEPTH < 2 || CONFIG_WRSH_CIM_DEPTH > 32)
#error "CONFIG_WRSH_CIM_DEPTH must be within 2..32"
#endif
#if CONFIG_WRSH_CIM && CONFIG_WRSH_CIM_NAME_MAX < 16
#error "CONFIG_WRSH_CIM_NAME_MAX below 16 cannot hold Win32 property names"
#endif
#if CONFIG_WRSH_CIM && CONFIG_WRSH_CIM_CONTEXT_MAX < 48
#error "CONFIG_WRSH_CIM_CONTEXT_MAX below 48 cannot hold a uuid: context"
#endif
#if CONFIG_WRSH_CIM && CONFIG_WRSH_CIM_MAX_SELECTORS < 1
#error "CONFIG_WRSH_CIM_MAX_SELECTORS must be at least 1"
#endif
#if !CONFIG_WRSH_WINRS && !CONFIG_WRSH_WSMAN_IDENTIFY
#error "nothing to do: enable WinRS or Identify"
#endif

#endif
