"""wrsh -a certificate (MS-WSMV 2.2.9.1.2): a TLS client certificate that the
endpoint maps to a user by the UPN in its subjectAltName, as a WinRM
certificate mapping does. Windows keeps Service/Auth/Certificate off by
default; the endpoint turns it on with --certificate."""
import os
import tempfile
import unittest

from test_cli import Base, Endpoint, WRSH, tls_built


@unittest.skipUnless(os.path.exists(WRSH) and tls_built(), "wrsh built without TLS")
class CertTest(Base):
    extra_endpoint_args = ["--certificate"]

    @classmethod
    def setUpClass(cls):
        cls.ep = Endpoint.shared(*cls.extra_endpoint_args, basic=False)

    def tls(self, who, *args, key=None):
        i = self.ep.info
        return ["-H", "localhost", "-p", str(self.ep.https), "--https", "--cacert", i["cert"],
                "--cert", i[who + "_cert"], "--key", key or i[who + "_key"], *args]

    def test_mapped_certificate_runs(self):
        r = self.wrsh("cmd", "--stats", *self.tls("alice", "echo", "by certificate"),
                      password=None)
        self.assertEqual((r.returncode, r.stdout), (0, b"by certificate\r\n"), r.stderr)

    def test_unmapped_certificate_is_401(self):
        r = self.wrsh("cmd", *self.tls("nobody", "echo", "x"), password=None)
        self.assertEqual(r.returncode, 255)
        self.assertIn(b"401", r.stderr)

    def test_key_of_another_certificate(self):
        r = self.wrsh("cmd", *self.tls("alice", "echo", "x", key=self.ep.info["nobody_key"]),
                      password=None)
        self.assertEqual(r.returncode, 255)
        self.assertIn(b"does not match", r.stderr)

    def test_encrypted_key_is_named(self):
        from cryptography.hazmat.primitives import serialization
        with open(self.ep.info["alice_key"], "rb") as f:
            key = serialization.load_pem_private_key(f.read(), None)
        with tempfile.NamedTemporaryFile(suffix=".pem") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.BestAvailableEncryption(b"secret")))
            f.flush()
            r = self.wrsh("cmd", *self.tls("alice", "echo", "x", key=f.name), password=None)
        self.assertEqual(r.returncode, 255)
        self.assertIn(b"encrypted key", r.stderr)

    def test_needs_https(self):
        r = self.wrsh("cmd", "-H", "127.0.0.1", "-p", str(self.ep.http), "--cert",
                      self.ep.info["alice_cert"], "echo", "x", password=None)
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"--https", r.stderr)

    def test_negotiate_still_works_beside_it(self):
        r = self.wrsh("cmd", "-H", "localhost", "-p", str(self.ep.https), "--https", "--cacert",
                      self.ep.info["cert"], "-u", "alice", "echo", "ntlm")
        self.assertEqual((r.returncode, r.stdout), (0, b"ntlm\r\n"), r.stderr)


@unittest.skipUnless(os.path.exists(WRSH) and tls_built(), "wrsh built without TLS")
class CertOffTest(Base):
    """Windows' default: certificate authentication is off."""
    extra_endpoint_args = []

    def test_refused_when_the_service_does_not_allow_it(self):
        i = self.ep.info
        r = self.wrsh("cmd", "-H", "localhost", "-p", str(self.ep.https), "--https", "--cacert",
                      i["cert"], "--cert", i["alice_cert"], "--key", i["alice_key"], "echo", "x",
                      password=None)
        self.assertEqual(r.returncode, 255)
        self.assertIn(b"401", r.stderr)


if __name__ == "__main__":
    unittest.main()
