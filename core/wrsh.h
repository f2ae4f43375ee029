/*
 * wrsh: a small-footprint WinRM / WS-Management client library.
 *
 * This header is the whole public API. House rules, once for every function:
 *
 * - Memory. The caller owns all of it. wrsh_arena_init() turns one caller
 *   buffer into the arena every session allocation comes from (and, through
 *   the hooks in tls/ and core/wsman/xml.c, mbedTLS and expat too). Nothing is ever
 *   taken from the C heap. Running out is WRSH_ENOMEM with the size in
 *   wrsh_errmsg(), never a crash. Stack: no function of the library takes
 *   a frame above 1 KB (`make check-stack`); larger working memory (NTLM's
 *   scratch, a CIM operation's) is taken from the arena for the call.
 * - Strings are NUL-terminated UTF-8 unless a length is passed beside them.
 *   Pointers passed in options are read during the call only, unless the
 *   function says otherwise; the session copies what it keeps.
 * - Errors. Every fallible function returns wrsh_err. Errors are sticky: after
 *   the first one, later calls on the session return it again, and only
 *   wrsh_close() still acts (it still deletes a remote shell where it can).
 *   WRSH_EINTR is the exception: it reports that the port woke the session
 *   (a signal, local input) and leaves the session usable; so is WRSH_EFILE,
 *   one file that could not be copied (the protocol ended cleanly).
 * - Threads. A session is used from one thread at a time; different
 *   sessions may run in different threads at once. The library keeps no
 *   mutable state of its own (core/ and tls/ objects hold no writable data,
 *   `make check-state`): what expat's and mbedTLS's context-free allocation
 *   hooks need goes through the port's per-thread hook slot
 *   (wrsh_port_hook_slot() in port.h; port/posix keeps it thread-local).
 *   One limit remains inside mbedTLS: its PSA key store is process-wide and
 *   unlocked unless mbedTLS is built with MBEDTLS_THREADING_C (the bundled
 *   one is not), so HTTPS sessions run their TLS calls in one thread at a
 *   time. HTTP sessions, sealed or not, touch nothing shared (NTLM hashes
 *   with core's MD4/RC4 and mbedTLS's context-only MD5); tests/threads runs
 *   four at once under ThreadSanitizer (`make test-tsan`).
 */
#ifndef WRSH_H
#define WRSH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WRSH_VERSION "0.1.0"

/* Values are stable; new codes are added at the end. */
typedef enum {
	WRSH_OK = 0,
	WRSH_EINVAL,	   /* a bad argument at the API edge */
	WRSH_ENOMEM,	   /* the arena is exhausted */
	WRSH_ELIMIT,	   /* the peer exceeded a configured cap */
	WRSH_EIO,	   /* a socket or name resolution error */
	WRSH_ETIMEDOUT,	   /* connect, read or write took longer than allowed */
	WRSH_ECLOSED,	   /* the peer closed the connection mid-exchange */
	WRSH_ETLS,	   /* TLS handshake or record failure */
	WRSH_ECERT,	   /* the server certificate was not accepted */
	WRSH_EHTTP,	   /* malformed HTTP or an unexpected status */
	WRSH_EAUTH,	   /* authentication was refused or is not possible */
	WRSH_EINTEGRITY,   /* a message signature did not verify */
	WRSH_EXML,	   /* malformed XML */
	WRSH_EFAULT,	   /* the server answered with a SOAP / WS-Man fault */
	WRSH_EPSRP,	   /* a PowerShell Remoting protocol error */
	WRSH_ESTATE,	   /* the call is not valid in the session's state */
	WRSH_EPROTO,	   /* well-formed input the protocol does not allow */
	WRSH_EUNSUPPORTED, /* a feature that is not built in or not supported */
	WRSH_EINTR,	   /* the port woke the session; not sticky */
	WRSH_EFILE,	   /* a file was not copied (refused, or did not verify); not sticky */
	WRSH_ERR_COUNT
} wrsh_err;

/* A static English name for an error code ("arena exhausted"). */
const char *wrsh_strerror(wrsh_err err);

/* ---- This build --------------------------------------------------------- */

/*
 * What this build of the library holds: its version, which features are
 * compiled in, and every Kconfig cap that bounds memory or input (the
 * CONFIG_WRSH_* values, in bytes unless named otherwise). A cap of a
 * feature that is not built in reads 0. For integrators sizing an arena
 * and for `wrsh --version -v`.
 */
struct wrsh_build_info {
	const char *version; /* WRSH_VERSION */
	/* features */
	bool identify, winrs, psrp, cim;
	bool auth_basic, auth_ntlm, auth_kerberos; /* under Negotiate, with sealing */
	bool tls, tls_crl;			   /* TLS: HTTPS and certificate authentication */
	bool trace;
	/* caps */
	size_t tx_buf, rx_buf, seal_max;
	size_t http_head_max, http_max_line, http_max_headers, http_max_drain;
	size_t max_envelope, xml_max_depth, text_max, errmsg_len;
	size_t cim_depth, cim_name_max, cim_context_max, cim_max_selectors;
	size_t krb5_ticket_max, krb5_kdcs;
};

/* The one, constant description of this build. */
const struct wrsh_build_info *wrsh_build_info(void);

/* ---- Arena ------------------------------------------------------------- */

struct wrsh_arena;

/*
 * Turn buf[0..len) into an arena. The arena header lives at the start of buf,
 * so buf must stay valid and untouched until the last session on it is
 * closed. Returns NULL when len is too small to hold the header. There is
 * nothing to release: the buffer is the caller's.
 */
