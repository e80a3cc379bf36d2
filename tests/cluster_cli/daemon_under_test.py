"""A bridge or fabric daemon started for a test on a free loopback port, with a secret of its own,
as the Python daemon tests (accept_out_of_descriptors.py, unauthenticated_flood.py) use it:

    with daemon_under_test(kind, binary, prefix, preexec_fn=None) as d:
        d.port, d.purpose, d.pid, d.log_path, d.log_text()

The context returns once the daemon accepts connections, and stops it (SIGTERM, then SIGKILL
after 10 s) on the way out. A daemon that exits before it listens ends the test with its log.
"""
import os
import socket
import subprocess
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class daemon_under_test:
    def __init__(self, kind, binary, prefix, preexec_fn=None):
        self.kind = kind
        folder = tempfile.mkdtemp(prefix=prefix)
        secret = os.path.join(folder, "secret")
        with open(secret, "w") as f:
            f.write(os.urandom(32).hex() + "\n")
        os.chmod(secret, 0o600)
        self.port = free_port()
        address = f"127.0.0.1:{self.port}"
        if kind == "bridge":
            # The master is a port nobody listens on: the bridge keeps trying it, and serves clients.
            self.command = [binary, "--secret-file", secret, address, f"127.0.0.1:{free_port()}"]
            self.purpose = b"deploy"
        else:
            self.command = [binary, "--secret-file", secret, address]
            self.purpose = b"fabric"
        self.folder = folder
        self.log_path = os.path.join(folder, "log")
        self.preexec_fn = preexec_fn

    def __enter__(self):
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(self.command, stdout=self.log, stderr=self.log, preexec_fn=self.preexec_fn,
                                        env=dict(os.environ, HOME=self.folder))
        self.pid = self.process.pid
        while True:
            if self.process.poll() is not None:
                raise SystemExit(f"the {self.kind} daemon exited with {self.process.returncode}:\n" + self.log_text())
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.02)

    def __exit__(self, *exception):
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
        return False

    def log_text(self):
        self.log.flush()
        return open(self.log_path).read()
