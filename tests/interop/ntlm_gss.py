#!/usr/bin/python3
"""wrsh's NTLM against two implementations this project did not write:
gss-ntlmssp (python3-gssapi) accepts the handshake and exchanges sealed
messages both ways, with and without channel bindings; impacket's NTLM
recomputes the NTLMv2 proof, the session key, the MIC and the first seal
signature from our bytes.

  ntlm_gss.py [QEMU] NTLM_TOOL
"""
import os
import subprocess
import sys
import tempfile

tool = sys.argv[1:]  # the tool, behind qemu-user on cross builds
d = tempfile.mkdtemp()
with open(os.path.join(d, "users"), "w") as f:
    # gss-ntlmssp looks a UPN (sent whole, with an empty domain) up as a name
    f.write("WRSH:alice:Passw0rd!\n:alice@WRSH:Passw0rd!\n")
os.environ["NTLM_USER_FILE"] = os.path.join(d, "users")
import gssapi  # noqa: E402
import hashlib  # noqa: E402
import hmac  # noqa: E402
from Cryptodome.Cipher import ARC4  # noqa: E402
from impacket import ntlm as imp  # noqa: E402

NTLM = gssapi.OID.from_int_seq("1.3.6.1.4.1.311.2.2.10")
failed = 0
cases = 0


def impacket_check(user, domain, password, t1, t2, t3, sealed1):
    """Everything the client derived, recomputed by impacket from its bytes."""
    global failed
    chal = imp.NTLMAuthChallenge()
    chal.fromString(t2)
    auth = imp.NTLMAuthChallengeResponse()
    auth.fromString(t3)
    nt = auth["ntlm"]
    key = imp.NTOWFv2(user, password, domain)
    proof_ok = imp.hmac_md5(key, chal["challenge"] + nt[16:]) == nt[:16]
    exported = ARC4.new(imp.hmac_md5(key, nt[:16])).decrypt(auth["session_key"])
    key_ok = exported == bytes(range(0xa0, 0xb0))
    zeroed = t3[:72] + bytes(16) + t3[88:]
    mic_ok = hmac.new(exported, t1 + t2 + zeroed, hashlib.md5).digest() == t3[72:88]
    flags = auth["flags"]
    seal = ARC4.new(imp.SEALKEY(flags, exported)).encrypt
    data, sig = imp.SEAL(flags, imp.SIGNKEY(flags, exported), None, b"hello wrsh",
                         b"hello wrsh", 0, seal)
    seal_ok = sig.getData() + data == sealed1
    if proof_ok and key_ok and mic_ok and seal_ok:
        print("ok   impacket agrees: NTLMv2 proof, session key, MIC, seal")
    else:
        print("FAIL impacket: proof %s key %s mic %s seal %s" % (proof_ok, key_ok, mic_ok, seal_ok))
        failed += 1


def run(user, domain, password, spn="HTTP/win.example", expect_ok=True, acc_cbt=None,
        our_cbt=None, what=""):
    global failed, cases
    cases += 1
    bindings = None
    if acc_cbt is not None:
        bindings = gssapi.raw.ChannelBindings(application_data=acc_cbt)
    acc = gssapi.SecurityContext(usage="accept", channel_bindings=bindings,
                                 creds=gssapi.Credentials(usage="accept", mechs=[NTLM]))
    t1 = bytes.fromhex(subprocess.run([*tool, "negotiate"], capture_output=True, text=True,
                                      check=True).stdout.strip())
    t2 = acc.step(t1)
    argv = [*tool, "authenticate", user, domain, password, t2.hex(), spn]
    if our_cbt is not None:
        # MsvAvChannelBindings: MD5 of the gss_channel_bindings_struct, here
        # with empty addresses (MS-NLMP 3.1.5.1.2, RFC 4121 4.1.1.2)
        argv.append(hashlib.md5(bytes(16) + len(our_cbt).to_bytes(4, "little") +
                                our_cbt).hexdigest())
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    t3 = bytes.fromhex(p.stdout.readline().strip())
    try:
        acc.step(t3)
        ok = acc.complete
    except gssapi.exceptions.GSSError as e:
        ok = False
        err = e
    if not expect_ok:
        p.kill()
        p.wait()
        if ok:
            print("FAIL %s\\%s: accepted %s" % (domain, user, what))
            failed += 1
        else:
            print("ok   %s\\%s refused %s" % (domain, user, what))
        return
    if not ok:
        print("FAIL %s\\%s: not accepted: %s" % (domain, user, err))
        failed += 1
        p.kill()
        return
    for n in (1, 2):
        m = bytes.fromhex(p.stdout.readline().strip())
        if n == 1:
            impacket_check(user, domain, password, t1, t2, t3, m)
        plain = acc.unwrap(m).message
        want = b"hello wrsh" if n == 1 else bytes((i * 7) & 255 for i in range(3000))
        if plain != want:
            print("FAIL sealed message %d unsealed to %r" % (n, plain[:20]))
            failed += 1
    reply = acc.wrap(b"sealed by gss-ntlmssp", True).message
    out, _ = p.communicate(reply.hex() + "\n")
    if out.strip() != "sealed by gss-ntlmssp":
        print("FAIL our unseal of gss-ntlmssp's wrap: %r" % out)
        failed += 1
    print("ok   %s\\%s: authenticated as %r, sealing both ways" %
          (domain, user, str(acc.initiator_name).rstrip("\x00")))


run("alice", "WRSH", "Passw0rd!")
run("alice", "", "Passw0rd!")
run("alice@WRSH", "", "Passw0rd!")
run("alice", "WRSH", "wrong", expect_ok=False, what="with a wrong password")
cb = b"tls-server-end-point:" + bytes(range(32))
run("alice", "WRSH", "Passw0rd!", acc_cbt=cb, our_cbt=cb)
run("alice", "WRSH", "Passw0rd!", acc_cbt=cb, our_cbt=cb[:-1] + b"x", expect_ok=False,
    what="with channel bindings of another TLS channel")
print("ntlm interop: %d handshakes, %d failures" % (cases, failed))
sys.exit(1 if failed else 0)
