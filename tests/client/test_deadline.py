"""The deadline over a whole call: attempts, backoff, Retry-After waits and redirects together.

Against the fault app under uvicorn, which counts attempts server-side, and
local sockets. Timing bounds are generous: they only tell "bounded by the
deadline" from "about 3 x 59 s".
"""

from __future__ import annotations

import socket
import time

import httpx
import pytest

from django_api_orm import AsyncServiceClient
from django_api_orm.exceptions import ConnectionError, ServerError, TimeoutError


async def _state(base: str, key: str) -> dict[str, int]:
    async with httpx.AsyncClient() as raw:
        data: dict[str, int] = (await raw.get(f"{base}state/{key}")).json()
        return data


async def test_retry_after_beyond_the_deadline_raises_at_once(fault_server: str, key: str) -> None:
    """Raises the 503 at once, with retry_after, when Retry-After: 59 would pass a 2 s deadline."""
    async with AsyncServiceClient(fault_server, deadline=2) as client:
        started = time.monotonic()
        with pytest.raises(ServerError) as info:
            await client.get(f"flaky/{key}", params={"fail": 99, "retry_after": 59})
        elapsed = time.monotonic() - started
    assert elapsed < 10.0  # without the deadline: about 3 x 59 s
    assert (await _state(fault_server, key))["attempts"] == 1
    assert info.value.status_code == 503
    assert info.value.retry_after == 59.0
    message = str(info.value)
    assert "Retry-After: 59 s" in message
    assert "not retried: waiting 59 s would pass the call's 2 s deadline" in message


async def test_default_deadline_is_three_timeouts_plus_the_backoff_schedule(
    fault_server: str, key: str
) -> None:
    """Bounds a call by 3 * timeout + the backoff waits when no deadline is given."""
    async with AsyncServiceClient(
        fault_server, timeout=0.5, retry_delay=0.01, max_retries=3
    ) as client:
        assert "deadline=1.57" in repr(client)  # 3 * 0.5 + 0.01 + 0.02 + 0.04
        started = time.monotonic()
        with pytest.raises(ServerError) as info:
            # Attempts at 0 s and 1 s; the next 1 s wait would end past 1.57 s.
            await client.get(f"flaky/{key}", params={"fail": 99, "retry_after": 1})
        elapsed = time.monotonic() - started
    assert (await _state(fault_server, key))["attempts"] == 2
    assert "1.57 s deadline" in str(info.value)
    assert elapsed < 6.0


async def test_default_deadline_leaves_the_default_schedule_alone() -> None:
    """Defaults: 3 * 30 + (1 + 2 + 4) = 97 s, room for every backoff and one 60 s Retry-After."""
    client = AsyncServiceClient("https://api.example.test/")
    assert "deadline=97" in repr(client)
    await client.close()


async def test_deadline_passing_during_an_attempt_raises_timeout_error(
    fault_server: str, key: str
) -> None:
    """Ends an attempt when the deadline passes, however long timeout is, naming both."""
    async with AsyncServiceClient(fault_server, timeout=30, deadline=1) as client:
        started = time.monotonic()
        with pytest.raises(TimeoutError) as info:
            await client.get(f"slow/{key}", params={"delay": 5})
        elapsed = time.monotonic() - started
    assert elapsed < 4.0
    assert (await _state(fault_server, key))["ports"] != []
    assert str(info.value) == (
        f"GET {fault_server}slow/{key}?delay=5: deadline: no answer within the call's 1 s "
        "deadline (1 attempt made, each limited to 30 s)"
    )


async def test_each_attempt_gets_what_is_left_of_the_deadline(fault_server: str, key: str) -> None:
    """Limits each attempt to min(timeout, time left), and counts the attempts it made."""
    async with AsyncServiceClient(
        fault_server, timeout=0.6, deadline=1.5, retry_delay=0.01, max_retries=5
    ) as client:
        started = time.monotonic()
        with pytest.raises(TimeoutError) as info:
            await client.get(f"slow/{key}", params={"delay": 5})
        elapsed = time.monotonic() - started
    assert elapsed < 5.0
    message = str(info.value)
    assert "no answer within the call's 1.5 s deadline" in message
    made = int(message.split("(")[1].split(" attempt")[0])
    assert made >= 2  # 0.6 s, 0.6 s, then what was left
    assert len((await _state(fault_server, key))["ports"]) <= made


async def test_backoff_beyond_the_deadline_raises_the_error_at_hand() -> None:
    """Raises a refused connection at once when the backoff would pass the deadline."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # bound, not listening: refused
        port = sock.getsockname()[1]
        async with AsyncServiceClient(
            f"http://127.0.0.1:{port}/", retry_delay=5, deadline=1
        ) as client:
            started = time.monotonic()
            with pytest.raises(ConnectionError) as info:
                await client.get("x/")
            elapsed = time.monotonic() - started
    assert elapsed < 1.0
    assert "ConnectError" in str(info.value)
    assert "would pass the call's 1 s deadline" in str(info.value)


async def test_redirects_share_the_deadline(fault_server: str) -> None:
    """Counts redirect hops against the one deadline of the call."""
    slow_target = "/slow/redirected?delay=5"
    async with AsyncServiceClient(fault_server, deadline=1) as client:
        started = time.monotonic()
        with pytest.raises(TimeoutError, match="2 attempts made"):
            await client.get("redirect", params={"to": slow_target})
        assert time.monotonic() - started < 4.0


@pytest.mark.parametrize("deadline", [0, -1, float("inf"), "10", True])
def test_bad_deadline_is_refused(deadline: object) -> None:
    """Refuses a deadline that is not a positive, finite number of seconds."""
    with pytest.raises(ValueError, match="deadline must be None or a number of seconds > 0"):
        AsyncServiceClient("https://api.example.test/", deadline=deadline)  # type: ignore[arg-type]
