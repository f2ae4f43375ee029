"""Many hosts from one command (examples/cli/fanout.c): one endpoint
answers as 50 hosts on 127.0.0.2 to 127.0.0.51 (all loopback), with hosts
that are down (nothing listens), one that accepts and never answers, and
one that refuses the credentials (a second endpoint without alice). The
endpoint counts the connections open at once; the throttle bounds them."""
import json
import os
import sys
import socket
import tempfile
import threading
import time
import unittest

from test_cli import Base, Endpoint, features

ARENA = 131072
LIVE = ["127.0.0.%d" % i for i in range(2, 52)]
DOWN = ["127.0.0.%d" % i for i in (60, 61)]
REFUSING = "127.0.0.52"
STALLED = "127.0.0.53"


class Silent:
    """Accepts connections and says nothing: a host that hangs."""

    def __init__(self, addr):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((addr, 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.held = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                self.held.append(self.sock.accept()[0])
            except OSError:
                return


@unittest.skipUnless("fanout" in features(), "wrsh built without many hosts (CONFIG_WRSH_CLI_FANOUT)")
class FanoutTest(Base):
    @classmethod
    def setUpClass(cls):
        cls.ep = Endpoint("--listen-v4", ",".join(["127.0.0.1"] + LIVE), basic=False)
        cls.other = Endpoint("--listen-v4", REFUSING, "--user", "bob:Other0ne!", basic=False)
        cls.silent = Silent(STALLED)

    @classmethod
    def tearDownClass(cls):
        cls.ep.stop()
        cls.other.stop()

    def hosts(self, names, port=None):
        return ",".join("%s:%d" % (h, port or self.ep.http) for h in names)

    def lines(self, out):
        return out.decode().splitlines()

    def test_fifty_hosts_throttle_eight(self):
        hosts = (LIVE + ["%s:%d" % (d, self.ep.http) for d in DOWN] +
                 ["%s:%d" % (REFUSING, self.other.http)])
        f = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False)
        f.write("# the estate\n")
        for h in hosts:
            f.write(("%s:%d" % (h, self.ep.http) if ":" not in h else h) + "  # a comment\n")
        f.close()
        self.addCleanup(os.unlink, f.name)
        before = self.ep.state()
        t = time.monotonic()
        r = self.wrsh("cmd", "-H", "@" + f.name, "-u", "alice", "--throttle", "8", "--stats",
                      "--mem", str(ARENA),
                      "echo up", timeout=120)
        took = time.monotonic() - t
        out, err = self.lines(r.stdout), self.lines(r.stderr)
        after = self.ep.state()
        self.assertIn("wrsh: stats fanout hosts=53 throttle=8 arenas_at_once=8 arena_size=%d "
                      "arena_bound=%d" % (ARENA, 8 * ARENA), err)
        # each child's own figures, under its prefix
        self.assertEqual(len([e for e in err if ": wrsh: stats arena_peak=" in e]), 53)
        print("\n  fan-out: 53 hosts, throttle 8: %.2f s" % took, file=sys.stderr)
        for h in LIVE:
            self.assertIn("%s:%d: up" % (h, self.ep.http), out)
        self.assertEqual(len(out), len(LIVE))
        self.assertNotEqual(r.returncode, 0)
        summary = err[-1]
        self.assertTrue(summary.startswith("wrsh: 53 hosts: 50 succeeded, 2 unreachable ("),
                        summary)
        for d in DOWN:
            self.assertIn("%s:%d" % (d, self.ep.http), summary)
        self.assertIn("1 refused the credentials (%s:%d)" % (REFUSING, self.other.http), summary)
        # each host failure also said in its own line, under its prefix
        self.assertTrue(any(e.startswith("%s:%d: wrsh: " % (DOWN[0], self.ep.http)) for e in err))
        # at most 8 connections at once, as the kernel counts them at each
        # request, and at most 8 shells (Create to Delete, within one child)
        self.assertLessEqual(after["max_established"], 8)
        self.assertGreaterEqual(after["max_established"], 2)
        print("\n  at most %d connections and %d shells at once" % (
            after["max_established"], after["max_shells"]), file=sys.stderr)
        self.assertLessEqual(after["max_shells"], 8)
        self.assertGreaterEqual(after["connections"] - before["connections"], 50)
        self.assertEqual(after["shells"], [])

    def test_exit_codes_and_summary(self):
        r = self.wrsh("cmd", "-H", self.hosts(LIVE[:3]), "-u", "alice", "exit /b 3")
        self.assertEqual(r.returncode, 1)  # every host ran; some command failed
        self.assertIn("3 exited non-zero (127.0.0.2:%d: exit 3," % self.ep.http,
                      self.lines(r.stderr)[-1])
        r = self.wrsh("cmd", "-H", self.hosts(LIVE[:3]), "-u", "alice", "--no-prefix", "echo x")
        self.assertEqual(r.returncode, 0)
        self.assertEqual(self.lines(r.stdout), ["x"] * 3)
        self.assertEqual(self.lines(r.stderr), ["wrsh: 3 hosts: 3 succeeded"])

    def test_stalled_host_holds_up_nobody(self):
        names = self.hosts(LIVE[:4]) + ",%s:%d" % (STALLED, self.silent.port)
        t = time.monotonic()
        r = self.wrsh("cmd", "-H", names, "-u", "alice", "--timeout", "4", "echo quick",
                      timeout=60)
        took = time.monotonic() - t
        out = self.lines(r.stdout)
        self.assertEqual(len(out), 4)
        self.assertIn("1 unreachable (%s:%d)" % (STALLED, self.silent.port),
                      self.lines(r.stderr)[-1])
        self.assertEqual(r.returncode, 255)
        self.assertLess(took, 30)

    def test_ctrl_c_stops_every_host_and_deletes_every_shell(self):
        import signal
        import subprocess
        from test_cli import PASSWORD, WRSH
        env = dict(os.environ, WRSH_PASSWORD=PASSWORD)
        p = subprocess.Popen([WRSH, "cmd", "-H", self.hosts(LIVE[:4]), "-u", "alice",
                              "--throttle", "2", "ping -n 30 127.0.0.1"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        seen = set()
        while len(seen) < 2:
            line = p.stdout.readline().decode()
            self.assertTrue(line, "ended early")
            seen.add(line.split(": ")[0])
        self.assertEqual(len(self.ep.state()["shells"]), 2)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 130)
        self.assertIn("2 not started (interrupted)", err.decode().splitlines()[-1])
        self.assertEqual(self.ep.state()["shells"], [])

    def test_json_records_carry_the_host(self):
        if b" ps" not in self.wrsh("--help", password=None).stdout:
            self.skipTest("built without the ps applet")
        r = self.wrsh("ps", "-H", self.hosts(LIVE[:2]), "-u", "alice", "--json",
                      "Write-Output 'a'")
        self.assertEqual(r.returncode, 0, r.stderr)
        recs = [json.loads(x) for x in self.lines(r.stdout)]
        self.assertEqual(sorted(x["host"] for x in recs),
                         ["%s:%d" % (h, self.ep.http) for h in LIVE[:2]])
        self.assertEqual({x["value"] for x in recs}, {"a"})

    def test_one_host_is_as_before(self):
        r = self.wrsh("cmd", "-H", LIVE[0], "-p", str(self.ep.http), "-u", "alice", "echo one")
        self.assertEqual(r.returncode, 0)
        self.assertEqual(self.lines(r.stdout), ["one"])
        self.assertEqual(r.stderr, b"")

    def test_bad_host_lists(self):
        r = self.wrsh("cmd", "-H", "@/nonexistent", "-u", "alice", "echo")
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"cannot read hosts file /nonexistent", r.stderr)
        r = self.wrsh("cmd", "-H", "a,b", "--throttle", "0", "-u", "alice", "echo")
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"--throttle wants 1 to 256", r.stderr)


if __name__ == "__main__":
    unittest.main()
