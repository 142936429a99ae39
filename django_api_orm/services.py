"""``services["alias"]``: the ``AsyncServiceClient`` of an alias for the running event loop.

An ``httpx.AsyncClient`` belongs to the event loop it first ran on: its pooled
connections are that loop's transports. So ``services`` keeps one client per
(alias, loop), created on first use and reused by every request on that loop,
as Django's ``ConnectionHandler`` keeps one connection per (alias, thread). An
ASGI server runs one loop, so its requests share one pool. Each client remembers
the ``ServiceConfig`` it was built from; when ``setting_changed`` replaces the
configs (``override_settings``), the next use builds a new client, and the old one
is closed with its loop, since a request may still be using it.

Closing a loop's clients when the loop goes away
------------------------------------------------
WSGI with async views and ``async_to_sync`` (asgiref runs each call as
``asyncio.run()`` on a new loop) create and close a loop per call. A client left
open on a closed loop leaks its sockets ("unclosed transport" ``ResourceWarning``)
and fails later with "Event loop is closed". Nothing in asyncio announces that a
loop is about to close, except one thing: ``asyncio.run()``, ``asyncio.Runner``,
asgiref, uvicorn and pytest-asyncio all call ``loop.shutdown_asyncgens()`` before
``loop.close()``, and that ``aclose()``\\s every async generator the loop has seen
start and that has not finished, running its ``finally:`` on the loop while the
loop still works. So when the first client of a loop is created, we start an
async generator, ``_close_when_loop_ends``, whose ``finally:`` closes that loop's
clients, and leave it suspended at its ``yield``.

We start it synchronously, in ``__getitem__``: ``agen.asend(None)`` calls the
running loop's ``firstiter`` hook (set by ``run_forever()`` in this thread), which
adds the generator to the loop's ``_asyncgens``; ``.send(None)`` on that awaitable
then runs the body to its ``yield`` at once (nothing is awaited before it). A task
that advanced it would not be enough: a loop that closes before the task's first
step (``asyncio.run()`` cancels pending tasks before ``shutdown_asyncgens()``)
would never register the generator, and the client would leak. We hold the
generator strongly (the loop only holds it in a ``WeakSet``), in the per-loop
record keyed weakly by the loop (never by ``id()``: a new loop can reuse a closed
one's id). The record is removed when the generator's ``finally:`` runs, not by
garbage collection: the generator refers to its loop (its finalizer is a method of
the loop), so the loop stays alive until then. A loop closed without
``shutdown_asyncgens()`` (a hand-rolled ``run_until_complete()`` + ``close()``)
cannot close its clients any more; its record is dropped the next time a loop gets
a client, or on ``aclose_all()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import weakref
from collections.abc import AsyncGenerator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from django.utils.module_loading import import_string

from django_api_orm.bridge import run_sync
from django_api_orm.client import APIResponse, AsyncServiceClient
from django_api_orm.conf import ServiceConfig, aliases, get_config, merge_pagination
from django_api_orm.dialects.base import BaseDialect
from django_api_orm.pagination.styles import PaginationStyle
from django_api_orm.protocols import OptionsLike
from django_api_orm.shared import (
    CircuitBreaker,
    RateLimiter,
    ResponseCache,
    aclose_stores,
    credentials_hash,
    store_for,
)

__all__ = ["Service", "ServiceHandler", "run_sync", "services"]

ClientFactory = Callable[..., AsyncServiceClient]


@dataclass(eq=False)
class _LoopClients:
    """The clients of one event loop, and the generator that closes them with it."""

    loop: weakref.ref[asyncio.AbstractEventLoop]
    clients: dict[str, tuple[ServiceConfig, AsyncServiceClient]] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    # Clients built from settings that have changed since (override_settings): kept
    # until the loop ends, as a request may still be using them.
    retired: list[AsyncServiceClient] = field(default_factory=list)
    closer: AsyncGenerator[None, None] | None = None

    def all_clients(self) -> list[AsyncServiceClient]:
        return [client for _, client in self.clients.values()] + self.retired


class _Wire:
    """What a service's configuration decides once: its dialect and pagination styles."""

    def __init__(self, config: ServiceConfig) -> None:
        self.config = config
        dialect = import_string(config.dialect)()
        if not isinstance(dialect, BaseDialect):
            raise TypeError(f"DIALECT {config.dialect!r} is not a BaseDialect subclass.")
        self.dialect: BaseDialect = dialect
        #: The service's pagination: PAGINATION over the dialect's defaults over ours.
        self.base_pagination: Mapping[str, Any] = {
            **config.pagination,
            **dialect.default_pagination,
            **config.pagination_given,
        }
        #: Options → its pagination style (Meta.pagination merged over the service's).
        self.styles: dict[OptionsLike, PaginationStyle] = {}

    def pagination(self, opts: OptionsLike, override: Any) -> PaginationStyle:
        style = self.styles.get(opts)
        if style is None:
            merged = merge_pagination(
                self.base_pagination, override, where=f"{opts.label}.Meta.pagination"
            )
            cls = self.dialect.pagination_style(merged["STYLE"])
            style = cls(int(merged["PAGE_SIZE"]), merged["PAGE_SIZE_PARAM"])
            style.max_pages = int(merged["MAX_PAGES"])
            style.prefetch = int(merged["PREFETCH"])
            self.styles[opts] = style
        return style


