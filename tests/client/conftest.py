"""Servers for the client tests: a misbehaving ASGI app over HTTP/1.1 and over TLS with HTTP/2.

``fault_server`` (session) is ``tests/client/fault_server.py`` under uvicorn;
``tls`` (session) is a trustme CA with a certificate for 127.0.0.1, written to
files; ``h2_server`` (session) is the same app under hypercorn with that
certificate. ``tcp_server`` starts an in-process asyncio TCP server whose
connection handler the test supplies, for faults an ASGI app cannot make
(connection resets, a TLS handshake that never happens).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import struct
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import trustme

from tests.servers import start_hypercorn, start_uvicorn

FAULT_APP = "tests.client.fault_server:app"

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@dataclass(frozen=True)
class TLSFiles:
    """A private CA and a server certificate for 127.0.0.1, on disk."""

    ca: trustme.CA
    ca_path: Path
    certfile: Path
    keyfile: Path

    def client_context(self) -> ssl.SSLContext:
        """Return an ``ssl.SSLContext`` that trusts the CA."""
        context = ssl.create_default_context()
        self.ca.configure_trust(context)
        return context


@pytest.fixture(scope="session")
def fault_server() -> Iterator[str]:
    """Serve the fault app with uvicorn; yield its base URL (``http://127.0.0.1:PORT/``)."""
    # Requests a test abandoned (a trickle, a cancelled sleep) must not hold up the stop.
    with start_uvicorn(FAULT_APP, extra_args=("--timeout-graceful-shutdown", "1")) as url:
        yield url


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    """Create a CA and a certificate for 127.0.0.1 and localhost in a temporary directory."""
    directory = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    files = TLSFiles(
        ca=ca,
        ca_path=directory / "ca.pem",
        certfile=directory / "cert.pem",
        keyfile=directory / "key.pem",
    )
    ca.cert_pem.write_to_path(files.ca_path)
    for index, pem in enumerate(cert.cert_chain_pems):
        pem.write_to_path(files.certfile, append=index > 0)
    cert.private_key_pem.write_to_path(files.keyfile)
    return files


@pytest.fixture(scope="session")
def h2_server(tls: TLSFiles) -> Iterator[str]:
    """Serve the fault app with hypercorn over TLS; yield ``https://127.0.0.1:PORT/``."""
    with start_hypercorn(FAULT_APP, certfile=tls.certfile, keyfile=tls.keyfile) as url:
        yield url


@pytest.fixture
def key() -> str:
    """Return a fresh name for the fault server's per-test state."""
    return uuid.uuid4().hex


@contextlib.asynccontextmanager
async def serve_tcp(handler: Handler) -> AsyncIterator[int]:
    """Run ``handler`` for each connection to a fresh 127.0.0.1 port; yield the port."""
    tasks: set[asyncio.Task[Any]] = set()

    async def tracked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        try:
            await handler(reader, writer)
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    server = await asyncio.start_server(tracked, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()


def reset(writer: asyncio.StreamWriter) -> None:
    """Close the connection with a TCP RST instead of a FIN."""
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
