"""wrsh ps: PowerShell Remoting (MS-PSRP) against the endpoint's PSRP server
(tests/endpoint/psrp.py, which reads our fragments, messages and CLIXML with
struct and ElementTree), at Windows' defaults: Negotiate, sealed over HTTP."""
import os
import signal
import subprocess
import tempfile
import time
import unittest

from test_cli import Base, Endpoint, PASSWORD, WRSH, stat, tls_built


def ps_built():
    r = subprocess.run([WRSH, "ps", "--help"], capture_output=True)
    return os.path.exists(WRSH) and b"unknown applet" not in r.stderr


@unittest.skipUnless(ps_built(), "wrsh built without the ps applet (PROFILE=tiny)")
class PsTest(Base):
    @classmethod
    def setUpClass(cls):
        cls.ep = Endpoint.shared("--operation-timeout-cap", "2", basic=False)

    def ps(self, *args, **kw):
        return self.wrsh("ps", "-H", "127.0.0.1", "-p", str(self.ep.http), "-u", "alice", *args,
                         **kw)

    def test_range(self):
        r = self.ps("1..3")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, b"1\n2\n3\n", b""))

    def test_throw_is_an_error_and_exit_1(self):
        r = self.ps("throw 'boom'")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout, b"")
        self.assertTrue(r.stderr.startswith(b"boom\n"), r.stderr)
        self.assertIn(b"FullyQualifiedErrorId : boom", r.stderr)

    def test_non_terminating_error_goes_on(self):
        r = self.ps("Write-Output before; Write-Error 'bad thing'; Write-Output after")
        self.assertEqual((r.returncode, r.stdout), (1, b"before\nafter\n"))
        self.assertIn(b"bad thing\n    + CategoryInfo          : NotSpecified", r.stderr)

    def test_streams_have_their_prefixes(self):
        r = self.ps("Write-Warning 'careful'; Write-Verbose 'details' -Verbose; "
                    "Write-Host 'to the host'")
        self.assertEqual((r.returncode, r.stdout), (0, b"to the host\n"))
        self.assertEqual(r.stderr, b"WARNING: careful\nVERBOSE: details\n")

    def test_records_and_host_text_of_any_length(self):
        # issue 12: these were cut at 2,047 bytes; the record and the host's
        # copy of it (the endpoint sends both, as PowerShell does) print once
        r = self.ps("Write-Host ('h' * 55000); Write-Warning ('w' * 30000); "
                    "Write-Error ('e' * 5000)")
        self.assertEqual((r.returncode, r.stdout), (1, b"h" * 55000 + b"\n"), r.stderr[-200:])
        self.assertTrue(r.stderr.startswith(b"WARNING: " + b"w" * 30000 + b"\n" + b"e" * 5000 +
                                            b"\n    + CategoryInfo"), r.stderr[:100])
        self.assertEqual(r.stderr.count(b"WARNING"), 1)

    def test_information_record_prints_its_message(self):
        r = self.ps("Write-Information 'for the log'; 'after'")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, b"for the log\nafter\n", b""))

    def test_host_line_after_a_record_is_its_copy_only_when_it_repeats_it(self):
        r = self.ps("Write-Information 'same'; Write-Information 'x'; $Host.UI.WriteLine('y')")
        self.assertEqual((r.returncode, r.stdout), (0, b"same\nx\ny\n"), r.stderr)

    def test_session_configuration(self):
        # a JEA-like endpoint (NoLanguage, a few visible commands): an
        # allowed command runs, a forbidden one and any language fail there
        r = self.ps("--configuration", "JEA.Maintenance", "Get-Service")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"WinRM", r.stdout)
        r = self.ps("--configuration", "JEA.Maintenance", "Get-Process")
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"The term 'Get-Process' is not recognized", r.stderr)
        r = self.ps("--configuration", "JEA.Maintenance", "'a literal'")
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"no-language mode", r.stderr)
        # the pool's resource URI names the configuration
        r = self.ps("-v", "--configuration", "PowerShell.7", "7")
        self.assertEqual((r.returncode, r.stdout), (0, b"7\n"), r.stderr[-300:])
        self.assertIn(b"<w:ResourceURI s:mustUnderstand=\"true\">http://schemas.microsoft.com/"
                      b"powershell/PowerShell.7</w:ResourceURI>", r.stderr)
        r = self.ps("--configuration", "Not.Registered", "1")
        self.assertEqual(r.returncode, 255)
        self.assertIn(b"w:DestinationUnreachable", r.stderr)
        r = self.ps("--configuration", "bad name", "1")
        self.assertEqual(r.returncode, 255)
        self.assertIn(b"session configuration is a name", r.stderr)

    def test_pipeline_input_from_stdin(self):
        r = self.ps("--input", "process { $_ }", stdin=b"one\r\ntwo\nthree")
        self.assertEqual((r.returncode, r.stdout), (0, b"one\ntwo\nthree\n"), r.stderr)
        lines = b"".join(b"%d\n" % i for i in range(5000))
        r = self.ps("--input", "$input; 'end'", stdin=lines, timeout=120)
        self.assertEqual((r.returncode, r.stdout), (0, lines + b"end\n"), r.stderr[-300:])
        r = self.ps("--input", "$input; 'empty'")
        self.assertEqual((r.returncode, r.stdout), (0, b"empty\n"), r.stderr)

    def test_read_host_reads_stdin(self):
        r = self.ps("Read-Host 'Your name'; Read-Host; 'done'", stdin=b"Alice\nBob\n")
        self.assertEqual((r.returncode, r.stdout), (0, b"Your name: Alice\nBob\ndone\n"),
                         r.stderr)
        # at the end of stdin Read-Host gets nothing, and the script goes on
        r = self.ps("Read-Host 'x'; 'after'")
        self.assertEqual((r.returncode, r.stdout), (0, b"x: after\n"), r.stderr)

    def test_prompt_for_choice(self):
        script = "$Host.UI.PromptForChoice('Deploy','Go on?',@('&Yes','&No','Yes to &All'),1)"
        # a hot key, a label, the default on an empty line; a wrong answer asks again
        for answer, index in ((b"y\n", b"0"), (b"yes to all\n", b"2"), (b"\n", b"1"),
                              (b"maybe\nN\n", b"1")):
            r = self.ps(script, stdin=answer)
            self.assertEqual((r.returncode, r.stdout), (0, index + b"\n"), r.stderr)
        self.assertEqual(r.stderr, b"Deploy\nGo on?\n" + b"[Y] Yes  [N] No  [A] Yes to All  "
                         b"(default is \"N\"): " * 2)
        # no answer at all: the host method throws, the script goes on
        r = self.ps(script + "; 'after'")
        self.assertEqual((r.returncode, r.stdout), (1, b"after\n"))
        self.assertIn(b'Exception calling "PromptForChoice" with "4" argument(s): '
                      b'"wrsh: no answer to the choice (end of input)"', r.stderr)

    def test_prompt_fields(self):
        r = self.ps("$Host.UI.Prompt('Account','Details please',@('Name','City'))",
                    stdin=b"Alice\nParis\n")
        self.assertEqual((r.returncode, r.stdout), (0, b"Name=Alice\nCity=Paris\n"), r.stderr)
        self.assertEqual(r.stderr, b"Account\nDetails please\nName: City: ")
        # a field of a secret type, stdin not a terminal: refused before
        # anything is read (test_secure.py answers them at a pty)
        r = self.ps("$Host.UI.Prompt('c','m',@('User','Pin:SecureString')); 'after'",
                    stdin=b"x\ny\n")
        self.assertEqual((r.returncode, r.stdout), (1, b"after\n"))
        self.assertIn(b"a secure prompt needs a terminal", r.stderr)
        r = self.ps("$Host.UI.Prompt('c','m',@('Cred:Management.Automation.PSCredential'))",
                    stdin=b"x\n")
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"does not answer credential fields", r.stderr)

    def test_secure_input_is_refused_not_hung(self):
        for script, cmdlet in (("Read-Host -AsSecureString", b"Read-Host"),
                               ("Get-Credential", b"Get-Credential")):
            r = self.ps(script + "; 'after'", stdin=b"secret\n")
            self.assertEqual((r.returncode, r.stdout), (1, b"after\n"), r.stderr)
            self.assertIn(b"wrsh: a secure prompt needs a terminal (stdin is not one)", r.stderr)
            self.assertIn(b"[" + cmdlet + b"], HostException", r.stderr)

    def test_prompts_refused_when_stdin_is_input(self):
        r = self.ps("--input", "Read-Host 'x'; $input", stdin=b"line\n")
        self.assertEqual((r.returncode, r.stdout), (1, b"x: line\n"), r.stderr)
        self.assertIn(b"stdin carries pipeline input", r.stderr)

    def test_exit_code_from_the_script(self):
        r = self.ps("'before'; exit 7; 'never'")
        self.assertEqual((r.returncode, r.stdout), (7, b"before\n"), r.stderr)
        # an explicit exit wins over written errors
        r = self.ps("Write-Error 'bad'; exit 0")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_host_ui_writes(self):
        r = self.ps("$Host.UI.WriteLine('to the console'); $Host.UI.WriteErrorLine('oops')")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, b"to the console\n", b"oops\n"))

    def test_unknown_command(self):
        r = self.ps("Get-Nothing")
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"The term 'Get-Nothing' is not recognized", r.stderr)
        self.assertIn(b"CommandNotFoundException", r.stderr)

    def test_formatted_by_default_and_raw_on_request(self):
        r = self.ps("Get-Service")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"Running  WinRM              Windows Remote Management", r.stdout)
        r = self.ps("--no-format", "Get-Service; 42")
        self.assertEqual(r.stdout, b"System.ServiceProcess.ServiceController\n" * 2 + b"42\n")
        # a list object (an array passed whole) prints its items, as Out-Default does
        r = self.ps("--no-format", ",@(1,'two',3); 'end'")
        self.assertEqual((r.returncode, r.stdout), (0, b"1\ntwo\n3\nend\n"), r.stderr)

    def test_json_lines(self):
        import json
        r = self.ps("--json", "1..2; 'a\"b\\c'; Get-Service")
        self.assertEqual(r.returncode, 0, r.stderr)
        objs = [json.loads(line) for line in r.stdout.decode().splitlines()]
        self.assertEqual(objs[:3], [1, 2, 'a"b\\c'])
        svc = objs[3]
        self.assertEqual(svc["_types"][0], "System.ServiceProcess.ServiceController")
        self.assertEqual((svc["Name"], svc["CanStop"]), ("WinRM", True))
        self.assertEqual((svc["Status"]["_string"], svc["Status"]["_value"]), ("Running", 4))
        self.assertEqual(svc["DependentServices"]["_items"], [])
        self.assertEqual(len(objs), 5)
        # information records are JSON lines that name their stream; host
        # text goes to stderr so that stdout stays JSON
        r = self.ps("--json", "Write-Information 'note'; 1; Write-Host 'to the host'")
        self.assertEqual((r.returncode, r.stderr), (0, b"to the host\n"))
        objs = [json.loads(line) for line in r.stdout.decode().splitlines()]
        self.assertEqual(len(objs), 3, r.stdout)
        self.assertEqual((objs[0]["_stream"], objs[0]["MessageData"], objs[0]["Tags"]["_items"]),
                         ("information", "note", []))
        self.assertEqual(objs[1], 1)
        self.assertEqual((objs[2]["MessageData"]["Message"], objs[2]["Tags"]["_items"]),
                         ("to the host", ["PSHOST"]))

    def test_script_text_survives_escaping(self):
        s = "'a & <b> \"c\" _x0041_ _ \u00e9\u65e5'"
        r = self.ps(s)
        self.assertEqual((r.returncode, r.stdout.decode()), (0, s[1:-1] + "\n"), r.stderr)

    def test_long_script_continues_on_stdin(self):
        # more than one request holds: the Command carries the first
        # fragments of CREATE_PIPELINE, Sends on stdin the rest
        body = "y" * 15000
        r = self.ps("--stats", "'%s'" % body)
        self.assertEqual((r.returncode, r.stdout), (0, body.encode() + b"\n"), r.stderr[-300:])
        self.assertEqual(stat(r.stderr, "requests"), 7)
        # what once was refused (beyond the old 16 KB cap) now just runs
        r = self.ps("# %s\n'after a long comment'" % ("z" * 40000))
        self.assertEqual((r.returncode, r.stdout), (0, b"after a long comment\n"), r.stderr[-300:])

    def test_megabyte_script_streams_in_the_arena_of_one(self):
        # a generated 1 MB script, as deployment tools write them: it
        # streams from its file into CREATE_PIPELINE's fragments, so the
        # arena peaks where `1` does; the sum proves every line arrived,
        # in order, escapes and all
        lines = ["# deploy step: a & <b> \"c\" _x0041_ \u00e9\u65e5 'q'"]
        total, size, i = 0, 0, 0
        while size < 1 << 20:
            n = (i * 7919) % 1000
            lines.append("$x += %d" % n)
            total += n
            size += len(lines[-1]) + 1
            i += 1
        lines.append("$x")
        with tempfile.NamedTemporaryFile("w", suffix=".ps1", encoding="utf-8") as f:
            f.write("$x = 0\n" + "\n".join(lines) + "\n")
            f.flush()
            self.assertGreaterEqual(os.path.getsize(f.name), 1 << 20)
            big = self.ps("--stats", "-f", f.name, timeout=300)
            with open(f.name, "rb") as script:
                piped = self.ps("-f", "-", stdin=script.read(), timeout=300)
        one = self.ps("--stats", "1")
        self.assertEqual((big.returncode, big.stdout), (0, b"%d\n" % total), big.stderr[-300:])
        self.assertEqual((piped.returncode, piped.stdout), (0, b"%d\n" % total))
        self.assertEqual(stat(big.stderr, "arena_peak"), stat(one.stderr, "arena_peak"))
        self.assertGreater(stat(big.stderr, "requests"), 60)  # a Send per fragment

    def test_script_from_file_and_stdin(self):
        with tempfile.NamedTemporaryFile("w", suffix=".ps1") as f:
            f.write("1..2\n'three'\n")
            f.flush()
            r = self.ps("-f", f.name)
        self.assertEqual((r.returncode, r.stdout), (0, b"1\n2\nthree\n"), r.stderr)
        r = self.ps("-f", "-", stdin=b"'from stdin'")
        self.assertEqual(r.stdout, b"from stdin\n")
        r = self.ps("-f", "-", "1", stdin=b"x")
        self.assertEqual(r.returncode, 2)

    def test_memory_flat_over_100k_objects(self):
        r1 = self.ps("--stats", "1")
        rn = self.ps("--stats", "BigOutput 100000", timeout=300)
        self.assertEqual(rn.returncode, 0, rn.stderr[-300:])
        self.assertEqual(len(rn.stdout), 100000 * 101)
        self.assertLessEqual(stat(rn.stderr, "arena_peak"), stat(r1.stderr, "arena_peak") * 1.10)
        # one-shot: NEGOTIATE, Create, Receive (pool opened), Command, Receive, Delete
        self.assertEqual(stat(r1.stderr, "requests"), 6)

    def test_ctrl_c_stops_the_pipeline(self):
        p = subprocess.Popen([WRSH, "ps", "-H", "127.0.0.1", "-p", str(self.ep.http), "-u",
                              "alice", "'started'; Start-Sleep 60; 'not reached'"],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env={**os.environ, "WRSH_PASSWORD": PASSWORD})
        line = p.stdout.readline()
        self.assertEqual(line, b"started\n")
        t = time.monotonic()
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=30)
        self.assertLess(time.monotonic() - t, 10)
        self.assertEqual(p.returncode, 130, err)
        self.assertNotIn(b"not reached", out)


