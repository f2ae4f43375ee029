"""wrsh through HTTP proxies: Debian's tinyproxy and squid, each started on
loopback by the test with its own configuration in a temporary directory,
the endpoint behind them. The proxies' own logs show that a request went
through them.

Without tinyproxy or squid (scripts/bootstrap.sh check installs them) the
tests are skipped, saying so; under CI=true they fail instead.
"""
import base64
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # run from anywhere
from test_cli import Base, PASSWORD, WRSH, features, needs_peer, tls_built

TINYPROXY = shutil.which("tinyproxy") or "/usr/bin/tinyproxy"
SQUID = shutil.which("squid") or "/usr/sbin/squid"
NCSA = "/usr/lib/squid/basic_ncsa_auth"
PROXY_ENV = ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
             "no_proxy", "NO_PROXY", "WRSH_PROXY_PASSWORD")


def missing():
    for path in (TINYPROXY, SQUID, NCSA):
        if not os.access(path, os.X_OK):
            return "%s is missing (apt-get install tinyproxy squid)" % path
    return None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, what, log):
    for _ in range(200):
        if proc.poll() is not None:
            raise RuntimeError("%s died: %s" % (what, open(log).read()[-2000:]))
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(what + " not listening")


class Proxy:
    """tinyproxy or squid on a loopback port of its own; log: its log file."""

    def __init__(self, kind, connect_ports, auth=None):
        self.dir = tempfile.mkdtemp(prefix="wrsh-proxy-")
        os.chmod(self.dir, 0o777)  # squid drops to its user 'proxy'
        self.port = free_port()
        conf = os.path.join(self.dir, kind + ".conf")
        out = os.path.join(self.dir, "out")
        if kind == "tinyproxy":
            self.log = os.path.join(self.dir, "tinyproxy.log")
            text = ("Port %d\nListen 127.0.0.1\nTimeout 60\nLogFile \"%s\"\nLogLevel Info\n"
                    "MaxClients 50\n" % (self.port, self.log))
            # CONNECT only to these ports (the default refuses all but 443 and 563)
            text += "".join("ConnectPort %d\n" % p for p in connect_ports)
            if auth:
                text += "BasicAuth %s %s\n" % auth
            argv = [TINYPROXY, "-d", "-c", conf]
        else:
            self.log = os.path.join(self.dir, "access.log")
            text = ("http_port 127.0.0.1:%d\npid_filename %s/squid.pid\ncache_log %s/cache.log\n"
                    "access_log stdio:%s\ncache deny all\ncoredump_dir %s\nnetdb_filename none\n"
                    "logfile_rotate 0\nshutdown_lifetime 0 seconds\n"
                    % (self.port, self.dir, self.dir, self.log, self.dir))
            if auth:
                pw = subprocess.run(["openssl", "passwd", "-apr1", auth[1]], capture_output=True,
                                    text=True, check=True).stdout.strip()
                with open(os.path.join(self.dir, "htpasswd"), "w") as f:
                    f.write("%s:%s\n" % (auth[0], pw))
                text += ("auth_param basic program %s %s/htpasswd\nauth_param basic realm wrsh\n"
                         "acl authed proxy_auth REQUIRED\nhttp_access allow authed\n"
                         % (NCSA, self.dir))
            else:
                text += "http_access allow all\n"
            text += "http_access deny all\n"
            argv = [SQUID, "-N", "-f", conf]
        with open(conf, "w") as f:
            f.write(text)
        with open(out, "w") as f:
            self.proc = subprocess.Popen(argv, stdout=f, stderr=subprocess.STDOUT)
        wait_port(self.port, self.proc, kind, out)
        self.url = "http://127.0.0.1:%d" % self.port

    def text(self):
        time.sleep(0.2)  # squid writes its access log line after the reply
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


