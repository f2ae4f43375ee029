"""The arena each use needs, measured (wrsh --stats' arena_peak) against the
endpoint and held to the bounds the README's table documents: what a
firmware integrator sizes its buffer by. The figures print as a table."""
import os
import sys
import unittest

from test_cli import Base, Endpoint, stat, tls_built

# (name, applet args, transport) -> the README's bound in bytes, full profile.
# A bound is the measured peak rounded up to the next 4 KiB: a change that
# needs more memory shows here and in the README together.
USES = [
    ("identify, anonymous, HTTP", ["identify"], "http-anon", 45056),
    ("cmd, Basic, HTTP (--allow-unencrypted)", ["cmd", "--", "echo", "hi"], "http-basic", 49152),
    ("cmd, Negotiate, sealed HTTP", ["cmd", "--", "echo", "hi"], "http-ntlm", 65536),
    ("cmd, Basic, HTTPS", ["cmd", "--", "echo", "hi"], "https-basic", 77824),
    ("cmd, Negotiate, HTTPS", ["cmd", "--", "echo", "hi"], "https-ntlm", 81920),
    ("ps, Negotiate, sealed HTTP", ["ps", "1"], "http-ntlm", 77824),
    ("ps, Basic, HTTPS", ["ps", "1"], "https-basic", 90112),
    ("cim enumerate, Negotiate, sealed HTTP",
     ["cim enumerate", "wmicimv2/Win32_Service"], "http-ntlm", 77824),
]


class ArenaTest(Base):
    @classmethod
    def setUpClass(cls):
        cls.ep = Endpoint.shared("--allow-unencrypted", "--operation-timeout-cap", "2")

    def transport(self, kind):
        if kind == "http-anon":
            return ["-H", "127.0.0.1", "-p", str(self.ep.http)], None
        if kind == "http-basic":
            return self.http(), "Passw0rd!"
        if kind == "http-ntlm":
            return ["-H", "127.0.0.1", "-p", str(self.ep.http), "-u", "alice"], "Passw0rd!"
        if kind == "https-basic":
            return self.https(), "Passw0rd!"
        return ["-H", "localhost", "-p", str(self.ep.https), "--https", "--cacert",
                self.ep.info["cert"], "-u", "alice"], "Passw0rd!"

    def test_arena_per_use_within_the_documented_bound(self):
        rows, https = [], tls_built()
        for name, args, kind, bound in USES:
            if kind.startswith("https") and not https:
                continue
            conn, password = self.transport(kind)
            r = self.wrsh(*args[0].split(), "--stats", *conn, *args[1:], password=password)
            if b"unknown applet" in r.stderr:
                continue  # not in this profile
            self.assertEqual(r.returncode, 0, (name, r.stderr[-300:]))
            peak = stat(r.stderr, "arena_peak")
            rows.append((name, peak, bound))
            variant = os.environ.get("WRSH_VARIANT", "host-glibc-full")
            # the bounds are x86-64's with the bundled mbedTLS, full profile
            if variant.startswith("host-") and variant.endswith("-full") and \
                    "syslibs" not in variant:
                self.assertLessEqual(peak, bound, name)
        sys.stderr.write("\narena per use (arena_peak, bound):\n")
        for name, peak, bound in rows:
            sys.stderr.write("  %-42s %7d  %7d\n" % (name, peak, bound))
        self.assertTrue(rows)


if __name__ == "__main__":
    unittest.main()
