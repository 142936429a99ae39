"""Build, start and stop a real NetBox (PyPI ``netbox``, pinned in requirements.txt) on 127.0.0.1.

Standard library only: it runs in the test process (the project's Python 3.11 ``.venv``) and
as a command::

    python tests/netbox/server.py up       # build what is missing, start, print URL and token
    python tests/netbox/server.py status   # what runs, and whether /api/status/ answers
    python tests/netbox/server.py down     # stop everything recorded under .netbox/run/

``start()`` returns a :class:`NetBoxServer` (``url``, ``token``, ``auth_header``, ``stop()``);
``tests/netbox/conftest.py`` calls it once per session.

Everything lives under ``<repo>/.netbox/`` (gitignored)::

    venv/            Python 3.12 venv with requirements.txt installed (--no-deps: only the pins)
    venv.stamp       sha256 of requirements.txt + the interpreter the venv was built from
    root/            NETBOX_ROOT: conf/configuration.py (the wheel reads it from there), media/...
    state.json       per-build secrets: SECRET_KEY, API_TOKEN_PEPPERS, admin password, tokens
    pg/data/         PostgreSQL cluster (owned by the ``postgres`` user when we run as root)
    db.stamp         requirements hash whose ``migrate`` + superuser + tokens are in the template
    redis/           redis-server's --dir (nothing is saved: --save '')
    run/             pid files (gunicorn.pid, redis.pid; PostgreSQL's is pg/data/postmaster.pid)
                     and server.json (ports, URL) of the running instance
    logs/            postgres.log, redis.log, gunicorn.log, build.log
    timings.json     seconds the last cold (built something) and warm ``start()`` took
    lock             flock()ed by the process owning the running instance: a second
                     session waits for it; ``down`` will not stop a live session's servers

Database: ``migrate`` runs once into ``netbox_template`` (then the superuser ``admin`` and two
API tokens are added to it). Every ``start()`` drops ``netbox`` and re-creates it from that
template, so each session begins with an empty NetBox whose primary keys start at 1 (the seed
relies on it) and the tokens already valid. A warm start only starts processes and clones the
database.

Processes (each in its own session/process group, so a Ctrl-C in the terminal does not reach
them before we stop them in order): PostgreSQL via ``pg_ctl start`` (as ``postgres``), Redis,
and gunicorn serving ``netbox.wsgi`` with 2 workers x 4 threads. ``stop()``/``down`` stops
gunicorn (SIGTERM to its group, SIGKILL after a timeout), PostgreSQL (``pg_ctl stop -m
fast``), then Redis.

Tokens: NetBox 4.7 creates v2 tokens by default; they need ``API_TOKEN_PEPPERS`` and are sent
as ``Authorization: Bearer nbt_<key>.<token>``. A legacy v1 token (``Authorization: Token
<40 chars>``) is created as well; both have write rights and belong to the superuser.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import glob
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

__all__ = ["BASE", "NetBoxServer", "is_running", "start", "status", "stop"]

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
REQUIREMENTS = HERE / "requirements.txt"
BASE = REPO_ROOT / ".netbox"
VENV = BASE / "venv"
VENV_STAMP = BASE / "venv.stamp"
NETBOX_ROOT = BASE / "root"
CONFIGURATION = NETBOX_ROOT / "conf" / "configuration.py"
STATE = BASE / "state.json"
PG_DIR = BASE / "pg"
PG_DATA = PG_DIR / "data"
DB_STAMP = BASE / "db.stamp"
REDIS_DIR = BASE / "redis"
RUN = BASE / "run"
LOGS = BASE / "logs"
TIMINGS = BASE / "timings.json"
SERVER_JSON = RUN / "server.json"
GUNICORN_PID = RUN / "gunicorn.pid"
REDIS_PID = RUN / "redis.pid"
#: flock()ed by the process that owns the running instance (one instance per .netbox/).
LOCK = BASE / "lock"

HOST = "127.0.0.1"
DB_NAME = "netbox"
TEMPLATE_DB = "netbox_template"
ADMIN_USER = "admin"
#: gunicorn workers and threads per worker.
WORKERS = 2
THREADS = 4
#: Seconds NetBox may take to answer /api/status/ after gunicorn starts.
HTTP_START_TIMEOUT = 120.0
#: Seconds a process may take to exit after SIGTERM before it is killed.
STOP_TIMEOUT = 20.0
#: Seconds allowed for pip, migrate and the other build commands.
BUILD_TIMEOUT = 1800.0
#: Seconds start() waits for another session that uses .netbox/ to stop.
LOCK_TIMEOUT = 1800.0
_TOKEN_CHARS = string.ascii_letters + string.digits


class NetBoxError(RuntimeError):
    """A build or start step failed; the message says which and quotes its log."""


@dataclass
class NetBoxServer:
    """A running NetBox: its API root, the credentials it accepts, and how to stop it."""

    url: str  # "http://127.0.0.1:PORT/api/"
    token: str  # v2 credential, "nbt_<key>.<token>"
    auth_header: str  # "Bearer nbt_<key>.<token>": the Authorization value NetBox 4.7 wants
    v1_token: str  # legacy v1 token, 40 characters
    v1_auth_header: str  # "Token <40 chars>": also accepted by NetBox 4.7
    username: str
    password: str = field(repr=False)
    ports: dict[str, int] = field(default_factory=dict)
    setup_seconds: float = 0.0
    cold: bool = False

    @property
    def base_url(self) -> str:
        """Return the server root, ``http://127.0.0.1:PORT/``."""
        return self.url.removesuffix("api/")

    @property
    def headers(self) -> dict[str, str]:
        """Return the headers an API client sends (v2 token, JSON)."""
        return {"Authorization": self.auth_header, "Accept": "application/json"}

    def stop(self) -> None:
        """Stop NetBox, PostgreSQL and Redis (idempotent)."""
        stop()


