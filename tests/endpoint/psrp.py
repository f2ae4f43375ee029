"""The server side of PowerShell Remoting (MS-PSRP) for the test endpoint.

Written from the specification and the shapes Windows sends in the
recordings (tests/replay/windows), independently of the client: fragments,
message headers and CLIXML are read with struct and ElementTree.

A pool is a WinRS shell of the PowerShell resource; its creationXml carries
SESSION_CAPABILITY and INIT_RUNSPACEPOOL; a pipeline is a Command whose
Arguments carry CREATE_PIPELINE. Scripts run in a deterministic toy
interpreter: statements separated by ';' or new lines, each one of

  N..M  'text'  "text"  NUMBER  Write-Output X  Write-Error 'm'  Write-Warning 'm'
  Write-Verbose 'm' -Verbose  Write-Host 'm'  Write-Information 'm'  throw 'm'
  Start-Sleep N  Get-Service  BigOutput N (N strings of 100 characters)
  Read-Host ['prompt']  $Host.UI.WriteLine('m')  $Host.UI.WriteErrorLine('m')
  $Host.UI.PromptForChoice('c','m',@('&Yes','&No'),N)  (the answer's index)
  $Host.UI.Prompt('c','m',@('Name','Pin:SecureString'))  (name=value lines)
  Read-Host -AsSecureString  Get-Credential  $s = Read-Host -AsSecureString
  $c = Get-Credential  $c.UserName  $c = $Host.UI.PromptForCredential('c','m','user','')
  [Net.NetworkCredential]::new('', $s).Password -eq 'text'  (True or False)
  $c.GetNetworkCredential().Password -eq 'text'
  ConvertTo-SecureString 'text' -AsPlainText -Force  (a SecureString out)
  Request-PublicKey  (endpoint only: a PUBLIC_KEY_REQUEST, MS-PSRP 2.2.2.5, then
    the key exchange; sent in the pipeline's stream: wrsh has no Receive on the
    pool open while a pipeline runs)
  exit [N]  (the script ends; a host hears SetShouldExit(N))
  ('text' * N)  (a string repeated, as an argument or a value)  ,@(1,'a')  (one list object)
  $input  process { $_ }  (the pipeline's input, each object as it comes)
  Write-Progress -Activity 'a' -Status 's' [-PercentComplete N] [-Completed]
  $name = VALUE  $name += N  $name  Set-Location PATH  cd PATH  (Get-Location).Path  prompt
  TabExpansion2 as wrsh shell asks it (commands and $variables)
  (the pool's runspace keeps variables and its location between pipelines)
  # a comment (to the end of the line)

anything else being a CommandNotFoundException, as PowerShell reports it.
"""
import base64
import re
import struct
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

URI = "http://schemas.microsoft.com/powershell/microsoft.powershell"
URI_BASE = "http://schemas.microsoft.com/powershell/"
# The session configurations this host has registered (lower case): None is
# full language; a set is a JEA-like restricted endpoint in NoLanguage mode
# whose visible commands are those.
CONFIGURATIONS = {"microsoft.powershell": None, "powershell.7": None,
                  "microsoft.powershell32": None,
                  "jea.maintenance": {"get-service", "prompt", "tabexpansion2"}}


def configuration(resource):
    """The configuration a resource URI names, or None if not PowerShell's."""
    r = (resource or "").lower()
    return r[len(URI_BASE):] if r.startswith(URI_BASE) else None

SESSION_CAPABILITY = 0x00010002
INIT_RUNSPACEPOOL = 0x00010004
RUNSPACEPOOL_STATE = 0x00021005
CREATE_PIPELINE = 0x00021006
APPLICATION_PRIVATE_DATA = 0x00021009
PUBLIC_KEY = 0x00010005
ENCRYPTED_SESSION_KEY = 0x00010006
PUBLIC_KEY_REQUEST = 0x00010007
PIPELINE_INPUT = 0x00041002
END_OF_PIPELINE_INPUT = 0x00041003
PIPELINE_OUTPUT = 0x00041004
ERROR_RECORD = 0x00041005
PIPELINE_STATE = 0x00041006
PIPELINE_HOST_CALL = 0x00041100
PIPELINE_HOST_RESPONSE = 0x00041101
VERBOSE_RECORD = 0x00041008
WARNING_RECORD = 0x00041009
PROGRESS_RECORD = 0x00041010
INFORMATION_RECORD = 0x00041011

COMPLETED, STOPPED, FAILED = 4, 3, 5


class ProtocolError(Exception):
    pass


# ---- wire formats -------------------------------------------------------------

def net_guid(b):
    """16 bytes in .NET order as a uuid.UUID."""
    return uuid.UUID(bytes_le=bytes(b))


def read_messages(data, parts=None):
    """Whole messages of a fragment stream: [(type, rpid, pid, clixml)].
    parts keeps messages still missing fragments, across calls."""
    out, off = [], 0
    parts = {} if parts is None else parts
    while off < len(data):
        if len(data) - off < 21:
            raise ProtocolError("truncated fragment header")
        obj, frag, flags, n = struct.unpack_from(">QQBI", data, off)
        off += 21
        blob = data[off:off + n]
        off += n
        if len(blob) != n:
            raise ProtocolError("truncated fragment")
        if flags & 1:
            if frag != 0:
                raise ProtocolError("start fragment with id %d" % frag)
            parts[obj] = [blob]
        elif obj not in parts or len(parts[obj]) != frag:
            raise ProtocolError("fragment out of order")
        else:
            parts[obj].append(blob)
        if flags & 2:
            msg = b"".join(parts.pop(obj))
            dest, typ = struct.unpack_from("<II", msg)
            if dest != 2:
                raise ProtocolError("message not addressed to the server")
            body = msg[40:]
            if body.startswith(b"\xef\xbb\xbf"):
                body = body[3:]
            out.append((typ, net_guid(msg[8:24]), net_guid(msg[24:40]), body))
    return out


def message(typ, rpid, pid, clixml):
    """A message to the client, with the byte order mark Windows puts there."""
    return (struct.pack("<II", 1, typ) + rpid.bytes_le + pid.bytes_le + b"\xef\xbb\xbf" +
            clixml.encode("utf-8"))


def fragments(object_id, msg, blob=32 * 1024 - 21):
    out, frag, off = b"", 0, 0
    while True:
        chunk = msg[off:off + blob]
        flags = (1 if off == 0 else 0) | (2 if off + blob >= len(msg) else 0)
        out += struct.pack(">QQBI", object_id, frag, flags, len(chunk)) + chunk
        off += blob
        frag += 1
        if flags & 2:
            return out


