# Ansible connection plugin: Windows hosts over WinRM through the wrsh binary.
# Part of wrsh (contrib/ansible); see README.md, "Ansible and other orchestrators".
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
    name: wrsh
    short_description: Run tasks on Windows hosts over WinRM with the wrsh binary
    description:
        - Runs commands, copies files to and fetches files from a Windows host through
          the C(wrsh) command line client, one C(wrsh) process a call. No Python WinRM
          library is needed on the controller.
        - Commands run as C(wrsh cmd) (WinRS, cmd.exe) starting C(PowerShell -EncodedCommand ...),
          the way the C(winrm) connection runs them, so modules and C(raw) see the same
          powershell.exe, exit codes and stdin. Module payloads go through stdin (pipelining).
        - Files are copied with C(wrsh put) and C(wrsh get) (PowerShell remoting on the host,
          checked by SHA-256 on both sides, written beside the target and renamed when whole).
        - The password never appears on a command line; it reaches the child C(wrsh) in its
          environment (C(WRSH_PASSWORD)) only. Without ansible_password, a C(WRSH_PASSWORD) or
          C(WRSH_NT_HASH) already in the controller's environment is used, or Kerberos tickets.
        - The shell plugin is C(powershell) (the default for this connection); with
          C(ansible_shell_type=cmd), raw commands go to cmd.exe unchanged.
        - Become (C(runas)) is not supported; a task with become fails with an error saying so.
    author: wrsh contributors
    options:
      remote_addr:
        description: Address of the Windows host (name, IPv4 or IPv6).
        default: inventory_hostname
        type: str
        vars:
          - name: inventory_hostname
          - name: ansible_host
          - name: ansible_wrsh_host
      remote_user:
        description: User to log in as (C(user), C(DOMAIN\user) or C(user@domain)).
        type: str
        vars:
          - name: ansible_user
          - name: ansible_wrsh_user
        keyword:
          - name: remote_user
      remote_password:
        description:
          - The user's password. Passed to C(wrsh) in its environment (C(WRSH_PASSWORD)),
            never on its command line.
        type: str
        vars:
          - name: ansible_password
          - name: ansible_wrsh_pass
          - name: ansible_wrsh_password
        aliases:
          - password
      port:
        description: WinRM port; when unset C(wrsh) uses 5985, or 5986 with C(https).
        type: int
        vars:
          - name: ansible_port
          - name: ansible_wrsh_port
        keyword:
          - name: port
      https:
        description: Use HTTPS (C(--https)); the certificate is verified (C(cacert), C(pin)).
        type: bool
        default: false
        vars:
          - name: ansible_wrsh_https
      cacert:
        description: File of trusted CA certificates (C(--cacert)); default the system's bundle.
        type: path
        vars:
          - name: ansible_wrsh_cacert
      pin:
        description: Accept exactly the server certificate with this SHA-256 (hex; C(--pin)).
        type: str
        vars:
          - name: ansible_wrsh_pin
      auth:
        description:
          - Authentication method (C(-a)). When unset, wrsh's default, Negotiate (Kerberos when
            a realm has a KDC or tickets are cached, else NTLM; over HTTP every message is sealed).
        type: str
        choices: [negotiate, ntlm, kerberos, basic, certificate]
        vars:
          - name: ansible_wrsh_auth
      timeout:
        description: C(wrsh --timeout) in seconds (connect, handshake, each request and answer).
        type: int
        vars:
          - name: ansible_wrsh_timeout
      extra_args:
        description:
          - More C(wrsh) connection options, split as a shell would (for example
            C(--realm EXAMPLE.COM --spn WSMAN/host), C(-k), C(--allow-unencrypted)).
        type: str
        default: ''
        vars:
          - name: ansible_wrsh_extra_args
      wrsh_path:
        description: The C(wrsh) binary (a name looked up in PATH, or a path).
        type: str
        default: wrsh
        vars:
          - name: ansible_wrsh_path
        env:
          - name: WRSH
      control:
        description:
          - A warm session for the calls of one host, as ssh's ControlPath. The first call
            starts C(wrsh master --control PATH) (the connection options and the password go
            to it, once; its messages go to PATH.log, its process id to PATH.pid); every
            call then runs C(wrsh APPLET --control PATH) with no TCP, TLS or NTLM/Kerberos
            handshake of its own. The master exits after C(control_persist) without a call.
          - C(%h), C(%p) and C(%u) in the path stand for the host, the port and the user
            (C(%%) for %). A value shared by several hosts must contain C(%h), or they
            would all go to the first host's master. A unix socket's path has at most
            107 bytes.
          - Used only when the C(wrsh) binary lists C(--control) in C(wrsh cmd --help);
            an older wrsh only warns, and every call opens its own session.
        type: path
        vars:
          - name: ansible_wrsh_control
      control_persist:
        description: How long the master waits for a call before it exits (C(--persist);
          600, 30s, 10m, 2h). Unset, wrsh's default (10m).
        type: str
        vars:
          - name: ansible_wrsh_control_persist
