"""A small CIM repository behind the WS-Management resource URIs Windows
serves besides its shells: WMI classes (root/cimv2: Win32_Service,
Win32_OperatingSystem, Win32_Process), winrm/config and
winrm/config/listener, with Get, Put, Create, Delete, Invoke and the
Enumerate / Pull / Release of WS-Enumeration (WQL filters, optimized
enumeration, EPR modes, MaxElements and MaxEnvelopeSize paging).

The shapes follow the recorded Windows answers in
/work/shared/testdata/windows (winrb-wql-enumerate-pull: EnumerateResponse
with w:Items, PullResponse with n:Items/n:EndOfSequence, the
n:CannotProcessFilter fault with its WMI ProviderFault;
pypsrp-wsman-update-envelope-size-*: the cfg:Config document) and MS-WSMV
4.1.4 for Invoke (METHOD_INPUT / METHOD_OUTPUT, action + "Response").

Deliberate differences from Windows, for a test double:
- winrm/config is readable (and writable) by any user WinRM lets in;
  Windows requires an administrator.
- Listeners created here are configuration records; no socket is opened.
- A WQL projection (SELECT a, b FROM ...) answers the class element with
  only those properties (Windows answers a differently typed fragment).
"""
import datetime
import re
import threading
import time
import uuid
from xml.sax.saxutils import escape, quoteattr

import wsman
from wsman import Fault

WMI = "http://schemas.microsoft.com/wbem/wsman/1/wmi/"
CIMV2 = "root/cimv2"
CONFIG = "http://schemas.microsoft.com/wbem/wsman/1/config"
LISTENER = CONFIG + "/listener"  # Windows' own spelling (it compares case-insensitively)
WQL = "http://schemas.microsoft.com/wbem/wsman/1/WQL"
N = "http://schemas.xmlsoap.org/ws/2004/09/enumeration"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
CIM = "http://schemas.dmtf.org/wbem/wscim/1/common"
TRANSFER = "http://schemas.xmlsoap.org/ws/2004/09/transfer/"
A_GET, A_PUT = TRANSFER + "Get", TRANSFER + "Put"
A_CREATE, A_DELETE = TRANSFER + "Create", TRANSFER + "Delete"
A_ENUMERATE, A_PULL, A_RELEASE = N + "/Enumerate", N + "/Pull", N + "/Release"
A_ENUM_FAULT = N + "/fault"
OBJ, OBJ_EPR, EPR = "EnumerateObject", "EnumerateObjectAndEPR", "EnumerateEPR"
MACHINE = "WRSH-TEST"


def qn(ns, local):
    return "{%s}%s" % (ns, local)


def local(tag):
    return tag.rsplit("}", 1)[-1]


# ---- classes ----
class CimClass:
    """A WMI class: properties in WMI's (alphabetical) order with their
    types ('s' string, 'i' integer, 'b' boolean, 'd' datetime), keys,
    writable properties and methods."""

    def __init__(self, name, props, keys=(), writable=(), methods=None):
        self.name = name
        self.props = [p.split(":") for p in props.split()]
        self.types = {n.lower(): (n, t) for n, t in self.props}
        self.keys = list(keys)
        self.writable = {w.lower() for w in writable}
        self.methods = methods or {}


SERVICE_PROPS = ("AcceptPause:b AcceptStop:b Caption:s CheckPoint:i CreationClassName:s "
                 "DelayedAutoStart:b Description:s DesktopInteract:b DisplayName:s "
                 "ErrorControl:s ExitCode:i InstallDate:d Name:s PathName:s ProcessId:i "
                 "ServiceSpecificExitCode:i ServiceType:s Started:b StartMode:s StartName:s "
                 "State:s Status:s SystemCreationClassName:s SystemName:s TagId:i WaitHint:i")
OS_PROPS = ("BootDevice:s BuildNumber:s BuildType:s Caption:s CodeSet:s CountryCode:s "
            "CreationClassName:s CSCreationClassName:s CSDVersion:s CSName:s CurrentTimeZone:i "
            "Description:s FreePhysicalMemory:i FreeVirtualMemory:i InstallDate:d "
            "LastBootUpTime:d LocalDateTime:d Locale:s Manufacturer:s Name:s "
            "NumberOfProcesses:i NumberOfUsers:i OSArchitecture:s OSLanguage:i OSType:i "
            "ProductType:i SerialNumber:s ServicePackMajorVersion:i Status:s "
            "SystemDirectory:s SystemDrive:s TotalVisibleMemorySize:i Version:s "
            "WindowsDirectory:s")
PROCESS_PROPS = ("Caption:s CommandLine:s CreationClassName:s CreationDate:d CSName:s "
                 "Description:s ExecutablePath:s Handle:s HandleCount:i Name:s "
                 "ParentProcessId:i ProcessId:i SessionId:i Status:s ThreadCount:i "
                 "WorkingSetSize:i")

