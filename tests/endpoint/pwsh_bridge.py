"""Real PowerShell behind the endpoint's WS-Man front end.

One `pwsh -NoLogo -NoProfile -s` per runspace pool: pwsh's out-of-process
server mode (Start-Job and SSH remoting use it) reads and writes the same
PSRP fragments that travel over WinRM, framed as one line of XML per packet
on its stdin and stdout:

  <Data Stream='Default|PromptResponse' PSGuid='G'>base64 fragments</Data>
  <DataAck PSGuid='G' />   <Command PSGuid='G' />   <CommandAck PSGuid='G' />
  <Signal PSGuid='G' />    <SignalAck PSGuid='G' /> <Close PSGuid='G' />
  <CloseAck PSGuid='G' />

G is a pipeline's id, or the all-zero GUID for the pool. Written from
PowerShell's OutOfProcTransportManager.cs / OutOfProcServerMediator.cs
(the packet shapes, and that the server acknowledges each Data it has taken
in but never expects acks for what it writes).

The mapping from WS-Man: Create's creationXml is the pool's first Data;
a Command's CREATE_PIPELINE is a Command packet, then (after CommandAck)
Data with the fragments; Send's stdin and pr streams are Data on the Default
and PromptResponse streams; Signal is Signal; Delete is Close, then the
process group goes. Receive hands back what pwsh wrote, one fragment per
rsp:Stream as Windows does, re-fragmented where a fragment is larger than
the envelope allows.

Pool has the interface of psrp.Pool that winrm_endpoint.py uses.
"""
import base64
import collections
import os
import re
import signal
import struct
import subprocess
import threading
import time
import uuid

import psrp

ZERO = uuid.UUID(int=0)
PACKET = re.compile(r"<(\w+)(?: Stream='(\w+)')? PSGuid='([0-9a-fA-F-]+)'\s*(?:/>|>([^<]*)</\1>)")
# a fragment costs its bytes plus its rsp:Stream element (with CommandId),
# counted in bytes before base64
STREAM_COST = 72
TERMINAL = (psrp.STOPPED, psrp.COMPLETED, psrp.FAILED)


def pwsh_path():
    return os.environ.get("WRSH_PWSH") or os.path.expanduser("~/.dotnet/tools/pwsh")


class Trace:
    """WRSH_PWSH_TRACE: every packet, both ways, with the time."""

    def __init__(self):
        path = os.environ.get("WRSH_PWSH_TRACE")
        self.f = open(path, "a", buffering=1) if path else None
        self.lock = threading.Lock()

    def __call__(self, pool, way, line):
        if self.f:
            with self.lock:
                self.f.write("%.3f %s %s %s\n" % (time.time(), pool[:8], way, line))


TRACE = Trace()


class Pipeline:
    """What pwsh wrote for one pipeline, waiting for Receive."""

    def __init__(self):
        self.queue = collections.deque()  # [obj, fid, flags, blob], fids as pwsh gave them
        self.shift = {}      # obj -> fragments added by re-fragmenting
        self.watch = {}      # obj -> blobs of a PIPELINE_STATE message so far
        self.terminal = False  # the terminal PIPELINE_STATE is queued
        self.opened = False    # (the pool) RUNSPACEPOOL_STATE is queued


