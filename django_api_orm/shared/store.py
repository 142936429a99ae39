"""Where the shared state lives: Redis through Django's ``CACHES``, else this process.

A service's ``CACHE``, ``RATE_LIMIT`` and ``CIRCUIT_BREAKER`` keep their state in
one ``CACHES`` alias (``CACHE["ALIAS"]``, else ``"default"``). :func:`store_for`
returns that alias's :class:`Store` for the running event loop:

- ``django.core.cache.backends.redis.RedisCache`` or django-redis's
  ``RedisCache``: a :class:`RedisBackend` over ``redis.asyncio`` (the cache's
  own async methods run its sync client in a thread: 214 µs a read against 88 µs
  for ``redis.asyncio``, measured on loopback), on the cache's first ``LOCATION``, its keys made by
  the cache's ``make_key()`` (``KEY_PREFIX``, ``VERSION``). Every process of the
  site shares it. Each budget and breaker update is one Lua script, atomic in Redis,
  timed by the Redis server's clock, so machines with skewed clocks agree.
- any other backend: a :class:`LocalBackend`. Response entries go through the
  Django cache itself (local memory directly; other backends through their async
  methods), and the budget and breaker are this process's own.

A Redis outage never fails a page. An operation that fails (connection refused,
over ``REDIS_TIMEOUT``) marks Redis down for ``DOWN_SECONDS`` and logs one warning;
meanwhile the cache is bypassed (no entry is read or written, so no process can
serve what another one has since changed) and the budget and breaker are this
process's own. The first operation after that tries Redis again.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
import time
import weakref
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Final, TypeVar

from django.core.cache import BaseCache, caches
from django.core.cache.backends.locmem import LocMemCache

from django_api_orm.client._urls import strip_credentials

__all__ = [
    "DOWN_SECONDS",
    "REDIS_TIMEOUT",
    "LocalBackend",
    "RedisBackend",
    "Store",
    "aclose_stores",
    "store_for",
]

logger: Final = logging.getLogger("django_api_orm.shared")

#: Seconds one Redis operation may take before Redis counts as down.
REDIS_TIMEOUT: Final = 0.5
#: Seconds Redis is left alone after a failed operation.
DOWN_SECONDS: Final = 5.0

T = TypeVar("T")

_REDIS_BACKENDS: Final = frozenset(
    {"django.core.cache.backends.redis.RedisCache", "django_redis.cache.RedisCache"}
)

# --- the scripts --------------------------------------------------------------------
# Times are microseconds of the Redis server's clock; numbers are written with
# %.0f, as Lua would otherwise write 16-digit values in exponent form.

_NOW: Final = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
"""

#: KEYS: the budget's next free slot, the blocked-until. ARGV: interval, count, max wait.
#: Reserves ``count`` slots ``interval`` apart, from the first free one; returns
#: {now, first slot, count reserved} (0 reserved when the first slot is past max wait).
RESERVE: Final = (
    _NOW
    + """
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local blocked = tonumber(redis.call('GET', KEYS[2]) or '0')
local start = math.max(tat, now, blocked)
if start - now > tonumber(ARGV[3]) then
  return {string.format('%.0f', now), string.format('%.0f', start), 0}
end
local count = tonumber(ARGV[2])
local after = start + count * tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%.0f', after), 'PX',
  math.floor((after - now) / 1000) + 1000)
return {string.format('%.0f', now), string.format('%.0f', start), count}
"""
)

#: KEYS: the blocked-until. ARGV: seconds. Moves it to now + seconds, never back.
BLOCK: Final = (
    _NOW
    + """
local untl = now + tonumber(ARGV[1]) * 1000000
local old = tonumber(redis.call('GET', KEYS[1]) or '0')
if untl > old then
  redis.call('SET', KEYS[1], string.format('%.0f', untl), 'PX',
    math.floor((untl - now) / 1000) + 1000)
end
return string.format('%.0f', now)
"""
)

