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

The sync bridge
---------------
``run_sync()`` is how the sync twins (``count()``, ``get()``, ``save()``...) run the
one async implementation: on ONE long-lived background event loop per process (a
daemon thread, started on first use and again after a fork), so sync callers share
one pooled client per alias instead of a new loop and new connections per call.
The thread runs ``asyncio.run()``; at interpreter exit an ``atexit`` hook ends it,
and ``asyncio.run()`` then closes that loop's clients by the mechanism above.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import threading
import weakref
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.core.exceptions import SynchronousOnlyOperation

from django_api_orm.client import AsyncServiceClient
from django_api_orm.conf import ServiceConfig, aliases, get_config

__all__ = ["ServiceHandler", "run_sync", "services"]

T = TypeVar("T")

ClientFactory = Callable[..., AsyncServiceClient]


@dataclass(eq=False)
class _LoopClients:
    """The clients of one event loop, and the generator that closes them with it."""

    loop: weakref.ref[asyncio.AbstractEventLoop]
    clients: dict[str, tuple[ServiceConfig, AsyncServiceClient]] = field(default_factory=dict)
    # Clients built from settings that have changed since (override_settings): kept
    # until the loop ends, as a request may still be using them.
    retired: list[AsyncServiceClient] = field(default_factory=list)
    closer: AsyncGenerator[None, None] | None = None

    def all_clients(self) -> list[AsyncServiceClient]:
        return [client for _, client in self.clients.values()] + self.retired


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
        client = self._client_factory(**_client_kwargs(config))
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
        record.retired.clear()
        results = await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
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
    if kwargs.get("headers") is not None:
        kwargs["headers"] = dict(kwargs["headers"])
    return kwargs


services = ServiceHandler()


# --- the sync bridge -------------------------------------------------------------------


class _BackgroundLoop:
    """One event loop per process in a daemon thread, where the sync twins run."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._atexit_registered = False
        # After a fork, the parent's loop and its clients live on in the child with no
        # thread to run them; closing them would close the parent's connections
        # (sockets are shared), and dropping them would warn when collected.
        self._inherited: list[object] = []

    def loop(self) -> asyncio.AbstractEventLoop:
        """Return the running background loop, starting it on first use or after a fork."""
        loop = self._loop
        if loop is not None and self._pid == os.getpid():
            return loop
        with self._lock:
            if self._loop is not None and self._pid == os.getpid():
                return self._loop
            if self._loop is not None:
                self._inherited.append((self._loop, self._thread))
            self._start()
            assert self._loop is not None
            return self._loop

    def _start(self) -> None:
        started = threading.Event()

        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = stop = asyncio.Event()
            started.set()
            await stop.wait()

        # asyncio.run() ends with shutdown_asyncgens(), which closes the loop's clients.
        self._thread = threading.Thread(
            target=asyncio.run, args=(main(),), name="django_api_orm-sync-bridge", daemon=True
        )
        self._pid = os.getpid()
        self._thread.start()
        started.wait()
        if not self._atexit_registered:
            atexit.register(self.shutdown)
            self._atexit_registered = True

    def shutdown(self, timeout: float = 10.0) -> None:
        """End the loop, closing its clients; a later ``run_sync()`` starts a new one."""
        with self._lock:
            loop, stop, thread = self._loop, self._stop, self._thread
            if loop is None or stop is None or thread is None or self._pid != os.getpid():
                return
            self._loop = self._stop = self._thread = None
        with contextlib.suppress(RuntimeError):  # the loop has already closed
            loop.call_soon_threadsafe(stop.set)
        thread.join(timeout)


_background = _BackgroundLoop()


async def _call(factory: Callable[[], Awaitable[T]]) -> T:
    # factory() runs here, on the background loop, so services[...] inside it finds
    # that loop running.
    return await factory()


def run_sync(factory: Callable[[], Awaitable[T]], *, hint: str) -> T:
    """Run ``factory()`` on the background event loop and return its result.

    This is the sync twins' bridge: ``run_sync(lambda: qs.acount(), hint="await
    qs.acount()")``. Called from a thread with a running event loop, raise
    ``SynchronousOnlyOperation`` naming ``hint`` instead, creating no coroutine.
    An exception from the coroutine is re-raised; interrupting the wait
    (``KeyboardInterrupt``) cancels it.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise SynchronousOnlyOperation(
            "This is a synchronous call, and it would block the event loop running in "
            f"this thread. Use {hint} instead."
        )
    # A lean hand-off (one thread-safe call there, one lock release back) rather than
    # run_coroutine_threadsafe's concurrent Future: the bridge's cost is per call.
    loop = _background.loop()
    finished = threading.Lock()
    finished.acquire()
    tasks: list[asyncio.Task[T]] = []

    def start() -> None:
        task = loop.create_task(_call(factory))
        tasks.append(task)
        task.add_done_callback(lambda _: finished.release())

    loop.call_soon_threadsafe(start)
    try:
        finished.acquire()
    except BaseException:
        # Interrupted while waiting (KeyboardInterrupt): cancel the call.
        loop.call_soon_threadsafe(lambda: [task.cancel() for task in tasks])
        raise
    return tasks[0].result()
