"""contrib/ansible/connection/wrsh.py, the Ansible connection plugin over
wrsh, driven by Debian's ansible-core against the endpoint with real
PowerShell 7 behind it (--psrp-server pwsh: `powershell` in its cmd shell
and the PSRP server of put and get are both pwsh).

Every run is ad hoc (`ansible -i INVENTORY all -m MODULE`), with no
ansible.cfg of the user's (ANSIBLE_CONFIG names an empty file), ANSIBLE_HOME
and the local temp in a temp dir, the json stdout callback, and a time
limit. Without pwsh the tests are skipped, saying so (under CI=true they
fail, as test_ps_real's); without ansible the same. The ansible.windows
modules (Debian's `ansible` package) are tried when present: win_ping,
win_copy; win_shell, win_command, win_stat and so fetch cannot run against
pwsh on Linux (their C# utilities P/Invoke Win32 DLLs), so fetch_file is
tested through the plugin's own interface instead.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

# also run as a path (python3 -m unittest tests/cli/test_ansible.py)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_cli import Base, Endpoint, PASSWORD, TOP, WRSH, needs_peer
from test_ps_real import pwsh_server, real_pwsh

PLUGINS = os.path.join(TOP, "contrib", "ansible", "connection")
ANSIBLE = shutil.which("ansible") or "/usr/bin/ansible"
# Debian's python3 modules import only under its own interpreter
PY = "/usr/bin/python3"
RUN_LIMIT = 60


def ansible_missing():
    try:
        r = subprocess.run([ANSIBLE, "--version"], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return "no ansible (%s); scripts/bootstrap.sh check installs ansible-core" % e
    return None if r.returncode == 0 else "ansible --version fails: %r" % r.stderr[-200:]


def windows_collection():
    """Debian's `ansible` package carries ansible.windows; ansible-core does not."""
    r = subprocess.run([PY, "-c", "import ansible_collections.ansible.windows"],
                       capture_output=True)
    return r.returncode == 0


