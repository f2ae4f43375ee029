"""Warm sessions: `wrsh master --control PATH` keeps one authenticated,
sealed connection to the endpoint, and `wrsh cmd|ps|cim --control PATH`
go through it with no TCP, TLS or NTLM handshake of their own (the
endpoint counts connections and TLS handshakes, and NTLM is bound to a
connection, so an unchanged count means no new handshake)."""
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import unittest

from test_cli import Base, Endpoint, PASSWORD, WRSH


def master_built():
    out = subprocess.run([WRSH, "--help"], capture_output=True, text=True).stdout
    return any(line.split()[:1] == ["master"] for line in out.splitlines())


MISSING = None if master_built() else "wrsh built without the master applet"


def cpu_ms(run, *args, **kw):
    """The median CPU (user+sys) of 5 runs of a wrsh command, in ms."""
    t = []
    for _ in range(5):
        c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        r = run(*args, **kw)
        c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        assert r.returncode == 0, r.stderr
        t.append((c1.ru_utime - c0.ru_utime + c1.ru_stime - c0.ru_stime) * 1000)
    return sorted(t)[2]


class Master:
    def __init__(self, ep, *args, persist="60"):
        self.dir = tempfile.mkdtemp(prefix="wrsh-master-")
        self.path = os.path.join(self.dir, "ctl")
        env = dict(os.environ, WRSH_PASSWORD=PASSWORD)
        self.proc = subprocess.Popen(
            [WRSH, "master", "-H", "127.0.0.1", "-u", "alice", "--control", self.path,
             "--persist", persist, *args], env=env, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True)
        self.ready = self.proc.stderr.readline()

    def stop(self):
        """Stop it; what it said after its ready line."""
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        if not self.proc.stderr.closed:
            self.said = self.proc.stderr.read()
            self.proc.stderr.close()
        return self.said


