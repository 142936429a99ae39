"""The retry budget: a token bucket per client, so a 503 storm cannot multiply the load.

Against the fault app under uvicorn, which counts attempts server-side, and a
byte-level local server that resets connections.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from django_api_orm import AsyncServiceClient
from django_api_orm.client._budget import (
    DEFAULT_RETRY_BUDGET,
    RETRY_COST,
    SUCCESS_REFILL,
    TIMEOUT_RETRY_COST,
)
from django_api_orm.exceptions import ConnectionError, ServerError
from tests.client.conftest import reset, serve_tcp

STORM = {"fail": 10_000, "retry_after": 0}
SPENT = "not retried: the client's retry budget is spent"


async def _attempts(base: str, key: str) -> int:
    async with httpx.AsyncClient() as raw:
        count: int = (await raw.get(f"{base}state/{key}")).json()["attempts"]
        return count


def test_costs_are_botocores() -> None:
    """Documents the costs: 500 tokens, 5 per retry, 10 after a timeout, 1 back per success."""
    assert (DEFAULT_RETRY_BUDGET, RETRY_COST, TIMEOUT_RETRY_COST, SUCCESS_REFILL) == (500, 5, 10, 1)


async def test_a_503_storm_empties_the_default_budget(fault_server: str, key: str) -> None:
    """Stops retrying after 100 retries without a success: then each call makes one attempt."""
    async with AsyncServiceClient(fault_server, max_retries=3, retry_delay=0) as client:
        messages = []
        for _ in range(35):
            with pytest.raises(ServerError) as info:
                await client.get(f"flaky/{key}", params=STORM)
            messages.append(str(info.value))
    # 33 calls of 4 attempts (99 retries), one of 2 (the 100th retry), one of 1.
    assert await _attempts(fault_server, key) == 33 * 4 + 2 + 1
    assert not any(SPENT in m for m in messages[:33])
    assert all(SPENT in m for m in messages[33:])


async def test_successes_refill_the_budget(fault_server: str, key: str) -> None:
    """Gives back a retry's tokens when its call succeeds, and one token per plain success."""
    async with AsyncServiceClient(
        fault_server, max_retries=3, retry_delay=0, retry_budget=RETRY_COST
    ) as client:
        # One retry, then a success: the 5 tokens come back.
        await client.get(f"flaky/{key}-a", params={"fail": 1, "retry_after": 0})
        await client.get(f"flaky/{key}-b", params={"fail": 1, "retry_after": 0})
        # A storm takes them: one retry, then the budget is spent.
        with pytest.raises(ServerError, match=SPENT):
            await client.get(f"flaky/{key}-c", params=STORM)
        with pytest.raises(ServerError, match=SPENT):
            await client.get(f"flaky/{key}-d", params=STORM)
        # Five plain successes refill one token each.
        for _ in range(RETRY_COST):
            await client.get("ok")
        with pytest.raises(ServerError, match=SPENT):
            await client.get(f"flaky/{key}-e", params=STORM)
    attempts = [await _attempts(fault_server, f"{key}-{c}") for c in "abcde"]
    assert attempts == [2, 2, 2, 1, 2]


async def test_a_connection_error_retry_costs_more() -> None:
    """Takes 10 tokens for a retry after a connection error: 15 tokens allow one such retry."""
    connections = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await reader.readuntil(b"\r\n\r\n")
        reset(writer)

    async with (
        serve_tcp(handler) as port,
        AsyncServiceClient(
            f"http://127.0.0.1:{port}/", max_retries=3, retry_delay=0.001, retry_budget=15
        ) as client,
    ):
        with pytest.raises(ConnectionError) as info:
            await client.get("x/")
    assert connections == 2
    assert "(after 2 attempts)" in str(info.value)
    assert SPENT in str(info.value)


async def test_no_budget_when_none(fault_server: str, key: str) -> None:
    """Rations nothing with retry_budget=None: every call makes 1 + max_retries attempts."""
    async with AsyncServiceClient(
        fault_server, max_retries=3, retry_delay=0, retry_budget=None
    ) as client:
        for _ in range(3):
            with pytest.raises(ServerError):
                await client.get(f"flaky/{key}", params=STORM)
    assert await _attempts(fault_server, key) == 12


async def test_zero_budget_means_no_retries(fault_server: str, key: str) -> None:
    """Makes one attempt per call with retry_budget=0, saying why."""
    async with AsyncServiceClient(fault_server, retry_delay=0, retry_budget=0) as client:
        with pytest.raises(ServerError, match=SPENT):
            await client.get(f"flaky/{key}", params=STORM)
    assert await _attempts(fault_server, key) == 1


@pytest.mark.parametrize("budget", [-1, 1.5, "10", True])
def test_bad_budget_is_refused(budget: object) -> None:
    """Refuses a retry_budget that is not None or an int >= 0."""
    with pytest.raises(ValueError, match="retry_budget must be None or an int >= 0"):
        AsyncServiceClient("https://api.example.test/", retry_budget=budget)  # type: ignore[arg-type]
