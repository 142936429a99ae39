"""Check the querying guide's table of requests against the requests each call really sends.

Each row's call runs against a respx stand-in for the example provider (240
books, 30 authors, DRF's page-number pages and ``next`` links) on the test
settings' ``default`` service; the requests it records must be the row's, in
order, bodies compared as JSON.
"""

from __future__ import annotations

import ast
import json
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import respx
from django.conf import settings

from tests.docs.rst import DOCS, literals, read_blocks, read_list_tables
from tests.docs.runner import PageRun, compile_block, run_code

PAGE = DOCS / "topics" / "querying.rst"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
ROWS = [row for table in read_list_tables(PAGE, "wire-table") for row in table[1:]]


def book(pk: int) -> dict[str, Any]:
    """Return a book as the provider serialises it."""
    return {
        "id": pk,
        "title": f"Title {pk}",
        "author": (pk - 1) % 30 + 1,
        "price": "10.00",
        "published": "2024-05-01",
        "in_print": True,
        "tags": [],
        "genres": [],
        "created_at": "2024-05-01T10:00:00Z",
    }


def author(pk: int) -> dict[str, Any]:
    """Return an author as the provider serialises it."""
    return {"id": pk, "name": f"Author {pk}", "bio": "", "born": None}


RESOURCES = {"books": (240, book), "authors": (30, author)}
PAGING = {"ordering", "page", "page_size"}


def answer(request: httpx.Request) -> httpx.Response:
    """Answer as the provider would: exact id and title filters, others match two rows."""
    api = settings.API_ORM_SERVICES["default"]["BASE_URL"]
    parts = request.url.path.removeprefix(httpx.URL(api).path).strip("/").split("/")
    total, make = RESOURCES[parts[0]]
    body = json.loads(request.content) if request.content else None
    if len(parts) == 2:
        pk = int(parts[1])
        if request.method == "DELETE":
            return httpx.Response(204)
        if not 1 <= pk <= total:
            return httpx.Response(404, json={"detail": "No Book matches the given query."})
        return httpx.Response(200, json={**make(pk), **(body or {})})
    if request.method == "POST":
        return httpx.Response(201, json={**make(total + 1), **body})
    params = request.url.params
    rows = [make(pk) for pk in range(1, total + 1)]
    if "id" in params:
        rows = [r for r in rows if str(r["id"]) == params["id"]]
    if "id__in" in params:
        rows = [r for r in rows if str(r["id"]) in params["id__in"].split(",")]
    if "title" in params:
        rows = [r for r in rows if r["title"] == params["title"]]
    if set(params) - PAGING - {"id", "id__in", "title"}:
        rows = [conform(row, params) for row in rows[:2]]
    size = int(params.get("page_size", 100))
    page = int(params.get("page", 1))
    following = None
    if page * size < len(rows):
        query = {**dict(params.multi_items()), "page": str(page + 1)}
        following = f"{api}{parts[0]}/?{urlencode(sorted(query.items()))}"
    return httpx.Response(
        200,
        json={
            "count": len(rows),
            "next": following,
            "previous": None,
            "results": rows[(page - 1) * size : page * size],
        },
    )


def conform(row: dict[str, Any], params: httpx.QueryParams) -> dict[str, Any]:
    """Return ``row`` changed to satisfy the filters sent (equalities, __in, __isnull):
    the ORM checks each row against the query, as a provider's answer must match it."""
    for name, value in params.multi_items():
        field, _, lookup = name.partition("__")
        if name in PAGING or field not in row or lookup not in ("", "in", "isnull"):
            continue
        if lookup == "isnull":
            row[field] = None if value == "true" else row[field]
            continue
        value = value.split(",")[0] if lookup == "in" else value
        current = row[field]
        row[field] = (
            value == "true"
            if isinstance(current, bool)
            else int(value)
            if isinstance(current, int)
            else value
        )
    return row


def expected(cell: str) -> list[tuple[str, str, Any]]:
    """Return the (method, target, body) of each request a row's cell lists."""
    out = []
    for text in literals(cell):
        method, _, rest = text.partition(" ")
        if method not in METHODS:
            continue
        target, _, body = rest.partition(" ")
        out.append((method, target, json.loads(body) if body else None))
    return out


@pytest.fixture
def page_namespace(tmp_path: Path) -> Iterator[types.ModuleType]:
    """Return the querying guide's module after its first block (the imports) has run."""
    run = PageRun(PAGE, tmp_path / "project")
    with run.activated():
        first = next(b for b in read_blocks(PAGE) if b.kind == "run")
        exec(compile_block(first), run.namespace)
        yield run.module


def test_the_table_lists_every_queryset_method() -> None:
    """Lists a row for every async terminal and chainable method of the QuerySet."""
    calls = " ".join(literals(row[0])[0] for row in ROWS)
    names = [
        "all", "filter", "exclude", "order_by", "reverse", "none", "using", "only",
        "select_related", "values", "aiterator", "acount", "aexists", "afirst", "alast",
        "alatest", "aearliest", "aget", "acontains", "ain_bulk", "acreate",
        "aget_or_create", "aupdate_or_create", "abulk_create", "abulk_update", "aupdate",
        "adelete", "asave", "arefresh_from_db",
    ]  # fmt: skip
    assert [name for name in names if f".{name}(" not in calls] == []


@pytest.mark.parametrize("row", ROWS, ids=[literals(row[0])[0][:70] for row in ROWS])
async def test_the_call_sends_the_requests_the_table_shows(
    row: list[str], page_namespace: types.ModuleType
) -> None:
    """Sends exactly the requests the row lists, in order."""
    (call,) = literals(row[0])
    api = httpx.URL(settings.API_ORM_SERVICES["default"]["BASE_URL"])
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as mock:
        route = mock.route(host=api.host).mock(side_effect=answer)
        code = compile(call, "<table>", "eval", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        await run_code(code, page_namespace.__dict__)
    sent = [
        (
            request.method,
            request.url.raw_path.decode().removeprefix(api.raw_path.decode()),
            json.loads(request.content) if request.content else None,
        )
        for request, _ in route.calls
    ]
    assert sent == expected(row[1])