struct wrsh_arena *wrsh_arena_init(void *buf, size_t len);

/*
 * General-purpose allocation inside the arena (first fit, coalescing, aligned
 * for any type). Exposed so that ports and TLS layers draw from the same
 * budget as the session. NULL when the arena cannot satisfy the request.
 */
void *wrsh_arena_alloc(struct wrsh_arena *a, size_t n);
void *wrsh_arena_calloc(struct wrsh_arena *a, size_t count, size_t n);
void *wrsh_arena_realloc(struct wrsh_arena *a, void *p, size_t n);
void wrsh_arena_free(struct wrsh_arena *a, void *p);

/* Bytes of buf ever used at once (the high-water mark), and buf's size. */
size_t wrsh_arena_peak(const struct wrsh_arena *a);
size_t wrsh_arena_size(const struct wrsh_arena *a);
/* Bytes allocated right now. */
size_t wrsh_arena_in_use(const struct wrsh_arena *a);

/* Overwrite n bytes with zeros in a way the compiler cannot drop. */
void wrsh_wipe(void *p, size_t n);

/* ---- Sessions ------------------------------------------------------------ */

struct wrsh_session;
struct wrsh_port;

enum wrsh_auth {
	WRSH_AUTH_NONE,	       /* no credentials (anonymous Identify only) */
	WRSH_AUTH_BASIC,       /* RFC 7617; HTTPS, or HTTP with allow_unencrypted */
	WRSH_AUTH_NTLM,	       /* NTLMv2 under Negotiate, sealed over HTTP */
	WRSH_AUTH_NEGOTIATE,   /* Kerberos when a KDC or ticket cache is given (NTLM when
				* it cannot be had), else NTLM: the Windows default */
	WRSH_AUTH_CERTIFICATE, /* TLS client certificate, carried by the port */
	WRSH_AUTH_KERBEROS     /* RFC 4121 under Negotiate, sealed over HTTP; needs a KDC */
};

/* Called with protocol text for -v style tracing: dir is ">" for bytes sent,
 * "<" for bytes received, "*" for notes. Credentials never reach it. */
typedef void (*wrsh_trace_fn)(void *ctx, const char *dir, const char *text, size_t len);

struct wrsh_opts {
	const char *host; /* DNS name or IP literal; "[::1]" and "::1" both work */
	uint16_t port;	  /* 0: 5985, or 5986 with https */
	bool https;	  /* URL scheme; the port must be a TLS port (secure) */
	const char *path; /* NULL: "/wsman" */
	enum wrsh_auth auth;
	const char *user;	/* "user", "DOMAIN\\user" or "user@domain" */
	const char *password;	/* copied (encoded) at open; wipe yours afterwards */
	const uint8_t *nt_hash; /* NTLM: the 16-byte NT hash instead of a password */
	const char *spn;	/* NULL: "HTTP/" host (what WinRM registers) */
	/* Kerberos: the realm (NULL: after the user's '@', or its DOMAIN,
	 * upper-cased), the KDC (port 0: 88) and a plain stream port to reach
	 * it, valid until wrsh_close() (the session's timeout applies). With
	 * kdc_host NULL the realm's KDCs are looked up as DNS SRV records
	 * (_kerberos._tcp.REALM) through the port's resolve_srv. TCP, as
	 * Windows asks since Vista; kdc_udp: UDP first, where the port has
	 * connect_dgram (MIT's default), and TCP when the answer is too big
	 * (KRB_ERR_RESPONSE_TOO_BIG) or none comes. */
	const char *realm, *kdc_host;
	uint16_t kdc_port;
	bool kdc_udp;
	const struct wrsh_port *kdc_stream;
	/* Kerberos across realms: the service's realm where it is not the
	 * user's (krb5.conf's [domain_realm] names it; NULL: the user's, or
	 * whichever realm the KDC refers the request to, RFC 6806 8); the
	 * ticket comes through cross-realm TGTs, at most four realms away.
	 * realm_kdc names another realm's KDC (host into host[0..cap), port
	 * 0: 88, udp as kdc_udp): 0, or nonzero for none known, and then
	 * that realm's DNS SRV records are asked. NULL: always DNS SRV. */
	const char *service_realm;
	int (*realm_kdc)(void *ctx, const char *realm, char *host, size_t cap, uint16_t *port,
			 bool *udp);
	void *realm_kdc_ctx;
	/* Kerberos: a FILE: credential cache's bytes (kinit's) instead of a
	 * password: its ticket for the SPN, or its TGT to get one (the KDC is
	 * then needed); user may be NULL (the cache's principal). Valid until
	 * wrsh_close(). */
	const uint8_t *krb5_ccache;
	size_t krb5_ccache_len;
	/* Kerberos: a keytab's bytes (MIT's format, kadmin's ktadd) holding
	 * the user's key instead of a password. Valid until wrsh_close(). */
	const uint8_t *krb5_keytab;
	size_t krb5_keytab_len;
	/* Kerberos: when the KDC gives tickets (a password or keytab logon),
	 * they are written here as a FILE: ccache image (the TGT and the
	 * service ticket, as kinit and kvno would leave them) and
	 * *krb5_ccache_out_len set to its length (0: none, or beyond cap);
	 * the application may save it for later sessions' krb5_ccache.
	 * Valid until wrsh_close(). */
	uint8_t *krb5_ccache_out;
	size_t krb5_ccache_out_cap, *krb5_ccache_out_len;
	bool seal_https;	       /* NTLM: seal bodies over HTTPS too */
	bool no_ntlm;		       /* Negotiate with Kerberos: no NTLM when it fails */
	bool allow_unencrypted;	       /* permit credentials and bodies in clear over HTTP */
	uint32_t timeout_ms;	       /* connect, TLS handshake, a request, an answer: 0: 30 s */
	uint32_t operation_timeout_ms; /* WS-Man OperationTimeout; 0: 20 s */
	uint32_t max_envelope;	       /* MaxEnvelopeSize to announce; 0: Kconfig default.
					* Sealed: held whole, so this much arena, at most
					* CONFIG_WRSH_WSMAN_MAX_ENVELOPE; 0: CONFIG_WRSH_WSMAN_SEAL_MAX */
	uint32_t send_buf;   /* the largest request body: 0: CONFIG_WRSH_WSMAN_TX_BUF; more
					* lets PowerShell send up to the server's envelope in
					* one request (file transfers); costs this much arena */
	const char *locale;  /* NULL: "en-US" */
	wrsh_trace_fn trace; /* NULL: no tracing */
	void *trace_ctx;
	/* Plain HTTP through a forward proxy (RFC 9112 3.2.2): the port
	 * connects to the proxy (port/proxy.h), and each request names the
	 * server in absolute form, "POST http://host:5985/wsman". HTTPS goes
	 * through a CONNECT tunnel in the port instead; ignored there. */
	bool proxy_absolute;
	/* With proxy_absolute: header lines for the proxy, each ending in
	 * CRLF (its Proxy-Authorization), or NULL; copied, wiped at close,
	 * redacted in the trace. */
	const char *proxy_header;
};