@unittest.skipIf(MISSING, MISSING)
class MasterTest(Base):
    extra_endpoint_args = ["--keepalive-timeout", "3"]

    def setUp(self):
        self.m = Master(self.ep, "-p", str(self.ep.http))
        self.assertIn("ready on " + self.m.path, self.m.ready)

    def tearDown(self):
        self.m.stop()  # it deletes its parked shell; then Base checks none is left
        super().tearDown()

    def warm(self, *args, **kw):
        k = 2 if args[0] == "cim" else 1  # after the applet (and cim's verb)
        return self.wrsh(*args[:k], "--control", self.m.path, *args[k:], password=None, **kw)

    def test_warm_cmd_needs_no_connection_or_handshake(self):
        before = self.ep.state()
        r = self.warm("cmd", "echo warm & exit /b 4")
        after = self.ep.state()
        self.assertEqual(r.returncode, 4, r.stderr)
        self.assertEqual(r.stdout.decode().splitlines(), ["warm"])
        # (the state query itself is one connection)
        self.assertEqual(after["connections"], before["connections"] + 1)
        # sealed all the same: the master seals for its clients
        self.assertGreater(after["sealed_requests"], before["sealed_requests"])
        self.assertEqual(os.stat(self.m.path).st_mode & 0o777, 0o600)

    def shells(self):
        return [sh["id"] for sh in self.ep.state()["shells"]]

    def requests_since(self, n0, expect):
        """The server's requests since n0, once they reach expect or 10 s
        pass: the master's Signal follows its answer (late under ASan)."""
        for _ in range(100):
            n = self.ep.state()["requests"] - n0
            if n >= expect:
                return n
            time.sleep(0.1)
        return n

    def test_parked_shell_lent_to_the_next_client(self):
        """A client's Delete parks its shell; the next client's same Create
        is answered from the park: the server sees Command, Send, Receive and
        the master's Signal only. Stopping the master deletes it."""
        before = set(self.shells())
        r = self.warm("cmd", "echo one")
        self.assertEqual(r.stdout.decode().splitlines(), ["one"], r.stderr)
        parked = set(self.shells()) - before
        self.assertEqual(len(parked), 1)
        n0 = self.ep.state()["requests"]
        r = self.warm("cmd", "echo two & exit /b 3")
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertEqual(r.stdout.decode().splitlines(), ["two"])
        self.assertEqual(self.requests_since(n0, 4), 4)
        self.assertEqual(set(self.shells()) - before, parked)
        self.assertIn("1 shells lent from the park", self.m.stop())
        self.assertEqual(set(self.shells()) & parked, set())

    def test_other_shell_options_get_a_shell_of_their_own(self):
        before = set(self.shells())
        self.assertEqual(self.warm("cmd", "echo a").returncode, 0)
        first = set(self.shells()) - before
        r = self.warm("cmd", "--codepage", "437", "echo b")
        self.assertEqual(r.returncode, 0, r.stderr)
        second = set(self.shells()) - before
        self.assertEqual(len(second), 1)
        self.assertNotEqual(first, second)  # the newest kind stays parked, the old one deleted

    def test_killed_client_shell_deleted(self):
        before = set(self.shells())
        p = subprocess.Popen([WRSH, "cmd", "--control", self.m.path, "ping", "-t", "127.0.0.1"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.assertTrue(p.stdout.readline())  # running
        self.assertEqual(len(set(self.shells()) - before), 1)
        p.kill()
        p.wait()
        p.stdout.close()
        for _ in range(300):  # the master hears of it when the Receive returns
            if not set(self.shells()) - before:
                break
            time.sleep(0.1)
        self.assertEqual(set(self.shells()) - before, set())
        self.assertEqual(self.warm("cmd", "echo after").stdout, b"after\r\n")

    def test_interrupted_client_shell_parked_clean(self):
        before = set(self.shells())
        p = subprocess.Popen([WRSH, "cmd", "--control", self.m.path, "ping", "-t", "127.0.0.1"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.assertTrue(p.stdout.readline())
        p.send_signal(signal.SIGINT)
        out = p.communicate(timeout=30)[0]
        self.assertIn(b"Control-C", out)  # it reached the command on the lent shell
        self.assertIn(p.returncode, (130, 254))
        shells = set(self.shells()) - before
        self.assertEqual(len(shells), 1)
        r = self.warm("cmd", "echo next")
        self.assertEqual(r.stdout.decode().splitlines(), ["next"], r.stderr)
        self.assertEqual(set(self.shells()) - before, shells)
        for _ in range(50):  # the master's Signal follows its answer
            live = [sh for sh in self.ep.state()["shells"] if sh["id"] in shells]
            if not live[0]["commands"]:
                break
            time.sleep(0.1)
        self.assertEqual(live[0]["commands"], 0)  # every command terminated

    def test_ps_and_cim_through_the_master(self):
        r = self.warm("ps", "Write-Output 'through'")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.decode().splitlines()[0], "through")
        r = self.warm("cim", "get", "wmicimv2/Win32_Service", "Name=WinRM")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"State", r.stdout)

    def test_fault_passes_through(self):
        r = self.warm("cim", "get", "wmicimv2/Win32_Service")
        self.assertEqual(r.returncode, 255)
        self.assertIn(b"wsman: fault w:InvalidSelectors", r.stderr)
        self.assertEqual(self.warm("cmd", "echo still").returncode, 0)

    def test_reconnects_after_the_server_drops_it(self):
        time.sleep(4)  # past the endpoint's keep-alive: it has closed the connection
        before = self.ep.state()["connections"]
        r = self.warm("cmd", "echo again")
        self.assertEqual(r.returncode, 0, r.stderr)
        # one new, authenticated (and the state query's own)
        self.assertEqual(self.ep.state()["connections"], before + 2)

    def test_socket_of_the_wrong_mode_refused(self):
        os.chmod(self.m.path, 0o666)
        r = self.warm("cmd", "echo no")
        self.assertEqual(r.returncode, 255)
        self.assertEqual(r.stderr.decode().splitlines(),
                         ["wrsh: control: the path is not a socket of this user's with mode 0600"])

    def test_second_master_on_the_same_path_refused(self):
        env = dict(os.environ, WRSH_PASSWORD=PASSWORD)
        r = subprocess.run([WRSH, "master", "-H", "127.0.0.1", "-p", str(self.ep.http), "-u",
                            "alice", "--control", self.m.path], env=env, capture_output=True,
                           timeout=30)
        self.assertEqual(r.returncode, 255)
        self.assertIn(b"a master already serves it", r.stderr)

    def test_figures_warm_against_cold(self):
        """Requests the server sees, client CPU and wall time of one-shot
        `echo hi`, cold and warm, medians of 5: printed, not judged by time."""
        def run(warm):
            n0 = self.ep.state()["requests"]
            t0, c0 = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
            if warm:
                r = self.warm("cmd", "echo hi")
            else:
                r = self.wrsh("cmd", "-H", "127.0.0.1", "-p", str(self.ep.http), "-u", "alice",
                              "echo hi")
            c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            wall = (time.monotonic() - t0) * 1000
            self.assertEqual(r.returncode, 0, r.stderr)
            return (self.requests_since(n0, 4 if warm else 6),
                    (c1.ru_utime - c0.ru_utime + c1.ru_stime - c0.ru_stime) * 1000, wall)
        self.warm("cmd", "echo park")  # a shell parked, as after any warm run
        rows = {}
        for name, warm in (("cold", False), ("warm", True)):
            runs = [run(warm) for _ in range(5)]
            rows[name] = [sorted(col)[2] for col in zip(*runs)]
        cold, warm = rows["cold"], rows["warm"]
        self.assertEqual(cold[0], 6)  # NTLM leg, Create, Command, Send, Receive, Delete
        self.assertEqual(warm[0], 4)  # Command, Send, Receive; the master's Signal
        print("\n  one-shot echo hi, sealed HTTP: cold %d requests, %.1f ms CPU, %.1f ms wall; "
              "warm %d requests, %.1f ms CPU, %.1f ms wall; the process alone (--version) %.1f ms"
              % (*cold, *warm, cpu_ms(self.wrsh, "--version")), file=sys.stderr)


@unittest.skipIf(MISSING, MISSING)
class MasterLifetimeTest(Base):
    def test_exits_when_idle(self):
        m = Master(self.ep, "-p", str(self.ep.http), persist="2")
        try:
            m.proc.wait(20)
            self.assertEqual(m.proc.returncode, 0)
            self.assertFalse(os.path.exists(m.path))
        finally:
            m.stop()

    def test_wrong_password_said_by_the_master(self):
        env = dict(os.environ, WRSH_PASSWORD="wrong")
        d = tempfile.mkdtemp()
        r = subprocess.run([WRSH, "master", "-H", "127.0.0.1", "-p", str(self.ep.http), "-u",
                            "alice", "--control", os.path.join(d, "ctl")], env=env,
                           capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 255)
        self.assertIn(b"401 Unauthorized", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(d, "ctl")))


@unittest.skipIf(MISSING, MISSING)
class MasterHttpsTest(Base):
    def test_warm_over_https_needs_no_tls_handshake(self):
        env = dict(os.environ, WRSH_PASSWORD=PASSWORD)
        d = tempfile.mkdtemp()
        path = os.path.join(d, "ctl")
        p = subprocess.Popen([WRSH, "master", "-H", "localhost", "-p", str(self.ep.https),
                              "--https", "--cacert", self.ep.info["cert"], "-u", "alice",
                              "--control", path], env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
        try:
            self.assertIn("ready on", p.stderr.readline())
            before = self.ep.state()["tls_handshakes"]["ok"]
            r = self.wrsh("cmd", "--control", path, "echo tls", password=None)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout.decode().splitlines(), ["tls"])
            self.assertEqual(self.ep.state()["tls_handshakes"]["ok"], before)
            cold = self.wrsh("cmd", "-H", "localhost", "-p", str(self.ep.https), "--https",
                             "--cacert", self.ep.info["cert"], "-u", "alice", "echo hi")
            self.assertEqual(cold.returncode, 0, cold.stderr)
            print("\n  one-shot echo hi over HTTPS, client CPU (median of 5): cold %.1f ms, "
                  "warm %.1f ms" % (cpu_ms(self.wrsh, "cmd", "-H", "localhost", "-p",
                                           str(self.ep.https), "--https", "--cacert",
                                           self.ep.info["cert"], "-u", "alice", "echo hi"),
                                    cpu_ms(self.wrsh, "cmd", "--control", path, "echo hi",
                                           password=None)), file=sys.stderr)
        finally:
            p.terminate()
            p.wait(10)
            p.stderr.close()


if __name__ == "__main__":
    unittest.main()
