"""wrsh -a kerberos against MIT Kerberos: a realm of Debian's krb5kdc
(tests/endpoint/kdc.py: kdb5_util, kadmin.local, AES users, an RC4-only
user, one without pre-authentication) and the endpoint's acceptor, MIT's
GSSAPI with the HTTP/localhost keytab. What wrsh says to the KDC is judged
by krb5kdc (its log names every request); what it says to the service, by
gss_accept_sec_context and gss_unwrap_iov; none of it by our code.
"""
import os
import hashlib
import re
import shutil
import select
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import unittest

from test_cli import Base, Endpoint, PASSWORD, WRSH, stat, tls_built

sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "endpoint"))
import kdc  # noqa: E402


def kerberos_built():
    out = subprocess.run([WRSH, "--version", "-v"], capture_output=True, text=True).stdout
    return " kerberos" in out.splitlines()[1]


def pump(a, b):
    """Copies a to b until a ends, then closes both (plain sockets only)."""
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.close()
        except OSError:
            pass


class TlsProxy:
    """A TLS-terminating relay with a certificate of its own: what a channel
    binding exists to catch. Each client connection is relayed over a new
    TLS connection to the endpoint, both directions in one thread: an
    OpenSSL connection must not be read in one thread while it is written
    in another (two pumps on one SSL object lost a reply now and then)."""

    def __init__(self, cert, key, target):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        self.target = target
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        up_ctx = ssl.create_default_context()
        up_ctx.check_hostname = False
        up_ctx.verify_mode = ssl.CERT_NONE
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            try:
                down = self.ctx.wrap_socket(c, server_side=True)
                up = up_ctx.wrap_socket(socket.create_connection(self.target))
            except OSError:
                c.close()
                continue
            threading.Thread(target=self.relay, args=(down, up), daemon=True).start()

    @staticmethod
    def relay(down, up):
        other = {down: up, up: down}
        try:
            while True:
                # records already decrypted wait in OpenSSL, unseen by select
                ready = [s for s in other if s.pending()]
                ready = ready or select.select(list(other), [], [], 120)[0]
                if not ready:
                    break
                for s in ready:
                    d = s.recv(65536)
                    if not d:
                        raise EOFError
                    other[s].sendall(d)
        except (OSError, EOFError):
            pass
        for s in other:
            try:
                s.close()
            except OSError:
                pass


def srv_query(name, payload=1232):
    """An SRV query with EDNS, as RFC 1035 4.1 and RFC 6891 6.1.2 lay it out."""
    q = bytes([0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1])
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0\0\x21\0\x01" + b"\0\0\x29" + payload.to_bytes(2, "big") + bytes(6)


class KdcRelay:
    """UDP and TCP on one port in front of a KDC's: every UDP answer kept,
    TCP connections counted."""

    def __init__(self, target):
        self.target = ("127.0.0.1", target)
        self.udp_answers, self.tcp_connections = [], 0
        port = kdc.free_port()
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", port))
        self.tcp = socket.socket()
        self.tcp.bind(("127.0.0.1", port))
        self.tcp.listen(4)
        self.port = port
        threading.Thread(target=self.datagrams, daemon=True).start()
        threading.Thread(target=self.streams, daemon=True).start()

    def datagrams(self):
        up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        up.settimeout(5)
        try:
            while True:
                q, peer = self.udp.recvfrom(65536)
                up.sendto(q, self.target)
                a = up.recvfrom(65536)[0]
                self.udp_answers.append(a)
                self.udp.sendto(a, peer)
        except OSError:
            up.close()

    def streams(self):
        while True:
            try:
                down, _ = self.tcp.accept()
                up = socket.create_connection(self.target)
            except OSError:
                return
            self.tcp_connections += 1
            threading.Thread(target=pump, args=(down, up), daemon=True).start()
            threading.Thread(target=pump, args=(up, down), daemon=True).start()

    def close(self):
        self.udp.close()
        self.tcp.close()


class FakeKdc:
    """A KDC that answers every request with `reply` (bytes after the
    request was read; None: close at once; "silent": never answer; a list:
    each in turn, one a connection)."""

    def __init__(self, reply):
        self.replies = reply if isinstance(reply, list) else None
        self.reply = reply
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.held = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            if self.replies is not None:
                self.reply = self.replies.pop(0) if self.replies else None
            if self.reply is None:
                c.close()
                continue
            c.recv(65536)
            if self.reply == "silent":
                self.held.append(c)
                continue
            c.sendall(self.reply)
            c.close()

    def close(self):
        self.sock.close()
        for c in self.held:
            c.close()


