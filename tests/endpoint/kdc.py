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

realm.trusted() adds a second realm, FOREST.TEST (hosts *.forest.test by
krb5.conf's [domain_realm]), with a KDC and a database of its own and the
one-way trust Active Directory's forests make: krbtgt/FOREST.TEST@WRSH.TEST
in both databases, the same key; HTTP/web.forest.test@FOREST.TEST's keys
go into http.keytab too, so the endpoint takes its tickets.
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
TRUSTED = "FOREST.TEST"
TRUSTED_HOST = "web.forest.test"
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
 {trusted} = {{
  kdc = 127.0.0.1:{trusted_port}
 }}

[domain_realm]
 {host} = {realm}
 .forest.test = {trusted}
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


def wait_listening(proc, port, where):
    for _ in range(200):
        if proc.poll() is not None:
            raise RuntimeError("krb5kdc exited: see %s/kdc.log" % where)
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("krb5kdc does not listen on %d" % port)


class Realm:
    def __init__(self, directory=None):
        self.dir = directory or tempfile.mkdtemp(prefix="wrsh-kdc-")
        self.own_dir = directory is None
        self.port = free_port()
        self.trusted_port = free_port()  # kept for trusted(): krb5.conf names it now
        self.trusted_proc = None
        self.keytab = os.path.join(self.dir, "http.keytab")
        self.krb5_conf = os.path.join(self.dir, "krb5.conf")
        self.service = "HTTP/%s@%s" % (SERVICE_HOST, REALM)
        fill = {"realm": REALM, "dir": self.dir, "port": self.port, "host": SERVICE_HOST,
                "trusted": TRUSTED, "trusted_port": self.trusted_port}
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

    def another_kdc(self, kdcdefaults):
        """A second krb5kdc over the same database (the same keys, so the
        endpoint takes its tickets) on a port of its own, with lines added
        to its [kdcdefaults]. Returns (port, process); the caller stops it."""
        port = free_port()
        conf = os.path.join(self.dir, "kdc-%d.conf" % port)
        fill = {"realm": REALM, "dir": self.dir, "port": port, "host": SERVICE_HOST}
        with open(conf, "w") as f:
            f.write(KDC_CONF.format(**fill).replace("[realms]", kdcdefaults + "\n\n[realms]", 1))
        env = self.env()
        env["KRB5_KDC_PROFILE"] = conf
        proc = subprocess.Popen(["krb5kdc", "-n", "-r", REALM, "-P", conf + ".pid"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_listening(proc, port, self.dir)
        return port, proc

    def trusted(self):
        """FOREST.TEST started (once), trusting WRSH.TEST's users."""
        if self.trusted_proc:
            return
        d = os.path.join(self.dir, "forest")
        os.mkdir(d)
        conf = os.path.join(d, "kdc.conf")
        with open(conf, "w") as f:
            f.write(KDC_CONF.format(realm=TRUSTED, dir=d, port=self.trusted_port))
        open(os.path.join(d, "kadm5.acl"), "w").close()
        env = self.env()
        env["KRB5_KDC_PROFILE"] = conf

        def run(*argv):
            r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
            if r.returncode:
                raise RuntimeError("%s: %s" % (" ".join(argv[:2]), (r.stderr or r.stdout).strip()))

        run("kdb5_util", "create", "-s", "-r", TRUSTED, "-P", "master-" + PASSWORD)
        # the inter-realm key: one principal in both databases, one password
        # (so one salt and one key), as netdom trust sets up
        trust = "krbtgt/%s@%s" % (TRUSTED, REALM)
        query = "addprinc -e aes256-cts-hmac-sha1-96:normal -pw Trust-%s %s" % (PASSWORD, trust)
        self.kadmin(query)
        run("kadmin.local", "-r", TRUSTED, "-q", query)
        service = "HTTP/%s@%s" % (TRUSTED_HOST, TRUSTED)
        run("kadmin.local", "-r", TRUSTED, "-q", "addprinc -randkey " + service)
        run("kadmin.local", "-r", TRUSTED, "-q", "ktadd -k %s %s" % (self.keytab, service))
        self.trusted_proc = subprocess.Popen(["krb5kdc", "-n", "-r", TRUSTED, "-P",
                                              os.path.join(d, "pid")], env=env,
                                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_listening(self.trusted_proc, self.trusted_port, d)

    def trusted_log(self):
        with open(os.path.join(self.dir, "forest", "kdc.log")) as f:
            return f.read()

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
        wait_listening(self.proc, self.port, self.dir)

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
        for p in (self.proc, self.trusted_proc):
            if p and p.poll() is None:
                p.terminate()
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
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