/*
 * Open a session in the arena. Nothing goes on the network yet: the first
 * operation connects. port must stay valid until wrsh_close(); o is read
 * during the call only.
 * Errors: WRSH_EINVAL (missing host, credentials without a user, a port
 * lacking a callback other than filetime, errmsg, channel_binding, ...),
 * WRSH_ENOMEM, WRSH_EAUTH (Basic over plain HTTP without allow_unencrypted),
 * WRSH_EUNSUPPORTED (an authentication method not built in).
 * On error *out still points to a session holding the message for
 * wrsh_errmsg() (it is NULL only when the arena could not hold the session
 * itself): close it with wrsh_close().
 */
wrsh_err wrsh_open(struct wrsh_session **out, struct wrsh_arena *a, const struct wrsh_port *port,
		   const struct wrsh_opts *o);

/*
 * Delete the remote shell if one is open (reconnecting if the connection was
 * lost; best effort, even after a sticky error), close the connection and
 * wipe the credentials. The arena memory of the session is returned.
 */
void wrsh_close(struct wrsh_session *s);

/* "module: detail" text about the last error, "" when there is none. Valid
 * until the next call on the session. */
const char *wrsh_errmsg(const struct wrsh_session *s);

/* Change the OperationTimeout of later requests (0: the default, 20 s). A
 * short one lets an application interleave Receives with other work, e.g.
 * stdin that keeps flowing while the command prints nothing. */
void wrsh_set_operation_timeout(struct wrsh_session *s, uint32_t ms);

struct wrsh_stats {
	size_t arena_peak, arena_size;
	uint32_t requests;
	uint64_t bytes_sent, bytes_received;
};
void wrsh_get_stats(const struct wrsh_session *s, struct wrsh_stats *st);

/* ---- Identify (DSP0226 section 11) --------------------------------------- */

/* Called for each leaf of the IdentifyResponse: "ProtocolVersion",
 * "ProductVendor", "ProductVersion", "SecurityProfileName" (repeated), and
 * whatever else the server adds. value is NUL-terminated, len its length. */
typedef wrsh_err (*wrsh_prop_fn)(void *ctx, const char *name, const char *value, size_t len);

/*
 * Ask the server who it is. With authenticated=false the request carries no
 * credentials (the WSMANIDENTIFY: unauthenticated header Windows honours).
 * Errors: the transport, HTTP and fault errors of any operation; WRSH_EPROTO
 * when the body holds no IdentifyResponse.
 */
wrsh_err wrsh_identify(struct wrsh_session *s, bool authenticated, wrsh_prop_fn fn, void *ctx);

/* ---- WinRS: remote cmd shells (MS-WSMV 3.1.4.1.31) ------------------------ */

struct wrsh_shell_opts {
	const char *workdir;	/* NULL: the user's profile directory */
	const char *const *env; /* "NAME=VALUE" strings */
	size_t env_count;
	uint32_t codepage;	 /* 0: 65001 (UTF-8); output bytes arrive untouched */
	bool load_profile;	 /* false (default): WINRS_NOPROFILE */
	uint32_t idle_timeout_s; /* 0: the server's default */
};

/* Create the cmd shell. One shell per session at a time.
 * Errors: WRSH_ESTATE (a shell is open), transport/HTTP/fault errors
 * (e.g. the MaxShellsPerUser quota fault), WRSH_EPROTO (no ShellId). */
wrsh_err wrsh_shell_open(struct wrsh_session *s, const struct wrsh_shell_opts *o);

/* Delete the shell. After an error the shell counts as closed locally;
 * wrsh_close() does not try again. */
wrsh_err wrsh_shell_close(struct wrsh_session *s);

/*
 * Start COMMAND with ARGS in the shell. Windows joins command and arguments
 * with single spaces into one cmd.exe command line, so quote for cmd.exe
 * yourself (as with ssh). stdin is in console mode, so a ctrl_c signal
 * reaches the process. A previous command that finished is terminated first.
 * Errors: WRSH_ESTATE (no shell, or a command still running), transport,
 * HTTP and fault errors.
 */
