#!/usr/bin/python3
"""Who owns the bytes of a linked binary: sums the sizes of the input
sections a GNU ld map file kept (.text, .rodata, .data, .bss), grouped by
the archive or object they came from.

  mapshare.py wrsh.map      prints  own=N mbedtls=N expat=N libc=N other=N
  mapshare.py --flash MAP   only what a firmware image keeps in flash
                            (.text, .rodata, .data), with lwip=N too
"""
import re
import sys

GROUPS = [("lwip", re.compile(r"/lwip/(core|netif)/|/lan9118\.o")),
          ("own", re.compile(r"libwrsh\.a|/obj/examples/|/freestanding-\w+/obj/|"
                             r"/mps2-\w+/(main|app|lwip_port|board|startup)\.o")),
          ("mbedtls", re.compile(r"libmbedtls\.a|libmbed(tls|x509|crypto)")),
          ("expat", re.compile(r"libexpat\.a")),
          ("libc", re.compile(r"lib(c|gcc|gcc_eh|pthread|dl|rt|m)\.a|crt\w*\.o|ld-linux|musl"))]


def main():
    flash = sys.argv[1] == "--flash"
    text = open(sys.argv[-1], errors="replace").read()
    kept = r"text|rodata|data" if flash else r"text|rodata|data|bss|sdata|sbss|tdata|tbss"
    start = text.find("Linker script and memory map")
    text = text[start:] if start >= 0 else text
    sums = {g: 0 for g, _ in GROUPS}
    sums["other"] = 0
    pending = None
    for line in text.splitlines():
        m = re.match(r"^ \.(\w+)\S*\s*$", line)
        if m:
            pending = re.fullmatch(kept, m.group(1)) is not None
            continue
        m = re.match(r"^ (?:\.(\w+)\S*)?\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S.*)$", line)
        if m and m.group(1) is not None:
            pending = re.fullmatch(kept, m.group(1)) is not None
        if m and pending:
            size, src = int(m.group(2), 16), m.group(3)
            for g, rx in GROUPS:
                if rx.search(src):
                    sums[g] += size
                    break
            else:
                sums["other"] += size
        pending = None
    if not flash:
        sums["own"] += sums.pop("lwip")
    print(" ".join("%s=%d" % (k, v) for k, v in sums.items()))


if __name__ == "__main__":
    main()