# (Name, DisplayName, PathName, State, StartMode, AcceptStop, Description)
REAL_SERVICES = [
    ("BITS", "Background Intelligent Transfer Service",
     "C:\\Windows\\System32\\svchost.exe -k netsvcs -p", "Stopped", "Manual", True,
     "Transfers files in the background using idle network bandwidth."),
    ("CryptSvc", "Cryptographic Services", "C:\\Windows\\system32\\svchost.exe -k NetworkService -p",
     "Running", "Auto", True, "Provides three management services."),
    ("Dhcp", "DHCP Client", "C:\\Windows\\system32\\svchost.exe -k LocalServiceNetworkRestricted -p",
     "Running", "Auto", True, "Registers and updates IP addresses and DNS records for this computer."),
    ("Dnscache", "DNS Client", "C:\\Windows\\system32\\svchost.exe -k NetworkService -p",
     "Running", "Auto", False, "The DNS Client service caches Domain Name System names."),
    ("EventLog", "Windows Event Log", "C:\\Windows\\System32\\svchost.exe -k LocalServiceNetworkRestricted -p",
     "Running", "Auto", True, "This service manages events and event logs."),
    ("LanmanServer", "Server", "C:\\Windows\\system32\\svchost.exe -k netsvcs -p",
     "Running", "Auto", True, None),
    ("msiserver", "Windows Installer", "C:\\Windows\\system32\\msiexec.exe /V",
     "Stopped", "Manual", True, "Adds, modifies, and removes applications."),
    ("RemoteRegistry", "Remote Registry", "C:\\Windows\\system32\\svchost.exe -k localService -p",
     "Stopped", "Disabled", True, None),
    ("RpcSs", "Remote Procedure Call (RPC)", "C:\\Windows\\system32\\svchost.exe -k rpcss -p",
     "Running", "Auto", False, "The RPCSS service is the Service Control Manager for COM and DCOM servers."),
    ("Schedule", "Task Scheduler", "C:\\Windows\\system32\\svchost.exe -k netsvcs -p",
     "Running", "Auto", False, "Enables a user to configure and schedule automated tasks."),
    ("Spooler", "Print Spooler", "C:\\Windows\\System32\\spoolsv.exe",
     "Running", "Auto", True, "This service spools print jobs and handles interaction with the printer."),
    ("TermService", "Remote Desktop Services", "C:\\Windows\\System32\\svchost.exe -k NetworkService",
     "Stopped", "Manual", True, None),
    ("W32Time", "Windows Time", "C:\\Windows\\system32\\svchost.exe -k LocalService",
     "Running", "Manual", True, "Maintains date and time synchronization."),
    ("Winmgmt", "Windows Management Instrumentation", "C:\\Windows\\system32\\svchost.exe -k netsvcs -p",
     "Running", "Auto", True, "Provides a common interface and object model to access management information."),
    ("WinRM", "Windows Remote Management (WS-Management)",
     "C:\\Windows\\System32\\svchost.exe -k NetworkService -p", "Running", "Auto", True,
     "Windows Remote Management (WinRM) service implements the WS-Management protocol for remote management."),
    ("wuauserv", "Windows Update", "C:\\Windows\\system32\\svchost.exe -k netsvcs -p",
     "Stopped", "Manual", True, None),
]
START_MODES = ("Boot", "System", "Auto", "Manual", "Disabled")


def generated_running(i):
    """The rule for a generated service (index i >= len(REAL_SERVICES)):
    Running when i is a multiple of 3, otherwise Stopped."""
    return i % 3 == 0


def running_count(n):
    """How many of the --services N services start Running."""
    real = sum(1 for s in REAL_SERVICES[:n] if s[3] == "Running")
    return real + sum(1 for i in range(len(REAL_SERVICES), n) if generated_running(i))


def make_service(i):
    if i < len(REAL_SERVICES):
        name, display, path, state, mode, stop, desc = REAL_SERVICES[i]
    else:
        name, display = "svc%05d" % i, "wrsh test service %d" % i
        path = "C:\\Windows\\System32\\svchost.exe -k wrshtest"
        state = "Running" if generated_running(i) else "Stopped"
        mode, stop = ("Auto" if state == "Running" else "Manual"), True
        desc = None if i % 2 else "Generated service number %d." % i
    running = state == "Running"
    return {"AcceptPause": False, "AcceptStop": stop and running, "Caption": display,
            "CheckPoint": 0, "CreationClassName": "Win32_Service", "DelayedAutoStart": False,
            "Description": desc, "DesktopInteract": False, "DisplayName": display,
            "ErrorControl": "Normal", "ExitCode": 0 if running else 1077, "InstallDate": None,
            "Name": name, "PathName": path, "ProcessId": 1000 + 4 * i if running else 0,
            "ServiceSpecificExitCode": 0,
            "ServiceType": "Own Process" if "svchost" not in path else "Share Process",
            "Started": running, "StartMode": mode, "StartName": "LocalSystem", "State": state,
            "Status": "OK", "SystemCreationClassName": "Win32_ComputerSystem",
            "SystemName": MACHINE, "TagId": 0, "WaitHint": 0, "_stoppable": stop}


def dt(t):
    """A CIM datetime as Windows writes it in cim:Datetime."""
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).isoformat(
        timespec="microseconds")


def make_os(boot):
    return {"BootDevice": "\\Device\\HarddiskVolume1", "BuildNumber": "20348",
            "BuildType": "Multiprocessor Free", "Caption": "Microsoft Windows Server 2022 Datacenter",
            "CodeSet": "1252", "CountryCode": "1", "CreationClassName": "Win32_OperatingSystem",
            "CSCreationClassName": "Win32_ComputerSystem", "CSDVersion": None, "CSName": MACHINE,
            "CurrentTimeZone": 0, "Description": "", "FreePhysicalMemory": 5873420,
            "FreeVirtualMemory": 7012388, "InstallDate": dt(1735718400.0),
            "LastBootUpTime": dt(boot), "LocalDateTime": None, "Locale": "0409",
            "Manufacturer": "Microsoft Corporation",
            "Name": "Microsoft Windows Server 2022 Datacenter|C:\\Windows|\\Device\\Harddisk0\\Partition2",
            "NumberOfProcesses": 5, "NumberOfUsers": 1, "OSArchitecture": "64-bit",
            "OSLanguage": 1033, "OSType": 18, "ProductType": 3, "SerialNumber": "00454-60000-00001-AA000",
            "ServicePackMajorVersion": 0, "Status": "OK", "SystemDirectory": "C:\\Windows\\system32",
            "SystemDrive": "C:", "TotalVisibleMemorySize": 8388148, "Version": "10.0.20348",
            "WindowsDirectory": "C:\\Windows"}


