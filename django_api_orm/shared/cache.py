"""``CACHE``: the ORM's GET answers, shared by every process through a Django cache.

An entry is one answer (its body as received, its status and headers) under a key
made of the service, a keyed hash of the credentials the client sends (two tokens
never share an entry) and a hash of the URL. It names the *generation* of its
model's endpoint it was read in; a write through the library (create, save,
delete, a queryset's update or delete) starts a new generation, so every entry of
that endpoint, in every process, stops being served. Generations belong to the
provider (the ``BASE_URL``), not the alias: a write through one alias (a writing
token) ends the entries of every alias of that provider. The generation is read before
the request is sent: an answer that raced a write is stored under the old one and
never served.

An entry is fresh for ``TIMEOUT`` seconds (or the model's ``Meta.cache_timeout``).
When it is stale, or of an old generation, and the provider sent ``ETag`` or
``Last-Modified``, the next read revalidates it (``If-None-Match`` /
``If-Modified-Since``): a 304 makes it fresh again without a body. Entries are kept
``KEEP_FACTOR`` times their timeout for that (and ``STALE_IF_ERROR`` seconds
longer, when set, to be served while the provider fails).

Only 2xx answers are stored (the client raises for anything else, and for a body
cut short), never one marked ``Cache-Control: no-store``. Concurrent misses of
one key are one request: the coroutines of a process wait for the first, the
other processes for the one holding a short lock in the store.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import Mapping
from typing import Any, Final

import httpx
from django.utils.crypto import salted_hmac

from django_api_orm.client import APIResponse, AsyncServiceClient, _json
from django_api_orm.exceptions import ServerError, TransportError

from .store import LocalBackend, RedisBackend, Store

__all__ = ["KEEP_FACTOR", "LOCK_POLL", "ResponseCache", "credentials_hash"]

logger: Final = logging.getLogger("django_api_orm.shared")

#: An entry with validators is kept this many times its timeout, to be revalidated.
KEEP_FACTOR: Final = 10
#: Seconds between two looks for the entry another process is fetching.
LOCK_POLL: Final = 0.02
#: Response headers never stored: cookies, the connection's, and those of the encoded
#: body (the entry holds it decoded).
_NOT_STORED: Final = frozenset(
    {
        "set-cookie",
        "set-cookie2",
        "connection",
        "keep-alive",
        "transfer-encoding",
        "content-encoding",
        "content-length",
    }
)


def credentials_hash(
    auth_scheme: str | None, auth_token: str | None, headers: Mapping[str, str] | None
) -> str:
    """Return a keyed hash (``SECRET_KEY``) of what the client sends as credentials."""
    parts = [auth_scheme or "", auth_token or ""]
    for name, value in sorted((headers or {}).items()):
        parts.append(f"{name.lower()}:{value}")
    return salted_hmac("django_api_orm.cache", "\x00".join(parts), algorithm="sha256").hexdigest()[
        :32
    ]


class _Entry:
    __slots__ = ("body", "etag", "generation", "headers", "last_modified", "status", "stored")

    def __init__(
        self,
        *,
        stored: float,
        generation: str,
        status: int,
        headers: list[tuple[str, str]],
        body: bytes,
    ) -> None:
        self.stored = stored
        self.generation = generation
        self.status = status
        self.headers = headers
        self.body = body
        found = {k.lower(): v for k, v in headers if k.lower() in ("etag", "last-modified")}
        self.etag = found.get("etag")
        self.last_modified = found.get("last-modified")

    def dumps(self) -> bytes:
        head = _json_dumps([self.stored, self.generation, self.status, self.headers])
        return head + b"\n" + self.body

    @classmethod
    def loads(cls, raw: bytes) -> _Entry | None:
        head, sep, body = raw.partition(b"\n")
        if not sep:
            return None
        try:
            stored, generation, status, headers = _json.loads(head)
        except (ValueError, TypeError):
            return None
        return cls(
            stored=float(stored),
            generation=str(generation),
            status=int(status),
            headers=[(str(k), str(v)) for k, v in headers],
            body=body,
        )

    def response(self, url: str) -> APIResponse:
        body = self.body
        data = _json.loads(body) if body and not body.isspace() else None
        return APIResponse(
            data=data,
            status_code=self.status,
            headers=httpx.Headers(self.headers),
            url=url,
            content=body,
        )


def _json_dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


class ResponseCache:
    """A service's cached GET answers, in ``store``."""

    def __init__(
        self,
        store: Store,
        *,
        service: str,
        timeout: float,
        stale_if_error: float,
        credentials: str,
        base_url: str,
    ) -> None:
        self.store = store
        self.service = service
        self.timeout = float(timeout)
        self.stale_if_error = float(stale_if_error)
        self._prefix = f"api_orm:{service}:"
        # Every alias of one provider shares its generations: they are the same rows.
        provider = hashlib.sha256(base_url.encode()).hexdigest()[:16]
        self._generations = f"api_orm:gen:{provider}:"
        self._credentials = credentials
        self._inflight: dict[str, asyncio.Future[APIResponse]] = {}
        # Generations to bump once Redis answers again: the process's, not this
        # cache's, which ends with its event loop.
        self._pending = store.pending

    def __repr__(self) -> str:
        where = "shared" if self.store.shared else "this process"
        return f"<ResponseCache {self.service!r} timeout={self.timeout:g} ({where})>"

    def _generation_key(self, scope: str) -> str:
        return self.store.make_key(f"{self._generations}{scope}")

    def _entry_key(self, url: str) -> str:
        digest = hashlib.sha256(url.encode()).hexdigest()[:40]
        return self.store.make_key(f"{self._prefix}{self._credentials}:{digest}")

    async def get(
        self,
        client: AsyncServiceClient,
        path: str,
        *,
        scope: str,
        timeout: float | None = None,
        refresh: bool = False,
    ) -> APIResponse:
        """GET ``path`` through the cache; ``scope`` names the generation it belongs to.

        ``timeout`` overrides the cache's (the model's ``Meta.cache_timeout``);
        ``refresh`` skips a fresh entry (``refresh_from_db()``) and stores the answer.
        """
        key = self._entry_key(f"{client.base_url}|{path}")
        if refresh:
            return await self._fetch(client, path, key, scope, timeout, None)
        while (running := self._inflight.get(key)) is not None:
            try:
                return await asyncio.shield(running)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if not running.cancelled() or (task is not None and task.cancelling()):
                    raise  # this caller is cancelled
                # The first caller was cancelled, not this one: read it anew.
        future: asyncio.Future[APIResponse] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            response = await self._get(client, path, key, scope, timeout)
        except asyncio.CancelledError:
            future.cancel()  # the callers waiting on it read for themselves
            raise
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: a lone caller must not warn "never retrieved"
            raise
        else:
            future.set_result(response)
            return response
        finally:
            del self._inflight[key]

    async def _look(
        self, key: str, scope: str, lock_key: str | None = None
    ) -> tuple[str, _Entry | None, bool] | None:
        """Return the generation, the entry and whether ``lock_key`` is held, in one read."""
        generation_key = self._generation_key(scope)
        pending = self._pending
        keys = [generation_key, key] if lock_key is None else [generation_key, key, lock_key]

        async def look(backend: RedisBackend | LocalBackend) -> list[bytes | None]:
            if pending and isinstance(backend, RedisBackend):
                for stale in list(pending):
                    await backend.incr(stale)
                    pending.discard(stale)
            return await backend.get_many(keys)

        found = await self.store.run(look, fallback=False, default=None)
        if found is None:
            return None  # Redis is down: no entry is read or written
        generation, raw = found[:2]
        entry = _Entry.loads(raw) if raw else None
        return (generation or b"0").decode(), entry, len(found) > 2 and found[2] is not None

    async def _get(
        self, client: AsyncServiceClient, path: str, key: str, scope: str, timeout: float | None
    ) -> APIResponse:
        looked = await self._look(key, scope)
        if looked is None:
            return await client.get(path)
        generation, entry, _ = looked
        fresh_for = self.timeout if timeout is None else timeout
        if entry is not None and self._fresh(entry, generation, fresh_for):
            return entry.response(f"{client.base_url}{path}")
        if entry is None:
            lock_key = f"{key}:lock"
            lock_ttl = client.timeout

            async def lock(backend: RedisBackend | LocalBackend) -> bool:
                return await backend.add(lock_key, b"1", lock_ttl)

            held = await self.store.run(lock, fallback=False, default=True)
            if not held:
                entry = await self._wait_for(key, scope, generation, fresh_for, lock_key, lock_ttl)
                if entry is not None:
                    return entry.response(f"{client.base_url}{path}")
            try:
                return await self._fetch(client, path, key, scope, timeout, None, generation)
            finally:

                async def unlock(backend: RedisBackend | LocalBackend) -> None:
                    await backend.delete(lock_key)

                if held:  # never another process's lock
                    await self.store.run(unlock, fallback=False, default=None)
        return await self._fetch(client, path, key, scope, timeout, entry, generation)

    def _fresh(self, entry: _Entry, generation: str, fresh_for: float) -> bool:
        return entry.generation == generation and time.time() - entry.stored < fresh_for

    async def _wait_for(
        self,
        key: str,
        scope: str,
        generation: str,
        fresh_for: float,
        lock_key: str,
        limit: float,
    ) -> _Entry | None:
        """Wait for the entry another process is fetching; ``None`` if it never comes.

        It never comes when the generation changes, or when the lock is gone with no
        entry: the fetcher stores before it unlocks, so it stored nothing (its request
        failed, or the answer was a 404 or not storable) or its lock expired.
        """
        ends = asyncio.get_running_loop().time() + limit
        while asyncio.get_running_loop().time() < ends:
            await asyncio.sleep(LOCK_POLL)
            looked = await self._look(key, scope, lock_key)
            if looked is None:
                return None
            now_generation, entry, locked = looked
            if entry is not None and self._fresh(entry, now_generation, fresh_for):
                return entry
            if now_generation != generation or not locked:
                return None
        return None

    async def _fetch(
        self,
        client: AsyncServiceClient,
        path: str,
        key: str,
        scope: str,
        timeout: float | None,
        entry: _Entry | None,
        generation: str | None = None,
    ) -> APIResponse:
        if generation is None:
            looked = await self._look(key, scope)
            if looked is None:
                return await client.get(path)
            generation = looked[0]
        headers: dict[str, str] = {}
        if entry is not None:
            if entry.etag:
                headers["If-None-Match"] = entry.etag
            if entry.last_modified:
                headers["If-Modified-Since"] = entry.last_modified
        try:
            response = await client.request("GET", path, headers=headers or None)
        except (TransportError, ServerError) as error:
            # Only an entry that expired: one a write has replaced since would undo it.
            if entry is not None and self.stale_if_error and entry.generation == generation:
                age = time.time() - entry.stored
                fresh_for = self.timeout if timeout is None else timeout
                if age < fresh_for + self.stale_if_error:
                    logger.warning(
                        "GET %s failed (%s): serving the cached answer, %.0f s old "
                        "(CACHE STALE_IF_ERROR=%g).",
                        path,
                        type(error).__name__,
                        age,
                        self.stale_if_error,
                    )
                    return entry.response(f"{client.base_url}{path}")
            raise
        if response.status_code == 304 and entry is not None:
            entry.stored = time.time()
            entry.generation = generation
            await self._store(key, entry, timeout)
            return entry.response(response.url)
        if _storable(response):
            stored = _Entry(
                stored=time.time(),
                generation=generation,
                status=response.status_code,
                headers=[(k, v) for k, v in response.headers.multi_items() if k not in _NOT_STORED],
                body=response.content,
            )
            await self._store(key, stored, timeout)
        return response

    async def _store(self, key: str, entry: _Entry, timeout: float | None) -> None:
        fresh_for = self.timeout if timeout is None else timeout
        keep = fresh_for
        if entry.etag or entry.last_modified:
            keep = fresh_for * KEEP_FACTOR
        keep = max(keep, fresh_for + self.stale_if_error)
        value = entry.dumps()

        async def put(backend: RedisBackend | LocalBackend) -> None:
            await backend.set(key, value, keep)

        await self.store.run(put, fallback=False, default=None)

    async def invalidate(self, scope: str) -> None:
        """Start a new generation of ``scope``: no process serves its entries any more."""
        generation_key = self._generation_key(scope)

        async def bump(backend: RedisBackend | LocalBackend) -> bool:
            await backend.incr(generation_key)
            return True

        if not await self.store.run(bump, fallback=False, default=False):
            # Redis is down: nothing is served from it meanwhile; bump when it is back.
            self._pending.add(generation_key)


def _storable(response: APIResponse) -> bool:
    if not 200 <= response.status_code < 300 or response.status_code == 204:
        return False
    cache_control = response.headers.get("cache-control", "").lower()
    return "no-store" not in cache_control
