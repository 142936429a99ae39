"""An ASGI app that pages as GitHub's REST API does, for the ``link_header`` tests.

Served by uvicorn in a subprocess (``tests/servers.py``). Each test picks a key
(a fresh uuid) and uses ``http://127.0.0.1:PORT/<key>/api/`` as its service's
``BASE_URL``; the requests a key's lists received are read back, in order, with
``GET /state/<key>``.

Routes
------
``/<key>/api/issues/?page=N&per_page=M[&state=S]``
    23 issues (``id``, ``title``, ``state``), ``per_page`` rows (default 30, at
    most 100) of page ``N`` (default 1) as a bare JSON array; a page past the
    end is ``[]``. ``Link`` has absolute URLs on the request's own origin:
    ``rel="next"`` and ``rel="last"`` while there are more pages, ``rel="first"``
    and ``rel="prev"`` after the first. ``X-Total-Count`` is the number of
    matching issues. ``per_page`` or ``page`` that is not a positive integer
    answers 422.
``/<key>/api/issues-uncounted/...``
    The same without ``X-Total-Count``.
``/state/<key>``
    The path and query string of each list request ``key`` received.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

ISSUES = [
    {"id": pk, "title": f"Issue {pk}", "state": "closed" if pk % 4 == 0 else "open"}
    for pk in range(1, 24)
]
LISTS = {"issues": True, "issues-uncounted": False}  # endpoint -> sends X-Total-Count
DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100

_seen: defaultdict[str, list[str]] = defaultdict(list)


async def _json(
    send: Send, status: int, data: Any, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = json.dumps(data).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _positive(value: str | None, default: int) -> int | None:
    if value is None:
        return default
    return int(value) if value.isascii() and value.isdigit() and int(value) > 0 else None


async def _list(scope: Scope, send: Send, *, counted: bool) -> None:
    params = parse_qsl(scope["query_string"].decode(), keep_blank_values=True)
    query = dict(params)
    page = _positive(query.get("page"), 1)
    per_page = _positive(query.get("per_page"), DEFAULT_PER_PAGE)
    if page is None or per_page is None:
        await _json(send, 422, {"message": "page and per_page must be positive integers"})
        return
    per_page = min(per_page, MAX_PER_PAGE)
    state = query.get("state")
    rows = [issue for issue in ISSUES if state is None or issue["state"] == state]
    last = max(1, -(-len(rows) // per_page))
    headers = dict(scope["headers"])
    origin = f"{scope['scheme']}://{headers[b'host'].decode()}"
    kept = [(name, value) for name, value in params if name != "page"]

    def url(number: int) -> str:
        return f"{origin}{scope['path']}?{urlencode([*kept, ('page', str(number))])}"

    links = []
    if page > 1:
        links += [f'<{url(page - 1)}>; rel="prev"', f'<{url(1)}>; rel="first"']
    if page < last:
        links += [f'<{url(page + 1)}>; rel="next"', f'<{url(last)}>; rel="last"']
    extra = [(b"link", ", ".join(links).encode())] if links else []
    if counted:
        extra.append((b"x-total-count", str(len(rows)).encode()))
    await _json(send, 200, rows[(page - 1) * per_page : page * per_page], extra)


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """Serve the issue lists and the state of each key."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    if scope["type"] != "http":  # pragma: no cover - no websockets here
        return
    parts = scope["path"].strip("/").split("/")
    if len(parts) == 2 and parts[0] == "state":
        await _json(send, 200, _seen[parts[1]])
    elif len(parts) == 3 and parts[1] == "api" and parts[2] in LISTS:
        query = scope["query_string"].decode()
        _seen[parts[0]].append(f"{scope['path']}?{query}" if query else scope["path"])
        await _list(scope, send, counted=LISTS[parts[2]])
    else:
        await _json(send, 404, {"message": "Not Found"})
