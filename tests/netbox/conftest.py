"""The ``netbox`` session fixture: a real NetBox (tests/netbox/server.py), seeded (seed.py).

This directory is collected only when ``DJANGO_API_ORM_NETBOX=1`` (tests/conftest.py
ignores it otherwise); ``make test-netbox`` sets it. The first run builds ``.netbox/``
(minutes); later runs only start the processes and clone a fresh database (seconds).
"""

from __future__ import annotations

import atexit
import contextlib
import signal
from collections.abc import Iterator
from types import FrameType

import httpx
import pytest

from tests.netbox import seed as seed_module
from tests.netbox import server as server_module
from tests.netbox.server import NetBoxServer


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
