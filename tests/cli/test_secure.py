"""wrsh ps and secure strings (MS-PSRP 3.1.4.8, 2.2.5.1.24): Read-Host
-AsSecureString, Get-Credential, PromptForCredential and Prompt's SecureString
fields answered from a terminal (a pty) with echo off, the session key
exchange, SecureStrings in output. The endpoint's PSRP server
(tests/endpoint/psrp.py) does its side with python3-cryptography: it checks
our PUBLICKEYBLOB, encrypts its session key to it, and decrypts what we
send; the scripts compare the decrypted text with what was typed."""
import base64
import os
import pty
import re
import subprocess
import termios
import time
import unittest

from test_cli import Base, Endpoint, PASSWORD, WRSH, read_until
from test_ps import ps_built

SECRET = "Typed-S3cret_\u00e9"  # a non-ASCII letter: UTF-16 on the wire


def echo_off(fd, timeout=20):
    """Wait until the program turned the terminal's echo off (it does so
    before it reads a secret): typing earlier would be echoed by the pty.
    What it writes meanwhile is read (a -v trace would fill the pty)."""
    buf, end = b"", time.time() + timeout
    while time.time() < end:
        if not termios.tcgetattr(fd)[3] & termios.ECHO:
            return True, buf
        buf += read_until(fd, b"\x00never", 0.02)
    return False, buf


def expect(text):
    """The script's side of the check, without the secret in the script:
    PowerShell that decodes the expected text from base64 (the endpoint's
    interpreter knows this form)."""
    b64 = base64.b64encode(text.encode()).decode()
    return "[Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('%s'))" % b64


def decoded_runs(trace):
    """Every base64 run of the trace, decoded: the fragments inside the
    SOAP bodies (a secret sent in clear would be there)."""
    out = []
    for m in re.finditer(rb"[A-Za-z0-9+/]{16,}={0,2}", trace):
        run = m.group(0)
        try:
            out.append(base64.b64decode(run + b"=" * (-len(run) % 4)))
        except ValueError:
            pass
    return out


