"""run_sync: the sync twins' bridge to one background event loop per process."""

from __future__ import annotations

import asyncio
import json
import os
import queue
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import SynchronousOnlyOperation

from django_api_orm.bridge import SyncCaller, sync_caller
from django_api_orm.services import run_sync, services
from tests.services.conftest import CountingServer

ROOT = Path(__file__).resolve().parents[2]
HINT = "await Book.objects.acount()"


async def test_refused_inside_a_running_loop() -> None:
    """Raises SynchronousOnlyOperation naming the async method, creating no coroutine."""
    called = []

    async def never() -> None:
        raise AssertionError("not run")

    def factory() -> Any:
        called.append(True)
        return never()

    with pytest.raises(SynchronousOnlyOperation) as info:
        run_sync(factory, hint=HINT)
    assert "would block the event loop" in str(info.value)
    assert f"Use {HINT} instead" in str(info.value)
    assert called == []


def test_returns_the_result() -> None:
    """Returns what the coroutine returns."""

    async def answer() -> int:
        return 42

    assert run_sync(answer, hint=HINT) == 42


def test_reraises_the_exception() -> None:
    """Re-raises the coroutine's exception in the caller."""

    async def fail() -> None:
        raise LookupError("nothing here")

    with pytest.raises(LookupError, match="nothing here"):
        run_sync(fail, hint=HINT)


def test_the_coroutine_runs_functions_in_the_callers_thread() -> None:
    """Runs what the coroutine hands to sync_caller() in the waiting caller's thread,
    concurrent hand-offs included, and returns their results and errors to it."""
    caller_thread = threading.get_ident()

    def where(tag: str) -> tuple[str, int]:
        return tag, threading.get_ident()

    def refuse() -> None:
        raise PermissionError("no")

    async def hand_off() -> Any:
        caller = sync_caller()
        assert caller is not None
        loop_thread = threading.get_ident()
        results = await asyncio.gather(*(caller.run(lambda t=t: where(t)) for t in "abc"))
        with pytest.raises(PermissionError, match="no"):
            await caller.run(refuse)
        return loop_thread, results

    loop_thread, results = run_sync(hand_off, hint=HINT)
    assert loop_thread != caller_thread
    assert results == [("a", caller_thread), ("b", caller_thread), ("c", caller_thread)]


async def test_async_code_has_no_sync_caller() -> None:
    """Answers None in async code, and once the run_sync() call has returned."""
    assert sync_caller() is None

    async def keep() -> Any:
        return sync_caller()

    caller = await asyncio.to_thread(run_sync, keep, hint=HINT)
    assert caller is not None and not caller.active


