"""The benchmark suite: each row times the package against a hand-written baseline.

Both sides of a row run in this process against the same server subprocess,
``--runs`` times each, back to back and alternating which goes first. The table
shows the median time of each side and the median of the runs' ratios: a run of
the package and the baseline run next to it saw the same load on the machine, so
the ratio of each pair is steadier than the ratio of two medians.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import cProfile
import datetime
import decimal
import functools
import gc
import inspect
import itertools
import json
import operator
import os
import platform
import pstats
import selectors
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import django
import httpx
from django.conf import settings

from benchmarks.server import make_records

REPO_ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
LIST_RECORDS = 10_000
BIG_RECORDS = 100_000
PAGE_SIZE = 100
HYDRATE_ROWS = 50_000
GETS = 1_000
CONCURRENCY = 50
SYNC_GETS = 200
PREFETCH = 4
MEMORY_RUNS = 1
LATENCY_MS = 5.0
SERVER_START_TIMEOUT = 60.0
#: Row g: requests in flight at once over TLS; g3 has fewer, g4 one at a time.
TLS_CONCURRENCY = 100
TLS_LOW_CONCURRENCY = 10
#: Rows g2 to g4 make fewer calls than g, to keep the run short.
TLS_SLOW_GETS = 300
TLS_FEW_GETS = 200
#: Row g's service aliases: one HTTP/2 connection, and an HTTP/1.1 pool (default limits).
H2, H11 = "h2", "h11"

#: Row h: sequential reads of the same objects (cached) against reads that go out.
SHARED_GETS = 200
#: Row h's aliases: answers cached in Redis; a shared rate budget and breaker.
CACHED, GUARDED = "cached", "guarded"
#: Row h2's budget: far above what one machine sends, so no request waits for a slot.
GUARD_RATE = "1000000/s"

ROWS = ("a", "b", "c", "d", "e", "f", "g", "h", "i")
#: Row a2's filters: every record satisfies both, so each page passes the ORM's check
#: of the rows against the query (the server ignores them, as a provider may).
FILTERS = {"id__gte": 1, "price__gte": 0}
#: The benchmark model's fields, in declaration order (read by row b3).
FIELD_NAMES = (
    "id",
    "name",
    "sku",
    "category",
    "active",
    "quantity",
    "price",
    "created_at",
    "updated_at",
    "attributes",
)


# --- the server subprocess ---------------------------------------------------------


@dataclass(frozen=True)
class Server:
    base_url: str
    pid: int

    def cpu_seconds(self) -> float | None:
        """Return the CPU time the server has used so far (Linux), or None."""
        try:
            with open(f"/proc/{self.pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        # utime and stime, fields 14 and 15 of proc(5), counted from the state (3).
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class TLSServer(Server):
    ca_path: str  # the PEM file of the CA that signed the server's certificate


@contextlib.contextmanager
def running_server(records: int = LIST_RECORDS, big: int = BIG_RECORDS) -> Iterator[Server]:
    """Start ``benchmarks.server`` in a subprocess; yield it; always stop it."""
    with _subprocess_server(
        "benchmarks.server",
        ("--records", str(records), "--big", str(big), "--latency-ms", str(LATENCY_MS)),
        "http",
    ) as server:
        yield server


@contextlib.contextmanager
def running_tls_server(records: int = GETS) -> Iterator[TLSServer]:
    """Start ``benchmarks.tls_server`` (hypercorn, HTTP/2 and HTTP/1.1 over TLS); always stop it.

    The certificate for 127.0.0.1 comes from a ``trustme`` CA made here; the CA's
    certificate is written next to it, for the services' ``VERIFY_SSL``.
    """
    import trustme  # a dev dependency, like hypercorn

    ca = trustme.CA()
    cert = ca.issue_cert(HOST)
    with tempfile.TemporaryDirectory(prefix="bench-tls-") as directory:
        ca_path, certfile, keyfile = (Path(directory, n) for n in ("ca.pem", "cert.pem", "key.pem"))
        ca.cert_pem.write_to_path(str(ca_path))
        cert.private_key_pem.write_to_path(str(keyfile))
        for index, pem in enumerate(cert.cert_chain_pems):
            pem.write_to_path(str(certfile), append=index > 0)
        args = (
            *("--records", str(records), "--latency-ms", str(LATENCY_MS)),
            *("--certfile", str(certfile), "--keyfile", str(keyfile)),
        )
        with _subprocess_server("benchmarks.tls_server", args, "https") as server:
            yield TLSServer(server.base_url, server.pid, str(ca_path))


@contextlib.contextmanager
def _subprocess_server(module: str, args: tuple[str, ...], scheme: str) -> Iterator[Server]:
    """Run ``python -m module *args`` until it prints ``PORT <n>``; yield it; always stop it.

    The server gets its own session, so a Ctrl-C here does not reach it; it stops
    when we terminate it below, or by itself when its stdin (held by us) closes,
    which also covers this process being killed outright.
    """
    process = subprocess.Popen(
        [sys.executable, "-m", module, *args],
        cwd=REPO_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            if not selector.select(SERVER_START_TIMEOUT):
                raise RuntimeError(f"{module} did not start in {SERVER_START_TIMEOUT}s")
        line = process.stdout.readline().decode().split()
        if len(line) != 2 or line[0] != "PORT":
            raise RuntimeError(f"{module} failed to start (exit {process.poll()})")
        yield Server(f"{scheme}://{HOST}:{line[1]}/api/", process.pid)
    finally:
        if process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def configure_django(
    base_url: str, tls: TLSServer | None = None, redis_url: str | None = None
) -> None:
    """Configure Django minimally: the package's app and one service.

    With ``tls``, two more services point at it (row g): ``h2`` with
    ``HTTP2=True`` and ``h11`` with ``HTTP2=False``, both trusting its CA and
    keeping the default pool limits. With ``redis_url`` (row h), ``CACHES`` is that
    Redis and two more services use it: ``cached`` (``CACHE``) and ``guarded``
    (``RATE_LIMIT`` and ``CIRCUIT_BREAKER``).
    """
    services: dict[str, dict[str, Any]] = {"default": {"BASE_URL": base_url, "MAX_RETRIES": 0}}
    caches: dict[str, dict[str, Any]] = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }
    if redis_url is not None:
        caches["default"] = {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
        }
        services[CACHED] = {"BASE_URL": base_url, "MAX_RETRIES": 0, "CACHE": {"TIMEOUT": 3600}}
        services[GUARDED] = {
            "BASE_URL": base_url,
            "MAX_RETRIES": 0,
            "RATE_LIMIT": GUARD_RATE,
            "CIRCUIT_BREAKER": {"FAILURES": 5, "RESET": 30},
        }
    if tls is not None:
        for alias, http2 in ((H2, True), (H11, False)):
            services[alias] = {
                "BASE_URL": tls.base_url,
                "MAX_RETRIES": 0,
                "HTTP2": http2,
                "VERIFY_SSL": tls.ca_path,
            }
    settings.configure(
        DEBUG=False,
        USE_TZ=True,
        TIME_ZONE="UTC",
        INSTALLED_APPS=["django_api_orm"],
        API_ORM_SERVICES=services,
        CACHES=caches,
        SECRET_KEY="benchmarks",
        LOGGING_CONFIG=None,
    )
    django.setup()


# --- results -------------------------------------------------------------------------


@dataclass
class Row:
    """One line of the table: timings of the package and of its baseline."""

    key: str
    title: str
    goal: float | None = None  # the ratio package/baseline must stay at or under this
    per: int = 0  # items per run, for the per-item column
    unit: str = "s"  # "s" for times, "B" for memory
    note: str = ""
    package: list[float] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)
    package_cpu: list[float] = field(default_factory=list)
    baseline_cpu: list[float] = field(default_factory=list)
    server_busy: float | None = None  # server CPU seconds / wall seconds over the row

    @staticmethod
    def _ratios(package: list[float], baseline: list[float]) -> list[float]:
        # Run i of each side ran back to back, so each pair saw the same machine
        # load: the median of the pairs' ratios shrugs off load that comes and goes.
        return [p / b for p, b in zip(package, baseline, strict=True) if b > 0]

    @classmethod
    def _ratio(cls, package: list[float], baseline: list[float]) -> float | None:
        ratios = cls._ratios(package, baseline)
        return statistics.median(ratios) if ratios else None

    @property
    def ratio(self) -> float | None:
        return self._ratio(self.package, self.baseline)

    @property
    def spread(self) -> str:
        ratios = self._ratios(self.package, self.baseline)
        return f"{min(ratios):.2f}-{max(ratios):.2f}" if len(ratios) > 1 else ""

    @property
    def cpu_ratio(self) -> float | None:
        return self._ratio(self.package_cpu, self.baseline_cpu)

    @property
    def verdict(self) -> str:
        ratio = self.ratio
        if ratio is None:
            return self.note or "-"
        if self.goal is None:
            return "info"
        return "met" if ratio <= self.goal else "not met"


def _fmt(values: list[float], unit: str) -> str:
    if not values:
        return "-"
    value = statistics.median(values)
    if unit == "B":
        return f"{value / 2**20:.2f} MiB"
    if value < 1:
        return f"{value * 1000:.1f} ms"
    return f"{value:.2f} s"


def _decoders() -> str:
    try:
        import msgspec
    except ImportError:
        return "msgspec not installed (JSON by the stdlib)"
    return f"msgspec {msgspec.__version__}"


def render(rows: list[Row], runs: int, elapsed: float, load: tuple[float, float]) -> str:
    """Return the table, with the machine and the date above it."""
    header = (
        "benchmark",
        "package",
        "baseline",
        "ratio",
        "range",
        "goal",
        "result",
        "cpu ratio",
        "server busy",
        "package/item",
    )
    table = [header]
    for row in rows:
        ratio, cpu = row.ratio, row.cpu_ratio
        per_item = ""
        if row.package and row.per and row.unit == "s":
            per_item = f"{statistics.median(row.package) / row.per * 1e6:.1f} us"
        table.append(
            (
                f"{row.key}. {row.title}",
                _fmt(row.package, row.unit) if row.package else row.note or "-",
                _fmt(row.baseline, row.unit),
                f"{ratio:.2f}x" if ratio is not None else "-",
                row.spread,
                f"<= {row.goal:.2f}x" if row.goal is not None else "-",
                row.verdict,
                f"{cpu:.2f}x" if cpu is not None else "-",
                f"{row.server_busy:.0%}" if row.server_busy is not None else "-",
                per_item,
            )
        )
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    now = datetime.datetime.now(datetime.UTC)
    lines = [
        f"django_api_orm benchmarks, {now:%Y-%m-%d %H:%M} UTC",
        f"machine: {os.cpu_count()} CPUs, {platform.platform()}, "
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"Django {django.get_version()}, httpx {httpx.__version__}, {_decoders()}",
        f"{runs} runs per side, alternating; times are medians; ratio = median of the runs' "
        "package/baseline wall-time ratios (range: lowest-highest); cpu ratio = the same "
        "in this process's CPU time; server busy = server CPU / wall",
        f"1-minute load average {load[0]:.2f} at start, {load[1]:.2f} at end; "
        f"whole run {elapsed:.0f} s",
        "",
    ]
    for i, cells in enumerate(table):
        lines.append(
            "  ".join(
                cell.ljust(width) if j == 0 else cell.rjust(width)
                for j, (cell, width) in enumerate(zip(cells, widths, strict=True))
            ).rstrip()
        )
        if i == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


# --- timing ----------------------------------------------------------------------------


class Meter:
    """Times one side of a row, and watches how busy the server is meanwhile."""

    def __init__(self, server: Server) -> None:
        self.server = server

    @contextlib.contextmanager
    def watching(self, row: Row) -> Iterator[None]:
        cpu = self.server.cpu_seconds()
        start = time.perf_counter()
        yield
        wall = time.perf_counter() - start
        after = self.server.cpu_seconds()
        if cpu is not None and after is not None and wall > 0:
            row.server_busy = (after - cpu) / wall

    @staticmethod
    def sync(fn: Callable[[], Any]) -> tuple[float, float]:
        gc.collect()
        cpu, start = time.process_time(), time.perf_counter()
        fn()
        return time.perf_counter() - start, time.process_time() - cpu

    @staticmethod
    async def run(fn: Callable[[], Awaitable[Any]]) -> tuple[float, float]:
        gc.collect()
        cpu, start = time.process_time(), time.perf_counter()
        await fn()
        return time.perf_counter() - start, time.process_time() - cpu

    def record(self, row: Row, side: str, result: tuple[float, float]) -> None:
        wall, cpu = result
        if side == "package":
            row.package.append(wall)
            row.package_cpu.append(cpu)
        else:
            row.baseline.append(wall)
            row.baseline_cpu.append(cpu)

    async def alternate(
        self,
        row: Row,
        runs: int,
        package: Callable[[], Awaitable[Any]],
        baseline: Callable[[], Awaitable[Any]],
        *,
        warm: bool = True,
    ) -> Row:
        """Warm both sides, then time each ``runs`` times, alternating which goes first."""
        if warm:
            await package()
            await baseline()
        sides = [("package", package), ("baseline", baseline)]
        with self.watching(row):
            for run in range(runs):
                for side, fn in sides if run % 2 == 0 else sides[::-1]:
                    self.record(row, side, await self.run(fn))
        return row

    def alternate_sync(
        self,
        row: Row,
        runs: int,
        package: Callable[[], tuple[float, float]],
        baseline: Callable[[], tuple[float, float]],
        *,
        network: bool = True,
    ) -> Row:
        """As :meth:`alternate`, for sides that time themselves."""
        package()
        baseline()
        sides = [("package", package), ("baseline", baseline)]
        with self.watching(row) if network else contextlib.nullcontext():
            for run in range(runs):
                for side, fn in sides if run % 2 == 0 else sides[::-1]:
                    self.record(row, side, fn())
        return row


# --- the benchmarks ------------------------------------------------------------------


class Suite:
    """Every row, sharing one server, one package client per loop and one raw client."""

    def __init__(self, server: Server, runs: int) -> None:
        from benchmarks.models import BigRecord, Record, SlowRecord  # after django.setup()

        self.server = server
        self.meter = Meter(server)
        self.runs = runs
        self.Record = Record
        self.BigRecord = BigRecord
        self.SlowRecord = SlowRecord
        self._raw: httpx.AsyncClient | None = None

    def raw_client(self) -> httpx.AsyncClient:
        """One plain httpx client with httpx's defaults, which are the package's too
        (100 connections, 20 kept alive)."""
        if self._raw is None:
            self._raw = httpx.AsyncClient(base_url=self.server.base_url)
        return self._raw

    async def close(self) -> None:
        from django_api_orm import services

        if self._raw is not None:
            await self._raw.aclose()
        await services.aclose_all()

    # a. listing ----------------------------------------------------------------------

    async def orm_list(self, model: Any = None, limit: int | None = None, **kwargs: Any) -> int:
        n = 0
        queryset = (model or self.Record).objects.all()[:limit]
        async for obj in queryset.aiterator(**kwargs):
            obj.id  # noqa: B018 - touch one field per row
            n += 1
        return n

    async def raw_list(self, endpoint: str = "records/", filters: str = "") -> int:
        client = self.raw_client()
        url: str | None = f"{endpoint}?{filters}page_size={PAGE_SIZE}"
        n = 0
        while url:
            response = await client.get(url)
            response.raise_for_status()
            data = json.loads(response.content)
            for row in data["results"]:
                row["id"]  # touch one key per row
                n += 1
            url = data["next"]
        return n

    async def bench_list(self) -> list[Row]:
        """Row a with the package's JSON decoder (msgspec with the fast extra), and
        a1 with the standard library's, each against the same raw httpx loop."""
        from django_api_orm.client import _json

        active = _json.decoder()
        rows = []
        for key, decoder, goal in (("a", "msgspec", 0.90), ("a1", "json", 1.10)):
            if decoder != "json" and active == "json":
                rows.append(Row(key, f"as a1, JSON by {decoder}", note="not installed"))
                continue
            title = f"list {LIST_RECORDS:,}, {PAGE_SIZE}/page, JSON by {decoder}: vs raw httpx"
            row = Row(key, title, goal=goal, per=LIST_RECORDS)
            _json.use(decoder)
            try:
                assert await self.orm_list() == await self.raw_list() == LIST_RECORDS
                rows.append(
                    await self.meter.alternate(row, self.runs, self.orm_list, self.raw_list)
                )
            finally:
                _json.use(active)
        return rows

    async def orm_list_filtered(self) -> int:
        n = 0
        async for obj in self.Record.objects.filter(**FILTERS).aiterator():
            obj.id  # noqa: B018 - touch one field per row
            n += 1
        return n

    async def raw_list_filtered(self) -> int:
        return await self.raw_list(filters="".join(f"{k}={v}&" for k, v in FILTERS.items()))

    async def bench_list_filtered(self) -> Row:
        names = ", ".join(f"{k}={v}" for k, v in FILTERS.items())
        row = Row("a2", f"as a, filtered ({names}), each row checked: vs raw httpx loop")
        row.goal, row.per = 1.10, LIST_RECORDS
        assert await self.orm_list_filtered() == await self.raw_list_filtered() == LIST_RECORDS
        return await self.meter.alternate(
            row, self.runs, self.orm_list_filtered, self.raw_list_filtered
        )

    # b. hydration --------------------------------------------------------------------

    def bench_hydrate(self) -> list[Row]:
        Record = self.Record
        # Parsed from JSON, as they arrive: no strings shared with the generator.
        rows = json.loads(json.dumps(make_records(1, HYDRATE_ROWS + 1)))
        read_all = operator.attrgetter(*FIELD_NAMES)
        # The public hydration (RemoteModel.from_api_list), the one the ORM's reads use.
        from_api_list = Record.from_api_list
        assert len(read_all(from_api_list(rows[:1])[0])) == 10

        def bare() -> None:
            from_api_list(rows)

        def one_field() -> None:
            for obj in from_api_list(rows):
                obj.id  # noqa: B018

        def all_fields() -> None:
            for obj in from_api_list(rows):
                read_all(obj)

        def copies() -> None:
            [dict(d) for d in rows]

        def one_key() -> None:
            for d in [dict(d) for d in rows]:
                d["id"]

        dec, parse = decimal.Decimal, datetime.datetime.fromisoformat

        def converted() -> None:
            # What a hand-written client does to get Python values out of each row.
            [
                {
                    **d,
                    "price": dec(d["price"]),
                    "created_at": parse(d["created_at"]),
                    "updated_at": parse(d["updated_at"]),
                    "attributes": dict(d["attributes"]),
                }
                for d in rows
            ]

        n = f"{HYDRATE_ROWS:,}"
        table = [
            (Row("b", f"from_api_list {n} rows (bare) vs dict copies", goal=1.5), bare, copies),
            (Row("b2", f"from_api_list {n} + read 1 field vs copies + 1 key"), one_field, one_key),
            (
                Row("b3", f"from_api_list {n} + read 10 fields vs hand conversion", goal=3.0),
                all_fields,
                converted,
            ),
        ]
        out = []
        for row, package, baseline in table:
            row.per = HYDRATE_ROWS
            out.append(
                self.meter.alternate_sync(
                    row,
                    self.runs,
                    functools.partial(self.meter.sync, package),
                    functools.partial(self.meter.sync, baseline),
                    network=False,
                )
            )
        return out

    # c. concurrent gets --------------------------------------------------------------

    async def orm_gets(self, n: int = GETS, alias: str = "default") -> None:
        semaphore = asyncio.Semaphore(CONCURRENCY)
        manager = self.Record.objects.using(alias)

        async def one(pk: int) -> Any:
            async with semaphore:
                return await manager.aget(pk=pk)

        objs = await asyncio.gather(*(one(pk) for pk in range(1, n + 1)))
        assert objs[-1].id == n

    async def raw_gets(self, n: int = GETS) -> None:
        semaphore = asyncio.Semaphore(CONCURRENCY)
        client = self.raw_client()

        async def one(pk: int) -> Any:
            async with semaphore:
                response = await client.get(f"records/{pk}/")
                response.raise_for_status()
                return json.loads(response.content)

        rows = await asyncio.gather(*(one(pk) for pk in range(1, n + 1)))
        assert rows[-1]["id"] == n

    async def bench_gets(self) -> Row:
        row = Row("c", f"{GETS:,} aget(pk=i), concurrency {CONCURRENCY}: vs raw httpx")
        row.goal, row.per = 1.05, GETS
        # Warm up on a fifth: enough to open the pools' connections.
        await self.orm_gets(GETS // 5)
        await self.raw_gets(GETS // 5)
        return await self.meter.alternate(row, self.runs, self.orm_gets, self.raw_gets, warm=False)

    # i. instrumented ------------------------------------------------------------------

    async def bench_instrumented(self) -> list[Row]:
        """Rows i (OpenTelemetry) and i1 (Sentry): as c, the SDK on both sides.

        Both SDKs patch httpx for the whole process (Sentry for good), so these rows
        run last. The ratio is against raw httpx under the same SDK; the cost of the
        SDK itself shows in the package's time per item against row c's.
        """
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
        from opentelemetry.sdk.trace import TracerProvider

        rows = []
        instrumentor = HTTPXClientInstrumentor()
        instrumentor.instrument(tracer_provider=TracerProvider())  # spans made, not exported
        try:
            row = Row("i", "as c, OpenTelemetry's HTTPXClientInstrumentor on: vs raw httpx")
            row.per = GETS
            await self.orm_gets(GETS // 5)
            await self.raw_gets(GETS // 5)
            rows.append(
                await self.meter.alternate(row, self.runs, self.orm_gets, self.raw_gets, warm=False)
            )
        finally:
            instrumentor.uninstrument()
        import sentry_sdk
        from sentry_sdk.integrations.httpx import HttpxIntegration
        from sentry_sdk.transport import Transport

        class Discard(Transport):
            def capture_envelope(self, envelope: Any) -> None:
                pass

        sentry_sdk.init(
            dsn="https://public@sentry.invalid/1",
            transport=Discard,
            default_integrations=False,
            integrations=[HttpxIntegration()],
            traces_sample_rate=1.0,
        )
        row = Row("i1", "as c, Sentry's HttpxIntegration on, in a transaction: vs raw httpx")
        row.per = GETS

        async def in_transaction(side: Callable[[], Awaitable[None]]) -> None:
            with sentry_sdk.start_transaction(name="bench"):
                await side()

        orm = functools.partial(in_transaction, self.orm_gets)
        raw = functools.partial(in_transaction, self.raw_gets)
        await orm()
        await raw()
        rows.append(await self.meter.alternate(row, self.runs, orm, raw, warm=False))
        return rows

    # h. shared state ------------------------------------------------------------------

    async def sequential_gets(self, model: Any, alias: str, n: int = SHARED_GETS) -> None:
        manager = model.objects.using(alias)
        for pk in range(1, n + 1):
            obj = await manager.aget(pk=pk)
        assert obj.id == n

    async def bench_shared(self) -> list[Row]:
        """Rows h and h1: cached reads (Redis) against reads that go out; h2: the guards."""
        rows = []
        for key, model, where, goal in (
            ("h", self.SlowRecord, f"provider {LATENCY_MS:g} ms away", 0.05),
            ("h1", self.Record, "provider on this machine, answering at once", None),
        ):
            row = Row(key, f"{SHARED_GETS} aget() cached in Redis vs sent, {where}", goal=goal)
            row.per = SHARED_GETS
            await self.sequential_gets(model, CACHED)  # fills the cache
            rows.append(
                await self.meter.alternate(
                    row,
                    self.runs,
                    functools.partial(self.sequential_gets, model, CACHED),
                    functools.partial(self.sequential_gets, model, "default"),
                )
            )
        row = Row("h2", "as c, with RATE_LIMIT and CIRCUIT_BREAKER in Redis vs without")
        row.goal, row.per = 1.05, GETS
        guarded = functools.partial(self.orm_gets, alias=GUARDED)
        await guarded(GETS // 5)
        await self.orm_gets(GETS // 5)
        rows.append(await self.meter.alternate(row, self.runs, guarded, self.orm_gets, warm=False))
        return rows

    # d. memory -----------------------------------------------------------------------

    async def peak_streaming(self, model: Any, expected: int) -> float:
        """Return the most memory allocated at once (tracemalloc) while streaming ``model``.

        Only the first ``expected`` records: both sides read the same endpoint, so
        the rows (and pages) are alike and only their number differs.
        """
        gc.collect()
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            assert await self.orm_list(model, limit=expected) == expected
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        return float(peak - base)

    async def bench_memory(self) -> Row:
        row = Row("d", f"peak memory streaming {BIG_RECORDS:,} vs {LIST_RECORDS:,} (aiterator)")
        row.unit, row.goal = "B", 1.10
        # tracemalloc slows Python down several times: one run each (the peak hardly
        # varies), after one untraced run for the caches that fill on first use.
        await self.orm_list()
        for _ in range(MEMORY_RUNS):
            row.baseline.append(await self.peak_streaming(self.BigRecord, LIST_RECORDS))
            row.package.append(await self.peak_streaming(self.BigRecord, BIG_RECORDS))
        return row

    # e. sync twin --------------------------------------------------------------------

    def sync_gets(self) -> None:
        get = self.Record.objects.get
        for pk in range(1, SYNC_GETS + 1):
            get(pk=pk)

    async def async_gets(self) -> None:
        aget = self.Record.objects.aget
        for pk in range(1, SYNC_GETS + 1):
            await aget(pk=pk)

    def bench_sync(self, runner: asyncio.Runner) -> Row:
        """Sync get() from this thread (no loop running in it) vs aget() on ``runner``."""
        row = Row("e", f"{SYNC_GETS} sequential sync get() vs awaited aget()")
        row.goal, row.per = 1.30, SYNC_GETS
        return self.meter.alternate_sync(
            row,
            self.runs,
            functools.partial(self.meter.sync, self.sync_gets),
            lambda: runner.run(self.meter.run(self.async_gets)),
        )

    # f. prefetch ---------------------------------------------------------------------

    def has_prefetch(self) -> bool:
        return "prefetch" in inspect.signature(self.Record.objects.all().aiterator).parameters

    async def raw_list_window(self, window: int = PREFETCH) -> int:
        """The hand-written prefetch: read ``count`` from page 1, then keep ``window``
        page requests in flight, handling the pages in order."""
        client = self.raw_client()

        async def page(number: int) -> Any:
            query = f"page={number}&page_size={PAGE_SIZE}" if number > 1 else ""
            response = await client.get(f"records/?{query or f'page_size={PAGE_SIZE}'}")
            response.raise_for_status()
            return json.loads(response.content)

        first = await page(1)
        numbers = iter(range(2, (first["count"] - 1) // PAGE_SIZE + 2))
        in_flight = collections.deque(
            asyncio.ensure_future(page(n)) for n in itertools.islice(numbers, window)
        )
        n = 0
        data = first
        while True:
            for row in data["results"]:
                row["id"]  # touch one key per row
                n += 1
            if not in_flight:
                return n
            data = await in_flight.popleft()
            following = next(numbers, None)
            if following is not None:
                in_flight.append(asyncio.ensure_future(page(following)))

    async def bench_prefetch(self) -> Row:
        row = Row("f", f"list {LIST_RECORDS:,} with prefetch={PREFETCH} vs raw httpx, same window")
        row.per = LIST_RECORDS
        if not self.has_prefetch():
            row.note = "not implemented"
            return row
        prefetching = functools.partial(self.orm_list, prefetch=PREFETCH)
        assert await prefetching() == await self.raw_list_window() == LIST_RECORDS
        return await self.meter.alternate(row, self.runs, prefetching, self.raw_list_window)

    async def bench_prefetch_latency(self) -> Row:
        row = Row("f2", f"as a, pages {LATENCY_MS:g} ms late: prefetch={PREFETCH} vs aiterator()")
        row.per = LIST_RECORDS
        if not self.has_prefetch():
            row.note = "not implemented"
            return row
        prefetching = functools.partial(self.orm_list, self.SlowRecord, prefetch=PREFETCH)
        sequential = functools.partial(self.orm_list, self.SlowRecord)
        return await self.meter.alternate(row, self.runs, prefetching, sequential)

    # g. HTTP/2 multiplexing ------------------------------------------------------------

    async def tls_gets(
        self, alias: str, model: Any = None, concurrency: int = TLS_CONCURRENCY, n: int = GETS
    ) -> None:
        semaphore = asyncio.Semaphore(concurrency)
        manager: Any = (model or self.Record).objects
        queryset = manager.using(alias)

        async def one(pk: int) -> Any:
            async with semaphore:
                return await queryset.aget(pk=pk)

        objs = await asyncio.gather(*(one(pk) for pk in range(1, n + 1)))
        assert objs[-1].id == n

    @staticmethod
    async def tls_connections(alias: str) -> tuple[dict[str, int], str]:
        """Ask the TLS server, through ``alias``, how many connections sent requests since
        it was last asked, by HTTP version ("2", "1.1"); return that and the HTTP
        version the answer came in."""
        from django_api_orm import services

        response = await services[alias].get("connections/")
        return response.data, response.http_version

    async def bench_multiplexing(self, meter: Meter) -> list[Row]:
        """Row g and its variants: the same aget() calls over one HTTP/2 connection and
        over an HTTP/1.1 pool, against one hypercorn server over TLS."""
        late = f", {LATENCY_MS:g} ms late"
        variants = [
            ("g", None, GETS, TLS_CONCURRENCY, ""),
            ("g2", self.SlowRecord, TLS_SLOW_GETS, TLS_CONCURRENCY, late),
            ("g3", self.SlowRecord, TLS_FEW_GETS, TLS_LOW_CONCURRENCY, late),
            ("g4", None, TLS_FEW_GETS, 1, ""),
        ]
        # The first answer on each side says what it spoke.
        for alias, expected in ((H2, "HTTP/2"), (H11, "HTTP/1.1")):
            _, version = await self.tls_connections(alias)
            if version != expected:
                raise AssertionError(f"service {alias!r} spoke {version}, not {expected}")
        rows = []
        for key, model, n, concurrency, slow in variants:
            h2 = functools.partial(self.tls_gets, H2, model, concurrency, n)
            h11 = functools.partial(self.tls_gets, H11, model, concurrency, n)
            await self.tls_connections(H2)  # a new count
            # Warm up on a fifth, as row c: enough to open the pool's connections.
            await self.tls_gets(H2, model, concurrency, n // 5)
            await self.tls_gets(H11, model, concurrency, n // 5)
            how = f"concurrency {concurrency}" if concurrency > 1 else "sequential"
            row = Row(key, f"{n:,} aget(), {how}, TLS{slow}: h2 vs h1.1")
            row.per = n
            await meter.alternate(row, self.runs, h2, h11, warm=False)
            # The connections that sent requests, in the warm-up and the timed runs.
            used, _ = await self.tls_connections(H2)
            row.title += f" (conns {used['2']} vs {used['1.1']})"
            rows.append(row)
        return rows

    # profiling -----------------------------------------------------------------------

    def profile(self, key: str, runner: asyncio.Runner) -> None:
        """Run the package side of row ``key`` three times under cProfile; print the top."""
        rows: list[dict[str, Any]] = []

        def hydrate_rows() -> None:
            if not rows:
                rows.extend(json.loads(json.dumps(make_records(1, HYDRATE_ROWS + 1))))
            self.Record.from_api_list(rows)

        work: dict[str, Callable[[], Any]] = {
            "a": lambda: runner.run(self.orm_list()),
            "b": hydrate_rows,
            "c": lambda: runner.run(self.orm_gets()),
            "d": lambda: runner.run(self.orm_list(self.BigRecord)),
            # e's work runs on the bridge's thread, which cProfile does not follow.
            "e": lambda: runner.run(self.async_gets()),
            "f": lambda: runner.run(self.orm_list(prefetch=PREFETCH)),
        }
        if key not in work or (key == "f" and not self.has_prefetch()):
            return
        fn = work[key]
        fn()
        collections_by_gen = [0, 0, 0]
        in_gc = [0.0, 0.0]  # seconds in collections, start of the current one

        def on_gc(phase: str, info: dict[str, int]) -> None:
            if phase == "start":
                in_gc[1] = time.perf_counter()
            else:
                collections_by_gen[info["generation"]] += 1
                in_gc[0] += time.perf_counter() - in_gc[1]

        profiler = cProfile.Profile()
        gc.callbacks.append(on_gc)
        start = time.perf_counter()
        profiler.enable()
        try:
            for _ in range(3):
                fn()
        finally:
            profiler.disable()
            gc.callbacks.remove(on_gc)
        total = time.perf_counter() - start
        print(f"\n=== cProfile: the package side of row {key}, 3 runs, by own time ===")
        print(
            f"garbage collections (gen 0/1/2): {'/'.join(map(str, collections_by_gen))}, "
            f"{in_gc[0] * 1000:.0f} ms of {total * 1000:.0f} ms (cProfile does not show them: "
            "their time lands in whichever function allocated)"
        )
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


async def _network_rows(suite: Suite, which: set[str]) -> list[Row]:
    rows = []
    if "a" in which:
        rows.extend(await suite.bench_list())
        rows.append(await suite.bench_list_filtered())
    if "c" in which:
        rows.append(await suite.bench_gets())
    if "h" in which:
        rows.extend(await suite.bench_shared())
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Time django_api_orm against hand-written httpx and dict baselines.",
    )
    parser.add_argument("--runs", type=int, default=7, help="timed runs per side (default 7)")
    parser.add_argument(
        "--only", default="".join(ROWS), help="rows to run, e.g. 'ac' (default all)"
    )
    parser.add_argument(
        "--profile", default="", help="then run the package side of these rows under cProfile"
    )
    args = parser.parse_args(argv)
    which = set(args.only) & set(ROWS)
    started = time.perf_counter()
    load = os.getloadavg()[0]

    # SIGTERM ends us as Ctrl-C does: KeyboardInterrupt unwinds through the
    # with-blocks below, which cancel what runs on the loop and stop the server.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with contextlib.ExitStack() as servers:
        server = servers.enter_context(running_server())
        tls = servers.enter_context(running_tls_server()) if "g" in which else None
        redis_url = None
        if "h" in which:
            from tests.redis_server import start_redis  # Debian's redis-server, on 127.0.0.1

            redis_url = servers.enter_context(start_redis()).url
        configure_django(server.base_url, tls, redis_url)
        suite = Suite(server, args.runs)
        rows: list[Row] = []
        with asyncio.Runner() as runner:
            rows += runner.run(_network_rows(suite, which))
            if "b" in which:
                rows += suite.bench_hydrate()
            if "d" in which:
                rows.append(runner.run(suite.bench_memory()))
            if "e" in which:
                rows.append(suite.bench_sync(runner))
            if "f" in which:
                rows.append(runner.run(suite.bench_prefetch()))
                rows.append(runner.run(suite.bench_prefetch_latency()))
            if tls is not None:
                rows += runner.run(suite.bench_multiplexing(Meter(tls)))
            if "i" in which:  # last: the SDKs patch httpx for the whole process
                rows += runner.run(suite.bench_instrumented())
            elapsed = time.perf_counter() - started
            rows.sort(key=lambda row: row.key)
            print(render(rows, args.runs, elapsed, (load, os.getloadavg()[0])), flush=True)
            for key in args.profile:
                suite.profile(key, runner)
            runner.run(suite.close())
    return 0