def make_processes(boot):
    rows = [(0, 0, "System Idle Process", None), (4, 0, "System", None),
            (612, 4, "smss.exe", "C:\\Windows\\System32\\smss.exe"),
            (884, 612, "services.exe", "C:\\Windows\\system32\\services.exe"),
            (2204, 884, "svchost.exe", "C:\\Windows\\System32\\svchost.exe")]
    out = []
    for pid, ppid, name, path in rows:
        out.append({"Caption": name, "CommandLine": path, "CreationClassName": "Win32_Process",
                    "CreationDate": dt(boot + pid / 100.0) if pid else None, "CSName": MACHINE,
                    "Description": name, "ExecutablePath": path, "Handle": str(pid),
                    "HandleCount": 100 + pid % 97, "Name": name, "ParentProcessId": ppid,
                    "ProcessId": pid, "SessionId": 0, "Status": None, "ThreadCount": 1 + pid % 13,
                    "WorkingSetSize": 24576 * (1 + pid % 50)})
    return out


# ---- the repository ----
class Repository:
    """The CIM state of the simulated host; one per endpoint (Service.cim)."""

    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        boot = time.time() - 3 * 86400
        self.services = [make_service(i) for i in range(args.services)]
        self.by_name = {s["Name"].lower(): s for s in self.services}
        self.os = make_os(boot)
        self.processes = make_processes(boot)
        self.config = {"MaxTimeoutms": 60000, "MaxBatchItems": 32000,
                       "MaxProviderRequests": 4294967295}
        self.listeners = {}
        self.enums = {}
        self.counts = {"get": 0, "put": 0, "create": 0, "delete": 0, "invoke": 0,
                       "enumerate": 0, "pull": 0, "release": 0, "items": 0, "bytes": 0}
        self.classes = {
            "win32_service": (CimClass("Win32_Service", SERVICE_PROPS, ["Name"],
                                       ["StartMode", "Description"],
                                       {"startservice": ("StartService", svc_start),
                                        "stopservice": ("StopService", svc_stop),
                                        "changestartmode": ("ChangeStartMode", svc_mode)}),
                              lambda: self.services),
            "win32_operatingsystem": (CimClass("Win32_OperatingSystem", OS_PROPS),
                                      lambda: [self.os]),
            "win32_process": (CimClass("Win32_Process", PROCESS_PROPS, ["Handle"]),
                              lambda: self.processes),
        }

    def listening(self, http_port, https_port, thumbprint):
        """The endpoint's own listeners, as `winrm enumerate winrm/config/listener` shows them."""
        for transport, port, thumb in (("HTTP", http_port, ""), ("HTTPS", https_port, thumbprint)):
            self.listeners[("*", transport)] = {
                "Address": "*", "Transport": transport, "Port": str(port), "Hostname": "",
                "Enabled": "true", "URLPrefix": "wsman", "CertificateThumbprint": thumb,
                "ListeningOn": ["127.0.0.1", "::1"]}

    def count(self, what, n=1):
        with self.lock:
            self.counts[what] += n

    def stats(self):
        with self.lock:
            return dict(self.counts, open_enumerations=len(self.enums))


# ---- Win32_Service methods: WMI's return values ----
def svc_start(s, params):
    if s["State"] == "Running":
        return 10  # Service Already Running
    if s["StartMode"] == "Disabled":
        return 14  # Service Disabled
    s.update(State="Running", Started=True, AcceptStop=s["_stoppable"], ExitCode=0,
             ProcessId=4000 + len(s["Name"]) * 4)
    return 0


def svc_stop(s, params):
    if s["State"] != "Running":
        return 6  # Service Not Active
    if not s["AcceptStop"]:
        return 5  # Service Cannot Accept Control
    s.update(State="Stopped", Started=False, AcceptStop=False, ExitCode=0, ProcessId=0)
    return 0


def svc_mode(s, params):
    mode = params.get("startmode", "")
    match = [m for m in START_MODES if m.lower() == mode.lower() or
             (mode.lower() == "automatic" and m == "Auto")]
    if not match:
        return 21  # Invalid Parameter
    s["StartMode"] = match[0]
    return 0


# ---- rendering ----
def value_xml(prefix, name, kind, v):
    if v is None:
        return '<%s:%s xsi:nil="true"/>' % (prefix, name)
    if kind == "d":
        text = "<cim:Datetime>%s</cim:Datetime>" % v
    elif kind == "b":
        text = "true" if v else "false"
    else:
        text = escape(str(v))
    return "<%s:%s>%s</%s:%s>" % (prefix, name, text, prefix, name)


def selectors_xml(pairs):
    return "<w:SelectorSet>%s</w:SelectorSet>" % "".join(
        '<w:Selector Name=%s>%s</w:Selector>' % (quoteattr(k), escape(v)) for k, v in pairs)


def epr_xml(uri, pairs):
    return ("<a:EndpointReference><a:Address>%s</a:Address><a:ReferenceParameters>"
            "<w:ResourceURI>%s</w:ResourceURI>%s</a:ReferenceParameters></a:EndpointReference>"
            % (wsman.ANON, escape(uri), selectors_xml(pairs)))


