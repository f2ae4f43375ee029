"""Negotiate (NTLM) for the test endpoint, done by an acceptor this project
did not write: gss-ntlmssp through python3-gssapi. Plus the message
encryption of MS-WSMV 2.2.9.1.1 (multipart/encrypted with
HTTP-SPNEGO-session-encrypted parts) on top of its wrap/unwrap.

NTLM is connection-bound: one Acceptor per TCP connection.
"""
import os
import re
import struct

NTLM_OID = "1.3.6.1.4.1.311.2.2.10"
SPNEGO_OID = "1.3.6.1.5.5.2"
PROTOCOL = b"application/HTTP-SPNEGO-session-encrypted"
BOUNDARY = b"--Encrypted Boundary"
_gssapi = None


def setup(users, state_dir):
    """gss-ntlmssp reads acceptor credentials from NTLM_USER_FILE. Every user
    is also a local account of the machine (domain = its NetBIOS name, which
    gss-ntlmssp puts into its challenges), as ".\\user" logs in on Windows."""
    import socket
    global _gssapi
    path = os.path.join(state_dir, "ntlm_users")
    machine = socket.gethostname().split(".")[0].upper()
    with open(path, "w") as f:
        for dom, user, pw in users:
            f.write("%s:%s:%s\n" % (dom, user, pw))
            f.write("%s:%s:%s\n" % (machine, user, pw))
            # a UPN arrives whole in the user field with an empty domain
            f.write(":%s@%s:%s\n" % (user, dom, pw))
    os.environ["NTLM_USER_FILE"] = path
    import gssapi  # noqa: E402 (after NTLM_USER_FILE is set)
    _gssapi = gssapi


def channel_bindings(cert_der):
    """RFC 5929 tls-server-end-point for our SHA-256-signed certificate."""
    import hashlib
    return _gssapi.raw.ChannelBindings(
        application_data=b"tls-server-end-point:" + hashlib.sha256(cert_der).digest())


def av_channel_bindings(type3):
    """The MsvAvChannelBindings value a client put into its NTLMv2 response,
    or None (MS-NLMP 2.2.1.3, 2.2.2.7)."""
    try:
        nt_len, nt_off = struct.unpack_from("<H2xI", type3, 20)
        blob = type3[nt_off + 16 + 28:nt_off + nt_len]
        off = 0
        while off + 4 <= len(blob):
            av_id, av_len = struct.unpack_from("<HH", blob, off)
            if av_id == 0:
                return None
            if av_id == 10:
                return blob[off + 4:off + 4 + av_len]
            off += 4 + av_len
    except struct.error:
        pass
    return None


class Acceptor:
    """One connection's NTLM context."""

    def __init__(self, bindings=None, cbt_policy="relaxed"):
        self.bindings = bindings
        self.policy = cbt_policy
        self.ctx = None
        self.user = None

    def step(self, token):
        """Returns (reply_token or None, authenticated_user or None)."""
        g = _gssapi
        if token[:8] == b"NTLMSSP\x00" and token[8] == 1:
            self.ctx = None
            self.user = None
        if self.ctx is None:
            raw = token[:8] == b"NTLMSSP\x00"
            mech = g.OID.from_int_seq(NTLM_OID if raw else SPNEGO_OID)
            self.ctx = g.SecurityContext(usage="accept",
                                         creds=g.Credentials(usage="accept", mechs=[mech]))
        if token[:8] == b"NTLMSSP\x00" and token[8] == 3 and self.bindings is not None:
            cbt = av_channel_bindings(token)
            present = cbt is not None and any(cbt)
            if self.policy == "strict" and not present:
                raise PermissionError("channel binding required")
            if present:  # relaxed: checked when the client sent one
                self.ctx = self._with_bindings(token)
        out = self.ctx.step(token)
        if self.ctx.complete:
            # gss-ntlmssp hands the name over with its NUL terminator
            self.user = str(self.ctx.initiator_name).rstrip("\x00").split("\\")[-1].split("@")[0]
        return out, self.user

    def _with_bindings(self, token):
        # python-gssapi takes bindings when the context is made; gss-ntlmssp
        # checks them on the AUTHENTICATE message, so the context that saw the
        # NEGOTIATE is reused with bindings attached to its next step
        self.ctx._channel_bindings = self.bindings
        return self.ctx

    def unwrap(self, sig_and_data):
        return self.ctx.unwrap(sig_and_data).message

    def wrap(self, data):
        return self.ctx.wrap(data, True).message


def is_encrypted(content_type):
    return content_type.lower().startswith("multipart/encrypted") and \
        PROTOCOL.decode().lower() in content_type.lower()


# The part headers of MS-WSMV 2.2.9.1.1.2: its grammar puts a tab before
# each (Windows writes it); OMI's client writes none, and OMI's server finds
# them only at the start of a line. Read either, or (strict) OMI's way.
def _part(strict, header):
    return (rb"\r\n" if strict else rb"\r\n\t?") + header


def decrypt(acceptor, body, strict=False):
    """The SOAP text of a multipart/encrypted request body."""
    if not re.search(_part(strict, rb"Content-Type: " + re.escape(PROTOCOL) + rb"\r\n"), body):
        raise ValueError("no HTTP-SPNEGO-session-encrypted part")
    m = re.search(_part(strict, rb"OriginalContent:\s*type=[^;]*;charset=[^;]*;Length=(\d+)\r\n"),
                  body)
    if not m:
        raise ValueError("no OriginalContent")
    length = int(m.group(1))
    o = re.compile(_part(strict, rb"Content-Type: application/octet-stream\r\n")).search(
        body, m.end() - 2)
    end = body.rfind(BOUNDARY + b"--")
    if o is None or end < 0:
        raise ValueError("malformed encrypted body")
    payload = body[o.end():end]
    sig_len = struct.unpack("<I", payload[:4])[0]
    plain = acceptor.unwrap(payload[4:4 + sig_len] + payload[4 + sig_len:])
    if len(plain) != length:
        raise ValueError("length mismatch")
    return plain


def encrypt(acceptor, plain, tab=True):
    """Windows' form (a tab before each part header), or OMI's (none)."""
    wrapped = acceptor.wrap(plain)
    sig, data = wrapped[:16], wrapped[16:]
    t = b"\t" if tab else b""
    return (BOUNDARY + b"\r\n" + t + b"Content-Type: " + PROTOCOL + b"\r\n" + t +
            b"OriginalContent: type=application/soap+xml;charset=UTF-8;Length=" +
            str(len(plain)).encode() + b"\r\n" + BOUNDARY + b"\r\n" + t +
            b"Content-Type: application/octet-stream\r\n" + struct.pack("<I", 16) + sig +
            data + BOUNDARY + b"--\r\n")


CONTENT_TYPE = ('multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";'
                'boundary="Encrypted Boundary"')
