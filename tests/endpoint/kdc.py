"""A Kerberos realm on loopback for the tests, all of it MIT Kerberos
(Debian's krb5-kdc, krb5-admin-server, krb5-user): the database made by
kdb5_util, the principals by kadmin.local, the KDC krb5kdc in the
foreground, the HTTP service's keys in a keytab the endpoint's acceptor
(MIT's GSSAPI through python3-gssapi) reads. Only the names are ours.

  realm = kdc.Realm()          # started; realm.env() for KRB5_CONFIG
  realm.stop()
  python3 kdc.py DIR            # a realm in DIR until killed: prints DIR/ready

Principals (pre-authentication required realm-wide, as Active Directory
does): alice (AES256 and AES128), rc4user (RC4-HMAC only), nopreauth
(pre-authentication off), HTTP/localhost (the service, random keys, in
http.keytab).
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

REALM = "WRSH.TEST"
PASSWORD = "Passw0rd!"
SERVICE_HOST = "localhost"
USERS = {"alice": "aes256-cts-hmac-sha1-96:normal,aes128-cts-hmac-sha1-96:normal",
         "rc4user": "rc4-hmac:normal",
         "nopreauth": "aes256-cts-hmac-sha1-96:normal"}

KDC_CONF = """[kdcdefaults]
 kdc_ports = {port}
 kdc_tcp_ports = {port}

[realms]
 {realm} = {{
  database_name = {dir}/principal
  key_stash_file = {dir}/stash
  acl_file = {dir}/kadm5.acl
  max_life = 10h
  max_renewable_life = 1d
  supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal rc4-hmac:normal
  default_principal_flags = +preauth
 }}

[logging]
 kdc = FILE:{dir}/kdc.log
"""

KRB5_CONF = """[libdefaults]
 default_realm = {realm}
 dns_lookup_kdc = false
 dns_lookup_realm = false
 rdns = false
 default_ccache_name = FILE:{dir}/ccache
 permitted_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96 rc4-hmac
 allow_rc4 = true

[realms]
 {realm} = {{
  kdc = 127.0.0.1:{port}
 }}

[domain_realm]
 {host} = {realm}
"""


def free_port():
    """A port free for both TCP and UDP (a KDC listens on both)."""
    for _ in range(50):
        t = socket.socket()
        t.bind(("127.0.0.1", 0))
        port = t.getsockname()[1]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            t.close()
            u.close()
    raise RuntimeError("no free port for the KDC")


class Realm:
    def __init__(self, directory=None):
        self.dir = directory or tempfile.mkdtemp(prefix="wrsh-kdc-")
        self.own_dir = directory is None
        self.port = free_port()
        self.keytab = os.path.join(self.dir, "http.keytab")
        self.krb5_conf = os.path.join(self.dir, "krb5.conf")
        self.service = "HTTP/%s@%s" % (SERVICE_HOST, REALM)
        fill = {"realm": REALM, "dir": self.dir, "port": self.port, "host": SERVICE_HOST}
        with open(os.path.join(self.dir, "kdc.conf"), "w") as f:
            f.write(KDC_CONF.format(**fill))
        with open(self.krb5_conf, "w") as f:
            f.write(KRB5_CONF.format(**fill))
        with open(os.path.join(self.dir, "kadm5.acl"), "w") as f:
            f.write("")
        self._run("kdb5_util", "create", "-s", "-r", REALM, "-P", "master-" + PASSWORD)
        for user, keys in USERS.items():
            flags = ["-requires_preauth"] if user == "nopreauth" else []
            self.kadmin("addprinc", "-e", keys, "-pw", PASSWORD, *flags, user)
        self.kadmin("addprinc", "-randkey", self.service)
        self.kadmin("ktadd", "-k", self.keytab, self.service)
        self.proc = subprocess.Popen(["krb5kdc", "-n", "-r", REALM], env=self.env(),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._wait_listening()

    def env(self, base=None):
        e = dict(os.environ if base is None else base)
        e["KRB5_CONFIG"] = self.krb5_conf
        e["KRB5_KDC_PROFILE"] = os.path.join(self.dir, "kdc.conf")
        e["KRB5CCNAME"] = "FILE:" + os.path.join(self.dir, "ccache")
        return e

    def _run(self, *argv):
        r = subprocess.run(argv, env=self.env(), capture_output=True, text=True, timeout=60)
        if r.returncode:
            raise RuntimeError("%s: %s" % (" ".join(argv[:2]), (r.stderr or r.stdout).strip()))
        return r.stdout

    def kadmin(self, *query):
        return self._run("kadmin.local", "-r", REALM, "-q", " ".join(query))

    def _wait_listening(self):
        for _ in range(200):
            if self.proc.poll() is not None:
                raise RuntimeError("krb5kdc exited: see %s/kdc.log" % self.dir)
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("krb5kdc does not listen on %d" % self.port)

    def kinit(self, user, password=PASSWORD, ccache=None):
        """A TGT in ccache (the realm's default one if None), by MIT's kinit."""
        env = self.env()
        if ccache:
            env["KRB5CCNAME"] = "FILE:" + ccache
        r = subprocess.run(["kinit", user], input=password + "\n", env=env, capture_output=True,
                           text=True, timeout=30)
        if r.returncode:
            raise RuntimeError("kinit %s: %s" % (user, r.stderr.strip()))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        if self.own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)


def main():
    # killed as the scripts stop it (SIGTERM): stop krb5kdc too
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    realm = Realm(sys.argv[1] if len(sys.argv) > 1 else None)
    with open(os.path.join(realm.dir, "ready"), "w") as f:
        json.dump({"dir": realm.dir, "port": realm.port, "realm": REALM,
                   "krb5_conf": realm.krb5_conf, "keytab": realm.keytab,
                   "service": realm.service}, f)
    print(realm.dir, flush=True)
    try:
        realm.proc.wait()
    except KeyboardInterrupt:
        pass
    finally:
        realm.stop()


if __name__ == "__main__":
    main()
