"""Actions (DRF ``@action`` routes) against the real provider: ``publish`` and ``recent``."""

from __future__ import annotations

import datetime
import decimal
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from django_api_orm import BadRequestError, NotFoundError, RemoteModel, fields
from tests.integration.remote_models import Book, LimitOffsetBook, PlainBook

pytestmark = pytest.mark.usefixtures("provider_service")

SQL = Callable[..., list[tuple[Any, ...]]]


class ActionLooseBook(RemoteModel):
    """The books endpoint with a string primary key, to try hostile pks on a real server."""

    id = fields.CharField(primary_key=True)
    title = fields.CharField()

    class Meta:
        service = "provider"
        endpoint = "books/"


def recent_order(sql: SQL, where: str = "1=1", *params: Any) -> list[int]:
    """The ids of ``books/recent/``, read from the provider's database."""
    rows = sql(
        f"SELECT id FROM provider_book WHERE {where} "
        "ORDER BY published IS NULL, published DESC, id DESC",
        params,
    )
    return [int(pk) for (pk,) in rows]


@pytest.fixture
async def draft(provider_db: SQL) -> AsyncIterator[Book]:
    """A book of the provider's, out of print and unpublished, deleted afterwards."""
    ((author_id,),) = provider_db("SELECT id FROM provider_author ORDER BY id LIMIT 1")
    book = await Book.objects.acreate(
        title="Integration: an action's draft",
        author_id=author_id,
        price=decimal.Decimal("7.00"),
        in_print=False,
        published=None,
    )
    try:
        yield book
    finally:
        if book.pk is not None:
            await book.adelete()


async def test_publish_posts_and_changes_the_row(provider_db: SQL, draft: Book) -> None:
    """POSTs books/<pk>/publish/ with a body: the row changes, the answer is the book."""
    answer = await draft.acall("publish", method="POST", data={"published": "2001-02-03"})
    assert provider_db(
        "SELECT published, in_print FROM provider_book WHERE id = ?", (draft.pk,)
    ) == [("2001-02-03", 1)]
    assert answer["id"] == draft.pk
    assert answer["published"] == "2001-02-03"
    assert answer["in_print"] is True
    assert draft.in_print is False  # the instance is left as it was


async def test_publish_as_an_instance_equals_aget(draft: Book) -> None:
    """Returns a Book holding exactly what aget() then reads."""
    published = await draft.acall("publish", method="POST", as_instances=True)
    assert isinstance(published, Book)
    fetched = await Book.objects.aget(pk=draft.pk)
    assert published._state.wire == fetched._state.wire
    assert published.published == datetime.date.today()
    assert published.in_print is True
    assert published.author_id == fetched.author_id


async def test_publish_400_is_a_validation_error(provider_db: SQL, draft: Book) -> None:
    """Raises BadRequestError, a ValidationError keyed by the provider's field."""
    tomorrow = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()
    with pytest.raises(BadRequestError) as caught:
        await draft.acall("publish", method="POST", data={"published": tomorrow})
    assert isinstance(caught.value, ValidationError)
    assert caught.value.message_dict == {"published": ["Publication date cannot be in the future."]}
    assert provider_db("SELECT in_print FROM provider_book WHERE id = ?", (draft.pk,)) == [(0,)]


async def test_missing_book_and_missing_route_are_404(draft: Book) -> None:
    """Raises NotFoundError for a deleted book's action and for an unknown action."""
    with pytest.raises(NotFoundError, match="no-such-action"):
        await draft.acall("no-such-action", method="POST")
    gone = Book.from_api({**(draft._state.wire or {}), "id": 10**9})
    with pytest.raises(NotFoundError, match=f"{10**9}/publish/"):
        await gone.acall("publish", method="POST")


async def test_hostile_pk_never_reaches_another_route(provider_db: SQL) -> None:
    """Refuses '..' before sending; an encoded '/' stays in one segment (a 404)."""
    before = provider_db("SELECT id, published, in_print FROM provider_book ORDER BY id")
    with pytest.raises(ValueError, match="primary key"):
        await ActionLooseBook.from_api({"id": "..", "title": "x"}).acall("publish", method="POST")
    first = str(before[0][0])
    with pytest.raises(NotFoundError, match="%2F"):
        # Unencoded, books/../<first>/publish/ would publish the first book.
        await ActionLooseBook.from_api({"id": f"../{first}", "title": "x"}).acall(
            "publish", method="POST"
        )
    assert provider_db("SELECT id, published, in_print FROM provider_book ORDER BY id") == before


async def test_recent_with_params_is_one_page(provider_db: SQL) -> None:
    """GETs books/recent/ with the list's filter and page size: the first page, as sent."""
    ((author_id,),) = provider_db(
        "SELECT author_id FROM provider_book GROUP BY author_id HAVING COUNT(*) > 2 LIMIT 1"
    )
    expected = recent_order(provider_db, "author_id = ?", author_id)
    answer = await Book.objects.acall("recent", params={"author": author_id, "page_size": 2})
    assert answer["count"] == len(expected)
    assert [row["id"] for row in answer["results"]] == expected[:2]
    assert answer["next"] is not None

    books = await Book.objects.acall(
        "recent", params={"author": author_id, "page_size": 2}, as_instances=True
    )
    assert isinstance(books, list)
    assert [b.pk for b in books] == expected[:2]
    assert all(isinstance(b, Book) and b.author_id == author_id for b in books)


async def test_recent_in_other_pagination_styles(provider_db: SQL) -> None:
    """Reads limit/offset pages and bare lists as each model's pagination says."""
    expected = recent_order(provider_db)
    lo = await LimitOffsetBook.objects.acall("recent", params={"limit": 3}, as_instances=True)
    assert [b.pk for b in lo or []] == expected[:3]
    assert all(isinstance(b, LimitOffsetBook) for b in lo or [])
    plain = await PlainBook.objects.acall("recent", as_instances=True)
    assert [b.pk for b in plain or []] == expected


def test_sync_twins(provider: Any, provider_db: SQL) -> None:
    """Runs call() on an instance and on the manager from sync code."""
    ((author_id,),) = provider_db("SELECT id FROM provider_author ORDER BY id LIMIT 1")
    draft = Book.objects.create(
        title="Integration: a sync action's draft", author_id=author_id, price=5, in_print=False
    )
    try:
        published = draft.call("publish", method="POST", data={"published": "1999-09-09"})
        row = provider_db("SELECT published, in_print FROM provider_book WHERE id = ?", (draft.pk,))
        recent = Book.objects.call("recent", params={"page_size": 1}, as_instances=True)
        expected = recent_order(provider_db)[:1]
    finally:
        draft.delete()
    assert published["published"] == "1999-09-09"
    assert row == [("1999-09-09", 1)]
    assert [b.pk for b in recent] == expected