wrsh_err wrsh_cmd_start(struct wrsh_session *s, const char *command, const char *const *args,
			size_t nargs);

/* Largest len wrsh_cmd_send accepts: what fits the send buffer as base64. */
size_t wrsh_cmd_send_max(const struct wrsh_session *s);

/* Send stdin bytes; eof=true closes the remote stdin (len may be 0).
 * Errors: WRSH_EINVAL (len above wrsh_cmd_send_max), WRSH_ESTATE,
 * transport, HTTP and fault errors. */
wrsh_err wrsh_cmd_send(struct wrsh_session *s, const void *buf, size_t len, bool eof);

/* Receives output: stream 1 is stdout, 2 stderr; bytes exactly as the server
 * sent them (in the shell's code page). A non-OK return aborts the receive
 * with that error. */
typedef wrsh_err (*wrsh_output_fn)(void *ctx, int stream, const void *buf, size_t len);

#define WRSH_WAKEABLE 1u /* the port may wake a waiting receive (WRSH_EINTR) */

/*
 * One Receive round: output is passed to out as it streams in. *done becomes
 * true with *exit_code once the command has ended. A server-side
 * OperationTimeout (w:TimedOut) is not an error: it returns WRSH_OK with no
 * output, poll again. With WRSH_WAKEABLE in flags, a port wake before the
 * response starts abandons this Receive (the connection is dropped and
 * re-opened by the next call) and returns WRSH_EINTR; nothing is lost.
 */
wrsh_err wrsh_cmd_receive(struct wrsh_session *s, wrsh_output_fn out, void *ctx, unsigned flags,
			  bool *done, uint32_t *exit_code);

enum wrsh_signal { WRSH_SIGNAL_CTRL_C, WRSH_SIGNAL_TERMINATE, WRSH_SIGNAL_CTRL_BREAK };
/* Signal the running command. Errors: WRSH_ESTATE, transport, HTTP, fault. */
wrsh_err wrsh_cmd_signal(struct wrsh_session *s, enum wrsh_signal sig);

/*
 * Convenience for firmware: open a shell if none is open, run one command
 * with no stdin, stream its output to out, and return its exit code. The
 * shell stays open for more commands until wrsh_shell_close/wrsh_close.
 */
wrsh_err wrsh_cmd_run(struct wrsh_session *s, const char *command, const char *const *args,
		      size_t nargs, wrsh_output_fn out, void *ctx, uint32_t *exit_code);

/* ---- Relaying (a control master) -----------------------------------------
 *
 * A warm session serves other processes: they hand it whole envelopes and
 * it sends each with its own authentication and sealing, over its open
 * connection, and gives back the answer's plain body. The envelope is sent
 * exactly as given (its MessageID, its OperationTimeout): the process that
 * wrote it checks the answer itself.
 */
typedef wrsh_err (*wrsh_relay_fn)(void *ctx, const void *p, size_t n);

/*
 * Send envelope (at most the session's send buffer), wait up to wait_ms for
 * the answer, pass its plain body to body (in pieces) and its HTTP status to
 * *status: 200, or 400/500 with a SOAP fault, which are answers too. Errors:
 * WRSH_ELIMIT, WRSH_EAUTH (401, or a proxy's 407), transport and HTTP errors;
 * none is sticky: the connection is dropped and the next call connects and
 * authenticates again, so a master outlives a network loss.
 */
wrsh_err wrsh_relay(struct wrsh_session *s, const void *envelope, size_t len, uint32_t wait_ms,
		    wrsh_relay_fn body, void *ctx, int *status);

/*
 * A master may keep a client's cmd shell for the next client (the ids come
 * from the envelopes it relayed); these two release it on the server with
 * this session's credentials, errors as wrsh_relay's (none sticky).
 * terminate: Signal terminate to command cmd_id of shell shell_id, so the
 * shell holds no command. delete: Delete shell shell_id.
 * Errors also WRSH_EINVAL (an id empty or of WRSH_SHELL_ID_MAX bytes or
 * more), WRSH_ESTATE (this session has a shell of its own).
 */
#define WRSH_SHELL_ID_MAX 128
wrsh_err wrsh_relay_terminate(struct wrsh_session *s, const char *shell_id, const char *cmd_id);
wrsh_err wrsh_relay_delete(struct wrsh_session *s, const char *shell_id);

/* ---- PowerShell Remoting (MS-PSRP) ------------------------------------------
 *
 * A runspace pool of one runspace in the session's shell slot (a session
 * holds either a cmd shell or a pool), and one pipeline at a time. Results
 * stream as CLIXML events, object by object: nothing is built in memory,
 * so a million objects cost what one does.
 */

enum wrsh_ps_stream {
	WRSH_PS_OUTPUT,
	WRSH_PS_ERROR,
	WRSH_PS_WARNING,
	WRSH_PS_VERBOSE,
	WRSH_PS_DEBUG,
	WRSH_PS_INFORMATION,
	WRSH_PS_PROGRESS,
	WRSH_PS_STATE, /* the pipeline's final state object (its exception on failure) */
	WRSH_PS_HOST   /* a host call (MS-PSRP 2.2.2.27): "ci", "mi", "mp" */
};

/* An element of a streamed object (MS-PSRP 2.2.5): containers ("Obj",
 * "MS", "Props", "LST", "DCT", "En", "TN", ...) open and close; values
 * ("S", "I32", "B", "DT", "ToString", "T", ...) arrive as UTF-8 text. */