@unittest.skipUnless(ps_built(), "wrsh built without the ps applet (PROFILE=tiny)")
class SecureTest(Base):
    @classmethod
    def setUpClass(cls):
        cls.ep = Endpoint.shared("--operation-timeout-cap", "2", basic=False)

    def conn(self):
        return ["-H", "127.0.0.1", "-p", str(self.ep.http), "-u", "alice"]

    def ps(self, *args, **kw):
        return self.wrsh("ps", *self.conn(), *args, **kw)

    def pty_run(self, args, steps, timeout=30):
        """wrsh ps under a pty (stdin, stdout and stderr the terminal): each
        step waits for a text (or for echo off: None), then types a line."""
        pid, fd = pty.fork()
        if pid == 0:
            os.execve(WRSH, [WRSH, "ps", *self.conn(), *args],
                      {**os.environ, "WRSH_PASSWORD": PASSWORD})
        buf = b""
        for wait, line in steps:
            if wait is None:
                ok, more = echo_off(fd)
                buf += more
                self.assertTrue(ok, buf)
            else:
                buf += read_until(fd, wait, timeout)
                self.assertIn(wait, buf)
            if line.startswith(b"\x00secret"):
                ok, more = echo_off(fd)
                buf += more
                self.assertTrue(ok, buf)
                line = line[len(b"\x00secret"):]
            os.write(fd, line + b"\n")
        buf += read_until(fd, b"\x00never", timeout)
        _, status = os.waitpid(pid, 0)
        os.close(fd)
        return os.waitstatus_to_exitcode(status), buf

    def assert_secret_hidden(self, buf):
        # the script's own expected value (base64 in the script) aside
        buf = buf.replace(base64.b64encode(SECRET.encode()), b"")
        for form in (SECRET.encode(), SECRET.encode("utf-16-le"), SECRET[:8].encode()):
            self.assertNotIn(form, buf)
            for run in decoded_runs(buf):
                self.assertNotIn(form, run)

    def test_read_host_as_secure_string_at_a_terminal(self):
        # -v: the whole protocol on the terminal too; the secret is in
        # neither the echo nor the trace (nor any base64 run of it)
        code, buf = self.pty_run(
            ["-v", "$s = Read-Host -AsSecureString; "
             "[Net.NetworkCredential]::new('', $s).Password -eq %s" % expect(SECRET)],
            [(None, SECRET.encode())])
        self.assertEqual(code, 0, buf[-2000:])
        self.assertIn(b"True\r\n", buf)
        self.assertIn(b"<rsp:Stream Name=\"pr\" CommandId=", buf)  # the trace is there
        self.assert_secret_hidden(buf)

    def test_a_wrong_secret_is_told_apart(self):
        code, buf = self.pty_run(
            ["$s = Read-Host -AsSecureString; "
             "[Net.NetworkCredential]::new('', $s).Password -eq 'other'"],
            [(None, SECRET.encode())])
        self.assertEqual(code, 0, buf)
        self.assertIn(b"False\r\n", buf)
        self.assert_secret_hidden(buf)

    def test_get_credential(self):
        code, buf = self.pty_run(
            ["-v", "$c = Get-Credential; $c.UserName; "
             "$c.GetNetworkCredential().Password -eq %s" % expect(SECRET)],
            [(b"User: ", b"bob"), (b"Password for user bob: ", b"\x00secret" + SECRET.encode())])
        self.assertEqual(code, 0, buf[-2000:])
        self.assertIn(b"PowerShell credential request\r\nEnter your credentials.\r\n", buf)
        self.assertIn(b"bob\r\nTrue\r\n", buf)
        self.assert_secret_hidden(buf)

    def test_prompt_for_credential_with_a_user_name(self):
        code, buf = self.pty_run(
            ["$c = $Host.UI.PromptForCredential('Login','For the share','carol',''); "
             "$c.UserName; $c.GetNetworkCredential().Password -eq %s" % expect(SECRET)],
            [(b"Password for user carol: ", b"\x00secret" + SECRET.encode())])
        self.assertEqual(code, 0, buf)
        self.assertNotIn(b"User: ", buf)
        self.assertIn(b"carol\r\nTrue\r\n", buf)
        self.assert_secret_hidden(buf)

    def test_prompt_with_a_secure_string_field(self):
        code, buf = self.pty_run(
            ["$Host.UI.Prompt('Account','Details please',@('User','Pin:SecureString')); "
             "[Net.NetworkCredential]::new('', $pin).Password -eq %s" % expect(SECRET)],
            [(b"User: ", b"dave"), (b"Pin: ", b"\x00secret" + SECRET.encode())])
        self.assertEqual(code, 0, buf)
        self.assertIn(b"User=dave\r\nPin=System.Security.SecureString\r\nTrue\r\n", buf)
        self.assert_secret_hidden(buf)

    def test_a_secret_too_long_is_refused_not_cut(self):
        # CONFIG_WRSH_PSRP_SECRET_MAX is 256 in the full profile
        code, buf = self.pty_run(["Read-Host -AsSecureString; 'after'"], [(None, b"x" * 300)])
        self.assertEqual(code, 1, buf)
        self.assertIn(b"wrsh: a secret longer than CONFIG_WRSH_PSRP_SECRET_MAX bytes", buf)
        self.assertIn(b"after\r\n", buf)

    def test_refused_without_a_terminal(self):
        for script, cmdlet in (("Read-Host -AsSecureString", b"[Read-Host]"),
                               ("Get-Credential", b"[Get-Credential]"),
                               ("$Host.UI.Prompt('c','m',@('User','Pin:SecureString'))",
                                b"MethodInvocationException")):
            r = self.ps(script + "; 'after'", stdin=SECRET.encode() + b"\n")
            self.assertEqual((r.returncode, r.stdout), (1, b"after\n"), r.stderr)
            self.assertIn(b"wrsh: a secure prompt needs a terminal (stdin is not one)", r.stderr)
            self.assertIn(cmdlet, r.stderr)

    def test_secure_string_in_output(self):
        script = "ConvertTo-SecureString 'hidden' -AsPlainText -Force; 'next'"
        # formatted remotely (Out-String), and printed by wrsh from the <SS>
        for opt in ((), ("--no-format",)):
            r = self.ps(*opt, script)
            self.assertEqual((r.returncode, r.stdout),
                             (0, b"System.Security.SecureString\nnext\n"), r.stderr)
        r = self.ps("--json", script)
        self.assertEqual((r.returncode, r.stdout), (0, b'{"SecureString":true}\n"next"\n'),
                         r.stderr)

    def test_the_server_asks_for_the_public_key(self):
        # PUBLIC_KEY_REQUEST (MS-PSRP 2.2.2.5): wrsh makes its key pair,
        # sends PUBLIC_KEY on the pool's stdin and waits for the session key
        r = self.ps("-v", "Request-PublicKey; 'exchanged'")
        self.assertEqual((r.returncode, r.stdout), (0, b"exchanged\n"), r.stderr[-2000:])
        self.assertIn(b'<rsp:Stream Name="stdin">', r.stderr)  # no CommandId: the pool's


if __name__ == "__main__":
    unittest.main()
