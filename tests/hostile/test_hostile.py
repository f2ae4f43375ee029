"""wrsh against a hostile server (tests/hostile/hostile_server.py).

Run by `make test-hostile` with WRSH pointing at the binary under test (the
ASan+UBSan build too: `make SAN=asan test-hostile`). Whatever the server does,
wrsh must end within a bound, with a non-zero status and one specific error
line on stderr, its arena peak within the arena, no crash and no sanitizer
report; where a shell was created and the connection still allows it, the
server must see the shell's Delete.
"""
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
WRSH = os.path.abspath(os.environ.get("WRSH", os.path.join(TOP, "build/host-glibc-full/wrsh")))
VARIANT = os.environ.get("WRSH_VARIANT", os.path.basename(os.path.dirname(WRSH)))
SANITIZED = "asan" in VARIANT
SERVER = os.path.join(HERE, "hostile_server.py")
BOUND = 20.0  # seconds any case may take, wrsh's own timeouts included
TIMEOUT = 2  # wrsh --timeout for the stalling cases
RSS_CAP_KB = 16 * 1024  # without sanitizers: the process stays small whatever comes


def built_config():
    """The variant's Kconfig values (build/<variant>/.config)."""
    cfg = {}
    try:
        with open(os.path.join(os.path.dirname(WRSH), ".config")) as f:
            for line in f:
                m = re.match(r"(CONFIG_\w+)=(.*)", line.strip())
                if m:
                    cfg[m.group(1)] = m.group(2).strip('"')
    except OSError:
        pass
    return cfg


CONFIG = built_config()
ARENA = int(CONFIG.get("CONFIG_WRSH_CLI_ARENA", "262144"))
HAVE_PSRP = CONFIG.get("CONFIG_WRSH_PSRP", "y") == "y"
HAVE_TLS = CONFIG.get("CONFIG_WRSH_TLS", "y") == "y"


class Server:
    def __init__(self, case):
        self.dir = tempfile.mkdtemp(prefix="wrsh-hostile-")
        self.log = os.path.join(self.dir, "log")
        ready = os.path.join(self.dir, "ready.json")
        with open(os.path.join(self.dir, "stderr"), "w") as err:
            self.proc = subprocess.Popen(
                ["/usr/bin/python3", SERVER, "--case", case, "--ready-file", ready, "--log",
                 self.log, "--stop-after", str(BOUND)], stdout=subprocess.DEVNULL, stderr=err)
        for _ in range(200):
            if os.path.exists(ready):
                with open(ready) as f:
                    self.info = json.load(f)
                break
            if self.proc.poll() is not None:
                with open(os.path.join(self.dir, "stderr")) as f:
                    raise RuntimeError("hostile server died: " + f.read())
            time.sleep(0.05)
        else:
            raise RuntimeError("hostile server not ready")

    def actions(self):
        try:
            with open(self.log) as f:
                return [json.loads(line)["action"] for line in f if line.strip()]
        except OSError:
            return []

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class Run:
    """One wrsh process: status, output, time, peak RSS (from wait4)."""

    def __init__(self, args, bound=BOUND):
        env = dict(os.environ)
        env["WRSH_PASSWORD"] = "Passw0rd!"
        env.pop("WRSH_NT_HASH", None)
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            t0 = time.monotonic()
            p = subprocess.Popen([WRSH, *args], stdin=subprocess.DEVNULL, stdout=out,
                                 stderr=err, env=env)
            killer = threading.Timer(bound, p.kill)
            killer.start()
            _, status, ru = os.wait4(p.pid, 0)
            killer.cancel()
            p.returncode = os.waitstatus_to_exitcode(status)
            self.elapsed = time.monotonic() - t0
            self.killed = self.elapsed >= bound
            self.returncode = p.returncode
            self.rss_kb = ru.ru_maxrss
            out.seek(0, os.SEEK_END)
            self.stdout_len = out.tell()
            out.seek(0)
            self.stdout = out.read(65536)
            err.seek(0)
            self.stderr = err.read().decode("utf-8", "replace")

    def stat(self, key):
        m = re.search(r"wrsh: stats .*\b%s=(\d+)" % key, self.stderr)
        return int(m.group(1)) if m else None

    def messages(self):
        """stderr without the --stats line."""
        return [ln for ln in self.stderr.splitlines() if not ln.startswith("wrsh: stats ")]