class Outgoing:
    """A message waiting for Receives: cut into fragments as each Receive's
    envelope has room, as Windows does (a fragment never crosses
    envelopes; a large message spans several Receives)."""

    def __init__(self, object_id, msg):
        self.id, self.msg, self.off, self.fid = object_id, msg, 0, 0

    def cut(self, room):
        n = max(1, min(room, len(self.msg) - self.off))
        flags = (1 if self.off == 0 else 0) | (2 if self.off + n >= len(self.msg) else 0)
        out = struct.pack(">QQBI", self.id, self.fid, flags, n) + self.msg[self.off:self.off + n]
        self.off, self.fid = self.off + n, self.fid + 1
        return out

    def done(self):
        return self.off >= len(self.msg)


def unescape(s):
    s = re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), s or "")
    return s.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def clixml_string(s):
    s = escape(s).replace("\r", "_x000D_").replace("\n", "_x000A_")
    return re.sub(r"_(?=x[0-9A-Fa-f]{4}_)", "_x005F_", s) if "_x" in s else s


def prop(obj, name):
    """The direct child of an <MS>/<Props> with N=name."""
    for ms in obj:
        if ms.tag in ("MS", "Props"):
            for c in ms:
                if c.get("N") == name:
                    return c
    return None


# ---- CLIXML the server sends ------------------------------------------------

PRIVATE_DATA = (
    '<Obj RefId="0"><MS><Obj N="ApplicationPrivateData" RefId="1"><TN RefId="0">'
    '<T>System.Management.Automation.PSPrimitiveDictionary</T><T>System.Collections.Hashtable</T>'
    '<T>System.Object</T></TN><DCT><En><S N="Key">PSVersionTable</S><Obj N="Value" RefId="2">'
    '<TNRef RefId="0" /><DCT><En><S N="Key">PSVersion</S><Version N="Value">5.1.17763.1</Version>'
    '</En><En><S N="Key">PSRemotingProtocolVersion</S><Version N="Value">2.3</Version></En>'
    '<En><S N="Key">SerializationVersion</S><Version N="Value">1.1.0.1</Version></En></DCT>'
    '</Obj></En></DCT></Obj></MS></Obj>')

CAPABILITY = ('<Obj RefId="0"><MS><Version N="protocolversion">%s</Version>'
              '<Version N="PSVersion">2.0</Version><Version N="SerializationVersion">1.1.0.1'
              '</Version></MS></Obj>')
# what the server announces: 2.1 is Windows Server 2008 R2 (PowerShell 2.0),
# 2.2 Windows 8 / Server 2012, 2.3 Windows 10 / Server 2016 and later
PROTOCOL_VERSION = ["2.3"]


def error_record(text, exception, fqid, category_msg, name="", ref=0):
    """An ErrorRecord as Windows serialises one (the properties a client reads)."""
    n = ' N="%s"' % name if name else ""
    t = clixml_string(text)
    return ('<Obj%s RefId="%d"><TN RefId="%d"><T>System.Management.Automation.ErrorRecord</T>'
            '<T>System.Object</T></TN><ToString>%s</ToString><MS><Obj N="Exception" RefId="%d">'
            '<TN RefId="%d"><T>%s</T><T>System.Exception</T><T>System.Object</T></TN>'
            '<ToString>%s: %s</ToString><Props><S N="Message">%s</S><I32 N="HResult">-2146233087'
            '</I32></Props></Obj><Nil N="TargetObject" /><S N="FullyQualifiedErrorId">%s</S>'
            '<I32 N="ErrorCategory_Category">0</I32><S N="ErrorCategory_Message">%s</S>'
            '<B N="SerializeExtendedInfo">false</B></MS></Obj>' % (
                n, ref, ref, t, ref + 1, ref + 1, exception, exception, t, t, fqid,
                clixml_string(category_msg)))


def informational(text, typ, source="Write-Information"):
    """WarningRecord / VerboseRecord / InformationRecord shapes, as PowerShell
    7.6 and Windows send them: an InformationRecord is a bag of notes (MS)
    whose MessageData is Write-Host's HostInformationMessage (tagged PSHOST)
    or Write-Information's value."""
    t = clixml_string(text)
    if typ == INFORMATION_RECORD:
        host = source == "Write-Host"
        data = ('<Obj N="MessageData" RefId="1"><TN RefId="0"><T>System.Management.Automation.'
                'HostInformationMessage</T><T>System.Object</T></TN><ToString>%s</ToString><Props>'
                '<S N="Message">%s</S><B N="NoNewLine">false</B><Nil N="ForegroundColor" />'
                '<Nil N="BackgroundColor" /></Props></Obj>' % (t, t)) if host else \
            '<S N="MessageData">%s</S>' % t
        return ('<Obj RefId="0"><MS>%s<S N="Source">%s</S><Obj N="Tags" RefId="2"><TN RefId="1">'
                '<T>System.Collections.Generic.List`1[[System.String]]</T><T>System.Object</T>'
                '</TN><LST>%s</LST></Obj></MS></Obj>' % (
                    data, source, "<S>PSHOST</S>" if host else ""))
    kind = "WarningRecord" if typ == WARNING_RECORD else "VerboseRecord"
    return ('<Obj RefId="0"><TN RefId="0"><T>System.Management.Automation.%s</T>'
            '<T>System.Management.Automation.InformationalRecord</T><T>System.Object</T></TN>'
            '<ToString>%s</ToString><MS><S N="InformationalRecord_Message">%s</S>'
            '<B N="InformationalRecord_SerializeInvocationInfo">false</B></MS></Obj>' % (kind, t, t))


SERVICE = ('<Obj RefId="0"><TN RefId="0"><T>System.ServiceProcess.ServiceController</T>'
           '<T>System.ComponentModel.Component</T><T>System.Object</T></TN><ToString>'
           'System.ServiceProcess.ServiceController</ToString><Props><S N="Name">%s</S>'
           '<S N="DisplayName">%s</S><Obj N="Status" RefId="1"><TN RefId="1"><T>'
           'System.ServiceProcess.ServiceControllerStatus</T><T>System.Enum</T>'
           '<T>System.ValueType</T><T>System.Object</T></TN><ToString>%s</ToString><I32>%d</I32>'
           '</Obj><B N="CanStop">true</B><Obj N="DependentServices" RefId="2"><TN RefId="2"><T>'
           'System.ServiceProcess.ServiceController[]</T><T>System.Array</T><T>System.Object</T>'
           '</TN><LST /></Obj></Props></Obj>')
