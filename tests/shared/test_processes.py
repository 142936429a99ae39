"""The shared state across real processes: CACHE, RATE_LIMIT and CIRCUIT_BREAKER.

Each test starts worker processes (``tests/shared/worker.py``), each a Django site
of its own with the example provider's RemoteModels, its state in one real
redis-server. They talk real HTTP to the real provider (the session's ``provider``)
through :class:`RecordingProxy`, which forwards every request and answer unchanged
(all headers, status codes and bodies) and records what the provider was asked,
and when. The workers wait at a barrier (a line on stdin) once configured, so the
processes of a test send their requests at the same moment.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import select
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

import httpx
import pytest

from tests.conftest import Provider
from tests.redis_server import RedisServer, start_redis
from tests.servers import HOST, REPO_ROOT

#: Seconds a worker may take to import Django and say READY (two shared cores).
READY_TIMEOUT = 60.0
#: Seconds a worker's step may take.
STEP_TIMEOUT = 30.0
#: Request headers never forwarded as such (hop-by-hop, or set again by the proxy).
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "host",
        "content-length",
    }
)


# --- the recording proxy ----------------------------------------------------------


@dataclass
class Seen:
    """One request the proxy received: when, what, and what it answered."""

    at: float  # time.monotonic() when its head was read
    method: str
    path: str  # "/api/authors/1/" with its query string
    if_none_match: str | None
    status: int = 0  # the answer's status; 0 while none was sent


class RecordingProxy:
    """A reverse proxy to ``target`` on 127.0.0.1, in a thread with its own event loop.

    ``mode`` is ``"forward"`` (the provider's answer, headers and status as they
    came), ``"503"`` (a 503 without asking the provider) or ``"reset"`` (the
    connection is reset before any answer). ``delay`` seconds pass before a request
    is forwarded; the provider's answer to a GET is held ``hold`` seconds before it
    is sent on (the provider has answered, the client has not heard yet). Every
    request received is in ``seen`` whatever the mode.
    """

    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")
        self.mode = "forward"
        self.delay = 0.0
        self.hold = 0.0
        self._seen: list[Seen] = []
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="recording-proxy", daemon=True)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._error: BaseException | None = None
        self.port = 0

    @property
    def url(self) -> str:
        """The proxy's origin, ``http://127.0.0.1:PORT``."""
        return f"http://{HOST}:{self.port}"

    def seen(self) -> list[Seen]:
        """Return a copy of the requests received so far."""
        with self._lock:
            return list(self._seen)

    def reset(self) -> None:
        """Forget the requests seen; forward again, without delay or hold."""
        with self._lock:
            self._seen.clear()
        self.mode = "forward"
        self.delay = 0.0
        self.hold = 0.0

    def start(self) -> None:
        """Start the thread; return once the proxy accepts connections."""
        self._thread.start()
        if not self._ready.wait(10.0) or self._error is not None:
            raise RuntimeError(f"the proxy did not start: {self._error!r}")

    def stop(self) -> None:
        """Close the server and its connections; join the thread."""
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(10.0)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as error:  # reported by start()
            self._error = error
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        async with httpx.AsyncClient(base_url=self.target, timeout=30.0) as upstream:
            server = await asyncio.start_server(lambda r, w: self._handle(upstream, r, w), HOST, 0)
            self.port = server.sockets[0].getsockname()[1]
            self._ready.set()
            await self._stopping.wait()
            server.close()
            for writer in list(self._writers):
                writer.transport.abort()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(server.wait_closed(), 5.0)

    async def _handle(
        self,
        upstream: httpx.AsyncClient,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        self._writers.add(writer)
        try:
            while await self._exchange(upstream, reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _exchange(
        self,
        upstream: httpx.AsyncClient,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> bool:
        """Serve one request of a connection; return whether the connection stays open."""
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return False  # the client closed its idle connection
        at = time.monotonic()
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers = [tuple(line.split(":", 1)) for line in lines[1:] if line]
        headers = [(name.strip(), value.strip()) for name, value in headers]
        lowered = {name.lower(): value for name, value in headers}
        length = int(lowered.get("content-length", "0"))
        body = await reader.readexactly(length) if length else b""
        seen = Seen(at, method, path, lowered.get("if-none-match"))
        with self._lock:
            self._seen.append(seen)
        if self.delay:
            await asyncio.sleep(self.delay)
        mode = self.mode
        if mode == "reset":
            writer.transport.abort()
            return False
        if mode == "503":
            payload = b'{"detail": "unavailable (test proxy)"}'
            seen.status = 503
            writer.write(
                b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n%s" % (len(payload), payload)
            )
            await writer.drain()
            return True
        forwarded = [(k, v) for k, v in headers if k.lower() not in _HOP_BY_HOP]
        request = upstream.build_request(method, path, headers=forwarded, content=body)
        response = await upstream.send(request, stream=True)
        try:
            content = b"".join([chunk async for chunk in response.aiter_raw()])
        finally:
            await response.aclose()
        seen.status = response.status_code
        if self.hold and method == "GET":
            await asyncio.sleep(self.hold)
        out = [
            f"HTTP/1.1 {response.status_code} {response.reason_phrase}".encode("latin-1"),
            *(
                f"{name}: {value}".encode("latin-1")
                for name, value in response.headers.multi_items()
                if name.lower() not in _HOP_BY_HOP
            ),
        ]
        if response.status_code not in (204, 304):
            out.append(b"Content-Length: %d" % len(content))
        writer.write(b"\r\n".join(out) + b"\r\n\r\n" + content)
        await writer.drain()
        return lowered.get("connection", "").lower() != "close"


# --- the workers ------------------------------------------------------------------


class Worker:
    """A ``tests.shared.worker`` process: ``go()`` releases its next step, ``result()``
    reads that step's JSON line."""

    def __init__(self, scenario: str, config: dict[str, Any]) -> None:
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        env["API_ORM_WORKER"] = json.dumps(config)
        env["PYTHONUNBUFFERED"] = "1"
        self.scenario = scenario
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - close()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.shared.worker", scenario],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
        )
        self._buffer = b""

    def _line(self, timeout: float) -> str:
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"worker {self.scenario}: no answer within {timeout} s")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    self.process.wait(5.0)
                    raise AssertionError(
                        f"worker {self.scenario} exited with {self.process.returncode}:\n"
                        f"{self.stderr()}"
                    )
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.decode()

    def ready(self) -> None:
        """Wait until the worker is configured and at its barrier."""
        line = self._line(READY_TIMEOUT)
        assert line == "READY", f"worker {self.scenario} said {line!r}:\n{self.stderr()}"

    def go(self) -> None:
        """Release the worker's next step."""
        assert self.process.stdin is not None
        self.process.stdin.write(b"go\n")
        self.process.stdin.flush()

    def result(self) -> dict[str, Any]:
        """Return the JSON line of the step released last."""
        line = self._line(STEP_TIMEOUT)
        try:
            value: dict[str, Any] = json.loads(line)
        except ValueError:
            raise AssertionError(
                f"worker {self.scenario} printed {line!r}:\n{self.stderr()}"
            ) from None
        return value

    def finish(self) -> None:
        """Wait for the worker to exit 0."""
        try:
            code = self.process.wait(STEP_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"worker {self.scenario} did not exit:\n{self.stderr()}") from None
        assert code == 0, f"worker {self.scenario} exited with {code}:\n{self.stderr()}"

    def stderr(self) -> str:
        """Return what the worker wrote to stderr so far."""
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")[-4000:]

    def close(self) -> None:
        """Kill the worker if it still runs; release its pipes."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10.0)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        self._stderr.close()


@dataclass
class Site:
    """What a test needs to start workers: the proxy, Redis and the provider."""

    proxy: RecordingProxy
    redis: RedisServer
    provider: Provider
    workers: list[Worker]

    def worker(self, scenario: str, args: dict[str, Any], **service: Any) -> Worker:
        """Start a worker whose provider service has ``service`` over the usual entry."""
        entry = self.provider.service(BASE_URL=f"{self.proxy.url}/api/", **service)
        config = {"service": entry, "redis": self.redis.url, "args": args}
        worker = Worker(scenario, config)
        self.workers.append(worker)
        return worker

    def start(self, *workers: Worker) -> None:
        """Wait until every one of ``workers`` is at its barrier, then release them all."""
        for worker in workers:
            worker.ready()
        for worker in workers:
            worker.go()


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    """A redis-server for the module's tests (each test flushes it)."""
    with start_redis() as server:
        yield server


@pytest.fixture(scope="module")
def recording_proxy(provider: Provider) -> Iterator[RecordingProxy]:
    """The recording proxy in front of the session's provider."""
    proxy = RecordingProxy(provider.base_url.removesuffix("/api/"))
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()


@pytest.fixture
def site(
    recording_proxy: RecordingProxy, redis_server: RedisServer, provider: Provider
) -> Iterator[Site]:
    """An empty Redis, a proxy that forwards and has seen nothing; kills leftover workers."""
    redis_server.flush()
    recording_proxy.reset()
    site = Site(recording_proxy, redis_server, provider, [])
    try:
        yield site
    finally:
        for worker in site.workers:
            worker.close()
        recording_proxy.reset()


def _requests(seen: list[Seen], method: str, path: str) -> list[Seen]:
    return [s for s in seen if s.method == method and s.path == path]


def _summary(seen: list[Seen]) -> str:
    start = seen[0].at if seen else 0.0
    return "; ".join(
        f"+{s.at - start:.3f}s {s.method} {s.path} -> {s.status}"
        + (f" (If-None-Match {s.if_none_match})" if s.if_none_match else "")
        for s in seen
    )


# --- the scenarios ----------------------------------------------------------------

#: The object the read scenarios use, and the detail path the provider sees.
AUTHOR_PK = 3
AUTHOR_PATH = f"/api/authors/{AUTHOR_PK}/"


@pytest.mark.parametrize(("cache", "expected"), [(True, 1), (False, 4)], ids=["cache", "control"])
def test_concurrent_misses_are_one_request(site: Site, cache: bool, expected: int) -> None:
    """4 processes ``aget()`` one Author at the same moment: the provider sees 1 GET with
    CACHE on (one process holds the lock, the others poll Redis for its entry), 4 with
    CACHE off. The proxy holds each request 0.3 s, so the misses really overlap: every
    process started its call before the first answer came back."""
    site.proxy.delay = 0.3
    extra: dict[str, Any] = {"CACHE": {"ALIAS": "default", "TIMEOUT": 60}} if cache else {}
    args = {"model": "Author", "pk": AUTHOR_PK, "field": "name"}
    workers = [site.worker("get", args, **extra) for _ in range(4)]
    site.start(*workers)
    results = [w.result() for w in workers]
    for worker in workers:
        worker.finish()
    seen = site.proxy.seen()
    gets = _requests(seen, "GET", AUTHOR_PATH)
    spread = max(r["started"] for r in results) - min(r["started"] for r in results)
    first_answer = min(r["ended"] for r in results)
    print(f"cache={cache}: provider saw {len(gets)} GET; calls started within {spread:.3f} s")
    assert len(gets) == expected == len(seen), (
        f"the provider saw {len(gets)} GETs of {AUTHOR_PATH}, expected {expected}: {_summary(seen)}"
    )
    assert max(r["started"] for r in results) < first_answer, (
        f"the calls did not overlap: they started within {spread:.3f} s, the first "
        f"answer came {first_answer - min(r['started'] for r in results):.3f} s after the first"
    )
    assert len({r["value"] for r in results}) == 1, results


def test_write_in_one_process_invalidates_for_another(site: Site) -> None:
    """Process A reads an Author (GET, cached), process B saves a new bio through the ORM
    (a PUT or PATCH, which starts a new generation of the endpoint), then A reads again:
    the provider sees a second GET and A gets B's value. The bio is put back after."""
    cache = {"CACHE": {"ALIAS": "default", "TIMEOUT": 60}}
    with httpx.Client(
        base_url=site.provider.base_url, headers=site.provider.headers, timeout=10.0
    ) as api:
        original = api.get(f"authors/{AUTHOR_PK}/").raise_for_status().json()["bio"]
        new = f"Rewritten by another process at {time.time():.0f}."
        try:
            reader = site.worker(
                "get", {"model": "Author", "pk": AUTHOR_PK, "field": "bio", "reads": 3}, **cache
            )
            writer = site.worker("update", {"pk": AUTHOR_PK, "field": "bio", "value": new}, **cache)
            site.start(reader)
            first = reader.result()
            reader.go()
            second = reader.result()  # fresh in Redis: no request
            site.start(writer)
            written = writer.result()
            writer.finish()
            reader.go()
            third = reader.result()
            reader.finish()
        finally:
            api.patch(f"authors/{AUTHOR_PK}/", json={"bio": original}).raise_for_status()
    seen = site.proxy.seen()
    gets = _requests(seen, "GET", AUTHOR_PATH)
    writes = [s for s in seen if s.method in ("PUT", "PATCH") and s.path == AUTHOR_PATH]
    print(f"provider saw {len(gets)} GETs and {len(writes)} writes: {_summary(seen)}")
    assert first["value"] == second["value"] == original == written["old"]
    assert written["value"] == new
    assert third["value"] == new, f"A read {third['value']!r} after B wrote {new!r}"
    assert len(writes) == 1, _summary(seen)
    assert len(gets) == 2, (
        f"expected 2 GETs (A's first read, A's read after B's write; B's read and A's "
        f"second read come from Redis), the provider saw {len(gets)}: {_summary(seen)}"
    )
    assert seen[-1].method == "GET" and seen[-2] is writes[0], _summary(seen)


def test_rate_limit_is_one_budget_for_every_process(site: Site) -> None:
    """3 processes each read 10 Books one after the other, never from the cache, with
    ``RATE_LIMIT: "5/s"``: the proxy's timestamps show at most 6 requests in any closed
    1 s window (GCRA slots are 0.2 s apart, so a closed 1 s window can hold 5 + 1 of
    them), 30 requests in all, and the run takes at least (30 - 1) / 5 = 5.8 s, less
    0.3 s for the jitter of the first and last requests on two shared cores. Each
    process's first request comes within the first 1.5 s: they shared the budget at
    the same time."""
    workers = [
        site.worker(
            "many",
            {"model": "Book", "pks": list(range(1 + 10 * i, 11 + 10 * i))},
            RATE_LIMIT="5/s",
        )
        for i in range(3)
    ]
    site.start(*workers)
    for worker in workers:
        worker.result()
        worker.finish()
    seen = site.proxy.seen()
    times = [s.at for s in seen]
    most = max(sum(1 for u in times if t <= u <= t + 1.0) for t in times)
    duration = times[-1] - times[0]
    print(f"provider saw {len(seen)} requests, at most {most} in 1 s, over {duration:.3f} s")
    assert len(seen) == 30, _summary(seen)
    assert all(s.method == "GET" and s.status == 200 for s in seen), _summary(seen)
    assert most <= 6, f"{most} requests in one 1 s window: {_summary(seen)}"
    assert duration >= 5.8 - 0.3, f"30 requests took {duration:.3f} s: {_summary(seen)}"
    # The processes shared the budget at the same time, rather than one after another.
    firsts = [
        min(s.at for s in seen if int(s.path.split("/")[3]) in range(1 + 10 * i, 11 + 10 * i))
        for i in range(3)
    ]
    assert max(firsts) - times[0] < 1.5, f"a process started late: {_summary(seen)}"


@pytest.mark.parametrize(
    ("mode", "error"), [("503", "ServerError"), ("reset", "ConnectionError")], ids=["503", "reset"]
)
def test_open_breaker_stops_every_process(site: Site, mode: str, error: str) -> None:
    """The provider fails (the proxy answers 503, or resets the connection): process
    A's 3 failing reads open the breaker (``FAILURES: 3``, ``MAX_RETRIES: 0``);
    process B, started after A exits, makes 5 reads that all raise
    ServiceUnavailableError, and the proxy sees none of them."""
    site.proxy.mode = mode
    breaker = {"CIRCUIT_BREAKER": {"FAILURES": 3, "RESET": 30}, "MAX_RETRIES": 0}
    args = {"model": "Author", "pk": AUTHOR_PK, "calls": 3}
    a = site.worker("calls", args, **breaker)
    site.start(a)
    a_results = a.result()["results"]
    a.finish()
    after_a = len(site.proxy.seen())
    b = site.worker("calls", {**args, "calls": 5}, **breaker)
    site.start(b)
    b_results = b.result()["results"]
    b.finish()
    seen = site.proxy.seen()
    print(f"A: {a_results}, proxy saw {after_a}; B: {b_results}, proxy saw {len(seen) - after_a}")
    assert a_results == [error] * 3, a_results
    assert after_a == 3, _summary(seen)
    assert b_results == ["ServiceUnavailableError"] * 5, b_results
    assert len(seen) == after_a, f"B's requests reached the proxy: {_summary(seen)}"


def test_stale_entry_is_revalidated_with_etag(site: Site) -> None:
    """With ``CACHE: {"TIMEOUT": 0.5}``, process A reads an Author (200 with the
    provider's ETag, from ConditionalGetMiddleware); 0.7 s later process B reads it:
    the entry is stale, so B sends ``If-None-Match`` and the provider answers 304."""
    cache = {"CACHE": {"ALIAS": "default", "TIMEOUT": 0.5}}
    args = {"model": "Author", "pk": AUTHOR_PK, "field": "name"}
    a = site.worker("get", args, **cache)
    b = site.worker("get", args, **cache)
    a.ready()
    b.ready()
    a.go()
    first = a.result()
    time.sleep(0.7)
    b.go()
    second = b.result()
    a.finish()
    b.finish()
    seen = site.proxy.seen()
    print(f"provider saw: {_summary(seen)}")
    assert second["value"] == first["value"]
    assert [(s.method, s.path, s.status) for s in seen] == [
        ("GET", AUTHOR_PATH, 200),
        ("GET", AUTHOR_PATH, 304),
    ], _summary(seen)
    assert seen[0].if_none_match is None and seen[1].if_none_match, _summary(seen)


def test_concurrent_misses_of_a_missing_object_do_not_wait(site: Site) -> None:
    """2 processes ``aget()`` an Author that does not exist at the same moment, CACHE
    on: one sends the GET (404, never stored), the other waits for its entry; once the
    first is done without storing one, the second sends its own GET at once, rather
    than polling Redis for the whole lock (the client's TIMEOUT, 10 s). Measured: each
    process's call time, and 2 GETs at the provider."""
    site.proxy.delay = 0.3
    cache = {"CACHE": {"ALIAS": "default", "TIMEOUT": 60}}
    args = {"model": "Author", "pk": 999_999, "calls": 1}
    workers = [site.worker("calls", args, **cache) for _ in range(2)]
    site.start(*workers)
    results = [w.result() for w in workers]
    for worker in workers:
        worker.finish()
    seen = site.proxy.seen()
    took = [r["ended"] - r["started"] for r in results]
    print(f"provider saw {len(seen)} requests; the calls took {took}")
    assert [r["results"] for r in results] == [["DoesNotExist"]] * 2, results
    assert [(s.method, s.status) for s in seen] == [("GET", 404)] * 2, _summary(seen)
    assert max(took) < 3.0, f"the calls took {took} s: {_summary(seen)}"


def test_answer_that_raced_a_write_is_never_served(site: Site) -> None:
    """Process A's GET reaches the provider (old bio) and its answer is held 1 s by the
    proxy; meanwhile process W PATCHes the bio through the ORM (a new generation). A
    stores its answer under the generation it read before sending, the old one, so
    process C, reading after, does not get it: the provider sees C's GET, and C gets
    W's bio. The bio is put back after."""
    cache = {"CACHE": {"ALIAS": "default", "TIMEOUT": 60}}
    args = {"model": "Author", "pk": AUTHOR_PK, "field": "bio"}
    with httpx.Client(
        base_url=site.provider.base_url, headers=site.provider.headers, timeout=10.0
    ) as api:
        original = api.get(f"authors/{AUTHOR_PK}/").raise_for_status().json()["bio"]
        new = f"Written while another process read, at {time.time():.0f}."
        try:
            a = site.worker("get", args, **cache)
            w = site.worker(
                "update", {"pk": AUTHOR_PK, "field": "bio", "value": new, "blind": True}, **cache
            )
            c = site.worker("get", args, **cache)
            for worker in (a, w, c):
                worker.ready()
            site.proxy.hold = 1.0
            a.go()
            deadline = time.monotonic() + STEP_TIMEOUT
            while not any(s.status for s in site.proxy.seen()):  # the provider answered A
                assert time.monotonic() < deadline, "A's GET never reached the provider"
                time.sleep(0.01)
            w.go()
            written = w.result()
            read_a = a.result()
            site.proxy.hold = 0.0
            c.go()
            read_c = c.result()
            for worker in (a, w, c):
                worker.finish()
        finally:
            api.patch(f"authors/{AUTHOR_PK}/", json={"bio": original}).raise_for_status()
    seen = site.proxy.seen()
    print(f"A read {read_a['value']!r}, C read {read_c['value']!r}: {_summary(seen)}")
    assert written["value"] == new
    assert read_a["value"] == original, "A's GET reached the provider before the write"
    assert [(s.method, s.status) for s in seen] == [
        ("GET", 200),
        ("PATCH", 200),
        ("GET", 200),
    ], _summary(seen)
    assert read_c["value"] == new, f"C was served A's answer, older than W's write: {read_c}"


def test_one_trial_request_for_every_process_after_reset(site: Site) -> None:
    """Process A's 2 failing reads (503) open the breaker (``FAILURES: 2``, ``RESET:
    1``); once RESET has passed the provider answers again (each answer held 0.5 s), and
    3 processes read at the same moment: exactly one sends the trial request, the other
    two raise ServiceUnavailableError without sending. The trial's success closes the
    breaker for everyone: process D, after them, reads normally."""
    breaker = {"CIRCUIT_BREAKER": {"FAILURES": 2, "RESET": 1}, "MAX_RETRIES": 0}
    args = {"model": "Author", "pk": AUTHOR_PK, "calls": 1}
    a = site.worker("calls", {**args, "calls": 2}, **breaker)
    trio = [site.worker("calls", args, **breaker) for _ in range(3)]
    d = site.worker("calls", args, **breaker)
    site.proxy.mode = "503"
    site.start(a)
    a_results = a.result()["results"]
    opened = time.monotonic()
    a.finish()
    for worker in (*trio, d):
        worker.ready()
    site.proxy.mode = "forward"
    site.proxy.delay = 0.5
    time.sleep(max(0.0, opened + 1.2 - time.monotonic()))
    after_a = len(site.proxy.seen())
    for worker in trio:
        worker.go()
    trio_results = sorted(r for w in trio for r in w.result()["results"])
    after_trio = len(site.proxy.seen())
    site.proxy.delay = 0.0
    d.go()
    d_results = d.result()["results"]
    for worker in (*trio, d):
        worker.finish()
    seen = site.proxy.seen()
    print(
        f"A: {a_results} ({after_a} requests); the 3: {trio_results} "
        f"({after_trio - after_a} requests); D: {d_results} ({len(seen) - after_trio})"
    )
    assert a_results == ["ServerError"] * 2 and after_a == 2, _summary(seen)
    assert trio_results == ["ServiceUnavailableError", "ServiceUnavailableError", "ok"], (
        f"{trio_results}: {_summary(seen)}"
    )
    assert after_trio - after_a == 1, f"trial requests: {_summary(seen)}"
    assert d_results == ["ok"] and len(seen) - after_trio == 1, _summary(seen)
