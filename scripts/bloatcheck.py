#!/usr/bin/env python3
"""What changed in size between two builds, symbol by symbol, as busybox's
`make bloatcheck` shows it: the symbols that grew, shrank, came or went,
with their sizes from nm, and the totals of code, data and bss beside the
files' sizes.

    scripts/bloatcheck.py [--top N] OLD NEW   (make baseline, then make bloatcheck)

OLD and NEW are ELF files with symbols (unstripped: the build's own
$(B)/wrsh). Exit status 0 whatever the change: it is a report, not a test.
"""
import os
import subprocess
import sys

NM = os.environ.get("NM", "nm")


def symbols(path):
    """{name: (size, kind)} of the sized symbols; kind t, d or b."""
    out = subprocess.run([NM, "--size-sort", "-S", path], capture_output=True, text=True,
                         check=True).stdout
    syms = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 4:
            continue
        size, kind, name = int(parts[1], 16), parts[2].lower(), parts[3]
        kind = {"r": "d", "v": "d", "w": "t"}.get(kind, kind)
        if kind not in "tdb":
            continue
        # static symbols of one name in several files: add them up
        old = syms.get(name, (0, kind))
        syms[name] = (old[0] + size, kind)
    return syms


def compare(old, new):
    """Rows (delta, name, old size, new size) for every symbol that differs,
    largest growth first, and the totals per kind."""
    rows = []
    for name in set(old) | set(new):
        a, b = old.get(name, (0, ""))[0], new.get(name, (0, ""))[0]
        kind = (new.get(name) or old.get(name))[1]
        if a != b:
            rows.append((b - a, name, a, b, kind))
    rows.sort(key=lambda r: (-r[0], r[1]))
    totals = {}
    for kind in "tdb":
        totals[kind] = (sum(s for s, k in old.values() if k == kind),
                        sum(s for s, k in new.values() if k == kind))
    return rows, totals


def main(argv):
    top = None
    if len(argv) == 5 and argv[1] == "--top" and argv[2].isdigit():
        top = int(argv[2])
        argv = argv[:1] + argv[3:]
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    old, new = symbols(argv[1]), symbols(argv[2])
    rows, totals = compare(old, new)
    grew = sum(1 for r in rows if r[0] > 0 and r[2])
    came = sum(1 for r in rows if not r[2])
    shrank = sum(1 for r in rows if r[0] < 0 and r[3])
    went = sum(1 for r in rows if not r[3])
    up = sum(r[0] for r in rows if r[0] > 0)
    down = sum(r[0] for r in rows if r[0] < 0)
    print("bloatcheck: %s -> %s" % (argv[1], argv[2]))
    print("symbols: %d grew, %d came, %d shrank, %d went: +%d -%d = %+d bytes"
          % (grew, came, shrank, went, up, -down, up + down))
    # --top: the largest changes of what the file carries (code and data;
    # bss takes no room in the file)
    shown = rows if top is None else sorted(
        (r for r in rows if r[4] != "b"), key=lambda r: -abs(r[0]))[:top]
    print("%-48s %9s %9s %9s" % ("symbol" if top is None else "symbol (code and data)", "old",
                                 "new", "delta"))
    for delta, name, a, b, _ in shown:
        print("%-48s %9d %9d %+9d" % (name[:48], a, b, delta))
    if len(shown) < len(rows):
        print("(%d more)" % (len(rows) - len(shown)))
    for kind, label in (("t", "code"), ("d", "data"), ("b", "bss")):
        a, b = totals[kind]
        print("%-48s %9d %9d %+9d" % ("total " + label, a, b, b - a))
    a, b = os.path.getsize(argv[1]), os.path.getsize(argv[2])
    print("%-48s %9d %9d %+9d" % ("file (with symbols)", a, b, b - a))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
