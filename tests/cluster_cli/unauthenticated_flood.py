#!/usr/bin/env python3
"""A daemon holds a bounded number of connections that have not authenticated, and still serves:

    unauthenticated_flood.py bridge|fabric DAEMON_BINARY

Starts the daemon on a free loopback port and opens 600 connections that say nothing. The daemon
must hold at most 128 of them (plus its own few descriptors), its resident memory must grow by
less than 8 MiB, and while all 600 are still open a new connection must get the handshake's
answer: the oldest silent ones make room for it. Exits 0 when all holds; prints what did not.
"""
import os
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from accept_out_of_descriptors import free_port, hello_answered, open_descriptors  # noqa: E402

SILENT = 600
HELD_AT_MOST = 128 + 32  # the cap, and the daemon's own descriptors


def resident_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    kind, binary = sys.argv[1], sys.argv[2]
    folder = tempfile.mkdtemp(prefix="unauthenticated_flood_")
    secret = os.path.join(folder, "secret")
    with open(secret, "w") as f:
        f.write(os.urandom(32).hex() + "\n")
    os.chmod(secret, 0o600)
    port = free_port()
    address = f"127.0.0.1:{port}"
    if kind == "bridge":
        command = [binary, "--secret-file", secret, address, f"127.0.0.1:{free_port()}"]
        purpose = b"deploy"
    else:
        command = [binary, "--secret-file", secret, address]
        purpose = b"fabric"
    log_path = os.path.join(folder, "log")
    log = open(log_path, "w")
    daemon = subprocess.Popen(command, stdout=log, stderr=log, env=dict(os.environ, HOME=folder))
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
        time.sleep(0.2)
        before = resident_kib(daemon.pid)
        for _ in range(SILENT):
            clients.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        # Until the daemon took them all from its backlog (it closes the oldest as it goes).
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            closed = 0
            for c in clients[:SILENT - 150]:
                c.setblocking(False)
                try:
                    if c.recv(1) == b"":
                        closed += 1
                except BlockingIOError:
                    pass
                except OSError:
                    closed += 1
            if closed >= SILENT - 150 - 10:
                break
            time.sleep(0.1)
        held = open_descriptors(daemon.pid)
        grown = resident_kib(daemon.pid) - before
        if held > HELD_AT_MOST:
            problems.append(f"with {SILENT} silent connections it holds {held} descriptors")
        if grown > 8 * 1024:
            problems.append(f"{SILENT} silent connections grew it by {grown} KiB")
        if not hello_answered(port, purpose):
            problems.append(f"with {SILENT} silent connections open, a new one got no answer to its hello")
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
    print(f"{kind}: {SILENT} silent connections cost {held} descriptors and {grown} KiB, and it served")
    return 0


if __name__ == "__main__":
    sys.exit(main())
