"""Run the example end to end: the provider's REST API, and the storefront that reads it.

    make demo                       # or: .venv/bin/python example_project/demo.py

1. migrates and seeds the provider's SQLite database (``example_project/provider.sqlite3``,
   or ``$PROVIDER_DB``); seeding writes the same fixed data every time, so a restart
   starts from a known catalogue;
2. serves the storefront with uvicorn on 127.0.0.1:$DEMO_PORT (default 8000) and the
   provider with uvicorn on 127.0.0.1:$PROVIDER_PORT (default 8001): two processes,
   the storefront reaching the provider over real HTTP with a token, as any consumer
   of a remote API does (the storefront starts while the database is prepared);
3. waits until both answer, then prints the address to open.

Ctrl-C (SIGINT), SIGTERM or SIGHUP stops both servers and waits until they have
exited. The servers run in their own sessions, so only this script receives the
terminal's Ctrl-C and stops them in order, the storefront first.

Environment: ``DEMO_PORT``, ``PROVIDER_PORT``, ``PROVIDER_DB``, ``PROVIDER_TOKEN``
(default: a new random token each run, printed below the address), ``DJANGO_DEBUG``
(the storefront's; off by default, so that its own 404 and 500 pages show).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import FrameType
from typing import IO

REPO_ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
SETTINGS_MODULE = "example_project.settings"
ASGI_APP = "example_project.asgi:application"
#: Seconds both servers may take to answer their first request.
START_TIMEOUT = 30.0
#: Seconds a server may take to exit after SIGTERM before it is killed.
STOP_TIMEOUT = 10.0
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Shutdown(Exception):
    """A signal asked the demo to stop."""


class Signals:
    """Turn the stop signals into ``Shutdown``, except while a server is being started.

    A signal that arrived between ``Popen()`` and recording the process would leave
    that process running; inside ``deferred()`` it is held until the block ends.
    """

    def __init__(self) -> None:
        self._deferring = False
        self._pending: int | None = None

    def install(self) -> None:
        for sig in STOP_SIGNALS:
            signal.signal(sig, self._handle)

    @staticmethod
    def ignore() -> None:
        for sig in STOP_SIGNALS:
            signal.signal(sig, signal.SIG_IGN)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self._deferring:
            self._pending = signum
            return
        self.ignore()  # nothing may interrupt stopping the servers
        raise Shutdown(signal.Signals(signum).name)

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        self._deferring = True
        try:
            yield
        finally:
            self._deferring = False
            if self._pending is not None:
                self._handle(self._pending, None)


class DemoError(Exception):
    """The demo cannot start; the message says why and what to do."""


class Server:
    """A uvicorn subprocess whose output is copied to ours, each line prefixed by its name."""

    def __init__(self, name: str, port: int, env: Mapping[str, str]) -> None:
        self.name = name
        self.port = port
        self.url = f"http://{HOST}:{port}/"
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            ASGI_APP,
            "--host",
            HOST,
            "--port",
            str(port),
            "--lifespan",
            "off",  # Django has no lifespan handler; this avoids uvicorn's notice about it
        ]
        self.process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            # Its own session: the terminal's Ctrl-C reaches only us, and we stop it.
            start_new_session=True,
        )
        assert self.process.stdout is not None
        self._output = threading.Thread(
            target=self._copy_output, args=(self.process.stdout,), daemon=True
        )
        self._output.start()

    def _copy_output(self, stream: IO[str]) -> None:
        for line in stream:
            print(f"{self.name:>10} | {line}", end="", flush=True)

    def check_alive(self) -> None:
        """Raise ``DemoError`` if the server has exited."""
        code = self.process.poll()
        if code is not None:
            self._output.join(timeout=1.0)
            raise DemoError(f"The {self.name} exited with status {code} (its output is above).")

    def stop(self) -> None:
        """SIGTERM the server, wait for it, kill it if it does not exit in time."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT)
        self._output.join(timeout=1.0)


def port_from_env(name: str, default: int) -> int:
    raw = os.environ.get(name) or str(default)
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise DemoError(f"{name} must be a TCP port number (1-65535), not {raw!r}.")
    return int(raw)


