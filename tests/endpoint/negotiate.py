"""Negotiate (NTLM) and Kerberos for the test endpoint, done by acceptors
this project did not write: gss-ntlmssp and MIT Kerberos through
python3-gssapi (Kerberos with --kerberos: a realm of tests/endpoint/kdc.py,
its keytab for HTTP/localhost). Plus the message encryption of MS-WSMV
2.2.9.1.1 (multipart/encrypted with HTTP-SPNEGO-session-encrypted parts, or
HTTP-Kerberos-session-encrypted under the Kerberos scheme) on top of their
wrap/unwrap: NTLM's 16-byte signature, or for Kerberos the RFC 4121 wrap
token split as Windows sends it (gss_wrap_iov: the token's header in front
of the encrypted data, its length in the 4-byte field).

The security context is connection-bound: one Acceptor per TCP connection.
"""
import os
import re
import struct

NTLM_OID = "1.3.6.1.4.1.311.2.2.10"
SPNEGO_OID = "1.3.6.1.5.5.2"
KRB5_OID = "1.2.840.113554.1.2.2"
PROTOCOL = b"application/HTTP-SPNEGO-session-encrypted"
KRB5_PROTOCOL = b"application/HTTP-Kerberos-session-encrypted"
BOUNDARY = b"--Encrypted Boundary"
_gssapi = None


def setup(users, state_dir, kerberos=None):
    """gss-ntlmssp reads acceptor credentials from NTLM_USER_FILE. Every user
    is also a local account of the machine (domain = its NetBIOS name, which
    gss-ntlmssp puts into its challenges), as ".\\user" logs in on Windows.
    kerberos: a realm's directory (kdc.py): its krb5.conf and the service's
    keytab for MIT's acceptor."""
    import socket
    global _gssapi
    if kerberos:
        os.environ["KRB5_CONFIG"] = os.path.join(kerberos, "krb5.conf")
        os.environ["KRB5_KTNAME"] = "FILE:" + os.path.join(kerberos, "http.keytab")
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


KRB5_DER = bytes.fromhex("2a864886f712010202")


def initial_token_mech(token):
    """The mechanism a GSS initial token names (RFC 2743 3.1): Kerberos for
    a raw AP-REQ, which requests-kerberos sends even under Negotiate and
    Windows takes; None for anything else (SPNEGO)."""
    if token[:1] != b"\x60" or len(token) < 4:
        return None
    i = 2 + (token[1] & 0x7F if token[1] & 0x80 else 0)
    if token[i:i + 1] != b"\x06":
        return None
    n = token[i + 1]
    return KRB5_OID if token[i + 2:i + 2 + n] == KRB5_DER else None


class Acceptor:
    """One connection's security context: NTLM, or Kerberos (raw under the
    Kerberos scheme, or inside SPNEGO under Negotiate)."""

    def __init__(self, bindings=None, cbt_policy="relaxed"):
        self.bindings = bindings
        self.policy = cbt_policy
        self.ctx = None
        self.user = None
        self.scheme = "Negotiate"

    def kerberos(self):
        """Is the established context Kerberos (its wrap tokens RFC 4121)?"""
        return self.ctx is not None and self.ctx.complete and \
            self.ctx.mech.dotted_form == KRB5_OID

    def step(self, token, scheme="Negotiate"):
        """Returns (reply_token or None, authenticated_user or None). A
        Kerberos reply on the last leg is the AP-REP of mutual authentication."""
        g = _gssapi
        ntlm = token[:8] == b"NTLMSSP\x00"
        # a new handshake: NTLM's NEGOTIATE, or a GSS initial token (RFC 2743
        # 3.1: [APPLICATION 0]: SPNEGO's NegTokenInit, Kerberos' AP-REQ)
        if (ntlm and token[8] == 1) or token[:1] == b"\x60":
            self.ctx = None
            self.user = None
        if self.ctx is None:
            self.scheme = scheme
            oid = NTLM_OID if ntlm else initial_token_mech(token) or SPNEGO_OID
            mech = g.OID.from_int_seq(oid)
            # Kerberos carries its channel bindings in the AP-REQ: MIT checks
            # them when the client sent some (CbtHardeningLevel relaxed)
            cbt = self.bindings if not ntlm else None
            self.ctx = g.SecurityContext(usage="accept", channel_bindings=cbt,
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

    def unwrap(self, sig, data):
        if not self.kerberos():
            return self.ctx.unwrap(sig + data).message
        r = _gssapi.raw
        iov = r.IOV((r.IOVBufferType.header, False, sig), data, std_layout=False)
        r.unwrap_iov(self.ctx, iov)
        return iov[1].value

    def wrap(self, data):
        """(signature, sealed data)"""
        if not self.kerberos():
            m = self.ctx.wrap(data, True).message
            return m[:16], m[16:]
        r = _gssapi.raw
        iov = r.IOV(r.IOVBufferType.header, data, r.IOVBufferType.padding, std_layout=False)
        r.wrap_iov(self.ctx, iov, confidential=True)
        return iov[0].value, iov[1].value + (iov[2].value or b"")

    def protocol(self):
        return KRB5_PROTOCOL if self.scheme.lower() == "kerberos" else PROTOCOL

    def content_type(self):
        return ('multipart/encrypted;protocol="%s";boundary="Encrypted Boundary"'
                % self.protocol().decode())


def is_encrypted(content_type):
    c = content_type.lower()
    return c.startswith("multipart/encrypted") and \
        (PROTOCOL.decode().lower() in c or KRB5_PROTOCOL.decode().lower() in c)


# The part headers of MS-WSMV 2.2.9.1.1.2: its grammar puts a tab before
# each (Windows writes it); OMI's client writes none, and OMI's server finds
# them only at the start of a line. Read either, or (strict) OMI's way.
def _part(strict, header):
    return (rb"\r\n" if strict else rb"\r\n\t?") + header


def decrypt(acceptor, body, strict=False):
    """The SOAP text of a multipart/encrypted request body."""
    proto = acceptor.protocol()
    if not re.search(_part(strict, rb"Content-Type: " + re.escape(proto) + rb"\r\n"), body):
        raise ValueError("no %s part" % proto.decode().split("/")[1])
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
    plain = acceptor.unwrap(payload[4:4 + sig_len], payload[4 + sig_len:])
    if len(plain) != length:
        raise ValueError("length mismatch")
    return plain


def encrypt(acceptor, plain, tab=True):
    """Windows' form (a tab before each part header), or OMI's (none)."""
    sig, data = acceptor.wrap(plain)
    t = b"\t" if tab else b""
    return (BOUNDARY + b"\r\n" + t + b"Content-Type: " + acceptor.protocol() + b"\r\n" + t +
            b"OriginalContent: type=application/soap+xml;charset=UTF-8;Length=" +
            str(len(plain)).encode() + b"\r\n" + BOUNDARY + b"\r\n" + t +
            b"Content-Type: application/octet-stream\r\n" + struct.pack("<I", len(sig)) + sig +
            data + BOUNDARY + b"--\r\n")


