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
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from accept_out_of_descriptors import hello_answered, open_descriptors  # noqa: E402
from daemon_under_test import daemon_under_test  # noqa: E402

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
    problems = []
    clients = []
    with daemon_under_test(kind, binary, "unauthenticated_flood_") as daemon:
        try:
            time.sleep(0.2)
            before = resident_kib(daemon.pid)
            for _ in range(SILENT):
                clients.append(socket.create_connection(("127.0.0.1", daemon.port), timeout=5))
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
            if not hello_answered(daemon.port, daemon.purpose):
                problems.append(f"with {SILENT} silent connections open, a new one got no answer to its hello")
        finally:
            for c in clients:
                c.close()
        log = daemon.log_text()
    if problems:
        print(f"{kind}: " + "; ".join(problems))
        print("its log:\n" + "".join(log.splitlines(keepends=True)[-20:]))
        return 1
    print(f"{kind}: {SILENT} silent connections cost {held} descriptors and {grown} KiB, and it served")
    return 0


if __name__ == "__main__":
    sys.exit(main())
