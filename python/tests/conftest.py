"""Fixtures that run the real programs: the `lhttpd` server and the Rust `lhttp` CLI.

The binaries come from $LHTTPD_BIN / $LHTTP_CLI_BIN (scripts/test-python.sh sets them);
without those, they are built with cargo into the workspace's target directory.
"""

import json
import os
import re
import subprocess
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LISTENING = re.compile(r"lhttpd listening on (\S+):(\d+)")


def _binary(env_var, package, name, feature=None):
    """The binary $env_var names, else cargo's build of it (with `feature` when the package
    has one by that name)."""
    path = os.environ.get(env_var)
    if path:
        return path
    meta = json.loads(
        subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--no-deps"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    features = next(p["features"] for p in meta["packages"] if p["name"] == package)
    extra = ["--features", feature] if feature in features else []
    subprocess.run(["cargo", "build", "--quiet", "-p", package, *extra, "--bin", name], cwd=ROOT, check=True)
    return str(Path(meta["target_directory"]) / "debug" / name)


@pytest.fixture(scope="session")
def lhttpd_bin():
    return _binary("LHTTPD_BIN", "lhttp-server", "lhttpd")


@pytest.fixture(scope="session")
def lhttp_cli(lhttpd_bin):
    return _binary("LHTTP_CLI_BIN", "lhttp-client", "lhttp", "cli")


class Lhttpd:
    """One lhttpd process; `restart()` brings it back on the same port."""

    def __init__(self, binary, log_dir, args=()):
        self.binary = binary
        self.args = list(args)
        self.log_dir = log_dir
        self.port = 0
        self.proc = None
        self.starts = 0

    def start(self):
        self.starts += 1
        log = open(self.log_dir / f"lhttpd-{self.starts}.log", "wb")
        self.proc = subprocess.Popen(
            [self.binary, "--listen", f"127.0.0.1:{self.port}", *self.args],
            stdout=subprocess.PIPE,
            stderr=log,
            cwd=self.log_dir,
        )
        log.close()
        for line in self.proc.stdout:
            match = LISTENING.search(line.decode("utf-8", "replace"))
            if match:
                self.port = int(match.group(2))
                break
        else:
            raise RuntimeError(f"lhttpd exited ({self.proc.wait()}) before listening; see {self.log_dir}")
        # Keep reading stdout so the server never blocks on a full pipe.
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def restart(self):
        self.stop()
        return self.start()

    @property
    def url(self):
        """The WebSocket URL."""
        return f"ws://127.0.0.1:{self.port}/"

    @property
    def http(self):
        """The HTTP base URL (POST /publish)."""
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def start_server(lhttpd_bin, tmp_path):
    """Starts lhttpd with extra flags; every server started is stopped at the end."""
    servers = []

    def start(*args):
        server = Lhttpd(lhttpd_bin, tmp_path, args).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def server(start_server):
    """A fresh lhttpd on a free loopback port."""
    return start_server()
