"""wrsh on a Cortex-M4 without an OS: examples/firmware/mps2's images
(scripts/firmware.sh: the library for Thumb-2 with newlib, lwIP, the
LAN9118 driver) run under Debian's qemu-system-arm as an MPS2-AN386 board,
networked by qemu's user network to the test endpoint on this machine
(the guest's 10.0.2.2 is our 127.0.0.1). The board takes its job from the
semihosting command line and its password from its UART (qemu's stdin),
prints on the UART and exits with the command's code through semihosting.

    tests/lwip/test_qemu.py          (after scripts/firmware.sh)
"""
import os
import re
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.append(os.path.join(HERE, "..", "cli"))
from test_cli import Endpoint, PASSWORD  # noqa: E402


def image(profile):
    return os.path.join(TOP, "build", "mps2-%s" % profile, "wrsh.elf")


def boot(profile, *words, password=PASSWORD, timeout=120):
    """One run of the board: the words become its command line."""
    args = ",".join("arg=" + w.replace(",", ",,") for w in ("wrsh",) + words)
    r = subprocess.run(["qemu-system-arm", "-M", "mps2-an386", "-display", "none", "-monitor",
                        "none", "-serial", "stdio", "-kernel", image(profile),
                        "-semihosting-config", "enable=on,target=native," + args,
                        "-nic", "user,model=lan9118"],
                       input=password + "\n", capture_output=True, text=True, timeout=timeout)
    return r.returncode, r.stdout.replace("\r\n", "\n")


def figures(out):
    m = re.search(r"arena peak (\d+) of (\d+) bytes\nstack peak (\d+) bytes", out)
    return tuple(int(x) for x in m.groups()) if m else None


class QemuTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ep = Endpoint(basic=False)

    @classmethod
    def tearDownClass(cls):
        cls.ep.stop()

    def run_cmd(self, profile, command, **kw):
        before = self.ep.state()
        code, out = boot(profile, str(self.ep.http), "alice", "cmd", *command.split(), **kw)
        after = self.ep.state()
        self.assertEqual(after["shells"], [])
        self.assertEqual(after["undecryptable"], before["undecryptable"])
        return code, out, after["sealed_requests"] - before["sealed_requests"]

    def check_figures(self, profile, out):
        arena_peak, arena, stack = figures(out)
        self.assertLess(arena_peak, arena)
        print("\n  qemu %s: arena peak %d of %d, stack peak %d bytes" % (
            profile, arena_peak, arena, stack), file=sys.stderr)

    def test_tiny_cmd_sealed_http(self):
        code, out, sealed = self.run_cmd("tiny", "echo from cortex-m & exit /b 7")
        self.assertEqual(code, 7, out)
        self.assertIn("\nfrom cortex-m\n", out)
        self.assertIn("exit code 7,", out)
        self.assertGreaterEqual(sealed, 4)  # every body sealed: Windows' defaults
        self.check_figures("tiny", out)

    def test_tiny_refuses_what_it_lacks(self):
        code, out = boot("tiny", str(self.ep.http), "alice", "ps", "1")
        self.assertEqual(code, 255)
        self.assertIn("\nfirmware: PowerShell is not in this build (CONFIG_WRSH_PSRP)\n", out)

    def test_wrong_password_one_line(self):
        code, out = boot("tiny", str(self.ep.http), "alice", "cmd", "echo", "no",
                         password="wrong")
        self.assertEqual(code, 255)
        self.assertRegex(out, r"\nfirmware: http: 401 Unauthorized: the server refused the "
                              r"credentials[^\n]*\nexit code 255")

    def test_full_cmd_sealed_http(self):
        code, out, _ = self.run_cmd("full", "echo full image")
        self.assertEqual(code, 0, out)
        self.assertIn("\nfull image\n", out)
        self.check_figures("full", out)

    def test_full_https_pinned(self):
        before = self.ep.state()["tls_handshakes"].get("ok", 0)
        code, out = boot("full", "https=" + self.ep.info["cert_sha256"], str(self.ep.https),
                         "alice", "cmd", "echo", "over", "tls")
        self.assertEqual(code, 0, out)
        self.assertIn("\nover tls\n", out)
        self.assertEqual(self.ep.state()["tls_handshakes"]["ok"], before + 1)
        self.assertEqual(self.ep.state()["shells"], [])
        self.check_figures("full-https", out)

    def test_full_ps_and_cim(self):
        code, out = boot("full", str(self.ep.http), "alice", "ps", "Write-Output", "'from m4'")
        self.assertEqual(code, 0, out)
        self.assertIn("\nfrom m4\n", out)
        self.check_figures("full-ps", out)
        code, out = boot("full", str(self.ep.http), "alice", "cim", "wmicimv2/Win32_Service",
                         "Name=WinRM")
        self.assertEqual(code, 0, out)
        self.assertIn("\nName: WinRM\n", out)
        self.assertIn("\nState: Running\n", out)
        code, out = boot("full", str(self.ep.http), "alice", "cim", "wmicimv2/Win32_Service")
        self.assertEqual(code, 255)  # a Get without its key: the server's fault, one line
        self.assertRegex(out, r"\nfirmware: wsman: fault w:InvalidSelectors [^\n]+\nexit code 255")


if __name__ == "__main__":
    unittest.main(verbosity=2)