@unittest.skipUnless(tls_built() and "proxy" in features(), "wrsh built without TLS or proxies")
@needs_peer(missing(), "a proxy")
class ProxyTest(Base):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        ports = (cls.ep.http, cls.ep.https)
        cls.proxies = []
        cls.tiny = cls.start("tinyproxy", ports)
        cls.tiny_auth = cls.start("tinyproxy", ports, ("px", "pxsecret"))
        cls.squid = cls.start("squid", ports)
        cls.squid_auth = cls.start("squid", ports, ("px", "pxsecret"))

    @classmethod
    def start(cls, kind, ports, auth=None):
        p = Proxy(kind, ports, auth)
        cls.proxies.append(p)
        return p

    @classmethod
    def tearDownClass(cls):
        for p in cls.proxies:
            p.stop()

    def run_wrsh(self, *args, env=None):
        e = {k: v for k, v in os.environ.items() if k not in PROXY_ENV}  # the caller's stay out
        e.update(env or {})
        e["WRSH_PASSWORD"] = PASSWORD
        r = subprocess.run([WRSH, *args], capture_output=True, env=e, timeout=60)
        return r.returncode, r.stdout.decode(), r.stderr.decode()

    def sealed(self, *args):  # Negotiate (the default) sealed over HTTP
        return ["cmd", "-H", "127.0.0.1", "-p", str(self.ep.http), "-u", "alice", *args]

    def tls(self, *args):
        return ["cmd", "-H", "localhost", "-p", str(self.ep.https), "--https", "-u", "alice",
                "--cacert", self.ep.info["cert"], *args]

    def assert_ok(self, r):
        self.assertEqual(r[0], 0, r[2])
        self.assertEqual(r[1].strip(), "hi")

    def assert_one_line(self, r, text):
        self.assertEqual(r[0], 255, r)
        self.assertEqual(r[2].count("\n"), 1, r[2])
        self.assertIn(text, r[2])

    # ---- HTTPS: CONNECT, TLS end to end -------------------------------------
    def test_https_through_tinyproxy(self):
        self.assert_ok(self.run_wrsh(*self.tls("--proxy", self.tiny.url, "echo", "hi")))
        self.assertIn("CONNECT localhost:%d" % self.ep.https, self.tiny.text())

    def test_https_through_squid(self):
        self.assert_ok(self.run_wrsh(*self.tls("--proxy", self.squid.url, "echo", "hi")))
        self.assertIn("CONNECT localhost:%d" % self.ep.https, self.squid.text())

    def test_https_certificate_still_checked_against_the_server(self):
        r = self.run_wrsh(*self.tls("--proxy", self.tiny.url, "--pin", "00" * 32, "echo", "hi"))
        self.assert_one_line(r, "certificate")  # the server's, through the tunnel
        r = self.run_wrsh(*self.tls("--proxy", self.tiny.url, "--pin", self.ep.info["cert_sha256"],
                                    "echo", "hi"))
        self.assert_ok(r)

    # ---- HTTP: absolute URLs, or CONNECT with --proxy-tunnel ----------------
    def test_http_sealed_absolute_through_squid(self):
        # squid pins the server connection to the client's for NTLM/Negotiate
        self.assert_ok(self.run_wrsh(*self.sealed("--proxy", self.squid.url, "echo", "hi")))
        self.assertIn("POST http://127.0.0.1:%d/wsman" % self.ep.http, self.squid.text())

    def test_http_sealed_absolute_through_tinyproxy_cannot_work(self):
        # tinyproxy closes the server connection after each answer, so the
        # connection-bound handshake never completes: use --proxy-tunnel
        r = self.run_wrsh(*self.sealed("--proxy", self.tiny.url, "echo", "hi"))
        self.assert_one_line(r, "closed")

    def test_http_sealed_tunnel_through_tinyproxy(self):
        self.assert_ok(self.run_wrsh(*self.sealed("--proxy", self.tiny.url, "--proxy-tunnel",
                                                  "echo", "hi")))
        self.assertIn("CONNECT 127.0.0.1:%d" % self.ep.http, self.tiny.text())

    def test_http_basic_absolute_through_tinyproxy_with_auth(self):
        # Basic to the server needs no pinned connection; -v hides both secrets
        r = self.run_wrsh("cmd", "-H", "127.0.0.1", "-p", str(self.ep.http), "-a", "basic", "-u",
                          "alice", "--allow-unencrypted", "-v", "--proxy",
                          "http://px@127.0.0.1:%d" % self.tiny_auth.port, "echo", "hi",
                          env={"WRSH_PROXY_PASSWORD": "pxsecret"})
        self.assert_ok(r)
        self.assertIn("POST http://127.0.0.1:%d/wsman HTTP/1.1" % self.ep.http, r[2])
        self.assertIn("Proxy-Authorization: <redacted>", r[2])
        self.assertNotIn(base64.b64encode(b"px:pxsecret").decode(), r[2])
        self.assertNotIn("pxsecret", r[2])
        self.assertIn("POST http://127.0.0.1:%d/wsman" % self.ep.http, self.tiny_auth.text())

    # ---- proxy authentication -------------------------------------------------
    def test_proxy_password_from_environment_and_file(self):
        url = "http://px@127.0.0.1:%d" % self.tiny_auth.port
        self.assert_ok(self.run_wrsh(*self.tls("--proxy", url, "echo", "hi"),
                                     env={"WRSH_PROXY_PASSWORD": "pxsecret"}))
        with tempfile.NamedTemporaryFile("w") as f:
            f.write("pxsecret\n")
            f.flush()
            self.assert_ok(self.run_wrsh(*self.sealed("--proxy", url, "--proxy-tunnel",
                                                      "--proxy-password-file", f.name,
                                                      "echo", "hi")))
        url = "http://px@127.0.0.1:%d" % self.squid_auth.port
        self.assert_ok(self.run_wrsh(*self.tls("--proxy", url, "echo", "hi"),
                                     env={"WRSH_PROXY_PASSWORD": "pxsecret"}))

    def test_proxy_without_credentials_is_one_407_line(self):
        for p in (self.tiny_auth, self.squid_auth):
            self.assert_one_line(self.run_wrsh(*self.tls("--proxy", p.url, "echo", "hi")),
                                 "wrsh: proxy: 407 Proxy Authentication Required from "
                                 "127.0.0.1:%d" % p.port)

    def test_wrong_proxy_password_is_one_line(self):
        url = "http://px@127.0.0.1:%d" % self.squid_auth.port
        self.assert_one_line(self.run_wrsh(*self.tls("--proxy", url, "echo", "hi"),
                                           env={"WRSH_PROXY_PASSWORD": "wrong"}),
                             "wrsh: proxy: 407 Proxy Authentication Required from "
                             "127.0.0.1:%d" % self.squid_auth.port)
        # tinyproxy 1.11 answers a wrong password with 401, not 407
        url = "http://px@127.0.0.1:%d" % self.tiny_auth.port
        self.assert_one_line(self.run_wrsh(*self.tls("--proxy", url, "echo", "hi"),
                                           env={"WRSH_PROXY_PASSWORD": "wrong"}),
                             "wrsh: proxy: 401 Unauthorized from 127.0.0.1:%d"
                             % self.tiny_auth.port)
        # forward mode: the proxy's 407 is told from the server's 401
        url = "http://px@127.0.0.1:%d" % self.squid_auth.port
        self.assert_one_line(self.run_wrsh(*self.sealed("--proxy", url, "echo", "hi"),
                                           env={"WRSH_PROXY_PASSWORD": "wrong"}),
                             "wrsh: proxy: 407 Proxy Authentication Required")

    def test_password_never_from_the_command_line(self):
        r = self.run_wrsh(*self.tls("--proxy", "http://px:pxsecret@127.0.0.1:1", "echo", "hi"))
        self.assertEqual(r[0], 2, r)
        self.assertIn("no password on the command line", r[2])

    def test_password_in_the_environment_url(self):
        env = {"https_proxy": "http://px:pxsecret@127.0.0.1:%d" % self.tiny_auth.port}
        self.assert_ok(self.run_wrsh(*self.tls("echo", "hi"), env=env))

    # ---- the environment, as curl reads it ------------------------------------
    def test_environment_precedence(self):
        down = "http://127.0.0.1:%d" % free_port()
        # https_proxy before HTTPS_PROXY before ALL_PROXY
        self.assert_ok(self.run_wrsh(*self.tls("echo", "hi"), env={
            "https_proxy": self.tiny.url, "HTTPS_PROXY": down, "ALL_PROXY": down}))
        self.assert_ok(self.run_wrsh(*self.tls("echo", "hi"), env={
            "HTTPS_PROXY": self.tiny.url, "ALL_PROXY": down}))
        self.assert_ok(self.run_wrsh(*self.tls("echo", "hi"), env={"ALL_PROXY": self.tiny.url}))
        # HTTP_PROXY in upper case is not read (httpoxy); http_proxy is
        self.assert_ok(self.run_wrsh(*self.sealed("echo", "hi"), env={"HTTP_PROXY": down}))
        r = self.run_wrsh(*self.sealed("echo", "hi"), env={"http_proxy": down})
        self.assert_one_line(r, "wrsh: proxy: connect 127.0.0.1:")

    def test_no_proxy(self):
        down = "http://127.0.0.1:%d" % free_port()
        for np in ("localhost", ".localhost", "example.com, localhost", "*", "127.0.0.1"):
            host = "127.0.0.1" if np == "127.0.0.1" else "localhost"
            args = ["cmd", "-H", host, "-p", str(self.ep.https), "--https", "-u", "alice", "-k",
                    "echo", "hi"]
            for name in ("NO_PROXY", "no_proxy"):
                self.assert_ok(self.run_wrsh(*args, env={"https_proxy": down, name: np}))
        # CIDR, IPv4 and IPv6
        self.assert_ok(self.run_wrsh(*self.sealed("echo", "hi"), env={
            "http_proxy": down, "no_proxy": "::1/128,127.0.0.0/8"}))
        # a suffix of a label does not match; --noproxy '' sends all through
        for extra, env in ((["--noproxy", ""], {"NO_PROXY": "localhost"}),
                           ([], {"NO_PROXY": "host"})):
            r = self.run_wrsh(*self.tls(*extra, "echo", "hi"), env={"https_proxy": down, **env})
            self.assert_one_line(r, "wrsh: proxy: connect 127.0.0.1:")
        # --noproxy wins over the environment; --proxy '' ignores it
        self.assert_ok(self.run_wrsh(*self.tls("--noproxy", "localhost", "echo", "hi"),
                                     env={"https_proxy": down, "NO_PROXY": "other"}))
        self.assert_ok(self.run_wrsh(*self.tls("--proxy", "", "echo", "hi"),
                                     env={"https_proxy": down}))

    # ---- failures -----------------------------------------------------------
    def test_proxy_down_is_one_line(self):
        port = free_port()
        r = self.run_wrsh(*self.tls("--proxy", "http://127.0.0.1:%d" % port, "echo", "hi"))
        self.assert_one_line(r, "wrsh: proxy: connect 127.0.0.1:%d: Connection refused" % port)

    def test_connect_refused_by_proxy_is_one_line(self):
        # tinyproxy's ConnectPort list does not hold this port
        r = self.run_wrsh("cmd", "-H", "127.0.0.1", "-p", str(free_port()), "-u", "alice",
                          "--proxy", self.tiny.url, "--proxy-tunnel", "echo", "hi")
        self.assert_one_line(r, "wrsh: proxy: 403 Access violation from 127.0.0.1:%d"
                             % self.tiny.port)

    def test_bad_proxy_urls(self):
        for url, text in (("socks5://127.0.0.1:1", "only http:// proxies"),
                          ("http://127.0.0.1:99999", "bad proxy port"),
                          ("http://[::1", "bad proxy address")):
            r = self.run_wrsh(*self.tls("--proxy", url, "echo", "hi"))
            self.assertEqual(r[0], 2, r)
            self.assertIn(text, r[2])


if __name__ == "__main__":
    unittest.main()