class WmiResource:
    """One WMI class of root/cimv2."""

    def __init__(self, repo, key):
        self.repo = repo
        self.cls, self.source = repo.classes[key]
        self.uri = WMI + CIMV2 + "/" + self.cls.name

    def all(self):
        with self.repo.lock:
            return [dict(i) for i in self.source()]

    def element(self, inst, props=None):
        c = self.cls
        if c.name == "Win32_OperatingSystem":
            inst = dict(inst, LocalDateTime=dt(time.time()))
        body = "".join(value_xml("p", n, t, inst.get(n)) for n, t in c.props
                       if props is None or n.lower() in props)
        return ('<p:%s xmlns:xsi="%s" xmlns:p="%s" xmlns:cim="%s" xsi:type="p:%s_Type">%s</p:%s>'
                % (c.name, XSI, self.uri, CIM, c.name, body, c.name))

    def selectors(self, inst):
        return [(k, str(inst[k])) for k in self.cls.keys] + [("__cimnamespace", CIMV2)]

    def find(self, selectors):
        """The live instance the selectors name (the caller holds the lock)."""
        sel = {}
        for name, value in selectors.items():
            if name.lower() == "__cimnamespace":
                if value.replace("\\", "/").lower() != CIMV2:
                    raise Fault(wsman.F_INVALID_SELECTORS)
                continue
            if name.lower() not in (k.lower() for k in self.cls.keys):
                raise Fault(wsman.F_INVALID_SELECTORS)
            sel[name.lower()] = value
        if len(sel) != len(self.cls.keys):
            raise Fault(wsman.F_INVALID_SELECTORS)
        if self.cls.name == "Win32_Service":
            inst = self.repo.by_name.get(sel["name"].lower())
            if inst is None:
                raise Fault(wsman.F_NOT_FOUND)
            return inst
        for inst in self.source():
            if all(str(inst[k]).lower() == sel[k.lower()].lower() for k in self.cls.keys):
                return inst
        raise Fault(wsman.F_NOT_FOUND)

    def put(self, req):
        """Only the writable properties may change; the rest of a Get
        answer sent back unchanged is accepted (as clients do)."""
        body = first_child(req.body)
        if body is None or local(body.tag).lower() != self.cls.name.lower():
            raise Fault(wsman.F_INVALID_REPRESENTATION)
        with self.repo.lock:
            inst = self.find(req.selectors)
            changes = {}
            for e in body:
                name, kind = self.cls.types.get(local(e.tag).lower(), (None, None))
                if name is None:
                    raise Fault(wsman.F_INVALID_REPRESENTATION)
                new = parse_value(e, kind)
                if value_xml("p", name, kind, new) == value_xml("p", name, kind, inst[name]):
                    continue
                if name.lower() not in self.cls.writable:
                    raise Fault(wsman.F_INVALID_REPRESENTATION)
                if name == "StartMode" and new not in START_MODES:
                    raise Fault(wsman.F_INVALID_REPRESENTATION)
                changes[name] = new
            inst.update(changes)
            return self.element(inst)

    def invoke(self, req, method):
        m = self.cls.methods.get(method.lower())
        if m is None:
            raise Fault(wsman.F_ACTION)
        name, fn = m
        body = first_child(req.body)
        params = {local(e.tag).lower(): wsman.text(e) for e in (body if body is not None else [])}
        with self.repo.lock:
            rv = fn(self.find(req.selectors), params)
        return name, '<p:%s_OUTPUT xmlns:p="%s"><p:ReturnValue>%d</p:ReturnValue></p:%s_OUTPUT>' % (
            name, self.uri, rv, name)


def first_child(e):
    return next(iter(e), None) if e is not None else None


def parse_value(e, kind):
    if e.get(qn(XSI, "nil"), "").lower() == "true":
        return None
    if kind == "d":
        return wsman.text(e.find(qn(CIM, "Datetime"))) or None
    t = wsman.text(e)
    if kind == "b":
        return t.lower() == "true"
    if kind == "i":
        try:
            return int(t)
        except ValueError:
            raise Fault(wsman.F_INVALID_REPRESENTATION)
    return t


class ListenerResource:
    """winrm/config/listener: Address and Transport select a listener."""
    uri = LISTENER
    FIELDS = ("Address", "Transport", "Port", "Hostname", "Enabled", "URLPrefix",
              "CertificateThumbprint")

    def __init__(self, repo):
        self.repo = repo

    def all(self):
        with self.repo.lock:
            return [dict(v) for v in self.repo.listeners.values()]

    def element(self, inst, props=None):
        body = "".join("<cfg:%s>%s</cfg:%s>" % (f, escape(inst[f]), f) for f in self.FIELDS)
        body += "".join("<cfg:ListeningOn>%s</cfg:ListeningOn>" % escape(a)
                        for a in inst["ListeningOn"])
        return '<cfg:Listener xmlns:cfg="%s">%s</cfg:Listener>' % (LISTENER, body)

    def selectors(self, inst):
        return [("Address", inst["Address"]), ("Transport", inst["Transport"])]

    def key(self, selectors):
        sel = {k.lower(): v for k, v in selectors.items()}
        if set(sel) != {"address", "transport"}:
            raise Fault(wsman.F_INVALID_SELECTORS)
        transport = sel["transport"].upper()
        if transport not in ("HTTP", "HTTPS"):
            raise Fault(wsman.F_INVALID_SELECTORS)
        return sel["address"].lower(), transport

    def find(self, selectors):
        inst = self.repo.listeners.get(self.key(selectors))
        if inst is None:
            raise Fault(wsman.F_NOT_FOUND)
        return inst

    def create(self, req):
        addr, transport = self.key(req.selectors)
        body = first_child(req.body)
        if body is None or local(body.tag) != "Listener":
            raise Fault(wsman.F_INVALID_REPRESENTATION)
        given = {local(e.tag): wsman.text(e) for e in body}
        if set(given) - set(self.FIELDS):
            raise Fault(wsman.F_INVALID_REPRESENTATION)
        inst = {"Address": next(v for k, v in req.selectors.items() if k.lower() == "address"),
                "Transport": transport, "Port": given.get("Port") or
                ("5985" if transport == "HTTP" else "5986"), "Hostname": given.get("Hostname", ""),
                "Enabled": given.get("Enabled", "true").lower(),
                "URLPrefix": given.get("URLPrefix") or "wsman",
                "CertificateThumbprint": given.get("CertificateThumbprint", ""),
                "ListeningOn": ["127.0.0.1", "::1"]}
        if not inst["Port"].isdigit():
            raise Fault(wsman.F_INVALID_REPRESENTATION)
        with self.repo.lock:
            if (addr, transport) in self.repo.listeners:
                raise Fault(wsman.F_ALREADY_EXISTS)
            self.repo.listeners[(addr, transport)] = inst
        return inst

    def delete(self, req):
        with self.repo.lock:
            self.find(req.selectors)
            del self.repo.listeners[self.key(req.selectors)]


