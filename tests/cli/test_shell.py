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
        cls.ep = Endpoint("--operation-timeout-cap", "2", basic=False)

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
        self.assertEqual(buf.count(b"not reached"), 1, buf)  # the echo of the line only
        self.assertNotIn(b"The pipeline has been stopped", buf)  # a console says nothing


if __name__ == "__main__":
    unittest.main()
