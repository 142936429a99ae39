"""An ASGI app that misbehaves on purpose, for the client's tests against real HTTP.

Served by uvicorn (HTTP/1.1) and hypercorn (TLS, HTTP/2) in a subprocess, see
``tests/servers.py``. State lives in this process, keyed by a name each test
picks (a fresh uuid), and is read back with ``GET /state/{key}``.

Routes (also served below ``/api/``)
------
``/ok``                          200 ``{"ok": true}``
``/echo``                        200 with what arrived: method, path, query, headers, JSON body
``/http-version``                200 ``{"http_version": "2"}`` (or "1.1")
``/flaky/{key}?fail=N&status=S&retry_after=V``
                                 the first N requests answer S (with ``Retry-After: V``;
                                 ``V`` = ``date+K`` sends an HTTP date K seconds ahead),
                                 then 200 ``{"attempts": n}``
``/create/{key}?fail=N&status=S`` (POST) counts attempts and keeps the idempotency key;
                                 the first N answer S, later ones create: 201
``/slow/{key}?delay=D``          sleeps D seconds; records peak concurrency and client ports
``/trickle?count=C&interval=I``  a 200 whose body arrives one byte every I seconds
``/gzip-bomb?mib=M``             200, ``Content-Encoding: gzip``, M MiB once inflated
``/gzip-json``                   200, a small gzip-encoded JSON document
``/bad-gzip``                    200, ``Content-Encoding: gzip`` on a body that is not gzip
``/redirect?to=URL&status=S``    S (302 by default) to URL (itself by default);
                                 ``/redirect-count/{key}`` counts the requests that arrive
``/status/{code}``               that status with a JSON body ``{"detail": ...}``
``/text-status/{code}``          that status with a long text/plain body
``/html``, ``/truncated``, ``/deep``   200s whose bodies are not usable JSON
``/no-content``, ``/empty``      204, and 200 with an empty body
``/big?bytes=N``                 200 with a JSON string N bytes long
``/state/{key}``                 what the routes above recorded under ``key``
``/hinted/{key}?fail=N&status=S&h_NAME=VALUE``
                                 any method; the first N requests answer S (503 by default)
                                 with a header NAME: VALUE per ``h_`` parameter, then 200
                                 ``{"attempts": n, "times": [...]}``, the server's
                                 monotonic time of each request
"""

from __future__ import annotations

import asyncio
import gzip
import json
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, MutableMapping
from email.utils import formatdate
from functools import cache
from typing import Any
from urllib.parse import parse_qsl

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_attempts: defaultdict[str, int] = defaultdict(int)
_created: defaultdict[str, int] = defaultdict(int)
_keys: defaultdict[str, list[str | None]] = defaultdict(list)
_active: defaultdict[str, int] = defaultdict(int)
_peak: defaultdict[str, int] = defaultdict(int)
_ports: defaultdict[str, list[int]] = defaultdict(list)
_times: defaultdict[str, list[float]] = defaultdict(list)


@cache
def _gzip_bomb(mib: int) -> bytes:
    return gzip.compress(b" " * (mib * 2**20), compresslevel=9)


