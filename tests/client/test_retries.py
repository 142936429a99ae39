"""Which requests are retried, how often, after how long; and failures that never reach HTTP."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from email.utils import formatdate

import httpx
import pytest
import respx

from django_api_orm import AsyncServiceClient
from django_api_orm.client._retry import MAX_WAIT, RetryPolicy, parse_retry_after
from django_api_orm.exceptions import (
    ConnectionError,
    HTTPStatusError,
    RateLimitError,
    ServerError,
    TimeoutError,
)
from tests.client.conftest import reset, serve_tcp

API = "https://api.example.test/api/"
FAST = {"retry_delay": 0.001}


def answers(*statuses: int) -> list[httpx.Response]:
    """Return responses with these statuses, each with a small JSON body."""
    return [httpx.Response(status, json={"status": status}) for status in statuses]


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT", "DELETE", "OPTIONS"])
async def test_idempotent_methods_retry_transient_statuses(method: str, status: int) -> None:
    """Retries an idempotent request the server answers with a transient status."""
    with respx.mock(base_url=API) as router:
        route = router.request(method, "books/1/").mock(side_effect=answers(status, 200))
        async with AsyncServiceClient(API, **FAST) as client:
            response = await client.request(method, "books/1/")
    assert response.status_code == 200
    assert route.call_count == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422, 501])
async def test_final_statuses_are_not_retried(status: int) -> None:
    """Does not retry a GET the server answers with a final status."""
    with respx.mock(base_url=API) as router:
        route = router.get("x/").mock(side_effect=answers(status, 200))
        async with AsyncServiceClient(API, **FAST) as client:
            with pytest.raises(HTTPStatusError):
                await client.get("x/")
    assert route.call_count == 1


@pytest.mark.parametrize("max_retries", [0, 1, 3])
async def test_at_most_one_plus_max_retries_attempts(max_retries: int) -> None:
    """Makes at most 1 + max_retries attempts, then raises the last answer's error."""
    with respx.mock(base_url=API) as router:
        route = router.get("x/").mock(side_effect=answers(*[503] * 10))
        async with AsyncServiceClient(API, max_retries=max_retries, **FAST) as client:
            with pytest.raises(ServerError) as info:
                await client.get("x/")
    assert route.call_count == 1 + max_retries
    assert info.value.body == {"status": 503}


@pytest.mark.parametrize("method", ["POST", "PATCH"])
async def test_writes_are_not_retried_on_status(method: str) -> None:
    """Does not retry a POST or PATCH answered 503: it may have been applied."""
    with respx.mock(base_url=API) as router:
        route = router.request(method, "books/").mock(side_effect=answers(503, 201))
        async with AsyncServiceClient(API, **FAST) as client:
            with pytest.raises(ServerError):
                await client.request(method, "books/", json={"a": 1})
    assert route.call_count == 1


@pytest.mark.parametrize("method", ["POST", "PATCH"])
@pytest.mark.parametrize(
    "error", [httpx.ReadError("reset"), httpx.RemoteProtocolError("gone"), httpx.ReadTimeout("t")]
)
async def test_writes_are_not_retried_after_they_left(method: str, error: Exception) -> None:
    """Does not retry a POST or PATCH that failed after the connection was made."""
    with respx.mock(base_url=API) as router:
        route = router.request(method, "books/").mock(side_effect=[error, httpx.Response(201)])
        async with AsyncServiceClient(API, **FAST) as client:
            with pytest.raises((ConnectionError, TimeoutError)):
                await client.request(method, "books/", json={"a": 1})
    assert route.call_count == 1


@pytest.mark.parametrize("method", ["POST", "PATCH"])
@pytest.mark.parametrize(
    "error", [httpx.ConnectError("refused"), httpx.ConnectTimeout("t"), httpx.PoolTimeout("t")]
)
async def test_writes_are_retried_when_they_never_left(method: str, error: Exception) -> None:
    """Retries a POST or PATCH whose connection could not be made."""
    with respx.mock(base_url=API) as router:
        route = router.request(method, "books/").mock(
            side_effect=[error, httpx.Response(201, json={"id": 1})]
        )
        async with AsyncServiceClient(API, **FAST) as client:
            response = await client.request(method, "books/", json={"a": 1})
    assert response.data == {"id": 1}
    assert route.call_count == 2


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
@pytest.mark.parametrize(
    "error", [httpx.ReadError("reset"), httpx.RemoteProtocolError("gone"), httpx.ReadTimeout("t")]
)
async def test_idempotent_methods_are_retried_on_transport_errors(
    method: str, error: Exception
) -> None:
    """Retries an idempotent request that lost its connection or timed out."""
    with respx.mock(base_url=API) as router:
        route = router.request(method, "x/").mock(side_effect=[error, httpx.Response(200)])
        async with AsyncServiceClient(API, **FAST) as client:
            await client.request(method, "x/")
    assert route.call_count == 2


