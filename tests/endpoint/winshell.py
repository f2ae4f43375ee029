"""A deterministic stand-in for cmd.exe behind a WinRS shell.

Each Command runs in a thread and writes into per-stream queues the way a
Windows process writes into its console pipes; Receive drains them. Only what
the tests need, but with Windows' words, exit codes and code pages.
"""
import codecs
import os
import queue
import subprocess
import threading
import time

CTRL_C_EXIT = 0xC000013A  # STATUS_CONTROL_C_EXIT

FILES = {
    "c:\\wrsh\\hello.txt": b"hello from wrsh\r\n",
    "c:\\wrsh\\utf8.txt": "Grüße aus wrsh: 日本語\r\n".encode("utf-8"),
}

UNICODE_LINE = "Grüße ‹wrsh› — 日本語 ✓\r\n"
NOT_RECOGNIZED = ("'{0}' is not recognized as an internal or external command,\r\n"
                  "operable program or batch file.\r\n")


def encode(text, codepage):
    """Text as a process writes it in the console's code page."""
    name = "utf-8" if codepage == 65001 else "cp%d" % codepage
    try:
        codecs.lookup(name)
    except LookupError:
        name = "cp437"
    return text.encode(name, errors="replace")


class Command:
    """One running process: its stdin, its output, its exit."""

    def __init__(self, shell, line):
        self.shell = shell
        self.id = shell.new_id()
        self.line = line
        self.out = queue.Queue()  # (stream, bytes) or (None, exit_code)
        self.stdin = queue.Queue()  # bytes, b"" = end of input
        self.ctrl_c = threading.Event()
        self.terminated = threading.Event()
        self.exit_code = None
        self.done = False  # Done reported to the client
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    # ---- helpers for the simulated programs ----
    def write(self, text, stream="stdout"):
        self.out.put((stream, encode(text, self.shell.codepage) if isinstance(text, str) else text))

    def sleep(self, seconds):
        """Sleep, but wake on Ctrl-C or terminate; True if interrupted."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if self.ctrl_c.is_set() or self.terminated.is_set():
                return True
            time.sleep(min(0.05, end - time.monotonic()))
        return False

    def _run(self):
        try:
            code = run_line(self, self.line)
        except Exception as e:  # a bug in the simulation must not hang the client
            self.write("simulator error: %r\r\n" % e, "stderr")
            code = 1
        self.out.put((None, code & 0xFFFFFFFF))


def strip_cmd_prefix(line):
    s = line.strip()
    low = s.lower()
    for p in ("cmd.exe /c ", "cmd /c ", "cmd.exe /c", "cmd /c"):
        if low.startswith(p):
            return s[len(p):].strip()
    return s


def run_line(cmd, line):
    """Run 'a && b & c' the way cmd.exe chains them."""
    line = strip_cmd_prefix(line)
    code = 0
    rest = line
    while rest:
        part, sep, rest = split_chain(rest)
        if part.strip():
            code = run_one(cmd, part.strip())
        if cmd.terminated.is_set() or cmd.ctrl_c.is_set():
            break
        if sep == "&&" and code != 0:
            break
        if sep == "||" and code == 0:
            break
    return code


def split_chain(s):
    """First command of a chain and the separator after it."""
    i = 0
    while i < len(s):
        two = s[i:i + 2]
        if two in ("&&", "||"):
            return s[:i], two, s[i + 2:]
        if s[i] == "&":
            return s[:i], "&", s[i + 1:]
        i += 1
    return s, "", ""


def run_one(cmd, text):
    stream = "stdout"
    if text.endswith("1>&2"):
        text, stream = text[:-4].rstrip(), "stderr"
    name, _, args = text.partition(" ")
    name = name.lower()
    args = args.strip()
    fn = PROGRAMS.get(name)
    if fn is None:
        if name.startswith("echo.") and name == "echo.":
            cmd.write("\r\n", stream)
            return 0
        cmd.write(NOT_RECOGNIZED.format(text.split(" ")[0]), "stderr")
        return 1
    return fn(cmd, args, stream)


def p_echo(cmd, args, stream):
    cmd.write(args + "\r\n", stream)
    return 0


def p_type(cmd, args, stream):
    data = FILES.get(args.strip('"').lower())
    if data is None:
        cmd.write("The system cannot find the file specified.\r\n", "stderr")
        return 1
    cmd.write(data, stream)
    return 0


def p_exit(cmd, args, stream):
    parts = args.split()
    if parts and parts[0].lower() == "/b":
        parts = parts[1:]
    try:
        return int(parts[0]) if parts else 0
    except ValueError:
        return 0


def p_bigout(cmd, args, stream):
    """N MiB (fractions allowed) of 64-byte lines, produced as fast as asked."""
    try:
        total = int(float(args or "1") * 1024 * 1024)
    except ValueError:
        total = 1024 * 1024
    line = b"".join(b"%c" % (48 + (i % 75)) for i in range(62)) + b"\r\n"
    block = line * 1024  # 64 KiB
    sent = 0
    while sent < total and not cmd.terminated.is_set():
        if cmd.ctrl_c.is_set():
            return CTRL_C_EXIT
        chunk = block[:min(len(block), total - sent)]
        # back-pressure like a console pipe: stay a few blocks ahead
        while cmd.out.qsize() > 64 and not cmd.terminated.is_set():
            time.sleep(0.001)
        cmd.out.put((stream, chunk))
        sent += len(chunk)
    return 0


def p_timeout(cmd, args, stream):
    """timeout /t N [/nobreak]; here /nobreak also shrugs off ctrl_c, so a
    test has a process that only terminate ends."""
    parts = args.split()
    secs = 0
    for i, p in enumerate(parts):
        if p.lower() == "/t" and i + 1 < len(parts):
            secs = int(parts[i + 1])
    if "/nobreak" in (p.lower() for p in parts):
        end = time.monotonic() + secs
        while time.monotonic() < end and not cmd.terminated.is_set():
            time.sleep(0.05)
        return 1 if cmd.terminated.is_set() else 0
    if cmd.sleep(secs):
        if cmd.ctrl_c.is_set():
            cmd.write("^C", stream)
            return CTRL_C_EXIT
        return 1
    cmd.write("\r\nWaiting for %d seconds, press a key to continue ...%d\r\n" % (secs, 0), stream)
    return 0


def p_ping(cmd, args, stream):
    host = args.split()[-1] if args.split() else "127.0.0.1"
    cmd.write("\r\nPinging %s with 32 bytes of data:\r\n" % host, stream)
    n = 0
    while True:
        cmd.write("Reply from %s: bytes=32 time<1ms TTL=128\r\n" % host, stream)
        n += 1
        if "-t" not in args.split() and n >= 4:
            break
        if cmd.sleep(1):
            break
    cmd.write("\r\nPing statistics for %s:\r\n    Packets: Sent = %d, Received = %d, Lost = 0 "
              "(0%% loss),\r\n" % (host, n, n), stream)
    if cmd.ctrl_c.is_set():
        cmd.write("Control-C\r\n^C", stream)
        return CTRL_C_EXIT
    return 0


def p_more(cmd, args, stream):
    """Copies stdin to stdout until the end of input."""
    while True:
        try:
            data = cmd.stdin.get(timeout=0.1)
        except queue.Empty:
            if cmd.terminated.is_set() or cmd.ctrl_c.is_set():
                return CTRL_C_EXIT
            continue
        if not data:
            return 0
        cmd.write(data, stream)


def p_set(cmd, args, stream):
    env = cmd.shell.environment()
    prefix = args.lower()
    lines = sorted((k, v) for k, v in env.items() if k.lower().startswith(prefix))
    if not lines:
        cmd.write("Environment variable %s not defined\r\n" % args, "stderr")
        return 1
    cmd.write("".join("%s=%s\r\n" % kv for kv in lines), stream)
    return 0


def p_cd(cmd, args, stream):
    cmd.write(cmd.shell.workdir + "\r\n", stream)
    return 0


def p_unicode(cmd, args, stream):
    cmd.write(UNICODE_LINE, stream)
    return 0


def p_chcp(cmd, args, stream):
    cmd.write("Active code page: %d\r\n" % cmd.shell.codepage, stream)
    return 0


def p_hostname(cmd, args, stream):
    cmd.write("WRSH-TEST\r\n", stream)
    return 0


def p_whoami(cmd, args, stream):
    cmd.write("wrsh-test\\%s\r\n" % cmd.shell.user.lower(), stream)
    return 0


# --psrp-server pwsh: powershell.exe behind cmd is real PowerShell too (the
# path of pwsh); None: cmd does not know it, as a host without it
POWERSHELL = [None]
# powershell.exe's switches that take a value (lower case; -ExecutionPolicy
# means nothing to pwsh off Windows but is accepted, so all pass through)
PS_VALUE_SWITCHES = ("-executionpolicy", "-ep", "-inputformat", "-outputformat", "-encodedcommand",
                     "-enc", "-e", "-ec", "-command", "-c", "-file", "-f", "-workingdirectory", "-wd")


def p_powershell(cmd, args, stream):
    """powershell.exe run by WinRS as Ansible and pywinrm's run_ps run it
    (-EncodedCommand, stdin as the script's $input): real pwsh, fed the
    command's stdin as it arrives, its output a console pipe's."""
    if POWERSHELL[0] is None:
        cmd.write(NOT_RECOGNIZED.format("powershell"), "stderr")
        return 1
    argv = [POWERSHELL[0], "-NoLogo"] + args.split()
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, cwd="/")
    except OSError as e:
        cmd.write("powershell: %s\r\n" % e, "stderr")
        return 1

    def pump(src, name):
        for chunk in iter(lambda: src.read1(65536), b""):
            cmd.write(chunk, name)

    readers = [threading.Thread(target=pump, args=(proc.stdout, "stdout"), daemon=True),
               threading.Thread(target=pump, args=(proc.stderr, "stderr"), daemon=True)]
    for t in readers:
        t.start()
    try:
        while proc.poll() is None:
            if cmd.terminated.is_set() or cmd.ctrl_c.is_set():
                proc.kill()
                break
            try:
                data = cmd.stdin.get(timeout=0.1)
            except queue.Empty:
                continue
            if not data:
                proc.stdin.close()
                continue
            proc.stdin.write(data)
            proc.stdin.flush()
    except (BrokenPipeError, ValueError):  # pwsh ended before its input did
        pass
    code = proc.wait()
    for t in readers:
        t.join()
    return CTRL_C_EXIT if code < 0 else code


PROGRAMS = {
    "powershell": p_powershell, "powershell.exe": p_powershell,
    "echo": p_echo, "type": p_type, "exit": p_exit, "bigout": p_bigout, "timeout": p_timeout,
    "ping": p_ping, "more": p_more, "findstr": p_more, "set": p_set, "cd": p_cd,
    "unicode": p_unicode, "chcp": p_chcp, "hostname": p_hostname, "whoami": p_whoami,
}


class Shell:
    def __init__(self, user, shell_id, codepage, workdir, env, noprofile):
        self.user = user
        self.id = shell_id
        self.codepage = codepage
        self.workdir = workdir or "C:\\Users\\%s" % user
        self.env = env
        self.noprofile = noprofile
        self.commands = {}
        self.lock = threading.Lock()
        self.created = time.time()

    def new_id(self):
        import uuid
        return str(uuid.uuid4()).upper()

    def environment(self):
        base = {"COMPUTERNAME": "WRSH-TEST", "USERNAME": self.user, "OS": "Windows_NT",
                "SystemRoot": "C:\\Windows", "USERPROFILE": "C:\\Users\\%s" % self.user,
                "ComSpec": "C:\\Windows\\system32\\cmd.exe", "PROMPT": "$P$G"}
        base.update(self.env)
        return base

    def start(self, line):
        c = Command(self, line)
        with self.lock:
            self.commands[c.id] = c
        return c

    def close(self):
        with self.lock:
            for c in self.commands.values():
                c.terminated.set()
            self.commands.clear()
