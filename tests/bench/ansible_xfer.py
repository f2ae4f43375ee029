"""Ansible's winrm connection plugin (Debian's ansible-core over
python3-winrm) as the peer of `wrsh put` and `wrsh get`: its put_file and
fetch_file called directly, as a playbook's win_copy and fetch call them,
without a play around them.

  ansible_xfer.py URL TRANSPORT USER put|fetch LOCAL REMOTE
URL is http://HOST:PORT/wsman or https://...; TRANSPORT ntlm or basic;
the password comes from $WRSH_PASSWORD, a CA file from $WRSH_BENCH_CA.
prints: cpu_s=F maxrss_kb=N
"""
import os
import resource
import sys
import urllib.parse

from ansible.playbook.play_context import PlayContext
from ansible.plugins.loader import connection_loader


def connect(url, transport, user):
    u = urllib.parse.urlsplit(url)
    pc = PlayContext()
    pc.remote_addr = u.hostname
    pc.port = u.port
    pc.remote_user = user
    pc.password = os.environ["WRSH_PASSWORD"]
    conn = connection_loader.get("winrm", pc, None)
    opts = {
        "ansible_host": u.hostname, "ansible_port": u.port, "ansible_user": user,
        "ansible_password": os.environ["WRSH_PASSWORD"],
        "ansible_winrm_scheme": u.scheme, "ansible_winrm_path": u.path,
        "ansible_winrm_transport": [transport],
        # Windows' default: sealed over HTTP
        "ansible_winrm_message_encryption": "auto",
    }
    # what the plugin hands python3-winrm as it is (inventory variables
    # ansible_winrm_*): TLS verified against the endpoint's CA
    opts["_extras"] = {"ansible_winrm_server_cert_validation": "validate"}
    if os.environ.get("WRSH_BENCH_CA"):
        opts["_extras"]["ansible_winrm_ca_trust_path"] = os.environ["WRSH_BENCH_CA"]
    conn.set_options(var_options=opts)
    return conn


def main():
    url, transport, user, op, local, remote = sys.argv[1:7]
    t0 = os.times()
    conn = connect(url, transport, user)
    if op == "put":
        conn.put_file(local, remote)
    else:
        conn.fetch_file(remote, local)
    conn.close()
    t1 = os.times()
    cpu = (t1.user - t0.user) + (t1.system - t0.system)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print("cpu_s=%.3f maxrss_kb=%d" % (cpu, rss))


if __name__ == "__main__":
    main()
