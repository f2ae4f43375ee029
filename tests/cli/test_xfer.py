"""wrsh put and wrsh get against real PowerShell 7 (`pwsh -s` behind the
endpoint, tests/endpoint/pwsh_bridge.py): the host's side of every copy is
PowerShell's own FileStream, SHA256 and pipeline input, writing to and
reading from this machine's file system, so each result is checked on the
files themselves (hashlib), never against wrsh's own account of it.
"""
import hashlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from test_cli import Base, Endpoint, PASSWORD, WRSH
from test_ps_real import pwsh_server, real_pwsh


def built(applet):
    r = subprocess.run([WRSH, applet, "--help"], capture_output=True)
    return os.path.exists(WRSH) and b"unknown applet" not in r.stderr


def sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def random_file(path, size):
    with open(path, "wb") as f:
        left = size
        while left:
            k = min(left, 1 << 20)
            f.write(os.urandom(k))
            left -= k
    return path


def tree_of(root):
    """Every file's relative path and hash, and every folder, below root."""
    out = {}
    for d, dirs, files in os.walk(root):
        rel = os.path.relpath(d, root)
        out[rel + "/"] = None
        for f in files:
            out[os.path.normpath(os.path.join(rel, f))] = sha(os.path.join(d, f))
    return out


@unittest.skipUnless(built("put") and built("get"), "wrsh built without put and get")
@real_pwsh
class XferTest(Base):
    """Over NTLM-sealed HTTP, Windows' default; HTTPS where noted."""

    @classmethod
    def setUpClass(cls):
        with pwsh_server():
            cls.ep = Endpoint.shared("--operation-timeout-cap", "2", basic=False)

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="wrsh-xfer-")
        self.remote = os.path.join(self.dir, "remote")
        self.local = os.path.join(self.dir, "local")
        os.mkdir(self.remote)
        os.mkdir(self.local)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)
        super().tearDown()

    def conn(self, https=False):
        if https:
            return ["-H", "localhost", "-p", str(self.ep.https), "--https", "--cacert",
                    self.ep.info["cert"], "-u", "alice"]
        return ["-H", "127.0.0.1", "-p", str(self.ep.http), "-u", "alice"]

    def put(self, *args, https=False, **kw):
        return self.wrsh("put", *self.conn(https), *args, timeout=180, **kw)

    def get(self, *args, https=False, **kw):
        return self.wrsh("get", *self.conn(https), *args, timeout=180, **kw)

    def ok(self, r):
        self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
        return [json.loads(line) for line in r.stdout.decode().splitlines() if line.startswith("{")]

    def round_trip(self, size, https=False):
        src = random_file(os.path.join(self.local, "f%d" % size), size)
        up = self.ok(self.put("--json", src, self.remote + "/", https=https))
        there = os.path.join(self.remote, "f%d" % size)
        self.assertEqual(sha(there), sha(src))
        self.assertEqual(up[0]["bytes"], size)
        self.assertEqual(up[0]["sha256"], sha(src))
        self.assertEqual(up[0]["remote"], there)
        back = os.path.join(self.local, "back")
        down = self.ok(self.get("--json", there, back, https=https))
        self.assertEqual(sha(back), sha(src))
        self.assertEqual(down[0]["sha256"], sha(src))
        left = [n for n in os.listdir(self.remote) if n.endswith(".wrsh-part")]
        self.assertEqual(left, [])
        self.assertFalse(os.path.exists(back + ".wrsh-part"))

    def test_sizes_both_ways(self):
        for size in (0, 1, (1 << 20) + 1):
            with self.subTest(size=size):
                self.round_trip(size)
        self.round_trip(3 << 20, https=True)

    def test_across_pipeline_segments(self):
        # 40 MiB crosses CONFIG_WRSH_XFER_SEGMENT (16 MiB) twice: three pipelines
        self.round_trip(40 << 20)

    def test_memory_does_not_grow_with_the_file(self):
        small = random_file(os.path.join(self.local, "small"), 1024)
        big = random_file(os.path.join(self.local, "big"), 24 << 20)
        peaks = []
        for f in (small, big):
            r = self.put("--stats", f, self.remote + "/")
            self.ok(r)
            line = [x for x in r.stderr.decode().splitlines() if "arena_peak=" in x][0]
            peaks.append(int(line.split("arena_peak=")[1].split()[0]))
        self.assertLess(abs(peaks[0] - peaks[1]), 4096, peaks)

    def test_streams_stdin_and_stdout(self):
        data = os.urandom(300001)
        there = os.path.join(self.remote, "piped")
        self.ok(self.put("-", there, stdin=data))
        with open(there, "rb") as f:
            self.assertEqual(f.read(), data)
        r = self.get(there, "-")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, data)

    def test_several_files_into_a_folder_and_errors_between(self):
        a = random_file(os.path.join(self.local, "a"), 10)
        b = random_file(os.path.join(self.local, "b"), 20)
        missing = os.path.join(self.local, "no-such")
        r = self.put(a, missing, b, self.remote)
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"cannot read", r.stderr)
        self.assertEqual(sorted(os.listdir(self.remote)), ["a", "b"])
        # the remote side refuses one: the next still goes, one line each
        r = self.get(os.path.join(self.remote, "a"), os.path.join(self.remote, "zz"),
                     os.path.join(self.remote, "b"), self.local)
        self.assertEqual(r.returncode, 1)
        err = r.stderr.decode().strip().splitlines()
        self.assertEqual(len(err), 1, err)
        self.assertIn("get: no such file or folder", err[0])
        self.assertEqual(sha(os.path.join(self.local, "b")), sha(b))
        self.assertFalse(os.path.exists(os.path.join(self.local, "zz.wrsh-part")))

    def test_refusals_are_one_line(self):
        src = random_file(os.path.join(self.local, "x"), 5)
        cases = [
            (self.put, [src, "/no/such/folder/x"], "put: no such file or folder"),
            (self.put, [src, "/etc/passwd/x"], "put: no such file or folder"),
            (self.get, [self.remote, self.local], "get: is a folder"),
        ]
        for fn, args, text in cases:
            with self.subTest(args=args):
                r = fn(*args)
                self.assertEqual(r.returncode, 1, r.stderr)
                lines = r.stderr.decode().strip().splitlines()
                self.assertEqual(len(lines), 1, lines)
                self.assertTrue(lines[0].startswith("wrsh: " + text), lines[0])

    def test_no_clobber(self):
        src = random_file(os.path.join(self.local, "x"), 5)
        there = os.path.join(self.remote, "x")
        with open(there, "wb") as f:
            f.write(b"keep me")
        r = self.put("--no-clobber", src, self.remote)
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"the target exists", r.stderr)
        with open(there, "rb") as f:
            self.assertEqual(f.read(), b"keep me")
        self.ok(self.put(src, self.remote))  # without it, replaced
        self.assertEqual(sha(there), sha(src))

    def test_trees_with_unicode_spaces_and_empty_folders(self):
        root = os.path.join(self.local, "tree")
        for d in ("sub dir/ünïcödé", "sub dir/empty", "deep/a/b/c"):
            os.makedirs(os.path.join(root, d))
        for f, n in (("top.txt", 3), ("sub dir/ünïcödé/ƒile ☃.bin", 70000),
                     ("deep/a/b/c/leaf", 1)):
            random_file(os.path.join(root, f), n)
        self.ok(self.put("-r", root, self.remote))
        self.assertEqual(tree_of(os.path.join(self.remote, "tree")), tree_of(root))
        out = os.path.join(self.dir, "out")
        got = self.ok(self.get("-r", "--json", os.path.join(self.remote, "tree"), out))
        self.assertEqual(tree_of(os.path.join(out, "tree")), tree_of(root))
        self.assertEqual(len(got), 3)

    def test_preserve_times(self):
        src = random_file(os.path.join(self.local, "old"), 100)
        os.utime(src, ns=(1577934245_678000000, 1577934245_678000000))
        self.ok(self.put("-t", src, self.remote))
        there = os.path.join(self.remote, "old")
        self.assertEqual(os.stat(there).st_mtime_ns, 1577934245_678000000)
        back = os.path.join(self.local, "again")
        self.ok(self.get("--preserve", there, back))
        self.assertEqual(os.stat(back).st_mtime_ns, 1577934245_678000000)

    def interrupt(self, argv, partial, size):
        """Start wrsh, SIGINT it once partial holds bytes; its exit status."""
        e = dict(os.environ, WRSH_PASSWORD=PASSWORD)
        p = subprocess.Popen([WRSH, *argv], env=e, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if os.path.exists(partial) and 0 < os.path.getsize(partial) < size // 2:
                break
            time.sleep(0.02)
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=60)
        return p.returncode, err

    def test_interrupted_put_leaves_no_file_and_resumes(self):
        size = 48 << 20
        src = random_file(os.path.join(self.local, "big"), size)
        there = os.path.join(self.remote, "big")
        rc, err = self.interrupt(["put", *self.conn(), src, there], there + ".wrsh-part", size)
        self.assertEqual(rc, 130, err)
        self.assertIn(b"interrupted", err)
        self.assertFalse(os.path.exists(there))
        self.assertTrue(os.path.exists(there + ".wrsh-part"))
        res = self.ok(self.put("--resume", "--json", src, there))
        self.assertGreater(res[0]["resumed"], 0)
        self.assertEqual(sha(there), sha(src))
        self.assertFalse(os.path.exists(there + ".wrsh-part"))

    def test_interrupted_get_resumes(self):
        size = 48 << 20
        there = random_file(os.path.join(self.remote, "big"), size)
        back = os.path.join(self.local, "big")
        rc, err = self.interrupt(["get", *self.conn(), there, back], back + ".wrsh-part", size)
        self.assertEqual(rc, 130, err)
        self.assertFalse(os.path.exists(back))
        res = self.ok(self.get("--resume", "--json", there, back))
        self.assertGreater(res[0]["resumed"], 0)
        self.assertEqual(sha(back), sha(there))

    def test_resume_of_another_file_starts_over(self):
        src = random_file(os.path.join(self.local, "f"), 200000)
        there = os.path.join(self.remote, "f")
        with open(there + ".wrsh-part", "wb") as f:
            f.write(os.urandom(50000))  # a partial of other bytes
        res = self.ok(self.put("--resume", "--json", src, there))
        self.assertEqual(res[0]["resumed"], 0)
        self.assertEqual(sha(there), sha(src))
        back = os.path.join(self.local, "g")
        with open(back + ".wrsh-part", "wb") as f:
            f.write(os.urandom(50000))
        res = self.ok(self.get("--resume", "--json", there, back))
        self.assertEqual(res[0]["resumed"], 0)
        self.assertEqual(sha(back), sha(src))
        # and a partial that is the file's own first bytes is kept
        with open(src, "rb") as f, open(back + ".wrsh-part", "wb") as p:
            p.write(f.read(123457))
        os.unlink(back)
        res = self.ok(self.get("--resume", "--json", there, back))
        self.assertEqual(res[0]["resumed"], 123457)
        self.assertEqual(sha(back), sha(src))


if __name__ == "__main__":
    unittest.main()
