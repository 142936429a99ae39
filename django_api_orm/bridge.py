"""The sync bridge: how the sync twins (``count()``, ``get()``, ``save()``...) run.

``run_sync()`` runs the one async implementation on ONE long-lived background
event loop per process (a daemon thread, started on first use and again after a
fork), so sync callers share one pooled client per alias instead of a new loop
and new connections per call. The thread runs ``asyncio.run()``; at interpreter
exit an ``atexit`` hook ends it, and ``asyncio.run()`` then closes that loop's
clients (see ``django_api_orm.services``).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import contextvars
import os
import queue
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from django.core.exceptions import SynchronousOnlyOperation

__all__ = ["SyncCaller", "refuse_in_event_loop", "run_sync", "sync_caller"]

T = TypeVar("T")


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


class SyncCaller:
    """The thread blocked in one ``run_sync()`` call, which runs what the call hands it.

    A sync twin's coroutine uses it for what Django does in the caller's thread:
    ``book.save()`` sends ``pre_save`` there, so a receiver uses that thread's
    database connection and transaction, as with a Django model.
    """

    __slots__ = ("_inbox", "active")

    def __init__(self, inbox: queue.SimpleQueue[Callable[[], None] | None]) -> None:
        self._inbox = inbox
        #: False once the ``run_sync()`` call returned: nothing can run there any more.
        self.active = True

    async def run(self, function: Callable[[], T]) -> T:
        """Run ``function()`` in the caller's thread; return (or raise) what it did.

        Raise ``RuntimeError`` once the ``run_sync()`` call has returned (a task its
        coroutine left running): no thread waits there any more.
        """
        if not self.active:
            raise RuntimeError("The sync caller has returned: nothing runs in its thread.")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()

        def settle(outcome: Callable[[Any], None], value: Any) -> None:
            if not future.done():  # cancelled meanwhile
                outcome(value)

        def work() -> None:
            try:
                result = function()
            except Exception as exc:
                loop.call_soon_threadsafe(settle, future.set_exception, exc)
                return
            except BaseException:
                # KeyboardInterrupt, SystemExit: the caller stops waiting (run_sync()
                # cancels the call). The coroutine is cancelled, never handed the
                # exception: a task raising it would stop the shared background loop.
                loop.call_soon_threadsafe(future.cancel)
                raise
            loop.call_soon_threadsafe(settle, future.set_result, result)

        self._inbox.put(work)
        return await future


_CALLER: contextvars.ContextVar[SyncCaller | None] = contextvars.ContextVar(
    "django_api_orm_sync_caller", default=None
)


def sync_caller() -> SyncCaller | None:
    """Return the sync caller of the running coroutine, or ``None`` in async code.

    ``None`` means the coroutine was awaited by async code (or its ``run_sync()`` call
    has returned): run things here, on the event loop.
    """
    caller = _CALLER.get()
    return caller if caller is not None and caller.active else None


def refuse_in_event_loop(message: str) -> None:
    """Raise ``SynchronousOnlyOperation(message)`` if this thread runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise SynchronousOnlyOperation(message)


def run_sync(factory: Callable[[], Awaitable[T]], *, hint: str) -> T:
    """Run ``factory()`` on the background event loop and return its result.

    This is the sync twins' bridge: ``run_sync(lambda: qs.acount(), hint="await
    qs.acount()")``. Called from a thread with a running event loop, raise
    ``SynchronousOnlyOperation`` naming ``hint`` instead, creating no coroutine.
    An exception from the coroutine is re-raised; interrupting the wait
    (``KeyboardInterrupt``) cancels it. While it waits, this thread runs what the
    coroutine hands it through :func:`sync_caller` (Django's sync signal receivers).
    """
    refuse_in_event_loop(
        "This is a synchronous call, and it would block the event loop running in "
        f"this thread. Use {hint} instead."
    )
    # A lean hand-off (one thread-safe call there, one queue get back) rather than
    # run_coroutine_threadsafe's concurrent Future: the bridge's cost is per call.
    loop = _background.loop()
    inbox: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
    caller = SyncCaller(inbox)
    tasks: list[asyncio.Task[T]] = []
    # The caller's context variables go with the call: the current span of a tracer,
    # the page the debug toolbar is recording, as if the call ran in this thread.
    context = contextvars.copy_context()
    context.run(_CALLER.set, caller)

    def start() -> None:
        task = loop.create_task(_call(factory), context=context)
        tasks.append(task)
        task.add_done_callback(_finish(caller, inbox))

    loop.call_soon_threadsafe(start)
    try:
        while (work := inbox.get()) is not None:
            work()
    except BaseException:
        # Interrupted while waiting (KeyboardInterrupt): cancel the call.
        loop.call_soon_threadsafe(lambda: [task.cancel() for task in tasks])
        raise
    finally:
        caller.active = False
    return tasks[0].result()


def _finish(
    caller: SyncCaller, inbox: queue.SimpleQueue[Callable[[], None] | None]
) -> Callable[[Any], None]:
    def finish(_: Any) -> None:
        # On the loop, as SyncCaller.run() is: what it put before this runs before None.
        caller.active = False
        inbox.put(None)

    return finish
