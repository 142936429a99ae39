"""The server's retry hints: ``retry-after-ms`` and ``x-should-retry``.

Against ``/hinted/{key}`` of the fault app under uvicorn, which sends the
headers it is given and counts attempts (and their times) server-side.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from django_api_orm import AsyncServiceClient
from django_api_orm.client._retry import parse_retry_after_ms, server_wait, should_retry
from django_api_orm.exceptions import HTTPStatusError, RateLimitError, ServerError


async def _attempts(base: str, key: str) -> int:
    async with httpx.AsyncClient() as raw:
        count: int = (await raw.get(f"{base}state/{key}")).json()["attempts"]
        return count


async def test_retry_after_ms_takes_precedence(fault_server: str, key: str) -> None:
    """Waits retry-after-ms (300 ms), not the Retry-After: 59 sent beside it."""
    params: dict[str, Any] = {"fail": 1, "h_retry-after-ms": 300, "h_retry-after": 59}
    async with AsyncServiceClient(fault_server, retry_delay=0) as client:
        started = time.monotonic()
        response = await client.get(f"hinted/{key}", params=params)
        elapsed = time.monotonic() - started
    assert response.data["attempts"] == 2
    first, second = response.data["times"]
    assert second - first >= 0.25  # the server saw the wait
    assert elapsed < 10.0  # not 59 s


async def test_retry_after_ms_is_capped_like_retry_after(fault_server: str, key: str) -> None:
    """Raises at once, retry_after in seconds, when retry-after-ms asks for over 60 s."""
    params = {"fail": 9, "status": 429, "h_retry-after-ms": 120_000}
    async with AsyncServiceClient(fault_server) as client:
        with pytest.raises(RateLimitError) as info:
            await client.get(f"hinted/{key}", params=params)
    assert info.value.retry_after == 120.0
    assert "not retried: the server asks for a wait over the 60 s cap" in str(info.value)
    assert await _attempts(fault_server, key) == 1


async def test_should_retry_false_stops_a_503(fault_server: str, key: str) -> None:
    """Does not retry even a 503 the server marks x-should-retry: false, and says so."""
    params = {"fail": 9, "h_x-should-retry": "false"}
    async with AsyncServiceClient(fault_server, retry_delay=0) as client:
        with pytest.raises(ServerError) as info:
            await client.get(f"hinted/{key}", params=params)
    assert "not retried: the server answered x-should-retry: false" in str(info.value)
    assert await _attempts(fault_server, key) == 1


@pytest.mark.parametrize(
    ("method", "idempotency_header", "attempts"),
    [("GET", None, 2), ("DELETE", None, 2), ("POST", "Idempotency-Key", 2), ("POST", None, 1)],
)
async def test_should_retry_true_retries_any_status_of_a_replayable_request(
    fault_server: str, key: str, method: str, idempotency_header: str | None, attempts: int
) -> None:
    """Retries a 409 marked x-should-retry: true, but only a request that may be sent again."""
    params = {"fail": 1, "status": 409, "h_x-should-retry": "true"}
    async with AsyncServiceClient(
        fault_server, retry_delay=0, idempotency_header=idempotency_header
    ) as client:
        if attempts == 1:
            with pytest.raises(HTTPStatusError) as info:
                await client.request(method, f"hinted/{key}", params=params, json={"a": 1})
            assert info.value.status_code == 409
        else:
            response = await client.request(method, f"hinted/{key}", params=params, json={"a": 1})
            assert response.status_code == 200
    assert await _attempts(fault_server, key) == attempts


async def test_should_retry_true_still_counts_against_max_retries(
    fault_server: str, key: str
) -> None:
    """Stops after 1 + max_retries attempts, whatever the server says."""
    params = {"fail": 99, "status": 409, "h_x-should-retry": "true"}
    async with AsyncServiceClient(fault_server, retry_delay=0, max_retries=2) as client:
        with pytest.raises(HTTPStatusError):
            await client.get(f"hinted/{key}", params=params)
    assert await _attempts(fault_server, key) == 3


def test_header_parsing() -> None:
    """Reads retry-after-ms as milliseconds first, and x-should-retry as true/false only."""
    assert parse_retry_after_ms("1500") == 1.5
    assert parse_retry_after_ms(" 0 ") == 0.0
    for nonsense in (None, "", "soon", "-5", "nan", "inf"):
        assert parse_retry_after_ms(nonsense) is None
    assert server_wait(httpx.Headers({"retry-after-ms": "250", "retry-after": "59"})) == 0.25
    assert server_wait(httpx.Headers({"retry-after-ms": "x", "retry-after": "3"})) == 3.0
    assert server_wait(httpx.Headers({})) is None
    assert should_retry(httpx.Headers({"x-should-retry": "TRUE"})) is True
    assert should_retry(httpx.Headers({"x-should-retry": "false"})) is False
    assert should_retry(httpx.Headers({"x-should-retry": "maybe"})) is None
    assert should_retry(httpx.Headers({})) is None