struct wrsh_ps_node {
	const char *tag;
	const char *name; /* property name (N), or NULL */
	int64_t ref_id;	  /* RefId, or -1 */
	unsigned depth;	  /* 1: the object itself */
	bool container;
};

struct wrsh_ps_sink {
	wrsh_err (*open)(void *ctx, enum wrsh_ps_stream st, const struct wrsh_ps_node *n);
	/* a value in pieces; last on its final (maybe empty) piece */
	wrsh_err (*text)(void *ctx, enum wrsh_ps_stream st, const struct wrsh_ps_node *n,
			 const char *p, size_t len, bool last);
	wrsh_err (*close)(void *ctx, enum wrsh_ps_stream st, const struct wrsh_ps_node *n);
	wrsh_err (*object_end)(void *ctx, enum wrsh_ps_stream st);
	void *ctx;
};

/* PSInvocationState (MS-PSRP 2.2.3.4) */
enum wrsh_ps_state {
	WRSH_PS_RUNNING = 1,
	WRSH_PS_STOPPED = 3,
	WRSH_PS_COMPLETED = 4,
	WRSH_PS_FAILED = 5
};

/* Open the runspace pool (protocol 2.3; servers from 2.1 answer too).
 * Errors: WRSH_ESTATE (a shell or pool is open), WRSH_EPSRP (the pool
 * broke or the server spoke nonsense), transport, HTTP and fault errors. */
wrsh_err wrsh_ps_open(struct wrsh_session *s);

/* A session configuration by name (Register-PSSessionConfiguration: JEA
 * endpoints, PowerShell.7, Microsoft.PowerShell32): the pool's resource URI
 * is http://schemas.microsoft.com/powershell/NAME; NULL or "" is
 * Microsoft.PowerShell, as wrsh_ps_open. WRSH_EINVAL for a name beyond
 * WRSH_PS_CONFIGURATION_MAX or with other than letters, digits and ._-. */
#define WRSH_PS_CONFIGURATION_MAX 64
wrsh_err wrsh_ps_open_configuration(struct wrsh_session *s, const char *name);

#define WRSH_PS_FORMAT 1u  /* end the pipeline in Out-String -Stream */
#define WRSH_PS_HOST_UI 2u /* answer host calls (Read-Host): see wrsh_ps_host_call */
#define WRSH_PS_INPUT 4u   /* the pipeline reads input: see wrsh_ps_input */

/* Start SCRIPT (UTF-8, any length) as the pool's pipeline.
 * Errors: WRSH_ESTATE (no pool, or a pipeline still running), WRSH_ENOMEM,
 * transport, HTTP and fault errors. */
wrsh_err wrsh_ps_start(struct wrsh_session *s, const char *script, unsigned flags);

/* Gives the script's next bytes: up to cap of them into buf, their count
 * in *len, 0 at the end. A non-OK return stops wrsh_ps_start_read with
 * that error. */
typedef wrsh_err (*wrsh_ps_read_fn)(void *ctx, char *buf, size_t cap, size_t *len);

/*
 * wrsh_ps_start with the script read from `read` (a file, stdin) while it
 * is sent: it streams, escaped, into the fragments of CREATE_PIPELINE, the
 * Command carrying the first and Sends on the pipeline's stdin the rest
 * (MS-PSRP 3.1.5.3.5), so memory does not grow with the script (one
 * request's buffer and a 4 KB stage, while the call lasts). read and ctx
 * are used during the call only. Errors: as wrsh_ps_start, and what read
 * returned; an error after the first request leaves half a pipeline on
 * the server: the session's error is sticky and wrsh_close removes the
 * pool with it.
 */
wrsh_err wrsh_ps_start_read(struct wrsh_session *s, wrsh_ps_read_fn read, void *ctx,
			    unsigned flags);

/* One Receive round: objects go to sink as they stream in; *done with
 * *state once the pipeline has ended. WRSH_WAKEABLE as for
 * wrsh_cmd_receive. */
wrsh_err wrsh_ps_receive(struct wrsh_session *s, const struct wrsh_ps_sink *sink, unsigned flags,
			 bool *done, enum wrsh_ps_state *state);

/* Pipeline input (started with WRSH_PS_INPUT): n strings, each one object
 * of $input; end=true closes the input (n may be 0). As many as fit go in
 * one request. Errors: WRSH_ESTATE, WRSH_ELIMIT (one string beyond what a
 * request holds), transport and faults. */
wrsh_err wrsh_ps_input(struct wrsh_session *s, const char *const *items, const size_t *lens,
		       size_t n, bool end);

/* Pipeline input of bytes: one string, the base64 text of up to max
 * bytes (0: no limit) read from read, as many as one request holds (about
 * three eighths of the request: base64 twice); *n how many were read, 0
 * at the reader's end (nothing is sent then). Requests grow to what the
 * server takes (500 KB from protocol 2.2 on, within wrsh_opts.send_buf and
 * max_envelope) and shrink again on its EncodingLimit fault. Errors: as
 * wrsh_ps_input, and what read returned. */
wrsh_err wrsh_ps_input_bytes(struct wrsh_session *s, wrsh_ps_read_fn read, void *ctx, size_t max,
			     size_t *n);

