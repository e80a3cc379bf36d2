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
import sys
import time

from daemon_under_test import daemon_under_test

LIMIT = 64


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
    problems = []
    clients = []
    with daemon_under_test(kind, binary, "accept_emfile_", preexec_fn=limit_descriptors) as daemon:
        try:
            # Past the limit: the rest wait in the listen backlog, which keeps the listener readable.
            for _ in range(LIMIT + 16):
                clients.append(socket.create_connection(("127.0.0.1", daemon.port), timeout=5))
            while open_descriptors(daemon.pid) < LIMIT:
                time.sleep(0.01)
            lines_before = daemon.log_text().count("\n")
            before = cpu_seconds(daemon.pid)
            time.sleep(1)
            used = cpu_seconds(daemon.pid) - before
            lines = daemon.log_text().count("\n") - lines_before
            if used > 0.1:
                problems.append(f"out of descriptors, it used {used:.2f} s of CPU in 1 s")
            if lines > 3:
                problems.append(f"out of descriptors, it logged {lines} lines in 1 s")
            for c in clients:
                c.close()
            clients = []
            if not hello_answered(daemon.port, daemon.purpose):
                problems.append("after the connections closed, a new one got no answer to its hello")
        finally:
            for c in clients:
                c.close()
        log = daemon.log_text()
    if problems:
        print(f"{kind}: " + "; ".join(problems))
        print("its log:\n" + "".join(log.splitlines(keepends=True)[-20:]))
        return 1
    print(f"{kind}: out of descriptors it waited, and served again")
    return 0


if __name__ == "__main__":
    sys.exit(main())