class Service:
    """One alias on one event loop: its client, dialect and pagination, built once.

    As Django's ``connections[alias]`` carries ``ops`` and ``features``: querysets
    and instances ask it, never assemble a client and a dialect themselves.
    """

    __slots__ = ("_wire", "alias", "cache", "client", "dialect")

    def __init__(
        self,
        alias: str,
        client: AsyncServiceClient,
        wire: _Wire,
        cache: ResponseCache | None = None,
    ) -> None:
        self.alias = alias
        self.client = client
        self._wire = wire
        self.dialect = wire.dialect
        #: The service's ``CACHE`` of GET answers, or ``None``.
        self.cache = cache

    async def get(
        self, path: str, opts: OptionsLike, *, use_cache: bool = True, refresh: bool = False
    ) -> APIResponse:
        """GET ``path`` of ``opts``'s model, through the service's ``CACHE`` if it has one.

        ``use_cache=False`` (``QuerySet.nocache()``) and a model's
        ``Meta.cache_timeout = 0`` go straight to the provider; ``refresh``
        (``refresh_from_db()``) skips a fresh entry and stores the new answer.
        """
        cache = self.cache
        timeout = opts.cache_timeout
        if cache is None or not use_cache or timeout == 0:
            return await self.client.get(path)
        return await cache.get(
            self.client, path, scope=_scope(opts), timeout=timeout, refresh=refresh
        )

    async def invalidate(self, opts: OptionsLike) -> None:
        """Stop serving the cached answers of ``opts``'s endpoint, in every process."""
        if self.cache is not None:
            await self.cache.invalidate(_scope(opts))

    @property
    def config(self) -> ServiceConfig:
        """The validated configuration this service was built from."""
        return self._wire.config

    def pagination(self, opts: OptionsLike, override: Any = None) -> PaginationStyle:
        """Return the pagination style of a model: ``override`` (its ``Meta.pagination``)
        merged over the service's ``PAGINATION``."""
        return self._wire.pagination(opts, override)

    def __repr__(self) -> str:
        return f"<Service {self.alias!r} {type(self.dialect).__name__}>"


#: alias → the wire setup of its current configuration (rebuilt when settings change).
_wires: dict[str, _Wire] = {}
_wires_lock = threading.Lock()


def _wire_for(alias: str, config: ServiceConfig) -> _Wire:
    wire = _wires.get(alias)
    if wire is None or wire.config is not config:
        wire = _Wire(config)
        with _wires_lock:
            _wires[alias] = wire
    return wire


