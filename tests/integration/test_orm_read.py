"""Every read method of the QuerySet API against the real DRF + django-filter provider."""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import aget_object_or_404, get_object_or_404

from django_api_orm import NotSupportedError, Q
from tests.conftest import Provider
from tests.integration.remote_models import Book, CursorBook, LimitOffsetBook, PlainBook

pytestmark = pytest.mark.usefixtures("provider_service")

SQL = Callable[..., list[tuple[Any, ...]]]


def ids(sql: SQL, where: str = "1=1", params: tuple[Any, ...] = ()) -> list[int]:
    return [
        row[0] for row in sql(f"SELECT id FROM provider_book WHERE {where} ORDER BY id", params)
    ]


async def test_count_matches_database(provider_db: SQL) -> None:
    """Counts every book with one small request."""
    (total,) = provider_db("SELECT COUNT(*) FROM provider_book")[0]
    assert await Book.objects.acount() == total
    assert total >= 200


async def test_iteration_walks_every_page(provider_db: SQL) -> None:
    """Lists every book across pages, in order, none missing."""
    pks = [b.pk async for b in Book.objects.order_by("id")]
    assert pks == ids(provider_db)


async def test_filters(provider_db: SQL) -> None:
    """Returns exactly the rows the database holds for each filter."""
    cheap = [b.pk async for b in Book.objects.filter(price__lt=20).order_by("id")]
    assert cheap == ids(provider_db, "price < 20")
    unpublished = [b.pk async for b in Book.objects.filter(published=None).order_by("id")]
    assert unpublished == ids(provider_db, "published IS NULL")
    ranged = [
        b.pk
        async for b in Book.objects.filter(price__range=(10, decimal.Decimal("20.5"))).order_by(
            "id"
        )
    ]
    assert ranged == ids(provider_db, "price BETWEEN 10 AND 20.5")
    out_of_print = [b.pk async for b in Book.objects.filter(in_print=False).order_by("id")]
    assert out_of_print == ids(provider_db, "in_print = 0")
    recent = [
        b.pk
        async for b in Book.objects.filter(published__gt=datetime.date(2015, 1, 1)).order_by("id")
    ]
    assert recent == ids(provider_db, "published > '2015-01-01'")


async def test_in_and_or(provider_db: SQL) -> None:
    """Sends __in and an OR of equalities on one field as one comma-separated value."""
    some = ids(provider_db)[:3]
    got = [b.pk async for b in Book.objects.filter(id__in=some).order_by("id")]
    assert got == some
    got = [b.pk async for b in Book.objects.filter(Q(id=some[0]) | Q(id=some[2])).order_by("id")]
    assert got == [some[0], some[2]]


async def test_exclude(provider_db: SQL) -> None:
    """Excludes through the provider's exclusion filters."""
    (author_id,) = provider_db("SELECT author_id FROM provider_book ORDER BY id LIMIT 1")[0]
    got = [b.pk async for b in Book.objects.exclude(author=author_id).order_by("id")]
    assert got == ids(provider_db, "author_id != ?", (author_id,))
    assert author_id not in {b.author_id async for b in Book.objects.exclude(author=author_id)}


async def test_ordering(provider_db: SQL) -> None:
    """Orders by several fields, descending too."""
    got = [b.pk async for b in Book.objects.order_by("-price", "id")[:30]]
    rows = provider_db(
        "SELECT id FROM provider_book ORDER BY CAST(price AS REAL) DESC, id LIMIT 30"
    )
    assert got == [r[0] for r in rows]


async def test_slices_across_pages(provider_db: SQL) -> None:
    """Returns exactly the rows of a slice across page boundaries."""
    every = ids(provider_db)
    for low, high in [(0, 5), (95, 105), (20, 40), (150, 260), (198, 199)]:
        got = [b.pk async for b in Book.objects.order_by("id")[low:high]]
        assert got == every[low:high], (low, high)


