#!/usr/bin/env python3
"""A daemon out of descriptors waits before it accepts again, and serves once some are free:

    accept_out_of_descriptors.py bridge|fabric DAEMON_BINARY

Starts the daemon with RLIMIT_NOFILE of 64 on a free loopback port and opens connections that
say nothing until its accepts fail with EMFILE (all 64 descriptors open). Over the next second
it must use little CPU (a loop that re-arms its accept at once spins a core) and log few lines.
Then the connections close, and a new one must get the handshake's answer (wire/handshake.hpp).
Exits 0 when all holds; prints what did not otherwise.
"""
import os
import resource
import socket
import struct
import subprocess
import sys
import tempfile
import time

LIMIT = 64


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def open_descriptors(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def hello_answered(port, purpose):
    """Sends a client_hello; True when the daemon answers with its server_reply."""
    hello = bytes([1]) + struct.pack("<H", len(purpose)) + purpose + struct.pack("<H", 5) + b"probe" + os.urandom(32)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(struct.pack("<I", len(hello) + 1) + bytes([0xC1]) + hello)
        header = b""
        while len(header) < 5:
            chunk = s.recv(5 - len(header))
            if not chunk:
                return False
            header += chunk
        return header[4] == 0xC2


def limit_descriptors():
    resource.setrlimit(resource.RLIMIT_NOFILE, (LIMIT, LIMIT))


def main():
    kind, binary = sys.argv[1], sys.argv[2]
    folder = tempfile.mkdtemp(prefix="accept_emfile_")
    secret = os.path.join(folder, "secret")
    with open(secret, "w") as f:
        f.write(os.urandom(32).hex() + "\n")
    os.chmod(secret, 0o600)
    port = free_port()
    address = f"127.0.0.1:{port}"
    if kind == "bridge":
        # The master is a port nobody listens on: the bridge keeps trying it, and serves clients.
        command = [binary, "--secret-file", secret, address, f"127.0.0.1:{free_port()}"]
        purpose = b"deploy"
    else:
        command = [binary, "--secret-file", secret, address]
        purpose = b"fabric"
    log_path = os.path.join(folder, "log")
    log = open(log_path, "w")
    env = dict(os.environ, HOME=folder)
    daemon = subprocess.Popen(command, stdout=log, stderr=log, preexec_fn=limit_descriptors, env=env)
    problems = []
    clients = []
    try:
        while True:
            if daemon.poll() is not None:
                raise SystemExit(f"the {kind} daemon exited with {daemon.returncode}:\n" + open(log_path).read())
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.02)
        # Past the limit: the rest wait in the listen backlog, which keeps the listener readable.
        for _ in range(LIMIT + 16):
            clients.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        while open_descriptors(daemon.pid) < LIMIT:
            time.sleep(0.01)
        log.flush()
        lines_before = open(log_path).read().count("\n")
        before = cpu_seconds(daemon.pid)
        time.sleep(1)
        used = cpu_seconds(daemon.pid) - before
        lines = open(log_path).read().count("\n") - lines_before
        if used > 0.1:
            problems.append(f"out of descriptors, it used {used:.2f} s of CPU in 1 s")
        if lines > 3:
            problems.append(f"out of descriptors, it logged {lines} lines in 1 s")
        for c in clients:
            c.close()
        clients = []
        if not hello_answered(port, purpose):
            problems.append("after the connections closed, a new one got no answer to its hello")
    finally:
        for c in clients:
            c.close()
        daemon.terminate()
        try:
            daemon.wait(10)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
    if problems:
        print(f"{kind}: " + "; ".join(problems))
        print("its log:\n" + "".join(open(log_path).readlines()[-20:]))
        return 1
    print(f"{kind}: out of descriptors it waited, and served again")
    return 0


if __name__ == "__main__":
    sys.exit(main())
