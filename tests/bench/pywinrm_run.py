"""python3-winrm (Debian) as a peer for the benchmarks: run one command
through its Protocol API and report the client's own CPU time and peak RSS.

  pywinrm_run.py URL TRANSPORT USER COMMAND [ARG...]
prints: bytes=N cpu_s=F maxrss_kb=N exit=N
"""
import os
import resource
import sys
import time

import winrm.protocol


def main():
    url, transport, user, command, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
    t0 = os.times()
    p = winrm.protocol.Protocol(endpoint=url, transport=transport, username=user,
                                password=os.environ["WRSH_PASSWORD"],
                                server_cert_validation="validate",
                                ca_trust_path=os.environ.get("WRSH_BENCH_CA"))
    shell = p.open_shell(codepage=65001)
    cmd = p.run_command(shell, command, args)
    out, err, code = p.get_command_output(shell, cmd)
    p.cleanup_command(shell, cmd)
    p.close_shell(shell)
    t1 = os.times()
    cpu = (t1.user - t0.user) + (t1.system - t0.system)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print("bytes=%d cpu_s=%.3f maxrss_kb=%d exit=%d" % (len(out), cpu, rss, code))


if __name__ == "__main__":
    main()
