"""The test endpoint proven with clients wrsh did not write: python3-winrm
(Debian's pywinrm 0.3) for the WinRS flow, and raw http.client requests for
what pywinrm cannot send. If these pass, the endpoint behaves the way an
independent WinRM client expects a Windows host to behave."""
import base64
import http.client
import json
import os
import re
import ssl
import subprocess
import tempfile
import time
import unittest
import urllib.request
import uuid

import winrm.exceptions
import winrm.protocol

HERE = os.path.dirname(os.path.abspath(__file__))
USER, PASSWORD = "alice", "Passw0rd!"
NS_SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"


class Endpoint:
    def __init__(self, *args):
        self.dir = tempfile.mkdtemp(prefix="wrsh-ept-")
        ready = os.path.join(self.dir, "ready.json")
        with open(os.path.join(self.dir, "log"), "w") as log:
            self.proc = subprocess.Popen(["/usr/bin/python3", os.path.join(HERE, "winrm_endpoint.py"),
                                          "--ready-file", ready, "--state-dir", self.dir, *args],
                                         stdout=subprocess.DEVNULL, stderr=log)
        for _ in range(200):
            if os.path.exists(ready):
                with open(ready) as f:
                    self.info = json.load(f)
                break
            time.sleep(0.05)
        else:
            raise RuntimeError("endpoint not ready")

    def url(self, tls=False, host="127.0.0.1"):
        h = "[%s]" % host if ":" in host else host
        return "%s://%s:%d/wsman" % ("https" if tls else "http", h,
                                      self.info["https_port" if tls else "http_port"])

    def state(self):
        with urllib.request.urlopen("http://127.0.0.1:%d/wrsh-test/state" % self.info["http_port"]) as r:
            return json.load(r)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def proto(ep, tls=False, host="127.0.0.1"):
    # verified against the endpoint's own certificate (an ambient
    # REQUESTS_CA_BUNDLE would override "ignore" anyway)
    return winrm.protocol.Protocol(endpoint=ep.url(tls, host), transport="ssl" if tls else "plaintext",
                                   username=USER, password=PASSWORD,
                                   server_cert_validation="validate", ca_trust_path=ep.info["cert"])


def run(p, command, args=(), **shell):
    sid = p.open_shell(**shell)
    cid = p.run_command(sid, command, list(args))
    out, err, code = p.get_command_output(sid, cid)
    p.cleanup_command(sid, cid)
    p.close_shell(sid)
    return out, err, code


def envelope(action, body, shell_id=None, extra_header=""):
    sel = ('<w:SelectorSet><w:Selector Name="ShellId">%s</w:Selector></w:SelectorSet>' % shell_id
           if shell_id else "")
    return ('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
            'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
            'xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:rsp="%s"><s:Header>'
            '<a:Action s:mustUnderstand="true">%s</a:Action><a:MessageID>uuid:%s</a:MessageID>'
            '<w:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd'
            '</w:ResourceURI><w:OperationTimeout>PT20S</w:OperationTimeout>%s%s</s:Header>'
            '<s:Body>%s</s:Body></s:Envelope>' % (NS_SHELL, action, str(uuid.uuid4()).upper(),
                                                   sel, extra_header, body)).encode()


BASIC = "Basic " + base64.b64encode(("%s:%s" % (USER, PASSWORD)).encode()).decode()


class PywinrmTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ep = Endpoint("--basic", "--allow-unencrypted", "--operation-timeout-cap", "1",
                          "--max-shells-per-user", "3")

    @classmethod
    def tearDownClass(cls):
        cls.ep.stop()

    def tearDown(self):
        self.assertEqual(self.ep.state()["shells"], [])

    def test_echo_over_http_and_https(self):
        for tls in (False, True):
            out, err, code = run(proto(self.ep, tls), "echo", ["hi"], codepage=65001)
            self.assertEqual((out, err, code), (b"hi\r\n", b"", 0))

    def test_ipv6(self):
        out, _, code = run(proto(self.ep, host="::1"), "echo six")
        self.assertEqual((out, code), (b"six\r\n", 0))

    def test_exit_code_and_stderr(self):
        self.assertEqual(run(proto(self.ep), "exit /b 7")[2], 7)
        out, err, code = run(proto(self.ep), "nosuch")
        self.assertEqual(code, 1)
        self.assertIn(b"'nosuch' is not recognized", err)

    def test_cmd_c_prefix_and_chains(self):
        out, _, code = run(proto(self.ep), "cmd.exe", ["/c", "echo", "a", "&&", "echo", "b"])
        self.assertEqual((out, code), (b"a\r\nb\r\n", 0))

    def test_bigout_is_split_by_max_envelope(self):
        out, _, code = run(proto(self.ep), "bigout", ["1"])
        self.assertEqual((len(out), code), (1024 * 1024, 0))
        self.assertTrue(out.startswith(b"0123456789"))

    def test_environment_and_workdir(self):
        out, _, _ = run(proto(self.ep), "set WRSH", env_vars={"WRSH_X": "y z"})
        self.assertEqual(out, b"WRSH_X=y z\r\n")
        out, _, _ = run(proto(self.ep), "cd", working_directory="C:\\Temp")
        self.assertEqual(out, b"C:\\Temp\r\n")

    def test_codepages(self):
        utf8 = run(proto(self.ep), "unicode", codepage=65001)[0]
        cp437 = run(proto(self.ep), "unicode", codepage=437)[0]
        self.assertEqual(utf8.decode("utf-8"), "Grüße ‹wrsh› — 日本語 ✓\r\n")
        self.assertEqual(cp437, "Grüße ‹wrsh› — 日本語 ✓\r\n".encode("cp437", "replace"))

    def test_operation_timeout_fault_then_output(self):
        p = proto(self.ep)
        sid = p.open_shell()
        cid = p.run_command(sid, "timeout /t 2 && echo later")
        with self.assertRaises(winrm.exceptions.WinRMOperationTimeoutError):
            p._raw_get_command_output(sid, cid)
        out, _, code = p.get_command_output(sid, cid)
        self.assertTrue(out.endswith(b"later\r\n"))
        p.cleanup_command(sid, cid)
        p.close_shell(sid)

    def test_quota(self):
        p = proto(self.ep)
        ids = [p.open_shell() for _ in range(3)]
        with self.assertRaises(winrm.exceptions.WinRMError) as cm:
            p.open_shell()
        self.assertIn("QuotaLimit", str(cm.exception))
        self.assertIn("2150859173", str(cm.exception))
        for i in ids:
            p.close_shell(i)

    def test_invalid_selectors(self):
        with self.assertRaises(winrm.exceptions.WinRMError) as cm:
            proto(self.ep).close_shell("00000000-0000-0000-0000-000000000000")
        self.assertIn("InvalidSelectors", str(cm.exception))
        self.assertIn("2150858843", str(cm.exception))

    def test_wrong_password(self):
        p = winrm.protocol.Protocol(endpoint=self.ep.url(), transport="plaintext", username=USER,
                                    password="nope")
        with self.assertRaises(winrm.exceptions.InvalidCredentialsError):
            p.open_shell()


