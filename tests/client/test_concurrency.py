"""Many requests at once, limits, and cancellation, against a real server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from django_api_orm import AsyncServiceClient


async def state(base_url: str, key: str) -> dict[str, Any]:
    """Return what the fault server recorded under ``key``."""
    async with httpx.AsyncClient(base_url=base_url) as raw:
        data: dict[str, Any] = (await raw.get(f"state/{key}")).json()
        return data


async def test_a_thousand_concurrent_gets_through_twenty_connections(
    fault_server: str, key: str
) -> None:
    """Completes 1,000 concurrent GETs with max_connections=20, never more than 20 at once."""
    async with AsyncServiceClient(
        fault_server, max_connections=20, timeout=10.0, max_retries=0
    ) as client:
        started = time.monotonic()
        responses = await asyncio.gather(
            *(client.get(f"slow/{key}", params={"delay": "0.005"}) for _ in range(1000))
        )
        elapsed = time.monotonic() - started
    assert [r.status_code for r in responses] == [200] * 1000
    peak = (await state(fault_server, key))["peak"]
    assert 10 <= peak <= 20
    assert elapsed < 30


async def test_max_keepalive_connections_is_applied(fault_server: str, key: str) -> None:
    """Keeps at most max_keepalive_connections idle connections for the next burst."""

    async def burst(client: AsyncServiceClient, name: str) -> set[int]:
        await asyncio.gather(
            *(client.get(f"slow/{name}", params={"delay": "0.1"}) for _ in range(8))
        )
        return set((await state(fault_server, name))["ports"])

    async with AsyncServiceClient(
        fault_server, max_connections=8, max_keepalive_connections=2
    ) as client:
        first = await burst(client, f"{key}-a")
        second = await burst(client, f"{key}-b")
    async with AsyncServiceClient(
        fault_server, max_connections=8, max_keepalive_connections=8
    ) as client:
        first_kept = await burst(client, f"{key}-c")
        second_kept = await burst(client, f"{key}-d")
    assert len(first) == 8
    assert 1 <= len(first & second) <= 2
    assert len(first_kept & second_kept) > 2


async def test_the_client_survives_cancelled_requests(fault_server: str, key: str) -> None:
    """Serves 50 requests after 200 in-flight requests were cancelled at every stage."""
    async with AsyncServiceClient(
        fault_server, max_connections=10, timeout=3.0, max_retries=0
    ) as client:
        cancelled = 0
        # task.cancel() after 0, 1, 2, ... trips round the event loop, so the
        # cancellations land at every await of a request: waiting for the
        # semaphore, for a connection from the pool, connecting, sending,
        # reading. Some of these leave httpcore's pool wedged (httpcore #1093).
        for step in range(10):
            tasks = [
                asyncio.create_task(client.get(f"slow/{key}", params={"delay": "0.2"}))
                for _ in range(10)
            ]
            for _ in range(step * 2):
                await asyncio.sleep(0)
            for task in tasks:
                task.cancel()
            results = await asyncio.gather(*tasks, return_exceptions=True)
            cancelled += sum(isinstance(r, asyncio.CancelledError) for r in results)
        # asyncio.timeout() cancelling a gather of in-flight requests.
        for step in range(10):
            try:
                async with asyncio.timeout(0.002 * step):
                    await asyncio.gather(
                        *(client.get(f"slow/{key}", params={"delay": "0.2"}) for _ in range(10))
                    )
            except TimeoutError:
                cancelled += 10
        assert cancelled == 200

        # On a wedged pool these would wait out the 3 s timeout and raise TimeoutError.
        responses = await asyncio.gather(*(client.get("ok") for _ in range(50)))
    assert [r.data for r in responses] == [{"ok": True}] * 50