@pytest.mark.parametrize("method", ["POST", "PATCH"])
async def test_idempotency_header_makes_writes_retryable_with_one_key(method: str) -> None:
    """Retries a POST or PATCH with an idempotency header, sending the same key each time."""
    with respx.mock(base_url=API) as router:
        route = router.request(method, "books/").mock(
            side_effect=[httpx.Response(503), httpx.ReadError("reset"), httpx.Response(201)]
        )
        async with AsyncServiceClient(API, idempotency_header="Idempotency-Key", **FAST) as client:
            await client.request(method, "books/", json={"a": 1})
    keys = {call.request.headers["Idempotency-Key"] for call in route.calls}
    assert route.call_count == 3
    assert len(keys) == 1


async def test_retry_after_over_the_cap_raises_at_once() -> None:
    """Raises at once, with retry_after, when Retry-After asks for more than 60 seconds."""
    later = formatdate(time.time() + 300, usegmt=True)
    with respx.mock(base_url=API) as router:
        limited = router.get("a/").respond(429, headers={"Retry-After": "120"})
        down = router.get("b/").respond(503, headers={"Retry-After": later})
        async with AsyncServiceClient(API, max_retries=5) as client:
            started = time.monotonic()
            with pytest.raises(RateLimitError) as rate:
                await client.get("a/")
            with pytest.raises(ServerError) as server:
                await client.get("b/")
            elapsed = time.monotonic() - started
    assert elapsed < 5.0  # waiting would take minutes
    assert limited.call_count == 1
    assert down.call_count == 1
    assert rate.value.retry_after == 120.0
    assert server.value.retry_after is not None
    assert 290 < server.value.retry_after <= 300


async def test_retry_after_seconds_is_honoured() -> None:
    """Waits the Retry-After seconds before the retry instead of the backoff."""
    with respx.mock(base_url=API) as router:
        router.get("x/").mock(
            side_effect=[httpx.Response(503, headers={"Retry-After": "0.3"}), httpx.Response(200)]
        )
        async with AsyncServiceClient(API, retry_delay=0.0) as client:
            started = time.monotonic()
            await client.get("x/")
    assert 0.3 <= time.monotonic() - started < 2.0


async def test_backoff_grows_from_retry_delay() -> None:
    """Waits about retry_delay, then twice that, then four times, with jitter."""
    with respx.mock(base_url=API) as router:
        router.get("x/").mock(side_effect=answers(503, 503, 503, 200))
        async with AsyncServiceClient(API, retry_delay=0.04, max_retries=3) as client:
            started = time.monotonic()
            await client.get("x/")
    # Waits: [0.02, 0.04] + [0.04, 0.08] + [0.08, 0.16] seconds.
    assert 0.14 <= time.monotonic() - started < 1.5


async def test_discarded_responses_are_closed() -> None:
    """Closes every answer it discards on the way to a retry, without reading its body."""

    class Body(httpx.AsyncByteStream):
        def __init__(self) -> None:
            self.closed = False
            self.read = False

        async def __aiter__(self) -> AsyncIterator[bytes]:
            self.read = True
            yield b'{"detail": "busy"}'

        async def aclose(self) -> None:
            self.closed = True

    bodies = [Body() for _ in range(3)]
    with respx.mock(base_url=API) as router:
        router.get("x/").mock(
            side_effect=[httpx.Response(503, stream=body) for body in bodies]
            + [httpx.Response(200, json={})]
        )
        async with AsyncServiceClient(API, **FAST) as client:
            await client.get("x/")
    assert [body.closed for body in bodies] == [True, True, True]
    assert not any(body.read for body in bodies)


def test_parse_retry_after() -> None:
    """Reads Retry-After as seconds or as an HTTP date, ignoring nonsense."""
    now = 1_700_000_000.0
    assert parse_retry_after("5", now=now) == 5.0
    assert parse_retry_after(" 0 ", now=now) == 0.0
    assert parse_retry_after(formatdate(now + 30, usegmt=True), now=now) == 30.0
    assert parse_retry_after(formatdate(now - 30, usegmt=True), now=now) == 0.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 -0000", now=now) == 0.0
    for nonsense in (None, "", "soon", "-1", "nan", "inf"):
        assert parse_retry_after(nonsense, now=now) is None


