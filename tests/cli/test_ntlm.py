"""wrsh with Negotiate/NTLM against the test endpoint at Windows' defaults:
Basic off, AllowUnencrypted false, so over HTTP every body is sealed
(multipart/encrypted) and over HTTPS the logon is bound to the TLS channel.
The acceptor inside the endpoint is gss-ntlmssp, not our code.
"""
import hashlib
import os
import signal
import subprocess
import tempfile
import time
import unittest

from test_cli import Base, Endpoint, PASSWORD, WRSH, stat, tls_built, wait_output

BOB_PASSWORD = "Grüße-€-日本"


def nt_hash(pw):
    # MD4 of UTF-16LE (MS-NLMP 3.3.1); hashlib's md4 may be gone with OpenSSL 3
    try:
        return hashlib.new("md4", pw.encode("utf-16le")).hexdigest()
    except ValueError:
        from Cryptodome.Hash import MD4
        return MD4.new(pw.encode("utf-16le")).hexdigest()


class NtlmTest(Base):
    extra_endpoint_args = ["--operation-timeout-cap", "2", "--user", "WRSH\\alice:" + PASSWORD,
                           "--user", "WRSH\\bob:" + BOB_PASSWORD,
                           "--user", "WRSH\\carol:" + PASSWORD, "--no-rights", "carol"]

    @classmethod
    def setUpClass(cls):
        cls.ep = Endpoint.shared(*cls.extra_endpoint_args, basic=False)

    def neg(self, *args, user="alice"):
        return ["-H", "127.0.0.1", "-p", str(self.ep.http), "-u", user, *args]

    def test_default_is_negotiate_sealed(self):
        before = self.ep.state()["sealed_requests"]
        r = self.wrsh("cmd", "--stats", *self.neg("echo", "sealed"))
        self.assertEqual((r.returncode, r.stdout), (0, b"sealed\r\n"), r.stderr)
        # the empty NEGOTIATE POST, then create (with AUTHENTICATE), command,
        # send, receive, delete: all five sealed
        self.assertEqual(stat(r.stderr, "requests"), 6)
        self.assertEqual(self.ep.state()["sealed_requests"] - before, 5)

    def test_user_spellings(self):
        for user in ("alice", "WRSH\\alice", "WRSH\\ALICE", ".\\alice", "alice@WRSH"):
            r = self.wrsh("cmd", *self.neg("echo", "x", user=user))
            self.assertEqual((r.returncode, r.stdout), (0, b"x\r\n"), (user, r.stderr))

    def test_non_ascii_password(self):
        r = self.wrsh("cmd", *self.neg("echo", "bob", user="bob"), password=BOB_PASSWORD)
        self.assertEqual((r.returncode, r.stdout), (0, b"bob\r\n"), r.stderr)

    def test_nt_hash_instead_of_password(self):
        with tempfile.NamedTemporaryFile("w") as f:
            f.write(nt_hash(BOB_PASSWORD) + "\n")
            f.flush()
            r = self.wrsh("cmd", "--nt-hash-file", f.name, *self.neg("echo", "h", user="bob"),
                          password=None)
        self.assertEqual((r.returncode, r.stdout), (0, b"h\r\n"), r.stderr)
        r = self.wrsh("cmd", *self.neg("echo", "h"), password=None,
                      env={"WRSH_NT_HASH": nt_hash(PASSWORD)})
        self.assertEqual((r.returncode, r.stdout), (0, b"h\r\n"), r.stderr)
        r = self.wrsh("cmd", *self.neg("echo", "h"), password=None,
                      env={"WRSH_NT_HASH": "not-a-hash"})
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"32 hex digits", r.stderr)

    def test_wrong_password_is_401(self):
        r = self.wrsh("cmd", *self.neg("echo", "x"), password="wrong")
        self.assertEqual(r.returncode, 255)
        self.assertIn(b"401", r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)

    def test_account_without_winrm_rights(self):
        r = self.wrsh("cmd", *self.neg("echo", "x", user="carol"))
        self.assertEqual(r.returncode, 255)
        self.assertIn(b"Access is denied", r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)

    def test_basic_is_off_like_windows(self):
        r = self.wrsh("cmd", "-a", "basic", "--allow-unencrypted", *self.neg("echo", "x"))
        self.assertEqual(r.returncode, 255)
        self.assertIn(b"401", r.stderr)

    def test_exit_code_stderr_stdin(self):
        r = self.wrsh("cmd", *self.neg("nosuchcommand"))
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"is not recognized", r.stderr)
        data = b"".join(b"%06d sealed line\r\n" % i for i in range(5000))
        r = self.wrsh("cmd", *self.neg("more"), stdin=data)
        self.assertEqual((r.returncode, r.stdout), (0, data), r.stderr[-300:])

    def test_large_output_memory_flat(self):
        r1 = self.wrsh("cmd", "--stats", *self.neg("echo", "hi"))
        r20 = self.wrsh("cmd", "--stats", *self.neg("bigout", "20"), timeout=300)
        self.assertEqual(r20.returncode, 0, r20.stderr[-500:])
        self.assertEqual(len(r20.stdout), 20 * 1024 * 1024)
        # a sealed answer is held whole to verify it, within MaxEnvelopeSize
        self.assertLessEqual(stat(r20.stderr, "arena_peak"), stat(r1.stderr, "arena_peak") * 1.10)

    def test_envelope_trades_arena_for_requests(self):
        small = self.wrsh("cmd", "--stats", *self.neg("bigout", "2"), timeout=120)
        big = self.wrsh("cmd", "--stats", "--envelope", "153600", "--mem", "262144",
                        *self.neg("bigout", "2"), timeout=120)
        for r in (small, big):
            self.assertEqual((r.returncode, len(r.stdout)), (0, 2 * 1024 * 1024), r.stderr[-300:])
        # each answer is held whole: 32 KB envelopes need over 4x the Receives
        # of 150 KB ones, which cost their size in arena
        self.assertLess(stat(big.stderr, "requests") * 4, stat(small.stderr, "requests"))
        self.assertGreater(stat(big.stderr, "arena_peak"), stat(small.stderr, "arena_peak") + 120000)
        # the arena must hold it: said before a byte is sent
        r = self.wrsh("cmd", "--envelope", "153600", "--mem", "65536", *self.neg("echo", "x"))
        self.assertEqual(r.returncode, 255)
        self.assertIn(b"arena too small", r.stderr)
        r = self.wrsh("cmd", "--envelope", "4096", *self.neg("echo", "x"))
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"envelope", r.stderr)

    def test_operation_timeouts_keep_the_session(self):
        # Receives time out (cap 2 s) and poll again on the same NTLM session
        r = self.wrsh("cmd", *self.neg("timeout", "/t", "5", "&&", "echo", "after"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.endswith(b"after\r\n"), r.stdout)

    def test_ctrl_c_sealed(self):
        p = subprocess.Popen([WRSH, "cmd", *self.neg("ping", "-t", "127.0.0.1")],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env={**os.environ, "WRSH_PASSWORD": PASSWORD})
        wait_output(p.stdout, b"Reply from", 10)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=30)
        self.assertIn(b"Control-C", out + err)
        self.assertIn(p.returncode, (130, 254), err)

    def test_trace_shows_no_secrets(self):
        r = self.wrsh("cmd", "-v", *self.neg("echo", "traced"))
        self.assertEqual(r.returncode, 0, r.stderr[-300:])
        if b"tracing is not built" in r.stderr:
            self.skipTest("built without the trace hook")
        self.assertNotIn(PASSWORD.encode(), r.stderr)
        self.assertNotIn(nt_hash(PASSWORD).encode(), r.stderr.lower())
        self.assertIn(b"sealed body", r.stderr)  # the trace shows plaintext, not ciphertext

    def test_anonymous_identify_still_works(self):
        r = self.wrsh("identify", "-H", "127.0.0.1", "-p", str(self.ep.http), password=None)
        self.assertEqual(r.returncode, 0, r.stderr)


