#!/usr/bin/python3
"""A Windows-like WinRM service for tests: HTTP and HTTPS listeners on
loopback (IPv4 and IPv6), the 401 dance, Identify, the WinRS cmd shell with a
simulated cmd.exe, Windows' faults and quotas.

Written from MS-WSMV and the recorded Windows exchanges, not from the wrsh
client; python3-winrm proves it (tests/endpoint/test_endpoint.py).

--strict-omi makes it read and answer as Microsoft's OMI does where OMI
differs: multipart/encrypted part headers only at the start of a line (a
body it cannot read loses the connection), IdentifyResponse in the SOAP
envelope's namespace, and no shell provider (a shell's Create gets a 500
with an empty body).

  winrm_endpoint.py --ready-file F [--basic] [--allow-unencrypted] ...

When listening, writes JSON to the ready file:
  {"http_port", "https_port", "cert", "cert_sha256", "pid"}
"""
import argparse
import base64
import datetime
import hashlib
import http.server
import ipaddress
import json
import os
import select
import signal
import socket
import socketserver
import ssl
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cim  # noqa: E402
import negotiate  # noqa: E402
import psrp  # noqa: E402
import pwsh_bridge  # noqa: E402
import winshell  # noqa: E402
import wsman  # noqa: E402
from wsman import Fault  # noqa: E402

SOAP_CT = "application/soap+xml;charset=UTF-8"


CERT_AUTH = "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual"
UPN_OID = "1.3.6.1.4.1.311.20.2.3"  # szOID_NT_PRINCIPAL_NAME


class Service:
    """The WinRM service's state: users, settings, shells."""

    def __init__(self, args):
        self.args = args
        self.users = {}
        for spec in args.user or ["WRSH\\alice:Passw0rd!"]:
            name, _, pw = spec.partition(":")
            dom, _, user = name.rpartition("\\")
            self.users[user.lower()] = (dom or "WRSH", user, pw)
        self.shells = {}
        self.lock = threading.Lock()
        self.requests = 0
        self.body_bytes = [0, 0]  # HTTP bodies read, written: sealed as sent, TLS inside
        self.sealed_requests = 0
        self.undecryptable = 0
        self.connections = 0
        self.open_connections = self.max_open_connections = 0  # at once: fan-out's throttle
        self.max_shells = 0  # at once
        self.max_established = 0  # the kernel's count, at each request
        self.tls_handshakes = {"ok": 0, "failed": 0, "resumed": 0}
        self.log = open(args.log, "a") if args.log else None
        self.cim = cim.Repository(args)  # WMI classes, winrm/config, enumerations

    def check_basic(self, header):
        try:
            raw = base64.b64decode(header.split(" ", 1)[1], validate=True).decode("utf-8")
        except (ValueError, IndexError, UnicodeDecodeError):
            return None
        name, _, pw = raw.partition(":")
        dom, user = "", name
        if "\\" in name:
            dom, _, user = name.partition("\\")
        elif "@" in name:
            user, _, dom = name.partition("@")
        entry = self.users.get(user.lower())
        if not entry or entry[2] != pw:
            return None
        if dom and dom not in (".",) and dom.lower() != entry[0].lower():
            return None
        return entry[1]

    def record(self, **kw):
        if self.log:
            kw["time"] = time.time()
            self.log.write(json.dumps(kw) + "\n")
            self.log.flush()

    def state(self):
        with self.lock:
            return {"shells": [{"id": s.id, "user": s.user, "commands": len(s.commands)}
                               for s in self.shells.values()],
                    "requests": self.requests, "connections": self.connections,
                    "max_open_connections": self.max_open_connections,
                    "max_shells": self.max_shells,
                    "max_established": self.max_established,
                    "body_bytes_in": self.body_bytes[0], "body_bytes_out": self.body_bytes[1],
                    "tls_handshakes": dict(self.tls_handshakes),
                    "sealed_requests": self.sealed_requests,
                    "undecryptable": self.undecryptable, "cim": self.cim.stats()}


