"""A Redis outage never fails a page: reads go to the provider, budgets turn per process.

Each test has a redis-server of its own (``outage_redis``) that it stops and starts
(entries are lost: nothing is saved to disk) or freezes with SIGSTOP and thaws with
SIGCONT (entries kept: an unreachable Redis that comes back with its data).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from typing import Any

import pytest
import respx

from django_api_orm.shared import store as store_module
from tests.models.conftest import book
from tests.redis_server import RedisServer
from tests.shared.conftest import LOGGER, configured, redis_caches, service
from tests.testapp.models import Book

DOWN = 0.3  # DOWN_SECONDS for these tests
PAST_DOWN = 0.4


@pytest.fixture(autouse=True)
def short_down_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    """Try Redis again DOWN seconds after a failure (5 s in production)."""
    monkeypatch.setattr(store_module, "DOWN_SECONDS", DOWN)


def shared_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER]


def freeze(server: RedisServer) -> None:
    assert server.process is not None
    server.process.send_signal(signal.SIGSTOP)


def thaw(server: RedisServer) -> None:
    assert server.process is not None
    server.process.send_signal(signal.SIGCONT)


async def test_reads_go_to_the_provider_while_redis_is_down(
    outage_redis: RedisServer, api: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    """Sends every read while Redis is down, warns once, and caches again once it is back."""
    caplog.set_level(logging.WARNING, logger=LOGGER)
    route = api.get("books/1/").respond(json=book(1))
    with configured(redis_caches(outage_redis.url), default=service(CACHE={"TIMEOUT": 60})):
        await Book.objects.aget(pk=1)
        await Book.objects.aget(pk=1)
        assert route.call_count == 1
        assert shared_warnings(caplog) == []

        outage_redis.stop()
        for expected in range(2, 6):
            assert (await Book.objects.aget(pk=1)).title == "Book 1"
            assert route.call_count == expected  # nothing served from the cache
        await asyncio.sleep(PAST_DOWN)  # Redis is tried again, and fails again
        await Book.objects.aget(pk=1)
        assert route.call_count == 6
        down = shared_warnings(caplog)
        assert len(down) == 1
        assert "failed" in down[0]
        assert "CACHES['default']" in down[0]

        outage_redis.start()
        await asyncio.sleep(PAST_DOWN)
        await Book.objects.aget(pk=1)  # a miss (the restart lost the entries): sent, stored
        assert route.call_count == 7
        await Book.objects.aget(pk=1)
        await Book.objects.aget(pk=1)
        assert route.call_count == 7  # cached again
    messages = shared_warnings(caplog)
    assert len(messages) == 2
    assert "answers again" in messages[1]


async def test_nothing_is_stored_while_redis_is_down(
    outage_redis: RedisServer, api: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    """Stores no entry while down: after a freeze and a thaw the read is sent again."""
    caplog.set_level(logging.WARNING, logger=LOGGER)
    route = api.get("books/1/").respond(json=book(1))
    with configured(redis_caches(outage_redis.url), default=service(CACHE={"TIMEOUT": 60})):
        freeze(outage_redis)
        try:
            await Book.objects.aget(pk=1)  # times out on Redis, then asks the provider
            await Book.objects.aget(pk=1)
        finally:
            thaw(outage_redis)
        assert route.call_count == 2
        await asyncio.sleep(PAST_DOWN)
        await Book.objects.aget(pk=1)
        assert route.call_count == 3  # nothing was stored meanwhile
        await Book.objects.aget(pk=1)
    assert route.call_count == 3
    assert len([m for m in shared_warnings(caplog) if "failed" in m]) == 1


@pytest.mark.parametrize("write", [False, True])
async def test_a_write_while_down_bumps_the_generation_once_back(
    outage_redis: RedisServer,
    api: respx.MockRouter,
    caplog: pytest.LogCaptureFixture,
    write: bool,
) -> None:
    """Stops serving the entry cached before the outage when a write happened during it.

    Redis is frozen, so it comes back with its entries: without the write, the old
    entry is served again (the control); with it, the read goes to the provider.
    """
    caplog.set_level(logging.WARNING, logger=LOGGER)
    route = api.get("books/1/").respond(json=book(1, title="Old"))
    api.patch("books/1/").respond(json=book(1, title="New"))
    with configured(redis_caches(outage_redis.url), default=service(CACHE={"TIMEOUT": 60})):
        obj = await Book.objects.aget(pk=1)
        assert route.call_count == 1
        freeze(outage_redis)
        try:
            if write:
                obj.title = "New"
                await obj.asave(update_fields=["title"])
            else:
                await Book.objects.aget(pk=1)  # marks Redis down too
        finally:
            thaw(outage_redis)
        sent = route.call_count
        await asyncio.sleep(PAST_DOWN)
        route.respond(json=book(1, title="New"))
        found = await Book.objects.aget(pk=1)
        if write:
            assert route.call_count == sent + 1
            assert found.title == "New"
        else:
            assert route.call_count == sent
            assert found.title == "Old"
        await Book.objects.aget(pk=1)
        assert route.call_count == sent + (1 if write else 0)  # cached again
    messages = shared_warnings(caplog)
    assert len(messages) == 2
    assert "answers again" in messages[1]


async def test_the_rate_limit_holds_per_process_while_down(
    outage_redis: RedisServer, api: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    """Spaces the requests by this process's own budget while Redis is down."""
    caplog.set_level(logging.WARNING, logger=LOGGER)
    route = api.get("books/1/").respond(json=book(1))
    with configured(redis_caches(outage_redis.url), default=service(RATE_LIMIT="10/s")):
        await Book.objects.aget(pk=1)
        outage_redis.stop()
        await Book.objects.aget(pk=1)  # finds Redis down
        started = time.monotonic()
        for _ in range(6):
            await Book.objects.aget(pk=1)
        elapsed = time.monotonic() - started
    assert route.call_count == 8
    assert 0.45 <= elapsed < 3.0
    assert len(shared_warnings(caplog)) == 1


