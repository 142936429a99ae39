"""Configured credentials (the token, HEADERS values) never reach a message, a repr or a log.

Against real servers: ``tests/client/echo_server.py`` under uvicorn (HTTP/1.1)
and hypercorn (TLS, HTTP/2) echoes every credential it receives, in its bodies
and response headers; raw TCP servers fail the connection in other ways.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Iterator

import pytest

from django_api_orm import AsyncServiceClient
from django_api_orm.client._secrets import secret_values
from django_api_orm.exceptions import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConnectionError,
    HTTPStatusError,
    InvalidResponseError,
    NotFoundError,
    PermissionDeniedError,
    ServerError,
    TimeoutError,
)
from tests.client.conftest import TLSFiles, serve_tcp
from tests.servers import free_port, start_hypercorn, start_uvicorn

ECHO_APP = "tests.client.echo_server:app"
TOKEN = "tok-4b1d9e7c2a"
API_KEY = "k3y-9f8e7d6c5b4a"
#: A key under an odd name, with the characters repr() and JSON escape.
PARTNER = "p4rtner\\q'uote-77"
SECRETS = (TOKEN, API_KEY, PARTNER)
#: Too short to be hidden under a name that is not a credential: left alone.
VERSION = "v2"
HEADERS = {"X-Api-Key": API_KEY, "X-Partner": PARTNER, "X-Version": VERSION}

#: Every logger of the stack, at DEBUG.
LOGGERS = ("", "httpx", "httpcore", "hpack", "h2", "django_api_orm")


@pytest.fixture(scope="module")
def echo_server() -> Iterator[str]:
    """Serve the echo app with uvicorn; yield ``http://127.0.0.1:PORT/``."""
    with start_uvicorn(ECHO_APP) as url:
        yield url


