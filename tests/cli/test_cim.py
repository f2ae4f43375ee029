"""wrsh cim against the test endpoint's CIM repository (tests/endpoint/cim.py),
with Windows' defaults: Negotiate, every message sealed over HTTP.

Run with the others by `make test-cli`, or alone:
  WRSH=build/host-glibc-full/wrsh python3 -m unittest discover -s tests/cli -p test_cim.py
"""
import json
import os
import re
import subprocess
import sys
import time
import unittest
import xml.etree.ElementTree as ET

from test_cli import PASSWORD, WRSH, Endpoint

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "endpoint"))
import cim  # noqa: E402  (the endpoint's own rule for how many services run)

RUNNING = "SELECT * FROM Win32_Service WHERE State='Running'"


def cim_built():
    r = subprocess.run([WRSH, "cim", "--help"], capture_output=True)
    return os.path.exists(WRSH) and b"unknown applet" not in r.stderr


def stat(stderr, name):
    m = re.search(rb"\b%s=(\d+)" % name.encode(), stderr)
    return int(m.group(1))


@unittest.skipUnless(cim_built(), "wrsh built without the cim applet (PROFILE=tiny)")
class CimBase(unittest.TestCase):
    services = 40

    @classmethod
    def setUpClass(cls):
        cls.ep = Endpoint.shared("--services", str(cls.services))


    def wrsh(self, *args, timeout=120):
        env = dict(os.environ, WRSH_PASSWORD=PASSWORD)
        return subprocess.run([WRSH, "cim", *args], capture_output=True, env=env,
                              timeout=timeout)

    def neg(self, op, *args):
        """Negotiate over HTTP: sealed, as Windows wants it."""
        return [op, "-H", "127.0.0.1", "-p", str(self.ep.http), "-u", "alice", *args]

    def counts(self):
        return self.ep.state()["cim"]

    def no_open_enumerations(self):
        for _ in range(50):
            if not self.counts()["open_enumerations"]:
                return True
            time.sleep(0.1)
        return False


