#!/usr/bin/python3
"""Replay check: what our parsers make of real Windows responses, compared
with decoded.txt, which the harvester of the recordings wrote (not us).

  check.py [--driver "CMD"] [SCENARIO...]

Runs the C replay driver over every NNN-response.xml of each scenario
(default: all of tests/replay/windows) and checks, per response:
stdout/stderr bytes (exact where decoded.txt shows them, else the length the
base64 size implies), CommandState Done and ExitCode, ShellId / CommandId,
the fault subcode and WSManFault code, and, where the stream carries PSRP,
every message reassembled from its fragments: ObjectId, type, destination,
RPID, PID and the CLIXML text; and every CLIXML event of our streaming
reader (containers, names, RefIds, decoded values) against the same
document read by Python's ElementTree.
"""
import ast
import os
import re
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "windows")


def sections(path):
    out, cur = {}, None
    for line in open(path, encoding="utf-8"):
        m = re.match(r"=== (\d+-(?:request|response)\.xml)", line)
        if m:
            cur = out.setdefault(m.group(1), [])
        elif cur is not None:
            cur.append(line.rstrip("\n"))
    return out


def expected(lines):
    exp = {"stdout": [], "stderr": [], "done": None, "ids": set(), "fault": None, "code": None,
           "action": "", "psrp": [], "fragments": False, "broken": False}
    i = 0
    while i < len(lines):
        line = lines[i]
        if re.match(r"\s+fragment\s+ObjectId=", line):
            exp["fragments"] = True
        if "!!" in line:
            exp["broken"] = True  # the harvester could not read it as PSRP
        m = re.match(r"\s+MESSAGE\s+ObjectId=(\d+) (\S+) \((0x[0-9A-Fa-f]+)\) Destination=(\S+) "
                     r"RPID=(\S+) PID=(\S+)", line)
        if m:
            text = lines[i + 1][13:] if i + 1 < len(lines) else ""
            exp["psrp"].append(m.groups() + (text,))
        m = re.match(r"Stream:\s+(.*)\((\d+) base64 chars\)", line)
        if m:
            name = re.search(r"Name=(\S+)", m.group(1)).group(1)
            chars = int(m.group(2))
            dec = lines[i + 1] if i + 1 < len(lines) else ""
            d = re.match(r"\s+decoded (\d+) bytes: (.*)$", dec)
            if name in ("stdout", "stderr") and chars:
                if d:
                    n, lit = int(d.group(1)), d.group(2)
                    exp[name].append((n, literal_bytes(lit, n)))
                    i += 1
                else:
                    exp[name].append((None, chars))
        m = re.match(r"Action:\s+(\S+)", line)
        if m:
            exp["action"] = m.group(1)
        m = re.match(r"CommandState: (\w+) .*ExitCode=(\S+)", line)
        if m and m.group(1) == "Done":
            exp["done"] = int(m.group(2)) & 0xFFFFFFFF
        m = re.match(r"(?:CommandId|Shell\.ShellId|Shell@ShellId):\s+(\S+)", line)
        if m:
            exp["ids"].add(m.group(1).upper())
        m = re.match(r"Selector:\s+ShellId=(\S+)", line)
        if m:
            exp["ids"].add(m.group(1).upper())
        m = re.match(r"FAULT:\s+code=\S+ / (\S+)", line)
        if m:
            exp["fault"] = m.group(1)
        m = re.match(r"\s+WSManFault Code=(\d+)", line)
        if m:
            exp["code"] = m.group(1)
        i += 1
    return exp


def literal_bytes(lit, n):
    """decoded.txt prints the bytes as a Python string literal."""
    if "truncated" in lit:
        return None
    try:
        text = ast.literal_eval(lit)
    except (ValueError, SyntaxError):
        return None
    for enc in ("utf-8", "latin-1"):
        try:
            b = text.encode(enc)
        except UnicodeEncodeError:
            continue
        if len(b) == n:
            return b
    return None


def got_of(output):
    res, cur = {}, None
    for line in output.splitlines():
        if line.startswith("=== "):
            cur = res.setdefault(line[4:], {"stdout": b"", "stderr": b""})
            continue
        key, _, rest = line.partition(" ")
        if key == "psrp":
            f = rest.split(" ")
            cur.setdefault("psrp", []).append((f[0], f[1], f[2], f[3], f[4], f[5],
                                               bytes.fromhex(f[8]) if len(f) > 8 else b"", []))
        elif key == "cx":
            cur["psrp"][-1][7].append(cx_event(rest.split(" ")))
        elif key == "cx-error":
            cur["psrp"][-1][7].append(("error", rest))
        elif key == "psrp-error":
            cur["psrp-error"] = rest
        elif key in ("stdout", "stderr"):
            n, _, hexs = rest.partition(" ")
            cur[key] = bytes.fromhex(hexs)
        else:
            cur[key] = rest
    return res


