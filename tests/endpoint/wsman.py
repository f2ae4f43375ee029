"""WS-Management envelopes as Windows writes them (MS-WSMV, DSP0226):
request parsing, responses and the faults of the WinRM service, with the
prefixes, codes and texts of the recordings in tests/replay/windows."""
import uuid
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "x": "http://schemas.xmlsoap.org/ws/2004/09/transfer",
    "w": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "p": "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd",
    "rsp": "http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
    "f": "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault",
    "wsmid": "http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd",
    "n": "http://schemas.xmlsoap.org/ws/2004/09/enumeration",
}
ANON = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
SHELL_CMD = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd"
A_CREATE = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create"
A_DELETE = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete"
A_COMMAND = NS["rsp"] + "/Command"
A_SEND = NS["rsp"] + "/Send"
A_RECEIVE = NS["rsp"] + "/Receive"
A_SIGNAL = NS["rsp"] + "/Signal"
A_FAULT = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"
DONE = NS["rsp"] + "/CommandState/Done"
RUNNING = NS["rsp"] + "/CommandState/Running"

# (subcode, WSManFault code, text): as Windows sends them (codes seen in the
# recordings or documented in MS-WSMV and winerror.h)
F_TIMED_OUT = ("w:TimedOut", 2150858793, "The WS-Management service cannot complete the "
               "operation within the time specified in OperationTimeout.  ")
F_INVALID_SELECTORS = ("w:InvalidSelectors", 2150858843, "The WS-Management service cannot "
                       "process the request because the request contained invalid selectors "
                       "for the resource. ")
F_QUOTA = ("w:QuotaLimit", 2150859173, "The WS-Management service cannot process the request. "
           "This user is allowed a maximum number of {0} concurrent shells, which has been "
           "exceeded. Close existing shells or raise the quota for this user. ")
F_ENCODING_LIMIT = ("w:EncodingLimit", 2150858817, "The WS-Management service cannot process the "
                    "request because the request is too large.  ")
F_ACTION = ("a:ActionNotSupported", 2150858771, "The WS-Management service cannot process the "
            "request. The requested action is not supported by the service. ")
F_RESOURCE = ("w:DestinationUnreachable", 2150858770, "The WS-Management service cannot process "
              "the request. The resource URI is not valid or not supported. ")
F_SCHEMA = ("w:SchemaValidationError", 2150858817, "The SOAP XML in the message does not match "
            "the corresponding XML schema definition. Change the XML and retry. ")
F_BAD_HEADER = ("a:InvalidMessageInformationHeader", 2150858778, "The WS-Management service "
                "cannot process the request because the request contained an invalid message "
                "information header. ")
F_NO_DIR = ("w:InternalError", 2147942667, "The directory name is invalid. ")
# CIM / WMI operations (cim.py); codes and texts from winerror.h (FACILITY_WINRM)
F_CANNOT_PROCESS_FILTER = ("n:CannotProcessFilter", 2150858778, "The data source could not "
                           "process the filter. The filter might be missing or it might be "
                           "invalid. Change the filter and try the request again.  ")
F_FILTER_DIALECT = ("n:FilterDialectRequestedUnavailable", 2150858777, "The filter dialect (the "
                    "type associated with the filter) was not supported for this resource. Change "
                    "the filter dialect or remove it from the request and try the request again. ")
F_INVALID_CONTEXT = ("n:InvalidEnumerationContext", 2150858779, "The WS-Enumeration context in "
                     "the enumeration is not valid. Enumeration may have been completed or "
                     "canceled. You cannot use this enumeration context anymore. Start a new "
                     "enumeration. ")
# ERROR_WSMAN_RESOURCE_NOT_FOUND (what winrm.cmd prints for a WMI instance that
# does not exist); the SOAP subcode is not in any recording: InvalidSelectors
F_NOT_FOUND = ("w:InvalidSelectors", 2150858752, "The WS-Management service cannot process the "
               "request. The service cannot find the resource identified by the resource URI and "
               "selectors. ")
