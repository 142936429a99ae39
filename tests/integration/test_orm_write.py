"""Every write against the real DRF provider: created, changed and deleted rows, and errors."""

from __future__ import annotations

import decimal
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.test import override_settings

from django_api_orm import BadRequestError, RemoteModel, ServerError, fields, services
from tests.conftest import Provider
from tests.integration.proxy import proxy
from tests.integration.remote_models import Book

pytestmark = pytest.mark.usefixtures("provider_service")

SQL = Callable[..., list[tuple[Any, ...]]]


class LooseBook(RemoteModel):
    """The books endpoint with a string primary key, to try hostile pks on a real server."""

    id = fields.CharField(primary_key=True)
    title = fields.CharField()

    class Meta:
        service = "provider"
        endpoint = "books/"


def count(sql: SQL, table: str = "provider_book", where: str = "1=1", *params: Any) -> int:
    (value,) = sql(f"SELECT COUNT(*) FROM {table} WHERE {where}", params)[0]
    return int(value)


@pytest.fixture
async def author_id(provider_db: SQL) -> int:
    (pk,) = provider_db("SELECT id FROM provider_author ORDER BY id LIMIT 1")[0]
    return int(pk)


async def test_create_save_patch_refresh_delete(provider_db: SQL, author_id: int) -> None:
    """Creates, PUTs, PATCHes, refreshes and deletes one row on the real server."""
    book = await Book.objects.acreate(
        title="Integration: a new book", author_id=author_id, price=decimal.Decimal("12.50")
    )
    try:
        assert book.pk is not None
        assert book.created_at is not None
        row = provider_db(
            "SELECT title, price, in_print FROM provider_book WHERE id = ?", (book.pk,)
        )
        assert row == [("Integration: a new book", 12.5, 1)]

        book.title = "Integration: renamed"
        book.in_print = False
        await book.asave()
        assert provider_db(
            "SELECT title, in_print FROM provider_book WHERE id = ?", (book.pk,)
        ) == [("Integration: renamed", 0)]

        book.price = decimal.Decimal("99.00")
        await book.asave(update_fields=["price"])
        assert provider_db("SELECT price FROM provider_book WHERE id = ?", (book.pk,)) == [(99,)]

        copy = await Book.objects.aget(pk=book.pk)
        copy.tags = ["x", "y"]
        await copy.asave(update_fields=["tags"])
        await book.arefresh_from_db()
        assert book.tags == ["x", "y"]
    finally:
        pk = book.pk
        await book.adelete()
    assert book.pk is None
    assert count(provider_db, "provider_book", "id = ?", pk) == 0


async def test_field_and_non_field_errors(provider_db: SQL, author_id: int) -> None:
    """Raises BadRequestError keyed by field, with DRF's non-field errors under __all__."""
    before = count(provider_db)
    with pytest.raises(BadRequestError) as info:
        await Book.objects.acreate(title="", author_id=author_id, price=decimal.Decimal("-1"))
    assert isinstance(info.value, ValidationError)
    assert set(info.value.message_dict) == {"title", "price"}

    (title,) = provider_db(
        "SELECT title FROM provider_book WHERE author_id = ? LIMIT 1", (author_id,)
    )[0]
    with pytest.raises(BadRequestError) as info:
        await Book.objects.acreate(title=title, author_id=author_id, price=decimal.Decimal("1"))
    assert NON_FIELD_ERRORS in info.value.message_dict
    assert "unique" in " ".join(info.value.message_dict[NON_FIELD_ERRORS])
    assert count(provider_db) == before


async def test_missing_pk_writes_raise_does_not_exist(provider_db: SQL) -> None:
    """Raises DoesNotExist for PUT, PATCH and DELETE of a pk the server does not have."""
    ghost = Book.from_api(
        {
            "id": 10**8,
            "title": "Ghost",
            "author": 1,
            "price": "1.00",
            "created_at": "2024-01-01T00:00:00Z",
        }
    )
    with pytest.raises(Book.DoesNotExist):
        await ghost.asave()
    with pytest.raises(Book.DoesNotExist):
        await ghost.asave(update_fields=["title"])
    with pytest.raises(Book.DoesNotExist):
        await ghost.adelete()


