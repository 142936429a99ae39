"""A recording proxy in front of the provider, able to answer wrongly on purpose."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx


@contextlib.asynccontextmanager
async def proxy(
    target: str, *, answer: bytes | None = None, reset: bool = False
) -> AsyncIterator[tuple[str, list[str]]]:
    """Serve a proxy to ``target`` on 127.0.0.1; yield its URL and the requests it forwarded.

    Each request is forwarded and recorded as ``"METHOD /path?query"``. The client
    gets the real answer, or ``answer`` instead, or, with ``reset``, a reset
    connection: the server has acted, the client never hears back.
    """
    seen: list[str] = []
    async with httpx.AsyncClient(base_url=target) as upstream:

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while True:
                    try:
                        head = await reader.readuntil(b"\r\n\r\n")
                    except asyncio.IncompleteReadError:
                        return
                    lines = head.decode("latin-1").split("\r\n")
                    method, path, _ = lines[0].split(" ", 2)
                    headers = {
                        k.lower(): v for k, v in (ln.split(": ", 1) for ln in lines[1:] if ln)
                    }
                    length = int(headers.get("content-length", 0))
                    content = await reader.readexactly(length) if length else b""
                    seen.append(f"{method} {path}")
                    kept = ("authorization", "content-type", "host")
                    forwarded = {k: v for k, v in headers.items() if k in kept}
                    response = await upstream.request(
                        method, path, content=content, headers=forwarded
                    )
                    if reset:
                        writer.transport.abort()
                        return
                    if answer is not None:
                        writer.write(answer)
                        await writer.drain()
                        return
                    body = response.content
                    writer.write(
                        f"HTTP/1.1 {response.status_code} {response.reason_phrase}\r\n"
                        f"Content-Type: {response.headers.get('content-type', 'application/json')}"
                        f"\r\nContent-Length: {len(body)}\r\n\r\n".encode("latin-1")
                        + body
                    )
                    await writer.drain()
            finally:
                writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            yield f"http://127.0.0.1:{port}", seen
        finally:
            server.close()
            await server.wait_closed()
