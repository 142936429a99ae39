"""An ASGI app whose lists page wrongly on purpose, for the walker's hardening tests.

Served by uvicorn in a subprocess (``tests/servers.py``). Each test picks a key
(a fresh uuid) and uses ``http://127.0.0.1:PORT/<key>/api/`` as its service's
``BASE_URL``; the requests a key received are read back, in order, with
``GET /state/<key>``. Rows are ``{"id": n, "title": "Row n"}``; every list is a
DRF envelope (``count``, ``next``, ``previous``, ``results``), page-numbered
(``page``, ``page_size``) unless said otherwise. No list links more than
``MAX_LINKS`` times, so a walker that never stops still ends.

Lists (``/<key>/api/<name>/``)
-----
``items``         honest: 25 rows, ``page_size`` honoured (at most 100), 404
                  ``Invalid page.`` past the end; ``DELETE``/``PATCH items/<id>/``
                  answer 204/200, or 404 for a row already gone.
``ghost-items``   rows 1-5 listed, but row 3 is already gone: its ``DELETE`` and
                  ``PATCH`` answer 404.
``shrinking``     25 rows; every list request after the first deletes the lowest
                  row left, as another client would, so ``count`` drops mid-walk.
``default-size``  DRF's ``PageNumberPagination`` without ``page_size_query_param``:
                  ``page_size`` is ignored, 10 rows a page.
``clamped``       ``page_size`` honoured up to 7 (a ``max_page_size``).
``lo-clamped``    limit/offset with a ``max_limit`` of 7; ``next`` carries the limit used.
``self-next``     each page's ``next`` is the request's own URL.
``ping-pong``     page 1 links to page 2, page 2 back to page 1.
``same-rows``     rows 1-10 on every page, each ``next`` a new URL (``n=<k>``), count 25.
``overflow``      new rows on every page, each ``next`` a new URL, count 25.
``endless``       new rows on every page, each ``next`` a new URL, no count.
``wrong-types``   two rows whose values have the wrong JSON types: a number for a
                  title, a string for an integer id.
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

ROWS = 25
MAX_LINKS = 60

_seen: defaultdict[str, list[str]] = defaultdict(list)
_rows: dict[tuple[str, str], list[int]] = {}
_links: defaultdict[tuple[str, str], int] = defaultdict(int)


def _row(pk: int) -> dict[str, Any]:
    return {"id": pk, "title": f"Row {pk}"}


async def _json(send: Send, status: int, data: Any = None) -> None:
    body = b"" if status == 204 else json.dumps(data).encode()
    headers = [(b"content-length", str(len(body)).encode())]
    if status != 204:
        headers.append((b"content-type", b"application/json"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _number(value: str | None, default: int) -> int:
    return int(value) if value is not None and value.isdigit() and int(value) > 0 else default


def _initial(name: str) -> list[int]:
    return list(range(1, 6)) if name == "ghost-items" else list(range(1, ROWS + 1))


async def _list(key: str, name: str, scope: Scope, send: Send) -> None:
    params = parse_qsl(scope["query_string"].decode(), keep_blank_values=True)
    query = dict(params)
    base = f"http://{dict(scope['headers'])[b'host'].decode()}{scope['path']}"
    rows = _rows.setdefault((key, name), _initial(name))
    links = _links[(key, name)]
    _links[(key, name)] += 1
    linking = links < MAX_LINKS

    def url(**changes: Any) -> str:
        kept = [(k, v) for k, v in params if k not in changes]
        return f"{base}?{urlencode([*kept, *((k, str(v)) for k, v in changes.items())])}"

    def envelope(chunk: list[int], next_url: str | None, count: int | None) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "next": next_url if linking else None,
            "previous": None,
            "results": [_row(pk) for pk in chunk],
        }
        if count is not None:
            answer["count"] = count
        return answer

    if name == "wrong-types":
        wrong = [{"id": 1, "title": 5}, {"id": "2", "title": "Row 2"}]
        await _json(send, 200, {"count": 2, "next": None, "previous": None, "results": wrong})
        return
    if name in ("same-rows", "overflow", "endless"):
        first = 1 if name == "same-rows" else links * 10 + 1
        chunk = list(range(first, first + 10))
        count = None if name == "endless" else ROWS
        await _json(send, 200, envelope(chunk, url(page=2, n=links), count))
        return
    if name == "lo-clamped":
        limit = min(_number(query.get("limit"), 10), 7)
        offset = int(query.get("offset", "0"))
        chunk = rows[offset : offset + limit]
        more = url(limit=limit, offset=offset + limit) if offset + limit < len(rows) else None
        await _json(send, 200, envelope(chunk, more, len(rows)))
        return
    if name == "shrinking" and links > 0:
        rows.pop(0)
    size = _number(query.get("page_size"), 10)
    if name == "default-size":
        size = 10
    elif name == "clamped":
        size = min(size, 7)
    else:
        size = min(size, 100)
    page = _number(query.get("page"), 1)
    last = max(1, -(-len(rows) // size))
    if page > last:
        await _json(send, 404, {"detail": "Invalid page."})
        return
    chunk = rows[(page - 1) * size : page * size]
    if name == "self-next":
        next_url: str | None = url()
    elif name == "ping-pong":
        next_url = url(page=2 if page == 1 else 1)
    else:
        next_url = url(page=page + 1) if page < last else None
    await _json(send, 200, envelope(chunk, next_url, len(rows)))


async def _detail(key: str, name: str, pk: int, method: str, send: Send) -> None:
    rows = _rows.setdefault((key, name), _initial(name))
    if pk not in rows or (name == "ghost-items" and pk == 3):
        await _json(send, 404, {"detail": "No Row matches the given query."})
    elif method == "DELETE":
        rows.remove(pk)
        await _json(send, 204)
    elif method == "PATCH":
        await _json(send, 200, {**_row(pk), "title": "patched"})
    else:
        await _json(send, 200, _row(pk))


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """Serve the lists and the state of each key."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    if scope["type"] != "http":  # pragma: no cover - no websockets here
        return
    while (await receive()).get("more_body"):
        pass
    parts = scope["path"].strip("/").split("/")
    if len(parts) == 2 and parts[0] == "state":
        await _json(send, 200, _seen[parts[1]])
        return
    if len(parts) < 3 or parts[1] != "api":
        await _json(send, 404, {"detail": "Not found."})
        return
    key, name = parts[0], parts[2]
    query = scope["query_string"].decode()
    _seen[key].append(f"{scope['method']} {scope['path']}" + (f"?{query}" if query else ""))
    if len(parts) == 3:
        await _list(key, name, scope, send)
    elif len(parts) == 4 and parts[3].isdigit():
        await _detail(key, name, int(parts[3]), scope["method"], send)
    else:
        await _json(send, 404, {"detail": "Not found."})
