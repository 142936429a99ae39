"""Related managers that write, the reverse many-to-many accessor and Prefetch objects,
against the real provider; each test puts the rows it changes back."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from django.db.models import Prefetch

from tests.conftest import Provider
from tests.integration.remote_models import Author, Book, Genre

SQL = Callable[..., list[tuple[Any, ...]]]


@pytest.fixture
async def fresh_book(provider_service: Provider, provider_db: SQL) -> AsyncIterator[Book]:
    """A book made for the test (no genres), deleted afterwards."""
    (author_id,) = provider_db("SELECT id FROM provider_author ORDER BY id LIMIT 1")[0]
    book = await Book.objects.acreate(
        title="Integration: related writes", author=await Author.objects.aget(pk=author_id), price=5
    )
    try:
        yield book
    finally:
        await Book.objects.filter(pk=book.pk).adelete()


def genres_of(provider_db: SQL, book_pk: int) -> list[int]:
    rows = provider_db(
        "SELECT genre_id FROM provider_book_genres WHERE book_id = ? ORDER BY genre_id", (book_pk,)
    )
    return [r[0] for r in rows]


async def test_reverse_add_moves_a_book_between_authors(fresh_book: Book, provider_db: SQL) -> None:
    """author.books.aadd(book) PATCHes the book's author; the provider's row follows."""
    (other_id,) = provider_db(
        "SELECT id FROM provider_author WHERE id != ? ORDER BY id LIMIT 1", (fresh_book.author_id,)
    )[0]
    other = await Author.objects.aget(pk=other_id)
    await other.books.aadd(fresh_book)
    assert fresh_book.author_id == other_id
    assert provider_db("SELECT author_id FROM provider_book WHERE id = ?", (fresh_book.pk,)) == [
        (other_id,)
    ]
    assert fresh_book.pk in [b.pk async for b in other.books.all()]
    # The provider's foreign key is not nullable: as in Django, nothing can be removed.
    with pytest.raises(AttributeError):
        other.books.aremove  # noqa: B018
    with pytest.raises(AttributeError):
        other.books.aclear  # noqa: B018


async def test_many_to_many_writes_send_the_list(fresh_book: Book, provider_db: SQL) -> None:
    """add, remove, set and clear on book.genres: the provider's join table follows."""
    g1, g2, g3 = [g async for g in Genre.objects.order_by("id")[:3]]
    await fresh_book.genres.aadd(g1, g2.pk)
    assert genres_of(provider_db, fresh_book.pk) == sorted([g1.pk, g2.pk])
    assert sorted(fresh_book.genres_ids) == sorted([g1.pk, g2.pk])
    await fresh_book.genres.aremove(g1)
    assert genres_of(provider_db, fresh_book.pk) == [g2.pk]
    await fresh_book.genres.aset([g3, g2])
    assert genres_of(provider_db, fresh_book.pk) == sorted([g2.pk, g3.pk])
    await fresh_book.genres.aclear()
    assert genres_of(provider_db, fresh_book.pk) == []
    assert fresh_book.genres_ids == []


async def test_reverse_many_to_many(fresh_book: Book, provider_db: SQL) -> None:
    """genre.book_set lists, adds and removes through each book's own list; a prefetch
    of book_set over every genre matches the join table."""
    genre = await Genre.objects.order_by("id").afirst()
    assert genre is not None
    await genre.book_set.aadd(fresh_book)
    assert genres_of(provider_db, fresh_book.pk) == [genre.pk]
    expected = [
        r[0]
        for r in provider_db(
            "SELECT book_id FROM provider_book_genres WHERE genre_id = ? ORDER BY book_id",
            (genre.pk,),
        )
    ]
    assert [b.pk async for b in genre.book_set.order_by("id")] == expected
    genres = [g async for g in Genre.objects.prefetch_related("book_set").order_by("id")]
    counts = dict(
        provider_db("SELECT genre_id, COUNT(*) FROM provider_book_genres GROUP BY genre_id")
    )
    assert {g.pk: len(g.book_set.all()) for g in genres} == {
        g.pk: counts.get(g.pk, 0) for g in genres
    }
    await genre.book_set.aremove(fresh_book)
    assert genres_of(provider_db, fresh_book.pk) == []


async def test_prefetch_with_queryset_and_to_attr(
    provider_service: Provider, provider_db: SQL
) -> None:
    """Prefetch("books", queryset=in print by title, to_attr=...) matches the provider's rows."""
    lookup = Prefetch(
        "books", queryset=Book.objects.filter(in_print=True).order_by("title"), to_attr="printed"
    )
    authors = [a async for a in Author.objects.prefetch_related(lookup).order_by("id")[:5]]
    for author in authors:
        rows = provider_db(
            "SELECT title FROM provider_book WHERE author_id = ? AND in_print ORDER BY title, id",
            (author.pk,),
        )
        assert [b.title for b in author.printed] == [r[0] for r in rows]
