"""Against a real server on 127.0.0.1 that misbehaves on purpose (``fault_server.py``)."""

from __future__ import annotations

import logging
import time
import tracemalloc
from typing import Any

import httpx
import pytest

from django_api_orm import AsyncServiceClient
from django_api_orm.exceptions import (
    HTTPStatusError,
    InvalidResponseError,
    ServerError,
    TimeoutError,
)

TOKEN = "s3cret-t0ken-value"


async def state(base_url: str, key: str) -> dict[str, Any]:
    """Return what the fault server recorded under ``key``."""
    async with httpx.AsyncClient(base_url=base_url) as raw:
        data: dict[str, Any] = (await raw.get(f"state/{key}")).json()
        return data


async def test_echo_sees_the_exact_request(fault_server: str) -> None:
    """Sends method, path, query, headers and JSON body as pinned, over a real socket."""
    async with AsyncServiceClient(
        f"{fault_server}api", auth_token=TOKEN, headers={"X-Tenant": "acme"}
    ) as client:
        response = await client.post(f"{fault_server}echo", {"a": [1, 2]})
        get = await client.get("/echo/", params=[("b", "2"), ("a", "1")])
    assert response.data["method"] == "POST"
    assert response.data["body"] == {"a": [1, 2]}
    assert response.data["headers"]["authorization"] == f"Bearer {TOKEN}"
    assert response.data["headers"]["x-tenant"] == "acme"
    assert response.data["headers"]["accept"] == "application/json"
    assert get.data["path"] == "/api/echo/"
    assert get.data["query"] == "b=2&a=1"
    assert get.http_version == "HTTP/1.1"


async def test_retries_a_get_the_server_answers_503(fault_server: str, key: str) -> None:
    """Retries a GET answered 503 with Retry-After: 1, waiting a second, then succeeds."""
    async with AsyncServiceClient(fault_server, retry_delay=0.001) as client:
        started = time.monotonic()
        response = await client.get(f"flaky/{key}", params={"fail": "1", "retry_after": "1"})
        elapsed = time.monotonic() - started
    assert response.data == {"attempts": 2}
    assert 1.0 <= elapsed < 3.0
    assert (await state(fault_server, key))["attempts"] == 2


async def test_retries_after_an_http_date(fault_server: str, key: str) -> None:
    """Honours a 429's Retry-After given as an HTTP date."""
    async with AsyncServiceClient(fault_server, retry_delay=0.001) as client:
        started = time.monotonic()
        response = await client.get(
            f"flaky/{key}", params={"fail": "1", "status": "429", "retry_after": "date+1"}
        )
        elapsed = time.monotonic() - started
    assert response.data == {"attempts": 2}
    assert elapsed < 3.0  # an HTTP date has whole seconds: the wait is 0 to 1 s


async def test_a_post_is_never_created_twice(fault_server: str, key: str) -> None:
    """Sends a POST answered 503 once only: it raises, and nothing was created twice."""
    async with AsyncServiceClient(fault_server, retry_delay=0.001, max_retries=3) as client:
        with pytest.raises(ServerError):
            await client.post(f"create/{key}?fail=1", {"title": "x"})
        created = await client.post(f"create/{key}", {"title": "x"})
    assert created.status_code == 201
    recorded = await state(fault_server, key)
    assert recorded["attempts"] == 2
    assert recorded["created"] == 1


async def test_idempotency_key_is_stable_across_retries(fault_server: str, key: str) -> None:
    """Retries a POST with an idempotency header, the same key on every attempt."""
    async with AsyncServiceClient(
        fault_server, retry_delay=0.001, idempotency_header="Idempotency-Key"
    ) as client:
        response = await client.post(f"create/{key}?fail=2", {"title": "x"})
    assert response.status_code == 201
    recorded = await state(fault_server, key)
    assert recorded["attempts"] == 3
    assert recorded["created"] == 1
    assert len(set(recorded["keys"])) == 1
    assert recorded["keys"][0] is not None


async def test_timeout_bounds_the_whole_attempt(fault_server: str) -> None:
    """Stops a body trickling one byte every 0.5 s at timeout=1.0, not at the end."""
    async with AsyncServiceClient(fault_server, timeout=1.0, max_retries=0) as client:
        started = time.monotonic()
        with pytest.raises(TimeoutError) as info:
            await client.get("trickle", params={"count": "20", "interval": "0.5"})
        elapsed = time.monotonic() - started
    assert 1.0 <= elapsed < 2.5  # the trickle alone would take 10 s
    assert isinstance(info.value, TimeoutError)
    assert "within 1 s" in str(info.value)


async def test_gzip_bomb_is_not_inflated_into_memory(fault_server: str) -> None:
    """Stops inflating a 64 MiB gzip bomb at the cap, holding a few MiB at most."""
    async with AsyncServiceClient(fault_server, max_response_bytes=2**20) as client:
        await client.get("ok")  # open the connection before measuring
        with pytest.raises(InvalidResponseError, match="larger than max_response_bytes"):
            await client.get("gzip-bomb", params={"mib": "2"})
        tracemalloc.start()
        try:
            with pytest.raises(InvalidResponseError, match="larger than max_response_bytes"):
                await client.get("gzip-bomb", params={"mib": "64"})
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 8 * 2**20


async def test_gzip_json_is_decoded(fault_server: str) -> None:
    """Decodes a gzip-encoded JSON answer from a real server."""
    async with AsyncServiceClient(fault_server) as client:
        response = await client.get("gzip-json")
    assert response.data["compressed"] is True


