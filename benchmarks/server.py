"""A cheap JSON server for the benchmarks: DRF-shaped pages, served from bytes built once.

Run as ``python -m benchmarks.server``. It binds 127.0.0.1 on a free port, prints
``PORT <n>`` on stdout once it accepts connections, and serves until stdin closes
(the parent exited, however it exited), SIGTERM or SIGINT.

Routes, below ``/api/``:

- ``records/?page=<n>&page_size=<k>``: ``{"count", "next", "previous", "results"}``
  pages of the first ``--records`` records, with an absolute ``next`` URL, as DRF's
  ``PageNumberPagination`` writes them (page 1 has no ``page`` parameter);
- ``big/?page=...``: the same over ``--big`` records (the memory benchmark);
- ``slow/?page=...``: the same as ``records/``, each answer sent ``--latency-ms``
  late, as from a server farther away than this machine;
- ``records/<id>/``: one record.

Other query parameters (row a2's filters) are ignored, as a provider ignores a
filter it does not know; ``next`` links carry only ``page`` and ``page_size``.

It is a hand-rolled HTTP/1.1 server on ``asyncio.Protocol``, not an ASGI app: the
client under test must be the bottleneck, so a request costs one dictionary
lookup on its raw target and one ``write`` of a response built in advance (pages
of other sizes are built on first use and kept).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import json
import signal
import socket
import sys
from typing import Any
from urllib.parse import parse_qsl

__all__ = ["make_record", "make_records"]

HOST = "127.0.0.1"
PREFIX = "/api/"
SLOW = b"/api/slow/"
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
_EPOCH = datetime.datetime(2023, 1, 1, tzinfo=datetime.UTC)
_CATEGORIES = ("books", "music", "garden", "kitchen", "toys", "café & bar")
_COLOURS = ("red", "green", "blue", "black", "white")


def make_record(i: int) -> dict[str, Any]:
    """Return record ``i``: ten fields of the usual JSON kinds, deterministic."""
    created = _EPOCH + datetime.timedelta(seconds=i * 97, microseconds=(i * 7919) % 1_000_000)
    updated = created + datetime.timedelta(days=i % 30, seconds=(i * 13) % 86_400)
    return {
        "id": i,
        "name": f"Product number {i}",
        "sku": f"SKU-{i:08d}",
        "category": _CATEGORIES[i % len(_CATEGORIES)],
        "active": i % 3 != 0,
        "quantity": (i * 7919) % 1000,
        "price": f"{(i * 3779) % 100_000 / 100:.2f}",
        # DRF's DateTimeField output: ISO 8601, microseconds, UTC as "Z".
        "created_at": created.isoformat().replace("+00:00", "Z"),
        "updated_at": updated.isoformat().replace("+00:00", "Z"),
        "attributes": {
            "colour": _COLOURS[i % len(_COLOURS)],
            "weight_kg": round((i % 500) / 10 + 0.1, 2),
            "tags": [f"tag{i % 7}", f"tag{i % 11}"],
            "dimensions": {"w": i % 40 + 1, "h": i % 25 + 1, "d": i % 10 + 1},
        },
    }


def make_records(start: int, stop: int) -> list[dict[str, Any]]:
    """Return records ``start`` to ``stop - 1``."""
    return [make_record(i) for i in range(start, stop)]


def _dumps(data: Any) -> bytes:
    # DRF's JSONRenderer: compact separators, UTF-8, not ASCII-escaped.
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def _response(status: str, body: bytes) -> bytes:
    return (
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


_NOT_FOUND = _response("404 Not Found", b'{"detail":"Not found."}')
_INVALID_PAGE = _response("404 Not Found", b'{"detail":"Invalid page."}')
_BAD_REQUEST = _response("400 Bad Request", b'{"detail":"Bad request."}')


class App:
    """The routes, and every response already built, keyed by the raw request target."""

    def __init__(self, origin: str, records: int, big: int) -> None:
        self.origin = origin
        self.sizes = {"records": records, "slow": records, "big": big}
        self.cache: dict[bytes, bytes] = {}
        self.details: dict[int, bytes] = {}

    def build(self) -> None:
        """Serialise the default pages of every list and every record's detail."""
        for endpoint, total in self.sizes.items():
            for page in range(1, (total - 1) // DEFAULT_PAGE_SIZE + 2):
                self.cache[self._target(endpoint, page, DEFAULT_PAGE_SIZE)] = self._page(
                    endpoint, page, DEFAULT_PAGE_SIZE
                )
        for i in range(1, self.sizes["records"] + 1):
            self.details[i] = _response("200 OK", _dumps(make_record(i)))

    @staticmethod
    def _query(endpoint: str, page: int, size: int) -> str:
        return f"page_size={size}" if page == 1 else f"page={page}&page_size={size}"

    def _target(self, endpoint: str, page: int, size: int) -> bytes:
        return f"{PREFIX}{endpoint}/?{self._query(endpoint, page, size)}".encode()

    def _page(self, endpoint: str, page: int, size: int) -> bytes:
        total = self.sizes[endpoint]
        start = (page - 1) * size
        if page < 1 or (start >= total and page != 1):
            return _INVALID_PAGE
        stop = min(start + size, total)
        url = f"{self.origin}{PREFIX}{endpoint}/?"
        body = {
            "count": total,
            "next": f"{url}page={page + 1}&page_size={size}" if stop < total else None,
            "previous": (
                None
                if page == 1
                else f"{url}page_size={size}"
                if page == 2
                else f"{url}page={page - 1}&page_size={size}"
            ),
            "results": make_records(start + 1, stop + 1),
        }
        return _response("200 OK", _dumps(body))

    def respond(self, method: bytes, target: bytes) -> bytes:
        cached = self.cache.get(target)
        if cached is not None and method == b"GET":
            return cached
        if method != b"GET":
            return _response("405 Method Not Allowed", b'{"detail":"Method not allowed."}')
        path, _, query = target.decode("latin-1").partition("?")
        if not path.startswith(PREFIX):
            return _NOT_FOUND
        parts = path[len(PREFIX) :].strip("/").split("/")
        if len(parts) == 1 and parts[0] in self.sizes:
            params = dict(parse_qsl(query))
            try:
                page = int(params.get("page", "1"))
                size = min(int(params.get("page_size", DEFAULT_PAGE_SIZE)), MAX_PAGE_SIZE)
            except ValueError:
                return _BAD_REQUEST
            if size < 1:
                return _BAD_REQUEST
            response = self._page(parts[0], page, size)
            if len(self.cache) < 10_000:
                self.cache[target] = response
            return response
        if len(parts) == 2 and parts[0] in self.sizes and parts[1].isdigit():
            i = int(parts[1])
            if not 1 <= i <= self.sizes[parts[0]]:
                return _NOT_FOUND
            detail = self.details.get(i)
            return detail if detail is not None else _response("200 OK", _dumps(make_record(i)))
        return _NOT_FOUND


class HTTPProtocol(asyncio.Protocol):
    """HTTP/1.1 with keep-alive; requests are answered in order as they complete."""

    def __init__(self, app: App, latency: float) -> None:
        self.app = app
        self.latency = latency
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer + data if self.buffer else data
        transport = self.transport
        assert transport is not None
        while True:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                break
            head = buffer[:end]
            line, _, headers = head.partition(b"\r\n")
            lower = headers.lower()
            length = 0
            at = lower.find(b"content-length:")
            if at >= 0:
                value = lower[at + 15 :].split(b"\r\n", 1)[0].strip()
                length = int(value) if value.isdigit() else 0
            if len(buffer) < end + 4 + length:
                break  # the body has not all arrived
            buffer = buffer[end + 4 + length :]
            try:
                method, target, _version = line.split(b" ", 2)
            except ValueError:
                transport.write(_BAD_REQUEST)
                transport.close()
                return
            response = self.app.respond(method, target)
            if self.latency and target.startswith(SLOW):
                asyncio.get_running_loop().call_later(self.latency, self._late, response)
            else:
                transport.write(response)
            if b"connection: close" in lower:
                transport.close()
                return
        self.buffer = buffer

    def _late(self, response: bytes) -> None:
        # httpx sends one request at a time per connection, so answers stay in order.
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(response)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


async def stop_signals() -> tuple[asyncio.Event, asyncio.Task[None]]:
    """Return an event set on SIGTERM, SIGINT or when the parent goes, and the task
    watching for the last (cancel it when done).

    The parent holds our stdin open; EOF means it is gone (even after SIGKILL).
    """
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    async def watch_parent() -> None:
        while await reader.read(4096):
            pass
        stop.set()

    return stop, asyncio.create_task(watch_parent())


async def serve(records: int, big: int, latency: float) -> None:
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, 0))
    port = sock.getsockname()[1]
    app = App(f"http://{HOST}:{port}", records, big)
    app.build()
    server = await loop.create_server(lambda: HTTPProtocol(app, latency), sock=sock, backlog=1024)

    stop, watcher = await stop_signals()
    print(f"PORT {port}", flush=True)
    async with server:
        await stop.wait()
    watcher.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await watcher


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=100_000)
    parser.add_argument("--latency-ms", type=float, default=5.0, help="added on slow/ only")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.records, args.big, args.latency_ms / 1000))


if __name__ == "__main__":
    main()
