#!/usr/bin/python3
"""A hostile WinRM server for tests (issue 6, "hostile networks and servers").

  hostile_server.py --case NAME --ready-file F --log F

Listens on 127.0.0.1 (plain HTTP, any Basic credentials accepted; and an HTTPS
listener whose certificate names another host). It answers WinRS and PSRP
requests correctly (Create, Command, Send, Signal, Delete, the runspace pool's
opening, using the shapes of tests/endpoint) until the request chosen by the
case, usually the first Receive, which it answers with the case's attack.
After the attack it is well-behaved again, so a client that still can deletes
its shell. Every request is logged to --log as one JSON line {"action",
"case", "conn"} so the tests can see the Delete.

When listening, writes JSON to the ready file:
  {"http_port", "https_port", "cacert", "pid"}
"""
import argparse
import base64
import datetime
import json
import os
import socket
import ssl
import struct
import sys
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "endpoint"))
import psrp  # noqa: E402
import wsman  # noqa: E402

SOAP_CT = "application/soap+xml;charset=UTF-8"
RSP = wsman.NS["rsp"]
A_CREATE = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create"
A_DELETE = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete"
DONE = RSP + "/CommandState/Done"
RUNNING = RSP + "/CommandState/Running"
GIB = 1 << 30


class Closed(Exception):
    pass


# ---- the attacks -----------------------------------------------------------------
#
# Each takes (conn, req, ctx) and writes to conn.sock whatever it likes. It
# returns True when the connection may carry on (rarely), False to close it.

def head(status="200 OK", length=None, chunked=False, extra=""):
    h = "HTTP/1.1 %s\r\nServer: Microsoft-HTTPAPI/2.0\r\nContent-Type: %s\r\n" % (status, SOAP_CT)
    if chunked:
        h += "Transfer-Encoding: chunked\r\n"
    elif length is not None:
        h += "Content-Length: %d\r\n" % length
    return (h + extra + "\r\n").encode()


def receive_prefix(req):
    """A ReceiveResponse envelope up to the inside of its stdout stream."""
    env = wsman.envelope(RSP + "/ReceiveResponse", req.message_id,
                         '<rsp:ReceiveResponse><rsp:Stream Name="stdout" CommandId="%s">@@'
                         '</rsp:Stream><rsp:CommandState CommandId="%s" State="%s"/>'
                         '</rsp:ReceiveResponse>' % (CMD_ID, CMD_ID, RUNNING))
    pre, post = env.split(b"@@")
    return pre, post


def send_body(conn, body):
    conn.sock.sendall(head(length=len(body)) + body)
    return False


def billion_laughs(conn, req, ctx):
    ents = '<!ENTITY lol0 "lol">' + "".join(
        '<!ENTITY lol%d "%s">' % (i, ("&lol%d;" % (i - 1)) * 10) for i in range(1, 10))
    env = wsman.envelope(RSP + "/ReceiveResponse", req.message_id,
                         '<rsp:ReceiveResponse><rsp:Stream Name="stdout" CommandId="%s">&lol9;'
                         '</rsp:Stream></rsp:ReceiveResponse>' % CMD_ID)
    return send_body(conn, b'<?xml version="1.0"?><!DOCTYPE s:Envelope [' + ents.encode() +
                     b"]>" + env)


def xxe(conn, req, ctx):
    env = wsman.envelope(RSP + "/ReceiveResponse", req.message_id,
                         '<rsp:ReceiveResponse><rsp:Stream Name="stdout" CommandId="%s">&xxe;'
                         '</rsp:Stream></rsp:ReceiveResponse>' % CMD_ID)
    return send_body(conn, b'<?xml version="1.0"?><!DOCTYPE s:Envelope [<!ENTITY xxe SYSTEM '
                     b'"file:///etc/passwd">]>' + env)


def deep_nesting(conn, req, ctx):
    n = 100000
    env = wsman.envelope(RSP + "/ReceiveResponse", req.message_id,
                         "<rsp:ReceiveResponse>" + "<a>" * n + "</a>" * n +
                         "</rsp:ReceiveResponse>")
    return send_body(conn, env)