class ConfigResource:
    """winrm/config (and its Client, Service, Winrs sections on their own
    URIs), built from the endpoint's flags."""
    SECTIONS = ("", "client", "service", "winrs")
    WRITABLE = {"MaxEnvelopeSizekb", "MaxTimeoutms", "MaxBatchItems", "Winrs/MaxShellsPerUser"}

    def __init__(self, repo, section):
        self.repo = repo
        self.section = section
        self.uri = CONFIG + ("/" + section if section else "")

    def tree(self):
        a, c = self.repo.args, self.repo.config
        b = lambda v: "true" if v else "false"  # noqa: E731
        client = [("NetworkDelayms", "5000"), ("URLPrefix", "wsman"), ("AllowUnencrypted", "false"),
                  ("Auth", [("Basic", "true"), ("Digest", "true"), ("Kerberos", "true"),
                            ("Negotiate", "true"), ("Certificate", "true"), ("CredSSP", "false")]),
                  ("DefaultPorts", [("HTTP", "5985"), ("HTTPS", "5986")]), ("TrustedHosts", "")]
        service = [("RootSDDL", "O:NSG:BAD:P(A;;GA;;;BA)(A;;GR;;;IU)S:P(AU;FA;GA;;;WD)(AU;SA;GXGW;;;WD)"),
                   ("MaxConcurrentOperations", "4294967295"),
                   ("MaxConcurrentOperationsPerUser", "1500"), ("EnumerationTimeoutms",
                                                                str(a.enumeration_timeout_ms)),
                   ("MaxConnections", "300"), ("MaxPacketRetrievalTimeSeconds", "120"),
                   ("AllowUnencrypted", b(a.allow_unencrypted)),
                   ("Auth", [("Basic", b(a.basic)), ("Kerberos", "false"),
                             ("Negotiate", b(a.negotiate)), ("Certificate", b(a.certificate)),
                             ("CredSSP", "false"), ("CbtHardeningLevel", a.cbt.capitalize())]),
                   ("DefaultPorts", [("HTTP", "5985"), ("HTTPS", "5986")]),
                   ("IPv4Filter", "*"), ("IPv6Filter", "*"),
                   ("EnableCompatibilityHttpListener", "false"),
                   ("EnableCompatibilityHttpsListener", "false"), ("CertificateThumbprint", ""),
                   ("AllowRemoteAccess", "true")]
        winrs = [("AllowRemoteShellAccess", "true"), ("IdleTimeout", "7200000"),
                 ("MaxConcurrentUsers", "2147483647"), ("MaxShellRunTime", "2147483647"),
                 ("MaxProcessesPerShell", "2147483647"), ("MaxMemoryPerShellMB", "2147483647"),
                 ("MaxShellsPerUser", str(a.max_shells_per_user))]
        if self.section:
            return {"client": client, "service": service, "winrs": winrs}[self.section]
        return [("MaxEnvelopeSizekb", str(a.max_envelope_kb)),
                ("MaxTimeoutms", str(c["MaxTimeoutms"])), ("MaxBatchItems", str(c["MaxBatchItems"])),
                ("MaxProviderRequests", str(c["MaxProviderRequests"])),
                ("Client", client), ("Service", service), ("Winrs", winrs)]

    def element(self, inst=None, props=None):
        def render(items):
            return "".join("<cfg:%s>%s</cfg:%s>" % (k, render(v) if isinstance(v, list)
                                                   else escape(v), k) for k, v in items)
        root = self.section.capitalize() if self.section else "Config"
        return '<cfg:%s xmlns:cfg="%s">%s</cfg:%s>' % (root, self.uri, render(self.tree()), root)

    def put(self, req):
        """Top-level limits and Winrs/MaxShellsPerUser may change; a new
        MaxEnvelopeSizekb is the endpoint's request limit from then on."""
        body = first_child(req.body)
        if self.section or body is None or local(body.tag) != "Config":
            raise Fault(wsman.F_INVALID_REPRESENTATION)
        current = dict(flatten(self.tree()))
        changes = {}
        for path, value in flatten_xml(body):
            if path not in current:
                raise Fault(wsman.F_INVALID_REPRESENTATION)
            if value == current[path]:
                continue
            if path not in self.WRITABLE or not value.isdigit() or int(value) < 1:
                raise Fault(wsman.F_INVALID_REPRESENTATION)
            changes[path] = int(value)
        a = self.repo.args
        with self.repo.lock:
            for path, v in changes.items():
                if path == "MaxEnvelopeSizekb":
                    a.max_envelope_kb = v
                elif path == "Winrs/MaxShellsPerUser":
                    a.max_shells_per_user = v
                else:
                    self.repo.config[path] = v
        return self.element()