F_ALREADY_EXISTS = ("w:AlreadyExists", 2150858803, "The WS-Management service cannot create the "
                    "resource because it already exists. ")
F_INVALID_REPRESENTATION = ("x:InvalidRepresentation", 2150858773, "The WS-Management service "
                            "cannot identify the format of the object passed to a Put or Create "
                            "method. The input XML may not be appropriate for the resource or uses "
                            "the wrong schema for the resource. Change the input XML in the "
                            "request. ")
# a response that cannot fit the client's MaxEnvelopeSize (the text users
# report from Windows; the code is ERROR_WSMAN_MAX_ENVELOPE_SIZE_EXCEEDED)
F_RESPONSE_TOO_LARGE = ("w:EncodingLimit", 2150858824, "The WS-Management service cannot "
                        "process the request. The computed response packet size ({0}) exceeds "
                        "the maximum envelope size that is allowed ({1}). ")
# an authenticated account outside Administrators / Remote Management Users
# (ERROR_ACCESS_DENIED; reported by pywinrm users as HTTP 500, code 5)
F_ACCESS_DENIED = ("w:AccessDenied", 5, "Access is denied. ")


class Fault(Exception):
    """provider: the f:ProviderFault XML a plug-in adds inside f:Message
    (WMI does); action: the fault's a:Action when it is not the WS-Man one
    (WS-Enumeration faults carry .../enumeration/fault)."""

    def __init__(self, spec, *fmt, sender=True, provider=None, action=None):
        self.subcode, self.code, text = spec
        self.text = text.format(*fmt)
        self.sender = sender
        self.provider = provider
        self.action = action


def q(prefix, local):
    return "{%s}%s" % (NS[prefix], local)


class Request:
    """The parts of a request envelope the service looks at."""

    def __init__(self, body):
        try:
            self.root = ET.fromstring(body)
        except ET.ParseError:
            raise Fault(F_SCHEMA)
        if self.root.tag != q("s", "Envelope"):
            raise Fault(F_SCHEMA)
        self.header = self.root.find(q("s", "Header"))
        self.body = self.root.find(q("s", "Body"))
        if self.header is None or self.body is None:
            raise Fault(F_SCHEMA)
        h = self.header
        self.action = text(h.find(q("a", "Action")))
        self.message_id = text(h.find(q("a", "MessageID")))
        self.resource = text(h.find(q("w", "ResourceURI")))
        self.selectors = {e.get("Name"): text(e) for e in h.findall(q("w", "SelectorSet") + "/" +
                                                                     q("w", "Selector"))}
        self.options = {e.get("Name"): text(e) for e in h.findall(q("w", "OptionSet") + "/" +
                                                                 q("w", "Option"))}
        self.max_envelope = int(text(h.find(q("w", "MaxEnvelopeSize"))) or 153600)
        self.op_timeout = duration(text(h.find(q("w", "OperationTimeout"))))
        self.identify = self.body.find(q("wsmid", "Identify")) is not None


def text(e):
    return (e.text or "").strip() if e is not None else ""


def duration(s):
    """xs:duration 'PT20.000S' in seconds (only the forms WS-Man uses)."""
    if not s.startswith("PT"):
        return 60.0
    total, num = 0.0, ""
    for ch in s[2:]:
        if ch.isdigit() or ch == ".":
            num += ch
        else:
            total += float(num or 0) * {"H": 3600, "M": 60, "S": 1}.get(ch, 0)
            num = ""
    return total


