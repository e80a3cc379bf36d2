#!/usr/bin/env python3
"""Probes a running constellation-bridge with bad peers, by hand:

    probe_bridge.py SECRET_FILE BRIDGE_ADDR

Each probe is a peer the bridge must drop (closing the connection, logging one line naming the
peer) without harm to anyone else; a status request at the end shows it still serves. Speaks the
handshake (wire/handshake.hpp) and frames (wire/frame.hpp) itself, so that it can misbehave at
every step. Exits 0 when the bridge closed every bad connection and answered the status request.
"""
import hashlib
import hmac
import os
import socket
import struct
import sys


def frame(kind, payload):
    return struct.pack("<I", len(payload) + 1) + bytes([kind]) + payload


def field(value):
    return struct.pack("<H", len(value)) + value


def read_frame(s):
    header = b""
    while len(header) < 5:
        chunk = s.recv(5 - len(header))
        if not chunk:
            return None
        header += chunk
    length = struct.unpack("<I", header[:4])[0]
    payload = b""
    while len(payload) < length - 1:
        chunk = s.recv(length - 1 - len(payload))
        if not chunk:
            return None
        payload += chunk
    return header[4], payload


def connect(address):
    host, port = address.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=5)
    return s


def authenticate(s, secret, purpose=b"deploy"):
    hello = bytes([1]) + field(purpose) + field(b"probe") + os.urandom(32)
    s.sendall(frame(0xC1, hello))
    kind, reply = read_frame(s)
    assert kind == 0xC2, kind
    signed, proof = reply[:-32], reply[-32:]
    transcript = hello + signed
    expected = hmac.new(secret, b"constellation server" + field(purpose) + transcript, hashlib.sha256).digest()
    if not hmac.compare_digest(proof, expected):
        return False
    s.sendall(frame(0xC3, hmac.new(secret, b"constellation client" + field(purpose) + transcript, hashlib.sha256).digest()))
    return True


def closed_by_bridge(s):
    try:
        while True:
            if not s.recv(4096):
                return True
    except socket.timeout:
        return False
    except ConnectionResetError:
        return True


def main():
    secret_file, address = sys.argv[1], sys.argv[2]
    secret = open(secret_file, "rb").read().rstrip(b" \t\r\n\v\f")
    failures = 0

    def probe(name, send, authenticated=True):
        nonlocal failures
        s = connect(address)
        if authenticated:
            assert authenticate(s, secret), "the probe's own secret does not match the bridge's"
        send(s)
        ok = closed_by_bridge(s)
        print(("closed  " if ok else "OPEN    ") + name)
        failures += not ok
        s.close()

    probe("HTTP request instead of a handshake", lambda s: s.sendall(b"GET / HTTP/1.0\r\n\r\n"), False)
    probe("a malformed client hello", lambda s: s.sendall(frame(0xC1, b"\x01")), False)
    probe("a hello for the fabric", lambda s: s.sendall(frame(0xC1, bytes([1]) + field(b"fabric") + field(b"x") + os.urandom(32))), False)

    def wrong_secret(s):
        s.sendall(frame(0xC1, bytes([1]) + field(b"deploy") + field(b"x") + os.urandom(32)))
        read_frame(s)
        s.sendall(frame(0xC3, b"\0" * 32))  # a proof without the secret

    probe("a client proof made without the secret", wrong_secret, False)
    probe("a frame declaring 1 GiB", lambda s: s.sendall(struct.pack("<I", 1 << 30) + bytes([40])))
    probe("a frame of unknown type", lambda s: s.sendall(frame(99, b"")))
    probe("a malformed deploy_request", lambda s: s.sendall(frame(40, b"xx")))
    probe("stdin before any deploy_request", lambda s: s.sendall(frame(45, struct.pack("<QQ", 0, 1) + b"x")))
    probe("a binary_upload nobody asked for", lambda s: s.sendall(frame(42, struct.pack("<Q", 1) + b"a" + struct.pack("<Q", 0))))

    s = connect(address)
    assert authenticate(s, secret)
    s.sendall(frame(48, b""))
    answer = read_frame(s)
    serving = answer is not None and answer[0] in (49, 44)  # status_reply, or job_finished: no master
    print(("answered" if serving else "SILENT  ") + " a status request after all that")
    return 0 if failures == 0 and serving else 1


if __name__ == "__main__":
    sys.exit(main())
