"""The endpoint's Kerberos, proven with what this project did not write: a
realm of MIT's own (kdc.py: krb5kdc, kdb5_util, kadmin.local), tickets from
MIT's kinit, python3-winrm over requests-kerberos as the client over HTTPS,
and MIT's GSSAPI initiator (python3-gssapi) for what pywinrm cannot do on
Debian: sealed bodies over HTTP (its pykerberos lacks the WinRM wrap) and
channel bindings. The acceptor is MIT's too; the framing around the wrap
tokens is MS-WSMV 2.2.9.1.1's."""
import base64
import hashlib
import http.client
import os
import re
import shutil
import ssl
import tempfile
import unittest

import kdc
import negotiate
from test_endpoint import NS_SHELL, Endpoint, envelope

SPNEGO = "1.3.6.1.5.5.2"


def soap_headers(extra=None):
    h = {"Content-Type": "application/soap+xml;charset=UTF-8"}
    h.update(extra or {})
    return h


@unittest.skipUnless(shutil.which("krb5kdc") and shutil.which("kinit"),
                     "MIT Kerberos missing (scripts/bootstrap.sh check installs krb5-kdc)")
class KerberosTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.realm = kdc.Realm()
        os.environ.update(cls.realm.env())
        cls.realm.kinit("alice")
        cls.ep = Endpoint("--kerberos", cls.realm.dir)
        negotiate.setup([], tempfile.mkdtemp(prefix="wrsh-krbt-"), cls.realm.dir)
        cls.gssapi = negotiate._gssapi

    @classmethod
    def tearDownClass(cls):
        cls.ep.stop()
        cls.realm.stop()

    def http(self):
        c = http.client.HTTPConnection("localhost", self.ep.info["http_port"], timeout=20)
        self.addCleanup(c.close)
        return c

    def initiator(self, mech=SPNEGO, bindings=None):
        g = self.gssapi
        return g.SecurityContext(name=g.Name("HTTP@localhost", g.NameType.hostbased_service),
                                 usage="initiate", mech=g.OID.from_int_seq(mech),
                                 flags=[g.RequirementFlag.mutual_authentication,
                                        g.RequirementFlag.confidentiality,
                                        g.RequirementFlag.integrity],
                                 channel_bindings=bindings)

    def login(self, c, scheme, ctx):
        """The handshake on an empty POST, as clients that seal do first:
        one leg, the AP-REP back for mutual authentication."""
        c.request("POST", "/wsman", b"", soap_headers(
            {"Authorization": scheme + " " + base64.b64encode(ctx.step()).decode()}))
        r = c.getresponse()
        r.read()
        return r

    def sealed(self, c, side, body):
        c.request("POST", "/wsman", negotiate.encrypt(side, body),
                  {"Content-Type": side.content_type()})
        r = c.getresponse()
        data = r.read()
        self.assertEqual(r.status, 200, data[:300])
        self.assertTrue(negotiate.is_encrypted(r.getheader("Content-Type")))
        return negotiate.decrypt(side, data)

    def run_sealed(self, scheme, mech):
        c = self.http()
        ctx = self.initiator(mech)
        r = self.login(c, scheme, ctx)
        self.assertEqual(r.status, 200)
        offer = r.getheader("WWW-Authenticate")
        self.assertTrue(offer.startswith(scheme + " "), offer)
        ctx.step(base64.b64decode(offer.split(" ", 1)[1]))  # MIT checks the AP-REP
        self.assertTrue(ctx.complete)
        side = negotiate.Acceptor()  # the framing, around the initiator's context
        side.ctx, side.scheme = ctx, scheme
        self.assertTrue(side.kerberos())
        b = self.sealed(c, side, envelope("http://schemas.xmlsoap.org/ws/2004/09/transfer/Create",
                                          "<rsp:Shell><rsp:InputStreams>stdin</rsp:InputStreams>"
                                          "<rsp:OutputStreams>stdout stderr</rsp:OutputStreams>"
                                          "</rsp:Shell>"))
        sid = re.search(rb"<rsp:ShellId>([^<]+)<", b).group(1).decode()
        b = self.sealed(c, side, envelope(NS_SHELL + "/Command", "<rsp:CommandLine><rsp:Command>"
                                          "echo sealed</rsp:Command></rsp:CommandLine>", sid))
        cid = re.search(rb"<rsp:CommandId>([^<]+)<", b).group(1).decode()
        out = b""
        while b"<rsp:ExitCode>" not in b:
            b = self.sealed(c, side, envelope(NS_SHELL + "/Receive", '<rsp:Receive><rsp:DesiredStream '
                                              'CommandId="%s">stdout</rsp:DesiredStream></rsp:Receive>'
                                              % cid, sid))
            for m in re.finditer(rb'<rsp:Stream Name="stdout"[^>]*>([^<]*)<', b):
                out += base64.b64decode(m.group(1))
        self.sealed(c, side, envelope("http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete", "",
                                      sid))
        return out

    def test_pywinrm_over_https(self):
        import winrm.protocol
        p = winrm.protocol.Protocol(endpoint="https://localhost:%d/wsman" % self.ep.info["https_port"],
                                    transport="kerberos", username="alice@" + kdc.REALM,
                                    password="unused: the ticket from kinit",
                                    server_cert_validation="validate",
                                    ca_trust_path=self.ep.info["cert"])
        sid = p.open_shell()
        cid = p.run_command(sid, "whoami")
        out, _, code = p.get_command_output(sid, cid)
        p.cleanup_command(sid, cid)
        p.close_shell(sid)
        self.assertEqual((out, code), (b"wrsh-test\\alice\r\n", 0))

    def test_sealed_over_http_inside_negotiate(self):
        self.assertEqual(self.run_sealed("Negotiate", SPNEGO), b"sealed\r\n")

    def test_sealed_over_http_under_the_kerberos_scheme(self):
        self.assertEqual(self.run_sealed("Kerberos", negotiate.KRB5_OID), b"sealed\r\n")

    def test_plain_body_refused_over_http(self):
        c = self.http()
        ctx = self.initiator()
        c.request("POST", "/wsman", envelope("http://schemas.xmlsoap.org/ws/2004/09/transfer/Create",
                                             "<rsp:Shell/>"),
                  soap_headers({"Authorization": "Negotiate " +
                                base64.b64encode(ctx.step()).decode()}))
        r = c.getresponse()
        r.read()
        self.assertEqual(r.status, 401)  # AllowUnencrypted=false

    def https(self):
        ctx = ssl.create_default_context(cafile=self.ep.info["cert"])
        c = http.client.HTTPSConnection("localhost", self.ep.info["https_port"], timeout=20,
                                        context=ctx)
        c.connect()
        self.addCleanup(c.close)
        return c, c.sock.getpeercert(binary_form=True)

    def test_channel_bindings_over_https(self):
        g = self.gssapi
        c, der = self.https()
        good = g.raw.ChannelBindings(application_data=b"tls-server-end-point:" +
                                     hashlib.sha256(der).digest())
        self.assertEqual(self.login(c, "Kerberos", self.initiator(negotiate.KRB5_OID, good)).status,
                         200)
        c, der = self.https()
        other = g.raw.ChannelBindings(application_data=b"tls-server-end-point:" + bytes(32))
        self.assertEqual(self.login(c, "Kerberos", self.initiator(negotiate.KRB5_OID, other)).status,
                         401)

    def test_401_offers_negotiate_then_kerberos(self):
        c = self.http()
        c.request("POST", "/wsman", b"<x/>", soap_headers())
        r = c.getresponse()
        r.read()
        self.assertEqual(r.status, 401)
        self.assertEqual([v for k, v in r.getheaders() if k.lower() == "www-authenticate"],
                         ["Negotiate", "Kerberos"])


if __name__ == "__main__":
    unittest.main()