SERVICES = [("WinRM", "Windows Remote Management (WS-Management)", "Running", 4),
            ("Spooler", "Print Spooler", "Stopped", 1)]


# ---- the toy interpreter ----------------------------------------------------------

def literal(tok):
    tok = tok.strip()
    m = re.fullmatch(r"\(\s*('(?:[^']|'')*')\s*\*\s*(\d+)\s*\)", tok, re.S)
    if m:
        return literal(m.group(1)) * int(m.group(2))
    if re.fullmatch(r"-?\d+", tok):
        return int(tok)
    m = re.fullmatch(r"'((?:[^']|'')*)'", tok, re.S)
    if m:
        return m.group(1).replace("''", "'")
    m = re.fullmatch(r'"([^"]*)"', tok, re.S)
    if m:
        return m.group(1)
    return None


def list_object(items):
    """An object[] as PowerShell serialises one: a list, no ToString."""
    xml = "".join("<I32>%d</I32>" % v if isinstance(v, int) else "<S>%s</S>" % clixml_string(v)
                  for v in items)
    return ('<Obj RefId="0"><TN RefId="0"><T>System.Object[]</T><T>System.Array</T>'
            '<T>System.Object</T></TN><LST>%s</LST></Obj>' % xml)


class Stop(Exception):
    pass


class Exit(Exception):
    """`exit N`: the script ends; the host hears SetShouldExit(N)."""


def host_call(ci, method, mid, args):
    items = "".join(args)
    return ('<Obj RefId="0"><MS><I64 N="ci">%d</I64><Obj N="mi" RefId="1"><TN RefId="0"><T>'
            'System.Management.Automation.Remoting.RemoteHostMethodId</T><T>System.Enum</T>'
            '<T>System.ValueType</T><T>System.Object</T></TN><ToString>%s</ToString><I32>%d</I32>'
            '</Obj><Obj N="mp" RefId="2"><TN RefId="1"><T>System.Collections.ArrayList</T>'
            '<T>System.Object</T></TN><LST>%s</LST></Obj></MS></Obj>' % (ci, method, mid, items))


class Refused:
    """A host call answered with an exception (me): the host method throws."""

    def __init__(self, message):
        self.message = message


def host_answer(root, key=None):
    """The value of a PIPELINE_HOST_RESPONSE: mr as a Python value, or Refused
    when me carries the ErrorRecord of the exception (MS-PSRP 2.2.2.28)."""
    me, mr = prop(root, "me"), prop(root, "mr")
    if me is not None:
        # what PowerShell reads to rebuild the exception (ErrorRecord
        # FromPSObjectForRemoting): these must be there
        for name in ("Exception", "FullyQualifiedErrorId", "ErrorCategory_Category",
                     "SerializeExtendedInfo"):
            if prop(me, name) is None:
                raise ProtocolError("host response me without %s" % name)
        msg = prop(prop(me, "Exception"), "Message")
        return Refused(unescape(msg.text) if msg is not None else "")
    if mr is None:
        raise ProtocolError("PIPELINE_HOST_RESPONSE without mr or me")
    if mr.tag == "Nil":
        return None
    if mr.tag == "SS":
        return SecureStr(ss_decrypt(key, mr.text or ""))
    if mr.tag == "Obj" and mr.find("TN") is not None and \
            mr.find("TN")[0].text == "System.Management.Automation.PSCredential":
        user, pw = prop(mr, "UserName"), prop(mr, "Password")
        if user is None or pw is None or pw.tag != "SS":
            raise ProtocolError("a PSCredential without UserName or a SecureString Password")
        return Cred(unescape(user.text or ""), SecureStr(ss_decrypt(key, pw.text or "")))
    if mr.tag == "I32":
        return int(mr.text)
    if mr.tag == "Obj" and mr.find("DCT") is not None:
        out = {}
        for en in mr.find("DCT"):
            k, v = en.find("*[@N='Key']"), en.find("*[@N='Value']")
            out[unescape(k.text or "")] = unescape(v.text or "") if v.tag == "S" else \
                SecureStr(ss_decrypt(key, v.text or "")) if v.tag == "SS" else v.tag
        return out
    if mr.tag == "S":
        return unescape(mr.text or "")
    raise ProtocolError("host response mr of type %s" % mr.tag)


def choices_arg(labels):
    """Collection<ChoiceDescription> as the remote host encodes it: an
    ArrayList of objects holding the class's private fields."""
    items = "".join('<Obj RefId="%d"><MS><S N="label">%s</S><S N="helpMessage" /></MS></Obj>'
                    % (10 + i, clixml_string(lb)) for i, lb in enumerate(labels))
    return ('<Obj RefId="9"><TN RefId="8"><T>System.Collections.ArrayList</T><T>System.Object'
            '</T></TN><LST>%s</LST></Obj>' % items)


def fields_arg(fields):
    """Collection<FieldDescription>: name, label, the parameter type, ..."""
    items = []
    for i, (name, typ) in enumerate(fields):
        items.append(
            '<Obj RefId="%d"><MS><S N="name">%s</S><S N="label" /><S N="parameterTypeName">%s</S>'
            '<S N="parameterTypeFullName">%s</S><S N="parameterAssemblyFullName">%s, '
            'mscorlib</S><S N="helpMessage" /><B N="isMandatory">true</B><Obj N="metadata" '
            'RefId="%d"><TN RefId="9"><T>System.Collections.ArrayList</T><T>System.Object</T>'
            '</TN><LST /></Obj><Nil N="defaultValue" /><B N="modifiedByRemotingProtocol">false'
            '</B><B N="isFromRemoteHost">false</B></MS></Obj>' % (
                20 + 2 * i, clixml_string(name), typ.rsplit(".", 1)[-1], typ, typ,
                21 + 2 * i))
    return ('<Obj RefId="9"><TN RefId="8"><T>System.Collections.ArrayList</T><T>System.Object'
            '</T></TN><LST>%s</LST></Obj>' % "".join(items))


# ---- secure strings (MS-PSRP 2.2.2.3-5, 2.2.5.1.24), with python3-cryptography ----

class SecureStr:
    """A SecureString's text, decrypted here with the session key."""

    def __init__(self, text):
        self.text = text


class Cred:
    def __init__(self, user, password):
        self.user, self.password = user, password