/* RemoteHostMethodId (MS-PSRP 2.2.3.17), the ones a text client meets */
enum wrsh_ps_host_method {
	WRSH_PS_HOST_SET_SHOULD_EXIT = 6, /* the script ran `exit N`: N */
	WRSH_PS_HOST_READ_LINE = 11,
	WRSH_PS_HOST_READ_LINE_SECURE = 12,
	WRSH_PS_HOST_WRITE1 = 13,
	WRSH_PS_HOST_WRITE2 = 14,
	WRSH_PS_HOST_WRITE_LINE1 = 15,
	WRSH_PS_HOST_WRITE_LINE2 = 16,
	WRSH_PS_HOST_WRITE_LINE3 = 17,
	WRSH_PS_HOST_WRITE_ERROR_LINE = 18,
	WRSH_PS_HOST_WRITE_DEBUG_LINE = 19,
	WRSH_PS_HOST_WRITE_VERBOSE_LINE = 21,
	WRSH_PS_HOST_WRITE_WARNING_LINE = 22,
	WRSH_PS_HOST_PROMPT = 23,	      /* fields: answer WRSH_PS_ANSWER_FIELDS */
	WRSH_PS_HOST_PROMPT_CREDENTIAL1 = 24, /* a PSCredential: a secure string */
	WRSH_PS_HOST_PROMPT_CREDENTIAL2 = 25,
	WRSH_PS_HOST_PROMPT_CHOICE = 26, /* answer WRSH_PS_ANSWER_CHOICE */
	WRSH_PS_HOST_PROMPT_CHOICES = 56 /* PromptForChoiceMultipleSelection */
};

/* A host call that waits for its answer (Read-Host's ReadLine, a prompt):
 * after wrsh_ps_receive returns, true with the call; the server waits
 * until wrsh_ps_host_reply. Calls without an answer (the Write methods)
 * only stream to the sink as WRSH_PS_HOST. */
bool wrsh_ps_host_call(const struct wrsh_session *s, int *method, const char **name);
/* Answer the pending host call with a string, or NULL for Nil. */
wrsh_err wrsh_ps_host_reply(struct wrsh_session *s, const char *result);

/* What a host call returns (MS-PSRP 2.2.2.28): the method's value, or an
 * exception that the script sees thrown by the host method (what a client
 * answers when it cannot or will not honour the call). */
enum wrsh_ps_answer_kind {
	WRSH_PS_ANSWER_NIL,
	WRSH_PS_ANSWER_TEXT,	  /* ReadLine: text */
	WRSH_PS_ANSWER_CHOICE,	  /* PromptForChoice: choice, an index */
	WRSH_PS_ANSWER_FIELDS,	  /* Prompt: n names and values, as a Hashtable */
	WRSH_PS_ANSWER_REFUSE,	  /* any method: text is the exception's message */
	WRSH_PS_ANSWER_SECURE,	  /* ReadLineAsSecureString: secret, a SecureString */
	WRSH_PS_ANSWER_CREDENTIAL /* PromptForCredential: text the user, secret the password */
};
struct wrsh_ps_answer {
	enum wrsh_ps_answer_kind kind;
	const char *text;
	int32_t choice;
	const char *const *names, *const *values;
	size_t n;
	const char *secret;
	/* FIELDS: NULL, or n flags: a true one sends that value as a
	 * SecureString (a field of type System.Security.SecureString) */
	const bool *secure;
};
/* Secrets (CONFIG_WRSH_PSRP_SECURE) travel AES-256-encrypted with the
 * session key: the first one costs the key exchange (MS-PSRP 3.1.4.8: an
 * RSA-2048 key pair made then, PUBLIC_KEY sent on the pool's stdin,
 * ENCRYPTED_SESSION_KEY awaited in the pool's Receives). The library's
 * copies of a secret (UTF-16, before encryption) are wiped; the caller's
 * are the caller's to wipe. Neither a trace nor the arena sees the text.
 * Errors: WRSH_ESTATE (no call pending), WRSH_ELIMIT (an answer beyond
 * one request: about three quarters of CONFIG_WRSH_WSMAN_TX_BUF, at most 24 KB,
 * escaped; a secret beyond CONFIG_WRSH_PSRP_SECRET_MAX), WRSH_EUNSUPPORTED
 * (a secret, secure strings not built in), WRSH_EPSRP (the key exchange
 * failed), transport and faults. */
wrsh_err wrsh_ps_host_answer(struct wrsh_session *s, const struct wrsh_ps_answer *a);

/* Stop the running pipeline (PowerShell's Ctrl-C); its end still arrives
 * through wrsh_ps_receive. */
wrsh_err wrsh_ps_stop(struct wrsh_session *s);

/* Close the pool (Delete of its shell). wrsh_close() does it too. */
wrsh_err wrsh_ps_close(struct wrsh_session *s);

/* ---- Files over PowerShell Remoting: put and get ------------------------
 *
 * A file travels through the open runspace pool (wrsh_ps_open): the bytes
 * as base64 pipeline input to a script that appends them to a FileStream
 * on the host (put), or as base64 output strings of a script that reads
 * one (get), in chunks as large as a request or envelope holds; SHA-256 on
 * both sides while it streams. A put writes NAME.wrsh-part beside the
 * target and renames it only once the hashes agree: an interrupted copy
 * never leaves a short file under the target's name, and WRSH_XFER_RESUME
 * continues it. Memory does not grow with the file on either end. The
 * pool's pipeline is the transfer's for the length of the call.
 * Errors: WRSH_EFILE (one file not copied: no such path, access denied,
 * the target exists, disk full, in use, a hash mismatch; wrsh_errmsg
 * names it; not sticky), WRSH_ESTATE (no pool, a pipeline running),
 * what the local callbacks returned, and the errors of wrsh_ps_start and
 * wrsh_ps_receive.
 */