class RawTest(unittest.TestCase):
    """What pywinrm cannot do: stdin, signals, Identify, the 401 shape,
    request limits, chunked bodies, keep-alive, abandoned Receives."""

    @classmethod
    def setUpClass(cls):
        cls.ep = Endpoint("--basic", "--allow-unencrypted", "--operation-timeout-cap", "1",
                          "--max-envelope-kb", "16")

    @classmethod
    def tearDownClass(cls):
        cls.ep.stop()

    def conn(self):
        return http.client.HTTPConnection("127.0.0.1", self.ep.info["http_port"], timeout=10)

    def post(self, c, body, auth=True, extra=None):
        h = {"Content-Type": "application/soap+xml;charset=UTF-8"}
        if auth:
            h["Authorization"] = BASIC
        h.update(extra or {})
        c.request("POST", "/wsman", body, h)
        r = c.getresponse()
        return r.status, r.getheaders(), r.read()

    def shell(self, c):
        s, _, b = self.post(c, envelope("http://schemas.xmlsoap.org/ws/2004/09/transfer/Create",
                                        "<rsp:Shell><rsp:InputStreams>stdin</rsp:InputStreams>"
                                        "<rsp:OutputStreams>stdout stderr</rsp:OutputStreams>"
                                        "</rsp:Shell>"))
        self.assertEqual(s, 200)
        return re.search(rb"<rsp:ShellId>([^<]+)<", b).group(1).decode()

    def command(self, c, sid, line):
        s, _, b = self.post(c, envelope(NS_SHELL + "/Command", "<rsp:CommandLine><rsp:Command>%s"
                                        "</rsp:Command></rsp:CommandLine>" % line, sid))
        self.assertEqual(s, 200)
        return re.search(rb"<rsp:CommandId>([^<]+)<", b).group(1).decode()

    def receive_all(self, c, sid, cid):
        out = b""
        while True:
            s, _, b = self.post(c, envelope(NS_SHELL + "/Receive", '<rsp:Receive><rsp:DesiredStream '
                                            'CommandId="%s">stdout stderr</rsp:DesiredStream>'
                                            '</rsp:Receive>' % cid, sid))
            if s == 500 and b"w:TimedOut" in b:
                continue
            self.assertEqual(s, 200, b)
            for m in re.finditer(rb'<rsp:Stream Name="stdout"[^>]*>([^<]*)<', b):
                out += base64.b64decode(m.group(1))
            m = re.search(rb"<rsp:ExitCode>(\d+)<", b)
            if m:
                return out, int(m.group(1))

    def delete(self, c, sid):
        s, _, _ = self.post(c, envelope("http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete", "",
                                        sid))
        self.assertEqual(s, 200)

    def test_identify_unauthenticated(self):
        c = self.conn()
        s, h, b = self.post(c, b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
                               b'xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/'
                               b'wsmanidentity.xsd"><s:Header/><s:Body><wsmid:Identify/></s:Body>'
                               b'</s:Envelope>', auth=False, extra={"WSMANIDENTIFY": "unauthenticated"})
        self.assertEqual(s, 200)
        self.assertIn(b"<wsmid:ProductVendor>Microsoft Corporation</wsmid:ProductVendor>", b)
        self.assertNotIn(b"SecurityProfiles", b)

    def test_401_offers_negotiate_and_basic(self):
        s, h, b = self.post(self.conn(), envelope("x", ""), auth=False)
        self.assertEqual(s, 401)
        offers = [v for k, v in h if k.lower() == "www-authenticate"]
        self.assertEqual(offers, ["Negotiate", 'Basic realm="WSMAN"'])
        self.assertEqual(b, b"")
        self.assertIn(("Server", "Microsoft-HTTPAPI/2.0"), h)

    def test_stdin_and_keepalive(self):
        c = self.conn()
        sid = self.shell(c)
        cid = self.command(c, sid, "more")
        s, _, _ = self.post(c, envelope(NS_SHELL + "/Send", '<rsp:Send><rsp:Stream Name="stdin" '
                                        'CommandId="%s" End="true">%s</rsp:Stream></rsp:Send>' % (
                                            cid, base64.b64encode(b"abc\r\n").decode()), sid))
        self.assertEqual(s, 200)
        self.assertEqual(self.receive_all(c, sid, cid), (b"abc\r\n", 0))
        self.delete(c, sid)  # all of it on one kept-alive connection

    def test_ctrl_c_signal(self):
        c = self.conn()
        sid = self.shell(c)
        cid = self.command(c, sid, "ping -t 127.0.0.1")
        time.sleep(0.5)
        s, _, b = self.post(c, envelope(NS_SHELL + "/Signal", '<rsp:Signal CommandId="%s"><rsp:Code>'
                                        '%s/signal/ctrl_c</rsp:Code></rsp:Signal>' % (cid, NS_SHELL),
                                        sid))
        self.assertEqual(s, 200)
        self.assertIn(b"SignalResponse", b)
        out, code = self.receive_all(c, sid, cid)
        self.assertIn(b"Control-C", out)
        self.assertEqual(code, 0xC000013A)
        self.delete(c, sid)

    def test_request_above_max_envelope(self):
        big = envelope(NS_SHELL + "/Command", "<rsp:CommandLine><rsp:Command>%s</rsp:Command>"
                       "</rsp:CommandLine>" % ("x" * 20000), "X")
        s, _, b = self.post(self.conn(), big)
        self.assertEqual(s, 500)
        self.assertIn(b"w:EncodingLimit", b)

    def test_response_fits_max_envelope(self):
        c = self.conn()
        sid = self.shell(c)
        cid = self.command(c, sid, "bigout 0.2")
        body = envelope(NS_SHELL + "/Receive", '<rsp:Receive><rsp:DesiredStream CommandId="%s">'
                        'stdout stderr</rsp:DesiredStream></rsp:Receive>' % cid, sid,
                        "<w:MaxEnvelopeSize>8192</w:MaxEnvelopeSize>")
        s, _, b = self.post(c, body)
        self.assertEqual(s, 200)
        self.assertLessEqual(len(b), 8192)
        self.delete(c, sid)

    def test_abandoned_receive_keeps_output(self):
        c = self.conn()
        sid = self.shell(c)
        cid = self.command(c, sid, "timeout /t 1 &amp;&amp; echo kept")
        # a Receive whose client goes away before the output exists
        raw = self.conn()
        body = envelope(NS_SHELL + "/Receive", '<rsp:Receive><rsp:DesiredStream CommandId="%s">'
                        'stdout stderr</rsp:DesiredStream></rsp:Receive>' % cid, sid)
        raw.request("POST", "/wsman", body, {"Authorization": BASIC,
                                             "Content-Type": "application/soap+xml"})
        time.sleep(0.2)
        raw.sock.close()
        time.sleep(1.5)
        out, code = self.receive_all(c, sid, cid)
        self.assertEqual((out.split(b"\r\n")[-2], code), (b"kept", 0))
        self.delete(c, sid)

    def test_basic_refused_over_http_without_allow_unencrypted(self):
        ep = Endpoint("--basic")
        try:
            c = http.client.HTTPConnection("127.0.0.1", ep.info["http_port"], timeout=10)
            s, h, _ = self.post(c, envelope("http://schemas.xmlsoap.org/ws/2004/09/transfer/Create",
                                            "<rsp:Shell/>"))
            self.assertEqual(s, 401)
            self.assertEqual([v for k, v in h if k.lower() == "www-authenticate"], ["Negotiate"])
            # over HTTPS the same credentials work
            t = http.client.HTTPSConnection("127.0.0.1", ep.info["https_port"], timeout=10,
                                            context=ssl._create_unverified_context())
            s, _, b = self.post(t, envelope("http://schemas.xmlsoap.org/ws/2004/09/transfer/Create",
                                            "<rsp:Shell/>"))
            self.assertEqual(s, 200)
            sid = re.search(rb"<rsp:ShellId>([^<]+)<", b).group(1).decode()
            self.post(t, envelope("http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete", "", sid))
        finally:
            ep.stop()

    def test_chunked_responses(self):
        ep = Endpoint("--basic", "--allow-unencrypted", "--chunked")
        try:
            p = winrm.protocol.Protocol(endpoint=ep.url(), transport="plaintext", username=USER,
                                        password=PASSWORD)
            out, _, code = run(p, "bigout", ["0.5"])
            self.assertEqual((len(out), code), (512 * 1024, 0))
            c = http.client.HTTPConnection("127.0.0.1", ep.info["http_port"], timeout=10)
            c.request("POST", "/wsman", envelope("x", ""), {"Authorization": BASIC})
            r = c.getresponse()
            self.assertEqual(r.getheader("Transfer-Encoding"), "chunked")
            r.read()
        finally:
            ep.stop()