async def test_queryset_update_and_delete(provider_db: SQL, author_id: int) -> None:
    """PATCHes and DELETEs each matched row, returning Django's shapes."""
    created = await Book.objects.abulk_create(
        [Book(title=f"Bulk {i}", author_id=author_id, price=decimal.Decimal("3")) for i in range(5)]
    )
    pks = [b.pk for b in created]
    assert None not in pks
    qs = Book.objects.filter(id__in=pks)
    assert await qs.aupdate(in_print=False) == 5
    assert (
        count(provider_db, "provider_book", f"id IN ({','.join('?' * 5)}) AND in_print = 0", *pks)
        == 5
    )
    for book in created:
        book.price = decimal.Decimal("4")
    assert await Book.objects.abulk_update(created, ["price"]) == 5
    assert (
        count(provider_db, "provider_book", f"id IN ({','.join('?' * 5)}) AND price = 4", *pks) == 5
    )
    assert await qs.adelete() == (5, {Book._meta.label: 5})
    assert count(provider_db, "provider_book", f"id IN ({','.join('?' * 5)})", *pks) == 0


async def test_get_or_create_and_update_or_create(provider_db: SQL, author_id: int) -> None:
    """Creates once, then finds; updates with PATCH, creating when missing."""
    title = "Integration: get or create"
    book, created = await Book.objects.aget_or_create(
        title=title, author_id=author_id, defaults={"price": decimal.Decimal("5")}
    )
    assert created is True
    again, created_again = await Book.objects.aget_or_create(title=title, author_id=author_id)
    assert (again.pk, created_again) == (book.pk, False)
    updated, created = await Book.objects.aupdate_or_create(
        title=title, author_id=author_id, defaults={"price": decimal.Decimal("6")}
    )
    assert (updated.pk, created) == (book.pk, False)
    assert provider_db("SELECT price FROM provider_book WHERE id = ?", (book.pk,)) == [(6,)]
    await book.adelete()


async def test_hostile_primary_keys_touch_nothing_else(provider_db: SQL) -> None:
    """Sends a pk with '/', '?', '#' or '..' as one segment: nothing else is changed."""
    books, authors = count(provider_db), count(provider_db, "provider_author")
    (first,) = provider_db("SELECT id FROM provider_book ORDER BY id LIMIT 1")[0]
    for pk in [f"../authors/{first}", f"{first}/", f"{first}?x=1", f"{first}#frag", "%2e%2e"]:
        hostile = LooseBook.from_api({"id": pk, "title": "x"})
        with pytest.raises((LooseBook.DoesNotExist, BadRequestError)):
            await hostile.adelete()
        with pytest.raises((LooseBook.DoesNotExist, BadRequestError)):
            await hostile.asave(update_fields=["title"])
    for pk in ["", ".", ".."]:
        with pytest.raises(ValueError):
            await LooseBook.from_api({"id": pk, "title": "x"}).adelete()
    assert (count(provider_db), count(provider_db, "provider_author")) == (books, authors)
    assert provider_db("SELECT title FROM provider_book WHERE id = ?", (first,)) != [("x",)]


@pytest.mark.parametrize(
    "answer",
    [b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", None],
    ids=["503", "reset"],
)
async def test_post_is_never_retried_into_a_duplicate(
    provider: Provider, provider_db: SQL, author_id: int, answer: bytes | None
) -> None:
    """Creates exactly one row when the answer to a POST is a 503 or a reset."""
    title = f"Integration: once ({'503' if answer else 'reset'})"
    origin = provider.base_url.removesuffix("/api/")
    async with proxy(origin, answer=answer, reset=answer is None) as (proxy_url, _):
        config = {
            **settings.API_ORM_SERVICES,
            "provider": {
                **settings.API_ORM_SERVICES["provider"],
                "BASE_URL": f"{proxy_url}/api/",
                "MAX_RETRIES": 3,
                "RETRY_DELAY": 0.01,
            },
        }
        with override_settings(API_ORM_SERVICES=config):
            with pytest.raises((ServerError, ConnectionError)):
                await Book.objects.acreate(
                    title=title, author_id=author_id, price=decimal.Decimal("1")
                )
            await services.aclose_all()
    assert count(provider_db, "provider_book", "title = ?", title) == 1
    created = await Book.objects.aget(title=title)
    await created.adelete()