def established(port):
    """The connections to our port that their client has not closed, as a
    set of (local, remote) addresses, counted on the clients' side: a
    client's socket leaves ESTABLISHED in its close(), synchronously, ours
    only once its FIN is processed, which a loaded machine can put off.
    Every client of a test endpoint is on this machine. The kernel writes
    the table across several read()s while sockets come and go, so one
    look can hold a connection just closed beside one just opened (CI saw 9
    at throttle 8 so): callers take what two looks in a row share, the
    connections alive at once between them."""
    seen = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                for line in f.readlines()[1:]:
                    fields = line.split()
                    if fields[3] == "01" and int(fields[2].rsplit(":", 1)[1], 16) == port:
                        seen.add((fields[1], fields[2]))
        except OSError:
            pass
    return seen


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Microsoft-HTTPAPI/2.0"
    sys_version = ""

    def log_message(self, fmt, *args):
        pass

    def log_error(self, fmt, *args):
        sys.stderr.write("endpoint: " + (fmt % args) + "\n")

    def version_string(self):
        return self.server_version

    def setup(self):
        super().setup()
        # http.sys sends head and body together; Python writes them apart,
        # which Nagle and a delayed ACK would turn into a 40 ms stall each
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # NTLM is connection-bound: the acceptor and its user live as long
        # as the TCP connection
        args = self.server.service.args
        bindings = None
        if self.server.tls and args.cbt != "none":
            bindings = negotiate.channel_bindings(self.server.cert_der)
        self.acceptor = negotiate.Acceptor(bindings, args.cbt)
        self.auth_reply = None
        self.conn_user = None
        self.sealed = False
        self.connection.settimeout(self.server.service.args.keepalive_timeout)
        with self.server.service.lock:
            svc = self.server.service
            svc.connections += 1
            svc.open_connections += 1
            svc.max_open_connections = max(svc.max_open_connections, svc.open_connections)

    def finish(self):
        try:
            super().finish()
        finally:
            with self.server.service.lock:
                self.server.service.open_connections -= 1

    # ---- HTTP plumbing ----
    def read_body(self):
        te = self.headers.get("Transfer-Encoding", "")
        if "chunked" in te.lower():
            out = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        n = self.headers.get("Content-Length")
        if n is None:
            return None
        return self.rfile.read(int(n))

    def send(self, status, body=b"", headers=(), soap_type=False):
        """soap_type: name the SOAP Content-Type even for an empty body."""
        ctype = SOAP_CT
        if body and self.sealed:  # answered the way the request came: sealed
            body = negotiate.encrypt(self.acceptor, body,
                                     tab=not self.server.service.args.strict_omi)
            ctype = self.acceptor.content_type()
        self.send_response(status)
        if self.auth_reply:  # Kerberos' AP-REP: mutual authentication
            self.send_header("WWW-Authenticate", self.auth_reply)
            self.auth_reply = None
        for k, v in headers:
            self.send_header(k, v)
        if body or soap_type:
            self.send_header("Content-Type", ctype)
        if self.server.service.args.chunked and body:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(0, len(body), 8192):
                part = body[i:i + 8192]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        with self.server.service.lock:
            self.server.service.body_bytes[1] += len(body)

    def unauthorized(self):
        svc = self.server.service
        offers = [("WWW-Authenticate", "Negotiate")] if svc.args.negotiate else []
        if svc.args.kerberos:  # a domain member offers Kerberos after Negotiate
            offers.append(("WWW-Authenticate", "Kerberos"))
        if svc.args.basic and (self.server.tls or svc.args.allow_unencrypted):
            offers.append(("WWW-Authenticate", 'Basic realm="WSMAN"'))
        self.send(401, b"", offers)

    def client_gone(self):
        """Has the client closed this connection (abandoning its request)?"""
        try:
            r, _, _ = select.select([self.connection], [], [], 0)
        except (OSError, ValueError):
            return True
        return bool(r)

    # ---- requests ----
    def do_GET(self):
        if self.path == "/wrsh-test/state":
            body = json.dumps(self.server.service.state()).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send(405)

    def do_POST(self):
        # counted when a request arrives, not at accept; a new high only
        # when a second look confirms it (see established)
        n = len(established(self.server.server_address[1]))
        if n > self.server.service.max_established:
            first = established(self.server.server_address[1])
            n = len(first & established(self.server.server_address[1]))
        with self.server.service.lock:
            self.server.service.max_established = max(self.server.service.max_established, n)
        svc = self.server.service
        with svc.lock:
            svc.requests += 1
        self.sealed = False
        if self.path.split("?")[0].lower() != "/wsman":
            self.send(404)
            return
        body = self.read_body()
        if body is None:
            self.send(411)
            return
        with svc.lock:
            svc.body_bytes[0] += len(body)
        user = self.authenticate()
        if user is False:  # a Negotiate leg was answered
            return
        anonymous = self.headers.get("WSMANIDENTIFY", "").lower() == "unauthenticated"
        if user is None and not anonymous:
            self.unauthorized()
            return
        if user and self.conn_user and not body:
            # the empty POST that completes a Negotiate handshake (what
            # requests-ntlm sends before it starts encrypting): 200, no body
            self.send(200)
            return
        if negotiate.is_encrypted(self.headers.get("Content-Type", "")):
            try:
                body = negotiate.decrypt(self.acceptor, body, strict=svc.args.strict_omi)
            except Exception as e:
                self.log_error("cannot decrypt: %r", e)
                with open(os.path.join(self.server.service.state_dir, "undecryptable"), "wb") as f:
                    f.write(body)
                with svc.lock:
                    svc.undecryptable += 1
                if svc.args.strict_omi:  # OMI drops the connection unanswered
                    self.close_connection = True
                    return
                self.send(400)
                return
            self.sealed = True
        elif user and self.conn_user and not self.server.tls and not svc.args.allow_unencrypted:
            # AllowUnencrypted=false: a plain body over HTTP is refused
            self.unauthorized()
            return
        relates = None
        try:
            if len(body) > svc.args.max_envelope_kb * 1024:
                raise Fault(wsman.F_ENCODING_LIMIT)
            req = wsman.Request(body)
            relates = req.message_id or None
            if req.identify:
                if self.sealed:
                    with svc.lock:
                        svc.sealed_requests += 1
                self.send(200, wsman.identify_response(user is not None,
                                                       omi=svc.args.strict_omi))
                svc.record(user=user, action="Identify", status=200, sealed=self.sealed)
                return
            if user is None:
                self.unauthorized()
                return
            if svc.args.strict_omi and req.action == wsman.A_CREATE and req.resource and \
                    (req.resource.lower() == wsman.SHELL_CMD or psrp.configuration(req.resource)):
                # OMI has no shell provider: a 500, a SOAP type, no body
                self.send(500, b"", soap_type=True)
                svc.record(user=user, action=req.action, status=500)
                return
            resp = self.dispatch(req, user)
            if resp is None:  # the client left: no answer
                self.close_connection = True
                return
            if self.sealed:  # counted before the answer: a client that read it may ask at once
                with svc.lock:
                    svc.sealed_requests += 1
            self.send(200, resp)
            svc.record(user=user, action=req.action, status=200, sealed=self.sealed,
                       shell_id=req.selectors.get("ShellId"), bytes=len(resp))
        except Fault as f:
            self.send(500, wsman.fault_envelope(f, relates))
            svc.record(user=user, status=500, fault=f.subcode,
                       action=req.action if relates else None)

    def authenticate(self):
        """The user of this request; None without credentials; False when a
        Negotiate challenge went out instead of an answer."""
        svc = self.server.service
        h = self.headers.get("Authorization", "")
        scheme, _, token = h.partition(" ")
        if (scheme.lower() in ("negotiate", "ntlm") and svc.args.negotiate) or \
                (scheme.lower() == "kerberos" and svc.args.kerberos):
            name = "Kerberos" if scheme.lower() == "kerberos" else "Negotiate"
            try:
                out, user = self.acceptor.step(base64.b64decode(token), name)
            except Exception as e:
                self.log_error("%s refused: %s", name, e)
                self.acceptor = negotiate.Acceptor(self.acceptor.bindings, self.acceptor.policy)
                self.conn_user = None
                return None
            if user is None:
                self.send(401, b"", [("WWW-Authenticate", name + " " +
                                      base64.b64encode(out or b"").decode())])
                return False
            if out:
                self.auth_reply = name + " " + base64.b64encode(out).decode()
            self.conn_user = user
            return user
        if self.conn_user:  # authenticated earlier on this connection
            return self.conn_user
        if h == CERT_AUTH and self.server.tls and svc.args.certificate:
            return self.certificate_user()
        if h.lower().startswith("basic ") and svc.args.basic:
            # WinRM refuses Basic over HTTP unless AllowUnencrypted is set
            if not self.server.tls and not svc.args.allow_unencrypted:
                return None
            return svc.check_basic(h)
        return None

    def certificate_user(self):
        """MS-WSMV 2.2.9.1.2: the TLS client certificate, verified against the
        client CA, maps to a local user by the UPN in its subjectAltName (as
        a WinRM certificate mapping does)."""
        der = self.connection.getpeercert(binary_form=True)
        if not der:
            return None
        from cryptography import x509
        cert = x509.load_der_x509_certificate(der)
        try:
            san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except x509.ExtensionNotFound:
            return None
        for other in san.get_values_for_type(x509.OtherName):
            if other.type_id.dotted_string == UPN_OID and other.value[:1] == b"\x0c":
                upn = other.value[2:].decode("utf-8", "replace")  # short-form UTF8String
                user, _, dom = upn.partition("@")
                entry = self.server.service.users.get(user.lower())
                if entry and dom.lower() == entry[0].lower():
                    return entry[1]
        return None

    def dispatch(self, req, user):
        if user.lower() in (u.lower() for u in self.server.service.args.no_rights or []):
            raise Fault(wsman.F_ACCESS_DENIED)
        if psrp.configuration(req.resource) is not None:
            return self.ps_dispatch(req, user)
        if cim.handles(req.resource):
            svc = self.server.service
            resp = cim.dispatch(svc.cim, req, user, "http%s://127.0.0.1:%d/wsman" % (
                "s" if self.server.tls else "", self.server.server_address[1]))
            svc.cim.count("bytes", len(resp))
            return resp
        if req.resource and req.resource.lower() != wsman.SHELL_CMD:
            raise Fault(wsman.F_RESOURCE)
        a = req.action
        if a == wsman.A_CREATE:
            return self.winrs_create(req, user)
        shell = self.find_shell(req, user)
        if a == wsman.A_DELETE:
            return self.winrs_delete(req, shell)
        if a == wsman.A_COMMAND:
            return self.winrs_command(req, shell)
        if a == wsman.A_SEND:
            return self.winrs_send_input(req, shell)
        if a == wsman.A_RECEIVE:
            return self.winrs_receive(req, shell)
        if a == wsman.A_SIGNAL:
            return self.winrs_signal(req, shell)
        raise Fault(wsman.F_ACTION)

    # ---- PowerShell Remoting: a pool is a shell of the PowerShell resource ----
    def ps_dispatch(self, req, user):
        a = req.action
        try:
            if a == wsman.A_CREATE:
                return self.ps_create(req, user)
            pool = self.find_shell(req, user)
            if not isinstance(pool, (psrp.Pool, pwsh_bridge.Pool)):
                raise Fault(wsman.F_INVALID_SELECTORS)
            if a == wsman.A_DELETE:
                return self.winrs_delete(req, pool)
            if a == wsman.A_COMMAND:
                cl = req.body.find(wsman.q("rsp", "CommandLine"))
                cid = cl.get("CommandId") if cl is not None else None
                if not cid:
                    raise Fault(wsman.F_SCHEMA)
                pool.command(cid, base64.b64decode(cl.findtext(wsman.q("rsp", "Arguments"), "")))
                return wsman.envelope(wsman.NS["rsp"] + "/CommandResponse", req.message_id,
                                      "<rsp:CommandResponse><rsp:CommandId>%s</rsp:CommandId>"
                                      "</rsp:CommandResponse>" % cid.upper())
            if a == wsman.A_RECEIVE:
                return self.ps_receive(req, pool)
            if a == wsman.A_SEND:
                for st in req.body.findall(wsman.q("rsp", "Send") + "/" + wsman.q("rsp", "Stream")):
                    data = base64.b64decode(st.text or "")
                    cid = st.get("CommandId", "")
                    ok = pool.send(cid, data) if st.get("Name") == "pr" else \
                        pool.send_input(cid, data) if st.get("Name") == "stdin" else False
                    if not ok:
                        raise Fault(wsman.F_INVALID_SELECTORS)
                return wsman.envelope(wsman.NS["rsp"] + "/SendResponse", req.message_id,
                                      "<rsp:SendResponse/>")
            if a == wsman.A_SIGNAL:
                sig = req.body.find(wsman.q("rsp", "Signal"))
                code = wsman.text(sig.find(wsman.q("rsp", "Code"))) if sig is not None else ""
                if code != "powershell/signal/crtl_c" or not pool.signal(sig.get("CommandId", "")):
                    raise Fault(wsman.F_INVALID_SELECTORS)
                return wsman.envelope(wsman.NS["rsp"] + "/SignalResponse", req.message_id,
                                      "<rsp:SignalResponse/>")
        except psrp.ProtocolError as e:
            self.log_message("psrp: %s", e)
            raise Fault(wsman.F_SCHEMA)
        raise Fault(wsman.F_ACTION)

    def ps_create(self, req, user):
        svc = self.server.service
        body = req.body.find(wsman.q("rsp", "Shell"))
        cx = body.find("{http://schemas.microsoft.com/powershell}creationXml") \
            if body is not None else None
        if cx is None or req.options.get("protocolversion") is None:
            raise Fault(wsman.F_SCHEMA)
        import uuid
        sid = (body.get("ShellId") or str(uuid.uuid4())).upper()
        with svc.lock:
            mine = sum(1 for s in svc.shells.values() if s.user.lower() == user.lower())
        if mine >= svc.args.max_shells_per_user:
            raise Fault(wsman.F_QUOTA, svc.args.max_shells_per_user, sender=False)
        # --psrp-server pwsh: real PowerShell answers the pool's PSRP; what
        # only WinRM has (the shell's lifetime and quota here, shell
        # enumeration, Disconnect/Reconnect) stays this endpoint's own
        name = psrp.configuration(req.resource)
        if name not in psrp.CONFIGURATIONS or \
                (svc.args.psrp_server == "pwsh" and psrp.CONFIGURATIONS[name] is not None):
            # Windows: no such configuration registered (the restricted one
            # is the imitation's: pwsh -s has no session configurations)
            raise Fault(wsman.F_RESOURCE)
        if svc.args.psrp_server == "pwsh":
            pool = pwsh_bridge.Pool(user, sid, base64.b64decode(cx.text or ""))
        else:
            pool = psrp.Pool(user, sid, base64.b64decode(cx.text or ""), name)
        pool.commands = pool.pipelines  # what the state page counts
        with svc.lock:
            svc.shells[sid] = pool
            svc.max_shells = max(svc.max_shells, len(svc.shells))
        return wsman.envelope(
            "http://schemas.xmlsoap.org/ws/2004/09/transfer/CreateResponse", req.message_id,
            '<rsp:Shell><rsp:ShellId>%s</rsp:ShellId><rsp:ResourceUri>%s</rsp:ResourceUri>'
            '<rsp:Owner>%s</rsp:Owner><rsp:InputStreams>stdin pr</rsp:InputStreams>'
            '<rsp:OutputStreams>stdout</rsp:OutputStreams></rsp:Shell>' % (
                sid, req.resource, user))

    def ps_receive(self, req, pool):
        ds = req.body.find(wsman.q("rsp", "Receive") + "/" + wsman.q("rsp", "DesiredStream"))
        if ds is None:
            raise Fault(wsman.F_SCHEMA)
        cid = ds.get("CommandId")
        wait = min(req.op_timeout, self.server.service.args.operation_timeout_cap)
        budget = max(1024, (req.max_envelope - 2048) * 3 // 4)
        data, done = pool.receive(cid, budget, time.monotonic() + wait, self.client_gone)
        if data is None and self.client_gone():
            return None  # abandoned: the output stays for the next Receive
        if data is None:
            raise Fault(wsman.F_INVALID_SELECTORS)
        if not data and not done:
            raise Fault(wsman.F_TIMED_OUT, sender=False)
        attr = ' CommandId="%s"' % cid.upper() if cid else ""
        # real PowerShell's answers come a fragment a stream, as Windows
        # sends them; the endpoint's own server hands one run of bytes
        xml = "".join('<rsp:Stream Name="stdout"%s>%s</rsp:Stream>' % (
            attr, base64.b64encode(d).decode()) for d in (
                data if isinstance(data, list) else [data]) if d)
        if done:
            xml += ('<rsp:CommandState%s State="%s"><rsp:ExitCode>0</rsp:ExitCode>'
                    '</rsp:CommandState>' % (attr, wsman.DONE))
        elif cid:
            xml += '<rsp:CommandState%s State="%s"/>' % (attr, wsman.RUNNING)
        return wsman.envelope(wsman.NS["rsp"] + "/ReceiveResponse", req.message_id,
                              "<rsp:ReceiveResponse>%s</rsp:ReceiveResponse>" % xml)

    def find_shell(self, req, user):
        sid = req.selectors.get("ShellId", "").upper()
        with self.server.service.lock:
            shell = self.server.service.shells.get(sid)
        if shell is None or shell.user.lower() != user.lower():
            raise Fault(wsman.F_INVALID_SELECTORS)
        return shell

    def find_command(self, shell, cid):
        c = shell.commands.get((cid or "").upper())
        if c is None:
            raise Fault(wsman.F_INVALID_SELECTORS)
        return c

    # ---- WinRS ----
    def winrs_create(self, req, user):
        svc = self.server.service
        body = req.body.find(wsman.q("rsp", "Shell"))
        if body is None:
            raise Fault(wsman.F_SCHEMA)
        workdir = wsman.text(body.find(wsman.q("rsp", "WorkingDirectory"))) or None
        if workdir and "no\\such" in workdir.lower():
            raise Fault(wsman.F_NO_DIR, sender=False)
        env = {}
        envs = body.find(wsman.q("rsp", "Environment"))
        if envs is not None:
            for v in envs.findall(wsman.q("rsp", "Variable")):
                env[v.get("Name")] = v.text or ""
        try:
            cp = int(req.options.get("WINRS_CODEPAGE", "437"))
        except ValueError:
            cp = 437
        noprofile = req.options.get("WINRS_NOPROFILE", "FALSE").upper() == "TRUE"
        with svc.lock:
            mine = sum(1 for s in svc.shells.values() if s.user.lower() == user.lower())
            if mine >= svc.args.max_shells_per_user:
                raise Fault(wsman.F_QUOTA, svc.args.max_shells_per_user, sender=False)
            import uuid
            sid = str(uuid.uuid4()).upper()
            shell = winshell.Shell(user, sid, cp, workdir, env, noprofile)
            svc.shells[sid] = shell
            svc.max_shells = max(svc.max_shells, len(svc.shells))
        host = "127.0.0.1:%d" % self.server.server_address[1]
        created = ('<x:ResourceCreated><a:Address>http%s://%s/wsman</a:Address>'
                   '<a:ReferenceParameters><w:ResourceURI>%s</w:ResourceURI><w:SelectorSet>'
                   '<w:Selector Name="ShellId">%s</w:Selector></w:SelectorSet>'
                   '</a:ReferenceParameters></x:ResourceCreated>' % (
                       "s" if self.server.tls else "", host, wsman.SHELL_CMD, sid))
        info = ('<rsp:Shell><rsp:ShellId>%s</rsp:ShellId><rsp:ResourceUri>%s</rsp:ResourceUri>'
                '<rsp:Owner>%s</rsp:Owner><rsp:ClientIP>127.0.0.1</rsp:ClientIP>'
                '<rsp:IdleTimeOut>PT7200.000S</rsp:IdleTimeOut><rsp:InputStreams>stdin'
                '</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams>'
                '<rsp:ShellRunTime>P0DT0H0M0S</rsp:ShellRunTime><rsp:ShellInactivity>'
                'P0DT0H0M0S</rsp:ShellInactivity></rsp:Shell>' % (sid, wsman.SHELL_CMD, user))
        return wsman.envelope("http://schemas.xmlsoap.org/ws/2004/09/transfer/CreateResponse",
                              req.message_id, created + info)

    def winrs_delete(self, req, shell):
        with self.server.service.lock:
            self.server.service.shells.pop(shell.id, None)
        shell.close()
        return wsman.envelope("http://schemas.xmlsoap.org/ws/2004/09/transfer/DeleteResponse",
                              req.message_id, "")

    def winrs_command(self, req, shell):
        cl = req.body.find(wsman.q("rsp", "CommandLine"))
        if cl is None:
            raise Fault(wsman.F_SCHEMA)
        parts = [cl.findtext(wsman.q("rsp", "Command"), "").strip()]
        parts += [(a.text or "") for a in cl.findall(wsman.q("rsp", "Arguments"))]
        c = shell.start(" ".join(p for p in parts if p != ""))
        return wsman.envelope(wsman.NS["rsp"] + "/CommandResponse", req.message_id,
                              "<rsp:CommandResponse><rsp:CommandId>%s</rsp:CommandId>"
                              "</rsp:CommandResponse>" % c.id)

    def winrs_send_input(self, req, shell):
        for st in req.body.findall(wsman.q("rsp", "Send") + "/" + wsman.q("rsp", "Stream")):
            c = self.find_command(shell, st.get("CommandId"))
            data = base64.b64decode(st.text or "")
            if data:
                c.stdin.put(data)
            if (st.get("End") or "").lower() == "true":
                c.stdin.put(b"")
        return wsman.envelope(wsman.NS["rsp"] + "/SendResponse", req.message_id,
                              "<rsp:SendResponse/>")

    def winrs_signal(self, req, shell):
        sig = req.body.find(wsman.q("rsp", "Signal"))
        if sig is None:
            raise Fault(wsman.F_SCHEMA)
        c = self.find_command(shell, sig.get("CommandId"))
        code = wsman.text(sig.find(wsman.q("rsp", "Code"))).rsplit("/", 1)[-1]
        if code == "ctrl_c" or code == "ctrl_break":
            c.ctrl_c.set()
        elif code == "terminate":
            c.terminated.set()
            with shell.lock:
                shell.commands.pop(c.id, None)
        return wsman.envelope(wsman.NS["rsp"] + "/SignalResponse", req.message_id,
                              "<rsp:SignalResponse/>")

    def winrs_receive(self, req, shell):
        ds = req.body.find(wsman.q("rsp", "Receive") + "/" + wsman.q("rsp", "DesiredStream"))
        if ds is None:
            raise Fault(wsman.F_SCHEMA)
        c = self.find_command(shell, ds.get("CommandId"))
        wait = min(req.op_timeout, self.server.service.args.operation_timeout_cap)
        # MS-WSMV: a response never exceeds the client's MaxEnvelopeSize;
        # base64 costs 4/3 and the envelope around the streams ~2 KB
        budget = max(1024, (req.max_envelope - 2048) * 3 // 4)
        items, exit_code = take_output(c, budget, time.monotonic() + wait, self.client_gone)
        if items is None:
            return None  # abandoned: the output stays for the next Receive
        if not items and exit_code is None:
            raise Fault(wsman.F_TIMED_OUT, sender=False)
        if self.client_gone():
            c.pending[:0] = items
            if exit_code is not None:
                c.pending.append((None, exit_code))
            return None
        return receive_envelope(req.message_id, c, items, exit_code)


def take_output(c, budget, deadline, gone):
    """Collect (stream, bytes) items up to budget bytes. Returns (items,
    exit_code or None), or (None, None) when the client left while waiting."""
    if not hasattr(c, "pending"):
        c.pending = []
    items, used, exit_code = [], 0, None
    while True:
        while used < budget:
            item = c.pending.pop(0) if c.pending else None
            if item is None:
                try:
                    item = c.out.get_nowait()
                except Exception:
                    break
            stream, data = item
            if stream is None:
                exit_code = data
                break
            if used + len(data) > budget:
                c.pending.insert(0, (stream, data[budget - used:]))
                data = data[:budget - used]
            items.append((stream, data))
            used += len(data)
        if items or exit_code is not None:
            return items, exit_code
        if time.monotonic() >= deadline:
            return [], None
        if gone():
            return None, None
        try:
            c.pending.append(c.out.get(timeout=0.05))
        except Exception:
            pass


def receive_envelope(relates, c, items, exit_code):
    parts, last = [], None
    for stream, data in items:  # merge neighbours of one stream
        if parts and last == stream:
            parts[-1] = (stream, parts[-1][1] + data)
        else:
            parts.append((stream, data))
        last = stream
    xml = "".join('<rsp:Stream Name="%s" CommandId="%s">%s</rsp:Stream>' % (
        s, c.id, base64.b64encode(d).decode()) for s, d in parts)
    if exit_code is not None:
        c.done = True
        xml += ('<rsp:Stream Name="stdout" CommandId="%s" End="true"></rsp:Stream>'
                '<rsp:Stream Name="stderr" CommandId="%s" End="true"></rsp:Stream>'
                '<rsp:CommandState CommandId="%s" State="%s"><rsp:ExitCode>%d</rsp:ExitCode>'
                '</rsp:CommandState>' % (c.id, c.id, c.id, wsman.DONE, exit_code))
    else:
        xml += '<rsp:CommandState CommandId="%s" State="%s"/>' % (c.id, wsman.RUNNING)
    return wsman.envelope(wsman.NS["rsp"] + "/ReceiveResponse", relates,
                          "<rsp:ReceiveResponse>%s</rsp:ReceiveResponse>" % xml)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, addr, family, service, tls_ctx):
        self.address_family = family
        self.service = service
        self.tls_ctx = tls_ctx
        self.tls = tls_ctx is not None
        super().__init__(addr, Handler)

    def server_bind(self):
        if self.address_family == socket.AF_INET6:
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "localhost", self.server_address[1]

    def finish_request(self, request, client_address):
        # the TLS handshake runs in the connection's own thread
        if self.tls_ctx:
            try:
                request = self.tls_ctx.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                with self.service.lock:
                    self.service.tls_handshakes["failed"] += 1
                return
            with self.service.lock:
                self.service.tls_handshakes["ok"] += 1
                # a session resumed by its ticket or ID (OpenSSL's own judgement)
                self.service.tls_handshakes["resumed"] += request.session_reused
        self.RequestHandlerClass(request, client_address, self)


def make_client_certs(state_dir):
    """A client CA and, signed by it, certificates for alice@WRSH (a user)
    and nobody@WRSH (no such user), with their keys: what an administrator
    maps with `winrm create winrm/config/service/certmapping`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "wrsh test client CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .sign(ca_key, hashes.SHA256()))
    out = {"client_ca": os.path.join(state_dir, "client-ca.pem")}
    with open(out["client_ca"], "wb") as f:
        f.write(ca.public_bytes(serialization.Encoding.PEM))
    for who in ("alice", "nobody"):
        key = ec.generate_private_key(ec.SECP256R1())
        upn = ("%s@WRSH" % who).encode()
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, who)]))
                .issuer_name(ca_name).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(minutes=5))
                .not_valid_after(now + datetime.timedelta(days=2))
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]),
                               critical=False)
                .add_extension(x509.SubjectAlternativeName([x509.OtherName(
                    x509.ObjectIdentifier(UPN_OID), b"\x0c" + bytes([len(upn)]) + upn)]),
                    critical=False)
                .sign(ca_key, hashes.SHA256()))
        out[who + "_cert"] = os.path.join(state_dir, who + "-cert.pem")
        out[who + "_key"] = os.path.join(state_dir, who + "-key.pem")
        with open(out[who + "_cert"], "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
        with open(out[who + "_key"], "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    return out


def make_cert(state_dir):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"),
                x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                x509.IPAddress(ipaddress.ip_address("::1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path = os.path.join(state_dir, "cert.pem")
    key_path = os.path.join(state_dir, "key.pem")
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.TraditionalOpenSSL,
                                  serialization.NoEncryption()))
    sha = hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
    return cert_path, key_path, sha


def listen_pair(port, service, tls_ctx, v4_addr="127.0.0.1"):
    """The same port on 127.0.0.1 (or v4_addr) and ::1 (retrying when 0 picks
    a port that the other family has taken)."""
    for _ in range(50):
        v6 = Server(("::1", port, 0, 0), socket.AF_INET6, service, tls_ctx)
        try:
            v4 = Server((v4_addr, v6.server_address[1]), socket.AF_INET, service, tls_ctx)
            return [v4, v6]
        except OSError:
            v6.server_close()
            if port:
                raise
    raise OSError("no free port pair")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ready-file", required=True)
    ap.add_argument("--state-dir")
    ap.add_argument("--http-port", type=int, default=0)
    ap.add_argument("--https-port", type=int, default=0)
    ap.add_argument("--user", action="append", help="DOMAIN\\name:password (repeatable)")
    ap.add_argument("--basic", action="store_true", help="enable Basic (Windows: off)")
    ap.add_argument("--allow-unencrypted", action="store_true", help="Windows: false")
    ap.add_argument("--max-envelope-kb", type=int, default=500)
    ap.add_argument("--max-shells-per-user", type=int, default=30)
    ap.add_argument("--operation-timeout-cap", type=float, default=60.0)
    ap.add_argument("--chunked", action="store_true")
    ap.add_argument("--keepalive-timeout", type=float, default=120.0)
    ap.add_argument("--kerberos", metavar="REALM_DIR",
                    help="accept Kerberos (the Kerberos scheme, and inside Negotiate's SPNEGO) "
                         "with the keytab of a realm tests/endpoint/kdc.py made in REALM_DIR")
    ap.add_argument("--no-negotiate", dest="negotiate", action="store_false",
                    help="turn Negotiate (NTLM via gss-ntlmssp) off (Windows: on)")
    ap.add_argument("--cbt", choices=["none", "relaxed", "strict"], default="relaxed",
                    help="CbtHardeningLevel over HTTPS (Windows: relaxed)")
    ap.add_argument("--no-rights", action="append",
                    help="a user that authenticates but may not use WinRM (repeatable)")
    ap.add_argument("--psrp-version", choices=["2.1", "2.2", "2.3"], default="2.3",
                    help="the PSRP protocol version the server announces")
    ap.add_argument("--psrp-server", choices=["endpoint", "pwsh"],
                    default=os.environ.get("WRSH_ENDPOINT_PSRP_SERVER", "endpoint"),
                    help="who answers PowerShell Remoting: this endpoint's own server "
                         "(psrp.py) or a real `pwsh -s` per pool (pwsh_bridge.py; $WRSH_PWSH "
                         "names pwsh, $WRSH_PWSH_TRACE a file for its packets); pwsh "
                         "also makes `powershell` a program of WinRS shells")
    ap.add_argument("--certificate", action="store_true",
                    help="Service/Auth/Certificate: client certificates (Windows: off)")
    ap.add_argument("--services", type=int, default=40,
                    help="Win32_Service instances (real-looking ones, then svcNNNNN)")
    ap.add_argument("--enumeration-timeout-ms", type=int, default=240000,
                    help="Service/EnumerationTimeoutms: an unused enumeration context expires")
    ap.add_argument("--tls-max", choices=["1.2", "1.3"], default="1.3",
                    help="Windows Server 2019 and older speak TLS 1.2 at most")
    ap.add_argument("--tls-client-order", action="store_true",
                    help="follow the client's order of signature algorithms (OpenSSL's "
                         "default; Python's is the server's order, which picks RSA-PSS)")
    ap.add_argument("--strict-omi", action="store_true",
                    help="read and answer as Microsoft's OMI: sealed part headers only at a "
                         "line's start, IdentifyResponse in the SOAP namespace, no shell "
                         "provider (a shell Create gets a 500 with an empty body)")
    ap.add_argument("--listen-v4", default="127.0.0.1",
                    help="the IPv4 address(es) to listen on, comma-separated (a tap's, for "
                         "the lwIP port's tests; 127.0.0.2,... for fan-out's)")
    ap.add_argument("--log")
    args = ap.parse_args()
    state = args.state_dir or tempfile.mkdtemp(prefix="winrm-endpoint-")
    os.makedirs(state, exist_ok=True)
    service = Service(args)
    service.state_dir = state
    negotiate.setup(service.users.values(), state, args.kerberos)
    psrp.PROTOCOL_VERSION[0] = args.psrp_version
    if args.psrp_server == "pwsh":
        winshell.POWERSHELL[0] = pwsh_bridge.pwsh_path()
    cert, key, sha = make_cert(state)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    if args.tls_max == "1.2":
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    if args.tls_client_order:
        ctx.options &= ~ssl.OP_CIPHER_SERVER_PREFERENCE
    clients = make_client_certs(state)
    if args.certificate:  # asked for in the handshake, required only by that scheme
        ctx.verify_mode = ssl.CERT_OPTIONAL
        ctx.load_verify_locations(clients["client_ca"])
    v4 = args.listen_v4.split(",")
    servers = (listen_pair(args.http_port, service, None, v4[0]) +
               listen_pair(args.https_port, service, ctx, v4[0]))
    # more IPv4 addresses (fan-out tests: one endpoint as many hosts), on the same ports
    servers += [Server((a, servers[i].server_address[1]), socket.AF_INET, service,
                       ctx if i else None) for a in v4[1:] for i in (0, 2)]
    with open(cert, "rb") as f:
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization
        der = x509.load_pem_x509_certificate(f.read()).public_bytes(serialization.Encoding.DER)
    for s in servers:
        s.cert_der = der
    service.cim.listening(servers[0].server_address[1], servers[2].server_address[1],
                          hashlib.sha1(der).hexdigest().upper())
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    ready = {"http_port": servers[0].server_address[1], "https_port": servers[2].server_address[1],
             "cert": cert, "cert_sha256": sha, "pid": os.getpid(), **clients}
    tmp = args.ready_file + ".tmp"
    with open(tmp, "w") as f:
        json.dump(ready, f)
    os.replace(tmp, args.ready_file)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    signal.signal(signal.SIGINT, lambda *a: stop.set())
    stop.wait()
    for s in servers:
        s.shutdown()
        s.server_close()
    for shell in list(service.shells.values()):
        if isinstance(shell, pwsh_bridge.Pool):  # its pwsh is a process of its own
            shell.close()


if __name__ == "__main__":
    main()
