"""Errors that would repeat are not retried; transient ones are; connect and read timeouts differ.

Every server here is real and local: a byte-level asyncio server on
127.0.0.1 (``serve_tcp`` with the handlers of ``raw_sockets``), or a listening
socket whose full accept queue drops SYNs. Attempts are counted server-side
where a server sees them.
"""

from __future__ import annotations

import asyncio
import ssl
import time

import httpx
import pytest
import trustme

from django_api_orm import AsyncServiceClient
from django_api_orm.exceptions import ConnectionError, TimeoutError
from tests.client.conftest import TLSFiles, serve_tcp
from tests.client.raw_sockets import Counter, answering, silent, tls_server, unanswered_port

OK = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}'
#: A header block of 200 KB: over the 100 KiB httpcore lets h11 buffer.
HUGE_HEADERS = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n{}"
FAST = {"retry_delay": 0.01, "max_retries": 3}


def _server_context(cert: trustme.LeafCert) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    return context


# -- TLS -----------------------------------------------------------------------


@pytest.mark.parametrize("case", ["untrusted CA", "wrong host"])
async def test_certificate_verification_failure_is_not_retried(tls: TLSFiles, case: str) -> None:
    """Raises at once for a certificate that fails verification: it would fail again."""
    counter = Counter()
    if case == "untrusted CA":
        cert = tls.ca.issue_cert("127.0.0.1")
        verify: ssl.SSLContext | bool = True  # the default CA store does not know the CA
    else:
        cert = tls.ca.issue_cert("other.example")
        verify = tls.client_context()
    with tls_server(_server_context(cert), OK, counter) as port:
        # The default retry_delay: a retry would cost over a second.
        async with AsyncServiceClient(f"https://127.0.0.1:{port}/", verify_ssl=verify) as client:
            started = time.monotonic()
            with pytest.raises(ConnectionError) as info:
                await client.get("x/")
            elapsed = time.monotonic() - started
    assert counter.connections == 1
    assert counter.requests == 0
    assert "CERTIFICATE_VERIFY_FAILED" in str(info.value)
    assert "not retried: the server's certificate failed verification" in str(info.value)
    assert elapsed < 1.0


async def test_plain_http_on_an_https_url_is_not_retried() -> None:
    """Raises at once when the server answers a TLS handshake in plain HTTP (wrong version)."""
    counter = Counter()

    async def plain(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        counter.connections += 1
        await reader.read(100)  # the ClientHello, read as if it were a request
        writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()

    async with (
        serve_tcp(plain) as port,
        AsyncServiceClient(f"https://127.0.0.1:{port}/", **FAST) as client,
    ):
        with pytest.raises(ConnectionError) as info:
            await client.get("x/")
    assert counter.connections == 1
    assert "WRONG_VERSION_NUMBER" in str(info.value)
    assert "not retried: the TLS handshake cannot succeed" in str(info.value)


async def test_tls_that_works_is_not_affected(tls: TLSFiles) -> None:
    """Answers through the same TLS server when the certificate verifies."""
    counter = Counter()
    cert = tls.ca.issue_cert("127.0.0.1")
    with tls_server(_server_context(cert), OK, counter) as port:
        async with AsyncServiceClient(
            f"https://127.0.0.1:{port}/", verify_ssl=tls.client_context()
        ) as client:
            response = await client.get("x/")
    assert response.data == {"ok": True}
    assert counter.connections == 1


# -- malformed and oversized answers ---------------------------------------------


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (HUGE_HEADERS, "header block is larger than the 100 KiB"),
        (b"HELLO WORLD\r\n\r\n", "the answer is malformed"),
        (b"HTTP/1.1 200 OK\r\nBad Header Line\r\nContent-Length: 2\r\n\r\n{}", "malformed"),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
            "malformed",
        ),
    ],
    ids=["200 KB header block", "status line", "header line", "two Content-Lengths"],
)
async def test_malformed_answers_are_not_retried(payload: bytes, reason: str) -> None:
    """Raises at once, saying why, for an answer that would be as broken the next time."""
    counter = Counter()
    async with (
        serve_tcp(answering(payload, counter)) as port,
        AsyncServiceClient(f"http://127.0.0.1:{port}/", **FAST) as client,
    ):
        with pytest.raises(ConnectionError) as info:
            await client.get("x/")
    assert counter.requests == 1
    assert "RemoteProtocolError" in str(info.value)
    assert "; not retried: " in str(info.value)
    assert reason in str(info.value)