PYWINRM_NTLM = r"""
import sys, winrm.protocol
url, transport, ca = sys.argv[1], sys.argv[2], sys.argv[3]
p = winrm.protocol.Protocol(endpoint=url, transport="ntlm", username="alice", password="Passw0rd!",
                            message_encryption=transport, server_cert_validation="validate",
                            ca_trust_path=ca or None)
sid = p.open_shell(codepage=65001)
cid = p.run_command(sid, "bigout", ["0.3"])
out, err, code = p.get_command_output(sid, cid)
p.cleanup_command(sid, cid)
p.close_shell(sid)
print(len(out), code)
"""


SPNEGO_CLIENT = r"""
import base64, http.client, sys, gssapi
NTLM = gssapi.OID.from_int_seq("1.3.6.1.4.1.311.2.2.10")
SPNEGO = gssapi.OID.from_int_seq("1.3.6.1.5.5.2")
creds = gssapi.raw.acquire_cred_with_password(gssapi.Name("WRSH\\alice", gssapi.NameType.user),
                                              b"Passw0rd!", usage="initiate", mechs=[SPNEGO]).creds
gssapi.raw.set_neg_mechs(creds, [NTLM])
ctx = gssapi.SecurityContext(name=gssapi.Name("HTTP@127.0.0.1", gssapi.NameType.hostbased_service),
                             mech=SPNEGO, creds=creds, usage="initiate")
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
tok = ctx.step()
print("%02x" % tok[0])  # 0x60: a GSS-API InitialContextToken, not raw NTLMSSP
while tok:
    c.request("POST", "/wsman", b"", {"Authorization": "Negotiate " + base64.b64encode(tok).decode(),
                                      "Content-Type": "application/soap+xml;charset=UTF-8"})
    r = c.getresponse()
    r.read()
    print(r.status)
    h = r.getheader("WWW-Authenticate", "")
    if r.status != 401 or not h.startswith("Negotiate "):
        break
    tok = ctx.step(base64.b64decode(h.split(" ", 1)[1]))
"""