def flatten(items, prefix=""):
    for k, v in items:
        if isinstance(v, list):
            yield from flatten(v, prefix + k + "/")
        else:
            yield prefix + k, v


def flatten_xml(e, prefix=""):
    for c in e:
        if len(c):
            yield from flatten_xml(c, prefix + local(c.tag) + "/")
        else:
            yield prefix + local(c.tag), wsman.text(c)


# ---- resource URIs ----
def handles(uri):
    u = (uri or "").lower()
    return u.startswith(WMI.lower()) or u == CONFIG.lower() or u.startswith(CONFIG.lower() + "/")


def resolve(repo, uri):
    """The resource a URI names; None for .../root/cimv2/* (a WQL target)."""
    u = uri.lower().rstrip("/")
    if u.startswith(WMI.lower()):
        ns, _, cls = u[len(WMI):].rpartition("/")
        if ns != CIMV2:
            raise Fault(wsman.F_RESOURCE)
        if cls == "*":
            return None
        if cls not in repo.classes:
            raise Fault(wsman.F_RESOURCE)
        return WmiResource(repo, cls)
    if u == LISTENER.lower():
        return ListenerResource(repo)
    section = u[len(CONFIG):].lstrip("/")
    if section in ConfigResource.SECTIONS:
        return ConfigResource(repo, section)
    raise Fault(wsman.F_RESOURCE)


# ---- WQL ----
TOKEN = re.compile(r"""\s*(?:(?P<str>'[^']*'|"[^"]*")|(?P<num>-?\d+(?:\.\d+)?)|"""
                   r"""(?P<op><>|!=|<=|>=|=|<|>|\(|\)|,|\*)|(?P<id>[A-Za-z_][A-Za-z0-9_]*))""")


class BadQuery(Exception):
    pass


def tokenize(q):
    pos, out = 0, []
    q = q.rstrip()
    while pos < len(q):
        m = TOKEN.match(q, pos)
        if not m or m.end() == pos:
            raise BadQuery(q)
        pos = m.end()
        kind = m.lastgroup
        v = m.group(kind)
        out.append((kind, v[1:-1] if kind == "str" else v))
    return out


class Query:
    """SELECT * | p, q FROM Class [WHERE cond]; cond: comparisons (=, <>,
    !=, <, >, <=, >=, LIKE, IS [NOT] NULL) joined by AND / OR / NOT and
    parentheses. Keywords, property names and string comparisons are
    case-insensitive, as in WMI."""

    def __init__(self, text):
        self.text = text
        self.toks = tokenize(text)
        self.i = 0
        self.expect_kw("select")
        if self.accept_op("*"):
            self.props = None
        else:
            self.props = [self.ident()]
            while self.accept_op(","):
                self.props.append(self.ident())
        self.expect_kw("from")
        self.cls = self.ident()
        self.where = None
        if self.accept_kw("where"):
            self.where = self.disjunction()
        if self.i != len(self.toks):
            raise BadQuery(text)

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else (None, None)

    def accept_kw(self, kw):
        k, v = self.peek()
        if k == "id" and v.lower() == kw:
            self.i += 1
            return True
        return False

    def expect_kw(self, kw):
        if not self.accept_kw(kw):
            raise BadQuery(self.text)

    def accept_op(self, op):
        k, v = self.peek()
        if k == "op" and v == op:
            self.i += 1
            return True
        return False

    def ident(self):
        k, v = self.peek()
        if k != "id" or v.lower() in ("select", "from", "where", "and", "or", "not", "like"):
            raise BadQuery(self.text)
        self.i += 1
        return v

    def disjunction(self):
        terms = [self.conjunction()]
        while self.accept_kw("or"):
            terms.append(self.conjunction())
        return ("or", terms)

    def conjunction(self):
        factors = [self.factor()]
        while self.accept_kw("and"):
            factors.append(self.factor())
        return ("and", factors)

    def factor(self):
        if self.accept_kw("not"):
            return ("not", self.factor())
        if self.accept_op("("):
            e = self.disjunction()
            if not self.accept_op(")"):
                raise BadQuery(self.text)
            return e
        prop = self.ident()
        if self.accept_kw("is"):
            neg = self.accept_kw("not")
            self.expect_kw("null")
            return ("null", prop, neg)
        k, op = self.peek()
        if k == "op" and op in ("=", "<>", "!=", "<", ">", "<=", ">="):
            self.i += 1
        elif self.accept_kw("like"):
            op = "like"
        else:
            raise BadQuery(self.text)
        return ("cmp", prop, op, self.literal())

    def literal(self):
        k, v = self.peek()
        self.i += 1
        if k == "str":
            return v
        if k == "num":
            return float(v) if "." in v else int(v)
        if k == "id" and v.lower() in ("true", "false"):
            return v.lower() == "true"
        raise BadQuery(self.text)

    def properties(self):
        """Every property name the query uses."""
        out = list(self.props or [])

        def walk(e):
            if e[0] in ("or", "and"):
                for x in e[1]:
                    walk(x)
            elif e[0] == "not":
                walk(e[1])
            else:
                out.append(e[1])
        if self.where:
            walk(self.where)
        return out

    def matches(self, inst, types):
        return self.where is None or evaluate(self.where, inst, types)


def like(pattern, s):
    rx = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern)
    return re.fullmatch(rx, s, re.IGNORECASE | re.DOTALL) is not None