class ApRepReplay:
    """A plain relay to the endpoint that keeps the first AP-REP it sees
    (WWW-Authenticate on a 200) and puts it in place of every later one:
    what an attacker who recorded a logon could answer."""

    def __init__(self, target):
        self.target = target
        self.first = None
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                down, _ = self.sock.accept()
                up = socket.create_connection(self.target)
            except OSError:
                return
            threading.Thread(target=pump, args=(down, up), daemon=True).start()
            threading.Thread(target=self.answers, args=(up, down), daemon=True).start()

    def answers(self, up, down):
        try:
            while True:
                d = up.recv(65536)
                if not d:
                    break
                m = re.search(rb"WWW-Authenticate: Negotiate ([A-Za-z0-9+/=]+)", d)
                if m and self.first is None:
                    self.first = m.group(1)
                elif m:
                    d = d.replace(m.group(1), self.first)
                down.sendall(d)
        except OSError:
            pass
        for s in (up, down):
            s.close()

    def close(self):
        self.sock.close()


@unittest.skipUnless(shutil.which("krb5kdc") and shutil.which("kadmin.local"),
                     "MIT Kerberos missing (scripts/bootstrap.sh check installs krb5-kdc)")
@unittest.skipUnless(kerberos_built(), "Kerberos not built into this wrsh")
class KerberosTest(Base):
    @classmethod
    def setUpClass(cls):
        cls.realm = kdc.Realm()
        cls.ep = Endpoint.shared("--kerberos", cls.realm.dir, basic=False)

    @classmethod
    def tearDownClass(cls):
        cls.realm.stop()

    def krb(self, *args, user="alice", host="localhost", https=False, env=None, password=PASSWORD,
            conf=True, port=None):
        e = {"KRB5_CONFIG": self.realm.krb5_conf if conf else "/nonexistent"}
        e.update(env or {})
        port = port or (self.ep.https if https else self.ep.http)
        tls = ["--https", "--cacert", self.ep.info["cert"]] if https else []
        who = ["-u", user] if user else []
        return self.wrsh("cmd", "-H", host, "-p", str(port), *tls, "-a", "kerberos", *who,
                         *args, env=e, password=password)

    def kdc_log(self):
        with open(os.path.join(self.realm.dir, "kdc.log")) as f:
            return f.read()

    def one_line(self, r, *expect, status=255):
        self.assertEqual(r.returncode, status, r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        for x in expect:
            self.assertIn(x, r.stderr)

    def test_sealed_over_http(self):
        before = self.ep.state()["sealed_requests"]
        log = len(self.kdc_log())
        r = self.krb("--stats", "echo", "sealed")
        self.assertEqual((r.returncode, r.stdout), (0, b"sealed\r\n"), r.stderr)
        # the empty POST with the AP-REQ (200 and the AP-REP back), then
        # create, command, send, receive, delete: all five sealed by MIT's
        # acceptor's wrap tokens and unsealed by its gss_unwrap_iov
        self.assertEqual(stat(r.stderr, "requests"), 6)
        self.assertEqual(self.ep.state()["sealed_requests"] - before, 5)
        new = self.kdc_log()[log:]
        # one AS exchange (pre-authentication asked for, then given) and one TGS
        self.assertEqual(len(re.findall(r"AS_REQ .*NEEDED_PREAUTH: alice@WRSH.TEST", new)), 1, new)
        self.assertEqual(len(re.findall(r"AS_REQ .*ISSUE: authtime \d+.*alice@WRSH.TEST for "
                                        r"krbtgt/WRSH.TEST@WRSH.TEST", new)), 1, new)
        self.assertEqual(len(re.findall(r"TGS_REQ .*ISSUE: authtime \d+.*alice@WRSH.TEST for "
                                        r"HTTP/localhost@WRSH.TEST", new)), 1, new)

    def test_user_spellings_and_realm_sources(self):
        for user, extra in (("alice", ()), ("alice@wrsh.test", ()), ("WRSH.TEST\\alice", ()),
                            ("alice", ("--realm", "wrsh.test"))):
            r = self.krb(*extra, "echo", "x", user=user)
            self.assertEqual((r.returncode, r.stdout), (0, b"x\r\n"), (user, r.stderr))
        # no krb5.conf: the realm and the KDC from the command line
        r = self.krb("--kdc", "127.0.0.1:%d" % self.realm.port, "echo", "x",
                     user="alice@WRSH.TEST", conf=False)
        self.assertEqual((r.returncode, r.stdout), (0, b"x\r\n"), r.stderr)

    def test_powershell_over_kerberos(self):
        e = {"KRB5_CONFIG": self.realm.krb5_conf}
        r = self.wrsh("ps", "-H", "localhost", "-p", str(self.ep.http), "-a", "kerberos", "-u",
                      "alice", "1..3", env=e)
        self.assertEqual((r.returncode, r.stdout), (0, b"1\n2\n3\n"), r.stderr)

    @unittest.skipUnless(tls_built(), "TLS not built in")
    def test_https_with_channel_bindings(self):
        r = self.krb("echo", "tls", https=True)
        self.assertEqual((r.returncode, r.stdout), (0, b"tls\r\n"), r.stderr)

    @unittest.skipUnless(tls_built(), "TLS not built in")
    def test_a_relay_with_another_certificate_is_refused(self):
        # the authenticator carries the MD5 of the bindings of the TLS
        # channel wrsh sees; MIT's acceptor compares them with its own
        # certificate's and refuses the logon (wrsh trusts the relay's
        # certificate by its pin: only the bindings can catch it)
        p = TlsProxy(self.ep.info["alice_cert"], self.ep.info["alice_key"],
                     ("127.0.0.1", self.ep.https))
        pin = subprocess.run(["openssl", "x509", "-in", self.ep.info["alice_cert"], "-outform",
                              "DER"], capture_output=True, check=True).stdout
        e = {"KRB5_CONFIG": self.realm.krb5_conf}
        r = self.wrsh("cmd", "-H", "localhost", "-p", str(p.port), "--https", "--pin",
                      hashlib.sha256(pin).hexdigest(), "-a", "kerberos", "-u", "alice", "echo",
                      "x", env=e)
        self.one_line(r, b"refused Kerberos for HTTP/localhost")

    def test_wrong_password(self):
        self.one_line(self.krb("echo", "x", password="wrong"),
                      b"auth: Kerberos: wrong password for alice@WRSH.TEST")
        # without pre-authentication the KDC answers anyway: the AS-REP
        # does not open with the wrong key
        self.one_line(self.krb("echo", "x", user="nopreauth", password="wrong"),
                      b"wrong password for nopreauth@WRSH.TEST")

    def test_unknown_user_and_rc4_only(self):
        self.one_line(self.krb("echo", "x", user="bob"),
                      b"the KDC does not know the user bob@WRSH.TEST")
        # a user with an RC4 key only (RFC 4757): RC4 for the user's key,
        # AES for every session key, as MIT's KDC logs what it chose
        log = len(self.kdc_log())
        r = self.krb("--stats", "echo", "rc4", user="rc4user")
        self.assertEqual((r.returncode, r.stdout), (0, b"rc4\r\n"), r.stderr)
        self.assertEqual(stat(r.stderr, "requests"), 6)  # sealed, as with AES
        new = self.kdc_log()[log:]
        rc4 = r"DEPRECATED:arcfour-hmac\(23\)"
        aes = r"aes256-cts-hmac-sha1-96\(18\)"
        self.assertRegex(new, r"AS_REQ .*ISSUE: .*etypes \{rep=%s, tkt=%s, ses=%s\}, "
                         r"rc4user@WRSH.TEST for krbtgt/" % (rc4, aes, aes))
        self.assertRegex(new, r"TGS_REQ .*ISSUE: .*etypes \{rep=%s, tkt=%s, ses=%s\}, "
                         r"rc4user@WRSH.TEST for HTTP/localhost" % (aes, aes, aes))
        # a user with AES keys is answered in AES, RC4 listed or not
        log = len(self.kdc_log())
        r = self.krb("echo", "aes")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(self.kdc_log()[log:], r"AS_REQ .*ISSUE: .*etypes \{rep=%s, " % aes)
        self.one_line(self.krb("echo", "x", user="rc4user", password="wrong"),
                      b"wrong password for rc4user@WRSH.TEST")

    def test_an_address_instead_of_the_name(self):
        self.one_line(self.krb("echo", "x", host="127.0.0.1"),
                      b"does not know the service HTTP/127.0.0.1", b"DNS name")
        # --spn names the service whatever the host is called
        r = self.krb("--spn", "HTTP/localhost", "echo", "x", host="127.0.0.1")
        self.assertEqual((r.returncode, r.stdout), (0, b"x\r\n"), r.stderr)

    def test_kdc_over_udp(self):
        # udp/: the exchanges go as datagrams (RFC 4120 7.2.1), through a
        # relay to MIT's KDC that listens on UDP only, so TCP could not work
        relay = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        relay.bind(("127.0.0.1", 0))
        relay.settimeout(0.2)
        seen, stop = [], threading.Event()

        def run():
            up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            up.settimeout(5)
            while not stop.is_set():
                try:
                    q, peer = relay.recvfrom(65536)
                except socket.timeout:
                    continue
                seen.append(len(q))
                up.sendto(q, ("127.0.0.1", self.realm.port))
                relay.sendto(up.recvfrom(65536)[0], peer)
            up.close()
        t = threading.Thread(target=run, daemon=True)
        t.start()
        try:
            r = self.krb("--kdc", "udp/127.0.0.1:%d" % relay.getsockname()[1], "echo", "x")
        finally:
            stop.set()
            t.join()
            relay.close()
        self.assertEqual((r.returncode, r.stdout), (0, b"x\r\n"), r.stderr)
        self.assertGreaterEqual(len(seen), 3, seen)  # AS-REQ, again with pre-auth, TGS-REQ
        self.one_line(self.krb("--kdc", "udp:/x", "echo", "x"), b"bad --kdc", status=2)

    def test_kdc_answer_too_big_for_udp(self):
        # MIT's KDC answers KRB_ERR_RESPONSE_TOO_BIG (52) over UDP when its
        # reply passes kdc_max_dgram_reply_size; wrsh asks again over TCP.
        # The relay in front passes both and keeps what MIT said.
        port, proc = self.realm.another_kdc(" kdc_max_dgram_reply_size = 300")
        self.addCleanup(proc.wait)
        self.addCleanup(proc.kill)
        relay = KdcRelay(port)
        self.addCleanup(relay.close)
        r = self.krb("--kdc", "udp/127.0.0.1:%d" % relay.port, "echo", "x")
        self.assertEqual((r.returncode, r.stdout), (0, b"x\r\n"), r.stderr)
        # KRB-ERROR is [APPLICATION 30]; error-code [6] INTEGER 52 (RFC 4120 5.9.1)
        too_big = [a for a in relay.udp_answers
                   if a[:1] == b"\x7e" and b"\xa6\x03\x02\x01\x34" in a]
        self.assertTrue(too_big, [a[:16].hex() for a in relay.udp_answers])
        self.assertGreaterEqual(relay.tcp_connections, 1)

    def resolved_by(self, nameserver, *args, user="alice@WRSH.TEST"):
        """wrsh in a mount namespace of its own where /etc/resolv.conf names
        only nameserver (the resolver reads that file, as libc's does)."""
        d = tempfile.mkdtemp(prefix="wrsh-resolv-")
        self.addCleanup(shutil.rmtree, d, True)
        conf = os.path.join(d, "resolv.conf")
        with open(conf, "w") as f:
            f.write("# as resolvconf writes it\nsearch wrsh.test\n nameserver\t%s \n"
                    "options timeout:1\n" % nameserver)
        e = dict(os.environ, WRSH_PASSWORD=PASSWORD, KRB5_CONFIG="/nonexistent")
        argv = ["unshare", "-m", "sh", "-c", 'mount --bind "$0" /etc/resolv.conf && exec "$@"',
                conf, WRSH, "cmd", "-H", "localhost", "-p", str(self.ep.http), "-a", "kerberos",
                "-u", user, *args]
        return subprocess.run(argv, capture_output=True, env=e, timeout=60)

    def test_kdc_from_dns_srv(self):
        # no krb5.conf, no --kdc: the KDC is _kerberos._tcp.WRSH.TEST's SRV
        # record, served by dnsmasq. One record points at the realm's KDC,
        # forty more (less preferred, at nothing) make the answer too long
        # for the 1232 bytes asked for: dnsmasq truncates it over UDP and
        # wrsh asks again over TCP.
        why = None if os.geteuid() == 0 else "not root (a mount namespace and port 53)"
        for tool in ("dnsmasq", "unshare"):
            if not shutil.which(tool) and not os.path.exists("/usr/sbin/" + tool):
                why = "%s missing (scripts/bootstrap.sh check installs dnsmasq-base)" % tool
        if why and os.environ.get("CI") == "true":
            self.fail("CI=true and the peer is missing: " + why)
        if why:
            self.skipTest(why)
        name = "_kerberos._tcp.WRSH.TEST"
        srv = ["--srv-host=%s,127.0.0.1,%d,0,100" % (name, self.realm.port)]
        srv += ["--srv-host=%s,kdc-%02d-%s.nowhere.test,88,10,0" % (name, i, "x" * 40)
                for i in range(40)]
        ns = "127.83.0.53"
        log = os.path.join(tempfile.mkdtemp(prefix="wrsh-dns-"), "dnsmasq.log")
        self.addCleanup(shutil.rmtree, os.path.dirname(log), True)
        dnsmasq = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"
        proc = subprocess.Popen([dnsmasq, "-k", "-C", "/dev/null", "--no-resolv", "--no-hosts",
                                 "--bind-interfaces", "--listen-address=" + ns, "--port=53",
                                 "--user=root", "--pid-file=", "--log-queries",
                                 "--log-facility=" + log, *srv],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.addCleanup(proc.stderr.close)
        self.addCleanup(proc.wait)
        self.addCleanup(proc.terminate)
        q = srv_query(name)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.addCleanup(u.close)
        u.settimeout(0.2)
        for _ in range(50):  # dnsmasq up, and the premise: its UDP answer is cut
            try:
                u.sendto(q, (ns, 53))
                a = u.recv(4096)
                break
            except OSError:
                self.assertIsNone(proc.poll(), proc.stderr.read() if proc.poll() else "")
        else:
            self.fail("dnsmasq does not answer on %s:53" % ns)
        self.assertTrue(a[2] & 0x02, "dnsmasq did not set TC: %d bytes" % len(a))
        r = self.resolved_by(ns, "echo", "x")
        self.assertEqual((r.returncode, r.stdout), (0, b"x\r\n"), r.stderr)
        with open(log) as f:
            asked = f.read().count("query[SRV] %s from 127.0.0.1" % name)
        self.assertGreaterEqual(asked, 3, "ours, then wrsh's over UDP and over TCP")
        # a realm dnsmasq knows nothing of: one line naming it
        self.one_line(self.resolved_by(ns, "echo", "x", user="alice@OTHER.TEST"),
                      b"for OTHER.TEST")

    def test_kdc_unreachable_or_unknown(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        self.one_line(self.krb("--kdc", "127.0.0.1:%d" % port, "echo", "x"),
                      b"cannot reach the KDC 127.0.0.1:%d" % port)
        # no KDC named: the realm's DNS SRV records are asked for (whatever
        # this machine's resolver says of OTHER.TEST, the line names the realm)
        self.one_line(self.krb("--timeout", "5", "echo", "x", user="alice@OTHER.TEST", conf=False),
                      b"KDC", b"for OTHER.TEST")
        self.one_line(self.krb("echo", "x", conf=False), b"no realm", status=2)

    def conf_without(self, line, extra=""):
        """The realm's krb5.conf less the line holding `line`, plus extra
        under [domain_realm] (its last section)."""
        with open(self.realm.krb5_conf) as f:
            text = "".join(x for x in f if line not in x) + extra
        d = tempfile.mkdtemp(prefix="wrsh-conf-")
        self.addCleanup(shutil.rmtree, d, True)
        path = os.path.join(d, "krb5.conf")
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_a_service_in_a_trusting_realm(self):
        # HTTP/web.forest.test@FOREST.TEST, a realm of its own KDC and
        # database that trusts WRSH.TEST (krbtgt/FOREST.TEST@WRSH.TEST in
        # both): alice's TGT buys the cross-realm TGT from WRSH.TEST's
        # KDC, that buys the service ticket from FOREST.TEST's
        self.realm.trusted()
        spn = "HTTP/" + kdc.TRUSTED_HOST
        issued = r"TGS_REQ .*ISSUE: authtime \d+.*alice@WRSH.TEST for %s"
        home, forest = len(self.kdc_log()), len(self.realm.trusted_log())
        d = tempfile.mkdtemp(prefix="wrsh-xcc-")
        self.addCleanup(shutil.rmtree, d, True)
        cc = os.path.join(d, "cc")
        r = self.krb("--spn", spn, "--ccache", cc, "echo", "forest")
        self.assertEqual((r.returncode, r.stdout), (0, b"forest\r\n"), r.stderr)
        new, far = self.kdc_log()[home:], self.realm.trusted_log()[forest:]
        # krb5.conf's [domain_realm] named the realm: krbtgt/FOREST.TEST asked outright
        self.assertEqual(len(re.findall(issued % "krbtgt/FOREST.TEST@WRSH.TEST", new)), 1, new)
        self.assertNotIn("web.forest.test", new)
        self.assertEqual(len(re.findall(issued % "HTTP/web.forest.test@FOREST.TEST", far)), 1, far)
        # the cache wrsh wrote holds the ticket under its own realm, as
        # MIT's klist reads it, and the next run takes it from there
        out = subprocess.run(["klist", "-c", cc], env=self.realm.env(), capture_output=True,
                             text=True, check=True).stdout
        self.assertIn("HTTP/web.forest.test@FOREST.TEST", out)
        forest = len(self.realm.trusted_log())
        r = self.krb("--spn", spn, "--ccache", cc, "echo", "cached", password=None)
        self.assertEqual((r.returncode, r.stdout), (0, b"cached\r\n"), r.stderr)
        self.assertNotIn("TGS_REQ", self.realm.trusted_log()[forest:])
        # no [domain_realm] line: the service asked of WRSH.TEST's KDC,
        # which refers the request (its own krb5.conf maps the host) with
        # FOREST.TEST's TGT in place of the ticket (RFC 6806 8; MIT logs
        # the ticket it issued): the referral is all that names FOREST.TEST
        home, forest = len(self.kdc_log()), len(self.realm.trusted_log())
        r = self.krb("--spn", spn, "echo", "referred",
                     env={"KRB5_CONFIG": self.conf_without(".forest.test")})
        self.assertEqual((r.returncode, r.stdout), (0, b"referred\r\n"), r.stderr)
        new, far = self.kdc_log()[home:], self.realm.trusted_log()[forest:]
        self.assertEqual(len(re.findall(issued % "krbtgt/FOREST.TEST@WRSH.TEST", new)), 1, new)
        self.assertEqual(len(re.findall(issued % "HTTP/web.forest.test@FOREST.TEST", far)), 1, far)
        # FOREST.TEST's KDC came from krb5.conf's [realms] both times
        # (wrsh_opts' realm_kdc); none there and dns_lookup_kdc false:
        # no DNS SRV lookup either, one line naming the realm
        conf = self.conf_without("127.0.0.1:%d" % self.realm.trusted_port)
        self.one_line(self.krb("--spn", spn, "echo", "x", env={"KRB5_CONFIG": conf}),
                      b"no KDC named for FOREST.TEST and no DNS SRV lookup")
        # a realm WRSH.TEST has no trust with: one line naming both
        conf = self.conf_without("[domain_realm]", "[domain_realm]\n .lone.test = LONE.TEST\n")
        self.one_line(self.krb("--spn", "HTTP/web.lone.test", "echo", "x",
                               env={"KRB5_CONFIG": conf}),
                      b"WRSH.TEST has no trust with LONE.TEST (no krbtgt/LONE.TEST@WRSH.TEST) "
                      b"on the way to HTTP/web.lone.test")

    def neg(self, user, *args, password=PASSWORD):
        return self.wrsh("cmd", "-H", "localhost", "-p", str(self.ep.http), "-u", user, *args,
                         env={"KRB5_CONFIG": self.realm.krb5_conf}, password=password)

    def test_negotiate_prefers_kerberos_and_falls_back_to_ntlm(self):
        tgs = self.kdc_log().count("TGS_REQ")
        # a realm named that krb5.conf has a KDC for: Kerberos
        r = self.neg("WRSH.TEST\\alice", "echo", "k")
        self.assertEqual((r.returncode, r.stdout), (0, b"k\r\n"), r.stderr)
        self.assertEqual(self.kdc_log().count("TGS_REQ"), tgs + 1)
        # a NetBIOS domain without a realm: NTLM, the KDC not asked
        r = self.neg("WRSH\\alice", "echo", "n")
        self.assertEqual((r.returncode, r.stdout), (0, b"n\r\n"), r.stderr)
        self.assertEqual(self.kdc_log().count("TGS_REQ"), tgs + 1)
        # Kerberos cannot be had (the KDC down): NTLM, saying why in the trace
        r = self.neg("WRSH\\alice", "--realm", "WRSH.TEST", "--kdc", "127.0.0.1:1", "-v",
                     "echo", "f")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"f\r\n", r.stdout)
        self.assertIn(b"* auth: Kerberos: cannot reach the KDC 127.0.0.1:1", r.stderr)
        self.assertIn(b"* Negotiate: NTLM instead of Kerberos", r.stderr)
        # unless told not to
        self.one_line(self.neg("WRSH\\alice", "--realm", "WRSH.TEST", "--kdc", "127.0.0.1:1",
                               "--no-ntlm", "echo", "x"), b"cannot reach the KDC")
        # a wrong password is not Kerberos missing: no second try with NTLM
        self.one_line(self.neg("WRSH.TEST\\alice", "echo", "x", password="wrong"),
                      b"Kerberos: wrong password")

    def test_kinit_ccache_instead_of_a_password(self):
        d = tempfile.mkdtemp(prefix="wrsh-cc-")
        self.addCleanup(shutil.rmtree, d, True)
        cc = os.path.join(d, "ccache")
        self.realm.kinit("alice", ccache=cc)
        env = {"KRB5CCNAME": "FILE:" + cc}
        log = len(self.kdc_log())
        # no -u, no password: the cache's principal and its TGT, one TGS
        for https in (False, True):
            r = self.krb("echo", "cc", user=None, password=None, env=env, https=https)
            self.assertEqual((r.returncode, r.stdout), (0, b"cc\r\n"), r.stderr)
        new = self.kdc_log()[log:]
        self.assertNotIn("AS_REQ", new)
        # each run (HTTP, then HTTPS) asks the KDC for its service ticket with the cache's TGT
        self.assertEqual(len(re.findall(r"TGS_REQ .*ISSUE.*alice@WRSH.TEST for "
                                        r"HTTP/localhost@WRSH.TEST", new)), 2, new)
        # with the service's ticket in the cache (MIT's kvno puts it there)
        # no KDC is asked at all
        subprocess.run(["kvno", "HTTP/localhost"], env=dict(self.realm.env(), **env),
                       check=True, capture_output=True)
        r = self.krb("--kdc", "127.0.0.1:1", "echo", "svc", user=None, password=None, env=env)
        self.assertEqual((r.returncode, r.stdout), (0, b"svc\r\n"), r.stderr)
        # what is not a cache says so
        with open(cc, "wb") as f:
            f.write(b"\x05\x04garbage")
        self.one_line(self.krb("echo", "x", user=None, password=None, env=env),
                      b"the credential cache is not one")

    def test_ccache_written_for_the_next_run(self):
        d = tempfile.mkdtemp(prefix="wrsh-wcc-")
        self.addCleanup(shutil.rmtree, d, True)
        cc = os.path.join(d, "cc")
        r = self.krb("--ccache", cc, "echo", "1")
        self.assertEqual((r.returncode, r.stdout), (0, b"1\r\n"), r.stderr)
        self.assertEqual(os.stat(cc).st_mode & 0o777, 0o600)
        # MIT reads what wrsh wrote: klist lists both tickets, and kvno gets
        # a ticket of its own with wrsh's TGT (MIT's TGS-REQ, our TGT)
        env = dict(self.realm.env(), KRB5CCNAME="FILE:" + cc)
        out = subprocess.run(["klist", "-c", cc], env=env, capture_output=True, text=True,
                             check=True).stdout
        self.assertIn("Default principal: alice@WRSH.TEST", out)
        self.assertIn("krbtgt/WRSH.TEST@WRSH.TEST", out)
        self.assertIn("HTTP/localhost@WRSH.TEST", out)
        self.realm.kadmin("addprinc", "-randkey", "-clearpolicy", "HOST/elsewhere")
        subprocess.run(["kvno", "HOST/elsewhere"], env=env, check=True, capture_output=True)
        # the next runs start from the cache: no AS, no TGS exchange
        log = len(self.kdc_log())
        for i in range(2):
            r = self.krb("--ccache", cc, "echo", "again", password=None if i else PASSWORD)
            self.assertEqual((r.returncode, r.stdout), (0, b"again\r\n"), r.stderr)
        new = self.kdc_log()[log:]
        self.assertNotIn("AS_REQ", new)
        self.assertNotIn("TGS_REQ", new)

    def test_keytab_instead_of_a_password(self):
        d = tempfile.mkdtemp(prefix="wrsh-kt-")
        self.addCleanup(shutil.rmtree, d, True)
        kt = os.path.join(d, "alice.keytab")
        # kadmin's own keytab of alice's keys (-norandkey: the password stays)
        self.realm.kadmin("ktadd", "-norandkey", "-k", kt, "alice")
        for https in (False, True):
            r = self.krb("--keytab", kt, "echo", "kt", password=None, https=https)
            self.assertEqual((r.returncode, r.stdout), (0, b"kt\r\n"), r.stderr)
        self.one_line(self.krb("--keytab", kt, "echo", "x", user="rc4user", password=None),
                      b"the keytab holds no key the KDC offers for rc4user@WRSH.TEST")
        # and rc4user's own, whose one key is RC4-HMAC
        kt = os.path.join(d, "rc4user.keytab")
        self.realm.kadmin("ktadd", "-norandkey", "-k", kt, "rc4user")
        r = self.krb("--keytab", kt, "echo", "kt", user="rc4user", password=None)
        self.assertEqual((r.returncode, r.stdout), (0, b"kt\r\n"), r.stderr)
        self.one_line(self.krb("--keytab", "/etc/hostname", "echo", "x", password=None),
                      b"the keytab is not one")

    def test_a_replayed_as_rep_or_ap_rep_is_refused(self):
        # kinit's AS-REP for alice, recorded (tests/vectors/krb5/03-rep.der):
        # it opens with her key, but answers kinit's nonce, not wrsh's
        vec = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "vectors", "krb5")
        msgs = []
        for name in ("01-rep.der", "03-rep.der"):
            with open(os.path.join(vec, name), "rb") as f:
                d = f.read()
            msgs.append(len(d).to_bytes(4, "big") + d)
        k = FakeKdc(msgs)
        try:
            r = self.krb("--kdc", "127.0.0.1:%d" % k.port, "echo", "x")
        finally:
            k.close()
        self.one_line(r, b"the KDC's AS-REP does not answer this request")
        # the AP-REP of an earlier logon, put in place of the server's own:
        # it does not hold this authenticator's time (mutual authentication)
        p = ApRepReplay(("127.0.0.1", self.ep.http))
        self.addCleanup(p.close)
        r = self.krb("echo", "first", port=p.port)
        self.assertEqual((r.returncode, r.stdout), (0, b"first\r\n"), r.stderr)
        self.one_line(self.krb("echo", "x", port=p.port), b"mutual authentication failed")

    def test_a_hostile_kdc_gets_one_line(self):
        for reply, says in ((b"\x00\x10\x00\x00", b"beyond CONFIG_WRSH_AUTH_KRB5_TICKET_MAX"),
                            (b"\x80\x00\x00\x05", b"beyond"),  # the reserved bit
                            (None, b"no answer from the KDC"),
                            (b"\x00\x00\x00\x64" + b"x" * 10, b"a cut answer from the KDC"),
                            (b"\x00\x00\x00\x05hello", b"a malformed AS-REP from the KDC"),
                            (b"\x00\x00\x00\x03\x7e\x01\x00", b"a malformed KRB-ERROR"),
                            ("silent", b"no answer from the KDC")):
            k = FakeKdc(reply)
            try:
                r = self.krb("--timeout", "1", "--kdc", "127.0.0.1:%d" % k.port, "echo", "x")
            finally:
                k.close()
            self.one_line(r, says)

    @unittest.skipUnless(shutil.which("faketime"), "faketime missing (bootstrap check)")
    @unittest.skipIf("asan" in os.environ.get("WRSH_VARIANT", "") or
                     "static" in os.environ.get("WRSH_VARIANT", ""),
                     "faketime preloads into dynamic builds without sanitizers only")
    def test_clock_skew_is_named(self):
        r = subprocess.run(["faketime", "-f", "+10m", WRSH, "cmd", "-H", "localhost", "-p",
                            str(self.ep.http), "-a", "kerberos", "-u", "alice", "echo", "x"],
                           capture_output=True, timeout=60,
                           env=dict(os.environ, WRSH_PASSWORD=PASSWORD,
                                    KRB5_CONFIG=self.realm.krb5_conf))
        self.one_line(r, b"the clocks differ by", b"ours is ahead")


if __name__ == "__main__":
    unittest.main()