@pytest.fixture(scope="module")
def echo_h2_server(tls: TLSFiles) -> Iterator[str]:
    """Serve the echo app with hypercorn over TLS (HTTP/2); yield ``https://127.0.0.1:PORT/``."""
    with start_hypercorn(ECHO_APP, certfile=tls.certfile, keyfile=tls.keyfile) as url:
        yield url


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Capture every record at DEBUG, the root logger's and the HTTP stack's."""
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def client(url: str, **kwargs: object) -> AsyncServiceClient:
    options: dict[str, object] = {"auth_token": TOKEN, "headers": HEADERS, "max_retries": 0}
    options.update(kwargs)
    return AsyncServiceClient(url, **options)  # type: ignore[arg-type]


def assert_no_secret_in(text: str) -> None:
    """No secret in ``text``, however many times repr() escaped it."""
    bare = text.replace("\\", "")
    for secret in SECRETS:
        assert secret.replace("\\", "") not in bare, (secret, text)


def assert_no_secret_in_error(error: BaseException) -> None:
    """No secret in ``str()``, ``repr()`` or the formatted traceback, causes included."""
    assert_no_secret_in(str(error))
    assert_no_secret_in(repr(error))
    assert_no_secret_in("".join(traceback.format_exception(error)))


def assert_no_secret_in_logs(caplog: pytest.LogCaptureFixture) -> None:
    assert caplog.records, "nothing was logged"
    for record in caplog.records:
        assert_no_secret_in(record.getMessage() + repr(record.args) + repr(record.msg))
    assert_no_secret_in(caplog.text)


# -- the rule ------------------------------------------------------------------------


def test_which_values_are_secrets() -> None:
    """Hides the token, credential-named headers at any length, and long odd ones; not others."""
    secrets = secret_values(
        "t0ken",
        {
            "X-Api-Key": "k",
            "Cookie": "sid=1",
            "X-Partner": "acme-4242",
            "X-Version": "v2",
            "Accept-Language": "de-CH-1996-private-use",
            "User-Agent": "our-robot/1.0 (+https://example.test)",
        },
    )
    assert {"t0ken", "k", "sid=1", "sid%3D1", "acme-4242"} == set(secrets)
    assert list(secrets) == sorted(secrets, key=len, reverse=True)


# -- refused at construction ------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "named", "why"),
    [
        ({"X-Api-Key": API_KEY + "\n"}, "'X-Api-Key'", "ends with a newline: strip() it"),
        ({"X-Api-Key": API_KEY + "\r\n"}, "'X-Api-Key'", "ends with a newline: strip() it"),
        ({"X-Partner": f"{API_KEY}\r\nX-Evil: 1"}, "'X-Partner'", "line break (CR or LF)"),
        ({"X-Api-Key": f" {API_KEY}"}, "'X-Api-Key'", "whitespace: strip() it"),
        ({"X-Api-Key": f"{API_KEY}\t"}, "'X-Api-Key'", "whitespace: strip() it"),
        ({"X-Api-Key": f"{API_KEY}\x00x"}, "'X-Api-Key'", "control character"),
        ({"X-Api-Key": f"{API_KEY}é"}, "'X-Api-Key'", "not ASCII"),
        ({"X-Api-Key": API_KEY.encode()}, "'X-Api-Key'", "the value is a bytes, not a str"),
        ({"X Api Key": API_KEY}, "'X Api Key'", "is not a header name"),
        ({"X-Api-Key:": API_KEY}, "'X-Api-Key:'", "is not a header name"),
        ({":authority": API_KEY}, "':authority'", "is not a header name"),
        ({"": API_KEY}, "''", "the name is empty"),
    ],
)
def test_illegal_header_is_refused_without_its_value(
    headers: dict[str, object], named: str, why: str
) -> None:
    """Raises ValueError naming the header and why, never quoting its value."""
    with pytest.raises(ValueError) as info:
        AsyncServiceClient("https://api.example.test/", headers=headers)  # type: ignore[arg-type]
    message = str(info.value)
    assert f"the header {named} is not legal" in message
    assert why in message
    assert API_KEY not in message
    assert API_KEY not in "".join(traceback.format_exception(info.value))


def test_legal_headers_are_accepted() -> None:
    """Accepts token characters in names and any printable ASCII inside values, even empty."""
    AsyncServiceClient(
        "https://api.example.test/",
        headers={"X-Odd_Name.1~": "a b\\c'\"{}", "X-Empty": "", "Accept-Language": "en"},
    )


# -- HTTP/1.1: errors and logs ---------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "query", "expected"),
    [
        ("GET", "status=401", AuthenticationError),
        ("POST", "status=400", BadRequestError),
        ("GET", "status=403&format=text", PermissionDeniedError),
        ("DELETE", "status=404", NotFoundError),
        ("GET", "status=500&format=text", ServerError),
        ("PUT", "status=503", ServerError),
        ("GET", "status=200&format=text", InvalidResponseError),
        ("GET", "status=302&location=http://elsewhere.test/%3Fk%3D%7Becho%7D", HTTPStatusError),
    ],
)
async def test_echoed_credentials_never_in_errors_or_logs(
    echo_server: str,
    debug_logs: pytest.LogCaptureFixture,
    method: str,
    query: str,
    expected: type[APIError],
) -> None:
    """Keeps every secret out of the error and of every DEBUG record, whatever the server echoes."""
    async with client(echo_server, max_retries=1, retry_delay=0) as api:
        with pytest.raises(expected) as info:
            await api.request(method, f"echo?{query}", json={"a": 1} if method != "GET" else None)
    assert type(info.value) is expected
    assert_no_secret_in_error(info.value)
    assert "[secure]" in str(info.value)
    assert_no_secret_in_logs(debug_logs)
    # httpcore logged the echoed response headers: scrubbed, not dropped.
    assert any("x-echo-x-api-key" in r.getMessage() for r in debug_logs.records)


async def test_short_values_of_other_headers_are_left_in_messages(echo_server: str) -> None:
    """Leaves X-Version: v2 alone: replacing "v2" everywhere would mangle messages."""
    async with client(echo_server) as api:
        with pytest.raises(AuthenticationError) as info:
            await api.get("echo?status=401")
    assert f"[secure] [secure] {VERSION} Bearer [secure]" in str(info.value)


async def test_validation_error_messages_hide_the_echo(echo_server: str) -> None:
    """Keeps the secrets out of the 400's message, while its body stays the server's."""
    async with client(echo_server) as api:
        with pytest.raises(BadRequestError) as info:
            await api.post("echo?status=400", {"a": 1})
    assert_no_secret_in_error(info.value)
    assert "x-api-key" in info.value.message_dict


# -- transport errors ------------------------------------------------------------------


async def test_malformed_answer_quoting_the_request_never_leaks(
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    """Scrubs h11's error, which quotes the illegal header line echoing the credentials."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        values = " ".join(line.partition(": ")[2] for line in head.split("\r\n")[1:] if line)
        writer.write(f"HTTP/1.1 200 OK\r\nX-Echo {values}\r\n\r\n".encode("latin-1"))
        await writer.drain()

    async with serve_tcp(handler) as port, client(f"http://127.0.0.1:{port}/") as api:
        with pytest.raises(ConnectionError) as info:
            await api.get("x")
    assert "RemoteProtocolError: illegal header line" in str(info.value)
    assert "[secure]" in str(info.value)
    assert_no_secret_in_error(info.value)
    assert info.value.__cause__ is not None
    assert_no_secret_in_logs(debug_logs)