def public_key_from_blob(blob):
    """A PUBLICKEYBLOB (06 02 00 00, CALG_RSA_KEYX, "RSA1", bits, e, n LE)."""
    from cryptography.hazmat.primitives.asymmetric import rsa
    if len(blob) != 276 or blob[:8] != b"\x06\x02\x00\x00\x00\xa4\x00\x00" or \
            blob[8:12] != b"RSA1" or struct.unpack_from("<I", blob, 12)[0] != 2048:
        raise ProtocolError("PUBLIC_KEY is not a 2048-bit PUBLICKEYBLOB")
    e = struct.unpack_from("<I", blob, 16)[0]
    n = int.from_bytes(blob[20:], "little")
    return rsa.RSAPublicNumbers(e, n).public_key()


def session_key_blob(pub, key):
    """key, RSAES-PKCS1-v1_5-encrypted, as a SIMPLEBLOB (ciphertext LE)."""
    from cryptography.hazmat.primitives.asymmetric import padding
    ct = pub.encrypt(key, padding.PKCS1v15())
    return b"\x01\x02\x00\x00\x10\x66\x00\x00\x00\xa4\x00\x00" + ct[::-1]


def ss_encrypt(key, text):
    from cryptography.hazmat.primitives import padding as sympad
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    p = sympad.PKCS7(128).padder()
    data = p.update(text.encode("utf-16-le")) + p.finalize()
    enc = Cipher(algorithms.AES(key), modes.CBC(b"\0" * 16)).encryptor()
    return base64.b64encode(enc.update(data) + enc.finalize()).decode()


def ss_decrypt(key, b64):
    from cryptography.hazmat.primitives import padding as sympad
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    if key is None:
        raise ProtocolError("a SecureString before the session key exchange")
    dec = Cipher(algorithms.AES(key), modes.CBC(b"\0" * 16)).decryptor()
    data = dec.update(base64.b64decode(b64, validate=True)) + dec.finalize()
    u = sympad.PKCS7(128).unpadder()
    return (u.update(data) + u.finalize()).decode("utf-16-le")


# 'text', or text given as base64 (so that a test's script need not hold a secret)
TEXT_VALUE = (r"(?:'([^']*)'|\[text\.encoding\]::utf8\.getstring\(\[convert\]::"
              r"frombase64string\('([A-Za-z0-9+/=]*)'\)\))")


def text_value(m):
    if m.group(m.lastindex) is not None and m.lastindex >= 3:
        return base64.b64decode(m.group(3)).decode("utf-8")
    return m.group(2)