def envelope(action, relates_to, body, extra_ns=""):
    return ('<s:Envelope xml:lang="en-US" xmlns:s="%s" xmlns:a="%s" xmlns:x="%s" xmlns:w="%s" '
            'xmlns:rsp="%s" xmlns:p="%s"%s><s:Header><a:Action>%s</a:Action>'
            '<a:MessageID>uuid:%s</a:MessageID><a:To>%s</a:To>%s</s:Header>'
            '<s:Body>%s</s:Body></s:Envelope>' % (
                NS["s"], NS["a"], NS["x"], NS["w"], NS["rsp"], NS["p"], extra_ns, action,
                str(uuid.uuid4()).upper(), ANON,
                "<a:RelatesTo>%s</a:RelatesTo>" % relates_to if relates_to else "", body)
            ).encode("utf-8")


def fault_envelope(f, relates_to):
    body = ('<s:Fault><s:Code><s:Value>%s</s:Value><s:Subcode><s:Value>%s</s:Value></s:Subcode>'
            '</s:Code><s:Reason><s:Text xml:lang="en-US">%s</s:Text></s:Reason><s:Detail>'
            '<f:WSManFault xmlns:f="%s" Code="%d" Machine="127.0.0.1"><f:Message>%s</f:Message>'
            '</f:WSManFault></s:Detail></s:Fault>' % (
                "s:Sender" if f.sender else "s:Receiver", f.subcode, escape(f.text), NS["f"],
                f.code, f.provider or escape(f.text)))
    # n: must be declared for an n:... subcode QName to resolve
    return envelope(f.action or A_FAULT, relates_to, body, ' xmlns:n="%s"' % NS["n"])


def identify_response(authenticated, omi=False):
    if omi:
        return omi_identify_response()
    # Windows hides its version from anonymous callers
    version = "OS: 10.0.20348 SP: 0.0 Stack: 3.0" if authenticated else "OS: 0.0.0 SP: 0.0 Stack: 3.0"
    profiles = ""
    if authenticated:
        profiles = ("<wsmid:SecurityProfiles><wsmid:SecurityProfileName>http://schemas.dmtf.org/"
                    "wbem/wsman/1/wsman/secprofile/http/basic</wsmid:SecurityProfileName>"
                    "<wsmid:SecurityProfileName>http://schemas.dmtf.org/wbem/wsman/1/wsman/"
                    "secprofile/http/spnego-kerberos</wsmid:SecurityProfileName>"
                    "</wsmid:SecurityProfiles>")
    return ('<s:Envelope xml:lang="en-US" xmlns:s="%s"><s:Header/><s:Body>'
            '<wsmid:IdentifyResponse xmlns:wsmid="%s"><wsmid:ProtocolVersion>'
            'http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd</wsmid:ProtocolVersion>'
            '<wsmid:ProductVendor>Microsoft Corporation</wsmid:ProductVendor>'
            '<wsmid:ProductVersion>%s</wsmid:ProductVersion>%s</wsmid:IdentifyResponse>'
            '</s:Body></s:Envelope>' % (NS["s"], NS["wsmid"], version, profiles)).encode()


def omi_identify_response():
    """OMI's shape: IdentifyResponse in the SOAP envelope's namespace (not
    DSP0226's wsmid), SOAP-ENV: prefixes, values padded with whitespace."""
    return ('<SOAP-ENV:Envelope xmlns:SOAP-ENV="%s" xmlns:wsmid="%s">\n'
            '  <SOAP-ENV:Header>\n  </SOAP-ENV:Header>\n  <SOAP-ENV:Body>\n'
            '    <SOAP-ENV:IdentifyResponse>\n'
            '      <wsmid:ProtocolVersion>\n        http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd'
            '\n      </wsmid:ProtocolVersion>\n'
            '      <wsmid:ProductVendor>\n        Microsoft\n      </wsmid:ProductVendor>\n'
            '      <wsmid:ProductVersion>\n        1.6.8-1\n      </wsmid:ProductVersion>\n'
            '    </SOAP-ENV:IdentifyResponse>\n  </SOAP-ENV:Body>\n</SOAP-ENV:Envelope>\n'
            % (NS["s"], NS["wsmid"])).encode()
