"""The list answers of ``FakeService``: DRF's pagination classes, as DRF writes them."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx

from django_api_orm.test._fake_query import Reply


def paging_params(style: Any) -> set[str]:
    return {"page", "limit", "offset", "cursor", style.size_param}


def _positive(text: str | None, default: int, *, strict: bool = True) -> int:
    """DRF's ``_positive_int``: an int > 0 (>= 0 unless ``strict``), else ``default``."""
    if text is None:
        return default
    try:
        number = int(text)
    except ValueError:
        return default
    if number < 0 or (strict and number == 0):
        return default
    return number


def _replace(url: httpx.URL, **changes: str | None) -> str:
    """DRF's ``replace_query_param`` / ``remove_query_param``: sorted, the others kept."""
    scheme, netloc, path, query, fragment = urlsplit(str(url))
    values = parse_qs(query, keep_blank_values=True)
    for key, value in changes.items():
        if value is None:
            values.pop(key, None)
        else:
            values[key] = [value]
    return urlunsplit(
        (scheme, netloc, path, urlencode(sorted(values.items()), doseq=True), fragment)
    )


def paginate(
    style: Any, rows: list[dict[str, Any]], request: httpx.Request, params: Mapping[str, list[str]]
) -> tuple[Any, dict[str, str]]:
    from django_api_orm.pagination.styles import Cursor, LimitOffset, LinkHeader, NoPagination

    def get(name: str) -> str | None:
        values = params.get(name)
        return values[-1] if values else None

    url = request.url
    count = len(rows)
    rows = [dict(r) for r in rows]
    if isinstance(style, NoPagination):
        return rows, {}
    if isinstance(style, LimitOffset):
        limit = _positive(get("limit"), style.page_size)
        offset = _positive(get("offset"), 0, strict=False)
        next_url = (
            None
            if offset + limit >= count
            else _replace(url, limit=str(limit), offset=str(offset + limit))
        )
        if offset <= 0:
            previous = None
        elif offset - limit <= 0:
            previous = _replace(url, limit=str(limit), offset=None)
        else:
            previous = _replace(url, limit=str(limit), offset=str(offset - limit))
        page = {
            "count": count,
            "next": next_url,
            "previous": previous,
            "results": rows[offset : offset + limit],
        }
        return page, {}
    size = _positive(get(style.size_param), style.page_size)
    if isinstance(style, Cursor):
        offset = 0
        cursor = get("cursor")
        if cursor:
            try:
                decoded = base64.urlsafe_b64decode(cursor.encode()).decode()
                offset = int(parse_qs(decoded)["o"][0])
            except (ValueError, KeyError, IndexError, binascii.Error, UnicodeDecodeError):
                raise Reply(404, {"detail": "Invalid cursor"}) from None

        def at(position: int) -> str:
            token = base64.urlsafe_b64encode(f"o={position}".encode()).decode()
            return _replace(url, cursor=token)

        next_url = at(offset + size) if offset + size < count else None
        previous = (
            (at(max(offset - size, 0)) if offset - size > 0 else _replace(url, cursor=None))
            if offset > 0
            else None
        )
        return {"next": next_url, "previous": previous, "results": rows[offset : offset + size]}, {}
    # page_number and link_header: page N of `size` rows.
    pages = max(1, -(-count // size))
    text = get("page") or "1"
    number = pages if text == "last" else _positive(text, 0)
    if number < 1 or number > pages:
        raise Reply(404, {"detail": "Invalid page."})
    start = (number - 1) * size
    chunk = rows[start : start + size]
    next_url = _replace(url, page=str(number + 1)) if number < pages else None
    if number <= 1:
        previous = None
    elif number == 2:
        previous = _replace(url, page=None)
    else:
        previous = _replace(url, page=str(number - 1))
    if isinstance(style, LinkHeader):
        links = [f'<{u}>; rel="{rel}"' for rel, u in (("prev", previous), ("next", next_url)) if u]
        headers = {"X-Total-Count": str(count)}
        if links:
            headers["Link"] = ", ".join(links)
        return chunk, headers
    return {"count": count, "next": next_url, "previous": previous, "results": chunk}, {}