async def _respond(
    send: Send,
    status: int,
    body: bytes = b"",
    *,
    content_type: str | None = "application/json",
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    raw_headers = list(headers or [])
    if content_type is not None and status != 204:
        raw_headers.append((b"content-type", content_type.encode()))
    if status != 204:
        raw_headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


async def _json(send: Send, status: int, data: Any, **kwargs: Any) -> None:
    await _respond(send, status, json.dumps(data).encode(), **kwargs)


async def _read_body(receive: Receive) -> bytes:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


def _retry_after(value: str) -> bytes:
    if value.startswith("date+"):
        return formatdate(time.time() + float(value[5:]), usegmt=True).encode()
    return value.encode()


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """Answer one request according to its path (see the module docstring)."""
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    if scope["type"] != "http":  # pragma: no cover - no websockets here
        return
    path: str = scope["path"]
    query = dict(parse_qsl(scope["query_string"].decode(), keep_blank_values=True))
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
    parts = path.strip("/").split("/")
    if parts[0] == "api":  # every route is also served below /api/, to test base paths
        parts = parts[1:] or [""]
    route, arg = parts[0], (parts[1] if len(parts) > 1 else "")

    if route == "ok":
        await _json(send, 200, {"ok": True})
    elif route == "echo":
        body = await _read_body(receive)
        await _json(
            send,
            200,
            {
                "method": scope["method"],
                "path": path,
                "query": scope["query_string"].decode(),
                "headers": headers,
                "body": json.loads(body) if body else None,
            },
        )
    elif route == "http-version":
        await _json(send, 200, {"http_version": scope["http_version"]})
    elif route == "flaky":
        _attempts[arg] += 1
        if _attempts[arg] <= int(query.get("fail", "1")):
            extra = []
            if "retry_after" in query:
                extra.append((b"retry-after", _retry_after(query["retry_after"])))
            await _json(
                send, int(query.get("status", "503")), {"detail": "try later"}, headers=extra
            )
        else:
            await _json(send, 200, {"attempts": _attempts[arg]})
    elif route == "create":
        await _read_body(receive)
        _attempts[arg] += 1
        _keys[arg].append(headers.get("idempotency-key"))
        if _attempts[arg] <= int(query.get("fail", "0")):
            await _json(send, int(query.get("status", "503")), {"detail": "try later"})
        else:
            _created[arg] += 1
            await _json(send, 201, {"id": _created[arg]})
    elif route == "slow":
        _ports[arg].append(scope["client"][1])
        _active[arg] += 1
        _peak[arg] = max(_peak[arg], _active[arg])
        try:
            await asyncio.sleep(float(query.get("delay", "0.5")))
        finally:
            _active[arg] -= 1
        await _json(send, 200, {"ok": True})
    elif route == "trickle":
        count = int(query.get("count", "20"))
        interval = float(query.get("interval", "0.5"))
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(count).encode()),
                ],
            }
        )
        for _ in range(count):
            await send({"type": "http.response.body", "body": b" ", "more_body": True})
            await asyncio.sleep(interval)
        await send({"type": "http.response.body", "body": b""})
    elif route == "gzip-bomb":
        body = _gzip_bomb(int(query.get("mib", "64")))
        await _respond(send, 200, body, headers=[(b"content-encoding", b"gzip")])
    elif route == "gzip-json":
        body = gzip.compress(json.dumps({"compressed": True, "items": list(range(100))}).encode())
        await _respond(send, 200, body, headers=[(b"content-encoding", b"gzip")])
    elif route == "bad-gzip":
        await _respond(send, 200, b"not gzip at all", headers=[(b"content-encoding", b"gzip")])
    elif route == "redirect-count":
        _attempts[arg] += 1
        await _json(send, 200, {"redirected": True})
    elif route == "redirect":
        status = int(query.get("status", "302"))
        await _read_body(receive)
        await _json(
            send,
            status,
            {"detail": "moved"},
            headers=[(b"location", query.get("to", "/redirect").encode())],
        )
    elif route == "status":
        await _json(send, int(arg), {"detail": f"status {arg}"})
    elif route == "text-status":
        await _respond(send, int(arg), b"x" * 10_000, content_type="text/plain")
    elif route == "html":
        await _respond(send, 200, b"<!doctype html><h1>Login</h1>", content_type="text/html")
    elif route == "truncated":
        await _respond(send, 200, b'{"results": [1, 2')
    elif route == "deep":
        await _respond(send, 200, b"[" * 100_000 + b"]" * 100_000)
    elif route == "no-content":
        await _respond(send, 204)
    elif route == "empty":
        await _respond(send, 200, b"")
    elif route == "big":
        await _json(send, 200, "x" * max(0, int(query["bytes"]) - 2))
    elif route == "state":
        await _json(
            send,
            200,
            {
                "attempts": _attempts[arg],
                "created": _created[arg],
                "keys": _keys[arg],
                "peak": _peak[arg],
                "ports": _ports[arg],
            },
        )
    elif route == "hinted":
        await _read_body(receive)
        _attempts[arg] += 1
        _times[arg].append(time.monotonic())
        if _attempts[arg] <= int(query.get("fail", "1")):
            extra = [
                (name[2:].encode(), value.encode())
                for name, value in query.items()
                if name.startswith("h_")
            ]
            await _json(send, int(query.get("status", "503")), {"detail": "hinted"}, headers=extra)
        else:
            await _json(send, 200, {"attempts": _attempts[arg], "times": _times[arg]})
    else:
        await _json(send, 404, {"detail": "Not found."})
