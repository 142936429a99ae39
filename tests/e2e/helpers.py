"""Helpers of the end-to-end tests: service settings, and reading the storefront's pages."""

from __future__ import annotations

import contextlib
import html
import re
from collections.abc import Callable, Iterator
from typing import Any

from tests.conftest import Provider

SQL = Callable[..., list[tuple[Any, ...]]]
#: The client's logger: one DEBUG line per request, "GET <url> -> 200 HTTP/1.1 in 2.0 ms".
CLIENT_LOGGER = "django_api_orm.client"


def service_settings(
    provider: Provider, base_url: str | None = None, **extra: Any
) -> dict[str, dict[str, Any]]:
    """Return ``API_ORM_SERVICES`` with "default" on the provider (or on ``base_url``)."""
    return {"default": provider.service(BASE_URL=base_url or provider.base_url, **extra)}


def text(page: bytes) -> str:
    """Return a page's HTML with entities decoded (``&#x27;`` -> ``'``)."""
    return html.unescape(page.decode())


def book_ids(page: bytes) -> list[int]:
    """Return the ids of the books a page links to, in page order."""
    return [int(pk) for pk in re.findall(rb'href="/books/(\d+)/"', page)]


def field_errors(page: bytes, field: str) -> list[str]:
    """Return the error messages shown under the form field ``field``."""
    found = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>'.encode(), page)
    return [] if found is None else re.findall(r"<li>(.*?)</li>", text(found.group(1)))


def form_errors(page: bytes) -> list[str]:
    """Return the errors shown on top of a form (not on one field)."""
    found = re.search(rb'<ul class="errorlist nonfield">(.*?)</ul>', page)
    return [] if found is None else re.findall(r"<li>(.*?)</li>", text(found.group(1)))


def ids(
    sql: SQL,
    where: str = "1=1",
    order: str = "title, id",
    limit: int = 20,
    offset: int = 0,
    params: tuple[Any, ...] = (),
) -> list[int]:
    """Return the ids of the provider's books matching ``where``, as a page shows them."""
    rows = sql(
        f"SELECT id FROM provider_book WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
        (*params, limit, offset),
    )
    return [row[0] for row in rows]


def count(sql: SQL, where: str = "1=1", params: tuple[Any, ...] = ()) -> int:
    """Return how many of the provider's books match ``where``."""
    (total,) = sql(f"SELECT COUNT(*) FROM provider_book WHERE {where}", params)[0]
    return int(total)


@contextlib.contextmanager
def no_new_books(sql: SQL) -> Iterator[None]:
    """Fail if the block changes the number of books in the provider's database."""
    before = count(sql)
    yield
    assert count(sql) == before