#: KEYS: failures, open-until. Returns {now, failures, open until}.
BREAKER_STATE: Final = (
    _NOW
    + """
return {string.format('%.0f', now), redis.call('GET', KEYS[1]) or '0',
  redis.call('GET', KEYS[2]) or '0'}
"""
)

#: KEYS: failures, open-until, trial. ARGV: threshold, reset seconds.
#: Counts a failure; at the threshold (or a failed trial) opens until now + reset.
BREAKER_FAILURE: Final = (
    _NOW
    + """
local failures = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], 86400)
local open = tonumber(redis.call('GET', KEYS[2]) or '0')
if failures >= tonumber(ARGV[1]) and open <= now then
  open = now + tonumber(ARGV[2]) * 1000000
  redis.call('SET', KEYS[2], string.format('%.0f', open), 'EX', 86400)
  redis.call('DEL', KEYS[3])
end
return {string.format('%.0f', now), failures, string.format('%.0f', open)}
"""
)


# --- backends -----------------------------------------------------------------------


class RedisBackend:
    """The shared state of every process, in Redis, over ``redis.asyncio``."""

    shared: Final = True

    def __init__(self, location: str, options: dict[str, Any]) -> None:
        from redis import asyncio as redis_asyncio

        kwargs = {k: v for k, v in options.items() if k in ("db", "username", "password")}
        self._redis = redis_asyncio.Redis.from_url(
            location,
            socket_timeout=REDIS_TIMEOUT,
            socket_connect_timeout=REDIS_TIMEOUT,
            **kwargs,
        )
        self._scripts: dict[str, Any] = {}

    async def _script(self, source: str, keys: Sequence[str], args: Sequence[Any]) -> Any:
        script = self._scripts.get(source)
        if script is None:
            script = self._scripts[source] = self._redis.register_script(source)
        return await script(keys=list(keys), args=list(args))

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        values = await self._redis.mget(list(keys))
        return [v.encode() if isinstance(v, str) else v for v in values]

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        await self._redis.set(key, value, px=max(1, int(ttl * 1000)))

    async def add(self, key: str, value: bytes, ttl: float) -> bool:
        return bool(await self._redis.set(key, value, px=max(1, int(ttl * 1000)), nx=True))

    async def incr(self, key: str) -> None:
        await self._redis.incr(key)

    async def delete(self, key: str) -> None:
        await self._redis.delete(key)

    async def reserve(
        self, tat_key: str, block_key: str, interval: float, count: int, max_wait: float
    ) -> tuple[float, float, int]:
        now, start, got = await self._script(
            RESERVE, (tat_key, block_key), (interval * 1e6, count, max_wait * 1e6)
        )
        return int(now) / 1e6, int(start) / 1e6, int(got)

    async def block(self, block_key: str, seconds: float) -> None:
        await self._script(BLOCK, (block_key,), (seconds,))

    async def breaker_state(self, keys: Sequence[str]) -> tuple[float, int, float]:
        now, failures, open_until = await self._script(BREAKER_STATE, keys[:2], ())
        return int(now) / 1e6, int(failures), int(open_until) / 1e6

    async def breaker_failure(
        self, keys: Sequence[str], threshold: int, reset: float
    ) -> tuple[float, int, float]:
        now, failures, open_until = await self._script(BREAKER_FAILURE, keys, (threshold, reset))
        return int(now) / 1e6, int(failures), int(open_until) / 1e6

    async def breaker_success(self, keys: Sequence[str]) -> None:
        await self._redis.delete(*keys)

    async def breaker_trial(self, key: str, ttl: float) -> bool:
        return await self.add(key, b"1", ttl)

    async def breaker_abandon_trial(self, key: str) -> None:
        await self._redis.delete(key)

    async def aclose(self) -> None:
        await self._redis.aclose()


