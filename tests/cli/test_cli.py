"""The wrsh binary against the Windows-like test endpoint (tests/endpoint).

Run by `make test-cli` with WRSH pointing at the binary under test. Every
test also checks, through the endpoint's test-only state page, that the
remote shell was deleted, whatever the way out.
"""
import atexit
import hashlib
import json
import os
import pty
import select
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
WRSH = os.path.abspath(os.environ.get("WRSH", os.path.join(TOP, "build/host-glibc-full/wrsh")))
ENDPOINT = os.path.join(TOP, "tests", "endpoint", "winrm_endpoint.py")
PASSWORD = "Passw0rd!"


def features():
    """The words of `wrsh --version`'s features line (library and CLI)."""
    if not os.path.exists(WRSH):
        return []
    out = subprocess.run([WRSH, "--version"], capture_output=True, text=True).stdout
    return out.split("features:")[1].split() if "features:" in out else []


def tls_built():
    if not os.path.exists(WRSH):
        return False
    out = subprocess.run([WRSH, "cmd", "-H", "127.0.0.1", "--https", "-k", "-a", "basic", "-u",
                          "x", "--password-file", "/dev/null", "-p", "1", "echo"],
                         capture_output=True, text=True)
    return "not built" not in out.stderr


def needs_peer(why_missing, peer):
    """Class decorator for tests against a real peer (a package this project
    did not write). A peer missing here skips the class, saying why; under
    CI=true it fails instead, since the CI machine installs every peer.
    why_missing: None when the peer is here, else the reason it is not.
    A build that leaves the feature out is not a missing peer: skip those
    before this decorator (unittest.skipUnless), whatever CI says."""
    def wrap(cls):
        if why_missing is None:
            return cls
        if os.environ.get("CI") != "true":
            return unittest.skip(why_missing)(cls)

        def fail(klass):
            raise AssertionError("CI=true and %s is missing: %s" % (peer, why_missing))
        cls.setUpClass = classmethod(fail)
        return cls
    return wrap


class Endpoint:
    # started once per configuration for the whole run: see shared()
    _shared = {}

    @classmethod
    def shared(cls, *args, basic=True):
        """The run's endpoint of this configuration, started on first use.
        `make test-cli` runs every module in one process, and the classes
        can share: every test leaves no shell behind (Base.tearDown checks)
        and reads the counters as differences. Stopped at exit; a test that
        stops or breaks its endpoint starts its own with Endpoint(...)."""
        key = (tuple(args), basic, os.environ.get("WRSH_ENDPOINT_PSRP_SERVER"))
        ep = cls._shared.get(key)
        if ep is None or ep.proc.poll() is not None:
            ep = cls._shared[key] = cls(*args, basic=basic)
        return ep

    def __init__(self, *args, basic=True):
        self.dir = tempfile.mkdtemp(prefix="wrsh-ep-")
        ready = os.path.join(self.dir, "ready.json")
        with open(os.path.join(self.dir, "log"), "w") as log:
            self.proc = subprocess.Popen(
                ["/usr/bin/python3", ENDPOINT, "--ready-file", ready, "--state-dir", self.dir,
                 *(["--basic"] if basic else []), *args], stdout=subprocess.DEVNULL, stderr=log)
        for _ in range(200):
            if os.path.exists(ready) and os.path.getsize(ready):
                try:
                    with open(ready) as f:
                        self.info = json.load(f)
                    break
                except ValueError:
                    pass
            if self.proc.poll() is not None:
                with open(os.path.join(self.dir, "log")) as f:
                    raise RuntimeError("endpoint died: " + f.read())
            time.sleep(0.05)
        else:
            raise RuntimeError("endpoint not ready")
        self.http = self.info["http_port"]
        self.https = self.info["https_port"]

    def state(self):
        with urllib.request.urlopen("http://127.0.0.1:%d/wrsh-test/state" % self.http) as r:
            return json.load(r)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@atexit.register