# ---------------------------------------------------------------------------- helpers


def _log(message: str) -> None:
    print(f"[netbox] {message}", file=sys.stderr, flush=True)


def _requirements_hash() -> str:
    return hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()


def _free_port() -> int:
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


def _tail(path: Path, chars: int = 4000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return f"(no {path})"


def _as_root() -> bool:
    return os.geteuid() == 0


def _run(
    cmd: Sequence[str | os.PathLike[str]],
    *,
    env: Mapping[str, str] | None = None,
    user: str | None = None,
    timeout: float = BUILD_TIMEOUT,
    log: Path | None = None,
    check: bool = True,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``cmd``; output goes to ``log`` (appended) or is captured; NetBoxError if it fails."""
    args = [str(part) for part in cmd]
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a") as out:
            out.write(f"\n$ {' '.join(args)}\n")
            out.flush()
            result = subprocess.run(
                args,
                env=dict(env) if env is not None else None,
                user=user,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=timeout,
                check=False,
                cwd=cwd,
            )
    else:
        result = subprocess.run(
            args,
            env=dict(env) if env is not None else None,
            user=user,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=cwd,
        )
    if check and result.returncode != 0:
        detail = _tail(log) if log is not None else f"{result.stdout}\n{result.stderr}"
        raise NetBoxError(f"{' '.join(args)} exited with {result.returncode}:\n{detail}")
    return result


def _pid_alive(pid: int, name: str | None = None) -> bool:
    """Whether ``pid`` runs (and, given ``name``, its command line mentions it)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.rsplit(")", 1)[1].split()[0] == "Z":
            return False  # a zombie: exited, not yet reaped
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (OSError, IndexError):
        return True
    return name is None or name in cmdline


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


#: Processes this Python process started (so it can reap them; no zombies in ``ps``).
_children: dict[str, subprocess.Popen[bytes]] = {}


def _wait_gone(pid: int, name: str, timeout: float) -> bool:
    child = next((p for p in _children.values() if p.pid == pid), None)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=0.1)
            if child.poll() is not None:
                return True
        elif not _pid_alive(pid, name):
            return True
        else:
            time.sleep(0.1)
    return False


def _stop_group(pid_file: Path, name: str) -> None:
    """SIGTERM the process group led by the pid in ``pid_file``; SIGKILL it if it lingers."""
    pid = _read_pid(pid_file)
    alive = pid is not None and _pid_alive(pid, name)
    if pid is not None and alive:
        _log(f"stopping {name} (pid {pid})")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
        if not _wait_gone(pid, name, STOP_TIMEOUT):
            _log(f"{name} did not stop in {STOP_TIMEOUT:.0f} s: SIGKILL")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            _wait_gone(pid, name, STOP_TIMEOUT)
    # Reap the group leader if it is ours, and any stragglers of its group.
    for key, child in list(_children.items()):
        if child.pid == pid:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=STOP_TIMEOUT)
            del _children[key]
    if pid is not None and alive:  # a worker that outlived its master
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
    pid_file.unlink(missing_ok=True)


