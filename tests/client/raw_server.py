"""Byte-level HTTP servers for faults no ASGI server makes on purpose.

Each server is an asyncio server on a fresh 127.0.0.1 port, started and
stopped per test with :func:`serve`, which yields a :class:`RawServer`: its
``url`` and the requests that arrived (``arrivals``), counted server-side.
Behaviours are functions ``async def behaviour(server, reader, writer)`` run
for each connection; the ones here:

``respond(status, body, headers)``   answer every request the same, keep-alive
``half_body(cut)``                   headers with a Content-Length, half the body, then close
                                     (only the first ``cut`` requests, if given)
``cut_chunked()``                    a chunked body that stops before its last chunk, then close
``close_idle(after)``                answer ``{"n": k}``; close a connection idle ``after`` s
``close_on_reuse()``                 answer a connection's first request, then read the
                                     next one and close without answering
``h2_goaway(after)``                 HTTP/2 over TLS: answer ``after`` requests on a
                                     connection, then GOAWAY naming the last one answered;
                                     streams after it are not processed (:func:`serve` with
                                     ``tls=``); ``last_unanswered=True`` closes before
                                     answering the last one

:func:`stacked_bomb` builds a body that inflates to many MiB through a stack
of ``Content-Encoding`` layers, without holding the inflated bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import h2.config
import h2.connection
import h2.events

__all__ = [
    "Arrival",
    "Behaviour",
    "RawServer",
    "close_idle",
    "close_on_reuse",
    "cut_chunked",
    "h2_goaway",
    "half_body",
    "respond",
    "serve",
    "stacked_bomb",
]


@dataclass(frozen=True)
class Arrival:
    """One request as it arrived: method, path and body."""

    method: str
    path: str
    body: bytes = b""


@dataclass
class RawServer:
    """A running server: where it listens, and what arrived."""

    url: str
    arrivals: list[Arrival] = field(default_factory=list)
    connections: int = 0

    def count(self, method: str) -> int:
        """Return how many requests with ``method`` arrived."""
        return sum(1 for arrival in self.arrivals if arrival.method == method)


Behaviour = Callable[[RawServer, asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@contextlib.asynccontextmanager
async def serve(
    behaviour: Behaviour, *, tls: ssl.SSLContext | None = None
) -> AsyncIterator[RawServer]:
    """Run ``behaviour`` for each connection on a fresh 127.0.0.1 port; yield the server."""
    tasks: set[asyncio.Task[Any]] = set()
    server = RawServer(url="")

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        server.connections += 1
        try:
            try:
                await behaviour(server, reader, writer)
            except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
                pass  # the client went away first
            finally:
                writer.close()
                with contextlib.suppress(OSError, ssl.SSLError):
                    await writer.wait_closed()
        except asyncio.CancelledError:
            # Stopped by serve(): end normally, since asyncio's stream callback
            # reports a cancelled handler task as an unhandled error.
            pass

    listener = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=tls)
    port = listener.sockets[0].getsockname()[1]
    server.url = f"{'https' if tls else 'http'}://127.0.0.1:{port}/"
    try:
        yield server
    finally:
        listener.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await listener.wait_closed()


async def read_request(server: RawServer, reader: asyncio.StreamReader) -> Arrival | None:
    """Read one HTTP/1.1 request (its body by Content-Length); ``None`` at end of stream."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    body = await reader.readexactly(length) if length else b""
    arrival = Arrival(method, path, body)
    server.arrivals.append(arrival)
    return arrival


def _head(status: int, headers: Sequence[tuple[str, str]]) -> bytes:
    lines = [f"HTTP/1.1 {status} Status"]
    lines.extend(f"{name}: {value}" for name, value in headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def respond(status: int, body: bytes, headers: Sequence[tuple[str, str]] = ()) -> Behaviour:
    """Answer every request ``status`` with ``body`` and ``headers``, keeping the connection."""

    async def behaviour(
        server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        while await read_request(server, reader) is not None:
            all_headers = [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(body))),
                *headers,
            ]
            writer.write(_head(status, all_headers) + body)
            await writer.drain()

    return behaviour


