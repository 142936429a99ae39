"""The TLS server of row g: hypercorn, speaking HTTP/2 or HTTP/1.1 as the client asks (ALPN).

Run as ``python -m benchmarks.tls_server --certfile C --keyfile K``. It binds
127.0.0.1 on a free port, prints ``PORT <n>`` on stdout once hypercorn has
started, and serves until stdin closes (the parent exited, however it exited),
SIGTERM or SIGINT, as ``benchmarks.server`` does.

Routes, below ``/api/``:

- ``records/<id>/``: one record, as ``benchmarks.server`` answers it;
- ``slow/<id>/``: the same, sent ``--latency-ms`` late;
- ``connections/``: ``{"2": n, "1.1": m}``, the number of client connections
  (distinct client addresses) that sent a request since the last call, by HTTP
  version; each call starts a new count.

The app is a bare ASGI callable: every answer's body and headers are built at
start-up, so hypercorn's protocol code (h2 or h11, TLS) is most of the server's
work. It answers 404 to anything else.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import socket
from typing import Any

from hypercorn.asyncio import serve as hypercorn_serve
from hypercorn.config import Config

from benchmarks.server import make_record, stop_signals

HOST = "127.0.0.1"
PREFIX = "/api/"
#: Seconds hypercorn may take to stop once asked. A client that went away without
#: closing its TLS connections (an interrupted benchmark) would otherwise hold the
#: stop for asyncio's 30 s TLS shutdown timeout.
STOP_GRACE = 1.0
ENDPOINTS = ("records", "slow")

Headers = list[tuple[bytes, bytes]]


def _answer(status: int, body: bytes) -> tuple[int, Headers, bytes]:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    return status, headers, body


def _dumps(data: Any) -> bytes:
    # DRF's JSONRenderer: compact separators, UTF-8, not ASCII-escaped.
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


_NOT_FOUND = _answer(404, b'{"detail":"Not found."}')


class App:
    """Every record's answer built in advance; ``slow/`` waits ``latency`` seconds first."""

    def __init__(self, records: int, latency: float, started: asyncio.Event) -> None:
        self.latency = latency
        self.started = started
        self.answers: dict[str, tuple[int, Headers, bytes]] = {}
        for i in range(1, records + 1):
            answer = _answer(200, _dumps(make_record(i)))
            for endpoint in ENDPOINTS:
                self.answers[f"{PREFIX}{endpoint}/{i}/"] = answer
        self.clients: dict[str, set[Any]] = {"2": set(), "1.1": set()}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                    self.started.set()
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        self.clients.setdefault(scope["http_version"], set()).add(scope.get("client"))
        path = scope["path"]
        answer = self.answers.get(path)
        if answer is None:
            if path == f"{PREFIX}connections/":
                answer = _answer(200, _dumps({v: len(c) for v, c in self.clients.items()}))
                for clients in self.clients.values():
                    clients.clear()
            else:
                answer = _NOT_FOUND
        elif self.latency and path.startswith(f"{PREFIX}slow/"):
            await asyncio.sleep(self.latency)
        status, headers, body = answer
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


async def serve(records: int, latency: float, certfile: str, keyfile: str) -> None:
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # inherited by accepted sockets
    sock.bind((HOST, 0))
    sock.listen(1024)
    port = sock.getsockname()[1]

    config = Config()
    config.bind = [f"fd://{sock.fileno()}"]
    config.certfile, config.keyfile = certfile, keyfile
    config.loglevel = "WARNING"
    config.accesslog = None
    config.graceful_timeout = STOP_GRACE
    # hypercorn closes a connection (HTTP/2: GOAWAY) after 1,000 requests by
    # default; the row counts on one connection for all of its runs.
    config.keep_alive_max_requests = 2**31
    config.keep_alive_timeout = 60.0

    stop, watcher = await stop_signals()
    started = asyncio.Event()

    async def announce() -> None:
        await started.wait()  # hypercorn ran the app's lifespan startup: it is serving
        print(f"PORT {port}", flush=True)

    announcer = asyncio.create_task(announce())
    app = App(records, latency, started)
    server = asyncio.create_task(
        hypercorn_serve(app, config, shutdown_trigger=stop.wait, mode="asgi")  # type: ignore[arg-type]
    )
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({server, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if not server.done():  # asked to stop: hypercorn closes its connections, or not
        await asyncio.wait({server}, timeout=STOP_GRACE * 2)
    failed = server.done() and not server.cancelled() and server.exception() is not None
    if not server.done():
        # Cancelled half-way through its shutdown, hypercorn's connection tasks
        # would each print a traceback: stop quietly, this is the expected case.
        loop.set_exception_handler(lambda _loop, _context: None)
    tasks = (server, stopping, watcher, announcer)
    for task in tasks:
        task.cancel()
    await asyncio.wait(tasks, timeout=STOP_GRACE)
    if failed:
        raise RuntimeError("hypercorn stopped on an error") from server.exception()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--records", type=int, default=1_000)
    parser.add_argument("--latency-ms", type=float, default=5.0, help="added on slow/ only")
    parser.add_argument("--certfile", required=True)
    parser.add_argument("--keyfile", required=True)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.records, args.latency_ms / 1000, args.certfile, args.keyfile))


if __name__ == "__main__":
    main()