class CimTest(CimBase):
    def test_get_aligns_names_like_format_list(self):
        r = self.wrsh(*self.neg("get", "wmicimv2/Win32_Service", "Name=WinRM"))
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.decode().splitlines()
        self.assertIn("Name                    : WinRM", lines)
        self.assertIn("InstallDate             :", lines)  # nil: empty
        self.assertEqual({line.index(" :") for line in lines}, {23})

    def test_get_winrm_config_shows_the_settings(self):
        r = self.wrsh(*self.neg("get", "winrm/config"))
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout.decode()
        self.assertRegex(out, r"(?m)^MaxEnvelopeSizekb\s+: 500$")
        self.assertRegex(out, r"(?m)^Winrs\s+:$")
        self.assertRegex(out, r"(?m)^    MaxShellsPerUser\s+: 30$")
        self.assertRegex(out, r"(?m)^        Negotiate\s+: true$")

    def test_enumerate_filter_returns_only_running_as_json(self):
        r = self.wrsh(*self.neg("enumerate", "--filter", RUNNING, "--json", "--max-elements",
                                "4"))
        self.assertEqual(r.returncode, 0, r.stderr)
        objs = [json.loads(line) for line in r.stdout.decode().splitlines()]
        self.assertEqual(len(objs), cim.running_count(self.services))
        self.assertTrue(all(o["State"] == "Running" for o in objs))
        self.assertIsNone(objs[0]["InstallDate"])
        self.assertTrue(self.no_open_enumerations())

    def test_enumerate_arrays_and_epr(self):
        r = self.wrsh(*self.neg("enumerate", "winrm/config/listener", "--json", "--epr"))
        self.assertEqual(r.returncode, 0, r.stderr)
        objs = [json.loads(line) for line in r.stdout.decode().splitlines()]
        self.assertEqual(len(objs), 2)
        self.assertEqual(objs[0]["ListeningOn"], ["127.0.0.1", "::1"])
        self.assertEqual(objs[0]["EndpointReference"]["Transport"], "HTTP")
        r = self.wrsh(*self.neg("enumerate", "winrm/config/listener"))
        self.assertIn(b"ListeningOn           : {127.0.0.1, ::1}", r.stdout)

    def test_enumerate_xml_is_well_formed(self):
        r = self.wrsh(*self.neg("enumerate", "wmicimv2/Win32_Process", "--xml"))
        self.assertEqual(r.returncode, 0, r.stderr)
        docs = [ET.fromstring(line) for line in r.stdout.decode().splitlines()]
        self.assertEqual(docs[0].tag, "Win32_Process")
        self.assertRegex(docs[1].find("CreationDate").text, r"^\d{4}-\d\d-\d\dT")

    def test_bad_wql_prints_the_provider_text(self):
        r = self.wrsh(*self.neg("enumerate", "--filter", "SELECT * FROM Win32_Nope"))
        self.assertEqual(r.returncode, 255)
        self.assertIn(b"n:CannotProcessFilter (WSManFault 2150858778): The specified class "
                      b"does not exist in the given namespace.", r.stderr)
        self.assertNotIn(b"ExecQuery", r.stderr)

    def test_no_such_instance_and_bad_selector_fail(self):
        r = self.wrsh(*self.neg("get", "wmicimv2/Win32_Service", "Name=NoSuchService"))
        self.assertEqual(r.returncode, 255)
        self.assertIn(b"w:InvalidSelectors (WSManFault 2150858752)", r.stderr)
        r = self.wrsh(*self.neg("get", "wmicimv2/Win32_Service", "Bogus=1"))
        self.assertEqual(r.returncode, 255)
        self.assertIn(b"w:InvalidSelectors (WSManFault 2150858843)", r.stderr)

    def test_invoke_set_create_delete(self):
        r = self.wrsh(*self.neg("invoke", "wmicimv2/Win32_Service", "ChangeStartMode",
                                "Name=W32Time", "--param", "StartMode=Disabled"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, b"ReturnValue : 0\n")
        r = self.wrsh(*self.neg("invoke", "wmicimv2/Win32_Service", "StartService",
                                "Name=BITS", "--namespace", "root/cimv2"))
        self.assertEqual(r.stdout, b"ReturnValue : 0\n", r.stderr)
        r = self.wrsh(*self.neg("set", "wmicimv2/Win32_Service", "Name=W32Time", "--prop",
                                "Description=kept by wrsh"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"Description             : kept by wrsh", r.stdout)
        self.assertIn(b"StartMode               : Disabled", r.stdout)
        r = self.wrsh(*self.neg("create", "winrm/config/listener", "Address=IP:10.0.0.1",
                                "Transport=HTTP", "--prop", "Port=8080"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"Address     : IP:10.0.0.1", r.stdout)
        r = self.wrsh(*self.neg("delete", "winrm/config/listener", "Address=IP:10.0.0.1",
                                "Transport=HTTP"))
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.wrsh(*self.neg("delete", "winrm/config/listener", "Address=IP:10.0.0.1",
                                "Transport=HTTP"))
        self.assertEqual(r.returncode, 255)

    def test_set_winrm_config_section(self):
        r = self.wrsh(*self.neg("set", "winrm/config", "--prop", "Winrs/MaxShellsPerUser=31"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout.decode(), r"(?m)^    MaxShellsPerUser\s+: 31$")
        self.wrsh(*self.neg("set", "winrm/config", "--prop", "Winrs/MaxShellsPerUser=30"))

    def test_closed_pipe_releases_the_enumeration(self):
        before = self.counts()["release"]
        p1 = subprocess.Popen([WRSH, "cim", *self.neg("enumerate", "wmicimv2/Win32_Service",
                                                      "--max-elements", "2")],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env=dict(os.environ, WRSH_PASSWORD=PASSWORD))
        p1.stdout.readline()
        p1.stdout.close()
        _, err = p1.communicate(timeout=60)
        self.assertEqual(p1.returncode, 141, err)
        self.assertTrue(self.no_open_enumerations())
        self.assertEqual(self.counts()["release"], before + 1)

    def test_usage_errors(self):
        r = self.wrsh(*self.neg("get", "nosuchalias/x"))
        self.assertEqual(r.returncode, 2)
        r = self.wrsh(*self.neg("frobnicate", "wmicimv2/x"))
        self.assertEqual(r.returncode, 2)


@unittest.skipUnless(cim_built(), "wrsh built without the cim applet (PROFILE=tiny)")
class CimScaleTest(unittest.TestCase):
    """The bar: a WQL enumeration of 10 and of 10,000 services, only the
    running ones, in the same arena; figures per 1,000 instances."""

    def run_one(self, services):
        ep = Endpoint("--services", str(services))
        try:
            r = subprocess.run([WRSH, "cim", "enumerate", "-H", "127.0.0.1", "-p", str(ep.http),
                                "-u", "alice", "--filter", RUNNING, "--stats"],
                               capture_output=True, timeout=600,
                               env=dict(os.environ, WRSH_PASSWORD=PASSWORD))
            self.assertEqual(r.returncode, 0, r.stderr)
            names = re.findall(rb"(?m)^State\s+: (\w+)$", r.stdout)
            self.assertEqual(len(names), cim.running_count(services))
            self.assertEqual(set(names), {b"Running"})
            return r.stderr, ep.state()["cim"]
        finally:
            ep.stop()

    def test_arena_peak_independent_of_instances(self):
        small, _ = self.run_one(10)
        big, counts = self.run_one(10000)
        self.assertLessEqual(stat(big, "arena_peak"), stat(small, "arena_peak") * 1.05)
        items = counts["items"]
        requests = stat(big, "requests")
        sys.stderr.write("\ncim figures: %d instances, arena_peak %d (10 services: %d), "
                         "%.1f requests, %.0f bytes received, %.0f bytes sent per 1,000\n" % (
                             items, stat(big, "arena_peak"), stat(small, "arena_peak"),
                             requests * 1000.0 / items,
                             stat(big, "bytes_received") * 1000.0 / items,
                             stat(big, "bytes_sent") * 1000.0 / items))


if __name__ == "__main__":
    unittest.main()
