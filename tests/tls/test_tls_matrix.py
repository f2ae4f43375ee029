"""wrsh's certificate verdicts against OpenSSL's, chain by chain (issue 12).

Certificates are made here, at test time, with python3-cryptography: a
matrix of good and bad server chains. For each row OpenSSL is the oracle:

    openssl verify -x509_strict -auth_level 2 -purpose sslserver
                   -verify_hostname HOST (or -verify_ip) -CAfile root.pem
                   [-untrusted sent-intermediates.pem] leaf.pem

`-auth_level 2` because plain `openssl verify` does not apply security
level 2 (RSA >= 2048 bits, no SHA-1) unless asked; it is what a TLS client
built on OpenSSL 3 applies by default. Then a Python ssl server presents the
same chain (leaf, plus the intermediate when the row sends it) and wrsh runs
`identify --https --cacert root.pem` against it: its verdict must be
OpenSSL's, and each refusal must be one line of its own naming the cause.
The table of verdicts is printed at the end.

Run by `make test-tls` with WRSH pointing at the binary under test.
"""
import datetime
import hashlib
import ipaddress
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import unittest
import warnings

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "tests", "endpoint"))
import wsman  # noqa: E402  (the endpoint's Identify answer)

WRSH = os.path.abspath(os.environ.get("WRSH", os.path.join(TOP, "build/host-glibc-full/wrsh")))
NOW = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
DAY = datetime.timedelta(days=1)


def tls_built():
    if not os.path.exists(WRSH):
        return False
    out = subprocess.run([WRSH, "identify", "-H", "127.0.0.1", "--https", "-k", "-p", "1"],
                         capture_output=True, text=True)
    return "not built" not in out.stderr


def rsa_key(bits=2048):
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


class CA:
    """A CA certificate and its key. ca=False makes the 'intermediate
    without CA:TRUE' (basicConstraints CA:FALSE, otherwise a CA's)."""

    def __init__(self, cn, issuer=None, ca=True, key=None):
        self.key = key or rsa_key()
        self.name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
        signer = issuer or self
        b = (x509.CertificateBuilder().subject_name(self.name)
             .issuer_name(signer.name).public_key(self.key.public_key())
             .serial_number(x509.random_serial_number())
             .not_valid_before(NOW - DAY).not_valid_after(NOW + 3650 * DAY)
             .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
             .add_extension(x509.KeyUsage(digital_signature=not ca, content_commitment=False,
                                          key_encipherment=False, data_encipherment=False,
                                          key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                                          encipher_only=False, decipher_only=False),
                            critical=True)
             .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()),
                            critical=False))
        if issuer:
            b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                issuer.key.public_key()), critical=False)
        self.cert = b.sign(signer.key, hashes.SHA256())


def leaf(issuer, names=("localhost",), cn="localhost", key=None, not_before=None,
         not_after=None, eku=(ExtendedKeyUsageOID.SERVER_AUTH,), digest=None):
    key = key or rsa_key()
    b = (x509.CertificateBuilder()
         .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
         .issuer_name(issuer.name).public_key(key.public_key())
         .serial_number(x509.random_serial_number())
         .not_valid_before(not_before or NOW - DAY).not_valid_after(not_after or NOW + 30 * DAY)
         .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
         .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                      key_encipherment=isinstance(key, rsa.RSAPrivateKey),
                                      data_encipherment=False, key_agreement=False,
                                      key_cert_sign=False, crl_sign=False, encipher_only=False,
                                      decipher_only=False), critical=True)
         .add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                        critical=False)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
             issuer.key.public_key()), critical=False))
    if names:
        b = b.add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address(n)) if n[0].isdigit() else x509.DNSName(n)
             for n in names]), critical=False)
    return b.sign(issuer.key, digest or hashes.SHA256()), key


