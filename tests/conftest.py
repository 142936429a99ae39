"""Fixtures that serve the example provider over real HTTP, shared by every test directory.

``provider`` (session) migrates and seeds a fresh SQLite file in a temporary
directory, serves ``example_project.asgi:application`` with uvicorn on 127.0.0.1 and
yields a ``Provider`` (``.base_url``, ``.token``, ``.db_path``, ``.headers``).
``provider_db`` runs read-only SQL on that file, so a test can check what a request
really did ("exactly one row created"). ``api`` is an ``httpx.Client`` on the provider
that sends the token. One provider serves the whole session.

Tests that write should create their own rows and delete them again: the provider
lives for the whole session and other tests count its rows.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.servers import REPO_ROOT, start_uvicorn

# tests/netbox/ needs a real NetBox (minutes to build once): collected only when asked for,
# as `make test-netbox` does; never by the default `make test` or .ci/matrix.
collect_ignore = [] if os.environ.get("DJANGO_API_ORM_NETBOX") == "1" else ["netbox"]

SETTINGS_MODULE = "example_project.settings"
ASGI_APP = "example_project.asgi:application"
#: Seconds allowed for a management command (migrate, seed) to finish.
COMMAND_TIMEOUT = 60.0


@dataclass(frozen=True)
class Provider:
    """The running provider: where it answers, the token it accepts, its database."""

    base_url: str  # "http://127.0.0.1:PORT/api/"
    token: str
    db_path: Path
    env: Mapping[str, str] = field(repr=False)  # the whole environment: keep it out of logs

    @property
    def headers(self) -> dict[str, str]:
        """Return the header DRF's TokenAuthentication expects."""
        return {"Authorization": f"Token {self.token}"}

    def manage(self, *args: str) -> None:
        """Run ``manage.py`` with ``args`` against this provider's database."""
        run_manage(*args, env=self.env)

    def service(self, **extra: Any) -> dict[str, Any]:
        """Return an ``API_ORM_SERVICES`` entry for this provider (``extra`` overrides keys)."""
        return {
            "BASE_URL": self.base_url,
            "AUTH_TOKEN": self.token,
            "AUTH_SCHEME": "Token",
            "TIMEOUT": 10.0,
            "MAX_RETRIES": 1,
            "RETRY_DELAY": 0.05,
            **extra,
        }

    def reseed(self) -> None:
        """Put the seeded data back (ids, rows and token as at the start of the session)."""
        self.manage("seed", "--token", self.token)


def run_manage(*args: str, env: Mapping[str, str]) -> None:
    """Run ``manage.py`` in a subprocess; fail with its output if it fails."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO_ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(
            f"manage.py {' '.join(args)} exited with {result.returncode}:\n"
            f"{result.stdout}\n{result.stderr}"
        )


@pytest.fixture(scope="session")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    """Serve a freshly migrated and seeded provider over HTTP for the whole session."""
    db_path = tmp_path_factory.mktemp("provider") / "provider.sqlite3"
    token = secrets.token_hex(20)  # 40 characters, Token.key's maximum
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
        "PROVIDER_DB": str(db_path),
        "PROVIDER_TOKEN": token,
    }
    run_manage("migrate", "--noinput", env=env)
    run_manage("seed", "--token", token, env=env)
    with start_uvicorn(ASGI_APP, env=env) as server_url:
        yield Provider(
            base_url=f"{server_url.rstrip('/')}/api/", token=token, db_path=db_path, env=env
        )


@pytest.fixture
def provider_db(provider: Provider) -> Callable[..., list[tuple[Any, ...]]]:
    """Return a function that runs read-only SQL on the provider's SQLite file."""

    def query(sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> list[tuple[Any, ...]]:
        uri = f"{provider.db_path.as_uri()}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as connection:
            return connection.execute(sql, params).fetchall()

    return query


@pytest.fixture
def api(provider: Provider) -> Iterator[httpx.Client]:
    """Return an httpx client on the provider's API root that sends the token."""
    with httpx.Client(base_url=provider.base_url, headers=provider.headers, timeout=10.0) as client:
        yield client


@pytest.fixture
def provider_service(provider: Provider) -> Iterator[Provider]:
    """Configure the "provider" service alias to talk to the running provider."""
    from django.conf import settings
    from django.test import override_settings

    services_setting = {**settings.API_ORM_SERVICES, "provider": provider.service()}
    with override_settings(API_ORM_SERVICES=services_setting):
        yield provider