class _LocalState:
    """This process's budgets and breakers (every loop of the process shares them)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.values: dict[str, float] = {}

    def get(self, key: str) -> float:
        return self.values.get(key, 0.0)


_local_state = _LocalState()


class LocalBackend:
    """Entries in a Django cache that is not Redis; budgets and breakers per process."""

    shared: Final = False

    def __init__(self, cache: BaseCache) -> None:
        self._cache = cache
        # Local memory never blocks: its sync methods are cheaper than the async ones,
        # which run them in a thread.
        self._direct = isinstance(cache, LocMemCache)

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        found = self._cache.get_many(keys) if self._direct else await self._cache.aget_many(keys)
        return [found.get(key) for key in keys]

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        if self._direct:
            self._cache.set(key, value, ttl)
        else:
            await self._cache.aset(key, value, ttl)

    async def add(self, key: str, value: bytes, ttl: float) -> bool:
        if self._direct:
            return bool(self._cache.add(key, value, ttl))
        return bool(await self._cache.aadd(key, value, ttl))

    async def incr(self, key: str) -> None:
        # Entries name the generation they were made in; a new random one works as
        # well as a count, and needs no atomic increment from the backend.
        value = secrets.token_hex(6)
        if self._direct:
            self._cache.set(key, value.encode(), None)
        else:
            await self._cache.aset(key, value.encode(), None)

    async def delete(self, key: str) -> None:
        if self._direct:
            self._cache.delete(key)
        else:
            await self._cache.adelete(key)

    async def reserve(
        self, tat_key: str, block_key: str, interval: float, count: int, max_wait: float
    ) -> tuple[float, float, int]:
        state = _local_state
        with state.lock:
            now = time.time()
            start = max(state.get(tat_key), now, state.get(block_key))
            if start - now > max_wait:
                return now, start, 0
            state.values[tat_key] = start + count * interval
            return now, start, count

    async def block(self, block_key: str, seconds: float) -> None:
        state = _local_state
        with state.lock:
            state.values[block_key] = max(state.get(block_key), time.time() + seconds)

    async def breaker_state(self, keys: Sequence[str]) -> tuple[float, int, float]:
        state = _local_state
        with state.lock:
            return time.time(), int(state.get(keys[0])), state.get(keys[1])

    async def breaker_failure(
        self, keys: Sequence[str], threshold: int, reset: float
    ) -> tuple[float, int, float]:
        state = _local_state
        failures_key, open_key, trial_key = keys
        with state.lock:
            now = time.time()
            failures = int(state.get(failures_key)) + 1
            state.values[failures_key] = failures
            open_until = state.get(open_key)
            if failures >= threshold and open_until <= now:
                open_until = state.values[open_key] = now + reset
                state.values.pop(trial_key, None)
            return now, failures, open_until

    async def breaker_success(self, keys: Sequence[str]) -> None:
        state = _local_state
        with state.lock:
            for key in keys:
                state.values.pop(key, None)

    async def breaker_trial(self, key: str, ttl: float) -> bool:
        state = _local_state
        with state.lock:
            now = time.time()
            if state.get(key) > now:
                return False
            state.values[key] = now + ttl
            return True

    async def breaker_abandon_trial(self, key: str) -> None:
        state = _local_state
        with state.lock:
            state.values.pop(key, None)

    async def aclose(self) -> None:
        return None


class _Health:
    """What the process knows of one Redis, for every event loop of the process.

    A loop may be as short as one call (``async_to_sync`` under WSGI runs each on a
    loop of its own): kept per loop, an outage would cost each call ``REDIS_TIMEOUT``
    and a warning, and a write made meanwhile would be forgotten with its loop.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.down_until = 0.0
        self.warned = False
        #: Generation keys to bump once Redis answers again (writes made while down).
        self.pending: set[str] = set()


