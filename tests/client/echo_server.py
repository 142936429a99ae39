"""An ASGI app that echoes the credentials it receives, as a careless or hostile provider would.

Served by uvicorn (HTTP/1.1) and hypercorn (TLS, HTTP/2) in a subprocess, see
``tests/servers.py``. Every answer quotes each request header whose name is not
a well-known one, in the body and in response headers ``x-echo-<name>``.

Query parameters
----------------
``status``   the status to answer (default 200)
``format``   ``json`` (default): ``{"detail": "...", "<name>": ["..."]}``, as DRF would
             word an error; ``text``: a text/plain body
``location`` with a 3xx status, the ``Location`` to send; ``{echo}`` in it is
             replaced by the echoed values
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl, quote

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_NOT_ECHOED = frozenset(
    {
        b"host",
        b"accept",
        b"accept-encoding",
        b"user-agent",
        b"content-length",
        b"content-type",
        b"connection",
    }
)


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """Answer one request, quoting its headers (see the module docstring)."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":  # pragma: no cover - no websockets here
        return
    while (await receive()).get("more_body"):
        pass
    query = dict(parse_qsl(scope["query_string"].decode(), keep_blank_values=True))
    echoed = [(k, v) for k, v in scope["headers"] if k.lower() not in _NOT_ECHOED]
    values = " ".join(v.decode("latin-1") for _, v in echoed)
    status = int(query.get("status", "200"))
    response_headers = [(b"x-echo-" + k.lower(), v) for k, v in echoed]
    if query.get("format") == "text":
        body = f"<h1>Denied</h1><p>you sent {values}</p>".encode()
        response_headers.append((b"content-type", b"text/plain"))
    else:
        data: dict[str, Any] = {"detail": f"Invalid credentials: {values}"}
        data.update({k.decode("latin-1"): [v.decode("latin-1")] for k, v in echoed})
        body = json.dumps(data).encode()
        response_headers.append((b"content-type", b"application/json"))
    if "location" in query:
        location = query["location"].replace("{echo}", quote(values, safe=""))
        response_headers.append((b"location", location.encode()))
    response_headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": response_headers})
    await send({"type": "http.response.body", "body": body})
