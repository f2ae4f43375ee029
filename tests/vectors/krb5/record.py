"""Records what MIT's kinit and krb5kdc say to each other over TCP, for the
tests of the Kerberos code: a realm of tests/endpoint/kdc.py, a proxy between
kinit and the KDC, one file per message (NN-req.der, NN-rep.der: the DER
without TCP's 4-byte length). The recorded runs, in order: kinit alice
(AES256), kinit rc4user (an RC4-HMAC key), kinit alice with a wrong
password. Passwords: kdc.PASSWORD.

  /usr/bin/python3 tests/vectors/krb5/record.py [DIR]     (default: here)
"""
import os
import socket
import struct
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "endpoint"))
import kdc  # noqa: E402


def read_msg(s):
    def exactly(n):
        b = b""
        while len(b) < n:
            c = s.recv(n - len(b))
            if not c:
                raise EOFError
            b += c
        return b
    return exactly(struct.unpack(">I", exactly(4))[0])


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else HERE
    realm = kdc.Realm()
    msgs = []
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(4)

    def relay():
        while True:
            c, _ = ls.accept()
            k = socket.create_connection(("127.0.0.1", realm.port))
            for src, dst, kind in ((c, k, "req"), (k, c, "rep")):
                m = read_msg(src)
                msgs.append((kind, m))
                dst.sendall(struct.pack(">I", len(m)) + m)
            c.close()
            k.close()

    threading.Thread(target=relay, daemon=True).start()
    conf = open(realm.krb5_conf).read()
    conf = conf.replace("kdc = 127.0.0.1:%d" % realm.port, "kdc = 127.0.0.1:%d" % ls.getsockname()[1])
    conf = conf.replace("[libdefaults]", "[libdefaults]\n udp_preference_limit = 1")  # TCP
    path = os.path.join(realm.dir, "relay.conf")
    with open(path, "w") as f:
        f.write(conf)
    env = realm.env()
    env["KRB5_CONFIG"] = path
    try:
        for user, pw in (("alice", kdc.PASSWORD), ("rc4user", kdc.PASSWORD), ("alice", "wrong")):
            subprocess.run(["kinit", user], input=pw + "\n", env=env, capture_output=True,
                           text=True, timeout=30)
    finally:
        realm.stop()
    for i, (kind, m) in enumerate(msgs):
        with open(os.path.join(out, "%02d-%s.der" % (i, kind)), "wb") as f:
            f.write(m)
    print("%d messages in %s" % (len(msgs), out))


if __name__ == "__main__":
    main()