class Pipeline:
    def __init__(self, pool, pid, script, format_, host):
        self.pool, self.pid, self.script, self.format = pool, pid, script, format_
        self.host = host         # the client answers host calls
        self.next_ci = 1
        self.answers = {}        # ci -> the client's mr (None: Nil)
        self.input, self.input_end = [], False
        self.queue = []          # Outgoing messages, in order
        self.ready = []          # fragments cut for a Receive whose client left
        self.done = False
        self.stop = threading.Event()
        self.lock = threading.Condition()
        threading.Thread(target=self.run, daemon=True).start()

    def emit(self, typ, clixml):
        with self.lock:
            self.queue.append(self.pool.outgoing(typ, self.pid, clixml))
            self.lock.notify_all()

    def shown(self, typ, record, method, mid, text):
        """A record the script's preference shows: PowerShell writes it to
        the informational stream and, when the client gave a host, to the
        host too (a call that needs no answer, ci -100)."""
        self.emit(typ, record)
        if self.host:
            self.emit(PIPELINE_HOST_CALL, host_call(-100, method, mid,
                                                    ["<S>%s</S>" % clixml_string(text)]))

    def complete(self, line, col):
        """TabExpansion2's answer: the word before the cursor (a command or
        a $variable), its index and length in UTF-16 units, the matches."""
        units = line.encode("utf-16-le")[:2 * col].decode("utf-16-le", "replace")
        word = re.search(r"[^\s;|(]*$", units).group(0)
        start = len(units[:len(units) - len(word)].encode("utf-16-le")) // 2
        if word.startswith("$"):
            names = ["$" + n for n in sorted(self.pool.vars)]
        else:
            names = COMMANDS
        for v in (start, len(word.encode("utf-16-le")) // 2):
            self.emit(PIPELINE_OUTPUT, "<I32>%d</I32>" % v)
        for n in names:
            if word and n.lower().startswith(word.lower()):
                self.emit(PIPELINE_OUTPUT, "<S>%s</S>" % clixml_string(n))

    def output(self, v):
        if self.format:  # Out-String -Stream: one string per line of the console view
            if isinstance(v, SecureStr):
                lines = ["System.Security.SecureString"]
            elif isinstance(v, Cred):
                lines = ["", "UserName                     Password",
                         "--------                     --------",
                         "%-8s System.Security.SecureString" % v.user, ""]
            elif isinstance(v, bool):
                lines = ["True" if v else "False"]
            elif isinstance(v, tuple):
                lines = ["", "Status   Name               DisplayName",
                         "------   ----               -----------",
                         "%-8s %-18s %s" % (v[2], v[0], v[1]), ""]
            else:
                lines = str(v).split("\n")
            for line in lines:
                self.emit(PIPELINE_OUTPUT, "<S>%s</S>" % clixml_string(line))
        elif isinstance(v, SecureStr):  # encrypted with the session key (made if need be)
            self.emit(PIPELINE_OUTPUT, "<SS>%s</SS>" % ss_encrypt(self.pool.key(), v.text))
        elif isinstance(v, Cred):
            self.emit(PIPELINE_OUTPUT, (
                '<Obj RefId="0"><TN RefId="0"><T>System.Management.Automation.PSCredential</T>'
                '<T>System.Object</T></TN><ToString>System.Management.Automation.PSCredential'
                '</ToString><Props><S N="UserName">%s</S><SS N="Password">%s</SS></Props></Obj>')
                % (clixml_string(v.user), ss_encrypt(self.pool.key(), v.password.text)))
        elif isinstance(v, bool):
            self.emit(PIPELINE_OUTPUT, "<B>%s</B>" % ("true" if v else "false"))
        elif isinstance(v, tuple):
            self.emit(PIPELINE_OUTPUT, SERVICE % (escape(v[0]), escape(v[1]), v[2], v[3]))
        elif isinstance(v, int):
            self.emit(PIPELINE_OUTPUT, "<I32>%d</I32>" % v)
        else:
            self.emit(PIPELINE_OUTPUT, "<S>%s</S>" % clixml_string(v))

    def restricted(self, st):
        """A JEA-like endpoint: its visible commands only, no language. The
        error a statement gets, or None when it may run."""
        allowed = CONFIGURATIONS.get(self.pool.configuration)
        if allowed is None:
            return None
        cmd = st.split(" ", 1)[0]
        if re.fullmatch(r"[A-Za-z][\w-]*", cmd):
            if cmd.lower() in allowed:
                return None
            return error_record(
                "The term '%s' is not recognized as the name of a cmdlet, function, script "
                "file, or operable program. Check the spelling of the name, or if a path was "
                "included, verify that the path is correct and try again." % cmd,
                "System.Management.Automation.CommandNotFoundException",
                "CommandNotFoundException", "ObjectNotFound: (%s:String) [], "
                "CommandNotFoundException" % cmd)
        return error_record(
            "The syntax is not supported by this runspace. This can occur if the runspace is "
            "in no-language mode.", "System.Management.Automation.ParseException",
            "ScriptsNotAllowed", "ParserError: (%s:String) [], ParseException" % st)

    def statement(self, st):
        if self.stop.is_set():
            raise Stop()
        refused = self.restricted(st)
        if refused:
            self.emit(ERROR_RECORD, refused)
            return None
        m = re.fullmatch(r"(-?\d+)\.\.(-?\d+)", st)
        if m:
            a, b = int(m.group(1)), int(m.group(2))
            for i in range(a, b + (1 if b >= a else -1), 1 if b >= a else -1):
                if self.stop.is_set():
                    raise Stop()
                self.output(i)
            return None
        v = literal(st)
        if v is not None:
            self.output(v)
            return None
        m = re.fullmatch(r",\s*@\((.*)\)", st)
        if m:  # the unary comma: the array is one object, not its items
            self.emit(PIPELINE_OUTPUT, list_object([literal(x) for x in m.group(1).split(",")]))
            return None
        cmd, _, rest = st.partition(" ")
        verbose = rest.rstrip().endswith("-Verbose")
        rest = re.sub(r"\s*-Verbose$", "", rest).strip()
        arg = literal(rest)
        if arg is None and re.fullmatch(r"[^\s'\"$()]+", rest):
            arg = rest  # a bare word is a string argument
        low = cmd.lower()
        if low == "write-output" and arg is not None:
            self.output(arg)
        elif low == "write-error" and arg is not None:
            self.emit(ERROR_RECORD, error_record(
                arg, "Microsoft.PowerShell.Commands.WriteErrorException",
                "Microsoft.PowerShell.Commands.WriteErrorException",
                "NotSpecified: (:) [Write-Error], WriteErrorException"))
        elif low == "write-warning" and arg is not None:
            self.shown(WARNING_RECORD, informational(arg, WARNING_RECORD),
                       "WriteWarningLine", 22, arg)
        elif low == "write-verbose" and arg is not None:
            if verbose:
                self.shown(VERBOSE_RECORD, informational(arg, VERBOSE_RECORD),
                           "WriteVerboseLine", 21, arg)
        elif low == "write-host" and arg is not None:
            self.shown(INFORMATION_RECORD, informational(arg, INFORMATION_RECORD, "Write-Host"),
                       "WriteLine2", 16, arg)
        elif low == "write-information" and arg is not None:
            self.emit(INFORMATION_RECORD, informational(arg, INFORMATION_RECORD))
        elif low == "throw" and arg is not None:
            return error_record(arg, "System.Management.Automation.RuntimeException", arg,
                                "OperationStopped: (%s:String) [], RuntimeException" % arg,
                                name="ExceptionAsErrorRecord", ref=1)
        elif self.secure_statement(st):
            pass
        elif re.fullmatch(r"\$(\w+)\s*\+=\s*(-?\d+)", st):
            m = re.fullmatch(r"\$(\w+)\s*\+=\s*(-?\d+)", st)
            with self.pool.lock:
                name = m.group(1).lower()
                self.pool.vars[name] = (self.pool.vars.get(name) or 0) + int(m.group(2))
        elif re.fullmatch(r"\$(\w+)\s*=\s*(.+)", st) and st not in ("$input",):
            m = re.fullmatch(r"\$(\w+)\s*=\s*(.+)", st)
            v = literal(m.group(2))
            with self.pool.lock:
                self.pool.vars[m.group(1).lower()] = v
        elif re.fullmatch(r"\$(\w+)", st) and st != "$input":
            with self.pool.lock:
                v = self.pool.vars.get(st[1:].lower())
            if v is not None:
                self.output(v)
        elif low in ("set-location", "cd") and arg is not None:
            with self.pool.lock:
                self.pool.cwd = arg if re.match(r"[A-Za-z]:\\", arg) else \
                    self.pool.cwd.rstrip("\\") + "\\" + arg
        elif low == "write-progress":
            m = re.search(r"-Activity '([^']*)'", st)
            ms = re.search(r"-Status '([^']*)'", st)
            mp = re.search(r"-PercentComplete (\d+)", st)
            done = "-Completed" in st
            self.emit(PROGRESS_RECORD, (
                '<Obj RefId="0"><MS><S N="Activity">%s</S><I32 N="ActivityId">0</I32>'
                '<S N="StatusDescription">%s</S><Nil N="CurrentOperation" />'
                '<I32 N="ParentActivityId">-1</I32><I32 N="PercentComplete">%d</I32>'
                '<Obj N="Type" RefId="1"><TN RefId="0"><T>System.Management.Automation.'
                'ProgressRecordType</T><T>System.Enum</T><T>System.ValueType</T><T>System.Object'
                '</T></TN><ToString>%s</ToString><I32>%d</I32></Obj><I32 N="SecondsRemaining">-1'
                '</I32></MS></Obj>') % (clixml_string(m.group(1) if m else ""),
                                         clixml_string(ms.group(1) if ms else "Processing"),
                                         int(mp.group(1)) if mp else -1,
                                         "Completed" if done else "Processing", 1 if done else 0))
        elif st.lower() == "(get-location).path":
            self.output(self.pool.cwd)
        elif st.lower() == "prompt":  # PowerShell's default prompt function
            self.output("PS %s> " % self.pool.cwd)
        elif st in ("$input", "process { $_ }"):
            while True:
                with self.lock:
                    while not self.input and not self.input_end:
                        if self.stop.is_set():
                            raise Stop()
                        self.lock.wait(0.05)
                    if not self.input:
                        break
                    item = self.input.pop(0)
                self.output(item)
        elif low == "exit" and (arg is None or isinstance(arg, int)):
            if self.host:  # a top-level exit tells the host (MS-PSRP 2.2.3.17)
                self.emit(PIPELINE_HOST_CALL, host_call(-100, "SetShouldExit", 6,
                                                        ["<I32>%d</I32>" % (arg or 0)]))
            raise Exit()
        elif self.host_method(st):
            pass
        elif low == "read-host":
            return self.read_host(arg)
        elif re.fullmatch(r"\$host\.ui\.(writeline|writeerrorline)\('([^']*)'\)", st, re.I):
            m = re.fullmatch(r"\$host\.ui\.(writeline|writeerrorline)\('([^']*)'\)", st, re.I)
            name, mid = ("WriteLine2", 16) if m.group(1).lower() == "writeline" else \
                ("WriteErrorLine", 18)
            self.emit(PIPELINE_HOST_CALL, host_call(-100, name, mid,
                                                    ["<S>%s</S>" % clixml_string(m.group(2))]))
        elif low == "start-sleep" and isinstance(arg, int):
            if self.stop.wait(arg):
                raise Stop()
        elif low == "get-service":
            for s in SERVICES:
                self.output(s)
        elif low == "bigoutput" and isinstance(arg, int):
            for i in range(arg):
                if self.stop.is_set():
                    raise Stop()
                self.output(("%08d " % i) + "x" * 91)
        else:
            msg = ("The term '%s' is not recognized as the name of a cmdlet, function, script "
                   "file, or operable program. Check the spelling of the name, or if a path was "
                   "included, verify that the path is correct and try again." % cmd)
            self.emit(ERROR_RECORD, error_record(
                msg, "System.Management.Automation.CommandNotFoundException",
                "CommandNotFoundException", "ObjectNotFound: (%s:String) [], "
                "CommandNotFoundException" % cmd))
        return None

    def secure_statement(self, st):
        """The secure-string statements; True when st was one."""
        m = re.fullmatch(r"\$(\w+)\s*=\s*(.+)", st)
        if m and re.match(r"(read-host\s+-assecurestring|get-credential|\$host\.ui\."
                          r"promptforcredential)", m.group(2), re.I):
            self.capture_to = m.group(1).lower()
            try:
                if not self.host_method(m.group(2).strip()):
                    return False
            finally:
                self.capture_to = None
            return True
        m = re.fullmatch(r"\[net\.networkcredential\]::new\('',\s*\$(\w+)\)\.password\s+-eq\s+"
                         + TEXT_VALUE, st, re.I)
        if m:
            with self.pool.lock:
                v = self.pool.vars.get(m.group(1).lower())
            self.output(isinstance(v, SecureStr) and v.text == text_value(m))
            return True
        m = re.fullmatch(r"\$(\w+)\.getnetworkcredential\(\)\.password\s+-eq\s+" + TEXT_VALUE,
                         st, re.I)
        if m:
            with self.pool.lock:
                v = self.pool.vars.get(m.group(1).lower())
            self.output(isinstance(v, Cred) and v.password.text == text_value(m))
            return True
        m = re.fullmatch(r"\$(\w+)\.username", st, re.I)
        if m:
            with self.pool.lock:
                v = self.pool.vars.get(m.group(1).lower())
            if isinstance(v, Cred):
                self.output(v.user)
            return True
        m = re.fullmatch(r"convertto-securestring\s+'([^']*)'\s+-asplaintext\s+-force", st, re.I)
        if m:
            self.output(SecureStr(m.group(1)))
            return True
        if st.lower() == "request-publickey":
            self.pool.request_key(self)
            return True
        return False

    def ask(self, method, mid, args):
        """A host call that waits: its answer (or Refused)."""
        ci = self.next_ci
        self.next_ci += 1
        self.emit(PIPELINE_HOST_CALL, host_call(ci, method, mid, args))
        with self.lock:
            while ci not in self.answers:
                if self.stop.is_set():
                    raise Stop()
                self.lock.wait(0.05)
            return self.answers.pop(ci)

    def host_method(self, st):
        """$Host.UI.PromptForChoice / Prompt, Read-Host -AsSecureString,
        Get-Credential; True when st was one of them."""
        m = re.fullmatch(r"\$host\.ui\.promptforchoice\('([^']*)',\s*'([^']*)',\s*@\(([^)]*)\),"
                         r"\s*(-?\d+)\)", st, re.I)
        if m:
            labels = [literal(x) for x in m.group(3).split(",")]
            args = ["<S>%s</S>" % clixml_string(m.group(1)), "<S>%s</S>" % clixml_string(
                m.group(2)), choices_arg(labels), "<I32>%s</I32>" % m.group(4)]
            self.host_result("PromptForChoice", 4, self.ask("PromptForChoice", 26, args))
            return True
        m = re.fullmatch(r"\$host\.ui\.prompt\('([^']*)',\s*'([^']*)',\s*@\(([^)]*)\)\)", st, re.I)
        if m:
            fields = []
            for x in m.group(3).split(","):
                name, _, typ = literal(x).partition(":")
                fields.append((name, "System.Security." + typ if typ else "System.String"))
            args = ["<S>%s</S>" % clixml_string(m.group(1)), "<S>%s</S>" % clixml_string(
                m.group(2)), fields_arg(fields)]
            self.host_result("Prompt", 3, self.ask("Prompt", 23, args))
            return True
        if re.fullmatch(r"read-host\s+-assecurestring", st, re.I):
            self.host_result("ReadLineAsSecureString", 0,
                             self.ask("ReadLineAsSecureString", 12, []), cmdlet="Read-Host")
            return True
        m = re.fullmatch(r"\$host\.ui\.promptforcredential\('([^']*)',\s*'([^']*)',\s*'([^']*)',"
                         r"\s*'([^']*)'\)", st, re.I)
        if m:
            args = ["<S>%s</S>" % clixml_string(g) for g in m.groups()]
            self.host_result("PromptForCredential", 4, self.ask("PromptForCredential1", 24, args))
            return True
        if st.lower() == "get-credential":
            args = ["<S>PowerShell credential request</S>", "<S>Enter your credentials.</S>",
                    "<Nil />", "<S></S>"]
            self.host_result("PromptForCredential", 4,
                             self.ask("PromptForCredential1", 24, args), cmdlet="Get-Credential")
            return True
        return False

    def host_result(self, method, nargs, answer, cmdlet=None):
        if isinstance(answer, Refused):
            if cmdlet:  # the cmdlet fails with the host's exception
                msg, fqid = answer.message, "HostException,Microsoft.PowerShell.Commands." + \
                    cmdlet.replace("-", "") + "Command"
                cat = "NotImplemented: (:) [%s], HostException" % cmdlet
            else:  # a .NET method call wraps it
                msg = 'Exception calling "%s" with "%d" argument(s): "%s"' % (
                    method, nargs, answer.message)
                fqid, cat = "HostException", "NotSpecified: (:) [], MethodInvocationException"
            self.emit(ERROR_RECORD, error_record(
                msg, "System.Management.Automation.MethodInvocationException", fqid, cat))
        elif getattr(self, "capture_to", None):
            if not isinstance(answer, (SecureStr, Cred)):
                raise ProtocolError("%s answered without a secure string" % method)
            with self.pool.lock:
                self.pool.vars[self.capture_to] = answer
        elif isinstance(answer, dict):
            for k, v in answer.items():
                if isinstance(v, SecureStr):  # kept for the script to check
                    with self.pool.lock:
                        self.pool.vars[k.lower()] = v
                    v = "System.Security.SecureString"
                self.output("%s=%s" % (k, v))
        elif isinstance(answer, (SecureStr, Cred)):
            self.output(answer)
        elif cmdlet or method == "PromptForCredential":
            raise ProtocolError("%s answered without a secure string" % method)
        elif answer is not None:
            self.output(answer)

    def read_host(self, prompt):
        if not self.host:  # what PowerShell says without a host UI
            self.emit(ERROR_RECORD, error_record(
                "Windows PowerShell is in NonInteractive mode. Read and Prompt functionality is "
                "not available.", "System.Management.Automation.PSInvalidOperationException",
                "InvalidOperation,Microsoft.PowerShell.Commands.ReadHostCommand",
                "InvalidOperation: (:) [Read-Host], PSInvalidOperationException"))
            return None
        if prompt is not None:
            self.emit(PIPELINE_HOST_CALL, host_call(-100, "Write1", 13,
                                                    ["<S>%s: </S>" % clixml_string(prompt)]))
        answer = self.ask("ReadLine", 11, [])
        if isinstance(answer, Refused):
            self.host_result("ReadLine", 0, answer, cmdlet="Read-Host")
        elif answer is not None:
            self.output(answer)
        return None

    def add_input(self, item, end=False):
        with self.lock:
            if self.input_end:
                raise ProtocolError("input after END_OF_PIPELINE_INPUT")
            if item is not None:
                self.input.append(item)
            self.input_end = end
            self.lock.notify_all()

    def answer(self, ci, mr):
        with self.lock:
            self.answers[ci] = mr
            self.lock.notify_all()

    def run(self):
        state, extra = COMPLETED, ""
        try:
            state, extra = self.interpret()
        except Exception as e:  # a bug here must not hang the client
            state, extra = FAILED, error_record("endpoint: %r" % e, "System.Exception",
                                                "EndpointBug", "", name="ExceptionAsErrorRecord",
                                                ref=1)
        self.emit(PIPELINE_STATE, '<Obj RefId="0"><MS><I32 N="PipelineState">%d</I32>%s</MS>'
                  '</Obj>' % (state, extra))
        with self.lock:
            self.done = True
            self.lock.notify_all()

    def interpret(self):
        state, extra = COMPLETED, ""
        m = COMPLETION.fullmatch(self.script)
        if m:  # wrsh shell's Tab, as PowerShell's console asks TabExpansion2
            self.complete(unescape_quoted(m.group(1)), int(m.group(2)))
            return state, extra
        try:
            for st in re.split(r";|\n", self.script):
                st = st.strip()
                if st and not st.startswith("#"):  # a comment line
                    failure = self.statement(st)
                    if failure:
                        state, extra = FAILED, failure
                        break
        except Exit:
            pass
        except Stop:
            state = STOPPED
            extra = error_record("The pipeline has been stopped.",
                                 "System.Management.Automation.PipelineStoppedException",
                                 "PipelineStopped", "OperationStopped: (:) [], "
                                 "PipelineStoppedException", name="ExceptionAsErrorRecord",
                                 ref=1)
        return state, extra


COMPLETION = re.compile(
    r"\$c = TabExpansion2 -inputScript '((?:[^']|'')*)' -cursorColumn (\d+); \$c\.ReplacementIndex; "
    r"\$c\.ReplacementLength; \$c\.CompletionMatches \| ForEach-Object \{ \$_\.CompletionText \}",
    re.S)
COMMANDS = ["Get-ChildItem", "Get-Command", "Get-Content", "Get-Credential", "Get-Date",
            "Get-Item", "Get-Location", "Get-Process", "Get-Service", "Read-Host", "Set-Location",
            "Start-Sleep", "Write-Error", "Write-Host", "Write-Information", "Write-Output",
            "Write-Progress", "Write-Verbose", "Write-Warning"]


def unescape_quoted(s):
    return s.replace("''", "'")


class Pool:
    """One runspace pool: the shell of the PowerShell resource."""

    def __init__(self, user, shell_id, creation, configuration="microsoft.powershell"):
        self.user, self.id = user, shell_id
        self.configuration = configuration
        self.lock = threading.Lock()
        self.vars = {}  # the runspace's state, kept between pipelines
        self.cwd = "C:\\Users\\%s\\Documents" % user
        self.next_object = 1
        self.pipelines = {}
        self.session_key = None  # AES-256, made when first needed (MS-PSRP 3.2.4)
        self.key_sent = threading.Event()
        self.pool_parts = {}
        msgs = read_messages(creation)
        types = [m[0] for m in msgs]
        if types != [SESSION_CAPABILITY, INIT_RUNSPACEPOOL]:
            raise ProtocolError("creationXml holds %s" % ["0x%08x" % t for t in types])
        cap = ET.fromstring(msgs[0][3])
        if prop(cap, "protocolversion") is None:
            raise ProtocolError("SESSION_CAPABILITY without protocolversion")
        init = ET.fromstring(msgs[1][3])
        for n in ("MinRunspaces", "MaxRunspaces"):
            e = prop(init, n)
            if e is None or e.tag != "I32" or int(e.text) < 1:
                raise ProtocolError("INIT_RUNSPACEPOOL without %s" % n)
        self.rpid = msgs[0][1]
        if msgs[1][1] != self.rpid:
            raise ProtocolError("the two messages name different pools")
        zero = uuid.UUID(int=0)
        self.pool_queue = [self.frame(SESSION_CAPABILITY, zero, CAPABILITY % PROTOCOL_VERSION[0],
                                      rpid=zero),
                           self.frame(APPLICATION_PRIVATE_DATA, zero, PRIVATE_DATA),
                           self.frame(RUNSPACEPOOL_STATE, zero, '<Obj RefId="0"><MS><I32 N='
                                      '"RunspaceState">2</I32></MS></Obj>')]

    def frame(self, typ, pid, clixml, rpid=None):
        with self.lock:
            obj = self.next_object
            self.next_object += 1
        return fragments(obj, message(typ, self.rpid if rpid is None else rpid, pid, clixml))

    def outgoing(self, typ, pid, clixml):
        with self.lock:
            obj = self.next_object
            self.next_object += 1
        return Outgoing(obj, message(typ, self.rpid, pid, clixml))

    def key(self):
        import os
        with self.lock:
            if self.session_key is None:
                self.session_key = os.urandom(32)
            return self.session_key

    def pool_input(self, data):
        """The pool's own messages on stdin (no CommandId): PUBLIC_KEY."""
        for typ, rpid, pid, body in read_messages(data, self.pool_parts):
            if typ != PUBLIC_KEY or rpid != self.rpid or pid.int != 0:
                raise ProtocolError("unexpected pool message 0x%08x on stdin" % typ)
            pk = prop(ET.fromstring(body), "PublicKey")
            if pk is None or pk.tag != "S":
                raise ProtocolError("PUBLIC_KEY without PublicKey")
            pub = public_key_from_blob(base64.b64decode(pk.text or "", validate=True))
            blob = base64.b64encode(session_key_blob(pub, self.key())).decode()
            frame = self.frame(ENCRYPTED_SESSION_KEY, uuid.UUID(int=0),
                               '<Obj RefId="0"><MS><S N="EncryptedSessionKey">%s</S></MS>'
                               '</Obj>' % blob)
            with self.lock:
                self.pool_queue.append(frame)
            self.key_sent.set()
        return True

    def request_key(self, pipeline):
        """PUBLIC_KEY_REQUEST, and wait for the exchange it starts."""
        self.key_sent.clear()
        with pipeline.lock:
            pipeline.queue.append(self.outgoing(PUBLIC_KEY_REQUEST, uuid.UUID(int=0), "<S></S>"))
            pipeline.lock.notify_all()
        while not self.key_sent.wait(0.05):
            if pipeline.stop.is_set():
                raise Stop()

    def command(self, command_id, args):
        """A Command's CREATE_PIPELINE; a long one continues on stdin (send)."""
        self.partial = getattr(self, "partial", {})
        parts = {}
        msgs = read_messages(args, parts)
        if not msgs and parts:
            self.partial[command_id.upper()] = parts
            return None
        return self.create_pipeline(command_id, msgs)

    def create_pipeline(self, command_id, msgs):
        if len(msgs) != 1 or msgs[0][0] != CREATE_PIPELINE:
            raise ProtocolError("Command without exactly one CREATE_PIPELINE")
        typ, rpid, pid, data = msgs[0]
        if rpid != self.rpid or str(pid).upper() != command_id.upper():
            raise ProtocolError("CREATE_PIPELINE ids do not match the pool and CommandId")
        root = ET.fromstring(data)
        ps = prop(root, "PowerShell")
        cmds = prop(ps, "Cmds")
        lst = cmds.find("LST") if cmds is not None else None
        if lst is None or not len(lst):
            raise ProtocolError("CREATE_PIPELINE without commands")
        first = lst[0]
        if prop(first, "IsScript").text != "true":
            raise ProtocolError("only scripts are supported")
        script = unescape(prop(first, "Cmd").text)
        fmt = any(unescape(prop(c, "Cmd").text) == "Out-String" for c in lst[1:])
        hi = prop(root, "HostInfo")
        host = hi is not None and prop(hi, "_isHostUINull") is not None and \
            prop(hi, "_isHostUINull").text == "false"
        p = Pipeline(self, pid, script, fmt, host)
        self.pipelines[command_id.upper()] = p
        return p

    def receive(self, command_id, budget, deadline, gone):
        """(stream bytes, done) within budget; (b"", False) on timeout; (None,
        False) when there is no such pipeline or the client left (what was
        taken then stays for the next Receive, as on Windows)."""
        if command_id is None:
            while True:  # the pool's messages: wait for one, as for a pipeline's
                with self.lock:
                    out, self.pool_queue = b"".join(self.pool_queue), []
                if out or time.monotonic() >= deadline or gone():
                    return out, False
                time.sleep(0.05)
        p = self.pipelines.get(command_id.upper())
        if p is None:
            return None, False
        with p.lock:
            while not p.queue and not p.ready and not p.done:
                if time.monotonic() >= deadline or gone():
                    return (None if gone() else b""), False
                p.lock.wait(0.05)
            taken, used = p.ready, sum(map(len, p.ready))
            p.ready = []
            while p.queue and budget - used > 21 + 256:
                taken.append(p.queue[0].cut(budget - used - 21))
                used += len(taken[-1])
                if p.queue[0].done():
                    p.queue.pop(0)
            if gone():
                p.ready = taken  # cut already: these go first next time
                return None, False
            done = p.done and not p.queue
        if done:
            self.pipelines.pop(command_id.upper(), None)
        return b"".join(taken), done

    def send_input(self, command_id, data):
        """stdin: the rest of a CREATE_PIPELINE that did not fit in its
        Command, or the pipeline's input objects."""
        if not command_id:
            return self.pool_input(data)
        parts = getattr(self, "partial", {}).get(command_id.upper())
        if parts is not None:
            msgs = read_messages(data, parts)
            if msgs:
                del self.partial[command_id.upper()]
                self.create_pipeline(command_id, msgs)
            return True
        p = self.pipelines.get(command_id.upper())
        if p is None:
            return False
        p.input_parts = getattr(p, "input_parts", {})
        for typ, rpid, pid, body in read_messages(data, p.input_parts):
            if typ == PIPELINE_INPUT:
                e = ET.fromstring(body)
                p.add_input(unescape(e.text or "") if e.tag == "S" else body.decode())
            elif typ == END_OF_PIPELINE_INPUT:
                p.add_input(None, end=True)
            else:
                raise ProtocolError("unexpected message 0x%08x on stdin" % typ)
        return True

    def send(self, command_id, data):
        """Host call answers from the client (stream "pr")."""
        p = self.pipelines.get(command_id.upper())
        if p is None:
            return False
        for typ, rpid, pid, body in read_messages(data):
            if typ != PIPELINE_HOST_RESPONSE or str(pid).upper() != command_id.upper():
                raise ProtocolError("unexpected message 0x%08x on pr" % typ)
            root = ET.fromstring(body)
            ci = prop(root, "ci")
            if ci is None or ci.tag != "I64" or prop(root, "mi") is None:
                raise ProtocolError("PIPELINE_HOST_RESPONSE without ci or mi")
            p.answer(int(ci.text), host_answer(root, self.session_key))
        return True

    def signal(self, command_id):
        p = self.pipelines.get(command_id.upper())
        if p:
            p.stop.set()
        return p is not None

    def close(self):
        for p in self.pipelines.values():
            p.stop.set()