def huge_stdout(conn, req, ctx):
    """One stdout element of 1 GiB of base64, streamed with its true length."""
    pre, post = receive_prefix(req)
    piece = base64.b64encode(b"hostile!" * 24576)  # 256 KiB of base64
    count = GIB // len(piece)
    conn.sock.sendall(head(length=len(pre) + count * len(piece) + len(post)) + pre)
    for _ in range(count):
        conn.sock.sendall(piece)
    conn.sock.sendall(post)
    return False


def endless_chunked(conn, req, ctx):
    pre, _ = receive_prefix(req)
    conn.sock.sendall(head(chunked=True) + b"%x\r\n%s\r\n" % (len(pre), pre))
    piece = base64.b64encode(b"endless!" * 6144)
    chunk = b"%x\r\n%s\r\n" % (len(piece), piece)
    deadline = time.monotonic() + ctx.args.stop_after
    while time.monotonic() < deadline:
        conn.sock.sendall(chunk)
    return False


def header_flood(conn, req, ctx):
    conn.sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: " + SOAP_CT.encode() + b"\r\n")
    line = b"X-Flood: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"
    for _ in range(100):
        conn.sock.sendall(line * 1000)
    conn.sock.sendall(b"Content-Length: 0\r\n\r\n")
    return False


def long_header(conn, req, ctx):
    conn.sock.sendall(b"HTTP/1.1 200 OK\r\nX-Long: ")
    for _ in range(16):
        conn.sock.sendall(b"a" * 65536)
    conn.sock.sendall(b"\r\nContent-Length: 0\r\n\r\n")
    return False


def slowloris(conn, req, ctx):
    """A few bytes of the head, then nothing until the client gives up."""
    conn.sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Ty")
    conn.sock.settimeout(ctx.args.stop_after)
    try:
        while conn.sock.recv(65536):
            pass
    except (OSError, socket.timeout):
        pass
    return False


def trickle(conn, req, ctx):
    """A valid answer, one byte per half second: each read is quick enough,
    the answer as a whole never is."""
    pre, post = receive_prefix(req)
    body = pre + b"aGk=" * 100000 + post
    data = head(length=len(body)) + body
    deadline = time.monotonic() + ctx.args.stop_after
    for i in range(len(data)):
        if time.monotonic() > deadline:
            break
        try:
            conn.sock.sendall(data[i:i + 1])
        except OSError:
            break
        time.sleep(0.5)
    return False


def garbage_status(conn, req, ctx):
    conn.sock.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n\x00\xff\xfe garbage \x01\x02\r\n\r\n")
    return False


def lying_length(conn, req, ctx):
    pre, post = receive_prefix(req)
    body = pre + b"aGk=" + post
    conn.sock.sendall(head(length=len(body) + 5000) + body)
    conn.sock.shutdown(socket.SHUT_WR)
    return False


def garbage_create(conn, req, ctx):
    return garbage_status(conn, req, ctx)


ATTACKS = {
    # WinRS: the first Receive is the attack
    "billion_laughs": ("Receive", billion_laughs),
    "xxe": ("Receive", xxe),
    "deep_nesting": ("Receive", deep_nesting),
    "huge_stdout": ("Receive", huge_stdout),
    "endless_chunked": ("Receive", endless_chunked),
    "header_flood": ("Receive", header_flood),
    "long_header": ("Receive", long_header),
    "slowloris": ("Receive", slowloris),
    "trickle": ("Receive", trickle),
    "garbage_status": ("Receive", garbage_status),
    "lying_length": ("Receive", lying_length),
    # the very first request: no shell to delete
    "garbage_create": ("Create", garbage_create),
    "slowloris_create": ("Create", slowloris),
    # PSRP cases are handled by PsPool below
    "ps_out_of_order": ("PsPoolReceive", None),
    "ps_huge_blob": ("PsPoolReceive", None),
    "ps_ref_loop": ("PsPipelineReceive", None),
    "ps_self_ref": ("PsPipelineReceive", None),
    # TLS: the handshake is the attack (the certificate names another host)
    "tls_wrong_host": (None, None),
    "tls_trickle": (None, None),  # a valid handshake, one byte per half second
}