async def test_get_first_last_latest_earliest_exists_contains(provider_db: SQL) -> None:
    """Answers the single-object terminals as the database does."""
    every = ids(provider_db)
    obj = await Book.objects.aget(pk=every[0])
    assert obj.pk == every[0] and isinstance(obj.price, decimal.Decimal)
    assert obj.created_at.tzinfo is not None
    first = await Book.objects.afirst()
    last = await Book.objects.alast()
    assert first is not None and last is not None
    assert (first.pk, last.pk) == (every[0], every[-1])
    latest = await Book.objects.alatest("created_at")
    earliest = await Book.objects.aearliest("id")
    assert earliest.pk == every[0] and latest.pk is not None
    assert await Book.objects.filter(price__lt=0).aexists() is False
    assert await Book.objects.aexists() is True
    assert await Book.objects.acontains(obj)
    title = obj.title
    assert (await Book.objects.aget(title=title, author=obj.author_id)).pk == obj.pk
    with pytest.raises(Book.DoesNotExist):
        await Book.objects.aget(pk=10**9)
    with pytest.raises(Book.MultipleObjectsReturned):
        await Book.objects.aget(in_print=True)


async def test_in_bulk_values(provider_db: SQL) -> None:
    """Fetches in_bulk and values/values_list from the real server."""
    some = ids(provider_db)[:5]
    found = await Book.objects.ain_bulk(some)
    assert sorted(found) == some
    titles = [
        t
        async for t in Book.objects.filter(id__in=some)
        .order_by("id")
        .values_list("title", flat=True)
    ]
    rows = provider_db(
        f"SELECT title FROM provider_book WHERE id IN ({','.join('?' * 5)}) ORDER BY id", some
    )
    assert titles == [r[0] for r in rows]


async def test_limit_offset_cursor_and_plain(provider_db: SQL) -> None:
    """Walks limit/offset, cursor and bare-list endpoints to the same rows."""
    every = ids(provider_db)
    assert [b.pk async for b in LimitOffsetBook.objects.order_by("id")[90:130]] == every[90:130]
    assert [b.pk async for b in CursorBook.objects.all()[30:60]] == every[30:60]
    assert [b.pk async for b in CursorBook.objects.aiterator()] == every
    assert [b.pk async for b in PlainBook.objects.filter(price__lt=20).order_by("id")] == ids(
        provider_db, "price < 20"
    )
    assert await LimitOffsetBook.objects.acount() == len(every)
    assert await CursorBook.objects.acount() == len(every)


async def test_select_related_loads_authors(provider_db: SQL) -> None:
    """Attaches each book's author from one batched request per page."""
    books = [b async for b in Book.objects.select_related("author").order_by("id")[:50]]
    names = dict(provider_db("SELECT id, name FROM provider_author"))
    assert [b.author.name for b in books] == [names[b.author_id] for b in books]


async def test_unsupported_raise_before_any_request() -> None:
    """Raises NotSupportedError for what a filter API cannot express."""
    with pytest.raises(NotSupportedError):
        Book.objects.filter(Q(title="x") | Q(price__lt=3))
    with pytest.raises(NotSupportedError):
        Book.objects.exclude(price__lt=3)
    with pytest.raises(NotSupportedError):
        Book.objects.order_by("tags")


async def test_aget_object_or_404(provider_db: SQL) -> None:
    """Works with Django's aget_object_or_404."""
    pk = ids(provider_db)[0]
    assert (await aget_object_or_404(Book, pk=pk)).pk == pk
    with pytest.raises(Http404):
        await aget_object_or_404(Book, pk=10**9)


def test_sync_shortcuts_and_paginator(provider: Provider, provider_db: SQL) -> None:
    """Works with get_object_or_404 and Paginator in sync code."""
    every = ids(provider_db)
    assert get_object_or_404(Book, pk=every[1]).pk == every[1]
    paginator = Paginator(Book.objects.order_by("id"), 10)
    assert paginator.count == len(every)
    page = paginator.page(3)
    assert [b.pk for b in page.object_list] == every[20:30]
    assert Book.objects.count() == len(every)
    assert [b.pk for b in Book.objects.order_by("id")[:3]] == every[:3]


def test_async_to_sync_calls_in_a_row(provider: Provider) -> None:
    """Runs 20 async_to_sync calls (a new loop each) through the same service."""

    async def count() -> int:
        return await Book.objects.filter(in_print=True).acount()

    results = {async_to_sync(count)() for _ in range(20)}
    assert len(results) == 1
