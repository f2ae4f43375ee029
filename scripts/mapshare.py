#!/usr/bin/python3
"""Who owns the bytes of a linked binary: sums the sizes of the input
sections a GNU ld map file kept (.text, .rodata, .data, .bss), grouped by
the archive or object they came from.

  mapshare.py wrsh.map      prints  own=N mbedtls=N expat=N libc=N other=N
"""
import re
import sys

GROUPS = [("own", re.compile(r"libwrsh\.a|/obj/examples/")),
          ("mbedtls", re.compile(r"libmbedtls\.a|libmbed(tls|x509|crypto)")),
          ("expat", re.compile(r"libexpat\.a")),
          ("libc", re.compile(r"lib(c|gcc|gcc_eh|pthread|dl|rt|m)\.a|crt\w*\.o|ld-linux|musl"))]


def main():
    text = open(sys.argv[1], errors="replace").read()
    start = text.find("Linker script and memory map")
    text = text[start:] if start >= 0 else text
    sums = {g: 0 for g, _ in GROUPS}
    sums["other"] = 0
    pending = None
    for line in text.splitlines():
        m = re.match(r"^ (\.(?:text|rodata|data|bss|sdata|sbss|tdata|tbss)\S*)\s*$", line)
        if m:
            pending = True
            continue
        m = re.match(r"^ (?:\.(?:text|rodata|data|bss|sdata|sbss|tdata|tbss)\S*)?\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S.*)$", line)
        if m and (pending or line.startswith(" .")):
            size, src = int(m.group(1), 16), m.group(2)
            for g, rx in GROUPS:
                if rx.search(src):
                    sums[g] += size
                    break
            else:
                sums["other"] += size
        pending = None
    print(" ".join("%s=%d" % (k, v) for k, v in sums.items()))


if __name__ == "__main__":
    main()