class HostileTest(unittest.TestCase):
    def setUp(self):
        if not os.path.exists(WRSH):
            self.skipTest("no binary %s" % WRSH)

    def attack(self, case, applet, *operands, https=False, extra=(), expect=None, status=255,
               deletes=True):
        srv = Server(case)
        try:
            if https:
                conn = ["-H", "127.0.0.1", "-p", str(srv.info["https_port"]), "--https",
                        "--cacert", srv.info["cacert"]]
            else:
                conn = ["-H", "127.0.0.1", "-p", str(srv.info["http_port"]),
                        "--allow-unencrypted"]
            r = Run([applet, "--stats", "--timeout", str(TIMEOUT), "-a", "basic", "-u", "alice",
                     *conn, *extra, *operands])
            actions = srv.actions()
        finally:
            srv.stop()
        what = "%s: status %s in %.2f s, stderr %r" % (case, r.returncode, r.elapsed,
                                                      r.stderr[-2000:])
        self.assertFalse(r.killed, "did not end within %s s: %s" % (BOUND, what))
        self.assertGreaterEqual(r.returncode, 0, "crashed: " + what)
        self.assertEqual(r.returncode, status, what)
        self.assertNotIn("Sanitizer", r.stderr, what)
        self.assertNotIn("runtime error", r.stderr, what)
        msgs = r.messages()
        if expect is not None:
            self.assertEqual(len(msgs), 1, "one error line: " + what)
            self.assertTrue(msgs[0].startswith("wrsh: "), what)
            self.assertIn(expect, msgs[0], what)
        peak, size = r.stat("arena_peak"), r.stat("arena_size")
        self.assertIsNotNone(peak, "no --stats line: " + what)
        self.assertEqual(size, ARENA, what)
        self.assertLessEqual(peak, size, what)
        if not SANITIZED:
            self.assertLess(r.rss_kb, RSS_CAP_KB, what)
        if deletes:
            self.assertIn("attack" if expect else "Create", actions, what)
            self.assertEqual(actions.count("Create"), 1, actions)
            self.assertEqual(actions[-1], "Delete", "the shell was not deleted: %s" % actions)
        else:
            self.assertNotIn("Delete", actions)
        self.run_ = r
        return r

    def cmd(self, case, expect, **kw):
        return self.attack(case, "cmd", "echo", "hi", expect=expect, **kw)

    def ps(self, case, expect, *extra, **kw):
        if not HAVE_PSRP:
            self.skipTest("no PSRP in this build")
        return self.attack(case, "ps", "Get-Item .", extra=extra, expect=expect, **kw)

    # ---- XML ------------------------------------------------------------------------

    def test_billion_laughs(self):
        self.cmd("billion_laughs", "xml: a DTD is not allowed in a SOAP message")

    def test_external_entity(self):
        r = self.cmd("xxe", "xml: a DTD is not allowed in a SOAP message")
        self.assertNotIn(b"root:", r.stdout)

    def test_deep_nesting(self):
        self.cmd("deep_nesting", "xml: nesting deeper than CONFIG_WRSH_XML_MAX_DEPTH")

    # ---- sizes: refused beyond the MaxEnvelopeSize wrsh announces ---------------------

    def test_huge_stdout_element(self):
        # 1 GiB of base64 in one stdout element: what arrived within twice
        # the announced MaxEnvelopeSize was printed, then the envelope is refused
        r = self.cmd("huge_stdout", "wsman: a response larger than the MaxEnvelopeSize "
                     "announced (153600 bytes)")
        self.assertLess(r.stdout_len, 2 * 153600)
        self.assertLess(r.stat("bytes_received"), 4 * 153600)

    def test_endless_chunked_body(self):
        r = self.cmd("endless_chunked", "wsman: a response larger than the MaxEnvelopeSize "
                     "announced (153600 bytes)")
        self.assertLess(r.elapsed, 10)

    # ---- HTTP -------------------------------------------------------------------------

    def test_header_flood(self):
        self.cmd("header_flood", "http: more headers than CONFIG_WRSH_HTTP_MAX_HEADERS")

    def test_one_megabyte_header_line(self):
        self.cmd("long_header", "http: header line longer than CONFIG_WRSH_HTTP_MAX_LINE")

    # the library says what happened, the CLI which flag is the way out
    SLOW = "the answer did not complete within 2 s: the server is too slow; raise --timeout"

    def test_stall_mid_response(self):
        r = self.cmd("slowloris", self.SLOW)
        self.assertGreaterEqual(r.elapsed, TIMEOUT - 0.5)
        self.assertLess(r.elapsed, 3 * TIMEOUT + 3)  # the read timeout, then the Delete

    def test_stall_on_the_first_request(self):
        r = self.cmd("slowloris_create", self.SLOW,
                     deletes=False)
        self.assertLess(r.elapsed, 2 * TIMEOUT + 2)

    def test_trickled_answer(self):
        # each byte comes well within the read timeout; the answer as a whole
        # must still end within it
        r = self.cmd("trickle", self.SLOW)
        self.assertLess(r.elapsed, 3 * TIMEOUT + 3)

    def test_garbage_instead_of_http(self):
        self.cmd("garbage_status", "http: malformed response: status line")

    def test_garbage_on_the_first_request(self):
        self.cmd("garbage_create", "http: malformed response: status line", deletes=False)

    def test_content_length_lies(self):
        self.cmd("lying_length", "http: connection closed in the middle of the response")

    # ---- PSRP -------------------------------------------------------------------------

    def test_ps_fragments_out_of_order(self):
        self.ps("ps_out_of_order", "psrp: fragment out of order or of another message")

    def test_ps_fragment_claims_4_gib(self):
        self.ps("ps_huge_blob", "psrp: a fragment claims a blob beyond 16 MiB")

    def test_ps_clixml_reference_loops(self):
        # wrsh never follows a <Ref>: a loop, a self reference or a dangling
        # one is printed as the reference it is, and the pipeline completes
        for case in ("ps_ref_loop", "ps_self_ref"):
            for fmt in ((), ("--json",)):
                with self.subTest(case=case, fmt=fmt):
                    r = self.ps(case, None, *fmt, status=0)
                    self.assertEqual(r.messages(), [])
                    if fmt and case == "ps_ref_loop":
                        obj = json.loads(r.stdout)
                        self.assertEqual(obj["Self"], {"_ref": 0})
                        self.assertEqual(obj["Nowhere"], {"_ref": 99})
                    elif case == "ps_ref_loop":
                        self.assertEqual(r.stdout, b"loop\n")

    # ---- TLS --------------------------------------------------------------------------

    def test_tls_certificate_for_another_host(self):
        if not HAVE_TLS:
            self.skipTest("no TLS in this build")
        self.cmd("tls_wrong_host", "certificate not for host 127.0.0.1 (it names wrong.example)",
                 https=True, deletes=False)

    def test_tls_trickled_handshake(self):
        if not HAVE_TLS:
            self.skipTest("no TLS in this build")
        r = self.cmd("tls_trickle", "tls: handshake: timed out: the server is too slow; raise --timeout",
                     https=True, deletes=False)
        self.assertLess(r.elapsed, TIMEOUT + 2)

    def test_tls_wrong_host_accepted_only_with_insecure(self):
        if not HAVE_TLS:
            self.skipTest("no TLS in this build")
        r = self.attack("tls_wrong_host", "cmd", "echo", "hi", https=True, extra=("-k",),
                        status=0)
        self.assertEqual(r.messages(), ["wrsh: warning: TLS verification is off (-k): anyone "
                                        "on the path can read and change this session"])


if __name__ == "__main__":
    unittest.main()
