"""RATE_LIMIT: requests wait for their slot of a budget every process shares.

Timings are asserted as lower bounds (the spacing the budget must impose) with
generous upper bounds: the machine is shared.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import httpx
import pytest
import respx

from django_api_orm import RateLimitError, ServerError, TimeoutError
from django_api_orm.client._errors import BudgetTimeoutError
from django_api_orm.shared import RateLimiter, store_for
from tests.models.conftest import book
from tests.shared.conftest import configured, service
from tests.testapp.models import Book


def limited(rate: str, **extra: Any) -> dict[str, Any]:
    return service(RATE_LIMIT=rate, **extra)


@pytest.mark.parametrize("rate", ["10/s", "600/m", "36000/h"])
async def test_requests_are_spaced_by_the_rate(
    caches_setting: dict[str, Any], api: respx.MockRouter, rate: str
) -> None:
    """Spaces six requests 0.1 s apart at 10 per second, however the rate is written."""
    route = api.get("books/1/").respond(json=book(1))
    with configured(caches_setting, default=limited(rate)):
        await Book.objects.aget(pk=1)  # the client exists: time the requests only
        started = time.monotonic()
        for _ in range(6):
            await Book.objects.aget(pk=1)
        elapsed = time.monotonic() - started
    assert route.call_count == 7
    assert 0.45 <= elapsed < 3.0
    sent = [call.request for call in route.calls]
    assert all(r.url.path == "/api/books/1/" for r in sent)


async def test_a_fast_rate_does_not_slow_a_few_requests(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Sends five requests at once within their 1/1000 s slots (no needless wait)."""
    route = api.get("books/1/").respond(json=book(1))
    with configured(caches_setting, default=limited("1000/s")):
        await Book.objects.aget(pk=1)
        started = time.monotonic()
        for _ in range(5):
            await Book.objects.aget(pk=1)
        elapsed = time.monotonic() - started
    assert route.call_count == 6
    assert elapsed < 0.5


async def test_concurrent_requests_share_the_budget(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Spaces concurrent requests too: 6 at once at 10/s take 0.5 s at least."""
    routes = [api.get(f"books/{pk}/").respond(json=book(pk)) for pk in range(1, 7)]
    with configured(caches_setting, default=limited("10/s")):
        started = time.monotonic()
        await asyncio.gather(*(Book.objects.aget(pk=pk) for pk in range(1, 7)))
        elapsed = time.monotonic() - started
    assert [r.call_count for r in routes] == [1] * 6
    assert 0.45 <= elapsed < 3.0


async def test_every_attempt_takes_a_slot(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Spaces the retries of one call by the budget as well (three attempts: 0.2 s)."""
    route = api.get("books/1/").mock(
        side_effect=[httpx.Response(503), httpx.Response(503), httpx.Response(200, json=book(1))]
    )
    with configured(caches_setting, default=limited("10/s", MAX_RETRIES=2)):
        started = time.monotonic()
        await Book.objects.aget(pk=1)
        elapsed = time.monotonic() - started
    assert route.call_count == 3
    assert 0.18 <= elapsed < 2.0


def test_loops_of_the_site_share_the_budget(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Spaces the requests of two event loops (threads) together: 10 at 10/s take 0.9 s."""
    route = api.get("books/1/").respond(json=book(1))
    errors: list[BaseException] = []

    async def five() -> None:
        for _ in range(5):
            await Book.objects.aget(pk=1)

    def run() -> None:
        try:
            asyncio.run(five())
        except BaseException as error:  # reported below
            errors.append(error)

    with configured(caches_setting, default=limited("10/s")):
        threads = [threading.Thread(target=run) for _ in range(2)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(20)
        elapsed = time.monotonic() - started
    assert errors == []
    assert route.call_count == 10
    assert 0.85 <= elapsed < 6.0


@pytest.mark.parametrize(("status", "error"), [(429, RateLimitError), (503, ServerError)])
async def test_retry_after_blocks_the_next_request(
    caches_setting: dict[str, Any], api: respx.MockRouter, status: int, error: type[Exception]
) -> None:
    """Holds the next request until a 429's (or a 503's) Retry-After has passed (about 1 s)."""
    route = api.get("books/1/").mock(
        side_effect=[
            httpx.Response(status, headers={"Retry-After": "1"}),
            httpx.Response(200, json=book(1)),
        ]
    )
    with configured(caches_setting, default=limited("100/s")):
        with pytest.raises(error):
            await Book.objects.aget(pk=1)
        answered = time.monotonic()
        await Book.objects.aget(pk=1)
        elapsed = time.monotonic() - answered
    assert route.call_count == 2
    assert 0.85 <= elapsed < 3.0


def test_retry_after_blocks_every_loop(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Holds another event loop's next request after this loop saw Retry-After."""
    route = api.get("books/1/").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "1"}),
            httpx.Response(200, json=book(1)),
        ]
    )

    async def refused() -> None:
        with pytest.raises(RateLimitError):
            await Book.objects.aget(pk=1)

    async def timed() -> float:
        started = time.monotonic()
        await Book.objects.aget(pk=1)
        return time.monotonic() - started

    with configured(caches_setting, default=limited("100/s")):
        asyncio.run(refused())
        elapsed = asyncio.run(timed())  # a new loop: its own client, store and limiter
    assert route.call_count == 2
    assert 0.7 <= elapsed < 3.0