def self_signed(not_after=None):
    """What Windows' HTTPS listeners carry, trusted by giving the
    certificate itself as --cacert (the case of the issue)."""
    key = rsa_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(NOW - 30 * DAY).not_valid_after(not_after or NOW + 30 * DAY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    return cert, key


def sha1_leaf(issuer):
    with warnings.catch_warnings():  # made so on purpose
        warnings.simplefilter("ignore")
        return leaf(issuer, digest=hashes.SHA1())


def pem(*certs):
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


class Server(threading.Thread):
    """One TLS listener on 127.0.0.1 presenting one chain; answers each
    request with Identify. Handshakes the client aborts are expected."""

    def __init__(self, certfile, keyfile):
        super().__init__(daemon=True)
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        # level 0 on the server side, or OpenSSL would not even present
        # the RSA-1024 and SHA-1 rows (the client must refuse them itself)
        self.ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        self.ctx.load_cert_chain(certfile, keyfile)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]

    def run(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            try:
                with self.ctx.wrap_socket(conn, server_side=True) as s:
                    s.settimeout(10)
                    self.answer(s)
            except (OSError, ssl.SSLError):
                pass

    @staticmethod
    def answer(s):
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                return
            data += chunk
        head, body = data.split(b"\r\n\r\n", 1)
        length = 0
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                length = int(v)
        while len(body) < length:
            chunk = s.recv(4096)
            if not chunk:
                return
            body += chunk
        reply = wsman.identify_response(False)
        s.sendall(b"HTTP/1.1 200 \r\nContent-Type: application/soap+xml;charset=UTF-8\r\n"
                  b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(reply) + reply)


# row: (name, what the leaf is, host wrsh names, what a refusal must say)
ROWS = [
    ("valid RSA-2048", "localhost", None),
    ("valid ECDSA P-256", "localhost", None),
    ("chain, intermediate sent", "localhost", None),
    ("chain, intermediate not sent", "localhost", "not trusted: issuer CN=wrsh test intermediate"),
    ("expired", "localhost", "expired on"),
    ("not yet valid", "localhost", "not valid before"),
    ("wrong host", "localhost", "not for host localhost (it names other.example, www.other.example)"),
    ("IP SAN", "127.0.0.1", None),
    ("CN only, no SAN", "localhost", None),
    ("untrusted root", "localhost", "not trusted: issuer CN=wrsh other root"),
    ("intermediate without CA:TRUE", "localhost", "is not a CA"),
    ("EKU clientAuth only", "localhost", "lacks serverAuth"),
    ("SHA-1 signed", "localhost", "signed with SHA-1"),
    ("RSA-1024", "localhost", "RSA key of 1024 bits (2048 needed)"),
    ("self-signed, given as --cacert", "localhost", None),
    ("self-signed, given as --cacert, expired", "localhost", "expired on"),
]
SELF = ("self-signed, given as --cacert", "self-signed, given as --cacert, expired")


@unittest.skipUnless(tls_built(), "wrsh built without TLS")
@unittest.skipUnless(shutil.which("openssl"), "no openssl to compare with")
class Matrix(unittest.TestCase):
    table = []

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="wrsh-tls-")
        root = CA("wrsh test root")
        other = CA("wrsh other root")
        inter = CA("wrsh test intermediate", issuer=root)
        not_ca = CA("wrsh not a CA", issuer=root, ca=False)
        cls.root_pem = cls.write("root.pem", pem(root.cert))
        made = {
            "valid RSA-2048": (leaf(root), []),
            "valid ECDSA P-256": (leaf(root, key=ec.generate_private_key(ec.SECP256R1())), []),
            "chain, intermediate sent": (leaf(inter), [inter.cert]),
            "chain, intermediate not sent": (leaf(inter), []),
            "expired": (leaf(root, not_before=NOW - 30 * DAY, not_after=NOW - DAY), []),
            "not yet valid": (leaf(root, not_before=NOW + DAY, not_after=NOW + 30 * DAY), []),
            "wrong host": (leaf(root, names=("other.example", "www.other.example")), []),
            "IP SAN": (leaf(root, names=("127.0.0.1",), cn="wrsh ip"), []),
            "CN only, no SAN": (leaf(root, names=()), []),
            "untrusted root": (leaf(other), []),
            "intermediate without CA:TRUE": (leaf(not_ca), [not_ca.cert]),
            "EKU clientAuth only": (leaf(root, eku=(ExtendedKeyUsageOID.CLIENT_AUTH,)), []),
            "SHA-1 signed": (sha1_leaf(root), []),
            "RSA-1024": (leaf(root, key=rsa_key(1024)), []),
            SELF[0]: (self_signed(), []),
            SELF[1]: (self_signed(not_after=NOW - DAY), []),
        }
        cls.rows = {}
        for i, (name, host, _) in enumerate(ROWS):
            (cert, key), sent = made[name]
            leaf_pem = cls.write("leaf%d.pem" % i, pem(cert))
            chain_pem = cls.write("chain%d.pem" % i, pem(cert, *sent))
            untrusted = cls.write("sent%d.pem" % i, pem(*sent)) if sent else None
            key_pem = cls.write("key%d.pem" % i, key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption()))
            srv = Server(chain_pem, key_pem)
            srv.start()
            cls.rows[name] = dict(host=host, leaf=leaf_pem, untrusted=untrusted, server=srv,
                                  ca=leaf_pem if name in SELF else cls.root_pem,
                                  sha256=hashlib.sha256(cert.public_bytes(
                                      serialization.Encoding.DER)).hexdigest())

    @classmethod
    def tearDownClass(cls):
        for r in cls.rows.values():
            r["server"].sock.close()
        shutil.rmtree(cls.dir, ignore_errors=True)
        if cls.table:
            w = max(len(r[0]) for r in cls.table)
            print("\n%-*s  %-8s %-8s %s" % (w, "row", "OpenSSL", "wrsh", "wrsh's message"))
            for row in cls.table:
                print("%-*s  %-8s %-8s %s" % ((w,) + row))

    @classmethod
    def write(cls, name, data):
        path = os.path.join(cls.dir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def openssl(self, r):
        opt = ["-verify_ip" if r["host"][0].isdigit() else "-verify_hostname", r["host"]]
        cmd = ["openssl", "verify", "-x509_strict", "-auth_level", "2", "-purpose", "sslserver",
               *opt, "-CAfile", r["ca"]]
        if r["untrusted"]:
            cmd += ["-untrusted", r["untrusted"]]
        p = subprocess.run(cmd + [r["leaf"]], capture_output=True, text=True)
        return p.returncode == 0, (p.stdout + p.stderr).strip().replace("\n", " | ")

    def wrsh(self, r, *extra):
        return subprocess.run([WRSH, "identify", "--https", "-H", r["host"], "-p",
                               str(r["server"].port), "--timeout", "10", *extra],
                              capture_output=True, text=True, timeout=60)

    def test_matrix(self):
        reasons = {}
        for name, _, expect in ROWS:
            with self.subTest(row=name):
                r = self.rows[name]
                ok, why = self.openssl(r)
                p = self.wrsh(r, "--cacert", r["ca"])
                lines = p.stderr.strip().splitlines()
                msg = lines[-1] if lines else ""
                self.table.append((name, "accept" if ok else "refuse",
                                   "accept" if p.returncode == 0 else "refuse (%d)" % p.returncode,
                                   msg if p.returncode else ""))
                self.assertEqual(ok, expect is None, "the matrix is wrong: OpenSSL says " + why)
                if ok:
                    self.assertEqual(p.returncode, 0, p.stderr)
                    self.assertIn("Microsoft Corporation", p.stdout)
                    continue
                self.assertEqual(p.returncode, 255, p.stderr)
                self.assertEqual(len(lines), 1, p.stderr)
                self.assertTrue(msg.startswith("wrsh: tls: "), msg)
                self.assertIn(expect, msg)
                # two causes, two reasons (two expired rows may share one)
                self.assertNotIn(msg, [m for k, m in reasons.items() if k != expect])
                reasons[expect] = msg

    def test_expired_message_names_the_date_and_the_way_out(self):
        r = self.rows["expired"]
        p = self.wrsh(r, "--cacert", self.root_pem)
        day = (NOW - DAY).strftime("%Y-%m-%d %H:%M:%S")
        self.assertEqual(p.stderr.strip(), "wrsh: tls: certificate expired on %s UTC (not valid "
                         "after); use --pin SHA256 to trust it anyway" % day)

    def test_pinned_expired_accepted_with_one_warning(self):
        r = self.rows["expired"]
        p = self.wrsh(r, "--pin", r["sha256"])
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertTrue(lines[0].startswith("wrsh: warning: tls: the pinned certificate expired "
                                            "on "), lines[0])

    def test_pinned_valid_no_warning(self):
        r = self.rows["valid RSA-2048"]
        p = self.wrsh(r, "--pin", r["sha256"])
        self.assertEqual((p.returncode, p.stderr), (0, ""))

    def test_pin_ignores_the_issuer(self):
        r = self.rows["untrusted root"]
        p = self.wrsh(r, "--pin", r["sha256"])
        self.assertEqual((p.returncode, p.stderr), (0, ""))


def crl_of(ca, revoked=(), next_update=None, last_update=None):
    b = (x509.CertificateRevocationListBuilder().issuer_name(ca.name)
         .last_update(last_update or NOW - DAY).next_update(next_update or NOW + 7 * DAY)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
                        critical=False)
         .add_extension(x509.CRLNumber(1), critical=False))
    for cert in revoked:
        b = b.add_revoked_certificate(x509.RevokedCertificateBuilder()
                                      .serial_number(cert.serial_number)
                                      .revocation_date(NOW - DAY).build())
    return b.sign(ca.key, hashes.SHA256())