def check_port_free(name: str, port: int) -> None:
    """Raise ``DemoError`` naming the variable to set if ``port`` is taken on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            raise DemoError(
                f"Port {port} on {HOST} is in use. Stop what listens there, or choose "
                f"another port: {name}=<port> make demo"
            ) from None


def prepare_database(token: str) -> None:
    """Migrate the provider's database and seed it (the same data every time)."""
    sys.path.insert(0, str(REPO_ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    import django
    from django.core.management import call_command
    from django.db import connections

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    call_command("seed", token=token)
    connections.close_all()


def wait_until_ready(server: Server, url: str, headers: Mapping[str, str], deadline: float) -> None:
    """Return once ``url`` answers 200; raise ``DemoError`` if the server fails or is late."""
    request = urllib.request.Request(url, headers=dict(headers))
    while True:
        server.check_alive()
        try:
            with urllib.request.urlopen(request, timeout=10.0) as response:
                if response.status == 200:
                    return
        except urllib.error.HTTPError as error:
            raise DemoError(
                f"{url} answered {error.code}; see the {server.name}'s log above."
            ) from None
        except OSError:
            pass  # not listening yet
        if time.monotonic() > deadline:
            raise DemoError(f"The {server.name} did not answer {url} within {START_TIMEOUT:.0f} s.")
        time.sleep(0.05)


def main() -> int:
    started = time.monotonic()
    signals = Signals()
    signals.install()
    servers: list[Server] = []
    try:
        demo_port = port_from_env("DEMO_PORT", 8000)
        provider_port = port_from_env("PROVIDER_PORT", 8001)
        if demo_port == provider_port:
            raise DemoError("DEMO_PORT and PROVIDER_PORT must differ.")
        check_port_free("DEMO_PORT", demo_port)
        check_port_free("PROVIDER_PORT", provider_port)
        token = os.environ.get("PROVIDER_TOKEN") or secrets.token_hex(20)
        api_url = f"http://{HOST}:{provider_port}/api/"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
            "DJANGO_SERVE_STATIC": "1",
            "PROVIDER_TOKEN": token,
            "PROVIDER_URL": api_url,
            "PYTHONUNBUFFERED": "1",
        }
        # The storefront shows its own 404 and 500 pages, which Django replaces by its
        # debug pages when DEBUG is on (DJANGO_DEBUG=1 make demo brings those back);
        # the provider keeps DEBUG on, for the browsable API's tracebacks.
        storefront_env = {**env, "DJANGO_DEBUG": os.environ.get("DJANGO_DEBUG", "0")}
        provider_env = {**env, "DJANGO_DEBUG": "1"}

        with signals.deferred():
            storefront = Server("storefront", demo_port, storefront_env)
            servers.append(storefront)
        prepare_database(token)
        with signals.deferred():
            provider = Server("provider", provider_port, provider_env)
            servers.append(provider)

        deadline = time.monotonic() + START_TIMEOUT
        wait_until_ready(provider, api_url, {"Authorization": f"Token {token}"}, deadline)
        wait_until_ready(storefront, storefront.url, {}, deadline)
        elapsed = time.monotonic() - started
        print(
            f"\n  The storefront is ready (first page served {elapsed:.1f} s after start):\n\n"
            f"      {storefront.url}\n\n"
            f"  It reads the provider's API at {api_url} (another process), e.g.\n"
            f'      curl -H "Authorization: Token {token}" {api_url}books/\n\n'
            "  Press Ctrl-C to stop both servers.\n",
            flush=True,
        )
        while True:
            for server in servers:
                server.check_alive()
            time.sleep(0.5)
    except Shutdown:
        print("\nStopping the storefront and the provider...", flush=True)
        return 0
    except DemoError as error:
        print(f"\nmake demo: {error}", file=sys.stderr, flush=True)
        return 1
    finally:
        signals.ignore()
        for server in servers:  # the storefront first: it is the provider's client
            server.stop()


if __name__ == "__main__":
    sys.exit(main())