#define WRSH_XFER_RESUME 1u	/* continue a partial copy whose first bytes match */
#define WRSH_XFER_NO_CLOBBER 2u /* put: refuse a target that exists */
#define WRSH_XFER_MKDIRS 4u	/* put: make the target's missing folders */
#define WRSH_XFER_TREE 8u	/* get: remote is a folder: all below it */
#define WRSH_XFER_NAME_MAX 1024 /* a remote path, UTF-8: longer is WRSH_ELIMIT */

enum wrsh_xfer_event {
	WRSH_XFER_FOLDER, /* get TREE: a folder (name relative to the root) */
	WRSH_XFER_BEGIN,  /* get: a file's bytes follow (from `at`, see below) */
	WRSH_XFER_END,	  /* get: the file is whole and its hash matched */
	WRSH_XFER_FAILED  /* get TREE: this file was not sent (why: in text) */
};

struct wrsh_xfer_file {
	const char *name; /* TREE: relative ("a/b.txt", '/' separated); else the host's path */
	uint64_t size;	  /* the remote file's length */
	int64_t mtime_ms; /* its modification time, ms since 1970 UTC */
	uint64_t at;	  /* BEGIN: bytes of the local partial kept (resume), else 0 */
	const char *sha256, *text;
};

struct wrsh_xfer_io {
	/* put: the file from its start; get with WRSH_XFER_RESUME: the local
	 * partial, read back once to hash it */
	wrsh_ps_read_fn read;
	/* get: the bytes, in order, after BEGIN */
	wrsh_err (*write)(void *ctx, const void *buf, size_t len);
	/* get: what happens to a file (BEGIN: truncate the local file to at);
	 * put: BEGIN asks to read again from the start (a partial that did
	 * not match): NULL where the source cannot (stdin), and the copy then
	 * fails */
	wrsh_err (*event)(void *ctx, enum wrsh_xfer_event ev, const struct wrsh_xfer_file *f);
	/* bytes done of total (UINT64_MAX: not known), now and then */
	void (*progress)(void *ctx, uint64_t done, uint64_t total);
	void *ctx;
};

struct wrsh_xfer {
	unsigned flags;
	uint64_t size;	  /* put: the source's length for progress (UINT64_MAX: unknown) */
	int64_t mtime_ms; /* put: set on the remote file, -1: now */
	uint64_t at;	  /* get RESUME: the local partial's length */
	/* results */
	uint64_t bytes, skipped; /* the file's length; bytes a resume did not send */
	char sha256[65];
	char remote[WRSH_XFER_NAME_MAX]; /* put: the file written (a folder target adds the name) */
};

/* Copy io->read's bytes to remote (a file, or a folder that receives
 * leaf). x->flags: RESUME, NO_CLOBBER, MKDIRS. */
wrsh_err wrsh_put(struct wrsh_session *s, const char *remote, const char *leaf,
		  const struct wrsh_xfer_io *io, struct wrsh_xfer *x);
/* Copy remote to io->write (TREE: every file below the folder remote,
 * each one framed by events). x->flags: RESUME (x->at bytes read back
 * through io->read first), TREE. */
wrsh_err wrsh_get(struct wrsh_session *s, const char *remote, const struct wrsh_xfer_io *io,
		  struct wrsh_xfer *x);
/* Make a folder and its missing parents on the host. */
wrsh_err wrsh_mkdir(struct wrsh_session *s, const char *remote);

/* ---- CIM / WS-Man resources (DSP0226 7-8, MS-WSMV 3.1.4) ------------------
 *
 * Get, Put, Create, Delete, Invoke and Enumerate/Pull/Release of any resource
 * URI (WMI classes, winrm/config, OMI and openwsman providers). Instances are
 * read as they stream in and handed to a sink property by property; nothing
 * is built in memory, so a page of a thousand instances costs what one does.
 * Elements are matched by namespace URI, never by prefix.
 */

struct wrsh_cim_kv {
	const char *name;
	const char *value; /* Put/Create properties: NULL sends xsi:nil="true" */
};

/* The resource a request names: a full resource URI (no short forms here),
 * its selectors (KEY=VALUE; "__cimnamespace" picks a WMI namespace) and
 * options (the OptionSet). Read during the call only. */
struct wrsh_cim_req {
	const char *resource;
	const struct wrsh_cim_kv *selectors;
	size_t nselectors;
	const struct wrsh_cim_kv *options;
	size_t noptions;
};

/* A property of an instance. Leaves carry text; containers (embedded
 * instances, endpoint references, winrm/config sections) carry properties
 * one level deeper. A repeated name among siblings is an array. A CIM
 * datetime (cim:Datetime, cim:Date, cim:Interval, cim:Time) is a leaf whose
 * text is the datetime. Endpoint references read as a container
 * "EndpointReference" (as the instance itself in EnumerateEPR mode and for
 * Create's ResourceCreated) holding "ResourceURI" and one leaf per selector,
 * named by the selector. */
struct wrsh_cim_prop {
	const char *name; /* the element's local name; valid until close */
	unsigned depth;	  /* 1: a property of the instance */
	bool nil;	  /* xsi:nil="true": no value (no text follows) */
	bool container;
};

/* Called in document order: begin, then per property open, text pieces
 * (a value may come in several, or none for an empty value), close, and
 * end after the instance's last property. Any member may be NULL. A non-OK
 * return stops the operation with that error (sticky, as every error). */
struct wrsh_cim_sink {
	wrsh_err (*begin)(void *ctx, const char *class_name);
	wrsh_err (*open)(void *ctx, const struct wrsh_cim_prop *p);
	wrsh_err (*text)(void *ctx, const struct wrsh_cim_prop *p, const char *s, size_t len);
	wrsh_err (*close)(void *ctx, const struct wrsh_cim_prop *p);
	wrsh_err (*end)(void *ctx);
	void *ctx;
};