async def test_refused_connection_and_timeout_never_leak(
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    """Keeps the secrets out of a refused connection's and a timeout's error and logs."""

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await asyncio.sleep(5)

    async with client(f"http://127.0.0.1:{free_port()}/") as api:
        with pytest.raises(ConnectionError) as refused:
            await api.get("x")
    async with serve_tcp(silent) as port, client(f"http://127.0.0.1:{port}/", timeout=0.3) as api:
        with pytest.raises(TimeoutError) as timed_out:
            await api.post("x", {"a": 1})
    for error in (refused.value, timed_out.value):
        assert_no_secret_in_error(error)
    assert_no_secret_in_logs(debug_logs)


# -- HTTP/2: hpack ---------------------------------------------------------------------


async def test_no_credential_in_any_record_over_http2(
    echo_h2_server: str, tls: TLSFiles, debug_logs: pytest.LogCaptureFixture
) -> None:
    """Keeps every secret out of hpack's, h2's, httpcore's and our DEBUG records over HTTP/2.

    hpack logs each header it adds to its table, each header block, and each
    header it decodes (here the echoes); the values are hidden, the names stay.
    """
    async with client(echo_h2_server, http2=True, verify_ssl=tls.ca_path) as api:
        first = await api.get("echo")
        second = await api.get("echo")  # the same headers again: indexed this time
        with pytest.raises(AuthenticationError) as info:
            await api.post("echo?status=401", {"a": 1})
    assert first.http_version == second.http_version == "HTTP/2"
    assert first.data["x-api-key"] == [API_KEY]  # the key did go out
    assert_no_secret_in_error(info.value)
    assert_no_secret_in_logs(debug_logs)
    hpack = [r.getMessage() for r in debug_logs.records if r.name.startswith("hpack")]
    assert any(m.startswith("Adding b'x-api-key'=<not logged>") for m in hpack)
    assert any(m.startswith("Adding b'x-partner'=<not logged>") for m in hpack)
    # What is sent never-indexed (docs/topics/http2-tls.rst): Authorization only.
    added = {m.split("=")[0]: m for m in hpack if m.startswith("Adding ")}
    assert "sensitive:True" in added["Adding b'authorization'"]
    assert "sensitive:False" in added["Adding b'x-api-key'"]
    assert any(m.startswith("Decoded b'x-echo-x-api-key': <not logged>") for m in hpack)
    assert any(m == "Encoded header block to <not logged>" for m in hpack)
    # Header values that are no secret are hidden from hpack's records too.
    assert not any("application/json" in m for m in hpack)