class ServiceHandler:
    """Give out the ``AsyncServiceClient`` of an alias for the current event loop."""

    def __init__(self, client_factory: ClientFactory = AsyncServiceClient) -> None:
        self._client_factory = client_factory
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopClients] = (
            weakref.WeakKeyDictionary()
        )
        # Loops run in many threads (one per async_to_sync call under WSGI); a record
        # is only ever filled by its own loop's thread, but the dict is shared.
        self._lock = threading.Lock()

    def __getitem__(self, alias: str) -> AsyncServiceClient:
        """Return the client of ``alias`` for the running event loop, creating it once."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError(
                f"services[{alias!r}] returns the client of the running event loop, and "
                "no event loop is running in this thread. Use it inside async code "
                "(await services[...].get(...)), or call the sync twins "
                "(Book.objects.count(), book.save()), which run on a background loop."
            ) from None
        config = get_config(alias)
        with self._lock:
            record = self._loops.get(loop)
        if record is not None:
            entry = record.clients.get(alias)
            if entry is not None and entry[0] is config:
                return entry[1]
        client = self._client_factory(**_client_kwargs(config), **_shared_kwargs(config))
        if record is None:
            record = _LoopClients(loop=weakref.ref(loop))
            with self._lock:
                self._drop_closed_loops()
                self._loops[loop] = record
            record.closer = self._close_when_loop_ends(record)
            # Register the generator with the loop and run it to its yield, now: see
            # the module docstring.
            with contextlib.suppress(StopIteration):
                record.closer.asend(None).send(None)
        stale = record.clients.get(alias)
        if stale is not None:
            record.retired.append(stale[1])
        record.clients[alias] = (config, client)
        return client

    def service(self, alias: str) -> Service:
        """Return the ``Service`` of ``alias`` for the running event loop: its client,
        dialect and pagination styles."""
        client = self[alias]  # makes this loop's record, if it had none
        record = self._loops[asyncio.get_running_loop()]
        cached = record.services.get(alias)
        if cached is not None and cached.client is client:
            return cached
        config = get_config(alias)
        cache = None
        if config.cache is not None:
            client_kwargs = config.client_kwargs
            cache = ResponseCache(
                store_for(config.state_alias),
                service=alias,
                timeout=float(config.cache["TIMEOUT"]),
                stale_if_error=float(config.cache["STALE_IF_ERROR"]),
                credentials=credentials_hash(
                    client_kwargs.get("auth_scheme"),
                    client_kwargs.get("auth_token"),
                    client_kwargs.get("headers"),
                ),
                base_url=client.base_url,
            )
        service = Service(alias, client, _wire_for(alias, config), cache)
        record.services[alias] = service
        return service

    def dialect(self, alias: str) -> BaseDialect:
        """Return the dialect of ``alias`` (no client: usable outside an event loop)."""
        return _wire_for(alias, get_config(alias)).dialect

    def __iter__(self) -> Iterator[str]:
        """Iterate over the configured aliases."""
        return iter(aliases())

    def __contains__(self, alias: object) -> bool:
        """Tell whether ``alias`` is configured."""
        return alias in aliases()

    def config(self, alias: str) -> ServiceConfig:
        """Return the ``ServiceConfig`` of ``alias``; raise ``ImproperlyConfigured`` if unknown."""
        return get_config(alias)

    async def aclose_all(self) -> None:
        """Close the running loop's clients; the next ``services[alias]`` opens a new one.

        Also forget the clients of loops that have closed without closing them.
        """
        loop = asyncio.get_running_loop()
        with self._lock:
            record = self._loops.get(loop)
            self._drop_closed_loops()
        if record is None:
            return
        if record.closer is not None:
            # Runs the generator's finally: now, in this task, instead of at loop end.
            await record.closer.aclose()
        else:
            await self._close_record(record)

    async def _close_when_loop_ends(self, record: _LoopClients) -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            await self._close_record(record)

    async def _close_record(self, record: _LoopClients) -> None:
        with self._lock:
            loop = record.loop()
            if loop is not None and self._loops.get(loop) is record:
                del self._loops[loop]
        clients = record.all_clients()
        record.clients.clear()
        record.services.clear()
        record.retired.clear()
        results = await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
        with contextlib.suppress(RuntimeError):  # no running loop: nothing was opened on it
            await aclose_stores()
        for result in results:
            if isinstance(result, BaseException):
                raise result

    def _drop_closed_loops(self) -> None:
        """Forget the records of loops closed without ``shutdown_asyncgens()``.

        Their clients cannot be closed any more (closing needs the loop); dropping the
        record lets the loop be collected. A closed loop's finalizer hook ignores its
        collected generators. Call with the lock held.
        """
        for loop in [loop for loop in self._loops if loop.is_closed()]:
            del self._loops[loop]

    def __repr__(self) -> str:
        return f"<ServiceHandler aliases={aliases()!r}>"


def _client_kwargs(config: ServiceConfig) -> dict[str, Any]:
    kwargs = dict(config.client_kwargs)
    kwargs["alias"] = config.alias
    if kwargs.get("headers") is not None:
        kwargs["headers"] = dict(kwargs["headers"])
    auth = kwargs.get("auth")
    if isinstance(auth, str):
        auth = import_string(auth)
    if auth is not None and not isinstance(auth, httpx.Auth):
        auth = auth()  # a factory: one Auth per client, so per event loop
    if auth is not None:
        kwargs["auth"] = auth
    if isinstance(kwargs.get("transport"), str):
        kwargs["transport"] = import_string(kwargs["transport"])
    return kwargs


def _shared_kwargs(config: ServiceConfig) -> dict[str, Any]:
    """The client's ``rate_limiter`` and ``circuit_breaker``, when the service sets them."""
    kwargs: dict[str, Any] = {}
    if config.rate_limit is None and config.circuit_breaker is None:
        return kwargs
    store = store_for(config.state_alias)
    if config.rate_limit is not None:
        kwargs["rate_limiter"] = RateLimiter(store, service=config.alias, rate=config.rate_limit)
    if config.circuit_breaker is not None:
        kwargs["circuit_breaker"] = CircuitBreaker(
            store,
            service=config.alias,
            failures=int(config.circuit_breaker["FAILURES"]),
            reset=float(config.circuit_breaker["RESET"]),
        )
    return kwargs


def _scope(opts: OptionsLike) -> str:
    """What a write invalidates: the model's endpoint (every model over it), else its label."""
    return opts.endpoint or opts.label


services = ServiceHandler()