CMD_ID = "6A4C7F5E-0000-4B2C-9C1E-7D0A2C1B3E4F"


# ---- PSRP ------------------------------------------------------------------------

def ps_state(typ_state, rpid, pid):
    return psrp.message(psrp.PIPELINE_STATE, rpid, pid,
                        '<Obj RefId="0"><MS><I32 N="PipelineState">%d</I32></MS></Obj>' % typ_state)


class PsPool:
    """Just enough of a runspace pool: opens, runs one pipeline, misbehaves."""

    def __init__(self, case, creation):
        msgs = psrp.read_messages(creation)
        self.rpid = msgs[0][1]
        self.case = case
        self.obj = 1
        self.pool_receives = 0
        self.pid = None
        self.pipe_receives = 0

    def frags(self, msg, blob=32 * 1024 - 21):
        self.obj += 1
        return psrp.fragments(self.obj, msg, blob)

    def pool_output(self):
        zero = uuid.UUID(int=0)
        self.pool_receives += 1
        cap = psrp.message(psrp.SESSION_CAPABILITY, zero, zero,
                           psrp.CAPABILITY % psrp.PROTOCOL_VERSION[0])
        state = psrp.message(psrp.RUNSPACEPOOL_STATE, self.rpid, zero,
                             '<Obj RefId="0"><MS><I32 N="RunspaceState">2</I32></MS></Obj>')
        if self.case == "ps_out_of_order" and self.pool_receives == 1:
            # fragments 0 and 2 of one message: 1 is missing
            msg = cap + b" " * 200
            self.obj += 1
            a = struct.pack(">QQBI", self.obj, 0, 1, 100) + msg[:100]
            b = struct.pack(">QQBI", self.obj, 2, 2, len(msg) - 100) + msg[100:]
            return a + b
        if self.case == "ps_huge_blob":
            # a header claiming a 4 GiB blob, then as much of it as the
            # envelope holds on every Receive, forever
            if self.pool_receives == 1:
                self.obj += 1
                return struct.pack(">QQBI", self.obj, 0, 3, 0xFFFFFFFF) + cap + b"A" * 60000
            return b"A" * 60000
        return self.frags(cap) + self.frags(psrp.message(
            psrp.APPLICATION_PRIVATE_DATA, self.rpid, zero, psrp.PRIVATE_DATA)) + self.frags(state)

    def pipe_output(self):
        pid = uuid.UUID(self.pid)
        if self.case == "ps_ref_loop":
            # an object whose property is a reference to itself, and a type
            # name reference to itself, then a reference to nothing at all
            obj = ('<Obj RefId="0"><TNRef RefId="0"/><ToString>loop</ToString><Props>'
                   '<Ref N="Self" RefId="0"/><Obj N="Inner" RefId="1"><Ref N="Outer" RefId="0"/>'
                   '<Ref N="Me" RefId="1"/></Obj><Ref N="Nowhere" RefId="99"/></Props></Obj>')
        else:
            # an object referencing its own RefId inside its own list
            obj = ('<Obj RefId="0"><TN RefId="0"><T>System.Object[]</T></TN><LST>'
                   '<Ref RefId="0"/><Ref RefId="0"/></LST></Obj>')
        out = psrp.message(psrp.PIPELINE_OUTPUT, self.rpid, pid, obj)
        return self.frags(out) + self.frags(ps_state(4, self.rpid, pid))


# ---- HTTP ------------------------------------------------------------------------

class Conn:
    def __init__(self, sock, ctx, n):
        self.sock, self.ctx, self.n = sock, ctx, n
        self.buf = b""

    def read_request(self):
        while b"\r\n\r\n" not in self.buf:
            d = self.sock.recv(65536)
            if not d:
                raise Closed()
            self.buf += d
            if len(self.buf) > 1 << 20:
                raise Closed()
        h, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = h.decode("latin-1").split("\r\n")
        hdrs = {}
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        n = int(hdrs.get("content-length", "0"))
        while len(self.buf) < n:
            d = self.sock.recv(65536)
            if not d:
                raise Closed()
            self.buf += d
        body, self.buf = self.buf[:n], self.buf[n:]
        return lines[0], hdrs, body

    def reply(self, body, status="200 OK"):
        self.sock.sendall(head(status, len(body)) + body)


