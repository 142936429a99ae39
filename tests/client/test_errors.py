"""Non-2xx answers, bodies that are not JSON, and transport failures become our exceptions."""

from __future__ import annotations

import builtins
import gzip
import logging

import httpx
import pytest
import respx
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from django_api_orm import AsyncServiceClient
from django_api_orm.exceptions import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConnectionError,
    HTTPStatusError,
    InvalidResponseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    TimeoutError,
)

API = "https://api.example.test/api/"
TOKEN = "s3cret-t0ken-value"


@pytest.mark.parametrize(
    ("status", "exception"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (405, HTTPStatusError),
        (409, HTTPStatusError),
        (418, HTTPStatusError),
        (429, RateLimitError),
        (500, ServerError),
        (501, ServerError),
        (503, ServerError),
    ],
)
async def test_status_maps_to_exception(status: int, exception: type[HTTPStatusError]) -> None:
    """Raises the exception matching the status, carrying method, URL, status and JSON body."""
    with respx.mock(base_url=API) as router:
        router.post("books/").respond(status, json={"detail": "nope"})
        async with AsyncServiceClient(API, auth_token=TOKEN, max_retries=0) as client:
            with pytest.raises(exception) as info:
                await client.post("books/", {"title": "x"})
    error = info.value
    assert type(error) is exception
    assert error.method == "POST"
    assert error.url == f"{API}books/"
    assert error.status_code == status
    assert error.body == {"detail": "nope"}
    assert str(error) == f"POST {API}books/ answered {status}: nope"


async def test_bad_request_is_a_validation_error() -> None:
    """Raises BadRequestError that Django code can catch as ValidationError, per field."""
    body = {"title": ["This field is required."], "non_field_errors": ["Duplicate."]}
    with respx.mock(base_url=API) as router:
        router.post("books/").respond(400, json=body)
        async with AsyncServiceClient(API) as client:
            with pytest.raises(ValidationError) as info:
                await client.post("books/", {})
    assert isinstance(info.value, BadRequestError)
    assert info.value.message_dict == {
        "title": ["This field is required."],
        NON_FIELD_ERRORS: ["Duplicate."],
    }


async def test_text_error_body_is_kept_truncated() -> None:
    """Keeps a non-JSON error body as text, truncated, and quotes its start in the message."""
    with respx.mock(base_url=API) as router:
        router.get("x/").respond(502, text="<h1>Bad gateway</h1>" + "x" * 10_000)
        async with AsyncServiceClient(API, max_retries=0) as client:
            with pytest.raises(ServerError) as info:
                await client.get("x/")
    assert isinstance(info.value.body, str)
    assert info.value.body.startswith("<h1>Bad gateway</h1>")
    assert len(info.value.body) < 2100
    assert "<h1>Bad gateway</h1>" in str(info.value)
    assert len(str(info.value)) < 700


async def test_rate_limit_carries_retry_after() -> None:
    """Raises RateLimitError with the server's Retry-After in seconds when retries are off."""
    with respx.mock(base_url=API) as router:
        router.get("x/").respond(429, json={"detail": "slow down"}, headers={"Retry-After": "7"})
        async with AsyncServiceClient(API, max_retries=0) as client:
            with pytest.raises(RateLimitError) as info:
                await client.get("x/")
    assert info.value.retry_after == 7.0
    assert "Retry-After: 7 s" in str(info.value)
    assert info.value.headers["retry-after"] == "7"


@pytest.mark.parametrize(
    ("content", "content_type", "reason"),
    [
        (b"<!doctype html><h1>Sign in</h1>", "text/html; charset=utf-8", "JSONDecodeError"),
        (b'{"results": [1, 2', "application/json", "JSONDecodeError"),
        (b"[" * 100_000 + b"]" * 100_000, "application/json", "RecursionError"),
        (b"\xff\xfe\xfa", "application/json", "not valid JSON"),
    ],
)
async def test_2xx_body_that_is_not_json(content: bytes, content_type: str, reason: str) -> None:
    """Raises InvalidResponseError naming the status and content type for a 2xx non-JSON body."""
    with respx.mock(base_url=API) as router:
        router.get("books/").respond(200, content=content, headers={"Content-Type": content_type})
        async with AsyncServiceClient(API) as client:
            with pytest.raises(InvalidResponseError) as info:
                await client.get("books/")
    message = str(info.value)
    assert message.startswith(f"GET {API}books/ answered 200 with content type {content_type!r}")
    assert reason in message
    assert info.value.status_code == 200


async def test_body_over_max_response_bytes() -> None:
    """Raises InvalidResponseError for a body over max_response_bytes, without reading it all."""
    with respx.mock(base_url=API) as router:
        router.get("small/").respond(200, json="x" * 90)
        router.get("big/").respond(200, json="x" * 200)
        async with AsyncServiceClient(API, max_response_bytes=100) as client:
            assert (await client.get("small/")).data == "x" * 90
            with pytest.raises(InvalidResponseError, match=r"larger than max_response_bytes"):
                await client.get("big/")


async def test_gzip_body_over_max_response_bytes() -> None:
    """Counts the cap in decoded bytes: a small gzip body that inflates past it is refused."""
    body = gzip.compress(b'"' + b"x" * 100_000 + b'"')
    assert len(body) < 1000
    with respx.mock(base_url=API) as router:
        router.get("z/").respond(200, content=body, headers={"Content-Encoding": "gzip"})
        async with AsyncServiceClient(API, max_response_bytes=10_000) as client:
            with pytest.raises(InvalidResponseError, match="larger than max_response_bytes"):
                await client.get("z/")


