"""A real ``redis-server`` on 127.0.0.1 for the tests of the shared state (Debian's package).

``start_redis()`` is a context manager: it installs ``redis-server`` with apt-get when
it is missing (``.ci/install-redis``, which needs root), starts it on a free port with
nothing saved to disk, waits for ``PING``, yields a :class:`RedisServer` and stops it on
exit (killing it if it does not stop in time). ``server.stop()`` and ``server.start()``
take it down and up again on the same port, for the outage tests.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.servers import HOST, REPO_ROOT, free_port

__all__ = ["RedisServer", "redis_server_binary", "start_redis"]

START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0


def redis_server_binary() -> str:
    """Return the path of ``redis-server``, installing Debian's package if it is missing."""
    found = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )
    if found is None:
        subprocess.run([str(REPO_ROOT / ".ci" / "install-redis")], check=True, timeout=600)
        found = shutil.which("redis-server") or "/usr/bin/redis-server"
    return found


def _ping(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@dataclass
class RedisServer:
    """A running redis-server: ``url`` to give ``CACHES``; ``stop()``/``start()`` for outages."""

    port: int
    directory: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def start(self) -> None:
        """Start it (again) on its port; return once it answers ``PING``."""
        self.process = subprocess.Popen(
            [
                redis_server_binary(),
                "--bind",
                HOST,
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
                "--protected-mode",
                "no",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while not _ping(self.port):
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with status {self.process.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not answer PING within 20 s")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop it; the port stays this server's."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT)

    def flush(self) -> None:
        """Empty every database (between tests)."""
        with socket.create_connection((HOST, self.port), timeout=2.0) as sock:
            sock.sendall(b"FLUSHALL\r\n")
            sock.recv(16)


@contextlib.contextmanager
def start_redis() -> Iterator[RedisServer]:
    """Run a redis-server on a free port of 127.0.0.1 for the block; stop it after."""
    with tempfile.TemporaryDirectory(prefix="redis-") as directory:
        server = RedisServer(port=free_port(), directory=Path(directory))
        server.start()
        try:
            yield server
        finally:
            server.stop()
