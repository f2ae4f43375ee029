"""The lwIP port end to end: examples/firmware's model (app.c over
port/lwip, NO_SYS raw API, a static arena) runs as fw-tap with lwIP inside
the process, its link a tap device in a network namespace this test makes
(unshare -n: nothing outside it is touched). The kernel's end of the tap
carries the test endpoint; every packet wrsh sends is lwIP's, every one it
receives was checked by lwIP's TCP/IP and Linux's.

    tests/lwip/test_lwip.py BUILD_DIR      (root: it creates the namespace)
"""
import json
import os
import subprocess
import sys
import time
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.append(os.path.join(HERE, "..", "cli"))
from test_cli import Endpoint, PASSWORD  # noqa: E402
from test_ps_real import MISSING as PWSH_MISSING  # noqa: E402

FW = None
TAP, KERNEL, LWIP = "wtap0", "10.0.7.1", "10.0.7.2"


def sh(*cmd):
    subprocess.run(cmd, check=True)


def make_link():
    sh("ip", "link", "set", "lo", "up")
    sh("ip", "tuntap", "add", "dev", TAP, "mode", "tap")
    sh("ip", "addr", "add", KERNEL + "/24", "dev", TAP)
    sh("ip", "link", "set", TAP, "up")


class TapEndpoint(Endpoint):
    def state(self):
        with urllib.request.urlopen("http://%s:%d/wrsh-test/state" % (KERNEL, self.http)) as r:
            return json.load(r)


class LwipTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ep = TapEndpoint("--listen-v4", KERNEL, basic=False)

    @classmethod
    def tearDownClass(cls):
        cls.ep.stop()

    def fw(self, *args, opts=(), port=None, timeout=60):
        env = dict(os.environ, WRSH_PASSWORD=PASSWORD)
        p = port or self.ep.http
        return subprocess.run([FW, *opts, TAP, LWIP, KERNEL, KERNEL, str(p), "alice", *args],
                              capture_output=True, text=True, env=env, timeout=timeout)

    def assert_no_shell(self):
        self.assertEqual(self.ep.state()["shells"], [])

    def test_cmd_sealed_http(self):
        before = self.ep.state()
        r = self.fw("cmd", "echo from lwip & exit /b 3")
        self.assertEqual(r.returncode, 3, r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual(lines[0], "from lwip")
        self.assertRegex(lines[-1], r"^exit code 3, arena peak \d+ of \d+ bytes$")
        after = self.ep.state()
        # Windows' defaults: every body sealed by NTLM, none readable
        self.assertGreater(after["sealed_requests"], before["sealed_requests"] + 3)
        self.assertEqual(after["undecryptable"], before["undecryptable"])
        self.assert_no_shell()

    def test_output_larger_than_the_window(self):
        # 4 MiB through a 5,840-byte TCP window and a 10-pbuf pool: the
        # window opens only as wrsh reads, so lwIP's memory never grows
        r = self.fw("cmd", "bigout 4")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual(len(lines), 4 * 16384 + 1)
        self.assertEqual(set(lines[:-1]), {lines[0]})
        self.assert_no_shell()

    @unittest.skipIf(PWSH_MISSING, PWSH_MISSING)
    def test_ps_real_powershell(self):
        # PowerShell 7's own PSRP server (pwsh -s) behind the endpoint
        ep = TapEndpoint("--listen-v4", KERNEL, "--psrp-server", "pwsh", basic=False)
        try:
            r = self.fw("ps", "'lwip ' + (6 * 7); $PSVersionTable.PSVersion.Major",
                        port=ep.http, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout.splitlines()[:2], ["lwip 42", "7"])
            r = self.fw("ps", "Write-Error 'from lwip'; 'after'", port=ep.http, timeout=120)
            self.assertEqual(r.stdout.splitlines()[0], "after")
            self.assertIn("from lwip", r.stderr)
            self.assertEqual(ep.state()["shells"], [])
        finally:
            ep.stop()

    def test_ps(self):
        r = self.fw("ps", "Write-Output 'lwip 42'")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines()[0], "lwip 42")
        self.assert_no_shell()

    def test_cim(self):
        r = self.fw("cim", "wmicimv2/Win32_Service", "Name=WinRM")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Name: WinRM", r.stdout.splitlines())
        self.assertIn("State: Running", r.stdout.splitlines())

    def test_https_pinned(self):
        before = self.ep.state()["tls_handshakes"]
        r = self.fw("cmd", "echo over tls", opts=("--https", self.ep.info["cert_sha256"]),
                    port=self.ep.https)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines()[0], "over tls")
        self.assertGreater(self.ep.state()["tls_handshakes"].get("ok", 0), before.get("ok", 0))
        self.assert_no_shell()

    def test_https_wrong_pin_refused(self):
        r = self.fw("cmd", "echo no", opts=("--https", "00" * 32), port=self.ep.https)
        self.assertEqual(r.returncode, 255)
        self.assertRegex(r.stderr, r"^firmware: .*certificate")
        self.assertEqual(len(r.stderr.splitlines()), 1)

    def test_connect_refused(self):
        r = self.fw("cmd", "echo no", port=9)
        self.assertEqual(r.returncode, 255)
        self.assertIn("reset by the peer", r.stderr)

    def test_connect_timeout_through_lwips_timers(self):
        # an address on the link that nobody holds: ARP goes unanswered, so
        # only the port's deadline (lwIP's sys_now) ends the wait
        env = dict(os.environ, WRSH_PASSWORD=PASSWORD)
        t = time.monotonic()
        r = subprocess.run([FW, "--timeout", "1500", TAP, LWIP, KERNEL, "10.0.7.9", "5985",
                            "alice", "cmd", "echo no"], capture_output=True, text=True, env=env,
                           timeout=60)
        took = time.monotonic() - t
        self.assertEqual(r.returncode, 255)
        self.assertIn("connect timed out: 10.0.7.9", r.stderr)
        self.assertGreater(took, 1.4)
        self.assertLess(took, 20)

    def test_link_cut_mid_command(self):
        # the cable out while ping prints: the session ends in one clear line
        # (no hang), and once it is back the shell is deleted on reconnect
        env = dict(os.environ, WRSH_PASSWORD=PASSWORD)
        p = subprocess.Popen([FW, "--timeout", "4000", "--op-timeout", "1000", TAP, LWIP, KERNEL,
                              KERNEL, str(self.ep.http), "alice", "cmd", "ping -n 30 127.0.0.1"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        try:
            replies = 0
            while replies < 2:
                line = p.stdout.readline()
                self.assertTrue(line, "fw-tap ended early")
                replies += line.startswith("Reply from")
            self.assertEqual(len(self.ep.state()["shells"]), 1)
            sh("ip", "link", "set", TAP, "down")
            err = p.stderr.readline()  # printed before wrsh_close's clean-up
            sh("ip", "link", "set", TAP, "up")
            out, rest = p.communicate(timeout=60)
        finally:
            subprocess.run(["ip", "link", "set", TAP, "up"])
            if p.poll() is None:
                p.kill()
        self.assertEqual(p.returncode, 255)
        self.assertRegex(err, r"^firmware: .*(no answer in time|timed out)")
        self.assertEqual(rest, "")
        self.assertRegex(out.splitlines()[-1], r"^exit code 255, arena peak \d+")
        self.assert_no_shell()


if __name__ == "__main__":
    if os.environ.get("WRSH_LWIP_NETNS") != "1":
        # re-run inside a network namespace of our own
        os.execvp("unshare", ["unshare", "-n", "env", "WRSH_LWIP_NETNS=1",
                              "/usr/bin/python3", *sys.argv])
    FW = os.path.abspath(os.path.join(sys.argv.pop(1), "fw-tap"))
    make_link()
    unittest.main(verbosity=2)