def stop_shared():
    """All at once: each takes a moment to wind down its threads."""
    for ep in Endpoint._shared.values():
        ep.proc.terminate()
    for ep in Endpoint._shared.values():
        ep.stop()


class Base(unittest.TestCase):
    extra_endpoint_args = ["--allow-unencrypted", "--operation-timeout-cap", "2"]

    @classmethod
    def setUpClass(cls):
        cls.ep = Endpoint.shared(*cls.extra_endpoint_args)


    def tearDown(self):
        # the remote shell is deleted on every way out
        for _ in range(50):
            if not self.ep.state()["shells"]:
                break
            time.sleep(0.1)
        self.assertEqual(self.ep.state()["shells"], [], "a shell was left behind")

    def wrsh(self, *args, stdin=b"", env=None, password=PASSWORD, timeout=60):
        e = dict(os.environ)
        e.pop("WRSH_PASSWORD", None)
        if password is not None:
            e["WRSH_PASSWORD"] = password
        e.update(env or {})
        return subprocess.run([WRSH, *args], input=stdin, capture_output=True, env=e,
                              timeout=timeout)

    def http(self, *args):
        return ["-H", "127.0.0.1", "-p", str(self.ep.http), "-a", "basic", "-u", "alice",
                "--allow-unencrypted", *args]

    def https(self, *args):
        return ["-H", "localhost", "-p", str(self.ep.https), "--https", "-a", "basic", "-u",
                "alice", "--cacert", self.ep.info["cert"], *args]


