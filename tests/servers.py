"""Serve an ASGI app in a subprocess on 127.0.0.1, for tests that need real HTTP.

``start_uvicorn("example_project.asgi:application")`` and
``start_hypercorn("tests.client.fault_server:app", certfile=..., keyfile=...)``
are context managers: they pick a free port, start the server with the
current interpreter from the repository root (so project modules import),
wait until it accepts connections, yield its base URL
(``"http://127.0.0.1:PORT/"``) and stop it on exit, killing it if it does not
stop in time.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

__all__ = ["REPO_ROOT", "free_port", "start_hypercorn", "start_uvicorn"]

REPO_ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
#: Seconds a server may take to start accepting connections.
START_TIMEOUT = 30.0
#: Seconds a server may take to stop after SIGTERM before it is killed.
STOP_TIMEOUT = 10.0
#: Port collisions (another process took the probed port) are retried this often.
_START_ATTEMPTS = 3


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _accepts(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        try:
            sock.connect((HOST, port))
        except OSError:
            return False
        return True


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT)


@contextlib.contextmanager
def _serve(
    command: Callable[[int], list[str]],
    scheme: str,
    *,
    env: Mapping[str, str] | None,
) -> Iterator[str]:
    """Run ``command(port)`` until it accepts connections on ``port``; yield its URL."""
    with tempfile.TemporaryFile() as output:
        for attempt in range(_START_ATTEMPTS):
            port = free_port()
            process = subprocess.Popen(
                command(port),
                cwd=REPO_ROOT,
                env=dict(env) if env is not None else None,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
            try:
                deadline = time.monotonic() + START_TIMEOUT
                while process.poll() is None and not _accepts(port):
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"{command(port)[2]} did not start within 30 s")
                    time.sleep(0.05)
                if process.poll() is not None:
                    output.seek(0)
                    log = output.read().decode(errors="replace")
                    if "address already in use" in log.lower() and attempt + 1 < _START_ATTEMPTS:
                        continue  # another process took the port first; pick another
                    raise RuntimeError(
                        f"server exited with status {process.returncode}:\n{log[-4000:]}"
                    )
                yield f"{scheme}://{HOST}:{port}/"
                return
            finally:
                _stop(process)
        raise RuntimeError("no free port found")  # pragma: no cover


@contextlib.contextmanager
def start_uvicorn(
    app_path: str,
    *,
    env: Mapping[str, str] | None = None,
    extra_args: Sequence[str] = (),
) -> Iterator[str]:
    """Serve ``app_path`` (``"module:attribute"``) with uvicorn; yield ``"http://127.0.0.1:PORT/"``.

    ``env`` is the server's whole environment (``None``: this process's);
    ``extra_args`` are appended to uvicorn's command line. The server runs
    from the repository root and is stopped when the block exits.
    """

    def command(port: int) -> list[str]:
        return [
            sys.executable,
            "-m",
            "uvicorn",
            app_path,
            "--host",
            HOST,
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
            *extra_args,
        ]

    with _serve(command, "http", env=env) as url:
        yield url


@contextlib.contextmanager
def start_hypercorn(
    app_path: str,
    *,
    certfile: str | Path,
    keyfile: str | Path,
    env: Mapping[str, str] | None = None,
    extra_args: Sequence[str] = (),
) -> Iterator[str]:
    """Serve ``app_path`` with hypercorn over TLS (HTTP/2 and HTTP/1.1); yield its https URL."""

    def command(port: int) -> list[str]:
        return [
            sys.executable,
            "-m",
            "hypercorn",
            "--bind",
            f"{HOST}:{port}",
            "--certfile",
            str(certfile),
            "--keyfile",
            str(keyfile),
            *extra_args,
            app_path,
        ]

    with _serve(command, "https", env=env) as url:
        yield url
