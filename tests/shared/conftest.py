"""Fixtures of the shared state's tests: a real redis-server, the settings, respx.

``redis_server`` (session) runs one redis-server for the session; ``redis``
empties it before each test. ``outage_redis`` is a server of the test's own, which
the test may stop and start again. ``caches_setting`` is parametrized over that
Redis and a fresh ``LocMemCache``: each test that takes it runs against both.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import respx
from django.test import override_settings

from django_api_orm.shared import store as store_module
from tests.redis_server import RedisServer, start_redis

API = "https://api.example.test/api/"
TOKEN = "s3cret-token-value"
REDIS_BACKEND = "django.core.cache.backends.redis.RedisCache"
LOCMEM_BACKEND = "django.core.cache.backends.locmem.LocMemCache"
LOGGER = "django_api_orm.shared"


def redis_caches(url: str) -> dict[str, Any]:
    """Return a ``CACHES`` setting whose default alias is the Redis at ``url``."""
    return {"default": {"BACKEND": REDIS_BACKEND, "LOCATION": url}}


def locmem_caches() -> dict[str, Any]:
    """Return a ``CACHES`` setting whose default alias is an empty local-memory cache."""
    return {"default": {"BACKEND": LOCMEM_BACKEND, "LOCATION": f"shared-{uuid.uuid4().hex}"}}


def service(**extra: Any) -> dict[str, Any]:
    """Return an ``API_ORM_SERVICES`` entry for the respx-mocked API; ``extra`` over it."""
    return {
        "BASE_URL": API,
        "AUTH_TOKEN": TOKEN,
        "MAX_RETRIES": 0,
        "RETRY_DELAY": 0.0,
        **extra,
    }


@contextlib.contextmanager
def configured(caches: dict[str, Any], **services: dict[str, Any]) -> Iterator[None]:
    """Run the block with these ``CACHES`` and ``API_ORM_SERVICES`` (each a ``service()``)."""
    with override_settings(API_ORM_SERVICES=services, CACHES=caches):
        yield


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One redis-server for the session's tests."""
    with start_redis() as server:
        yield server


@pytest.fixture
def redis(redis_server: RedisServer) -> RedisServer:
    """The session's redis-server, emptied for this test."""
    redis_server.flush()
    return redis_server


@pytest.fixture
def outage_redis() -> Iterator[RedisServer]:
    """A redis-server of this test's own: the test may ``stop()`` and ``start()`` it."""
    with start_redis() as server:
        yield server


@pytest.fixture(params=["redis", "locmem"])
def caches_setting(request: pytest.FixtureRequest) -> dict[str, Any]:
    """``CACHES`` with the shared Redis (emptied) or with a fresh local-memory cache."""
    if request.param == "redis":
        server: RedisServer = request.getfixturevalue("redis")
        return redis_caches(server.url)
    return locmem_caches()


@pytest.fixture(autouse=True)
def _fresh_process_state() -> Iterator[None]:
    """Forget this process's budgets, breakers (LocalBackend's) and Redis outages."""

    def forget() -> None:
        state = store_module._local_state
        with state.lock:
            state.values.clear()
        store_module._health.clear()

    forget()
    yield
    forget()


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    """Intercept every request to the test API; fail on a request nothing answers."""
    with respx.mock(base_url=API, assert_all_called=False, assert_all_mocked=True) as mock:
        yield mock
