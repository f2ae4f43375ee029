/*
 * Answers a scripted WinRM server gives, queued on a mock port (port/mock):
 * envelopes for Create, Command, Delete and Receive with PSRP messages, and
 * recorded Windows responses read from files. Shared by the tests that play
 * the server (ps_session_test.c, fault_test.c).
 */
#ifndef WRSH_MOCK_SERVER_H
#define WRSH_MOCK_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mock.h"

#define MSRV_SOAP_CT "application/soap+xml;charset=UTF-8"
/* the Actions of the answers without a body (MS-WSMV 3.1.4) */
#define MSRV_DELETED "http://schemas.xmlsoap.org/ws/2004/09/transfer/DeleteResponse"
#define MSRV_SENT "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/SendResponse"
/* the ShellId msrv_created answers with */
#define MSRV_SHELL_ID "7E2F4A0C-0D4B-4F43-9D86-1F5B2A9C3E11"

/* An HTTP 200 around a SOAP body. */
void msrv_add(struct mock_port *m, const char *body);
/* A recorded response body from a file, with this HTTP status. */
void msrv_add_file(struct mock_port *m, const char *path, int status);
/* CreateResponse naming MSRV_SHELL_ID. */
void msrv_created(struct mock_port *m);
/* CommandResponse with a CommandId. */
void msrv_command_response(struct mock_port *m);
/* An empty body: the answer to Delete, Signal and Send, with its Action. */
void msrv_empty(struct mock_port *m, const char *action);
/* A ReceiveResponse whose stdout carries n PSRP messages (types[i],
 * clixml[i]) of runspace pool `pool`, each in one fragment, a pipeline's
 * messages with PID pid (NULL: nil); done adds CommandState Done; cut
 * takes that many bytes off the end of the stream. */
void msrv_messages(struct mock_port *m, const uint8_t pool[16], const uint8_t *pid, bool done,
		   int n, const uint32_t *types, const char *const *clixml, size_t cut);

#endif