/*
 * The resource URI of winrm.cmd's short forms (`winrm help uris`):
 * "wmicimv2/Win32_Service", "winrm/config", "wmi/root/default/...", and the
 * aliases wmi, wmicimv2, cimv2, winrm, wsman, shell, any case. A full URI
 * (with "://") is returned as it is; a short form is written to buf (cap
 * bytes, NUL-terminated). NULL when res is neither, or buf is too small.
 * Needs no session.
 */
const char *wrsh_cim_resource_uri(const char *res, char *buf, size_t cap);

/*
 * Get the instance r names (DSP0226 7.3); sink receives it. Errors common
 * to every CIM call: WRSH_EINVAL (no resource, too many selectors or
 * options for CONFIG_WRSH_CIM_MAX_SELECTORS, a name that is not an XML
 * name), WRSH_EUNSUPPORTED (not built in), WRSH_ELIMIT (a request beyond
 * the send buffer; a property name, nesting or context beyond its cap),
 * WRSH_EFAULT (the server's WSManFault code and provider text are in
 * wrsh_errmsg), WRSH_EPROTO, and the transport and HTTP errors.
 */
wrsh_err wrsh_cim_get(struct wrsh_session *s, const struct wrsh_cim_req *r,
		      const struct wrsh_cim_sink *sink);

/*
 * Put (DSP0226 7.5): send <p:CLASS xmlns:p="RESOURCE"> with one child per
 * property; a name "A/B" nests (<p:A><p:B>...</p:B></p:A>, winrm/config's
 * sections). class_name NULL: the resource's last path segment (with a
 * capital first letter under .../wsman/1/config, as Windows spells
 * cfg:Config). The instance the server answers goes to sink (may be NULL).
 */
wrsh_err wrsh_cim_put(struct wrsh_session *s, const struct wrsh_cim_req *r, const char *class_name,
		      const struct wrsh_cim_kv *props, size_t nprops,
		      const struct wrsh_cim_sink *sink);

/* Create (DSP0226 7.6), written as Put is; the EndpointReference of the new
 * resource (ResourceCreated) goes to sink. */
wrsh_err wrsh_cim_create(struct wrsh_session *s, const struct wrsh_cim_req *r,
			 const char *class_name, const struct wrsh_cim_kv *props, size_t nprops,
			 const struct wrsh_cim_sink *sink);

/* Delete (DSP0226 7.7) the instance r names. */
wrsh_err wrsh_cim_delete(struct wrsh_session *s, const struct wrsh_cim_req *r);

/* Invoke METHOD (DSP0226 9, MS-WSMV 3.1.4.17): action RESOURCE/METHOD, body
 * <p:METHOD_INPUT xmlns:p="RESOURCE"> with the parameters; the
 * METHOD_OUTPUT instance (ReturnValue, out parameters) goes to sink. */
wrsh_err wrsh_cim_invoke(struct wrsh_session *s, const struct wrsh_cim_req *r, const char *method,
			 const struct wrsh_cim_kv *params, size_t nparams,
			 const struct wrsh_cim_sink *sink);

enum wrsh_cim_mode {
	WRSH_CIM_OBJECTS,	   /* the instances */
	WRSH_CIM_OBJECTS_AND_EPRS, /* each with its EndpointReference (EnumerateObjectAndEPR) */
	WRSH_CIM_EPRS		   /* only the EndpointReferences (EnumerateEPR) */
};

struct wrsh_cim_enum_opts {
	const char *filter;  /* NULL: every instance of the resource */
	const char *dialect; /* NULL: WQL (http://schemas.microsoft.com/wbem/wsman/1/WQL) */
	enum wrsh_cim_mode mode;
	uint32_t max_elements; /* per page (w:MaxElements); 0: 100 */
};

/*
 * Start an optimized enumeration (DSP0226 8.2.3): the first page comes with
 * the EnumerateResponse and goes to sink. *end is true when it was the
 * whole answer; otherwise the session keeps the EnumerationContext (one
 * enumeration at a time, copied into the arena with the resource URI and
 * selectors) for wrsh_cim_pull. A WQL filter names a WMI namespace's "*"
 * resource (.../wmi/root/cimv2/ and a star). eo may be NULL.
 * Errors: as wrsh_cim_get; WRSH_ESTATE (an enumeration is open),
 * WRSH_ENOMEM, WRSH_EPROTO (no EnumerationContext and no EndOfSequence).
 */
wrsh_err wrsh_cim_enumerate(struct wrsh_session *s, const struct wrsh_cim_req *r,
			    const struct wrsh_cim_enum_opts *eo, const struct wrsh_cim_sink *sink,
			    bool *end);

/*
 * The next page (Pull, DSP0226 8.3) to sink; *end at EndOfSequence, when
 * the session forgets the context. A page may be empty (the server's
 * OperationTimeout passed): pull again. Nothing bounds the number of pages
 * but the caller. After an error the context stays for wrsh_close, which
 * releases it. Errors: as wrsh_cim_get; WRSH_ESTATE (no enumeration).
 */
wrsh_err wrsh_cim_pull(struct wrsh_session *s, const struct wrsh_cim_sink *sink, bool *end);

/* Release the open enumeration (DSP0226 8.4) early; OK when none is open.
 * wrsh_close() releases one left open, even after an error. */
wrsh_err wrsh_cim_release(struct wrsh_session *s);

#ifdef __cplusplus
}
#endif

#endif