class Ctx:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.log = open(args.log, "a")
        self.conns = 0
        self.pools = {}
        self.attacked = False

    def record(self, **kw):
        with self.lock:
            kw["time"] = time.time()
            self.log.write(json.dumps(kw) + "\n")
            self.log.flush()


def action_name(req):
    a = req.action
    if a == A_CREATE:
        return "Create"
    if a == A_DELETE:
        return "Delete"
    return a.rsplit("/", 1)[-1]


def answer(conn, req, hdrs):
    """True: keep the connection."""
    ctx = conn.ctx
    name = action_name(req)
    stage, attack = ATTACKS[ctx.args.case]
    is_ps = req.resource.lower().startswith("http://schemas.microsoft.com/powershell")
    ctx.record(action=name, conn=conn.n, ps=is_ps)
    first = False
    with ctx.lock:
        if stage == name and not ctx.attacked:
            ctx.attacked = first = True
    if first and attack:
        ctx.record(action="attack", case=ctx.args.case, conn=conn.n)
        return attack(conn, req, ctx)

    if req.identify:
        conn.reply(wsman.identify_response(True))
        return True
    if name == "Create":
        sid = str(uuid.uuid4()).upper()
        if is_ps:
            body = req.body.find(wsman.q("rsp", "Shell"))
            cx = body.find("{http://schemas.microsoft.com/powershell}creationXml")
            ctx.pools[sid] = PsPool(ctx.args.case, base64.b64decode(cx.text or ""))
        conn.reply(wsman.envelope(A_CREATE + "Response", req.message_id,
                                  '<rsp:Shell><rsp:ShellId>%s</rsp:ShellId></rsp:Shell>' % sid))
        return True
    if name == "Delete":
        conn.reply(wsman.envelope(A_DELETE + "Response", req.message_id, ""))
        return True
    if name == "Command":
        cl = req.body.find(wsman.q("rsp", "CommandLine"))
        cid = (cl.get("CommandId") if cl is not None else None) or CMD_ID
        sid = req.selectors.get("ShellId", "")
        if sid in ctx.pools:
            ctx.pools[sid].pid = cid
        conn.reply(wsman.envelope(RSP + "/CommandResponse", req.message_id,
                                  "<rsp:CommandResponse><rsp:CommandId>%s</rsp:CommandId>"
                                  "</rsp:CommandResponse>" % cid.upper()))
        return True
    if name in ("Send", "Signal"):
        conn.reply(wsman.envelope(RSP + "/%sResponse" % name, req.message_id,
                                  "<rsp:%sResponse/>" % name))
        return True
    if name == "Receive":
        ds = req.body.find(wsman.q("rsp", "Receive") + "/" + wsman.q("rsp", "DesiredStream"))
        cid = ds.get("CommandId") if ds is not None else None
        pool = ctx.pools.get(req.selectors.get("ShellId", ""))
        if pool is not None:
            data = pool.pool_output() if cid is None else pool.pipe_output()
            if (stage == "PsPoolReceive" and cid is None and pool.pool_receives == 1) or \
                    (stage == "PsPipelineReceive" and cid is not None):
                ctx.record(action="attack", case=ctx.args.case, conn=conn.n)
            attr = ' CommandId="%s"' % cid.upper() if cid else ""
            xml = '<rsp:Stream Name="stdout"%s>%s</rsp:Stream>' % (
                attr, base64.b64encode(data).decode())
            if cid:
                xml += '<rsp:CommandState%s State="%s"/>' % (attr, RUNNING)
            conn.reply(wsman.envelope(RSP + "/ReceiveResponse", req.message_id,
                                      "<rsp:ReceiveResponse>%s</rsp:ReceiveResponse>" % xml))
            return True
        cid = cid or CMD_ID
        # a well-behaved end: exit code 0, no output
        conn.reply(wsman.envelope(
            RSP + "/ReceiveResponse", req.message_id,
            '<rsp:ReceiveResponse><rsp:Stream Name="stdout" CommandId="%s" End="true"/>'
            '<rsp:CommandState CommandId="%s" State="%s"><rsp:ExitCode>0</rsp:ExitCode>'
            '</rsp:CommandState></rsp:ReceiveResponse>' % (cid, cid, DONE)))
        return True
    conn.reply(b"", "500 Internal Server Error")
    return True