@unittest.skipUnless(os.path.exists(WRSH) and tls_built(), "wrsh built without TLS")
class NtlmHttpsTest(Base):
    """Extended Protection set to Strict: the NTLM logon must carry the
    tls-server-end-point binding of the channel it came over."""
    extra_endpoint_args = ["--cbt", "strict"]

    @classmethod
    def setUpClass(cls):
        cls.ep = Endpoint.shared(*cls.extra_endpoint_args, basic=False)

    def tls(self, *args):
        return ["-H", "localhost", "-p", str(self.ep.https), "--https", "--cacert",
                self.ep.info["cert"], "-u", "WRSH\\alice", *args]

    def test_channel_binding_strict(self):
        r = self.wrsh("cmd", *self.tls("echo", "bound"))
        self.assertEqual((r.returncode, r.stdout), (0, b"bound\r\n"), r.stderr)

    def test_sealed_inside_tls_on_request(self):
        r = self.wrsh("cmd", "--seal-https", *self.tls("echo", "twice"))
        self.assertEqual((r.returncode, r.stdout), (0, b"twice\r\n"), r.stderr)

    def test_large_output(self):
        r = self.wrsh("cmd", "--stats", *self.tls("bigout", "5"), timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr[-300:])
        self.assertEqual(len(r.stdout), 5 * 1024 * 1024)

    def test_plain_http_without_sealing_is_refused_by_server(self):
        r = self.wrsh("cmd", "-H", "127.0.0.1", "-p", str(self.ep.http), "-u", "alice", "-a",
                      "basic", "--allow-unencrypted", "echo", "x")
        self.assertEqual(r.returncode, 255)


class NoNegotiateTest(Base):
    """A server that offers only Basic: the default auth says so clearly."""
    extra_endpoint_args = ["--no-negotiate", "--allow-unencrypted"]

    def test_clear_error(self):
        r = self.wrsh("cmd", "-H", "127.0.0.1", "-p", str(self.ep.http), "-u", "alice", "echo",
                      "x")
        self.assertEqual(r.returncode, 255)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertIn(b"Negotiate", r.stderr)


if __name__ == "__main__":
    unittest.main()
