"""The Kerberos mechanism (core/auth/krb5_mech.c, through
tests/interop/krb5_tool.c) against MIT: the AS and TGS exchanges with
Debian's krb5kdc (a realm of tests/endpoint/kdc.py), the AP-REQ that MIT's
acceptor must take as alice's, its AP-REP checked, and wrap tokens each
side opens of the other's, in the split MS-WSMV's sealed bodies carry; a
wrong password gets its one line and an RC4-only account (RFC 4757 keys
its AS exchange) its token. Run under qemu
too: the same bytes from a big-endian build.

  krb5_kdc.py [QEMU...] KRB5_TOOL
"""
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "endpoint"))
import kdc  # noqa: E402


def run(tool, realm, user, password):
    env = dict(os.environ, WRSH_PASSWORD=password)
    return subprocess.Popen(tool + ["%s@%s" % (user, kdc.REALM), kdc.SERVICE_HOST, str(realm.port)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True)


def refused(tool, realm, user, password, want):
    p = run(tool, realm, user, password)
    got = p.stdout.readline().strip()
    p.wait(30)
    ok = got.startswith("fail ") and want in got and p.returncode == 1
    print("krb5 interop: %-9s %-5s %s%s" % (user, "wrong" if password == "wrong" else "", got,
                                            "" if ok else "  <- FAILED"))
    return ok


def rc4_token(tool, realm):
    """rc4user has no AES key: the AS exchange runs on RC4-HMAC, the
    service ticket's session key is still AES, the token comes out."""
    p = run(tool, realm, "rc4user", kdc.PASSWORD)
    got = p.stdout.readline().strip()
    p.kill()
    p.wait()
    ok = got.startswith("token ")
    print("krb5 interop: rc4user by RFC 4757 RC4-HMAC: %s" % ("token" if ok else got + "  <- FAILED"))
    return ok


def service_token(tool, realm):
    """AS, TGS, then the AP-REQ token, which MIT's acceptor (the service's
    keytab) must take as alice's, mutual authentication asked."""
    p = run(tool, realm, "alice", kdc.PASSWORD)
    got = p.stdout.readline().strip()
    why = ""
    if not got.startswith("token "):
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
    print("krb5 interop: AS, TGS, AP-REQ, AP-REP and wrap tokens with MIT's KDC and acceptor: %s" %
          (why or "all taken"))
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
        cases = [("alice", "wrong", "wrong password for alice@"),
                 ("nopreauth", "wrong", "wrong password for nopreauth@")]
        for user, pw, want in cases:
            failed += not refused(tool, realm, user, pw, want)
        failed += not rc4_token(tool, realm)
        failed += not service_token(tool, realm)
    finally:
        realm.stop()
    print("krb5 interop: %d passed, %d failed" % (len(cases) + 2 - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