def serve_conn(sock, ctx, n):
    conn = Conn(sock, ctx, n)
    try:
        while True:
            line, hdrs, body = conn.read_request()
            if "authorization" not in hdrs and not ctx.args.no_auth:
                conn.sock.sendall(b'HTTP/1.1 401 \r\nWWW-Authenticate: Basic realm="WSMAN"\r\n'
                                  b"Content-Length: 0\r\n\r\n")
                continue
            try:
                req = wsman.Request(body)
            except wsman.Fault:
                conn.reply(b"", "400 Bad Request")
                continue
            if not answer(conn, req, hdrs):
                break
    except (Closed, OSError, ssl.SSLError):
        pass
    finally:
        try:
            sock.close()
        except OSError:
            pass


def make_wrong_host_cert(d):
    """A CA certificate (trusted by the test through --cacert) for a host
    that is not 127.0.0.1."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "wrong.example")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("wrong.example")]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cp, kp = os.path.join(d, "wrong-cert.pem"), os.path.join(d, "wrong-key.pem")
    with open(cp, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(kp, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return cp, kp


def listen():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    return s


def trickled_handshake(sock, tls, ctx):
    """Run the server's side of a TLS handshake through memory BIOs and
    send what it writes one byte per half second."""
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = tls.wrap_bio(inc, out, server_side=True)
    deadline = time.monotonic() + ctx.args.stop_after
    sock.settimeout(0.5)
    while time.monotonic() < deadline:
        try:
            obj.do_handshake()
        except ssl.SSLWantReadError:
            pass
        except (ssl.SSLError, OSError):
            return
        pending = out.read()
        for i in range(len(pending)):
            if time.monotonic() > deadline:
                return
            try:
                sock.sendall(pending[i:i + 1])
            except OSError:
                return
            time.sleep(0.5)
        try:
            data = sock.recv(65536)
        except socket.timeout:
            continue
        except OSError:
            return
        if not data:
            return
        inc.write(data)


def accept_loop(lsock, ctx, tls):
    while True:
        sock, _ = lsock.accept()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with ctx.lock:
            ctx.conns += 1
            n = ctx.conns
        if tls and ctx.args.case == "tls_trickle":
            threading.Thread(target=trickled_handshake, args=(sock, tls, ctx),
                             daemon=True).start()
        elif tls:
            def wrapped(sock=sock, n=n):
                try:
                    sock.settimeout(10)
                    s = tls.wrap_socket(sock, server_side=True)
                    s.settimeout(None)
                except (OSError, ssl.SSLError):
                    ctx.record(action="tls-refused", conn=n)
                    sock.close()
                    return
                serve_conn(s, ctx, n)
            threading.Thread(target=wrapped, daemon=True).start()
        else:
            threading.Thread(target=serve_conn, args=(sock, ctx, n), daemon=True).start()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", required=True, choices=sorted(ATTACKS))
    ap.add_argument("--ready-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--state-dir", default=None)
    ap.add_argument("--stop-after", type=float, default=30.0,
                    help="seconds an endless attack lasts at most")
    ap.add_argument("--no-auth", action="store_true")
    args = ap.parse_args()
    ctx = Ctx(args)
    d = args.state_dir or os.path.dirname(os.path.abspath(args.ready_file))
    http_l, https_l = listen(), listen()
    cert, key = make_wrong_host_cert(d)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    threading.Thread(target=accept_loop, args=(http_l, ctx, None), daemon=True).start()
    threading.Thread(target=accept_loop, args=(https_l, ctx, tls), daemon=True).start()
    tmp = args.ready_file + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"http_port": http_l.getsockname()[1], "https_port": https_l.getsockname()[1],
                   "cacert": cert, "pid": os.getpid()}, f)
    os.rename(tmp, args.ready_file)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