def crl_built():
    p = subprocess.run([WRSH, "identify", "--https", "--crl", "/dev/null", "--cacert",
                        "/dev/null", "-H", "127.0.0.1", "-p", "1"], capture_output=True,
                       text=True)
    return "not built" not in p.stderr


@unittest.skipUnless(tls_built() and crl_built(), "wrsh built without TLS or CRLs")
@unittest.skipUnless(shutil.which("openssl"), "no openssl to compare with")
class Revocation(unittest.TestCase):
    """--crl against `openssl verify -crl_check -CRLfile` on the same files."""
    table = []

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="wrsh-crl-")
        root = CA("wrsh test root")
        inter = CA("wrsh test intermediate", issuer=root)
        good, revoked, below = leaf(root), leaf(root), leaf(inter)
        w = lambda name, data: Matrix.write.__func__(cls, name, data)  # noqa: E731
        cls.root_pem = w("root.pem", pem(root.cert))
        crl = crl_of(root, revoked=[revoked[0]])
        cls.crl = {
            "PEM": w("crl.pem", crl.public_bytes(serialization.Encoding.PEM)),
            "DER": w("crl.der", crl.public_bytes(serialization.Encoding.DER)),
            "stale": w("stale.pem", crl_of(root, last_update=NOW - 30 * DAY,
                                           next_update=NOW - DAY).public_bytes(
                serialization.Encoding.PEM)),
        }
        cls.servers = {}
        for name, (cert, key), sent in (("good", good, []), ("revoked", revoked, []),
                                        ("below", below, [inter.cert])):
            chain = w(name + "-chain.pem", pem(cert, *sent))
            keyf = w(name + "-key.pem", key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption()))
            srv = Server(chain, keyf)
            srv.start()
            cls.servers[name] = dict(server=srv, leaf=w(name + ".pem", pem(cert)),
                                     sent=w(name + "-sent.pem", pem(*sent)) if sent else None)

    @classmethod
    def tearDownClass(cls):
        for s in cls.servers.values():
            s["server"].sock.close()
        shutil.rmtree(cls.dir, ignore_errors=True)
        if cls.table:
            print("\n%-40s %-8s %-8s %s" % ("--crl row", "OpenSSL", "wrsh", "wrsh's message"))
            for row in cls.table:
                print("%-40s %-8s %-8s %s" % row)

    def case(self, row, server, crl, expect):
        s = self.servers[server]
        cmd = ["openssl", "verify", "-x509_strict", "-auth_level", "2", "-purpose", "sslserver",
               "-verify_hostname", "localhost", "-crl_check", "-CRLfile", self.crl[crl],
               "-CAfile", self.root_pem]
        if crl == "DER":  # openssl verify reads PEM CRLs only; the same list
            cmd[cmd.index("-CRLfile") + 1] = self.crl["PEM"]
        if s["sent"]:
            cmd += ["-untrusted", s["sent"]]
        ok = subprocess.run(cmd + [s["leaf"]], capture_output=True).returncode == 0
        p = subprocess.run([WRSH, "identify", "--https", "-H", "localhost", "-p",
                            str(s["server"].port), "--cacert", self.root_pem, "--crl",
                            self.crl[crl], "--timeout", "10"],
                           capture_output=True, text=True, timeout=60)
        msg = p.stderr.strip()
        self.table.append((row, "accept" if ok else "refuse",
                           "accept" if p.returncode == 0 else "refuse (%d)" % p.returncode, msg))
        self.assertEqual(ok, expect is None, "the case is wrong")
        if ok:
            self.assertEqual((p.returncode, msg), (0, ""))
        else:
            self.assertEqual(p.returncode, 255, msg)
            self.assertEqual(len(msg.splitlines()), 1, msg)
            self.assertIn(expect, msg)

    def test_not_revoked_accepted(self):
        self.case("not revoked (PEM CRL)", "good", "PEM", None)

    def test_revoked_refused(self):
        self.case("revoked (DER CRL)", "revoked", "DER", "tls: certificate revoked by its issuer "
                  "CN=wrsh test root (CRL)")

    def test_issuer_without_crl_refused(self):
        self.case("issuer has no CRL in the file", "below", "PEM",
                  "tls: no CRL of CN=wrsh test intermediate in the revocation lists")

    def test_stale_crl_refused(self):
        self.case("CRL past its nextUpdate", "good", "stale", "that is current")


if __name__ == "__main__":
    unittest.main()
