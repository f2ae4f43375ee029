"""The endpoint's CIM / WS-Management resources (cim.py) driven with SOAP
written here and sent by clients wrsh did not write: python3-winrm's
transport (Protocol.send_message) and plain http.client with Basic. The
answers are read with ElementTree by namespace URI, never by prefix, so
they prove the shapes an independent WS-Man client parses, as Windows
sends them (tests/endpoint/cim.py names the recordings)."""
import http.client
import os
import ssl
import sys
import unittest
import uuid
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

import winrm.exceptions
import winrm.protocol

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_endpoint import BASIC, PASSWORD, USER, Endpoint  # noqa: E402
import cim  # noqa: E402  (only for the documented service-state rule)

NS = {"s": "http://www.w3.org/2003/05/soap-envelope",
      "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
      "n": "http://schemas.xmlsoap.org/ws/2004/09/enumeration",
      "w": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
      "x": "http://schemas.xmlsoap.org/ws/2004/09/transfer",
      "xsi": "http://www.w3.org/2001/XMLSchema-instance",
      "cim": "http://schemas.dmtf.org/wbem/wscim/1/common",
      "f": "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault",
      "cfg": "http://schemas.microsoft.com/wbem/wsman/1/config"}
CIMV2 = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/"
SERVICE = CIMV2 + "Win32_Service"
CONFIG = "http://schemas.microsoft.com/wbem/wsman/1/config"
LISTENER = CONFIG + "/listener"
WQL = "http://schemas.microsoft.com/wbem/wsman/1/WQL"
T = "http://schemas.xmlsoap.org/ws/2004/09/transfer/"
E = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/"


def q(prefix, name):
    return "{%s}%s" % (NS[prefix], name)


def request(action, uri, body="", selectors=None, max_envelope=153600):
    """A request envelope with prefixes unlike Windows' (the server must
    read namespaces, not prefixes)."""
    sel = "".join('<wsman:Selector Name="%s">%s</wsman:Selector>' % (k, escape(v))
                  for k, v in (selectors or {}).items())
    return ('<env:Envelope xmlns:env="%s" xmlns:wsa="%s" xmlns:wsman="%s" xmlns:wsen="%s">'
            '<env:Header><wsa:To>http://127.0.0.1/wsman</wsa:To><wsa:Action env:mustUnderstand="true">'
            '%s</wsa:Action><wsa:MessageID>uuid:%s</wsa:MessageID><wsman:ResourceURI>%s'
            '</wsman:ResourceURI><wsman:MaxEnvelopeSize>%d</wsman:MaxEnvelopeSize>'
            '<wsman:OperationTimeout>PT20S</wsman:OperationTimeout>%s</env:Header>'
            '<env:Body>%s</env:Body></env:Envelope>' % (
                NS["s"], NS["a"], NS["w"], NS["n"], action, str(uuid.uuid4()).upper(), uri,
                max_envelope, "<wsman:SelectorSet>%s</wsman:SelectorSet>" % sel if sel else "",
                body))


def enumerate_body(wql=None, optimize=True, max_elements=None, mode=None):
    parts = ["<wsman:OptimizeEnumeration/>" if optimize else ""]
    if max_elements:
        parts.append("<wsman:MaxElements>%d</wsman:MaxElements>" % max_elements)
    if mode:
        parts.append("<wsman:EnumerationMode>%s</wsman:EnumerationMode>" % mode)
    if wql:
        parts.append('<wsman:Filter Dialect="%s">%s</wsman:Filter>' % (WQL, escape(wql)))
    return "<wsen:Enumerate>%s</wsen:Enumerate>" % "".join(parts)


def pull_body(ctx, max_elements=None):
    m = "<wsen:MaxElements>%d</wsen:MaxElements>" % max_elements if max_elements else ""
    return "<wsen:Pull><wsen:EnumerationContext>%s</wsen:EnumerationContext>%s</wsen:Pull>" % (
        ctx, m)


class CimTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ep = Endpoint("--basic", "--allow-unencrypted", "--services", "40")
        cls.conn = http.client.HTTPConnection("127.0.0.1", cls.ep.info["http_port"], timeout=10)

    @classmethod
    def tearDownClass(cls):
        cls.conn.close()
        cls.ep.stop()

    def post(self, xml, conn=None):
        """(HTTP status, parsed envelope, raw bytes) over keep-alive Basic."""
        c = conn or self.conn
        c.request("POST", "/wsman", xml.encode(), {"Authorization": BASIC,
                                                   "Content-Type": "application/soap+xml;charset=UTF-8"})
        r = c.getresponse()
        raw = r.read()
        return r.status, ET.fromstring(raw), raw

    def ok(self, *args, **kw):
        status, root, raw = self.post(request(*args, **kw))
        self.assertEqual(status, 200, raw)
        return root, raw

    def fault(self, *args, **kw):
        """(subcode QName text, WSManFault code, root) of a fault answer."""
        status, root, raw = self.post(request(*args, **kw))
        self.assertEqual(status, 500, raw)
        sub = root.find("s:Body/s:Fault/s:Code/s:Subcode/s:Value", NS).text
        code = root.find("s:Body/s:Fault/s:Detail/f:WSManFault", NS).get("Code")
        return sub, code, root

    def action(self, root):
        return root.find("s:Header/a:Action", NS).text

    def body(self, root):
        return root.find("s:Body", NS)

    def pywinrm_send(self, xml):
        """One message through python3-winrm's own transport (Basic here)."""
        p = winrm.protocol.Protocol(endpoint=self.ep.url(), transport="plaintext",
                                    username=USER, password=PASSWORD)
        try:
            return p.send_message(xml)
        finally:
            if p.transport.session is not None:
                p.transport.session.close()

    def get_service(self, name):
        root, _ = self.ok(T + "Get", SERVICE, selectors={"Name": name})
        return self.body(root).find("{%s}Win32_Service" % SERVICE)

    def prop(self, inst, name):
        return inst.find("{%s}%s" % (inst.tag[1:].split("}")[0], name))

    def enumerate_all(self, wql, page=3, uri=CIMV2 + "*", mode=None, max_envelope=153600):
        """Every item of an enumeration and the number of responses, each a
        parsed, valid envelope."""
        root, _ = self.ok(E + "Enumerate", uri, enumerate_body(wql, True, page, mode),
                          max_envelope=max_envelope)
        self.assertEqual(self.action(root), E + "EnumerateResponse")
        resp = self.body(root).find("n:EnumerateResponse", NS)
        items = list(resp.find("w:Items", NS))
        ctx = resp.find("n:EnumerationContext", NS).text
        pages, end = 1, resp.find("w:EndOfSequence", NS) is not None
        while not end:
            root, raw = self.ok(E + "Pull", uri, pull_body(ctx, page), max_envelope=max_envelope)
            self.assertLessEqual(len(raw), max_envelope)
            pr = self.body(root).find("n:PullResponse", NS)
            batch = list(pr.find("n:Items", NS))
            self.assertLessEqual(len(batch), page)
            self.assertGreaterEqual(len(batch), 1)
            items += batch
            pages += 1
            end = pr.find("n:EndOfSequence", NS) is not None
            c = pr.find("n:EnumerationContext", NS)
            self.assertEqual(c is None, end)  # no context once the sequence ended
            ctx = c.text if c is not None else None
        return items, pages

    # ---- Get ----
    def test_get_winrm_service_with_pywinrm_transport(self):
        raw = self.pywinrm_send(request(T + "Get", SERVICE, selectors={
            "Name": "WinRM", "__cimnamespace": "root/cimv2"}))
        root = ET.fromstring(raw)
        self.assertEqual(self.action(root), T + "GetResponse")
        inst = self.body(root).find("{%s}Win32_Service" % SERVICE)
        self.assertEqual(inst.get(q("xsi", "type")), "p:Win32_Service_Type")
        self.assertEqual(self.prop(inst, "Name").text, "WinRM")
        self.assertEqual(self.prop(inst, "State").text, "Running")
        self.assertEqual(self.prop(inst, "Started").text, "true")
        self.assertEqual(self.prop(inst, "InstallDate").get(q("xsi", "nil")), "true")
        names = [c.tag.split("}")[1] for c in inst]
        self.assertEqual(names, sorted(names, key=str.lower))  # WMI's property order

    def test_get_operating_system_singleton(self):
        root, _ = self.ok(T + "Get", CIMV2 + "Win32_OperatingSystem")
        inst = self.body(root).find("{%sWin32_OperatingSystem}Win32_OperatingSystem" % CIMV2)
        self.assertEqual(self.prop(inst, "Caption").text, "Microsoft Windows Server 2022 Datacenter")
        self.assertEqual(self.prop(inst, "Version").text, "10.0.20348")
        self.assertEqual(self.prop(inst, "BuildNumber").text, "20348")
        boot = self.prop(inst, "LastBootUpTime").find("cim:Datetime", NS).text
        self.assertRegex(boot, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d$")

    def test_get_config_reflects_flags(self):
        root = ET.fromstring(self.pywinrm_send(request(T + "Get", CONFIG)))
        cfg = self.body(root).find("cfg:Config", NS)
        self.assertEqual(cfg.find("cfg:MaxEnvelopeSizekb", NS).text, "500")
        self.assertEqual(cfg.find("cfg:Service/cfg:AllowUnencrypted", NS).text, "true")
        self.assertEqual(cfg.find("cfg:Service/cfg:Auth/cfg:Basic", NS).text, "true")
        self.assertEqual(cfg.find("cfg:Service/cfg:Auth/cfg:CbtHardeningLevel", NS).text, "Relaxed")
        self.assertIsNotNone(cfg.find("cfg:Winrs/cfg:MaxShellsPerUser", NS))
        # AllowUnencrypted=false (Windows' default): ask over HTTPS
        ep = Endpoint("--basic", "--services", "3")
        try:
            c = http.client.HTTPSConnection("127.0.0.1", ep.info["https_port"], timeout=10,
                                            context=ssl._create_unverified_context())
            _, root, _ = self.post(request(T + "Get", CONFIG), c)
            c.close()
            cfg = self.body(root).find("cfg:Config", NS)
            self.assertEqual(cfg.find("cfg:Service/cfg:AllowUnencrypted", NS).text, "false")
        finally:
            ep.stop()

    def test_unknown_instance_and_bad_selectors(self):
        sub, code, _ = self.fault(T + "Get", SERVICE, selectors={"Name": "NoSuchService"})
        self.assertEqual((sub, code), ("w:InvalidSelectors", "2150858752"))
        sub, code, _ = self.fault(T + "Get", SERVICE, selectors={"Nmae": "WinRM"})
        self.assertEqual((sub, code), ("w:InvalidSelectors", "2150858843"))
        sub, code, _ = self.fault(T + "Get", SERVICE, selectors={
            "Name": "WinRM", "__cimnamespace": "root/default"})
        self.assertEqual((sub, code), ("w:InvalidSelectors", "2150858843"))
        with self.assertRaises(winrm.exceptions.WinRMError) as cm:  # as pywinrm reports it
            self.pywinrm_send(request(T + "Get", SERVICE, selectors={"Name": "nope"}))
        self.assertIn("2150858752", str(cm.exception))

    # ---- Enumerate / Pull / Release ----
    def test_wql_running_services_over_pulls(self):
        everything, _ = self.enumerate_all("SELECT * FROM Win32_Service", page=50)
        self.assertEqual(len(everything), 40)
        expect = sorted(self.prop(i, "Name").text for i in everything
                        if self.prop(i, "State").text == "Running")
        items, pages = self.enumerate_all("select * from win32_service where state = 'Running'")
        names = [self.prop(i, "Name").text for i in items]
        self.assertEqual(sorted(names), expect)
        self.assertEqual(len(names), cim.running_count(40))
        self.assertEqual(pages, -(-len(names) // 3))
        # double quotes, <>, LIKE, AND/OR, a projection
        items, _ = self.enumerate_all('SELECT Name FROM Win32_Service WHERE Name LIKE "win%" '
                                      'AND (State <> "Stopped" OR StartMode = "Manual")')
        self.assertEqual(sorted(self.prop(i, "Name").text for i in items), ["WinRM", "Winmgmt"])
        self.assertEqual([c.tag.split("}")[1] for c in items[0]], ["Name"])

    def test_max_envelope_size_limits_pages(self):
        items, pages = self.enumerate_all("SELECT * FROM Win32_Service", page=100,
                                          max_envelope=8192)
        self.assertEqual(len(items), 40)
        self.assertGreater(pages, 3)  # ~1.5 KB a service: a handful per 8 KB answer
        sub, code, _ = self.fault(E + "Enumerate", CIMV2 + "*", enumerate_body(
            "SELECT * FROM Win32_Service", True, 5), max_envelope=1500)
        self.assertEqual((sub, code), ("w:EncodingLimit", "2150858824"))

    def test_epr_mode_items(self):
        items, _ = self.enumerate_all("SELECT * FROM Win32_Service WHERE Name = 'Spooler'",
                                      mode="EnumerateObjectAndEPR")
        self.assertEqual(len(items), 1)
        self.assertEqual(items[0].tag, q("w", "Item"))
        self.assertEqual(self.prop(items[0][0], "Name").text, "Spooler")
        epr = items[0].find("a:EndpointReference/a:ReferenceParameters", NS)
        self.assertEqual(epr.find("w:ResourceURI", NS).text, SERVICE)
        sel = {s.get("Name"): s.text for s in epr.findall("w:SelectorSet/w:Selector", NS)}
        self.assertEqual(sel["Name"], "Spooler")
        # the EPR is usable as it is
        self.assertEqual(self.prop(self.get_service(sel["Name"]), "DisplayName").text,
                         "Print Spooler")

    def test_unoptimized_enumerate_release_and_dead_context(self):
        root, _ = self.ok(E + "Enumerate", SERVICE, enumerate_body(optimize=False))
        resp = self.body(root).find("n:EnumerateResponse", NS)
        self.assertIsNone(resp.find("w:Items", NS))
        ctx = resp.find("n:EnumerationContext", NS).text
        self.assertTrue(ctx.startswith("uuid:"))
        root, _ = self.ok(E + "Pull", SERVICE, pull_body(ctx, 2))
        self.assertEqual(len(self.body(root).find("n:PullResponse/n:Items", NS)), 2)
        root, _ = self.ok(E + "Release", SERVICE,
                          "<wsen:Release><wsen:EnumerationContext>%s</wsen:EnumerationContext>"
                          "</wsen:Release>" % ctx)
        self.assertEqual(self.action(root), E + "ReleaseResponse")
        sub, code, root = self.fault(E + "Pull", SERVICE, pull_body(ctx))
        self.assertEqual((sub, code), ("n:InvalidEnumerationContext", "2150858779"))
        self.assertEqual(root.find("s:Body/s:Fault/s:Code/s:Value", NS).text, "s:Receiver")

    def test_bad_wql(self):
        sub, code, root = self.fault(E + "Enumerate", CIMV2 + "*",
                                     enumerate_body("SELECT * FROM Win32_Processa"))
        self.assertEqual((sub, code), ("n:CannotProcessFilter", "2150858778"))
        self.assertEqual(self.action(root), E + "fault")
        inner = root.find(".//f:ProviderFault/f:WSManFault/f:Message", NS).text
        self.assertEqual(inner, "The specified class does not exist in the given namespace. ")
        sub, _, root = self.fault(E + "Enumerate", CIMV2 + "*",
                                  enumerate_body("SELECT * FROM Win32_Service WHERE"))
        self.assertEqual(sub, "n:CannotProcessFilter")
        self.assertEqual(root.find(".//f:ProviderFault/f:WSManFault/f:Message", NS).text,
                         "Invalid query ")

    def test_requests_counted(self):
        before = self.ep.state()["cim"]
        self.enumerate_all("SELECT * FROM Win32_Service", page=10)
        after = self.ep.state()["cim"]
        self.assertEqual(after["enumerate"] - before["enumerate"], 1)
        self.assertEqual(after["pull"] - before["pull"], 3)
        self.assertEqual(after["items"] - before["items"], 40)
        self.assertGreater(after["bytes"], before["bytes"] + 40 * 1000)

    # ---- Invoke / Put ----
    def invoke(self, name, method, params=""):
        root, _ = self.ok(SERVICE + "/" + method, SERVICE, '<p:%s_INPUT xmlns:p="%s">%s</p:%s_INPUT>'
                          % (method, SERVICE, params, method), selectors={"Name": name})
        self.assertEqual(self.action(root), SERVICE + "/" + method + "Response")
        out = self.body(root).find("{%s}%s_OUTPUT" % (SERVICE, method))
        return int(out.find("{%s}ReturnValue" % SERVICE).text)

    def test_start_and_stop_service(self):
        self.assertEqual(self.invoke("wuauserv", "StartService"), 0)
        s = self.get_service("wuauserv")
        self.assertEqual((self.prop(s, "State").text, self.prop(s, "Started").text),
                         ("Running", "true"))
        self.assertEqual(self.invoke("wuauserv", "StartService"), 10)
        self.assertEqual(self.invoke("wuauserv", "StopService"), 0)
        self.assertEqual(self.prop(self.get_service("wuauserv"), "State").text, "Stopped")
        self.assertEqual(self.invoke("wuauserv", "StopService"), 6)
        self.assertEqual(self.invoke("RpcSs", "StopService"), 5)  # AcceptStop false
        sub, _, _ = self.fault(SERVICE + "/Explode", SERVICE, "", selectors={"Name": "WinRM"})
        self.assertEqual(sub, "a:ActionNotSupported")

    def test_put_start_mode(self):
        inst = self.get_service("BITS")
        self.prop(inst, "StartMode").text = "Disabled"
        body = ET.tostring(inst, encoding="unicode")  # the whole instance back, one change
        root, _ = self.ok(T + "Put", SERVICE, body, selectors={"Name": "BITS"})
        self.assertEqual(self.action(root), T + "PutResponse")
        self.assertEqual(self.prop(self.get_service("BITS"), "StartMode").text, "Disabled")
        self.assertEqual(self.invoke("BITS", "StartService"), 14)  # Service Disabled
        self.assertEqual(self.invoke("BITS", "ChangeStartMode",
                                     "<p:StartMode>Manual</p:StartMode>"), 0)
        bad = '<p:Win32_Service xmlns:p="%s"><p:State>Running</p:State></p:Win32_Service>' % SERVICE
        sub, code, _ = self.fault(T + "Put", SERVICE, bad, selectors={"Name": "BITS"})
        self.assertEqual((sub, code), ("x:InvalidRepresentation", "2150858773"))
        sub, _, _ = self.fault(T + "Delete", SERVICE, selectors={"Name": "BITS"})
        self.assertEqual(sub, "a:ActionNotSupported")

    # ---- winrm/config/listener ----
    def test_listener_create_get_delete(self):
        sel = {"Address": "IP:192.0.2.7", "Transport": "HTTP"}
        body = ('<cfg:Listener xmlns:cfg="%s"><cfg:Port>5985</cfg:Port><cfg:Enabled>true'
                '</cfg:Enabled></cfg:Listener>' % LISTENER)
        root, _ = self.ok(T + "Create", LISTENER, body, selectors=sel)
        self.assertEqual(self.action(root), T + "CreateResponse")
        ref = self.body(root).find("x:ResourceCreated/a:ReferenceParameters", NS)
        self.assertEqual(ref.find("w:ResourceURI", NS).text, LISTENER)
        self.assertEqual({s.get("Name"): s.text for s in ref.findall("w:SelectorSet/w:Selector", NS)},
                         sel)
        sub, code, _ = self.fault(T + "Create", LISTENER, body, selectors=sel)
        self.assertEqual((sub, code), ("w:AlreadyExists", "2150858803"))
        root, _ = self.ok(T + "Get", LISTENER, selectors=sel)
        lst = self.body(root).find("{%s}Listener" % LISTENER)
        self.assertEqual(lst.find("{%s}Port" % LISTENER).text, "5985")
        items, _ = self.enumerate_all(None, page=10, uri=LISTENER)
        self.assertEqual(len(items), 3)  # the endpoint's HTTP and HTTPS, and this one
        self.ok(T + "Delete", LISTENER, selectors=sel)
        sub, _, _ = self.fault(T + "Get", LISTENER, selectors=sel)
        self.assertEqual(sub, "w:InvalidSelectors")

    def test_config_put_max_envelope(self):
        body = ('<cfg:Config xmlns:cfg="%s"><cfg:MaxEnvelopeSizekb>8</cfg:MaxEnvelopeSizekb>'
                '</cfg:Config>' % CONFIG)
        root, _ = self.ok(T + "Put", CONFIG, body)
        self.assertEqual(self.body(root).find("cfg:Config/cfg:MaxEnvelopeSizekb", NS).text, "8")
        try:  # the endpoint now refuses requests above 8 KB
            big = request(T + "Get", SERVICE, "<x>%s</x>" % ("y" * 9000), {"Name": "WinRM"})
            status, root, _ = self.post(big)
            self.assertEqual(status, 500)
            self.assertEqual(root.find("s:Body/s:Fault/s:Code/s:Subcode/s:Value", NS).text,
                             "w:EncodingLimit")
        finally:
            self.ok(T + "Put", CONFIG, body.replace(">8<", ">500<"))


class LargeTest(unittest.TestCase):
    def test_ten_thousand_services_count(self):
        ep = Endpoint("--basic", "--allow-unencrypted", "--services", "10000")
        try:
            t = CimTest("test_requests_counted")
            t.conn = http.client.HTTPConnection("127.0.0.1", ep.info["http_port"], timeout=30)
            items, pages = t.enumerate_all("SELECT Name FROM Win32_Service WHERE State = 'Running'",
                                           page=500, max_envelope=512000)
            self.assertEqual(len(items), cim.running_count(10000))
            self.assertEqual(pages, -(-len(items) // 500))
            self.assertEqual(ep.state()["cim"]["open_enumerations"], 0)
            t.conn.close()
        finally:
            ep.stop()


if __name__ == "__main__":
    unittest.main()