async def test_the_breaker_works_per_process_while_down(
    outage_redis: RedisServer, api: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    """Opens this process's breaker while Redis is down."""
    from django_api_orm import ServerError, ServiceUnavailableError

    caplog.set_level(logging.WARNING, logger=LOGGER)
    route = api.get("books/1/").respond(503)
    settings: dict[str, Any] = service(CIRCUIT_BREAKER={"FAILURES": 2, "RESET": 30})
    with configured(redis_caches(outage_redis.url), default=settings):
        outage_redis.stop()
        for _ in range(2):
            with pytest.raises(ServerError) as info:
                await Book.objects.aget(pk=1)
            assert not isinstance(info.value, ServiceUnavailableError)
        with pytest.raises(ServiceUnavailableError):
            await Book.objects.aget(pk=1)
    assert route.call_count == 2
    assert len(shared_warnings(caplog)) == 1


def test_a_write_while_down_is_remembered_by_the_process(
    outage_redis: RedisServer, api: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    """Bumps the generation once Redis is back even when the writing loop has ended.

    Under WSGI each ``async_to_sync`` call runs on a loop of its own: the write of one
    request and the reads of the next never share a loop, nor its ``Service``.
    """
    caplog.set_level(logging.WARNING, logger=LOGGER)
    route = api.get("books/1/").respond(json=book(1, title="Old"))
    api.patch("books/1/").respond(json=book(1, title="New"))

    async def read() -> str:
        return (await Book.objects.aget(pk=1)).title

    async def write() -> None:
        obj = Book(id=1, title="New", price="1.00")
        await obj.asave(update_fields=["title"])

    with configured(redis_caches(outage_redis.url), default=service(CACHE={"TIMEOUT": 60})):
        assert asyncio.run(read()) == "Old"
        assert asyncio.run(read()) == "Old"
        assert route.call_count == 1
        freeze(outage_redis)
        try:
            asyncio.run(write())
        finally:
            thaw(outage_redis)
        time.sleep(PAST_DOWN)
        route.respond(json=book(1, title="New"))
        assert asyncio.run(read()) == "New"  # not the entry from before the write
    assert route.call_count == 2


def test_one_warning_for_the_process_whatever_its_loops(
    outage_redis: RedisServer,
    api: respx.MockRouter,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Warns once, and waits on the dead Redis once, for loops that follow each other.

    The loops of ``async_to_sync`` (one per call under WSGI) share the process's view
    of Redis: the second loop neither warns again nor tries Redis before DOWN_SECONDS.
    """
    monkeypatch.setattr(store_module, "DOWN_SECONDS", 5.0)
    caplog.set_level(logging.WARNING, logger=LOGGER)
    route = api.get("books/1/").respond(json=book(1))

    async def read() -> None:
        await Book.objects.aget(pk=1)

    with configured(redis_caches(outage_redis.url), default=service(CACHE={"TIMEOUT": 60})):
        asyncio.run(read())
        freeze(outage_redis)
        try:
            asyncio.run(read())  # waits REDIS_TIMEOUT, marks Redis down
            started = time.monotonic()
            for _ in range(3):
                asyncio.run(read())
            elapsed = time.monotonic() - started
        finally:
            thaw(outage_redis)
    assert route.call_count == 5
    assert len(shared_warnings(caplog)) == 1
    assert elapsed < store_module.REDIS_TIMEOUT