@pytest.mark.parametrize(("method", "connections"), [("GET", 2), ("PUT", 2), ("POST", 1)])
async def test_server_closing_a_reused_connection(method: str, connections: int) -> None:
    """Retries a replayable request the server hung up on as a kept-alive connection was reused.

    "Server disconnected without sending a response." is transient: a fresh
    connection answers. A POST without an idempotency key may have arrived, so
    it is not retried, and the error says so.
    """
    counter = Counter()

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        counter.connections += 1
        first = counter.connections == 1
        await reader.readuntil(b"\r\n\r\n")
        counter.requests += 1
        writer.write(OK)
        await writer.drain()
        if first:  # keep the connection open, read the next request, close unanswered
            await reader.readuntil(b"\r\n\r\n")
            counter.requests += 1

    async with (
        serve_tcp(handler) as port,
        AsyncServiceClient(f"http://127.0.0.1:{port}/", **FAST) as client,
    ):
        await client.request(method, "x/")
        if method == "POST":
            with pytest.raises(ConnectionError) as info:
                await client.request(method, "x/")
            assert "Server disconnected without sending a response" in str(info.value)
            assert "not retried: POST is not idempotent" in str(info.value)
        else:
            response = await client.request(method, "x/")
            assert response.data == {"ok": True}
    assert counter.connections == connections
    assert counter.requests == 1 + connections


# -- connect timeout and read timeout ---------------------------------------------


async def test_a_full_accept_queue_gives_httpx_a_connect_timeout() -> None:
    """unanswered_port() makes httpx raise ConnectTimeout on this machine (the premise below)."""
    with unanswered_port() as port:
        transport = httpx.AsyncHTTPTransport(retries=0)
        request = httpx.Request(
            "GET",
            f"http://127.0.0.1:{port}/",
            extensions={"timeout": {"connect": 0.3, "read": 0.3, "write": 0.3, "pool": 0.3}},
        )
        async with transport:
            with pytest.raises(httpx.ConnectTimeout):
                await transport.handle_async_request(request)


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_connect_timeout_is_retried_for_any_method(method: str) -> None:
    """Retries a connect timeout even for a POST: the request provably never left."""
    with unanswered_port() as port:
        async with AsyncServiceClient(
            f"http://127.0.0.1:{port}/", timeout=0.3, max_retries=2, retry_delay=0.01, deadline=10
        ) as client:
            started = time.monotonic()
            with pytest.raises(TimeoutError) as info:
                await client.request(method, "x/", json={"a": 1})
            elapsed = time.monotonic() - started
    assert str(info.value).startswith(f"{method} http://127.0.0.1:{port}/x/: ConnectTimeout")
    assert "(after 3 attempts)" in str(info.value)
    assert elapsed < 10.0


@pytest.mark.parametrize(
    ("method", "idempotency_header", "requests"),
    [("GET", None, 3), ("POST", None, 1), ("POST", "Idempotency-Key", 3)],
)
async def test_read_timeout_is_retried_only_for_replayable_requests(
    method: str, idempotency_header: str | None, requests: int
) -> None:
    """Does not retry a POST whose answer timed out: it arrived, and may have been applied."""
    counter = Counter()
    async with (
        serve_tcp(silent(counter)) as port,
        AsyncServiceClient(
            f"http://127.0.0.1:{port}/",
            timeout=0.3,
            max_retries=2,
            retry_delay=0.01,
            idempotency_header=idempotency_header,
            deadline=10,
        ) as client,
    ):
        with pytest.raises(TimeoutError) as info:
            await client.request(method, "x/", json={"a": 1})
    assert counter.requests == requests
    if requests == 1:
        assert "not retried: POST is not idempotent" in str(info.value)
    else:
        assert f"(after {requests} attempts)" in str(info.value)