def evaluate(e, inst, types):
    kind = e[0]
    if kind == "or":
        return any(evaluate(x, inst, types) for x in e[1])
    if kind == "and":
        return all(evaluate(x, inst, types) for x in e[1])
    if kind == "not":
        return not evaluate(e[1], inst, types)
    name = types[e[1].lower()][0]
    v = inst.get(name)
    if kind == "null":
        return (v is not None) if e[2] else (v is None)
    _, _, op, lit = e
    if v is None:
        return False
    if op == "like":
        return like(str(lit), str(v))
    if isinstance(v, bool) or isinstance(lit, bool):
        a, b = str(v).lower(), str(lit).lower()
    elif isinstance(v, int) and not isinstance(lit, str):
        a, b = v, lit
    elif isinstance(v, int):
        try:
            a, b = v, int(lit)
        except ValueError:
            return False
    else:
        a, b = str(v).lower(), str(lit).lower()
    return {"=": a == b, "<>": a != b, "!=": a != b, "<": a < b, ">": a > b,
            "<=": a <= b, ">=": a >= b}[op]


def wmi_fault(query, inner):
    """n:CannotProcessFilter with the WMI plug-in's ProviderFault, as in
    winrb-wql-enumerate-pull/003."""
    spec = wsman.F_CANNOT_PROCESS_FILTER
    provider = (
        '<f:ProviderFault path="%%systemroot%%\\system32\\WsmWmiPl.dll" provider="WMI Provider">'
        '<f:WSManFault Code="%d" Machine="%s" xmlns:f="%s"><f:Message>%s</f:Message></f:WSManFault>'
        '<f:ExtendedError><p:__ExtendedStatus xmlns:cim="%s" xmlns:p="%s__ExtendedStatus" '
        'xmlns:xsi="%s" xsi:type="p:__ExtendedStatus_Type"><p:Description xsi:nil="true"/>'
        '<p:Operation>ExecQuery</p:Operation><p:ParameterInfo>%s</p:ParameterInfo>'
        '<p:ProviderName>WinMgmt</p:ProviderName><p:StatusCode xsi:nil="true"/>'
        '</p:__ExtendedStatus></f:ExtendedError></f:ProviderFault>' % (
            spec[1], MACHINE, wsman.NS["f"], escape(inner), CIM, WMI + CIMV2 + "/", XSI,
            escape(query)))
    return Fault(spec, provider=provider, action=A_ENUM_FAULT)


def run_query(repo, text):
    """(resource, instances, projection) for a WQL query."""
    try:
        q = Query(text)
    except BadQuery:
        raise wmi_fault(text, "Invalid query ")
    key = q.cls.lower()
    if key not in repo.classes:
        raise wmi_fault(text, "The specified class does not exist in the given namespace. ")
    res = WmiResource(repo, key)
    types = res.cls.types
    if any(p.lower() not in types for p in q.properties()):
        raise wmi_fault(text, "Invalid query ")
    insts = [i for i in res.all() if q.matches(i, types)]
    props = {p.lower() for p in q.props} if q.props else None
    return res, insts, props


# ---- WS-Enumeration ----
class Enumeration:
    def __init__(self, user, res, insts, props, mode, timeout):
        self.id = "uuid:" + str(uuid.uuid4()).upper()
        self.user, self.res, self.insts, self.props, self.mode = user, res, insts, props, mode
        self.pos = 0
        self.expires = time.monotonic() + timeout

    def item(self, inst):
        if self.mode == EPR:
            return epr_xml(self.res.uri, self.res.selectors(inst))
        obj = self.res.element(inst, self.props)
        if self.mode == OBJ_EPR:
            return "<w:Item>%s%s</w:Item>" % (obj, epr_xml(self.res.uri, self.res.selectors(inst)))
        return obj

    def take(self, max_items, budget, max_envelope):
        """The next items: at most max_items, at most budget bytes, at least
        one (or the EncodingLimit fault when even one is too big)."""
        out, used = [], 0
        while self.pos < len(self.insts) and len(out) < max_items:
            x = self.item(self.insts[self.pos])
            n = len(x.encode("utf-8"))
            if used + n > budget:
                if not out:
                    raise Fault(wsman.F_RESPONSE_TOO_LARGE, max_envelope - budget + n,
                                max_envelope)
                break
            out.append(x)
            used += n
            self.pos += 1
        return "".join(out), len(out), self.pos >= len(self.insts)


def envelope_budget(req, action, body):
    """Bytes left for items in a response of this shape."""
    return req.max_envelope - len(wsman.envelope(action, req.message_id, body, NS_N))


NS_N = ' xmlns:n="%s"' % N


def int_child(parent, tag, default):
    t = wsman.text(parent.find(tag)) if parent is not None else ""
    try:
        return max(1, int(t)) if t else default
    except ValueError:
        raise Fault(wsman.F_SCHEMA)