async def test_a_slot_past_the_deadline_raises_without_sending(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Raises BudgetTimeoutError ("not sent", naming RATE_LIMIT) when the slot is too late."""
    route = api.get("books/1/").respond(json=book(1))
    with configured(caches_setting, default=limited("1/s", DEADLINE=0.3)):
        await Book.objects.aget(pk=1)
        started = time.monotonic()
        with pytest.raises(BudgetTimeoutError) as info:
            await Book.objects.aget(pk=1)
        elapsed = time.monotonic() - started
    assert route.call_count == 1
    assert isinstance(info.value, TimeoutError)
    message = str(info.value)
    assert "not sent" in message
    assert "RATE_LIMIT" in message
    assert "1/s" in message
    assert elapsed < 0.25  # raised at once, not after waiting out the deadline


async def test_retry_after_past_the_deadline_raises_at_once(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Raises BudgetTimeoutError at once when a Retry-After blocks past the deadline."""
    route = api.get("books/1/").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "5"}),
            httpx.Response(200, json=book(1)),
        ]
    )
    with configured(caches_setting, default=limited("100/s", DEADLINE=1.0)):
        with pytest.raises(RateLimitError):
            await Book.objects.aget(pk=1)
        started = time.monotonic()
        with pytest.raises(BudgetTimeoutError, match="not sent"):
            await Book.objects.aget(pk=1)
        elapsed = time.monotonic() - started
    assert route.call_count == 1
    assert elapsed < 0.5


async def test_the_budget_recovers_after_a_refused_call(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Sends the next call once its slot has come, after one refused for its deadline."""
    route = api.get("books/1/").respond(json=book(1))
    with configured(caches_setting, default=limited("4/s", DEADLINE=0.1)):
        await Book.objects.aget(pk=1)
        with pytest.raises(BudgetTimeoutError):
            await Book.objects.aget(pk=1)
        await asyncio.sleep(0.3)
        await Book.objects.aget(pk=1)
    assert route.call_count == 2


def test_busy_loops_together_stay_within_the_rate(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Keeps three busy loops together at 20/s: 30 requests take 1.45 s, no burst in any second.

    Each loop leases slots ahead (up to 0.1 s worth); the leases must never add up to
    more than the rate in any one-second window (20, plus one, plus what a late
    request can bring into a window: a generous 4 here).
    """
    arrivals: list[float] = []
    lock = threading.Lock()

    def answer(request: httpx.Request) -> httpx.Response:
        with lock:
            arrivals.append(time.monotonic())
        return httpx.Response(200, json=book(1))

    route = api.get("books/1/").mock(side_effect=answer)
    errors: list[BaseException] = []

    async def ten() -> None:
        for _ in range(10):
            await Book.objects.aget(pk=1)

    def run() -> None:
        try:
            asyncio.run(ten())
        except BaseException as error:  # reported below
            errors.append(error)

    with configured(caches_setting, default=limited("20/s")):
        threads = [threading.Thread(target=run) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert errors == []
    assert route.call_count == 30
    arrivals.sort()
    assert arrivals[-1] - arrivals[0] >= 1.4
    busiest = max(sum(1 for t in arrivals if start <= t < start + 1.0) for start in arrivals)
    assert busiest <= 25


async def test_a_slot_past_one_deadline_is_never_used_by_another_request(
    caches_setting: dict[str, Any],
) -> None:
    """Reserves nothing for a request refused by its deadline; the next one reserves its own.

    Two limiters on one budget stand for two processes. After the first slot, request A
    (0.1 s left) is refused; B (10 s left) must reserve the next slot itself, so the
    other process's request comes one interval after B's, never at the same time.
    """
    with configured(caches_setting, default=limited("2/s")):
        store = store_for("default")
        here = RateLimiter(store, service="default", rate="2/s")
        there = RateLimiter(store, service="default", rate="2/s")
        await here.acquire(10, method="GET", url="u")  # the first slot: now
        sent: dict[str, float] = {}

        async def take(name: str, limiter: RateLimiter, remaining: float) -> None:
            await limiter.acquire(remaining, method="GET", url="u")
            sent[name] = time.monotonic()

        refused = asyncio.ensure_future(take("a", here, 0.1))
        b = asyncio.ensure_future(take("b", here, 10))
        with pytest.raises(BudgetTimeoutError):
            await refused
        await b
        await take("c", there, 10)
    assert sent["c"] - sent["b"] >= 0.4  # slots 0.5 s apart