# ---------------------------------------------------------------------------- system packages


def _pg_bin() -> Path | None:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    return Path(found[-1]).parent if found else None


def _redis_server() -> str | None:
    return shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )


def ensure_system_packages() -> None:
    """apt-get install PostgreSQL / Redis if their binaries are missing (needs root)."""
    missing = []
    if _pg_bin() is None:
        missing.append("postgresql")
    if _redis_server() is None:
        missing.append("redis-server")
    if not shutil.which("pg_config"):
        missing.append("libpq-dev")  # psycopg-c (NetBox pins psycopg[c]) builds against libpq
    if not shutil.which("cc"):
        missing.append("gcc")
    if not missing:
        return
    if not _as_root():
        raise NetBoxError(
            f"missing system packages {missing}; install them (apt-get) or run as root"
        )
    _log(f"apt-get install {' '.join(missing)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    _run(["apt-get", "update"], env=env, log=LOGS / "build.log")
    _run(
        ["apt-get", "install", "-y", "--no-install-recommends", *missing],
        env=env,
        log=LOGS / "build.log",
    )


# ---------------------------------------------------------------------------- venv


def _python312() -> str:
    """A Python >= 3.12 for NetBox's venv: $NETBOX_PYTHON, pyenv's 3.12/3.13, or PATH."""
    candidates = [os.environ.get("NETBOX_PYTHON", "")]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    for minor in ("3.12", "3.13"):
        candidates += sorted(glob.glob(str(pyenv / f"{minor}.*" / "bin" / "python")), reverse=True)
        candidates.append(shutil.which(f"python{minor}") or "")
    for candidate in filter(None, candidates):
        result = subprocess.run(
            [candidate, "-c", "import sys; print(sys.version_info >= (3, 12))"],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.stdout.strip() == "True":
            return candidate
    raise NetBoxError("NetBox needs Python >= 3.12: set NETBOX_PYTHON or install it with pyenv")


def ensure_venv() -> bool:
    """Build ``.netbox/venv`` unless its stamp matches requirements.txt; return True if built."""
    python = _python312()
    stamp = f"{_requirements_hash()} {python}\n"
    if (
        VENV_STAMP.exists()
        and VENV_STAMP.read_text() == stamp
        and (VENV / "bin" / "gunicorn").exists()
    ):
        return False
    _log(f"building {VENV} with {python} (pip install -r {REQUIREMENTS.name}, a few minutes)")
    VENV_STAMP.unlink(missing_ok=True)
    shutil.rmtree(VENV, ignore_errors=True)
    log = LOGS / "build.log"
    _run([python, "-m", "venv", VENV], log=log)
    pip: list[str | os.PathLike[str]] = [
        VENV / "bin" / "python",
        "-m",
        "pip",
        "--disable-pip-version-check",
    ]
    _run([*pip, "install", "--quiet", "--upgrade", "pip"], log=log)
    # --no-deps: requirements.txt is NetBox's whole closure, so pip installs only the pins.
    _run([*pip, "install", "--quiet", "--no-deps", "-r", REQUIREMENTS], log=log)
    _run([*pip, "check"], log=log)
    VENV_STAMP.write_text(stamp)
    return True


# ---------------------------------------------------------------------------- configuration


def _random(length: int, chars: str = _TOKEN_CHARS) -> str:
    return "".join(secrets.choice(chars) for _ in range(length))


def _load_state() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(STATE.read_text())
    return data


def ensure_state() -> bool:
    """Create per-build secrets and tokens once; return True if new (the database is then stale)."""
    if STATE.exists():
        return False
    state = {
        "secret_key": _random(60, _TOKEN_CHARS + "!@#$%^&*(-_=+)"),
        "pepper": _random(64),
        "admin_password": _random(24),
        "v2_key": _random(12),  # users.constants.TOKEN_KEY_LENGTH
        "v2_token": _random(40),  # users.constants.TOKEN_DEFAULT_LENGTH
        "v1_token": _random(40),
    }
    STATE.parent.mkdir(parents=True, exist_ok=True)
    STATE.write_text(json.dumps(state, indent=2))
    STATE.chmod(0o600)
    return True


_CONFIGURATION = '''\
"""NetBox configuration written by tests/netbox/server.py (rewritten on every start).

Ports and the database name come from the environment server.py gives every NetBox process.
"""

import os

ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

DATABASES = {{
    "default": {{
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("NETBOX_TEST_DB", "netbox"),
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": "127.0.0.1",
        "PORT": os.environ["NETBOX_TEST_PG_PORT"],
        "CONN_MAX_AGE": 300,
    }}
}}

REDIS = {{
    "tasks": {{
        "HOST": "127.0.0.1",
        "PORT": int(os.environ["NETBOX_TEST_REDIS_PORT"]),
        "USERNAME": "",
        "PASSWORD": "",
        "DATABASE": 0,
        "SSL": False,
    }},
    "caching": {{
        "HOST": "127.0.0.1",
        "PORT": int(os.environ["NETBOX_TEST_REDIS_PORT"]),
        "USERNAME": "",
        "PASSWORD": "",
        "DATABASE": 1,
        "SSL": False,
    }},
}}

SECRET_KEY = {secret_key!r}

# v2 API tokens ("Bearer nbt_<key>.<token>") are hashed with a pepper; without one they fail.
API_TOKEN_PEPPERS = {{1: {pepper!r}}}

CENSUS_REPORTING_ENABLED = False
TIME_ZONE = "UTC"
'''


def write_configuration(state: Mapping[str, Any]) -> None:
    CONFIGURATION.parent.mkdir(parents=True, exist_ok=True)
    (CONFIGURATION.parent / "__init__.py").touch()
    text = _CONFIGURATION.format(secret_key=state["secret_key"], pepper=state["pepper"])
    if not CONFIGURATION.exists() or CONFIGURATION.read_text() != text:
        CONFIGURATION.write_text(text)
        CONFIGURATION.chmod(0o600)


def _netbox_env(ports: Mapping[str, int], db: str = DB_NAME) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "DJANGO_SETTINGS_MODULE"}
        and not key.startswith("NETBOX_")
    }
    env.update(
        {
            "PATH": f"{VENV / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}",
            "DJANGO_SETTINGS_MODULE": "netbox.settings",
            "NETBOX_ROOT": str(NETBOX_ROOT),
            "NETBOX_TEST_DB": db,
            "NETBOX_TEST_PG_PORT": str(ports["postgres"]),
            "NETBOX_TEST_REDIS_PORT": str(ports["redis"]),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _netbox(
    *args: str, ports: Mapping[str, int], db: str = DB_NAME, log: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the ``netbox`` console script (Django's manage.py for the wheel)."""
    return _run(
        [VENV / "bin" / "netbox", *args],
        env=_netbox_env(ports, db),
        log=log,
        cwd=NETBOX_ROOT,
    )


# ---------------------------------------------------------------------------- PostgreSQL


def _pg_user() -> str | None:
    """PostgreSQL refuses to run as root: run it as ``postgres`` then."""
    return "postgres" if _as_root() else None


def ensure_cluster() -> bool:
    """initdb ``.netbox/pg/data`` if absent; return True if created."""
    if (PG_DATA / "PG_VERSION").exists():
        return False
    pg_bin = _pg_bin()
    assert pg_bin is not None
    shutil.rmtree(PG_DIR, ignore_errors=True)
    DB_STAMP.unlink(missing_ok=True)
    PG_DATA.mkdir(parents=True)
    if _as_root():
        shutil.chown(PG_DIR, "postgres", "postgres")
        shutil.chown(PG_DATA, "postgres", "postgres")
    PG_DATA.chmod(0o700)
    _log("initdb")
    _run(
        [pg_bin / "initdb", "-D", PG_DATA, "-U", "postgres", "--auth=trust", "-E", "UTF8",
         "--no-locale", "--no-sync"],
        user=_pg_user(),
        log=None,
    )  # fmt: skip
    with (PG_DATA / "postgresql.conf").open("a") as conf:
        conf.write(
            "\n# tests/netbox/server.py: TCP on 127.0.0.1 only (port given at start), no socket\n"
            "listen_addresses = '127.0.0.1'\n"
            "unix_socket_directories = ''\n"
            "max_connections = 100\n"
            "# Throwaway test data: durability off for speed.\n"
            "fsync = off\n"
            "synchronous_commit = off\n"
            "full_page_writes = off\n"
        )
    return True


def _pg_log() -> Path:
    return PG_DIR / "postgres.log"


def _start_postgres() -> int:
    pg_bin = _pg_bin()
    assert pg_bin is not None
    for attempt in range(3):
        port = _free_port()
        result = _run(
            [pg_bin / "pg_ctl", "start", "-w", "-t", "60", "-D", PG_DATA, "-l", _pg_log(),
             "-o", f"-p {port}"],
            user=_pg_user(),
            check=False,
        )  # fmt: skip
        if result.returncode == 0:
            return port
        if "already in use" in _tail(_pg_log()) and attempt < 2:
            continue
        raise NetBoxError(
            f"pg_ctl start failed:\n{result.stdout}{result.stderr}\n{_tail(_pg_log())}"
        )
    raise NetBoxError("no free port for PostgreSQL")  # pragma: no cover


def _postgres_pid() -> int | None:
    pid = _read_pid(PG_DATA / "postmaster.pid")
    return pid if pid is not None and _pid_alive(pid, "postgres") else None


def _stop_postgres() -> None:
    pid = _postgres_pid()
    if pid is None:
        return
    pg_bin = _pg_bin()
    _log(f"stopping postgres (pid {pid}): pg_ctl stop -m fast")
    if pg_bin is not None:
        _run(
            [pg_bin / "pg_ctl", "stop", "-w", "-t", "30", "-m", "fast", "-D", PG_DATA],
            user=_pg_user(),
            check=False,
        )
    if _pid_alive(pid, "postgres"):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGQUIT)  # immediate shutdown
        _wait_gone(pid, "postgres", STOP_TIMEOUT)
    # pg_ctl's postmaster is re-parented to init once pg_ctl exits; give init a moment to reap
    # it so that `ps` right after a stop shows no <defunct> postgres either.
    deadline = time.monotonic() + 5
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)


def _psql(port: int, sql: str, *, db: str = "postgres") -> str:
    pg_bin = _pg_bin()
    assert pg_bin is not None
    result = _run(
        [pg_bin / "psql", "-h", HOST, "-p", str(port), "-U", "postgres", "-d", db,
         "-v", "ON_ERROR_STOP=1", "-tAc", sql],
        timeout=120,
    )  # fmt: skip
    return result.stdout.strip()


def ensure_template(ports: Mapping[str, int]) -> bool:
    """migrate into ``netbox_template`` + superuser + tokens, unless db.stamp says done."""
    stamp = _requirements_hash() + "\n"
    if DB_STAMP.exists() and DB_STAMP.read_text() == stamp:
        return False
    state = _load_state()
    exists = _psql(ports["postgres"], f"SELECT 1 FROM pg_database WHERE datname = '{TEMPLATE_DB}'")
    if not exists:
        _psql(ports["postgres"], f"CREATE DATABASE {TEMPLATE_DB}")
    _log("netbox migrate (once per requirements.txt; a few minutes)")
    log = LOGS / "build.log"
    _netbox("migrate", "--no-input", ports=ports, db=TEMPLATE_DB, log=log)
    script = f"""
from users.models import Token, User
user = User.objects.filter(username={ADMIN_USER!r}).first()
if user is None:
    user = User.objects.create_superuser(
        {ADMIN_USER!r}, "admin@example.com", {state["admin_password"]!r}
    )
if not Token.objects.filter(version=2, key={state["v2_key"]!r}).exists():
    Token(version=2, user=user, key={state["v2_key"]!r}, token={state["v2_token"]!r},
          write_enabled=True, description="tests/netbox v2").save()
if not Token.objects.filter(version=1, plaintext={state["v1_token"]!r}).exists():
    Token(version=1, user=user, token={state["v1_token"]!r},
          write_enabled=True, description="tests/netbox v1").save()
print("tokens:", Token.objects.count())
"""
    _netbox("shell", "--no-imports", "-c", script, ports=ports, db=TEMPLATE_DB, log=log)
    DB_STAMP.write_text(stamp)
    return True


def reset_database(ports: Mapping[str, int]) -> None:
    """Drop ``netbox`` and clone it from the migrated template: empty data, ids from 1."""
    port = ports["postgres"]
    _psql(port, f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    _psql(port, f"CREATE DATABASE {DB_NAME} TEMPLATE {TEMPLATE_DB} STRATEGY FILE_COPY")


# ---------------------------------------------------------------------------- Redis, gunicorn


def _spawn(name: str, cmd: Sequence[str | os.PathLike[str]], *, env: Mapping[str, str] | None,
           log: Path, pid_file: Path) -> subprocess.Popen[bytes]:  # fmt: skip
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        process = subprocess.Popen(
            [str(part) for part in cmd],
            env=dict(env) if env is not None else None,
            cwd=NETBOX_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killpg() stops all of it
        )
    _children[name] = process
    pid_file.write_text(f"{process.pid}\n")
    return process


def _start_redis() -> int:
    redis = _redis_server()
    assert redis is not None
    REDIS_DIR.mkdir(parents=True, exist_ok=True)
    for _attempt in range(3):
        port = _free_port()
        process = _spawn(
            "redis",
            [redis, "--bind", HOST, "--port", str(port), "--dir", REDIS_DIR, "--save", "",
             "--appendonly", "no", "--daemonize", "no"],
            env=None,
            log=LOGS / "redis.log",
            pid_file=REDIS_PID,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while process.poll() is None and not _accepts(port):
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
        if process.poll() is None and _accepts(port):
            return port
        _stop_group(REDIS_PID, "redis-server")
    raise NetBoxError(f"redis-server did not start:\n{_tail(LOGS / 'redis.log')}")


def _status_code(url: str, auth_header: str, timeout: float = 5.0) -> int:
    request = urllib.request.Request(
        url + "status/", headers={"Authorization": auth_header, "Accept": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            code: int = response.status
            return code
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, OSError):
        return 0


def _start_gunicorn(ports: Mapping[str, int], auth_header: str) -> int:
    log = LOGS / "gunicorn.log"
    for _attempt in range(3):
        port = _free_port()
        process = _spawn(
            "gunicorn",
            [VENV / "bin" / "gunicorn", "--bind", f"{HOST}:{port}", "--workers", str(WORKERS),
             "--threads", str(THREADS), "--timeout", "120", "--graceful-timeout", "5",
             "--pid", RUN / "gunicorn.master.pid", "netbox.wsgi"],
            env=_netbox_env(ports),
            log=log,
            pid_file=GUNICORN_PID,
        )  # fmt: skip
        url = f"http://{HOST}:{port}/api/"
        deadline = time.monotonic() + HTTP_START_TIMEOUT
        code = 0
        while process.poll() is None and time.monotonic() < deadline:
            code = _status_code(url, auth_header)
            if code == 200:
                return port
            time.sleep(0.2)
        text = _tail(log)
        _stop_group(GUNICORN_PID, "gunicorn")
        if "already in use" in text.lower():
            continue
        raise NetBoxError(f"NetBox did not answer /api/status/ with 200 (last {code}):\n{text}")
    raise NetBoxError("no free port for gunicorn")  # pragma: no cover


# ---------------------------------------------------------------------------- ownership

_lock_file: IO[str] | None = None


def _lock_owner() -> str:
    try:
        return LOCK.read_text().strip() or "?"
    except OSError:
        return "?"


def _acquire_lock(*, wait: bool) -> bool:
    """flock .netbox/lock for this process; with ``wait``, until the holder releases it."""
    global _lock_file
    if _lock_file is not None:
        return True
    BASE.mkdir(parents=True, exist_ok=True)
    handle = LOCK.open("a+")
    deadline = time.monotonic() + LOCK_TIMEOUT
    announced = False
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if not wait or time.monotonic() > deadline:
                handle.close()
                return False
            if not announced:
                _log(f"waiting for the session that uses .netbox/ (pid {_lock_owner()}) to end")
                announced = True
            time.sleep(0.5)
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    _lock_file = handle
    return True


def _release_lock() -> None:
    global _lock_file
    if _lock_file is not None:
        fcntl.flock(_lock_file, fcntl.LOCK_UN)
        _lock_file.close()
        _lock_file = None


# ---------------------------------------------------------------------------- public API


def _server(info: Mapping[str, Any], state: Mapping[str, Any]) -> NetBoxServer:
    v2 = f"nbt_{state['v2_key']}.{state['v2_token']}"
    return NetBoxServer(
        url=info["url"],
        token=v2,
        auth_header=f"Bearer {v2}",
        v1_token=state["v1_token"],
        v1_auth_header=f"Token {state['v1_token']}",
        username=ADMIN_USER,
        password=state["admin_password"],
        ports=dict(info["ports"]),
        setup_seconds=float(info.get("setup_seconds", 0.0)),
        cold=bool(info.get("cold", False)),
    )


def start() -> NetBoxServer:
    """Build what is missing, start PostgreSQL, Redis and NetBox; return the running server.

    One instance per .netbox/: this process holds .netbox/lock until ``stop()``, and a
    second session waits for the first to end (instead of killing its servers). An instance
    nobody holds (an earlier ``up``, a killed session) is stopped first: the caller owns
    what this returns, and its database is fresh.
    """
    began = time.monotonic()
    if not _acquire_lock(wait=True):
        raise NetBoxError(f".netbox/ stayed in use by pid {_lock_owner()} for {LOCK_TIMEOUT} s")
    _stop_processes()
    for directory in (RUN, LOGS):
        directory.mkdir(parents=True, exist_ok=True)
    steps: dict[str, float] = {}

    def step(name: str, since: float) -> float:
        now = time.monotonic()
        steps[name] = round(now - since, 2)
        return now

    try:
        t = time.monotonic()
        ensure_system_packages()
        t = step("system_packages", t)
        built_venv = ensure_venv()
        t = step("venv", t)
        new_state = ensure_state()
        if new_state:
            shutil.rmtree(PG_DIR, ignore_errors=True)  # its tokens belong to the old secrets
            DB_STAMP.unlink(missing_ok=True)
        state = _load_state()
        write_configuration(state)
        NETBOX_ROOT.mkdir(parents=True, exist_ok=True)
        created_cluster = ensure_cluster()
        t = step("initdb", t)
        ports = {"postgres": _start_postgres()}
        t = step("postgres_start", t)
        ports["redis"] = _start_redis()
        t = step("redis_start", t)
        migrated = ensure_template(ports)
        t = step("migrate_and_tokens", t)
        reset_database(ports)
        t = step("clone_database", t)
        server_probe = _server({"url": "", "ports": ports}, state)
        ports["http"] = _start_gunicorn(ports, server_probe.auth_header)
        t = step("gunicorn_until_status_200", t)
    except BaseException:
        stop()
        raise
    cold = built_venv or created_cluster or migrated
    seconds = round(time.monotonic() - began, 2)
    info = {
        "url": f"http://{HOST}:{ports['http']}/api/",
        "ports": ports,
        "setup_seconds": seconds,
        "cold": cold,
        "steps": steps,
        "owner_pid": os.getpid(),
    }
    SERVER_JSON.write_text(json.dumps(info, indent=2))
    timings: dict[str, Any] = {}
    with contextlib.suppress(OSError, ValueError):
        timings = json.loads(TIMINGS.read_text())
    timings["cold" if cold else "warm"] = {"seconds": seconds, "steps": steps}
    TIMINGS.write_text(json.dumps(timings, indent=2))
    _log(f"up in {seconds:.1f} s ({'cold' if cold else 'warm'}): {info['url']}")
    return _server(info, state)


def stop() -> bool:
    """Stop gunicorn, PostgreSQL and Redis recorded under .netbox/ (idempotent).

    Returns False, stopping nothing, when another live process owns the instance (a test
    session running while someone types ``down``).
    """
    if not _acquire_lock(wait=False):
        _log(f"not stopping: .netbox/ is in use by pid {_lock_owner()}")
        return False
    try:
        _stop_processes()
    finally:
        _release_lock()
    return True


def _stop_processes() -> None:
    _stop_group(GUNICORN_PID, "gunicorn")
    _stop_postgres()
    _stop_group(REDIS_PID, "redis-server")
    (RUN / "gunicorn.master.pid").unlink(missing_ok=True)
    SERVER_JSON.unlink(missing_ok=True)


def is_running() -> bool:
    pid = _read_pid(GUNICORN_PID)
    return pid is not None and _pid_alive(pid, "gunicorn")


def status() -> dict[str, Any]:
    """Describe the recorded instance: pids alive, URL, whether /api/status/ answers."""
    info: dict[str, Any] = {}
    with contextlib.suppress(OSError, ValueError):
        info = json.loads(SERVER_JSON.read_text())
    processes = {
        "gunicorn": _read_pid(GUNICORN_PID) if is_running() else None,
        "postgres": _postgres_pid(),
        "redis": _read_pid(REDIS_PID)
        if (pid := _read_pid(REDIS_PID)) and _pid_alive(pid, "redis-server")
        else None,
    }
    free = _lock_file is None and _acquire_lock(wait=False)
    if free:  # nobody held it: this was only a probe
        _release_lock()
    result: dict[str, Any] = {
        "processes": processes,
        "owner_pid_holding_lock": None if free else _lock_owner(),
        **info,
    }
    if info.get("url") and STATE.exists():
        server = _server(info, _load_state())
        result["api_status"] = _status_code(server.url, server.auth_header)
        result["auth_header"] = server.auth_header
        result["v1_auth_header"] = server.v1_auth_header
    return result


@contextlib.contextmanager
def running() -> Iterator[NetBoxServer]:
    """``with running() as server:`` start, yield, and always stop."""
    server = start()
    try:
        yield server
    finally:
        stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("command", choices=["up", "down", "status"])
    args = parser.parse_args(argv)
    if args.command == "up":
        server = start()
        print(
            json.dumps(
                {
                    "url": server.url,
                    "auth_header": server.auth_header,
                    "v1_auth_header": server.v1_auth_header,
                    "username": server.username,
                    "password": server.password,
                    "setup_seconds": server.setup_seconds,
                    "cold": server.cold,
                },
                indent=2,
            )
        )
        _children.clear()  # leave them running: `down` (or the next start()) stops them
    elif args.command == "down":
        return 0 if stop() else 1
    else:
        print(json.dumps(status(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
