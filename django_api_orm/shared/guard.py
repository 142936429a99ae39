"""``RATE_LIMIT`` and ``CIRCUIT_BREAKER``: one budget and one breaker per provider.

:class:`RateLimiter` spaces the requests of every process ``1/rate`` seconds apart
(a generic cell rate algorithm, GCRA): each request takes the next free slot of the
shared schedule and waits for its time, so the provider sees at most ``rate``
requests plus one in any second (up to 500/s; above, within 0.2 %), whatever the
number of processes. A process reserves, in one call, a slot for every request
waiting in it at that moment (up to a tenth of a second's worth); a slot not used
within one interval of its time (2 to 50 ms) is dropped, never saved up, so
reservations never add up to a burst. A ``Retry-After`` seen by any process moves
every process's next slot past it.

:class:`CircuitBreaker` counts logical requests (after their retries) that ended in
a transport error or a 5xx. At ``FAILURES`` consecutive ones it opens for every
process: calls raise :class:`~django_api_orm.exceptions.ServiceUnavailableError`
without sending. After ``RESET`` seconds one trial request, for the whole site,
decides: success closes it, failure opens it again. A success while it is closed
costs nothing; each process reads the shared state at most every
``STATE_REFRESH`` seconds, and at once after each failure of its own.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from typing import Final

from django_api_orm.client._errors import BudgetTimeoutError
from django_api_orm.conf_validation import parse_rate
from django_api_orm.exceptions import ServiceUnavailableError

from .store import LocalBackend, RedisBackend, Store

__all__ = [
    "LEASE_SECONDS",
    "STATE_REFRESH",
    "BudgetTimeoutError",
    "CircuitBreaker",
    "RateLimiter",
    "parse_rate",
]

#: The most a process reserves at once: this many seconds of the budget.
LEASE_SECONDS: Final = 0.1
#: A reserved slot is used at most this late (one interval, within these bounds).
MIN_GRACE: Final = 0.002
MAX_GRACE: Final = 0.05
#: Seconds a process trusts its view of the shared breaker before reading it again.
STATE_REFRESH: Final = 1.0


class RateLimiter:
    """A budget of requests per second, shared by every process through ``store``."""

    def __init__(self, store: Store, *, service: str, rate: str) -> None:
        per_second = parse_rate(rate)
        if per_second is None:
            raise ValueError(f"RATE_LIMIT must be like '50/s', not {rate!r}")
        self.rate = rate
        self.interval = 1.0 / per_second
        self._store = store
        self._service = service
        self._tat_key = store.make_key(f"api_orm:{service}:rate")
        self._block_key = store.make_key(f"api_orm:{service}:blocked")
        self._slots: deque[float] = deque()  # the event loop's times of reserved slots
        self._max_lease = max(1, math.floor(per_second * LEASE_SECONDS))
        #: How late a slot may still be used: past that, it is dropped.
        self._grace = min(max(self.interval, MIN_GRACE), MAX_GRACE)
        self._waiting = 0  # requests in acquire() now: the size of the next lease
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"<RateLimiter {self._service!r} {self.rate}>"

    async def acquire(self, remaining: float, *, method: str, url: str) -> None:
        """Wait for this request's slot; raise if none comes within ``remaining`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + remaining
        slots = self._slots
        self._waiting += 1
        try:
            while True:
                now = loop.time()
                while slots and slots[0] < now - self._grace:
                    slots.popleft()  # its time is gone: never kept for a burst
                if slots:
                    at = slots.popleft()
                    if at > deadline:
                        raise self._too_late(at - now, deadline - now, method, url)
                    if at > now:
                        await asyncio.sleep(at - now)
                    return
                async with self._lock:
                    if not slots:
                        wait = await self._reserve(max(0.0, deadline - loop.time()))
                        if wait is not None:
                            now = loop.time()
                            raise self._too_late(wait, deadline - now, method, url)
        finally:
            self._waiting -= 1

    async def _reserve(self, remaining: float) -> float | None:
        """Reserve slots for the requests waiting now; return the wait for the first free
        slot when it comes after ``remaining`` seconds (nothing is reserved then)."""
        # As many slots as requests wait now: a lease never holds time nobody asked for.
        count = min(self._waiting, self._max_lease)
        interval, tat_key, block_key = self.interval, self._tat_key, self._block_key

        async def reserve(backend: RedisBackend | LocalBackend) -> tuple[float, float, int]:
            return await backend.reserve(tat_key, block_key, interval, count, remaining)

        now, start, got = await self._store.run(reserve, default=(0.0, 0.0, 0))
        if got == 0:
            return start - now  # not reserved: no other request may use it either
        first = asyncio.get_running_loop().time() + (start - now)
        self._slots.extend(first + i * interval for i in range(got))
        return None

    def _too_late(self, wait: float, remaining: float, method: str, url: str) -> Exception:
        return BudgetTimeoutError(
            f"not sent: the next slot of service {self._service!r}'s RATE_LIMIT "
            f"({self.rate}, shared by every process) comes in {wait:.3g} s, after the "
            f"call's deadline ({max(0.0, remaining):.3g} s left). Raise RATE_LIMIT or "
            "DEADLINE, or send fewer requests.",
            method=method,
            url=url,
        )

    async def block(self, seconds: float) -> None:
        """Move every process's next slot at least ``seconds`` from now (``Retry-After``)."""
        block_key = self._block_key

        async def block(backend: RedisBackend | LocalBackend) -> None:
            await backend.block(block_key, seconds)

        await self._store.run(block, default=None)
        # This process's reserved slots come before the block: give them up.
        self._slots.clear()