@pytest.mark.parametrize(
    ("raised", "expected", "builtin"),
    [
        (httpx.ConnectError("[Errno 111] Connection refused"), ConnectionError, ConnectionError),
        (httpx.ReadError("reset by peer"), ConnectionError, ConnectionError),
        (httpx.WriteError("broken pipe"), ConnectionError, ConnectionError),
        (httpx.RemoteProtocolError("Server disconnected"), ConnectionError, ConnectionError),
        (httpx.ProxyError("bad proxy"), ConnectionError, ConnectionError),
        (httpx.ConnectTimeout("timed out"), TimeoutError, TimeoutError),
        (httpx.ReadTimeout("timed out"), TimeoutError, TimeoutError),
        (httpx.PoolTimeout("timed out"), TimeoutError, TimeoutError),
    ],
)
async def test_transport_errors_map_to_ours(
    raised: Exception, expected: type[APIError], builtin: type[Exception]
) -> None:
    """Maps httpx transport errors to our ConnectionError or TimeoutError (also the builtins)."""
    with respx.mock(base_url=API) as router:
        router.delete("books/1/").mock(side_effect=raised)
        async with AsyncServiceClient(API, auth_token=TOKEN, max_retries=0) as client:
            with pytest.raises(expected) as info:
                await client.delete("books/1/")
    assert isinstance(info.value, getattr(builtins, builtin.__name__))
    assert str(info.value).startswith(f"DELETE {API}books/1/: {type(raised).__name__}")
    assert info.value.__cause__ is raised


async def test_messages_hide_credentials_and_secret_query_values() -> None:
    """Names the URL in errors without userinfo or secret query values."""
    with respx.mock(base_url="https://api.example.test/api/") as router:
        router.get("x/").respond(404, json={"detail": "Not found."})
        router.get("y/").mock(side_effect=httpx.ConnectError("refused"))
        async with AsyncServiceClient(
            "https://bob:hunter2@api.example.test/api/", max_retries=0
        ) as client:
            with pytest.raises(NotFoundError) as not_found:
                await client.get("x/", params={"api_key": "K3Y", "page": "2"})
            with pytest.raises(ConnectionError) as refused:
                await client.get("y/", params={"signature": "S1G"})
    for error in (not_found.value, refused.value):
        for text in (str(error), repr(error), error.url or ""):
            assert "hunter2" not in text
            assert "K3Y" not in text
            assert "S1G" not in text
    assert not_found.value.url == "https://api.example.test/api/x/?api_key=[redacted]&page=2"


async def test_token_never_in_errors_even_when_echoed() -> None:
    """Keeps the token out of str() and repr() of errors, even when the server echoes it."""
    echoed = {"detail": f"Invalid token Bearer {TOKEN}"}
    with respx.mock(base_url=API) as router:
        router.get("a/").respond(401, json=echoed)
        router.get("b/").respond(500, text=f"Authorization: Bearer {TOKEN}")
        router.get("c/").respond(200, text=f"<p>{TOKEN}</p>")
        async with AsyncServiceClient(API, auth_token=TOKEN, max_retries=0) as client:
            errors = []
            for path in ("a/", "b/", "c/"):
                with pytest.raises(APIError) as info:
                    await client.get(path)
                errors.append(info.value)
    assert [type(e) for e in errors] == [AuthenticationError, ServerError, InvalidResponseError]
    for error in errors:
        assert TOKEN not in str(error)
        assert TOKEN not in repr(error)
        assert "[secure]" in str(error)


async def test_token_never_in_log_records(caplog: pytest.LogCaptureFixture) -> None:
    """Keeps the token out of every log record at DEBUG, ours and httpcore's."""
    caplog.set_level(logging.DEBUG)
    with respx.mock(base_url=API) as router:
        router.get("ok/").respond(200, json={"ok": True})
        router.get("retry/").mock(side_effect=[httpx.Response(503), httpx.Response(200, json={})])
        router.post("bad/").respond(400, json={"token": [TOKEN]})
        async with AsyncServiceClient(
            API, auth_token=TOKEN, retry_delay=0.001, max_retries=1
        ) as client:
            await client.get("ok/", params={"token": "QUERY-SECRET"})
            await client.get("retry/")
            with pytest.raises(BadRequestError):
                await client.post("bad/", {"a": 1})
    messages = [record.getMessage() for record in caplog.records]
    assert any(m.startswith("GET ") and "-> 200" in m for m in messages)  # we logged requests
    assert any("retrying in" in m for m in messages)  # we logged the retry
    for record in caplog.records:
        text = record.getMessage() + repr(record.args) + repr(record.__dict__)
        assert TOKEN not in text
        assert "QUERY-SECRET" not in record.getMessage()


def test_nested_drf_errors_are_flattened_with_where_they_apply() -> None:
    """Flattens a list item's and a nested object's errors into readable messages."""
    from django_api_orm import BadRequestError

    error = BadRequestError(
        body={
            "tags": {"1": ["Ensure this field has no more than 50 characters."]},
            "address": {"city": ["This field is required."]},
            "items": [{}, {"qty": ["Must be positive."]}],
        }
    )
    assert error.message_dict == {
        "tags": ["item 2: Ensure this field has no more than 50 characters."],
        "address": ["city: This field is required."],
        "items": ["item 2: qty: Must be positive."],
    }