def compare(scn, name, exp, got, problems):
    where = "%s/%s" % (scn, name)
    if "error" in got:
        problems.append("%s: parser error: %s" % (where, got["error"]))
        return
    for stream in ("stdout", "stderr"):
        data, parts = got[stream], exp[stream]
        if all(n is not None and b is not None for n, b in parts):
            want = b"".join(b for _, b in parts)
            if data != want:
                problems.append("%s: %s differs (%d vs %d bytes)" % (where, stream, len(data), len(want)))
            continue
        # lengths only: "decoded N bytes", or what N base64 characters hold
        lo = sum(n if n is not None else b // 4 * 3 - 2 for n, b in parts)
        hi = sum(n if n is not None else b // 4 * 3 for n, b in parts)
        if not lo <= len(data) <= hi:
            problems.append("%s: %s has %d bytes, expected %d..%d" % (where, stream, len(data), lo, hi))
    done = got.get("done")
    if exp["done"] is not None:
        if done != "exit %d" % exp["done"]:
            problems.append("%s: expected Done exit %d, got %r" % (where, exp["done"], done))
    elif done is not None:
        problems.append("%s: unexpected %r" % (where, done))
    # ids of the WinRS Create and Command responses (others carry PSRP ids)
    if exp["action"].endswith(("/CreateResponse", "/CommandResponse")) and exp["ids"] and \
            got.get("id", "").upper() not in exp["ids"]:
        problems.append("%s: id %r not in %s" % (where, got.get("id"), sorted(exp["ids"])))
    if exp["fault"]:
        f = got.get("fault", "")
        if not re.search(r"fault %s\b" % re.escape(exp["fault"]), f):
            problems.append("%s: fault %r lacks %s" % (where, f, exp["fault"]))
        if exp["code"] and "(WSManFault %s)" % exp["code"] not in f:
            problems.append("%s: fault %r lacks code %s" % (where, f, exp["code"]))
    elif "fault" in got:
        problems.append("%s: unexpected fault %r" % (where, got["fault"]))
    compare_psrp(where, exp, got, problems)


CONTAINERS = {"Obj", "MS", "Props", "LST", "IE", "ST", "QUE", "STK", "DCT", "En", "TN"}


def cx_event(f):
    unhex = lambda h: None if h == "-" else "" if h == "~" else bytes.fromhex(h).decode("utf-8", "replace")
    if f[0] == "(":
        return ("(", int(f[1]), f[2], unhex(f[3]), int(f[4]))
    if f[0] == "=":
        return ("=", int(f[1]), f[2], unhex(f[3]), int(f[4]), unhex(f[5]))
    return (")", int(f[1]), f[2])


def unescape(s):
    """_xHHHH_ escapes (UTF-16 code units) to text; lone surrogates to U+FFFD."""
    if s is None:
        return None
    t = re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), s)
    return t.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def et_events(e, depth=1):
    tag = e.tag.split("}")[-1]
    name = unescape(e.get("N"))
    ref = int(e.get("RefId")) if e.get("RefId", "").isdigit() else -1
    if tag in CONTAINERS:
        yield ("(", depth, tag, name, ref)
        for c in e:
            yield from et_events(c, depth + 1)
        yield (")", depth, tag)
    else:
        yield ("=", depth, tag, name, ref, unescape(e.text or ""))


CUT = re.compile(r" ?\.\.\.\[decoded text truncated here, (\d+) more characters\]$")


return_events = [0]


def compare_psrp(where, exp, got, problems):
    if "psrp-error" in got:
        problems.append("%s: psrp: %s" % (where, got["psrp-error"]))
    msgs = got.get("psrp", [])
    if len(msgs) != len(exp["psrp"]):
        problems.append("%s: %d PSRP messages, expected %d" % (where, len(msgs), len(exp["psrp"])))
        return
    for g, e in zip(msgs, exp["psrp"]):
        obj, name, typ, dest, rpid, pid, text = e
        if g[:6] != (obj, name, "0x" + typ[2:].upper(), dest, rpid.upper(), pid.upper()):
            problems.append("%s: PSRP message %s differs from %s" % (where, g[:6], e[:6]))
            continue
        data = g[6].decode("utf-8", "replace")
        m = CUT.search(text)
        if m:
            head = text[:m.start()]
            ok = data.startswith(head) and len(data) == len(head) + int(m.group(1))
        else:
            ok = data == text
        if not ok:
            problems.append("%s: PSRP %s data differs: %r... vs %r..." %
                            (where, name, data[:60], text[:60]))
        elif not m and text:
            want = list(et_events(ET.fromstring(text)))
            if g[7] != want:
                bad = next((i for i, (a, b) in enumerate(zip(g[7], want)) if a != b),
                           min(len(g[7]), len(want)))
                problems.append("%s: PSRP %s CLIXML event %d: ours %r, ElementTree's %r" %
                                (where, name, bad, g[7][bad:bad + 1], want[bad:bad + 1]))
            return_events[0] += len(want)


def main():
    args = sys.argv[1:]
    driver = None
    if args[:1] == ["--driver"]:
        driver = shlex.split(args[1])
        args = args[2:]
    scns = args or sorted(os.listdir(DATA))
    problems, files, facts, psrp_messages = [], 0, 0, 0
    for scn in scns:
        d = os.path.join(DATA, scn)
        if not os.path.isdir(d):
            continue
        resp = sorted(f for f in os.listdir(d) if f.endswith("-response.xml"))
        if not resp:
            continue
        dec = sections(os.path.join(d, "decoded.txt"))
        exps = {f: expected(dec.get(f, [])) for f in resp}
        # PSRP streams go through the fragment and message readers too
        mark = lambda f: "+" if exps[f]["fragments"] and not exps[f]["broken"] else ""
        out = subprocess.run(driver + [mark(f) + os.path.join(d, f) for f in resp], check=True,
                             capture_output=True, text=True).stdout
        got = got_of(out)
        for f in resp:
            exp = exps[f]
            facts += len(exp["stdout"]) + len(exp["stderr"]) + len(exp["ids"]) + \
                (exp["done"] is not None) + (exp["fault"] is not None) + len(exp["psrp"])
            psrp_messages += len(exp["psrp"])
            compare(scn, f, exp, got[f], problems)
            files += 1
    for p in problems:
        print("FAIL", p)
    print("replay: %d responses of %d scenarios, %d facts checked (%d PSRP messages, %d CLIXML "
          "events)" % (files, len(scns), facts, psrp_messages, return_events[0]))
    print("%d passed, %d failed" % (files - len({p.split(':')[0] for p in problems}),
                                    len({p.split(':')[0] for p in problems})))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