class CircuitBreaker:
    """Fail fast for every process once the provider has failed ``failures`` times in a row."""

    def __init__(self, store: Store, *, service: str, failures: int, reset: float) -> None:
        self.threshold = failures
        self.reset = float(reset)
        self._store = store
        self._service = service
        self._keys = tuple(
            store.make_key(f"api_orm:{service}:breaker:{name}")
            for name in ("failures", "open", "trial")
        )
        self._checked = -math.inf  # the loop's time of the last read of the shared state
        self._failures = 0
        self._open_until = 0.0  # the loop's time

    def __repr__(self) -> str:
        return f"<CircuitBreaker {self._service!r} failures={self.threshold} reset={self.reset:g}>"

    def _adopt(self, now: float, failures: int, open_until: float) -> None:
        loop_now = asyncio.get_running_loop().time()
        self._checked = loop_now
        self._failures = failures
        self._open_until = loop_now + max(0.0, open_until - now) if open_until else 0.0

    async def before(self, method: str, url: str) -> bool:
        """Raise if the breaker is open; return whether this request is the trial."""
        loop_now = asyncio.get_running_loop().time()
        if loop_now - self._checked > STATE_REFRESH:
            keys = self._keys

            async def read(backend: RedisBackend | LocalBackend) -> tuple[float, int, float]:
                return await backend.breaker_state(keys)

            self._adopt(*await self._store.run(read, default=(0.0, 0, 0.0)))
            loop_now = asyncio.get_running_loop().time()
        if self._failures < self.threshold:
            return False
        if loop_now < self._open_until:
            raise self._open_error(self._open_until - loop_now, method, url)
        trial_key, reset = self._keys[2], self.reset

        async def claim(backend: RedisBackend | LocalBackend) -> bool:
            return await backend.breaker_trial(trial_key, reset)

        if not await self._store.run(claim, default=True):
            raise self._open_error(None, method, url)
        return True

    async def failed(self) -> None:
        """Count a logical request that ended in a transport error or a 5xx."""
        keys, threshold, reset = self._keys, self.threshold, self.reset

        async def fail(backend: RedisBackend | LocalBackend) -> tuple[float, int, float]:
            return await backend.breaker_failure(keys, threshold, reset)

        self._adopt(*await self._store.run(fail, default=(0.0, 0, 0.0)))

    async def succeeded(self, *, trial: bool) -> None:
        """Close the breaker after a success, when anything was counted against it."""
        if not trial and self._failures == 0:
            return  # the usual case: nothing to tell anyone
        keys = self._keys

        async def close(backend: RedisBackend | LocalBackend) -> None:
            await backend.breaker_success(keys)

        await self._store.run(close, default=None)
        self._failures = 0
        self._open_until = 0.0

    async def abandon_trial(self) -> None:
        """Give up the trial this process claimed, undecided (not sent, or cancelled): the
        next call, of any process, is the trial, rather than none for ``RESET`` seconds."""
        trial_key = self._keys[2]

        async def abandon(backend: RedisBackend | LocalBackend) -> None:
            await backend.breaker_abandon_trial(trial_key)

        await self._store.run(abandon, default=None)

    def _open_error(self, wait: float | None, method: str, url: str) -> ServiceUnavailableError:
        when = (
            f"a trial request is allowed in {wait:.3g} s"
            if wait is not None
            else "another process is sending the trial request now"
        )
        return ServiceUnavailableError(
            f"{method} {url}: not sent: the circuit breaker of service {self._service!r} is "
            f"open after {self._failures} consecutive failures (transport errors or 5xx) "
            f"seen by this site's processes; {when} (CIRCUIT_BREAKER FAILURES="
            f"{self.threshold}, RESET={self.reset:g}).",
            method=method,
            url=url,
            retry_after=wait,
        )