def test_backoff_is_exponential_jittered_and_capped() -> None:
    """Draws each backoff from the upper half of retry_delay * 2**n, never beyond 60 s."""
    policy = RetryPolicy(max_retries=20, retry_delay=1.0)
    for retry in range(4):
        waits = {policy.backoff(retry) for _ in range(50)}
        assert all(2**retry / 2 <= w <= 2**retry for w in waits)
        assert len(waits) > 1  # jittered
    assert all(MAX_WAIT / 2 <= policy.backoff(12) <= MAX_WAIT for _ in range(50))


def test_status_wait_honours_retry_after_and_the_cap() -> None:
    """Waits Retry-After when given, refuses waits over the cap and final statuses."""
    policy = RetryPolicy(max_retries=2, retry_delay=1.0)
    assert policy.status_wait(503, 2.0, 0) == 2.0
    assert policy.status_wait(503, MAX_WAIT + 1, 0) is None
    assert policy.status_wait(404, None, 0) is None
    assert policy.status_wait(503, None, 2) is None
    wait = policy.status_wait(502, None, 1)
    assert wait is not None
    assert 1.0 <= wait <= 2.0


# -- failures below HTTP, from in-process TCP servers ------------------------


async def test_connection_reset_is_retried_for_get() -> None:
    """Retries a GET whose connection the server resets, and succeeds on a fresh one."""
    connections = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await reader.readuntil(b"\r\n\r\n")
        if connections == 1:
            reset(writer)
            return
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b'Content-Length: 11\r\nConnection: close\r\n\r\n{"ok":true}'
        )
        await writer.drain()

    async with (
        serve_tcp(handler) as port,
        AsyncServiceClient(f"http://127.0.0.1:{port}/", **FAST) as client,
    ):
        response = await client.get("x/")
    assert response.data == {"ok": True}
    assert connections == 2


@pytest.mark.parametrize(("method", "attempts"), [("GET", 3), ("POST", 1)])
async def test_connection_reset_raises_connection_error(method: str, attempts: int) -> None:
    """Raises our ConnectionError for a reset, after retries for GET and at once for POST."""
    connections = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await reader.readuntil(b"\r\n\r\n")
        reset(writer)

    async with (
        serve_tcp(handler) as port,
        AsyncServiceClient(f"http://127.0.0.1:{port}/", max_retries=2, **FAST) as client,
    ):
        with pytest.raises(ConnectionError) as info:
            await client.request(method, "x/", json={"a": 1})
    assert connections == attempts
    assert str(info.value).startswith(f"{method} http://127.0.0.1:{port}/x/: ")


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_failed_connect_is_retried_by_us_not_by_httpx(method: str) -> None:
    """Retries a failed TLS handshake 1 + max_retries times in all, any method; httpx adds none."""
    connections = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1  # accept, then hang up before the TLS handshake

    async with (
        serve_tcp(handler) as port,
        AsyncServiceClient(f"https://127.0.0.1:{port}/", max_retries=2, **FAST) as client,
    ):
        with pytest.raises(ConnectionError, match="ConnectError") as info:
            await client.request(method, "x/", json={"a": 1})
    assert connections == 3
    assert "(after 3 attempts)" in str(info.value)


async def test_refused_connection_raises_connection_error() -> None:
    """Raises our ConnectionError, also the builtin, when nothing listens on the port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but not listening: connections are refused
        async with AsyncServiceClient(f"http://127.0.0.1:{port}/", max_retries=1, **FAST) as client:
            with pytest.raises(OSError) as info:
                await client.get("x/")
    assert isinstance(info.value, ConnectionError)
    assert "(after 2 attempts)" in str(info.value)


async def test_httpx_transport_does_not_retry_refused_connections() -> None:
    """Fails a refused connection at once: httpx's transport adds no retries with backoff."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        async with AsyncServiceClient(f"http://127.0.0.1:{port}/", max_retries=0) as client:
            started = time.monotonic()
            for _ in range(3):
                with pytest.raises(ConnectionError):
                    await client.get("x/")
            elapsed = time.monotonic() - started
    # httpcore retries a refused TCP connect after 0 s, 0.5 s, 1 s... when its
    # transport has retries; three calls here would then take over 1.5 s.
    assert elapsed < 1.2
