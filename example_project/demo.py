"""Run the example end to end: the provider's REST API, and the storefront that reads it.

    make demo                       # or: .venv/bin/python example_project/demo.py
    make demo WORKERS=4             # four storefront processes sharing one Redis

1. migrates and seeds the provider's SQLite database (``example_project/provider.sqlite3``,
   or ``$PROVIDER_DB``); seeding writes the same fixed data every time, so a restart
   starts from a known catalogue;
2. serves the storefront with uvicorn on 127.0.0.1:$DEMO_PORT (default 8000) and the
   provider with uvicorn on 127.0.0.1:$PROVIDER_PORT (default 8001): two processes,
   the storefront reaching the provider over real HTTP with a token, as any consumer
   of a remote API does (the storefront starts while the database is prepared);
3. waits until both answer, then prints the address to open, and the login of the
   storefront's admin (``/admin/``: user ``admin``, a password printed there).

With ``WORKERS=N`` (N > 1) the storefront runs as N uvicorn worker processes, as a
site behind one address would, and the demo first starts a ``redis-server`` of its
own (Debian's package, installed by ``.ci/install-redis`` when missing) on
127.0.0.1:$REDIS_PORT (default: a free port), saving nothing to disk. The
storefront's settings then keep ``CACHES["default"]`` in it, and the provider's
service gets a ``CACHE`` (fresh for 30 s), a ``RATE_LIMIT`` and a
``CIRCUIT_BREAKER`` that every worker shares (``docs/topics/scaling.rst``). Without
``WORKERS`` (or with 1), one storefront process and no Redis.

Ctrl-C (SIGINT), SIGTERM or SIGHUP stops both servers (and Redis) and waits until
they have exited. The servers run in their own sessions, so only this script receives the
terminal's Ctrl-C and stops them in order, the storefront first.

Environment: ``DEMO_PORT``, ``PROVIDER_PORT``, ``PROVIDER_DB``, ``PROVIDER_TOKEN``
(default: a new random token each run, printed below the address),
``DEMO_ADMIN_PASSWORD`` (the password of the storefront admin's user ``admin``;
default: a new random one each run, printed below the address), ``DJANGO_DEBUG``
(the storefront's; off by default, so that its own 404 and 500 pages show;
``DJANGO_DEBUG=1 make demo`` shows django-debug-toolbar on its pages, with a panel
of the requests each page made to the provider),
``WORKERS`` (the storefront's processes, default 1), ``REDIS_PORT`` (with
``WORKERS`` > 1).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import FrameType
from typing import IO, Any

REPO_ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
SETTINGS_MODULE = "example_project.settings"
ASGI_APP = "example_project.asgi:application"
#: Seconds both servers may take to answer their first request.
START_TIMEOUT = 30.0
#: Seconds a server may take to exit after SIGTERM before it is killed.
STOP_TIMEOUT = 10.0
#: Seconds redis-server may take to answer PING.
REDIS_START_TIMEOUT = 20.0
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

    def __init__(self, name: str, port: int, env: Mapping[str, str], workers: int = 1) -> None:
        self.name = name
        self.port = port
        self.url = f"http://{HOST}:{port}/"
        # uvicorn's --workers: a supervisor process that starts (and restarts) them.
        many = ["--workers", str(workers)] if workers > 1 else []
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
            *many,
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
        stop_process(self.process)
        self._output.join(timeout=1.0)


def stop_process(process: subprocess.Popen[Any]) -> None:
    """SIGTERM ``process``, wait for it; kill its whole session if it does not exit in time.

    The session is its own (``start_new_session``): killing it also kills the workers
    a uvicorn supervisor started.
    """
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=STOP_TIMEOUT)


def redis_server_binary() -> str:
    """Return the path of ``redis-server``, installing Debian's package if it is missing."""
    found = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )
    if found is None:
        installer = REPO_ROOT / ".ci" / "install-redis"
        try:
            subprocess.run([str(installer)], check=True, timeout=600)
        except (OSError, subprocess.SubprocessError):
            raise DemoError(
                "WORKERS needs redis-server, and .ci/install-redis could not install it "
                "(it needs root, or sudo): install Debian's redis-server package, or run "
                "the demo without WORKERS."
            ) from None
        found = shutil.which("redis-server") or "/usr/bin/redis-server"
    return found


def free_port() -> int:
    """Return a TCP port of 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def redis_answers(port: int) -> bool:
    """Tell whether a Redis server on ``port`` answers ``PING``."""
    try:
        with socket.create_connection((HOST, port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class Redis:
    """A ``redis-server`` on 127.0.0.1 that saves nothing to disk, for the storefront's workers."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"redis://{HOST}:{port}/0"
        binary = redis_server_binary()
        self._directory = tempfile.TemporaryDirectory(prefix="demo-redis-")
        # fmt: off
        command = [
            binary, "--bind", HOST, "--port", str(port), "--save", "", "--appendonly", "no",
            "--dir", self._directory.name, "--protected-mode", "no", "--loglevel", "warning",
        ]
        # fmt: on
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # as the servers: only we stop it
        )

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + REDIS_START_TIMEOUT
        while not redis_answers(self.port):
            code = self.process.poll()
            if code is not None:
                raise DemoError(f"redis-server exited with status {code} on port {self.port}.")
            if time.monotonic() > deadline:
                raise DemoError(f"redis-server did not answer within {REDIS_START_TIMEOUT:.0f} s.")
            time.sleep(0.05)

    def stop(self) -> None:
        stop_process(self.process)
        self._directory.cleanup()