def test_every_call_runs_on_one_background_loop() -> None:
    """Runs every call, from any thread, on the same long-lived loop."""

    async def loop_id() -> int:
        return id(asyncio.get_running_loop())

    seen = {run_sync(loop_id, hint=HINT) for _ in range(3)}
    threads = [
        threading.Thread(target=lambda: seen.add(run_sync(loop_id, hint=HINT))) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 1


def test_sequential_calls_share_one_pool(local_service: CountingServer) -> None:
    """Opens a handful of connections, not 200, for 200 sequential sync calls."""
    for _ in range(200):
        response = run_sync(lambda: services["default"].get("ping/"), hint=HINT)
        assert response.data == {"ok": True, "path": "/api/ping/"}
    assert local_service.requests == 200
    assert local_service.opened <= 3


def run_script(parts: list[str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run the dedented parts as one script in a fresh interpreter with warnings as errors."""
    code = "\n".join(textwrap.dedent(part) for part in parts)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "-W", "error", "-c", code, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


SETUP = """
    import sys
    import django
    from django.conf import settings

    settings.configure(
        INSTALLED_APPS=["django_api_orm"],
        API_ORM_SERVICES={"default": {"BASE_URL": sys.argv[1], "MAX_RETRIES": 0}},
    )
    django.setup()
"""


def test_background_clients_are_closed_at_exit(server: CountingServer) -> None:
    """Closes the background loop's clients and connections at interpreter exit, silently."""
    report = """
        import atexit, gc, json, time, urllib.request

        def report():  # registered first, so it runs after the bridge's own exit hook
            gc.collect()
            deadline = time.monotonic() + 5
            while True:
                with urllib.request.urlopen(sys.argv[1] + "stats") as answer:
                    stats = json.load(answer)
                if stats["open"] == 1 or time.monotonic() > deadline:
                    break
                time.sleep(0.02)
            print(json.dumps(stats))

        atexit.register(report)
    """
    calls = """
        from django_api_orm.services import run_sync, services

        for _ in range(5):
            run_sync(lambda: services["default"].get("ping/"), hint="await ...")
    """
    result = run_script([report, SETUP, calls], server.url)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    stats = json.loads(result.stdout)
    assert stats["open"] == 1  # only the report's own connection is still open
    assert server.requests >= 6


def test_forked_child_starts_its_own_loop(server: CountingServer) -> None:
    """Starts a new background loop and client in a forked child; the parent's keep working."""
    fork = """
        import asyncio, os, warnings
        from django_api_orm.services import run_sync, services

        # Python 3.12+ warns about fork() with threads running: the very case tested.
        warnings.filterwarnings("ignore", "This process .* is multi-threaded", DeprecationWarning)

        async def ping():
            await services["default"].get("ping/")
            return id(asyncio.get_running_loop())

        parent_loop = run_sync(ping, hint="await ping()")
        pid = os.fork()
        if pid == 0:
            child_loop = run_sync(ping, hint="await ping()")
            print("child", child_loop != parent_loop, flush=True)
            sys.exit(0)
        _, status = os.waitpid(pid, 0)
        print("parent", run_sync(ping, hint="await ping()") == parent_loop, status, flush=True)
    """
    result = run_script([SETUP, fork], server.url)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.splitlines() == ["child True", "parent True 0"]
    assert server.requests == 3


def test_interrupting_the_caller_cancels_the_coroutine() -> None:
    """Cancels the coroutine when KeyboardInterrupt interrupts the waiting caller."""
    interrupt = """
    import asyncio, os, signal, threading
    from django_api_orm.services import run_sync

    cancelled = threading.Event()
    # A shell's background job starts with SIGINT ignored, and Python keeps that:
    # restore Python's own handler, so the signal below is a KeyboardInterrupt.
    signal.signal(signal.SIGINT, signal.default_int_handler)

    async def slow():
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()
    try:
        run_sync(slow, hint="await slow()")
    except KeyboardInterrupt:
        print("interrupted", cancelled.wait(5))
    """
    result = run_script([SETUP, interrupt], "http://127.0.0.1:9/")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "interrupted True"
    assert result.stderr == ""


def test_a_base_exception_in_the_caller_cancels_the_coroutine() -> None:
    """Cancels the coroutine when a function it handed to the caller's thread raises
    SystemExit (or KeyboardInterrupt) there: the task never raises it, which would
    stop the event loop (the bridge's, shared by every sync call)."""
    seen: list[str] = []

    def leave() -> None:
        raise SystemExit(3)

    async def main() -> None:
        inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        task = asyncio.create_task(SyncCaller(inbox).run(leave))
        await asyncio.sleep(0)
        work = inbox.get_nowait()

        def caller() -> None:
            try:
                work()
            except SystemExit:
                seen.append("raised in the caller")

        thread = threading.Thread(target=caller)
        thread.start()
        await asyncio.to_thread(thread.join)
        with pytest.raises(asyncio.CancelledError):
            await task
        seen.append("cancelled")

    asyncio.run(main())
    assert seen == ["raised in the caller", "cancelled"]


def test_a_caller_that_has_returned_refuses_to_run() -> None:
    """Raises RuntimeError from SyncCaller.run() once its run_sync() call has returned
    (in a task the coroutine left running): no thread waits there any more, and the
    task would wait for ever."""

    async def leave_a_task() -> asyncio.Task[Any]:
        caller = sync_caller()
        assert caller is not None

        async def later() -> Any:
            await asyncio.sleep(0.05)
            return await caller.run(lambda: "ran")

        return asyncio.ensure_future(later())

    task = run_sync(leave_a_task, hint=HINT)

    async def wait() -> Any:
        return await task

    outcome = asyncio.run_coroutine_threadsafe(wait(), task.get_loop())
    with pytest.raises(RuntimeError, match="has returned"):
        outcome.result(timeout=5)