@needs_peer(ansible_missing(), "Ansible")
@real_pwsh
class AnsibleTest(Base):
    """NTLM-sealed HTTP (Windows' default) as alice; the remote file system
    is this machine's, so a copy is checked on the files themselves."""

    @classmethod
    def setUpClass(cls):
        with pwsh_server():
            cls.ep = Endpoint.shared("--operation-timeout-cap", "2", basic=False)
        cls.dir = tempfile.mkdtemp(prefix="wrsh-ansible-")
        cls.remote = os.path.join(cls.dir, "remote")
        os.mkdir(cls.remote)
        # Ansible's default remote_tmp is %TEMP%, which pwsh on Linux has not
        os.mkdir(os.path.join(cls.dir, "remote-tmp"))
        cls.cfg = os.path.join(cls.dir, "ansible.cfg")
        open(cls.cfg, "w").close()
        cls.inventory = cls.write_inventory("inventory", cls.ep.http)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def write_inventory(cls, name, port, wrsh=WRSH, extra=""):
        path = os.path.join(cls.dir, name)
        with open(path, "w") as f:
            f.write(textwrap.dedent("""\
                [windows]
                127.0.0.1 ansible_port=%d

                [windows:vars]
                ansible_connection=wrsh
                ansible_user=alice
                ansible_password=%s
                ansible_wrsh_path=%s
                ansible_wrsh_timeout=20
                ansible_remote_tmp=%s
                %s
                """) % (port, PASSWORD, wrsh, os.path.join(cls.dir, "remote-tmp"), extra))
        return path

    def ansible(self, module, args=None, inventory=None, extra=()):
        """One ad-hoc run: (exit status, the host's result, stderr)."""
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("ANSIBLE_") and k != "WRSH_PASSWORD"}
        env.update(ANSIBLE_CONFIG=self.cfg, ANSIBLE_HOME=os.path.join(self.dir, "home"),
                   ANSIBLE_LOCAL_TEMP=os.path.join(self.dir, "local-tmp"),
                   ANSIBLE_CONNECTION_PLUGINS=PLUGINS, ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
                   ANSIBLE_STDOUT_CALLBACK="json", ANSIBLE_NOCOLOR="1",
                   ANSIBLE_PYTHON_INTERPRETER=PY)
        argv = [ANSIBLE, "-i", inventory or self.inventory, "all", "-m", module]
        if args is not None:
            argv += ["-a", args]
        r = subprocess.run(argv + list(extra), capture_output=True, env=env, timeout=RUN_LIMIT)
        try:
            out = json.loads(r.stdout)
            host = out["plays"][0]["tasks"][0]["hosts"]["127.0.0.1"]
        except (ValueError, KeyError, IndexError):
            self.fail("no json result (%d): %r %r"
                      % (r.returncode, r.stdout[-2000:], r.stderr[-2000:]))
        return r.returncode, host, r.stderr.decode(errors="replace")

    # ---- raw: the bar ----------------------------------------------------------

    def test_raw_echo_hi(self):
        rc, host, err = self.ansible("raw", "echo hi")
        self.assertEqual(rc, 0, (host, err))
        self.assertEqual((host["rc"], host["stdout"].strip(), host["stderr"]), (0, "hi", ""), host)

    def test_raw_exit_code_and_error(self):
        rc, host, err = self.ansible("raw", "Write-Error boom; exit 3")
        self.assertEqual(rc, 2, (host, err))
        self.assertEqual(host["rc"], 3, host)
        self.assertIn("boom", host["stderr"])
        self.assertNotIn("CLIXML", host["stderr"])

    def test_password_in_the_environment_only(self):
        # a wrapper in front of wrsh writes down its argv and whether it got
        # the password in its environment, then runs the real wrsh
        log = os.path.join(self.dir, "argv.log")
        wrapper = os.path.join(self.dir, "wrsh-wrapper")
        with open(wrapper, "w") as f:
            f.write('#!/bin/sh\nprintf "%%s\\n" "$*" >> %s\n'
                    '[ "$WRSH_PASSWORD" = "%s" ] && echo env-ok >> %s\nexec %s "$@"\n'
                    % (log, PASSWORD, log, WRSH))
        os.chmod(wrapper, 0o755)
        inv = self.write_inventory("inventory-wrapper", self.ep.http, wrsh=wrapper)
        rc, host, err = self.ansible("raw", "echo hi", inventory=inv)
        self.assertEqual((rc, host["stdout"].strip()), (0, "hi"), (host, err))
        with open(log) as f:
            lines = f.read().splitlines()
        self.assertEqual(lines[1:], ["env-ok"], lines)
        self.assertTrue(lines[0].startswith("cmd -H 127.0.0.1 -p %d -u alice --timeout 20 -n -- "
                                            "PowerShell -NoProfile" % self.ep.http), lines)
        self.assertNotIn(PASSWORD, lines[0])

    def test_unreachable(self):
        with socket_bound() as port:
            inv = self.write_inventory("inventory-closed", port)
            rc, host, err = self.ansible("raw", "echo hi", inventory=inv)
        self.assertEqual(rc, 4, (host, err))  # Ansible's "unreachable"
        self.assertTrue(host.get("unreachable"), host)
        self.assertIn("wrsh cmd failed on 127.0.0.1", host["msg"])

    def test_become_refused(self):
        rc, host, err = self.ansible("raw", "echo hi",
                                     extra=["--become", "--become-method", "runas",
                                            "--become-user", "SYSTEM"])
        self.assertNotEqual(rc, 0)
        self.assertIn("does not support become", host["msg"])

    def test_control(self):
        """ansible_wrsh_control: a wrsh with --control gets a master started
        on the first call, and the next calls (cmd, and put: a script) open
        no connection of their own; an older wrsh only warns."""
        template = os.path.join(self.dir, "ctl-%h")
        inv = self.write_inventory("inventory-control", self.ep.http,
                                   extra="ansible_wrsh_control=%s\n"
                                         "ansible_wrsh_control_persist=60" % template)
        rc, host, err = self.ansible("raw", "echo hi", inventory=inv)
        self.assertEqual((rc, host["stdout"].strip()), (0, "hi"), (host, err))
        help_text = subprocess.run([WRSH, "cmd", "--help"], capture_output=True).stdout
        if b"--control" not in help_text:
            self.assertIn("has no --control option", err)
            return
        path = os.path.join(self.dir, "ctl-127.0.0.1")
        with open(path + ".pid") as f:
            pid = int(f.read())
        self.addCleanup(stop_pid, pid)
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
        # the state page's own request counts as a connection: one more a call
        first = self.ep.state()["connections"]
        before = self.ep.state()["connections"]
        own = before - first
        script = os.path.join(self.dir, "warm.ps1")
        with open(script, "w") as f:
            f.write('"warm $($args[0])"\n')
        rc, host, err = self.ansible("script", "%s session" % script, inventory=inv)
        self.assertEqual((rc, host["stdout_lines"]), (0, ["warm session"]), (host, err))
        self.assertEqual(self.ep.state()["connections"] - before, own)
        stop_pid(pid)  # before tearDown looks for shells left behind

    # ---- script: put_file, then the exec wrapper through stdin -----------------------

    def test_script(self):
        script = os.path.join(self.dir, "hello.ps1")
        with open(script, "w") as f:
            f.write('param($Name)\n'
                    '"hello $Name from PowerShell $($PSVersionTable.PSVersion.Major)"\n'
                    "exit 5\n")
        rc, host, err = self.ansible("script", "%s world" % script)
        self.assertEqual(host["rc"], 5, (host, err))
        self.assertEqual(host["stdout_lines"], ["hello world from PowerShell 7"], host)
        # Ansible removed its temp dir on the host afterwards
        self.assertEqual(os.listdir(os.path.join(self.dir, "remote-tmp")), [])

    # ---- the plugin's interface itself: put_file, fetch_file, exec_command --------

    def test_put_and_fetch_through_the_plugin(self):
        src = os.path.join(self.dir, "put-src.bin")
        with open(src, "wb") as f:
            f.write(os.urandom(300000) + b"\r\n\0end")
        dst = os.path.join(self.remote, "put dst.bin")
        back = os.path.join(self.dir, "fetched.bin")
        harness = textwrap.dedent("""\
            import json, sys
            from ansible.plugins.loader import connection_loader
            from ansible.playbook.play_context import PlayContext
            connection_loader.add_directory(%r)
            c = connection_loader.get("wrsh", PlayContext(), None)
            c.set_options(var_options=json.loads(sys.argv[1]))
            c.put_file(%r, "'%%s'" %% %r)
            c.fetch_file(%r, %r)
            rc, out, err = c.exec_command("(Get-Item '%%s').Length" %% %r)
            c.close()
            print(json.dumps([rc, out.decode(), err.decode()]))
            """) % (PLUGINS, src, dst, dst, back, dst)
        opts = {"ansible_host": "127.0.0.1", "ansible_port": self.ep.http, "ansible_user": "alice",
                "ansible_password": PASSWORD, "ansible_wrsh_path": WRSH}
        env = {k: v for k, v in os.environ.items() if k != "WRSH_PASSWORD"}
        env.update(ANSIBLE_CONFIG=self.cfg, ANSIBLE_HOME=os.path.join(self.dir, "home"))
        r = subprocess.run([PY, "-c", harness, json.dumps(opts)], capture_output=True, env=env,
                           timeout=RUN_LIMIT)
        self.assertEqual(r.returncode, 0, r.stderr)
        rc, out, err = json.loads(r.stdout)
        self.assertEqual((rc, out.strip(), err), (0, "300006", ""))
        with open(src, "rb") as a, open(dst, "rb") as b, open(back, "rb") as c:
            data = a.read()
            self.assertEqual(b.read(), data)
            self.assertEqual(c.read(), data)

    # ---- ansible.windows (Debian's ansible package) --------------------------------

    @unittest.skipUnless(windows_collection(), "no ansible.windows (Debian's ansible package)")
    def test_win_ping(self):
        rc, host, err = self.ansible("ansible.windows.win_ping")
        self.assertEqual((rc, host.get("ping")), (0, "pong"), (host, err))

    @unittest.skipUnless(windows_collection(), "no ansible.windows (Debian's ansible package)")
    def test_win_copy(self):
        src = os.path.join(self.dir, "copy-src.txt")
        with open(src, "w") as f:
            f.write("copied by win_copy over wrsh\n")
        dst = os.path.join(self.remote, "copy-dst.txt")
        rc, host, err = self.ansible("ansible.windows.win_copy", "src=%s dest=%s" % (src, dst))
        self.assertEqual((rc, host.get("changed")), (0, True), (host, err))
        with open(dst) as f:
            self.assertEqual(f.read(), "copied by win_copy over wrsh\n")


def stop_pid(pid):
    """Stop the master a test's run left (it would exit when idle anyway)
    and wait for it to go: on its way out it deletes the shell it parked."""
    try:
        os.kill(pid, 15)
        for _ in range(200):
            os.kill(pid, 0)
            time.sleep(0.05)
    except ProcessLookupError:
        pass


class socket_bound:
    """A local port that refuses connections (bound, never listening)."""

    def __enter__(self):
        self.s = socket.socket()
        self.s.bind(("127.0.0.1", 0))
        return self.s.getsockname()[1]

    def __exit__(self, *exc):
        self.s.close()


if __name__ == "__main__":
    unittest.main()