def half_body(
    body: bytes = b'{"items": [' + b"1, " * 500 + b"1]}", *, cut: int | None = None
) -> Behaviour:
    """Send a 200 with ``Content-Length: len(body)`` but only half of ``body``, then close.

    With ``cut``, only the first ``cut`` requests to the server are cut short;
    later ones get the whole body.
    """

    async def behaviour(
        server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        while await read_request(server, reader) is not None:
            head = _head(
                200, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
            )
            if cut is None or len(server.arrivals) <= cut:
                writer.write(head + body[: len(body) // 2])
                await writer.drain()
                return
            writer.write(head + body)
            await writer.drain()

    return behaviour


def cut_chunked() -> Behaviour:
    """Send a chunked 200 that stops before its terminating chunk, then close."""

    async def behaviour(
        server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        if await read_request(server, reader) is None:
            return
        head = _head(200, [("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")])
        writer.write(head + b'a\r\n{"items": \r\n')
        await writer.drain()

    return behaviour


def _json_answer(data: Any) -> bytes:
    body = json.dumps(data).encode()
    return (
        _head(200, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        + body
    )


def close_idle(after: float) -> Behaviour:
    """Answer ``{"n": k}`` (k counts arrivals); close a connection idle for ``after`` seconds."""

    async def behaviour(
        server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        while True:
            try:
                async with asyncio.timeout(after):
                    arrival = await read_request(server, reader)
            except TimeoutError:
                return  # idle too long: close, as a keep-alive timeout does
            if arrival is None:
                return
            writer.write(_json_answer({"n": len(server.arrivals)}))
            await writer.drain()

    return behaviour


def close_on_reuse() -> Behaviour:
    """Answer a connection's first request; read its second and close without answering."""

    async def behaviour(
        server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        if await read_request(server, reader) is None:
            return
        writer.write(_json_answer({"n": len(server.arrivals)}))
        await writer.drain()
        await read_request(server, reader)  # arrives, and is dropped with the connection

    return behaviour


def h2_goaway(after: int, *, last_unanswered: bool = False) -> Behaviour:
    """HTTP/2: take ``after`` requests on a connection, then GOAWAY and close.

    The GOAWAY names the last stream taken; requests on later streams are
    neither recorded nor processed, as RFC 9113 §6.8 lets a client assume.
    Each request taken is answered, except the last when ``last_unanswered``:
    it is recorded (processed, as far as the client can tell) and the
    connection closes before its answer.
    """

    async def behaviour(
        server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        conn = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=False, header_encoding="utf-8")
        )
        conn.initiate_connection()
        writer.write(conn.data_to_send())
        answered: list[int] = []
        requests: dict[int, tuple[str, str, bytes]] = {}
        while True:
            data = await reader.read(65536)
            if not data:
                return
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.RequestReceived):
                    # header_encoding="utf-8" makes h2 hand over str, whatever its stubs say.
                    headers = {str(k): str(v) for k, v in event.headers or ()}
                    requests[event.stream_id] = (headers[":method"], headers[":path"], b"")
                elif isinstance(event, h2.events.DataReceived):
                    method, path, body = requests[event.stream_id]
                    requests[event.stream_id] = (method, path, body + event.data)
                    conn.acknowledge_received_data(len(event.data), event.stream_id)
                elif isinstance(event, h2.events.StreamEnded) and len(answered) < after:
                    method, path, body = requests.pop(event.stream_id)
                    server.arrivals.append(Arrival(method, path, body))
                    answered.append(event.stream_id)
                    if last_unanswered and len(answered) == after:
                        continue
                    answer = json.dumps({"n": len(server.arrivals)}).encode()
                    conn.send_headers(
                        event.stream_id,
                        [
                            (":status", "200"),
                            ("content-type", "application/json"),
                            ("content-length", str(len(answer))),
                        ],
                    )
                    conn.send_data(event.stream_id, answer, end_stream=True)
            if len(answered) >= after:
                conn.close_connection(last_stream_id=answered[-1])
                writer.write(conn.data_to_send())
                await writer.drain()
                return
            writer.write(conn.data_to_send())
            await writer.drain()

    return behaviour


@cache
def stacked_bomb(codings: tuple[str, ...], mib: int) -> bytes:
    """Return ``mib`` MiB of spaces encoded with each of ``codings`` in turn (header order)."""
    wbits = {"gzip": 31, "deflate": 15}
    first = zlib.compressobj(9, zlib.DEFLATED, wbits[codings[0]])
    chunk = b" " * 2**20
    body = b"".join(first.compress(chunk) for _ in range(mib)) + first.flush()
    for coding in codings[1:]:
        layer = zlib.compressobj(9, zlib.DEFLATED, wbits[coding])
        body = layer.compress(body) + layer.flush()
    return body