async def test_bad_gzip_is_an_invalid_response(fault_server: str) -> None:
    """Raises InvalidResponseError for a body that is not the gzip it claims to be."""
    async with AsyncServiceClient(fault_server) as client:
        with pytest.raises(InvalidResponseError, match="could not be decoded"):
            await client.get("bad-gzip")


async def test_identity_body_over_the_cap(fault_server: str) -> None:
    """Refuses a plain body over max_response_bytes and accepts one at the cap."""
    async with AsyncServiceClient(fault_server, max_response_bytes=1000) as client:
        assert len((await client.get("big", params={"bytes": "1000"})).data) == 998
        with pytest.raises(InvalidResponseError, match="larger than max_response_bytes"):
            await client.get("big", params={"bytes": "1001"})


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("html", "text/html"), ("truncated", "application/json"), ("deep", "application/json")],
)
async def test_2xx_bodies_that_are_not_json(
    fault_server: str, path: str, content_type: str
) -> None:
    """Raises InvalidResponseError naming status and content type for HTML, cut or deep JSON."""
    async with AsyncServiceClient(fault_server) as client:
        with pytest.raises(InvalidResponseError) as info:
            await client.get(path)
    assert f"answered 200 with content type {content_type!r}" in str(info.value)


async def test_no_content_and_empty_bodies(fault_server: str) -> None:
    """Returns data None for 204 and for an empty 200 body."""
    async with AsyncServiceClient(fault_server) as client:
        assert (await client.delete("no-content")).data is None
        assert (await client.get("empty")).data is None


async def test_error_statuses_over_real_http(fault_server: str) -> None:
    """Raises with the parsed JSON body, or the text body truncated, from a real server."""
    async with AsyncServiceClient(fault_server, max_retries=0) as client:
        with pytest.raises(HTTPStatusError) as json_error:
            await client.get("status/409")
        with pytest.raises(ServerError) as text_error:
            await client.get("text-status/500")
    assert json_error.value.body == {"detail": "status 409"}
    assert isinstance(text_error.value.body, str)
    assert 2000 <= len(text_error.value.body) < 2100


async def test_reads_follow_redirects_within_the_origin(fault_server: str, key: str) -> None:
    """Follows a GET's redirect to the same origin."""
    async with AsyncServiceClient(fault_server) as client:
        response = await client.get("redirect", params={"to": f"/redirect-count/{key}"})
    assert response.data == {"redirected": True}
    assert response.url == f"{fault_server}redirect-count/{key}"
    assert (await state(fault_server, key))["attempts"] == 1


async def test_redirects_to_another_origin_are_refused(fault_server: str, key: str) -> None:
    """Refuses a redirect to another origin, naming the Location, without following it."""
    other = fault_server.replace("127.0.0.1", "localhost") + f"redirect-count/{key}"
    async with AsyncServiceClient(fault_server) as client:
        with pytest.raises(HTTPStatusError) as info:
            await client.get("redirect", params={"to": other})
    assert info.value.status_code == 302
    assert f"redirecting to {other}" in str(info.value)
    assert "only within" in str(info.value)
    assert (await state(fault_server, key))["attempts"] == 0


@pytest.mark.parametrize("status", ["301", "302", "307", "308"])
async def test_writes_never_follow_redirects(fault_server: str, key: str, status: str) -> None:
    """Raises for a redirected POST, naming the Location, and never turns it into a GET."""
    target = f"{fault_server}redirect-count/{key}"
    async with AsyncServiceClient(fault_server) as client:
        with pytest.raises(HTTPStatusError) as info:
            await client.post(f"redirect?status={status}&to={target}", {"a": 1})
    assert info.value.status_code == int(status)
    assert f"redirecting to {target}; writes never follow redirects" in str(info.value)
    assert (await state(fault_server, key))["attempts"] == 0


async def test_follow_redirects_false(fault_server: str, key: str) -> None:
    """Raises for a GET's redirect when follow_redirects is off."""
    async with AsyncServiceClient(fault_server, follow_redirects=False) as client:
        with pytest.raises(HTTPStatusError, match="follow_redirects is off"):
            await client.get("redirect", params={"to": f"/redirect-count/{key}"})
    assert (await state(fault_server, key))["attempts"] == 0


async def test_redirect_loops_stop(fault_server: str) -> None:
    """Stops after 10 redirects."""
    async with AsyncServiceClient(fault_server) as client:
        with pytest.raises(HTTPStatusError, match="more than 10 redirects"):
            await client.get("redirect")


async def test_token_never_in_log_records_over_http1(
    fault_server: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Keeps the token and URL credentials out of every DEBUG record over a real HTTP/1.1 socket."""
    caplog.set_level(logging.DEBUG)
    base = fault_server.replace("http://", "http://bob:hunter2@")
    async with AsyncServiceClient(base, auth_token=TOKEN, retry_delay=0.001) as client:
        await client.post("echo", {"a": 1})
        await client.get("echo", params={"access_token": "QUERY-SECRET"})
        with pytest.raises(HTTPStatusError):
            await client.get("status/403")
    names = {record.name for record in caplog.records}
    assert {"httpcore.http11", "httpcore.connection", "django_api_orm.client"} <= names
    for record in caplog.records:
        message = record.getMessage()
        for secret in (TOKEN, "hunter2", "QUERY-SECRET"):
            assert secret not in message