def port_from_env(name: str, default: int) -> int:
    raw = os.environ.get(name) or str(default)
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise DemoError(f"{name} must be a TCP port number (1-65535), not {raw!r}.")
    return int(raw)


def workers_from_env() -> int:
    raw = os.environ.get("WORKERS") or "1"
    if not raw.isdigit() or not 0 < int(raw) <= 64:
        raise DemoError(f"WORKERS must be a number of processes (1-64), not {raw!r}.")
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


#: The storefront admin's login (``/admin/``), made by ``prepare_database``.
ADMIN_USERNAME = "admin"


def prepare_database(token: str, admin_password: str) -> None:
    """Migrate the provider's database and seed it (the same data every time); make the
    admin's login (user ``admin``, ``admin_password``) for the storefront's admin."""
    sys.path.insert(0, str(REPO_ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    import django
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connections

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    call_command("seed", token=token)
    # The admin's users, sessions and log entries are Django's own tables. The demo's
    # two processes share one SQLite file, so they sit beside the provider's tables;
    # the storefront's remote models never read them.
    user, _created = get_user_model().objects.get_or_create(username=ADMIN_USERNAME)
    user.is_staff = user.is_superuser = True
    user.set_password(admin_password)
    user.save()
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
    redis: Redis | None = None
    try:
        demo_port = port_from_env("DEMO_PORT", 8000)
        provider_port = port_from_env("PROVIDER_PORT", 8001)
        workers = workers_from_env()
        if demo_port == provider_port:
            raise DemoError("DEMO_PORT and PROVIDER_PORT must differ.")
        check_port_free("DEMO_PORT", demo_port)
        check_port_free("PROVIDER_PORT", provider_port)
        redis_port = 0
        if workers > 1:
            if os.environ.get("REDIS_PORT"):
                redis_port = port_from_env("REDIS_PORT", 0)
                if redis_port in (demo_port, provider_port):
                    raise DemoError("REDIS_PORT must differ from DEMO_PORT and PROVIDER_PORT.")
                check_port_free("REDIS_PORT", redis_port)
            else:
                redis_port = free_port()
        token = os.environ.get("PROVIDER_TOKEN") or secrets.token_hex(20)
        admin_password = os.environ.get("DEMO_ADMIN_PASSWORD") or secrets.token_urlsafe(9)
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
        # Only the storefront's workers share the Redis (example_project/settings.py).
        storefront_env.pop("STOREFRONT_REDIS_URL", None)
        provider_env.pop("STOREFRONT_REDIS_URL", None)

        if workers > 1:
            with signals.deferred():
                redis = Redis(redis_port)
            redis.wait_until_ready()
            storefront_env["STOREFRONT_REDIS_URL"] = redis.url
        with signals.deferred():
            storefront = Server("storefront", demo_port, storefront_env, workers=workers)
            servers.append(storefront)
        prepare_database(token, admin_password)
        with signals.deferred():
            provider = Server("provider", provider_port, provider_env)
            servers.append(provider)

        deadline = time.monotonic() + START_TIMEOUT
        wait_until_ready(provider, api_url, {"Authorization": f"Token {token}"}, deadline)
        wait_until_ready(storefront, storefront.url, {}, deadline)
        elapsed = time.monotonic() - started
        shared = (
            f"  {workers} storefront processes share the provider's GET answers (30 s), one\n"
            f"  request budget and one circuit breaker in Redis at {redis.url}\n\n"
            if redis is not None
            else ""
        )
        print(
            f"\n  The storefront is ready (first page served {elapsed:.1f} s after start):\n\n"
            f"      {storefront.url}\n\n"
            f"  Its admin edits the provider's books, authors and genres over the API:\n\n"
            f"      {storefront.url}admin/   (user {ADMIN_USERNAME}, password {admin_password})\n\n"
            f"  It reads the provider's API at {api_url} (another process), e.g.\n"
            f'      curl -H "Authorization: Token {token}" {api_url}books/\n\n'
            f"{shared}"
            "  Press Ctrl-C to stop both servers.\n",
            flush=True,
        )
        while True:
            for server in servers:
                server.check_alive()
            if redis is not None and redis.process.poll() is not None:
                raise DemoError(f"redis-server exited with status {redis.process.returncode}.")
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
        if redis is not None:  # last: the storefront's workers use it until they exit
            redis.stop()


if __name__ == "__main__":
    sys.exit(main())
