"""A local HTTP server that counts the TCP connections its clients open."""

from __future__ import annotations

import asyncio
import json
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from django.test import override_settings

from django_api_orm.services import run_sync, services


class CountingServer:
    """An HTTP/1.1 keep-alive server on 127.0.0.1 answering JSON, in its own thread.

    ``GET .../stats`` answers ``{"opened": ..., "open": ...}``; any other request
    answers ``{"ok": true, "path": ...}``.
    """

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self.ssl_context = ssl_context
        self.opened = 0  # connections accepted so far
        self.open = 0  # connections not closed yet
        self.requests = 0
        self.url = ""
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._handlers: set[asyncio.Task[Any]] = set()
        self._thread = threading.Thread(target=asyncio.run, args=(self._main(),), daemon=True)

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the test server did not start")

    def stop(self) -> None:
        assert self._loop is not None
        assert self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        server = await asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=self.ssl_context)
        port = server.sockets[0].getsockname()[1]
        scheme = "https" if self.ssl_context else "http"
        self.url = f"{scheme}://127.0.0.1:{port}/api/"
        self._ready.set()
        await self._stop.wait()
        server.close()
        for task in self._handlers:
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        self.opened += 1
        self.open += 1
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    break
                lines = head.decode("latin-1").split("\r\n")
                target = lines[0].split(" ")[1]
                length = 0
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                if length:
                    await reader.readexactly(length)
                self.requests += 1
                if target.endswith("/stats"):
                    answer: dict[str, Any] = {"opened": self.opened, "open": self.open}
                else:
                    answer = {"ok": True, "path": target}
                body = json.dumps(answer).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                    b"content-length: %d\r\n\r\n%s" % (len(body), body)
                )
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            self.open -= 1
            writer.close()
            self._handlers.discard(task)


def eventually(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Return whether ``predicate()`` becomes true within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@pytest.fixture
def server() -> Iterator[CountingServer]:
    """Serve a fresh counting server for one test."""
    counting = CountingServer()
    counting.start()
    try:
        yield counting
    finally:
        counting.stop()


@pytest.fixture
def tls_service(tmp_path: Path) -> Iterator[CountingServer]:
    """Point the "default" service at a counting server over TLS, trusting its private CA."""
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    counting = CountingServer(context)
    counting.start()
    service = {"BASE_URL": counting.url, "MAX_RETRIES": 0, "VERIFY_SSL": str(bundle)}
    try:
        with override_settings(API_ORM_SERVICES={"default": service}):
            yield counting
    finally:
        counting.stop()


@pytest.fixture
def local_service(server: CountingServer) -> Iterator[CountingServer]:
    """Point the "default" service at the counting server; close the bridge's clients after."""
    with override_settings(
        API_ORM_SERVICES={"default": {"BASE_URL": server.url, "MAX_RETRIES": 0}}
    ):
        try:
            yield server
        finally:
            run_sync(services.aclose_all, hint="await services.aclose_all()")