class Store:
    """One ``CACHES`` alias's shared state for one event loop, with the outage fallback.

    ``run(op)`` runs ``op`` on Redis. While Redis is down, or when it fails now, it
    runs ``op`` on this process's :class:`LocalBackend` (``fallback=True``: the
    budget and the breaker) or returns ``default`` (the cache: a miss, nothing
    stored). Whether Redis is down is the process's (``_Health``), shared by the
    stores of every loop.
    """

    def __init__(
        self,
        alias: str,
        cache: BaseCache,
        redis: RedisBackend | None,
        health: _Health | None = None,
    ) -> None:
        self.alias = alias
        self.cache = cache
        self.redis = redis
        self.local = LocalBackend(cache)
        self._health = _Health() if health is None else health

    @property
    def pending(self) -> set[str]:
        """Generation keys to bump once Redis answers again, for the whole process."""
        return self._health.pending

    @property
    def shared(self) -> bool:
        """Whether the state is every process's (Redis), rather than this process's."""
        return self.redis is not None

    def make_key(self, key: str) -> str:
        """Return ``key`` as the cache names it (its ``KEY_PREFIX`` and ``VERSION``)."""
        return self.cache.make_key(key)

    def available(self) -> RedisBackend | None:
        """Return the Redis backend, or ``None`` while it is down or not configured."""
        if self.redis is None or time.monotonic() < self._health.down_until:
            return None
        return self.redis

    async def run(
        self,
        op: Callable[[RedisBackend | LocalBackend], Awaitable[T]],
        *,
        fallback: bool = True,
        default: T,
    ) -> T:
        """Run ``op`` on Redis, else (down, or failing now) locally or return ``default``."""
        redis = self.available()
        if redis is None:
            if self.redis is None or fallback:
                return await op(self.local)
            return default
        try:
            async with asyncio.timeout(REDIS_TIMEOUT):
                result = await op(redis)
        except (TimeoutError, OSError, _redis_errors()) as error:
            self._went_down(error)
            return await op(self.local) if fallback else default
        health = self._health
        if health.warned:
            with health.lock:
                warn, health.warned = health.warned, False
            if warn:
                logger.warning(
                    "Redis of CACHES[%r] answers again; the state is shared again.", self.alias
                )
        return result

    def _went_down(self, error: BaseException) -> None:
        health = self._health
        with health.lock:
            health.down_until = time.monotonic() + DOWN_SECONDS
            warn, health.warned = not health.warned, True
        if warn:
            logger.warning(
                "Redis of CACHES[%r] failed (%s): serving without the shared cache, with "
                "this process's own rate budget and circuit breaker; Redis is tried again "
                "in %g s.",
                self.alias,
                type(error).__name__,
                DOWN_SECONDS,
            )

    async def aclose(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()


def _redis_errors() -> type[BaseException]:
    from redis.exceptions import RedisError

    return RedisError


def _redis_location(settings_entry: dict[str, Any]) -> str | None:
    backend = settings_entry.get("BACKEND", "")
    if backend not in _REDIS_BACKENDS:
        return None
    location = settings_entry.get("LOCATION")
    if isinstance(location, str):
        location = location.split(",") if "," in location else [location]
    if not location:
        return None
    return str(location[0]).strip()


#: loop → CACHES alias → its Store; a loop's stores close with its clients.
_stores: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Store]] = (
    weakref.WeakKeyDictionary()
)
_stores_lock = threading.Lock()
#: (CACHES alias, Redis location) → what the process knows of that Redis.
_health: dict[tuple[str, str], _Health] = {}


def store_for(alias: str) -> Store:
    """Return the :class:`Store` of ``CACHES[alias]`` for the running event loop."""
    from django.conf import settings

    loop = asyncio.get_running_loop()
    with _stores_lock:
        stores = _stores.setdefault(loop, {})
    store = stores.get(alias)
    if store is None:
        cache = caches[alias]
        entry = dict(settings.CACHES.get(alias, {}))
        location = _redis_location(entry)
        redis = health = None
        if location is not None:
            redis = RedisBackend(location, dict(entry.get("OPTIONS") or {}))
            with _stores_lock:
                health = _health.setdefault((alias, location), _Health())
        store = stores[alias] = Store(alias, cache, redis, health)
        if redis is not None:
            logger.debug(
                "CACHES[%r]: shared state in Redis at %s", alias, strip_credentials(location or "")
            )
    return store


async def aclose_stores() -> None:
    """Close the running loop's Redis connections."""
    loop = asyncio.get_running_loop()
    with _stores_lock:
        stores = _stores.pop(loop, {})
    for store in stores.values():
        await store.aclose()
