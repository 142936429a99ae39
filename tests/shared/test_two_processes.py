"""Two real processes share the cache, the rate budget and the breaker through Redis.

The other process is ``tests/shared/pair_worker.py``, run with this interpreter; each
process answers its own requests with respx, so the requests each one sent are
counted apart.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import httpx
import pytest
import respx

from django_api_orm import RateLimitError, ServerError
from tests.models.conftest import book
from tests.redis_server import RedisServer
from tests.servers import REPO_ROOT
from tests.shared.conftest import configured, redis_caches, service
from tests.testapp.models import Book

WORKER_TIMEOUT = 60.0


def other_process(
    redis: RedisServer,
    settings: dict[str, Any],
    steps: list[str],
    *,
    status: int = 200,
    title: str = "From the worker's provider",
) -> dict[str, Any]:
    """Run ``steps`` in another process of the site; return its report."""
    spec = {
        "redis_url": redis.url,
        "service": settings,
        "answer": {"status": status, "json": book(1, title=title) if status < 300 else None},
        "steps": steps,
    }
    result = subprocess.run(
        [sys.executable, "-m", "tests.shared.pair_worker", json.dumps(spec)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=WORKER_TIMEOUT,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"the worker exited with {result.returncode}:\n{result.stderr}")
    report: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return report


async def test_another_process_is_served_this_ones_entry(
    redis: RedisServer, api: respx.MockRouter
) -> None:
    """Serves the other process the answer this one stored: it sends nothing."""
    settings = service(CACHE={"TIMEOUT": 60})
    route = api.get("books/1/").respond(json=book(1, title="Stored here"))
    with configured(redis_caches(redis.url), default=settings):
        await Book.objects.aget(pk=1)
    report = other_process(redis, settings, ["get", "get"])
    assert report["requests"] == []
    assert report["outcomes"] == ["Stored here", "Stored here"]
    assert route.call_count == 1


async def test_a_write_in_another_process_invalidates_this_ones_entries(
    redis: RedisServer, api: respx.MockRouter
) -> None:
    """Sends the read again after the other process saved through the ORM."""
    settings = service(CACHE={"TIMEOUT": 60})
    route = api.get("books/1/").respond(json=book(1, title="Old"))
    with configured(redis_caches(redis.url), default=settings):
        await Book.objects.aget(pk=1)
        report = other_process(redis, settings, ["save"])
        route.respond(json=book(1, title="New"))
        assert (await Book.objects.aget(pk=1)).title == "New"
    assert report["requests"] == ["PATCH"]
    assert report["outcomes"] == ["saved"]
    assert route.call_count == 2


async def test_a_breaker_opened_here_refuses_the_other_process(
    redis: RedisServer, api: respx.MockRouter
) -> None:
    """Refuses the other process's calls, unsent, once this one opened the breaker."""
    settings = service(CIRCUIT_BREAKER={"FAILURES": 2, "RESET": 30})
    route = api.get("books/1/").respond(503)
    with configured(redis_caches(redis.url), default=settings):
        for _ in range(2):
            with pytest.raises(ServerError):
                await Book.objects.aget(pk=1)
    report = other_process(redis, settings, ["get", "get"])
    assert report["requests"] == []
    assert report["outcomes"] == ["ServiceUnavailableError"] * 2
    assert route.call_count == 2


async def test_the_rate_budget_spent_here_holds_the_other_process(
    redis: RedisServer, api: respx.MockRouter
) -> None:
    """Refuses the other process's call, unsent, while this one holds the next slot."""
    settings = service(RATE_LIMIT="1/m", DEADLINE=1.0)
    route = api.get("books/1/").respond(json=book(1))
    with configured(redis_caches(redis.url), default=settings):
        await Book.objects.aget(pk=1)  # takes the minute's one slot
    report = other_process(redis, settings, ["get"])
    assert report["requests"] == []
    assert report["outcomes"] == ["BudgetTimeoutError"]
    assert route.call_count == 1


async def test_a_retry_after_seen_here_holds_the_other_process(
    redis: RedisServer, api: respx.MockRouter
) -> None:
    """Refuses the other process's call while a Retry-After this one saw lasts."""
    settings = service(RATE_LIMIT="100/s", DEADLINE=1.0)
    route = api.get("books/1/").mock(
        return_value=httpx.Response(429, headers={"Retry-After": "30"})
    )
    with configured(redis_caches(redis.url), default=settings), pytest.raises(RateLimitError):
        await Book.objects.aget(pk=1)
    report = other_process(redis, settings, ["get"])
    assert report["requests"] == []
    assert report["outcomes"] == ["BudgetTimeoutError"]
    assert route.call_count == 1


def test_the_worker_sends_when_nothing_is_shared(redis: RedisServer) -> None:
    """Sends the worker's first read and caches it (the control of the tests above)."""
    report = other_process(redis, service(CACHE={"TIMEOUT": 60}), ["get", "get"])
    assert report["requests"] == ["GET"]
    assert report["outcomes"] == ["From the worker's provider"] * 2
