"""The AS exchange of core/auth/krb5_msg.c against MIT's KDC (Debian's
krb5-kdc, a realm of tests/endpoint/kdc.py): krb5_tool writes each AS-REQ,
this script carries it over TCP (RFC 4120 7.2.2: a 4-byte length first) and
hands the KDC's answer back. The KDC decrypts our encrypted timestamp and we
open its AS-REP; a wrong password and an RC4-only account get their answers.

  krb5_kdc.py [QEMU...] KRB5_TOOL
"""
import os
import shutil
import socket
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "endpoint"))
import kdc  # noqa: E402


def kdc_call(port, data):
    with socket.create_connection(("127.0.0.1", port), 10) as s:
        s.sendall(struct.pack(">I", len(data)) + data)
        head = b""
        while len(head) < 4:
            head += s.recv(4 - len(head))
        n = struct.unpack(">I", head)[0]
        body = b""
        while len(body) < n:
            chunk = s.recv(n - len(body))
            if not chunk:
                raise EOFError("KDC closed")
            body += chunk
        return body


def login(tool, realm, user, password, *more):
    env = dict(os.environ, WRSH_PASSWORD=password)
    p = subprocess.Popen(tool + [more[0] if more else "login", user, kdc.REALM, *more[1:]],
                         stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, env=env, text=True)
    requests = 0
    while True:
        line = p.stdout.readline().strip()
        if not line.startswith("req "):
            break
        requests += 1
        rep = kdc_call(realm.port, bytes.fromhex(line[4:]))
        p.stdin.write(rep.hex() + "\n")
        p.stdin.flush()
    if not more:
        p.wait(30)
    return line, requests, p


def service_token(tool, realm):
    """AS, TGS, then the AP-REQ token, which MIT's acceptor (the service's
    keytab) must take as alice's, mutual authentication asked."""
    got, n, p = login(tool, realm, "alice", kdc.PASSWORD, "token", kdc.SERVICE_HOST)
    why = ""
    if not got.startswith("token ") or n != 3:
        why = got
    else:
        os.environ["KRB5_CONFIG"] = realm.krb5_conf
        os.environ["KRB5_KTNAME"] = "FILE:" + realm.keytab
        import gssapi
        ctx = gssapi.SecurityContext(usage="accept", creds=gssapi.Credentials(usage="accept"))
        try:
            reply = ctx.step(bytes.fromhex(got[6:]))
            who = str(ctx.initiator_name)
            if not ctx.complete or who != "alice@" + kdc.REALM or not reply:
                why = "accepted as %r, complete=%s, reply %d bytes" % (who, ctx.complete,
                                                                      len(reply or b""))
        except gssapi.exceptions.GSSError as e:
            why = "MIT refused the token: %s" % e
        if not why:
            why = sealing(ctx, reply, p)
    p.kill()
    p.wait()
    print("krb5 interop: AP-REQ, AP-REP and wrap tokens with MIT's acceptor: %s" % (
        why or "all taken"))
    return not why


def sealing(ctx, reply, p):
    """Our side checks MIT's AP-REP, opens what MIT sealed (gss_wrap_iov
    as the endpoint seals, Windows' split), and seals for MIT to open."""
    r = gssapi.raw if False else __import__("gssapi").raw
    p.stdin.write(reply.hex() + "\n")
    mit = b"sealed by MIT's gss_wrap_iov"
    iov = r.IOV(r.IOVBufferType.header, mit, r.IOVBufferType.padding, std_layout=False)
    r.wrap_iov(ctx, iov, confidential=True)
    p.stdin.write("%s %s\n" % (iov[0].value.hex(), (iov[1].value + (iov[2].value or b"")).hex()))
    p.stdin.flush()
    line = p.stdout.readline().strip()
    if not line.startswith("plain ") or bytes.fromhex(line.split()[1]) != mit:
        return "MIT's wrap: " + line
    line = p.stdout.readline().strip()
    if not line.startswith("wrapped "):
        return "our wrap: " + line
    sig, data = (bytes.fromhex(x) for x in line.split()[1:3])
    iov = r.IOV((r.IOVBufferType.header, False, sig), data, std_layout=False)
    try:
        r.unwrap_iov(ctx, iov)
    except Exception as e:
        return "MIT refused our wrap token: %s" % e
    if iov[1].value != b"sealed by wrsh's RFC 4121 wrap":
        return "MIT opened our wrap token to %r" % iov[1].value
    return ""


def main():
    tool = sys.argv[1:]
    if not (shutil.which("krb5kdc") and shutil.which("kdb5_util")):
        print("krb5 interop: MIT Kerberos missing (scripts/bootstrap.sh check installs it)")
        return 0 if os.environ.get("CI") != "true" else 1
    realm = kdc.Realm()
    failed = 0
    try:
        cases = [("alice", kdc.PASSWORD, "ok etype=18 keylen=32", 2),
                 ("nopreauth", kdc.PASSWORD, "ok etype=18 keylen=32", 1),
                 ("alice", "wrong", "error 24", 2),
                 # RC4-HMAC only: MIT names no etype for the AES ones asked
                 ("rc4user", kdc.PASSWORD, "fail no etype of ours offered", 1)]
        for user, pw, want, reqs in cases:
            got, n, _ = login(tool, realm, user, pw)
            ok = got.startswith(want) and n == reqs
            failed += not ok
            print("krb5 interop: %-9s %-5s %s (%d requests)%s" % (
                user, "wrong" if pw == "wrong" else "", got, n, "" if ok else "  <- FAILED"))
        failed += not service_token(tool, realm)
    finally:
        realm.stop()
    print("krb5 interop: %d passed, %d failed" % (len(cases) + 1 - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