class NegotiateTest(unittest.TestCase):
    """NTLM with message encryption, the Windows default, proven with
    pywinrm's NTLM transport (python3-requests-ntlm / ntlm-auth), which this
    project did not write, against gss-ntlmssp in the endpoint."""

    @classmethod
    def setUpClass(cls):
        cls.ep = Endpoint("--cbt", "strict")  # Windows defaults otherwise: no Basic, no plain

    @classmethod
    def tearDownClass(cls):
        cls.ep.stop()

    def pywinrm(self, url, encryption, ca=""):
        env = dict(os.environ, OPENSSL_CONF=os.path.join(HERE, "openssl-legacy.cnf"))
        env.pop("REQUESTS_CA_BUNDLE", None)
        r = subprocess.run(["/usr/bin/python3", "-c", PYWINRM_NTLM, url, encryption, ca],
                           capture_output=True, text=True, env=env, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        return r.stdout.split()

    def test_pywinrm_ntlm_sealed_over_http(self):
        self.assertEqual(self.pywinrm(self.ep.url(), "always"), [str(int(0.3 * 1024 * 1024)), "0"])
        self.assertEqual(self.ep.state()["shells"], [])

    def test_pywinrm_ntlm_over_https_with_channel_binding(self):
        out = self.pywinrm(self.ep.url(tls=True, host="localhost"), "never", self.ep.info["cert"])
        self.assertEqual(out, [str(int(0.3 * 1024 * 1024)), "0"])

    def test_plain_body_refused_over_http(self):
        # Windows' AllowUnencrypted=false: NTLM without sealing is refused
        with self.assertRaises(AssertionError):
            self.pywinrm(self.ep.url(), "never")

    def test_spnego_wrapped_tokens_accepted(self):
        # MIT krb5's SPNEGO initiator over gss-ntlmssp: NegTokenInit /
        # NegTokenResp around the NTLM messages, which Windows accepts too
        env = dict(os.environ, NTLM_USER_FILE="/dev/null")
        r = subprocess.run(["/usr/bin/python3", "-c", SPNEGO_CLIENT,
                            str(self.ep.info["http_port"])], capture_output=True, text=True,
                           env=env, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        self.assertEqual(r.stdout.split(), ["60", "401", "200"])

    def test_401_offers_negotiate_only(self):
        c = http.client.HTTPConnection("127.0.0.1", self.ep.info["http_port"], timeout=10)
        c.request("POST", "/wsman", envelope("x", ""), {"Authorization": BASIC})
        r = c.getresponse()
        r.read()
        self.assertEqual(r.status, 401)
        self.assertEqual(r.getheader("WWW-Authenticate"), "Negotiate")


class StrictOmiTest(unittest.TestCase):
    """--strict-omi reads and answers as Microsoft's OMI does, proven with
    clients this project did not write: python3-winrm seals with the tab
    before each part header (MS-WSMV 2.2.9.1.1.2's grammar, Windows' form),
    which OMI's parser, matching them at a line's start, cannot find."""

    @classmethod
    def setUpClass(cls):
        cls.ep = Endpoint("--strict-omi", "--basic", "--allow-unencrypted")

    @classmethod
    def tearDownClass(cls):
        cls.ep.stop()

    def post(self, body, extra):
        c = http.client.HTTPConnection("127.0.0.1", self.ep.info["http_port"], timeout=10)
        try:
            c.request("POST", "/wsman", body,
                      {"Content-Type": "application/soap+xml;charset=UTF-8", **extra})
            r = c.getresponse()
            return r, r.read()
        finally:
            c.close()

    def test_tab_indented_part_headers_lose_the_connection(self):
        before = self.ep.state()["undecryptable"]
        env = dict(os.environ, OPENSSL_CONF=os.path.join(HERE, "openssl-legacy.cnf"))
        r = subprocess.run(["/usr/bin/python3", "-c", PYWINRM_NTLM, self.ep.url(), "always", ""],
                           capture_output=True, text=True, env=env, timeout=60)
        self.assertNotEqual(r.returncode, 0)
        self.assertRegex(r.stderr, "Connection|RemoteDisconnected")
        self.assertGreater(self.ep.state()["undecryptable"], before)
        self.assertEqual(self.ep.state()["shells"], [])

    def test_identify_response_in_the_soap_namespace(self):
        import xml.etree.ElementTree as ET
        r, b = self.post(b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
                         b'xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/'
                         b'wsmanidentity.xsd"><s:Header/><s:Body><wsmid:Identify/></s:Body>'
                         b'</s:Envelope>', {"WSMANIDENTIFY": "unauthenticated"})
        self.assertEqual(r.status, 200)
        body = ET.fromstring(b).find("{http://www.w3.org/2003/05/soap-envelope}Body")
        self.assertEqual([e.tag for e in body],
                         ["{http://www.w3.org/2003/05/soap-envelope}IdentifyResponse"])

    def test_shell_create_is_an_empty_500(self):
        with self.assertRaises(winrm.exceptions.WinRMTransportError) as cm:
            proto(self.ep).open_shell()
        self.assertIn("500", str(cm.exception))
        r, b = self.post(envelope("http://schemas.xmlsoap.org/ws/2004/09/transfer/Create",
                                  '<rsp:Shell><rsp:InputStreams>stdin</rsp:InputStreams>'
                                  '</rsp:Shell>'), {"Authorization": BASIC})
        self.assertEqual((r.status, b, r.getheader("Content-Type")),
                         (500, b"", "application/soap+xml;charset=UTF-8"))
        self.assertEqual(self.ep.state()["shells"], [])


if __name__ == "__main__":
    unittest.main()
