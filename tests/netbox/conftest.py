"""The ``netbox`` session fixture: a real NetBox (tests/netbox/server.py), seeded (seed.py).

This directory is collected only when ``DJANGO_API_ORM_NETBOX=1`` (tests/conftest.py
ignores it otherwise); ``make test-netbox`` sets it. The first run builds ``.netbox/``
(minutes); later runs only start the processes and clone a fresh database (seconds).
"""

from __future__ import annotations

import atexit
import contextlib
import signal
from collections.abc import AsyncIterator, Iterator
from types import FrameType
from typing import Any

import httpx
import pytest
from django.conf import settings
from django.test import override_settings

from tests.netbox import seed as seed_module
from tests.netbox import server as server_module
from tests.netbox.data import NetBoxData
from tests.netbox.outcomes import OUTCOMES
from tests.netbox.server import NetBoxServer

NETBOX_DIALECT = "django_api_orm.dialects.netbox.NetBoxDialect"


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # pytest tears the session down (and so stops NetBox) on KeyboardInterrupt.
    raise KeyboardInterrupt(f"signal {signum}")


@contextlib.contextmanager
def _paused_pytest_timeout() -> Iterator[None]:
    """Suspend pytest-timeout's alarm (pyproject: 120 s per test, signal method) meanwhile.

    The session fixture is set up inside the first test's timeout; building .netbox/ from
    scratch (pip, ``migrate``) takes minutes. The alarm is re-armed with what was left.
    """
    remaining, interval = signal.setitimer(signal.ITIMER_REAL, 0)
    try:
        yield
    finally:
        if remaining:
            signal.setitimer(signal.ITIMER_REAL, remaining, interval)


@pytest.fixture(scope="session")
def netbox() -> Iterator[NetBoxServer]:
    """Start NetBox, PostgreSQL and Redis, seed them, yield the server; stop all at the end."""
    previous = signal.signal(signal.SIGTERM, _interrupt)
    atexit.register(server_module.stop)  # last resort if the teardown below never runs
    try:
        with _paused_pytest_timeout():
            server = server_module.start()
        seed_module.seed(server)
        yield server
    finally:
        server_module.stop()
        atexit.unregister(server_module.stop)
        signal.signal(signal.SIGTERM, previous)


@pytest.fixture
def netbox_api(netbox: NetBoxServer) -> Iterator[httpx.Client]:
    """An httpx client on NetBox's API root that sends the v2 token."""
    with httpx.Client(base_url=netbox.url, headers=netbox.headers, timeout=30.0) as client:
        yield client


@pytest.fixture(scope="session", autouse=True)
def netbox_services(netbox: NetBoxServer) -> Iterator[None]:
    """Point the ``netbox`` aliases of tests/netbox/models.py at the running NetBox.

    ``netbox``: NetBoxDialect, as a NetBox user configures it; ``netbox_drf``: the plain
    DRF dialect on the same NetBox (reads must be right or loud); ``netbox_wrong_token``.
    """
    common = {"BASE_URL": netbox.url, "TIMEOUT": 30.0, "MAX_RETRIES": 1, "RETRY_DELAY": 0.05}
    services = {
        **settings.API_ORM_SERVICES,
        "netbox": {**common, "AUTH_TOKEN": netbox.token, "DIALECT": NETBOX_DIALECT},
        "netbox_drf": {**common, "AUTH_TOKEN": netbox.token},
        "netbox_wrong_token": {
            **common,
            "AUTH_TOKEN": "nbt_wrong.0000000000000000000000000000000000000000",
            "DIALECT": NETBOX_DIALECT,
        },
    }
    with override_settings(API_ORM_SERVICES=services):
        yield


@pytest.fixture(scope="session")
def data(netbox: NetBoxServer) -> NetBoxData:
    """Every seeded row, fetched raw: the truth the checks compare with."""
    with httpx.Client(base_url=netbox.url, headers=netbox.headers, timeout=30.0) as client:
        return NetBoxData.fetch(client)


@pytest.fixture
async def araw(netbox: NetBoxServer) -> AsyncIterator[httpx.AsyncClient]:
    """An async httpx client on NetBox's API root, to look at what a write did."""
    async with httpx.AsyncClient(
        base_url=netbox.url, headers=netbox.headers, timeout=30.0
    ) as client:
        yield client


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print works / loud / silent per dialect, and keep them in .netbox/outcomes.json."""
    if not OUTCOMES.results:
        return
    terminalreporter.section("NetBox checks: works / loud / silent")
    for line in OUTCOMES.lines():
        terminalreporter.write_line(line)
    OUTCOMES.write(server_module.REPO_ROOT / ".netbox" / "outcomes.json")