"""

EXAMPLES = r"""
# inventory (INI)
# [windows]
# win1 ansible_host=192.0.2.10
# [windows:vars]
# ansible_connection=wrsh
# ansible_user=EXAMPLE\ansible
# ansible_password={{ vault_win_password }}
# ansible_wrsh_https=true
# ansible_wrsh_cacert=/etc/ssl/example-ca.pem
#
# ANSIBLE_CONNECTION_PLUGINS=contrib/ansible/connection ansible -i inv windows -m raw -a 'echo hi'
"""

import fcntl
import os
import re
import shlex
import shutil
import socket
import subprocess
import time

from ansible.errors import AnsibleConnectionFailure, AnsibleError, AnsibleFileNotFound
from ansible.module_utils.common.text.converters import to_bytes, to_native, to_text
from ansible.plugins.connection import ConnectionBase
from ansible.plugins.shell.powershell import _parse_clixml
from ansible.utils.display import Display

display = Display()

# what the powershell shell plugin puts before -EncodedCommand / -Command
_PS_PREFIX = "PowerShell -NoProfile -NonInteractive -ExecutionPolicy Unrestricted "
# wrsh cmd's exit status 254 with this on stderr: the remote code was larger
_BIG_EXIT = re.compile(rb"remote exit code (\d+) \(0x[0-9A-Fa-f]+\)\r?\n?")
# CLIXML's escapes of control characters, and the colours pwsh 7 puts in
# error records (Ansible 2.14's CLIXML parser leaves both)
_CLIXML_ESCAPE = re.compile(rb"_x([0-9A-Fa-f]{4})_")
_SGR = re.compile(rb"\x1b\[[0-9;]*m")
# which binaries take --control (looked up once per binary and process)
_CONTROL_SUPPORT = {}
_CONTROL_WARNED = set()


class Connection(ConnectionBase):
    """WinRM through the wrsh binary."""

    transport = "wrsh"
    module_implementation_preferences = (".ps1", ".exe", "")
    allow_executable = False
    has_pipelining = True

    def __init__(self, *args, **kwargs):
        # modules always go through stdin (there is no other way to run a
        # PowerShell module); async runs in the PowerShell exec wrapper
        self.always_pipeline_modules = True
        self.has_native_async = True
        self._shell_type = "powershell"
        self._wrsh = None
        super(Connection, self).__init__(*args, **kwargs)

    # ---- the wrsh command line ----------------------------------------------

    def _binary(self):
        path = os.path.expanduser(self.get_option("wrsh_path") or "wrsh")
        if os.sep in path:
            found = path if os.access(path, os.X_OK) else None
        else:
            found = shutil.which(path)
        if not found:
            raise AnsibleError("wrsh connection: no wrsh binary at %r (set ansible_wrsh_path)"
                               % path)
        return found

    def _supports_control(self):
        if self._wrsh not in _CONTROL_SUPPORT:
            try:
                r = subprocess.run([self._wrsh, "cmd", "--help"], stdin=subprocess.DEVNULL,
                                   capture_output=True, timeout=10)
                _CONTROL_SUPPORT[self._wrsh] = b"--control" in r.stdout + r.stderr
            except (OSError, subprocess.TimeoutExpired):
                _CONTROL_SUPPORT[self._wrsh] = False
        return _CONTROL_SUPPORT[self._wrsh]

    def _conn_args(self):
        """Connection options common to every applet (never the password)."""
        host = self.get_option("remote_addr")
        args = ["-H", host]
        port = self.get_option("port")
        if port:
            args += ["-p", str(port)]
        if self.get_option("https"):
            args.append("--https")
        user = self.get_option("remote_user")
        if user:
            args += ["-u", user]
        for opt, flag in (("auth", "-a"), ("cacert", "--cacert"), ("pin", "--pin")):
            value = self.get_option(opt)
            if value:
                args += [flag, str(value)]
        return args + self._timeout_args() + shlex.split(self.get_option("extra_args") or "")

    def _timeout_args(self):
        timeout = self.get_option("timeout")
        return ["--timeout", str(timeout)] if timeout else []

    def _applet_args(self):
        """What goes after the applet's name: the connection, or the warm
        session of ansible_wrsh_control (whose master holds the connection)."""
        control = self._control_path()
        if control is None:
            return self._conn_args()
        self._ensure_master(control)
        return ["--control", control] + self._timeout_args()

    # ---- the warm session (ansible_wrsh_control) -------------------------------------

    def _control_path(self):
        template = self.get_option("control")
        if not template:
            return None
        if not self._supports_control():
            if self._wrsh not in _CONTROL_WARNED:
                _CONTROL_WARNED.add(self._wrsh)
                display.warning("ansible_wrsh_control is set but %s has no --control option: "
                                "every call opens its own session" % self._wrsh)
            return None
        fields = {"h": self._host(), "p": str(self.get_option("port") or ""),
                  "u": self.get_option("remote_user") or "", "%": "%"}
        path = re.sub(r"%(.)", lambda m: fields.get(m.group(1), m.group(0)), template)
        return os.path.expanduser(path)

    @staticmethod
    def _master_answers(path):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return True
        except OSError:
            return False
        finally:
            s.close()

    def _ensure_master(self, path):
        """Start `wrsh master` on path unless one answers there; one worker
        at a time (a lock beside the socket)."""
        if self._master_answers(path):
            return
        with open(path + ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if self._master_answers(path):
                return
            argv = [self._wrsh, "master"] + self._conn_args() + ["--control", path]
            persist = self.get_option("control_persist")
            if persist:
                argv += ["--persist", str(persist)]
            display.vvv("WRSH: starting the master on %s" % path, host=self._host())
            with open(path + ".log", "w") as log:
                proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=log, env=self._child_env(), start_new_session=True)
            with open(path + ".pid", "w") as f:
                f.write("%d\n" % proc.pid)
            deadline = time.monotonic() + (self.get_option("timeout") or 30) + 5
            while time.monotonic() < deadline:
                with open(path + ".log", "rb") as f:
                    said = f.read()
                if b"ready on" in said:
                    return
                if proc.poll() is not None:
                    raise AnsibleConnectionFailure("wrsh master for %s failed: %s"
                                                   % (self._host(), to_native(said.strip())))
                time.sleep(0.05)
            proc.terminate()
            raise AnsibleConnectionFailure("wrsh master for %s: not ready in time" % self._host())

    def _child_env(self):
        env = dict(os.environ)
        password = self.get_option("remote_password")
        if password is not None:
            env["WRSH_PASSWORD"] = to_native(password)
        return env

    def _run(self, applet, args, in_data=None):
        """Run one wrsh applet; (rc, stdout, stderr) as bytes."""
        argv = [self._wrsh, applet] + self._applet_args() + args
        display.vvvvv("WRSH: %s" % " ".join(shlex.quote(a) for a in argv), host=self._host())
        # its own session: no terminal to prompt for a password on (a
        # missing password is an error, not a hang); ended on any way out
        stdin = subprocess.PIPE if in_data is not None else subprocess.DEVNULL
        proc = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=self._child_env(), start_new_session=True)
        try:
            stdout, stderr = proc.communicate(to_bytes(in_data) if in_data is not None else None)
        finally:
            if proc.poll() is None:
                proc.terminate()  # wrsh deletes the remote shell on SIGTERM
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        return proc.returncode, stdout, stderr

    def _host(self):
        return self.get_option("remote_addr")

    # ---- the plugin's interface ---------------------------------------------------

    def _connect(self):
        if not self._connected:
            self._wrsh = self._binary()
            display.vvv("WRSH: %s for %s" % (self._wrsh, self._host()), host=self._host())
            self._connected = True
        return self

    def _refuse_become(self):
        if self.become is not None:
            raise AnsibleError("the wrsh connection plugin does not support become (%s)"
                               % getattr(self.become, "name", "become"))

    def _remote_command(self, cmd):
        """What cmd.exe runs for Ansible's cmd: PowerShell the shell plugin has
        already encoded as is, "-" as PowerShell reading its script from stdin,
        anything else (raw, script) encoded here with its exit code kept."""
        cmd = to_text(cmd)
        if cmd.startswith(_PS_PREFIX + "-EncodedCommand ") or cmd == _PS_PREFIX + "-Command -":
            return cmd
        if self._shell.SHELL_FAMILY == "cmd":
            return cmd
        if cmd.strip() == "-":
            return self._shell._encode_script("-")
        return self._shell._encode_script(cmd, strict_mode=False, preserve_rc=True)

    def exec_command(self, cmd, in_data=None, sudoable=True):
        super(Connection, self).exec_command(cmd, in_data=in_data, sudoable=sudoable)
        self._refuse_become()
        remote = self._remote_command(cmd)
        if in_data is not None and remote.startswith(_PS_PREFIX + "-EncodedCommand "):
            display.vvv("WRSH: EXEC (via pipeline wrapper)", host=self._host())
        else:
            display.vvv("WRSH: EXEC %s" % remote, host=self._host())
        args = ([] if in_data is not None else ["-n"]) + ["--", remote]
        rc, stdout, stderr = self._run("cmd", args, in_data=in_data)
        if rc == 255:
            raise AnsibleConnectionFailure("wrsh cmd failed on %s: %s"
                                           % (self._host(), to_native(stderr.strip())))
        if rc == 254:
            big = _BIG_EXIT.search(stderr)
            if big:
                rc = int(big.group(1))
                stderr = stderr[:big.start()] + stderr[big.end():]
        if stderr.startswith(b"#< CLIXML"):
            try:
                stderr = _parse_clixml(stderr)
            except Exception:  # not a whole CLIXML document: keep it raw
                pass
            else:
                stderr = _CLIXML_ESCAPE.sub(lambda m: to_bytes(chr(int(m.group(1), 16))), stderr)
                stderr = _SGR.sub(b"", stderr).strip() + b"\r\n"
        return rc, stdout, stderr

    def _unquoted(self, path):
        return self._shell._unquote(to_text(path))

    def _copy(self, applet, src, dst):
        rc, stdout, stderr = self._run(applet, ["--", src, dst])
        if rc == 255:
            raise AnsibleConnectionFailure("wrsh %s failed on %s: %s"
                                           % (applet, self._host(), to_native(stderr.strip())))
        if rc != 0:
            raise AnsibleError("wrsh %s %s %s failed (%d): %s"
                               % (applet, src, dst, rc, to_native(stderr.strip())))

    def put_file(self, in_path, out_path):
        super(Connection, self).put_file(in_path, out_path)
        self._refuse_become()
        out_path = self._unquoted(out_path)
        display.vvv("WRSH: PUT %s TO %s" % (in_path, out_path), host=self._host())
        if not os.path.isfile(to_bytes(in_path, errors="surrogate_or_strict")):
            raise AnsibleFileNotFound("file or module does not exist: %s" % to_native(in_path))
        self._copy("put", to_native(in_path), out_path)

    def fetch_file(self, in_path, out_path):
        super(Connection, self).fetch_file(in_path, out_path)
        self._refuse_become()
        in_path = self._unquoted(in_path)
        display.vvv("WRSH: FETCH %s TO %s" % (in_path, out_path), host=self._host())
        self._copy("get", in_path, to_native(out_path))

    def reset(self):
        # nothing is kept between calls (each wrsh opens and deletes its shell)
        pass

    def close(self):
        self._connected = False

