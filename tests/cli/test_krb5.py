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


class TlsProxy:
    """A TLS-terminating relay with a certificate of its own: what a channel
    binding exists to catch. Each client connection is relayed over a new
    TLS connection to the endpoint."""

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
                down = self.ctx.wrap_socket(c, server_side=True)
                up = up_ctx.wrap_socket(socket.create_connection(self.target))
            except OSError:
                continue
            for a, b in ((down, up), (up, down)):
                threading.Thread(target=self.pump, args=(a, b), daemon=True).start()

    @staticmethod
    def pump(a, b):
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
            threading.Thread(target=TlsProxy.pump, args=(down, up), daemon=True).start()
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
        self.one_line(self.krb("echo", "x", user="rc4user"),
                      b"offers no AES key for rc4user@WRSH.TEST")

    def test_an_address_instead_of_the_name(self):
        self.one_line(self.krb("echo", "x", host="127.0.0.1"),
                      b"does not know the service HTTP/127.0.0.1", b"DNS name")
        # --spn names the service whatever the host is called
        r = self.krb("--spn", "HTTP/localhost", "echo", "x", host="127.0.0.1")
        self.assertEqual((r.returncode, r.stdout), (0, b"x\r\n"), r.stderr)

    def test_kdc_unreachable_or_unknown(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        self.one_line(self.krb("--kdc", "127.0.0.1:%d" % port, "echo", "x"),
                      b"cannot reach the KDC 127.0.0.1:%d" % port)
        self.one_line(self.krb("echo", "x", user="alice@OTHER.TEST", conf=False),
                      b"no KDC for OTHER.TEST", status=2)
        self.one_line(self.krb("echo", "x", conf=False), b"no realm", status=2)

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
                      b"offers no AES key for rc4user")
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