class CliTest(Base):
    # ---- identify -------------------------------------------------------------

    def test_identify_anonymous(self):
        r = self.wrsh("identify", "-H", "127.0.0.1", "-p", str(self.ep.http), password=None)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"ProductVendor: Microsoft Corporation", r.stdout)
        self.assertIn(b"ProtocolVersion: http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
                      r.stdout)

    def test_identify_authenticated(self):
        r = self.wrsh("identify", *self.http())
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"ProductVersion: OS: ", r.stdout)

    # ---- cmd basics -------------------------------------------------------------

    def test_cmd_echo(self):
        r = self.wrsh("cmd", *self.http("--", "echo", "hi"))
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, b"hi\r\n", b""))

    def test_cmd_exit_code_and_stderr(self):
        r = self.wrsh("cmd", *self.http("exit", "/b", "7"))
        self.assertEqual(r.returncode, 7)
        r = self.wrsh("cmd", *self.http("nosuchcommand"))
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"'nosuchcommand' is not recognized", r.stderr)
        self.assertEqual(r.stdout, b"")

    def test_cmd_large_exit_code(self):
        r = self.wrsh("cmd", *self.http("exit", "/b", "3221225786"))
        self.assertEqual(r.returncode, 254)
        self.assertIn(b"remote exit code 3221225786 (0xC000013A)", r.stderr)

    def test_cmd_ipv6_both_spellings(self):
        for host in ("::1", "[::1]"):
            r = self.wrsh("cmd", "-H", host, "-p", str(self.ep.http), "-a", "basic", "-u", "alice",
                          "--allow-unencrypted", "echo", "six")
            self.assertEqual((r.returncode, r.stdout), (0, b"six\r\n"), r.stderr)

    def test_cmd_env_and_workdir(self):
        r = self.wrsh("cmd", *self.http("-e", "WRSH_A=one two", "-e", "WRSH_B=x=y", "set", "WRSH_"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"WRSH_A=one two\r\n", r.stdout)
        self.assertIn(b"WRSH_B=x=y\r\n", r.stdout)
        r = self.wrsh("cmd", *self.http("-d", "C:\\Temp", "cd"))
        self.assertEqual(r.stdout, b"C:\\Temp\r\n")

    def test_cmd_codepage_bytes_pass_through(self):
        r = self.wrsh("cmd", *self.http("unicode"))
        self.assertEqual(r.returncode, 0, r.stderr)
        text = r.stdout.decode("utf-8")  # 65001 by default: valid UTF-8
        self.assertIn("Grüße", text)
        r437 = self.wrsh("cmd", *self.http("--codepage", "437", "unicode"))
        self.assertEqual(r437.returncode, 0, r437.stderr)
        self.assertIn("Grüße".encode("cp437"), r437.stdout)
        self.assertNotEqual(r437.stdout, r.stdout)

    def test_cmd_stdin_forwarded_with_eof(self):
        r = self.wrsh("cmd", *self.http("more"), stdin=b"line one\r\nline two\r\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, b"line one\r\nline two\r\n")

    def test_cmd_stdin_large(self):
        data = b"".join(b"%08d abcdefghijklmnopqrstuvwxyz\r\n" % i for i in range(20000))
        r = self.wrsh("cmd", *self.http("more"), stdin=data)
        self.assertEqual(r.returncode, 0, r.stderr[-500:])
        self.assertEqual(hashlib.sha256(r.stdout).hexdigest(), hashlib.sha256(data).hexdigest())

    def test_cmd_no_stdin_option(self):
        r = self.wrsh("cmd", *self.http("-n", "more"), stdin=b"ignored\r\n")
        self.assertEqual((r.returncode, r.stdout), (0, b""))

    def test_cmd_operation_timeout_then_output(self):
        # the endpoint caps OperationTimeout at 2 s: Receives time out and poll again
        r = self.wrsh("cmd", *self.http("timeout", "/t", "5", "&&", "echo", "after"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.endswith(b"after\r\n"), r.stdout)

    def test_cmd_large_output_memory_flat(self):
        r1 = self.wrsh("cmd", "--stats", *self.http("echo", "hi"))
        r20 = self.wrsh("cmd", "--stats", *self.http("bigout", "20"), timeout=300)
        self.assertEqual(r20.returncode, 0, r20.stderr[-500:])
        self.assertEqual(len(r20.stdout), 20 * 1024 * 1024)
        peak1 = stat(r1.stderr, "arena_peak")
        peak20 = stat(r20.stderr, "arena_peak")
        self.assertLessEqual(peak20, peak1 * 1.10, (peak1, peak20))

    def test_sigterm_deletes_shell(self):
        p = subprocess.Popen([WRSH, "cmd", *self.http("timeout", "/t", "60", "/nobreak")],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env={**os.environ, "WRSH_PASSWORD": PASSWORD})
        time.sleep(1.5)
        p.terminate()
        p.communicate(timeout=30)
        self.assertEqual(p.returncode, 128 + signal.SIGTERM)

    def test_stdout_closed_still_deletes_shell(self):
        # `wrsh cmd ... | head -c 10`: the write fails, wrsh stops, the shell goes
        p = subprocess.Popen([WRSH, "cmd", *self.http("bigout", "50")], stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env={**os.environ, "WRSH_PASSWORD": PASSWORD})
        p.stdout.read(10)
        p.stdout.close()
        err = p.stderr.read()
        p.wait(30)
        self.assertEqual(p.returncode, 255)
        self.assertEqual(len(err.strip().splitlines()), 1, err)

    def test_cmd_stats_line(self):
        r = self.wrsh("cmd", "--stats", *self.http("echo", "hi"))
        line = r.stderr.decode().strip().splitlines()[-1]
        self.assertRegex(line, r"^wrsh: stats arena_peak=\d+ arena_size=\d+ requests=\d+ "
                               r"bytes_sent=\d+ bytes_received=\d+$")
        # create, command, receive, delete, and the Send of stdin's end
        # unless the command was done before wrsh saw it (a race it may lose)
        self.assertIn(stat(r.stderr, "requests"), (4, 5))

    def test_ctrl_c_reaches_the_command(self):
        p = subprocess.Popen([WRSH, "cmd", *self.http("ping", "-t", "127.0.0.1")],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env={**os.environ, "WRSH_PASSWORD": PASSWORD})
        wait_output(p.stdout, b"Reply from", 10)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=30)
        self.assertIn(b"Control-C", out + err)
        self.assertIn(p.returncode, (130, 254), err)

    def test_double_ctrl_c_terminates(self):
        p = subprocess.Popen([WRSH, "cmd", *self.http("timeout", "/t", "60", "/nobreak")],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env={**os.environ, "WRSH_PASSWORD": PASSWORD})
        time.sleep(1.5)
        p.send_signal(signal.SIGINT)
        time.sleep(0.3)
        p.send_signal(signal.SIGINT)
        p.communicate(timeout=30)
        self.assertEqual(p.returncode, 130)

    # ---- security defaults ------------------------------------------------------

    def test_basic_over_http_refused_without_opt_in(self):
        r = self.wrsh("cmd", "-H", "127.0.0.1", "-p", str(self.ep.http), "-a", "basic", "-u",
                      "alice", "echo", "hi")
        self.assertEqual(r.returncode, 255)
        self.assertIn(b"Basic over plain HTTP", r.stderr)
        # the library names no flag; the CLI adds which ones are the way out
        self.assertIn(b"allow it explicitly; --https, or --allow-unencrypted to send it anyway",
                      r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1)

    def test_wrong_password(self):
        r = self.wrsh("cmd", *self.http("echo", "hi"), password="wrong")
        self.assertEqual(r.returncode, 255)
        self.assertIn(b"401", r.stderr)

    def test_trace_has_no_secrets(self):
        r = self.wrsh("cmd", "-v", *self.http("echo", "hi"))
        self.assertEqual(r.returncode, 0)
        if b"tracing is not built" in r.stderr:
            self.skipTest("built without the trace hook")
        self.assertIn(b"POST /wsman HTTP/1.1", r.stderr)
        self.assertIn(b"Authorization: <redacted>", r.stderr)
        self.assertNotIn(PASSWORD.encode(), r.stderr)
        import base64
        self.assertNotIn(base64.b64encode(b"alice:" + PASSWORD.encode()), r.stderr)

    def test_password_file_and_prompt(self):
        with tempfile.NamedTemporaryFile("w") as f:
            f.write(PASSWORD + "\n")
            f.flush()
            r = self.wrsh("cmd", "--password-file", f.name, *self.http("echo", "pf"),
                          password=None)
            self.assertEqual((r.returncode, r.stdout), (0, b"pf\r\n"), r.stderr)
        # a terminal prompt, echo off
        pid, fd = pty.fork()
        if pid == 0:
            env = {k: v for k, v in os.environ.items() if k != "WRSH_PASSWORD"}
            os.execve(WRSH, [WRSH, "cmd", *self.http("echo", "tty")], env)
        buf = read_until(fd, b"Password for alice@127.0.0.1: ", 10)
        os.write(fd, PASSWORD.encode() + b"\n")
        buf += read_until(fd, b"tty", 10)
        _, status = os.waitpid(pid, 0)
        self.assertEqual(os.waitstatus_to_exitcode(status), 0, buf)
        self.assertNotIn(PASSWORD.encode(), buf)

    def test_no_password_no_terminal(self):
        r = subprocess.run([WRSH, "cmd", *self.http("echo")], capture_output=True,
                           env={k: v for k, v in os.environ.items() if k != "WRSH_PASSWORD"},
                           start_new_session=True, stdin=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 255)
        self.assertIn(b"no password", r.stderr)

    def test_fault_is_reported(self):
        r = self.wrsh("cmd", *self.http("-d", "C:\\no\\such\\dir", "echo"))
        if r.returncode == 0:
            self.skipTest("endpoint accepts any working directory")
        self.assertEqual(r.returncode, 255)
        self.assertIn(b"wsman: fault", r.stderr)

    def test_connection_refused(self):
        r = self.wrsh("identify", "-H", "127.0.0.1", "-p", "1", password=None)
        self.assertEqual(r.returncode, 255)
        self.assertIn(b"refused", r.stderr.lower())

    def test_usage_errors(self):
        self.assertEqual(self.wrsh("cmd").returncode, 2)
        self.assertEqual(self.wrsh("cmd", "-H", "h", "-u", "a").returncode, 2)
        self.assertEqual(self.wrsh("nosuchapplet").returncode, 2)
        r = self.wrsh("cmd", "--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn(b"--allow-unencrypted", r.stdout)
        r = subprocess.run([WRSH, "--help"], capture_output=True)
        self.assertIn(b"identify", r.stdout)

    def test_applet_by_link_name(self):
        with tempfile.TemporaryDirectory() as d:
            link = os.path.join(d, "identify")
            os.symlink(WRSH, link)
            r = subprocess.run([link, "-H", "127.0.0.1", "-p", str(self.ep.http)],
                               capture_output=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn(b"ProductVendor", r.stdout)


@unittest.skipUnless(os.path.exists(WRSH) and tls_built(), "wrsh built without TLS")
class HttpsTest(Base):
    def test_https_cacert(self):
        r = self.wrsh("cmd", *self.https("echo", "tls"))
        self.assertEqual((r.returncode, r.stdout), (0, b"tls\r\n"), r.stderr)

    def test_https_identify(self):
        r = self.wrsh("identify", "-H", "localhost", "-p", str(self.ep.https), "--https",
                      "--cacert", self.ep.info["cert"], password=None)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_https_pin(self):
        r = self.wrsh("cmd", "-H", "127.0.0.1", "-p", str(self.ep.https), "--https", "-a", "basic",
                      "-u", "alice", "--pin", self.ep.info["cert_sha256"], "echo", "pinned")
        self.assertEqual((r.returncode, r.stdout), (0, b"pinned\r\n"), r.stderr)
        r = self.wrsh("cmd", "-H", "127.0.0.1", "-p", str(self.ep.https), "--https", "-a", "basic",
                      "-u", "alice", "--pin", "00" * 32, "echo", "pinned")
        self.assertEqual(r.returncode, 255)
        self.assertIn(b"pin", r.stderr.lower())

    def test_https_untrusted_by_default(self):
        r = self.wrsh("cmd", "-H", "localhost", "-p", str(self.ep.https), "--https", "-a", "basic",
                      "-u", "alice", "echo", "x")
        self.assertEqual(r.returncode, 255)
        self.assertIn(b"tls", r.stderr.lower())

    def test_https_insecure_warns(self):
        r = self.wrsh("cmd", "-H", "localhost", "-p", str(self.ep.https), "--https", "-k", "-a",
                      "basic", "-u", "alice", "echo", "k")
        self.assertEqual((r.returncode, r.stdout), (0, b"k\r\n"), r.stderr)
        self.assertIn(b"verification is off", r.stderr)

    def test_https_large_output(self):
        r = self.wrsh("cmd", "--stats", *self.https("bigout", "20"), timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr[-300:])
        self.assertEqual(len(r.stdout), 20 * 1024 * 1024)
        r1 = self.wrsh("cmd", "--stats", *self.https("echo", "hi"))
        self.assertLessEqual(stat(r.stderr, "arena_peak"), stat(r1.stderr, "arena_peak") * 1.10)

    def test_https_basic_needs_no_opt_in(self):
        r = self.wrsh("cmd", "-H", "localhost", "-p", str(self.ep.https), "--https", "-a", "basic",
                      "-u", "alice", "--cacert", self.ep.info["cert"], "echo", "ok")
        self.assertEqual(r.returncode, 0, r.stderr)


@unittest.skipUnless(os.path.exists(WRSH) and tls_built(), "wrsh built without TLS")
class Tls12Test(Base):
    """Windows Server 2019 and older: TLS 1.2 only (ECDHE-RSA with AES-GCM).
    This server signs with rsa_pss_rsae_sha256, which mbedTLS 3.6.6 offers
    but refuses in TLS 1.2: wrsh's first handshake fails, the second offers
    TLS 1.2 alone and succeeds."""
    extra_endpoint_args = ("--tls-max", "1.2", "--cbt", "strict")
    retries = 1

    def handshakes(self):
        return self.ep.state()["tls_handshakes"]

    def check(self, *args, expect):
        before = self.handshakes()
        r = self.wrsh("cmd", *args)
        self.assertEqual((r.returncode, r.stdout), (0, expect), r.stderr)
        after = self.handshakes()
        self.assertEqual(after["failed"] - before["failed"], self.retries)
        self.assertEqual(after["ok"] - before["ok"], 1)

    def test_basic(self):
        self.check(*self.https("echo", "tls12"), expect=b"tls12\r\n")

    def test_ntlm_with_channel_binding(self):
        self.check("-H", "localhost", "-p", str(self.ep.https), "--https", "--cacert",
                   self.ep.info["cert"], "-u", "alice", "echo", "cbt", expect=b"cbt\r\n")


class Tls12ClientOrderTest(Tls12Test):
    """A TLS 1.2 server that follows the client's order (OpenSSL's default)
    gets PKCS#1 first and signs with it: one handshake."""
    extra_endpoint_args = ("--tls-max", "1.2", "--cbt", "strict", "--tls-client-order")
    retries = 0


@unittest.skipUnless("tls-session" in features(), "wrsh built without TLS session resumption")
class TlsSessionTest(Base):
    """--tls-session: the session OpenSSL's server (Python's ssl) gave is
    kept and offered again; the endpoint counts what OpenSSL resumed."""
    extra_endpoint_args = ("--cbt", "strict")

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="wrsh-tls-")
        self.path = os.path.join(self.dir, "session")

    def resumed(self, *args, expect=b"hi\r\n"):
        """1 when the run's one handshake resumed, 0 when it was a full one."""
        before = self.ep.state()["tls_handshakes"]
        r = self.wrsh("cmd", *args, "echo", "hi")
        self.assertEqual((r.returncode, r.stdout), (0, expect), r.stderr)
        after = self.ep.state()["tls_handshakes"]
        self.assertEqual(after["ok"] - before["ok"], 1)
        self.last = r
        return after["resumed"] - before["resumed"]

    def ntlm(self, *extra):
        return ["-H", "localhost", "-p", str(self.ep.https), "--https", "-u", "alice",
                "--cacert", self.ep.info["cert"], *extra]

    def test_resumed_on_the_next_run(self):
        self.assertEqual(self.resumed(*self.https("--tls-session", self.path)), 0)
        self.assertEqual(os.stat(self.path).st_mode & 0o777, 0o600)
        self.assertEqual(self.resumed(*self.https("--tls-session", self.path)), 1)
        self.assertEqual(self.resumed(*self.https("--tls-session", self.path)), 1)
        self.assertEqual(self.resumed(*self.https()), 0)  # not asked for: a full one

    def test_channel_binding_and_pin_hold_on_a_resumed_session(self):
        # NTLM over HTTPS binds the server's certificate (CbtHardeningLevel
        # Strict here): a resumed TLS 1.3 session has it from the kept copy
        self.resumed(*self.ntlm("--tls-session", self.path))
        self.assertEqual(self.resumed(*self.ntlm("--tls-session", self.path)), 1)
        pin = ["-H", "localhost", "-p", str(self.ep.https), "--https", "-u", "alice",
               "--pin", self.ep.info["cert_sha256"], "--tls-session", self.path]
        self.assertEqual(self.resumed(*pin), 0)  # other trust settings: not offered
        self.assertEqual(self.resumed(*pin), 1)
        bad = ["-H", "localhost", "-p", str(self.ep.https), "--https", "-u", "alice",
               "--pin", "00" * 32, "--tls-session", self.path]
        r = self.wrsh("cmd", *bad, "echo", "hi")
        self.assertEqual(r.returncode, 255)
        self.assertIn(b"pinned SHA-256 does not match", r.stderr)

    def test_bound_to_what_verified_it(self):
        self.resumed("-k", *self.https("--tls-session", self.path))
        # a session of -k (nothing verified) is never one for a verified run
        self.assertEqual(self.resumed(*self.https("--tls-session", self.path)), 0)
        self.assertEqual(self.resumed(*self.https("--tls-session", self.path)), 1)
        # another name for the same server (127.0.0.1: its IP SAN)
        ip = ["-H", "127.0.0.1"] + self.https("--tls-session", self.path)[2:]
        self.assertEqual(self.resumed(*ip), 0)

    def test_a_file_others_can_read_is_neither_used_nor_replaced(self):
        self.resumed(*self.https("--tls-session", self.path))
        os.chmod(self.path, 0o644)
        with open(self.path, "rb") as f:
            kept = f.read()
        self.assertEqual(self.resumed(*self.https("--tls-session", self.path)), 0)
        self.assertIn(b"not the user's own file of mode 0600; a full handshake",
                      self.last.stderr)
        with open(self.path, "rb") as f:
            self.assertEqual(f.read(), kept)

    def test_a_damaged_file_means_a_full_handshake(self):
        self.resumed(*self.https("--tls-session", self.path))
        with open(self.path, "rb") as f:
            good = bytearray(f.read())
        for damage in (good[:60], good[:4] + b"X" * (len(good) - 4), b"WTS1" + bytes(200),
                       good[:-40], bytes(good[:52]) + bytes(len(good) - 52)):
            fd = os.open(self.path, os.O_WRONLY | os.O_TRUNC)
            os.write(fd, bytes(damage))
            os.close(fd)
            self.assertEqual(self.resumed(*self.https("--tls-session", self.path)), 0)
            self.assertEqual(self.last.stderr, b"")
        self.assertEqual(self.resumed(*self.https("--tls-session", self.path)), 1)

    def test_a_folder_keeps_a_file_per_host(self):
        self.resumed(*self.https("--tls-session", self.dir))
        name = "localhost_%d" % self.ep.https
        self.assertEqual(os.listdir(self.dir), [name])
        self.assertEqual(self.resumed(*self.https("--tls-session", self.dir)), 1)


class Tls12SessionTest(TlsSessionTest):
    """TLS 1.2 (Windows Server 2019 and older): OpenSSL's TLS 1.2 ticket."""
    extra_endpoint_args = ("--tls-max", "1.2", "--cbt", "strict", "--tls-client-order")


class QuotaTest(unittest.TestCase):
    """MaxShellsPerUser: the quota fault is reported, and a shell held by
    another client does not leak ours."""

    @classmethod
    def setUpClass(cls):
        cls.ep = Endpoint.shared("--allow-unencrypted", "--max-shells-per-user", "1")


    def test_quota_fault(self):
        args = ["-H", "127.0.0.1", "-p", str(self.ep.http), "-a", "basic", "-u", "alice",
                "--allow-unencrypted"]
        env = {**os.environ, "WRSH_PASSWORD": PASSWORD}
        holder = subprocess.Popen([WRSH, "cmd", *args, "timeout", "/t", "30"],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, env=env)
        try:
            for _ in range(100):
                if self.ep.state()["shells"]:
                    break
                time.sleep(0.05)
            r = subprocess.run([WRSH, "cmd", *args, "echo", "x"], capture_output=True, env=env,
                               timeout=30)
            self.assertEqual(r.returncode, 255)
            self.assertIn(b"wsman: fault", r.stderr)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        finally:
            holder.send_signal(signal.SIGINT)
            time.sleep(0.2)
            holder.send_signal(signal.SIGINT)
            holder.wait(30)
        time.sleep(0.2)
        self.assertEqual(self.ep.state()["shells"], [])


def stat(stderr, key):
    import re
    m = re.search(rb"%s=(\d+)" % key.encode(), stderr)
    assert m, stderr
    return int(m.group(1))


def wait_output(pipe, needle, timeout):
    buf, end = b"", time.time() + timeout
    while needle not in buf and time.time() < end:
        r, _, _ = select.select([pipe], [], [], 0.2)
        if r:
            chunk = os.read(pipe.fileno(), 4096)
            if not chunk:
                break
            buf += chunk
    return buf


def read_until(fd, needle, timeout):
    buf, end = b"", time.time() + timeout
    while needle not in buf and time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
    return buf


class LeftOutTest(unittest.TestCase):
    """What a build without many hosts or proxies says when asked for them."""

    def run_wrsh(self, *args):
        return subprocess.run([WRSH, *args], capture_output=True, text=True, timeout=30,
                              env={**os.environ, "WRSH_PASSWORD": PASSWORD})

    @unittest.skipIf("fanout" in features(), "many hosts are built in")
    def test_many_hosts_refused(self):
        r = self.run_wrsh("cmd", "-H", "a,b", "-u", "alice", "echo")
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stderr.splitlines(),
                         ["wrsh: -H a,b: many hosts are not built into this wrsh"])

    @unittest.skipIf("proxy" in features(), "proxies are built in")
    def test_proxy_refused(self):
        r = self.run_wrsh("cmd", "-H", "127.0.0.1", "-p", "1", "-u", "alice", "--proxy",
                          "http://127.0.0.1:3128", "echo")
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stderr.splitlines(),
                         ["wrsh: --proxy: proxies are not built into this wrsh"])


class VersionTest(unittest.TestCase):
    """`wrsh --version -v` reports the Kconfig values the binary was built with."""

    def test_version_reports_the_build(self):
        variant = os.environ.get("WRSH_VARIANT", "host-glibc-full")
        conf = {}
        with open(os.path.join(TOP, "build", variant, "wrsh_autoconf.h")) as f:
            for line in f:
                part = line.split()
                if len(part) == 3 and part[0] == "#define" and part[1].startswith("CONFIG_"):
                    conf[part[1]] = part[2]
        r = subprocess.run([WRSH, "--version", "-v"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0)
        lines = r.stdout.splitlines()
        self.assertEqual(lines[0], "wrsh " + os.environ.get("WRSH_VERSION", "0.1.0"))
        feats = set(lines[1].split()[1:])
        for name, sym in [("winrs", "WINRS"), ("psrp", "PSRP"), ("cim", "CIM"),
                          ("tls", "TLS"), ("ntlm", "AUTH_NTLM"), ("kerberos", "AUTH_KERBEROS"),
                          ("trace", "WSMAN_TRACE")]:
            self.assertEqual(name in feats, conf.get("CONFIG_WRSH_" + sym) == "1", name)
        caps = dict(line.split("=", 1) for line in lines[2:])
        self.assertIn("CONFIG_WRSH_WSMAN_TX_BUF", caps)
        for k, v in caps.items():
            feature = {"WSMAN_SEAL_MAX": "AUTH_NTLM",
                       "AUTH_KRB5_TICKET_MAX": "AUTH_KERBEROS",
                       "AUTH_KRB5_KDCS": "AUTH_KERBEROS"}.get(
                k[len("CONFIG_WRSH_"):], "CIM" if k.startswith("CONFIG_WRSH_CIM_") else None)
            if feature and conf.get("CONFIG_WRSH_" + feature) != "1":
                self.assertEqual(v, "0", k)
            else:
                self.assertEqual(v, conf[k], k)


if __name__ == "__main__":
    unittest.main()