@unittest.skipUnless(ps_built(), "wrsh built without the ps applet (PROFILE=tiny)")
class PsOldServerTest(Base):
    """A server of PowerShell 2.0 (Windows Server 2008 R2) answers with
    protocol version 2.1; what this client sends is valid there too."""

    @classmethod
    def setUpClass(cls):
        cls.ep = Endpoint.shared("--psrp-version", "2.1", basic=False)

    def test_protocol_2_1(self):
        r = self.wrsh("ps", "-H", "127.0.0.1", "-p", str(self.ep.http), "-u", "alice", "1..2")
        self.assertEqual((r.returncode, r.stdout), (0, b"1\n2\n"), r.stderr)


@unittest.skipUnless(ps_built() and tls_built(), "wrsh built without TLS or ps")
class PsHttpsTest(Base):
    @classmethod
    def setUpClass(cls):
        cls.ep = Endpoint.shared("--cbt", "strict", basic=False)

    def test_over_https_with_channel_binding(self):
        r = self.wrsh("ps", "-H", "localhost", "-p", str(self.ep.https), "--https", "--cacert",
                      self.ep.info["cert"], "-u", "alice", "1..2")
        self.assertEqual((r.returncode, r.stdout), (0, b"1\n2\n"), r.stderr)


if __name__ == "__main__":
    unittest.main()
