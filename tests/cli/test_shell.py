"""wrsh shell (like Enter-PSSession): one runspace across the lines typed,
the prompt with the current location, Ctrl-C stopping the command and not
the session, through a pseudo-terminal as a person would use it."""
import os
import pty
import unittest

from test_cli import Base, Endpoint, PASSWORD, WRSH, read_until
from test_ps import ps_built


@unittest.skipUnless(ps_built(), "wrsh built without PowerShell Remoting")
class ShellTest(Base):
    PROMPT_END = b"Documents> "  # the end of the prompt in the pool's first location

    @classmethod
    def setUpClass(cls):
        cls.ep = Endpoint.shared("--operation-timeout-cap", "2", basic=False)

    def conn(self):
        return ["-H", "127.0.0.1", "-p", str(self.ep.http), "-u", "alice"]

    def test_state_carries_over_lines(self):
        r = self.wrsh("shell", *self.conn(),
                      stdin=b"$x = 'kept'\n$x\ncd C:\\Temp\n\n(Get-Location).Path\nthrow 'bad'\n"
                            b"'still here'\nexit\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout.decode()
        self.assertTrue(out.startswith("[127.0.0.1]: PS C:\\Users\\alice\\Documents> "), out)
        self.assertIn("kept\n", out)
        self.assertIn("[127.0.0.1]: PS C:\\Temp> C:\\Temp\n", out)
        self.assertIn("still here\n", out)
        self.assertIn(b"bad\n", r.stderr)

    def test_end_of_input_leaves(self):
        r = self.wrsh("shell", *self.conn(), stdin=b"1..2\n")
        self.assertEqual((r.returncode, r.stdout.count(b"PS ")), (0, 2), r.stdout)
        self.assertIn(b"1\n2\n", r.stdout)

    def test_exit_with_a_status(self):
        r = self.wrsh("shell", *self.conn(), stdin=b"'one'\n  exit 3  \n'never'\n")
        self.assertEqual((r.returncode, r.stdout.count(b"PS ")), (3, 2), r.stdout)
        r = self.wrsh("shell", *self.conn(), stdin=b"exitcode\nexit\n")
        self.assertEqual(r.returncode, 0)
        self.assertIn(b"The term 'exitcode' is not recognized", r.stderr)

    def test_progress_is_one_line_on_a_terminal(self):
        pid, fd = pty.fork()
        if pid == 0:
            os.execve(WRSH, [WRSH, "ps", *self.conn(),
                             "Write-Progress -Activity 'Copying' -Status 'half' -PercentComplete 50;"
                             " 'out'; Write-Progress -Activity 'Copying' -Completed"],
                      {**os.environ, "WRSH_PASSWORD": PASSWORD})
        buf = read_until(fd, b"\x00never", 10)
        _, status = os.waitpid(pid, 0)
        self.assertEqual(os.waitstatus_to_exitcode(status), 0, buf)
        self.assertIn(b"\r\x1b[KCopying: half [##########          ] 50%", buf)
        self.assertIn(b"out", buf)
        self.assertTrue(buf.rstrip(b"\r\n").endswith(b"\r\x1b[K") or b"\r\x1b[K" in buf[-20:], buf)

    def test_ctrl_c_stops_the_command_not_the_session(self):
        pid, fd = pty.fork()
        if pid == 0:
            os.execve(WRSH, [WRSH, "shell", *self.conn()],
                      {**os.environ, "WRSH_PASSWORD": PASSWORD})
        buf = read_until(fd, self.PROMPT_END, 20)
        os.write(fd, b"'sleeping'; Start-Sleep 60; 'not reached'\n")
        buf += read_until(fd, b"sleeping\r\n", 20)  # the output, not the echo
        os.write(fd, b"\x03")  # the terminal's Ctrl-C
        buf += read_until(fd, self.PROMPT_END, 20)
        os.write(fd, b"'after'\n")
        buf += read_until(fd, b"after\r\n", 20)
        os.write(fd, b"exit\n")
        _, status = os.waitpid(pid, 0)
        self.assertEqual(os.waitstatus_to_exitcode(status), 0, buf)
        # only in the echo of the line (the editor scrolls it on 80 columns), never output
        self.assertNotIn(b"\nnot reached", buf)
        self.assertNotIn(b"The pipeline has been stopped", buf)  # a console says nothing

    def typed(self, keys, until):
        """A session in a pseudo-terminal: each of keys typed once the prompt
        shows again, the screen up to `until` after the last."""
        pid, fd = pty.fork()
        if pid == 0:
            os.execve(WRSH, [WRSH, "shell", *self.conn()],
                      {**os.environ, "WRSH_PASSWORD": PASSWORD})
        buf = read_until(fd, self.PROMPT_END, 20)
        for k in keys[:-1]:
            os.write(fd, k)
            # the line's end, then the next prompt (the editor's redraws
            # of the line show the prompt too)
            buf += read_until(fd, b"\r\n", 20)
            buf += read_until(fd, self.PROMPT_END, 20)
        os.write(fd, keys[-1])
        buf += read_until(fd, until, 20)
        os.write(fd, b"exit\r")
        _, status = os.waitpid(pid, 0)
        self.assertEqual(os.waitstatus_to_exitcode(status), 0, buf)
        return buf

    def test_line_editing_and_history(self):
        buf = self.typed([
            b"'helo'\x1b[D\x1b[Dl\r",          # Left twice, insert: 'hello'
            b"\x1b[A\r",                          # Up: the line again
            b"garbage\x15'cut'\r",                # Ctrl-U kills what is before the cursor
            b"'a' 'b'\x17\x17'c'\r",              # Ctrl-W twice: the last two words
            b"'moved'\x1b[HWrite-Output \x05\r",   # Home, a command before it, Ctrl-E
            b"\x12hel\r",                          # Ctrl-R: the line with "hel"
        ], b"hello\r\n[127.0.0.1]")
        out = buf.split(b"\r\n")
        self.assertEqual(out.count(b"hello"), 3, buf)
        self.assertIn(b"cut", out)
        self.assertIn(b"c", out)
        self.assertIn(b"moved", out)
        self.assertIn(b"(reverse-i-search)`hel': 'hello'", buf)

    def test_tab_completes_through_tabexpansion2(self):
        buf = self.typed([
            b"Write-Out\t 'completed'\r",         # one match: Write-Output
            b"$chosen = 'var'\r",
            b"$cho\t\r",                          # a variable of the runspace
            b"Write-\t\t\x1b[Z\t 'cycled'\r",     # Tab, Tab, Shift-Tab, Tab: the second
        ], b"cycled\r\n")
        out = buf.split(b"\r\n")
        self.assertIn(b"completed", out)
        self.assertIn(b"var", out)
        # Write-Error, Write-Host, back to Write-Error, on to Write-Host
        self.assertTrue(buf.rsplit(self.PROMPT_END + b"Write-", 1)[1].startswith(b"Host"), buf)
        self.assertNotIn(b"CategoryInfo", buf)


if __name__ == "__main__":
    unittest.main()
