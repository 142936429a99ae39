"""Byte-level servers on 127.0.0.1 for faults no ASGI server makes.

``answering(payload)`` is a connection handler for ``serve_tcp`` (see
``conftest.py``) that counts connections and requests and writes ``payload``,
raw bytes, as the answer to each request: a header block of 200 KB, a status
line that is not HTTP. ``silent()`` reads each request and never answers.
``tls_server(context, payload)`` serves TLS from a thread, counting
connections whether or not the handshake succeeds. ``unanswered_port()`` is a
port whose SYNs go unanswered: its listening socket has a backlog of 0, filled
with connections it never accepts, so the kernel drops every new SYN and a
client's connect times out.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

__all__ = ["Counter", "answering", "silent", "tls_server", "unanswered_port"]

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]

#: Connections that fill a backlog of 0 (Linux admits backlog + 1, and a few spare).
_FILLERS = 8
#: Seconds any one read waits for a client, so that no handler lives forever.
_READ_TIMEOUT = 10.0


@dataclass
class Counter:
    """What a handler saw: TCP connections accepted, and requests read."""

    connections: int = 0
    requests: int = 0


async def _read_request(reader: asyncio.StreamReader) -> bool:
    """Read one request's head (and a Content-Length body); ``False`` at EOF."""
    try:
        async with asyncio.timeout(_READ_TIMEOUT):
            head = await reader.readuntil(b"\r\n\r\n")
            for line in head.split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    await reader.readexactly(int(value))
    except (asyncio.IncompleteReadError, ConnectionError, TimeoutError):
        return False
    return True


def answering(payload: bytes, counter: Counter) -> Handler:
    """Return a handler that answers every request on a connection with ``payload``."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        counter.connections += 1
        while await _read_request(reader):
            counter.requests += 1
            writer.write(payload)
            with contextlib.suppress(ConnectionError):
                await writer.drain()

    return handler


def silent(counter: Counter) -> Handler:
    """Return a handler that reads each request and never answers it."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        counter.connections += 1
        if await _read_request(reader):
            counter.requests += 1
            with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError, TimeoutError):
                async with asyncio.timeout(_READ_TIMEOUT):
                    await reader.read(1)  # until the client gives up and closes

    return handler


def _serve_tls_once(
    conn: socket.socket, context: ssl.SSLContext, payload: bytes, counter: Counter
) -> None:
    with conn:
        conn.settimeout(_READ_TIMEOUT)
        try:
            with context.wrap_socket(conn, server_side=True) as tls:
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = tls.recv(65536)
                    if not chunk:
                        return
                    head += chunk
                counter.requests += 1
                tls.sendall(payload)
        except (ssl.SSLError, OSError):
            return  # the client refused the handshake, or hung up


@contextlib.contextmanager
def tls_server(context: ssl.SSLContext, payload: bytes, counter: Counter) -> Iterator[int]:
    """Serve TLS with ``context`` on a 127.0.0.1 port, in a thread; yield the port.

    Counts every TCP connection, whether or not its handshake succeeds, and
    answers one request per connection with ``payload``. Stopped on exit.
    """
    stop = threading.Event()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.settimeout(0.05)

        def accept_loop() -> None:
            while not stop.is_set():
                try:
                    conn, _ = listener.accept()
                except TimeoutError:
                    continue
                except OSError:
                    return
                counter.connections += 1
                _serve_tls_once(conn, context, payload, counter)

        thread = threading.Thread(target=accept_loop, daemon=True)
        thread.start()
        try:
            yield listener.getsockname()[1]
        finally:
            stop.set()
            thread.join(timeout=_READ_TIMEOUT + 1)


@contextlib.contextmanager
def unanswered_port() -> Iterator[int]:
    """Yield a 127.0.0.1 port that is listening but whose accept queue is full."""
    with contextlib.ExitStack() as stack:
        listener = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port: int = listener.getsockname()[1]
        for _ in range(_FILLERS):
            filler = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(("127.0.0.1", port))
        yield port