def enumerate_(repo, req, user):
    body = req.body.find(qn(N, "Enumerate"))
    if body is None:
        raise Fault(wsman.F_SCHEMA)
    w = wsman.NS["w"]
    flt = body.find(qn(w, "Filter"))
    if flt is None:
        flt = body.find(qn(N, "Filter"))
    res = resolve(repo, req.resource)
    if res is not None and not hasattr(res, "all"):  # winrm/config is one document
        raise Fault(wsman.F_ACTION)
    if flt is not None:
        if (flt.get("Dialect") or WQL).lower() != WQL.lower():
            raise Fault(wsman.F_FILTER_DIALECT, action=A_ENUM_FAULT)
        if res is not None and not isinstance(res, WmiResource):
            raise Fault(wsman.F_FILTER_DIALECT, action=A_ENUM_FAULT)
        res, insts, props = run_query(repo, "".join(flt.itertext()).strip())
    elif res is None:  # root/cimv2/* needs a query
        raise Fault(wsman.F_CANNOT_PROCESS_FILTER, action=A_ENUM_FAULT)
    else:
        insts, props = res.all(), None
    mode = wsman.text(body.find(qn(w, "EnumerationMode"))) or OBJ
    if mode not in (OBJ, OBJ_EPR, EPR):
        raise Fault(wsman.F_SCHEMA)
    e = Enumeration(user, res, insts, props, mode, repo.args.enumeration_timeout_ms / 1000.0)
    repo.count("enumerate")
    if body.find(qn(w, "OptimizeEnumeration")) is None:
        with repo.lock:
            repo.enums[e.id] = e
        return wsman.envelope(N + "/EnumerateResponse", req.message_id,
                              "<n:EnumerateResponse><n:EnumerationContext>%s</n:EnumerationContext>"
                              "</n:EnumerateResponse>" % e.id, NS_N)
    shell = ("<n:EnumerateResponse><n:EnumerationContext>%s</n:EnumerationContext><w:Items></w:Items>"
             "<w:EndOfSequence/></n:EnumerateResponse>" % e.id)
    limit = min(int_child(body, qn(w, "MaxElements"), 1), repo.config["MaxBatchItems"])
    items, n, end = e.take(limit, envelope_budget(req, N + "/EnumerateResponse", shell),
                           req.max_envelope)
    repo.count("items", n)
    if not end:
        with repo.lock:
            repo.enums[e.id] = e
    # at the end Windows leaves the context empty: nothing to Pull or Release
    return wsman.envelope(N + "/EnumerateResponse", req.message_id,
                          "<n:EnumerateResponse><n:EnumerationContext>%s</n:EnumerationContext>"
                          "<w:Items>%s</w:Items>%s</n:EnumerateResponse>" % (
                              "" if end else e.id, items, "<w:EndOfSequence/>" if end else ""),
                          NS_N)


def find_enumeration(repo, req, user, tag):
    body = req.body.find(qn(N, tag))
    ctx = wsman.text(body.find(qn(N, "EnumerationContext"))) if body is not None else ""
    now = time.monotonic()
    with repo.lock:
        for k in [k for k, v in repo.enums.items() if v.expires < now]:
            del repo.enums[k]
        e = repo.enums.get(ctx)
    if e is None or e.user.lower() != user.lower():
        raise Fault(wsman.F_INVALID_CONTEXT, sender=False, action=A_ENUM_FAULT)
    return body, e


def pull(repo, req, user):
    body, e = find_enumeration(repo, req, user, "Pull")
    repo.count("pull")
    limit = min(int_child(body, qn(N, "MaxElements"), 1), repo.config["MaxBatchItems"])
    shell = ("<n:PullResponse><n:EnumerationContext>%s</n:EnumerationContext><n:Items></n:Items>"
             "<n:EndOfSequence/></n:PullResponse>" % e.id)
    with repo.lock:  # one Pull at a time per context
        items, n, end = e.take(limit, envelope_budget(req, N + "/PullResponse", shell),
                               req.max_envelope)
        e.expires = time.monotonic() + repo.args.enumeration_timeout_ms / 1000.0
        if end:
            repo.enums.pop(e.id, None)
    repo.count("items", n)
    ctx = "" if end else "<n:EnumerationContext>%s</n:EnumerationContext>" % e.id
    return wsman.envelope(N + "/PullResponse", req.message_id,
                          "<n:PullResponse>%s<n:Items>%s</n:Items>%s</n:PullResponse>" % (
                              ctx, items, "<n:EndOfSequence/>" if end else ""), NS_N)


def release(repo, req, user):
    _, e = find_enumeration(repo, req, user, "Release")
    with repo.lock:
        repo.enums.pop(e.id, None)
    repo.count("release")
    return wsman.envelope(N + "/ReleaseResponse", req.message_id, "", NS_N)


# ---- dispatch ----
def dispatch(repo, req, user, address):
    """The answer to a request for a CIM / config resource URI; address is
    the endpoint's own URL (for x:ResourceCreated)."""
    a = req.action
    if a == A_ENUMERATE:
        return enumerate_(repo, req, user)
    if a == A_PULL:
        return pull(repo, req, user)
    if a == A_RELEASE:
        return release(repo, req, user)
    res = resolve(repo, req.resource)
    if res is None:
        raise Fault(wsman.F_ACTION)
    if a == A_GET:
        repo.count("get")
        with repo.lock:
            inst = None if isinstance(res, ConfigResource) else res.find(req.selectors)
            xml = res.element(inst)
        return wsman.envelope(TRANSFER + "GetResponse", req.message_id, xml)
    if a == A_PUT and hasattr(res, "put"):
        repo.count("put")
        return wsman.envelope(TRANSFER + "PutResponse", req.message_id, res.put(req))
    if a == A_CREATE and hasattr(res, "create"):
        repo.count("create")
        inst = res.create(req)
        return wsman.envelope(TRANSFER + "CreateResponse", req.message_id, (
            "<x:ResourceCreated><a:Address>%s</a:Address><a:ReferenceParameters>"
            "<w:ResourceURI>%s</w:ResourceURI>%s</a:ReferenceParameters></x:ResourceCreated>" % (
                escape(address), res.uri, selectors_xml(res.selectors(inst)))))
    if a == A_DELETE and hasattr(res, "delete"):
        repo.count("delete")
        res.delete(req)
        return wsman.envelope(TRANSFER + "DeleteResponse", req.message_id, "")
    prefix = req.resource.rstrip("/") + "/"
    if isinstance(res, WmiResource) and a.lower().startswith(prefix.lower()):
        repo.count("invoke")
        name, xml = res.invoke(req, a[len(prefix):])
        return wsman.envelope(res.uri + "/" + name + "Response", req.message_id, xml)
    raise Fault(wsman.F_ACTION)
