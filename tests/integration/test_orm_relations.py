"""Relations against the real provider: no request per row, counted at the server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings

from django_api_orm import NotSupportedError, services
from tests.conftest import Provider
from tests.integration.proxy import proxy
from tests.integration.remote_models import Author, AuthorBook, Book

SQL = Callable[..., list[tuple[Any, ...]]]


@pytest.fixture
async def counted(provider: Provider, provider_service: Provider) -> AsyncIterator[list[str]]:
    """Send the provider service through a proxy that records every request it forwards."""
    async with proxy(provider.base_url.removesuffix("/api/")) as (url, seen):
        config = {
            **settings.API_ORM_SERVICES,
            "provider": {**settings.API_ORM_SERVICES["provider"], "BASE_URL": f"{url}/api/"},
        }
        with override_settings(API_ORM_SERVICES=config):
            yield seen
            await services.aclose_all()


async def test_select_related_costs_two_requests_for_100_books(
    counted: list[str], provider_db: SQL
) -> None:
    """Lists 100 books with their authors in 2 requests, against 101 without."""
    books = [b async for b in Book.objects.select_related("author").order_by("id")[:100]]
    names = dict(provider_db("SELECT id, name FROM provider_author"))
    assert [b.author.name for b in books] == [names[b.author_id] for b in books]
    assert len(counted) == 2
    assert counted[1].startswith("GET /api/authors/?id__in=")

    counted.clear()
    plain = [b async for b in Book.objects.order_by("id")[:100]]
    for b in plain:
        await Author.objects.aget(pk=b.author_id)  # what a loop without select_related costs
    assert len(counted) == 101


async def test_prefetch_related_books_of_authors(counted: list[str], provider_db: SQL) -> None:
    """Loads every author's books with one author__in request per page of books."""
    authors = [a async for a in Author.objects.prefetch_related("books").order_by("id")]
    expected = provider_db("SELECT author_id, COUNT(*) FROM provider_book GROUP BY author_id")
    # Prefetched: the related managers answer from memory, even in async code.
    got = {a.pk: len(a.books.all()) for a in authors}
    assert {k: v for k, v in got.items() if v} == dict(expected)
    assert all("author__in=" in r for r in counted[1:])
    assert len(counted) == 1 + len([r for r in counted if "author__in=" in r])


async def test_reverse_manager_and_nested_create(
    provider_service: Provider, provider_db: SQL
) -> None:
    """Lists author.books from the server and creates through the manager."""
    (author_id,) = provider_db("SELECT id FROM provider_author ORDER BY id LIMIT 1")[0]
    author = await Author.objects.aget(pk=author_id)
    pks = [b.pk async for b in author.books.order_by("id")]
    assert pks == [
        r[0]
        for r in provider_db(
            "SELECT id FROM provider_book WHERE author_id = ? ORDER BY id", (author_id,)
        )
    ]
    book = await author.books.acreate(title="Integration: related create", price=3)
    try:
        assert book.author_id == author_id
    finally:
        await book.adelete()


async def test_many_to_many_prefetch(provider_service: Provider, provider_db: SQL) -> None:
    """Prefetches every book's genres from the real server in one more request per page."""
    books = [b async for b in Book.objects.prefetch_related("genres").order_by("id")[:50]]
    rows = provider_db(
        "SELECT bg.book_id, g.name FROM provider_book_genres bg "
        "JOIN provider_genre g ON g.id = bg.genre_id ORDER BY bg.book_id, g.id"
    )
    expected: dict[int, list[str]] = {}
    for book_id, name in rows:
        expected.setdefault(book_id, []).append(name)
    assert {b.pk: sorted(g.name for g in b.genres.all()) for b in books} == {
        b.pk: sorted(expected.get(b.pk, [])) for b in books
    }


async def test_nested_endpoint_lists_and_creates(
    provider_service: Provider, provider_db: SQL
) -> None:
    """Lists and creates through authors/{author}/books/ with the parent pk in the path."""
    (author_id,) = provider_db("SELECT id FROM provider_author ORDER BY id DESC LIMIT 1")[0]
    expected = [
        r[0]
        for r in provider_db(
            "SELECT id FROM provider_book WHERE author_id = ? ORDER BY id", (author_id,)
        )
    ]
    assert [
        b.pk async for b in AuthorBook.objects.filter(author=author_id).order_by("id")
    ] == expected
    author = await Author.objects.aget(pk=author_id)
    assert [b.pk async for b in author.nested_books.order_by("id")] == expected
    created = await AuthorBook.objects.acreate(
        title="Integration: nested create", author_id=author_id, price=2
    )
    try:
        assert provider_db("SELECT author_id FROM provider_book WHERE id = ?", (created.pk,)) == [
            (author_id,)
        ]
    finally:
        await Book.objects.filter(id=created.pk).adelete()
    with pytest.raises(NotSupportedError, match=r"filter\(author=\.\.\.\)"):
        await AuthorBook.objects.acount()


async def test_author_in_instances_returns_exactly_their_books(
    provider_service: Provider, provider_db: SQL
) -> None:
    """Filters on author__in=[a, b] with Author instances, as Django accepts them; on
    author=a and on author__id__exact (what Django's admin sends) alike."""
    ann, bob = [a async for a in Author.objects.order_by("id")[:2]]

    def books_of(*ids: int) -> list[int]:
        marks = ", ".join("?" * len(ids))
        sql = f"SELECT id FROM provider_book WHERE author_id IN ({marks}) ORDER BY id"
        return [pk for (pk,) in provider_db(sql, ids)]

    both = [b.pk async for b in Book.objects.filter(author__in=[ann, bob]).order_by("id")]
    assert both == books_of(ann.pk, bob.pk)
    assert both != books_of(ann.pk)  # both authors have books: the filter is not one of them
    only = [b.pk async for b in Book.objects.filter(author=ann).order_by("id")]
    admin = [b.pk async for b in Book.objects.filter(author__id__exact=ann.pk).order_by("id")]
    assert only == admin == books_of(ann.pk) != []
