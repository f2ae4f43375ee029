"""wrsh against the test endpoint in its --strict-omi mode, which reads and
answers as Microsoft's OMI (an independently written WS-Man server) does
where OMI differs from Windows (issue 12): sealed part headers matched only
at the start of a line, IdentifyResponse in the SOAP envelope's namespace,
no shell provider (a shell Create gets a 500 with an empty body).
"""
import os
import subprocess
import unittest

from test_cli import WRSH, Base, Endpoint, PASSWORD, tls_built


class OmiTest(Base):
    extra_endpoint_args = ["--strict-omi", "--user", "WRSH\\alice:" + PASSWORD]

    @classmethod
    def setUpClass(cls):
        cls.ep = Endpoint.shared(*cls.extra_endpoint_args)  # Basic (HTTPS only) and Negotiate

    def sealed(self, *args):
        return ["-H", "127.0.0.1", "-p", str(self.ep.http), "-u", "alice", *args]

    def run_ok(self, *args):
        r = self.wrsh(*args)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr, b"")
        return r

    def one_error(self, r, says):
        self.assertEqual(r.returncode, 255, r.stderr)
        self.assertEqual(r.stderr.decode().strip().splitlines(), ["wrsh: " + says])

    @unittest.skipUnless(tls_built(), "no TLS in this build")
    def test_identify_over_https(self):
        for creds in ((), ("-a", "basic", "-u", "alice")):
            r = self.run_ok("identify", "-H", "localhost", "-p", str(self.ep.https), "--https",
                            "--cacert", self.ep.info["cert"], *creds)
            self.assertIn(b"ProductVendor: Microsoft\n", r.stdout)
            self.assertIn(b"ProtocolVersion: http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\n",
                          r.stdout)

    def test_identify_over_sealed_http(self):
        before = self.ep.state()["sealed_requests"]
        r = self.run_ok("identify", *self.sealed())
        self.assertIn(b"ProductVersion: 1.6.8-1\n", r.stdout)
        self.assertEqual(self.ep.state()["sealed_requests"] - before, 1)
        self.assertEqual(self.ep.state()["undecryptable"], 0)

    @unittest.skipIf(os.path.exists(WRSH) and b"unknown applet" in subprocess.run([WRSH, "cim"], capture_output=True).stderr,
                     "wrsh built without the cim applet (PROFILE=tiny)")
    def test_cim_over_sealed_http(self):
        before = self.ep.state()["sealed_requests"]
        r = self.run_ok("cim", "get", *self.sealed("winrm/config"))
        self.assertIn(b"MaxEnvelopeSizekb", r.stdout)
        self.assertEqual(self.ep.state()["sealed_requests"] - before, 1)
        self.assertEqual(self.ep.state()["undecryptable"], 0)

    def test_cmd_reports_the_http_status(self):
        self.one_error(self.wrsh("cmd", *self.sealed("echo", "x")),
                       "http: 500 Internal Server Error with an empty body")
        if tls_built():
            self.one_error(self.wrsh("cmd", *self.https("echo", "x")),
                           "http: 500 Internal Server Error with an empty body")
        self.assertEqual(self.ep.state()["undecryptable"], 0)


if __name__ == "__main__":
    unittest.main()