class Pool:
    def __init__(self, user, shell_id, creation):
        self.user, self.id = user, shell_id
        self.cond = threading.Condition()
        self.wlock = threading.Lock()
        self.pipelines = {}          # CommandId (upper) -> Pipeline
        self.pool = Pipeline()       # messages for the pool (Receive without CommandId)
        self.backlog = {}            # guid -> packets waiting for the one in flight
        self.inflight = set()        # guids with a packet not yet acknowledged
        self.acks = set()            # (tag, guid) of SignalAck / CloseAck seen
        self.dead = None             # why pwsh is gone
        self.opening_sent = False
        env = dict(os.environ, POWERSHELL_TELEMETRY_OPTOUT="1", POWERSHELL_UPDATECHECK="Off",
                   DOTNET_CLI_TELEMETRY_OPTOUT="1", DOTNET_NOLOGO="1")
        env.pop("WRSH_PWSH_TRACE", None)
        try:
            # ~/.dotnet/tools/pwsh is a launcher whose child (dotnet pwsh.dll)
            # is PowerShell: a session of its own lets close() end both
            self.proc = subprocess.Popen([pwsh_path(), "-NoLogo", "-NoProfile", "-s"],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         env=env, start_new_session=True)
        except OSError as e:
            raise psrp.ProtocolError("cannot start pwsh: %s" % e)
        threading.Thread(target=self.read, daemon=True).start()
        self.data(ZERO, "Default", creation)

    # ---- to pwsh ------------------------------------------------------------

    def write(self, line):
        """One packet a line; request threads and the reader (sending what
        an ack let go) write, one at a time."""
        with self.wlock:
            TRACE(self.id, ">", line)
            try:
                self.proc.stdin.write(line.encode() + b"\n")
                self.proc.stdin.flush()
            except (OSError, ValueError) as e:
                self.gone("stdin: %s" % e)

    def post(self, guid, line):
        """One packet in flight per GUID: pwsh handles packets on pool
        threads, so a second Data before the DataAck may overtake the first."""
        with self.cond:
            if guid in self.inflight:
                self.backlog.setdefault(guid, []).append(line)
                return
            self.inflight.add(guid)
        self.write(line)

    def acked(self, guid):
        with self.cond:
            waiting = self.backlog.get(guid)
            if not waiting:
                self.inflight.discard(guid)
                self.backlog.pop(guid, None)
                return
            line = waiting.pop(0)
        self.write(line)

    def data(self, guid, stream, blob):
        if blob:
            self.post(guid, "<Data Stream='%s' PSGuid='%s'>%s</Data>" % (
                stream, guid, base64.b64encode(blob).decode()))

    def wait_ack(self, tag, guid, timeout):
        end = time.monotonic() + timeout
        with self.cond:
            while (tag, guid) not in self.acks and self.dead is None:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(left)
            self.acks.discard((tag, guid))
            return self.dead is None

    # ---- from pwsh ------------------------------------------------------------

    def read(self):
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").strip()
            if not line:
                continue
            TRACE(self.id, "<", line)
            m = PACKET.fullmatch(line)
            if not m:
                self.gone("pwsh wrote %r" % line[:200])
                return
            tag, guid = m.group(1), uuid.UUID(m.group(3))
            if tag == "Data":
                self.arrived(guid, base64.b64decode(m.group(4) or ""))
            elif tag in ("DataAck", "CommandAck"):
                self.acked(guid)
            elif tag in ("SignalAck", "CloseAck"):
                with self.cond:
                    self.acks.add((tag, guid))
                    self.cond.notify_all()
            else:
                self.gone("pwsh sent <%s>" % tag)
                return
        self.gone("pwsh exited")

    def gone(self, why):
        with self.cond:
            if self.dead is None:
                self.dead = why
            self.cond.notify_all()

    def arrived(self, guid, blob):
        """Fragments pwsh wrote: queued for the pool or their pipeline."""
        with self.cond:
            p = self.pool if guid == ZERO else self.pipelines.get(str(guid).upper())
            if p is None:
                return  # a pipeline already deleted
            off = 0
            while off + 21 <= len(blob):
                obj, fid, flags, n = struct.unpack_from(">QQBI", blob, off)
                chunk = blob[off + 21:off + 21 + n]
                off += 21 + n
                p.queue.append([obj, fid, flags, chunk])
                self.watch_state(p, obj, flags, chunk)
            self.cond.notify_all()

    @staticmethod
    def watch_state(p, obj, flags, chunk):
        """Notes when the pipeline's terminal PIPELINE_STATE is queued."""
        typ = struct.unpack_from("<I", chunk, 4)[0] if flags & 1 and len(chunk) >= 8 else None
        if typ == psrp.RUNSPACEPOOL_STATE:
            p.opened = True
        if typ == psrp.PIPELINE_STATE:
            p.watch[obj] = []
        if obj in p.watch:
            p.watch[obj].append(chunk)
            if flags & 2:
                m = re.search(rb'<I32 N="PipelineState">(\d+)</I32>', b"".join(p.watch.pop(obj)))
                if m and int(m.group(1)) in TERMINAL:
                    p.terminal = True

    # ---- what the endpoint calls ------------------------------------------------

    def command(self, command_id, args):
        cid = command_id.upper()
        with self.cond:
            if self.dead:
                raise psrp.ProtocolError("pwsh: %s" % self.dead)
            self.pipelines[cid] = Pipeline()
        guid = uuid.UUID(cid)
        self.post(guid, "<Command PSGuid='%s' />" % guid)  # acked by CommandAck
        self.data(guid, "Default", args)
        return self.pipelines[cid]

    def send_input(self, command_id, data):
        """stdin: a pipeline's input, or the pool's own messages without an
        id (PUBLIC_KEY of the session key exchange)."""
        if not command_id:
            self.data(ZERO, "Default", data)
            return True
        if command_id.upper() not in self.pipelines:
            return False
        self.data(uuid.UUID(command_id), "Default", data)
        return True

    def send(self, command_id, data):
        """Host call answers (pr): a pipeline's, or the pool's without an id."""
        if command_id and command_id.upper() not in self.pipelines:
            return False
        self.data(uuid.UUID(command_id) if command_id else ZERO, "PromptResponse", data)
        return True

    def signal(self, command_id):
        if (command_id or "").upper() not in self.pipelines:
            return False
        guid = uuid.UUID(command_id)
        self.write("<Signal PSGuid='%s' />" % guid)
        return self.wait_ack("SignalAck", guid, 10)

    def receive(self, command_id, budget, deadline, gone):
        """([fragment bytes], done) within budget; ([], False) on timeout;
        (None, False) when there is no such pipeline or the client left."""
        cid = command_id.upper() if command_id else None
        with self.cond:
            p = self.pool if cid is None else self.pipelines.get(cid)
            if p is None:
                return None, False
            while not p.queue and not (p.terminal or self.dead):
                if time.monotonic() >= deadline or gone():
                    return (None if gone() else []), False
                self.cond.wait(0.05)
            if self.dead and not p.queue and not p.terminal:
                raise psrp.ProtocolError("pwsh: %s" % self.dead)
            if p is self.pool and not self.opening_sent:
                # the pool's opening (capability, private data, its state)
                # is one answer: pwsh writes the state 0.1 s after the rest
                while not p.opened and not self.dead and time.monotonic() < deadline:
                    self.cond.wait(0.05)
                self.opening_sent = p.opened
            self.gather(p, budget)
            if gone():
                return None, False
            out = self.take(p, budget)
            done = p.terminal and not p.queue
        if done:
            self.finish(cid)
        return out, done

    def gather(self, p, budget):
        """Windows answers a Receive with what came in a short while: up to
        100 ms, unless the pipeline has ended or an envelope's worth is
        there (a quiet spell is no sign: pwsh writes a script's state a few
        ms after its output, more on a loaded machine)."""
        end = time.monotonic() + 0.1
        while not p.terminal and not self.dead and time.monotonic() < end and \
                not self.filled(p, budget):
            self.cond.wait(0.01)

    @staticmethod
    def filled(p, budget):
        for f in p.queue:
            budget -= len(f[3]) + 21 + STREAM_COST
            if budget <= 0:
                return True
        return False

    @staticmethod
    def take(p, budget):
        out, used = [], 0
        while p.queue:
            obj, fid, flags, chunk = p.queue[0]
            room = budget - used - STREAM_COST - 21
            if len(chunk) > room:
                if out and room < 1024:
                    break
                # a fragment too big for this envelope: its head goes now as
                # a fragment of its own, the rest keeps its place; later
                # fragments of the object move one id on
                head = struct.pack(">QQBI", obj, fid + p.shift.get(obj, 0), flags & 1,
                                   room) + chunk[:room]
                p.queue[0] = [obj, fid, flags & 2, chunk[room:]]
                p.shift[obj] = p.shift.get(obj, 0) + 1
                out.append(head)
                break
            p.queue.popleft()
            out.append(struct.pack(">QQBI", obj, fid + p.shift.get(obj, 0), flags, len(chunk)) +
                       chunk)
            used += len(out[-1]) + STREAM_COST
            if flags & 2:
                p.shift.pop(obj, None)
        return out

    def finish(self, cid):
        """The client has the pipeline's end: pwsh may let the command go."""
        with self.cond:
            p = self.pipelines.pop(cid, None)
        if p is not None and self.dead is None:
            self.write("<Close PSGuid='%s' />" % uuid.UUID(cid))

    def close(self):
        with self.cond:
            alive = self.dead is None
            left = list(self.pipelines)
            self.pipelines.clear()
        if alive:
            for cid in left:  # the pool's Close waits for every command's
                self.write("<Close PSGuid='%s' />" % uuid.UUID(cid))
            self.write("<Close PSGuid='%s' />" % ZERO)
            self.wait_ack("CloseAck", ZERO, 2)
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        self.proc.wait()
