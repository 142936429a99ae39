"""The same tests, run against the FakeService and against the real DRF provider.

This is how the fake is kept equal to a real Django REST framework + django-filter
provider: every test below runs twice, through the ``backend`` fixture, once with
the "provider" alias answered by a ``FakeService`` and once by the example
provider (``example_project``: DRF, django-filter, its pagination classes) served
over HTTP by uvicorn, as tests/integration does. Each test creates its own rows
through the library (a fresh author, so that the provider's seeded rows and other
tests' rows are filtered out), asserts literal expected values, and deletes what
it created. A behaviour of the fake that differs from the provider makes one of
the two runs fail.

Where the fake is deliberately stricter than django-filter (an unknown parameter
answers 400 instead of being ignored), the library never sends such a parameter:
it refuses it before any request, which is what is compared here.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal as D
from typing import Any

import pytest
from django.core.exceptions import FieldError
from django.test import override_settings

from django_api_orm import BadRequestError, NotSupportedError
from django_api_orm.test import CaptureRequestsContext, FakeService
from tests.integration.remote_models import (
    Author,
    AuthorBook,
    Book,
    CursorBook,
    Genre,
    LimitOffsetBook,
    PlainBook,
)

MODELS = [Author, Genre, Book, LimitOffsetBook, CursorBook, PlainBook, AuthorBook]
#: Pages of 3 rows, so that a handful of rows spans several pages on both backends.
PAGINATION = {"PAGE_SIZE": 3}


@pytest.fixture(params=["fake", "provider"])
def backend(request: pytest.FixtureRequest) -> Iterator[str]:
    """Point the "provider" alias at a FakeService or at the real provider."""
    from django.conf import settings

    if request.param == "provider":
        provider = request.getfixturevalue("provider")
        entry = provider.service(PAGINATION=PAGINATION, MAX_RETRIES=0)
        with override_settings(API_ORM_SERVICES={**settings.API_ORM_SERVICES, "provider": entry}):
            yield "provider"
        return
    entry = {
        "BASE_URL": "http://127.0.0.1:9/api/",  # nothing listens there: the fake answers
        "AUTH_TOKEN": "fake-token",
        "AUTH_SCHEME": "Token",
        "MAX_RETRIES": 0,
        "PAGINATION": PAGINATION,
    }
    with (
        override_settings(API_ORM_SERVICES={**settings.API_ORM_SERVICES, "provider": entry}),
        FakeService("provider", models=MODELS),
    ):
        yield "fake"


@pytest.fixture
async def author(backend: str) -> AsyncIterator[Author]:
    """A fresh author; its books and itself are deleted after the test."""
    created = await Author.objects.acreate(name=f"Parity {uuid.uuid4().hex[:12]}")
    yield created
    await Book.objects.filter(author=created).adelete()
    await created.adelete()


BOOKS: list[tuple[str, str, datetime.date | None, bool]] = [
    ("Parity Alpha", "9.99", datetime.date(1968, 11, 1), True),
    ("parity beta", "14.50", datetime.date(1974, 5, 1), True),
    ("Parity Gamma", "21.00", None, False),
    ("The Delta", "12.00", datetime.date(1971, 3, 1), True),
    ("Epsilon", "12.00", datetime.date(2001, 9, 1), False),
    ("Parity Zeta", "5.25", None, True),
    ("Eta", "30.00", datetime.date(1990, 1, 1), True),
]


async def make_books(author: Author, model: Any = Book) -> list[Any]:
    if model is AuthorBook:  # the nested endpoint's model declares fewer fields
        return [
            await model.objects.acreate(title=title, price=D(price), author=author)
            for title, price, *_ in BOOKS
        ]
    return [
        await model.objects.acreate(
            title=title, price=D(price), published=published, in_print=in_print, author=author
        )
        for title, price, published, in_print in BOOKS
    ]


def titles(books: list[Any]) -> list[str]:
    return [b.title for b in books]


async def test_filters_and_ordering(author: Author) -> None:
    """Each filter and ordering gives the same rows, in the same order."""
    await make_books(author)
    mine = Book.objects.filter(author=author)
    assert titles([b async for b in mine.order_by("price")]) == [
        "Parity Zeta",
        "Parity Alpha",
        "The Delta",  # equal prices: ties broken by id
        "Epsilon",
        "parity beta",
        "Parity Gamma",
        "Eta",
    ]
    assert titles([b async for b in mine.filter(price__lt=12).order_by("id")]) == [
        "Parity Alpha",
        "Parity Zeta",
    ]
    assert titles([b async for b in mine.filter(title__icontains="PARITY").order_by("-title")]) == [
        "parity beta",
        "Parity Zeta",
        "Parity Gamma",
        "Parity Alpha",
    ]
    assert titles([b async for b in mine.filter(title__istartswith="the")]) == ["The Delta"]
    assert titles([b async for b in mine.filter(published=None).order_by("id")]) == [
        "Parity Gamma",
        "Parity Zeta",
    ]
    assert titles([b async for b in mine.filter(in_print=False).order_by("id")]) == [
        "Parity Gamma",
        "Epsilon",
    ]
    assert await mine.filter(price__range=(D("12"), D("21"))).acount() == 4
    assert await mine.filter(published__year=1974).acount() == 1
    assert titles(
        [
            b
            async for b in mine.filter(published__gte=datetime.date(1971, 3, 1)).order_by(
                "published"
            )
        ]
    ) == ["The Delta", "parity beta", "Eta", "Epsilon"]
    assert titles([b async for b in mine.exclude(title="Eta").order_by("-price")]) == [
        "Parity Gamma",
        "parity beta",
        "The Delta",  # -price: ties still broken by ascending id
        "Epsilon",
        "Parity Alpha",
        "Parity Zeta",
    ]
    # Nulls: first in ascending order, last in descending order (SQLite's order).
    assert titles([b async for b in mine.order_by("published", "id")])[:2] == [
        "Parity Gamma",
        "Parity Zeta",
    ]
    assert titles([b async for b in mine.order_by("-published", "id")])[-2:] == [
        "Parity Gamma",
        "Parity Zeta",
    ]
    by_title = {b.title: b.pk async for b in mine}
    wanted = [by_title["Eta"], by_title["Parity Alpha"]]
    assert titles([b async for b in Book.objects.filter(id__in=wanted).order_by("id")]) == [
        "Parity Alpha",
        "Eta",
    ]


async def test_exclusions(author: Author) -> None:
    await make_books(author)
    other = await Author.objects.acreate(name=f"Parity other {uuid.uuid4().hex[:8]}")
    try:
        await Book.objects.acreate(title="Other's", price=D("1"), author=other)
        both = Book.objects.filter(author__in=[author.pk, other.pk])
        assert await both.acount() == 8
        assert titles([b async for b in both.exclude(author=author)]) == ["Other's"]
        assert await both.exclude(author__in=[other.pk]).acount() == 7
        assert await both.exclude(title="Eta").acount() == 7
    finally:
        await Book.objects.filter(author=other).adelete()
        await other.adelete()


async def test_counts_and_pages(author: Author) -> None:
    """Pages of 3 in every pagination style: the same rows, and the same requests.

    Each style is its own endpoint; the provider serves one table through all of
    them, the fake one list per endpoint: rows are created through each one.
    """
    for model in (Book, LimitOffsetBook, PlainBook):
        await make_books(author, model)
        qs = model.objects.filter(author=author).order_by("-price", "id")
        with CaptureRequestsContext(using="provider") as captured:
            got = titles([b async for b in qs])
        assert got == [
            "Eta",
            "Parity Gamma",
            "parity beta",
            "The Delta",
            "Epsilon",
            "Parity Alpha",
            "Parity Zeta",
        ], model
        assert len(captured) == (1 if model is PlainBook else 3), model
        assert await model.objects.filter(author=author).acount() == 7
        fresh = model.objects.filter(author=author).order_by("-price", "id")
        assert titles([b async for b in fresh[2:5]]) == ["parity beta", "The Delta", "Epsilon"]
        assert (await fresh.afirst()).title == "Eta"
        assert (await fresh.alast()).title == "Parity Zeta"
        assert await fresh.filter(title="nothing like it").aexists() is False
        await model.objects.filter(author=author).adelete()
    # Cursor pages: no count; every row is reached by following next.
    await make_books(author, CursorBook)
    cursor = CursorBook.objects.filter(author=author)
    with CaptureRequestsContext(using="provider") as captured:
        got = [b.title async for b in cursor.aiterator(chunk_size=3)]
    assert sorted(got) == sorted(t for t, *_ in BOOKS)
    assert len(captured) == 3
    assert await cursor.acount() == 7


async def test_unknown_filters_are_refused_before_any_request(author: Author) -> None:
    with CaptureRequestsContext(using="provider") as captured:
        with pytest.raises(FieldError):
            await Book.objects.filter(titel="x").acount()
        with pytest.raises(NotSupportedError):
            await Book.objects.filter(title__endswith="x").acount()
        with pytest.raises(FieldError):
            await Book.objects.order_by("bogus_field").acount()
        with pytest.raises(NotSupportedError):
            await Book.objects.order_by("tags").acount()  # not in Meta.ordering_fields
    assert len(captured) == 0
    # A filter on a related pk that names no row: django-filter answers 400.
    with pytest.raises(BadRequestError) as caught:
        await Book.objects.filter(author=999_999_999).acount()
    assert list(caught.value.message_dict) == ["author"]


async def test_create_update_delete(author: Author) -> None:
    book = await Book.objects.acreate(title="Parity write", price=D("3.5"), author=author)
    assert book.pk is not None
    assert book.created_at is not None
    assert (book.price, book.in_print, book.tags, book.genres_ids) == (D("3.50"), True, [], [])
    book.title = "Parity rewritten"
    book.tags = ["a", "b"]
    await book.asave()  # PUT
    book.price = D("4")
    await book.asave(update_fields=["price"])  # PATCH
    fresh = await Book.objects.aget(pk=book.pk)
    assert (fresh.title, fresh.price, fresh.tags) == ("Parity rewritten", D("4.00"), ["a", "b"])
    assert await Book.objects.filter(author=author).aupdate(in_print=False) == 1
    assert (await Book.objects.aget(pk=book.pk)).in_print is False
    pk = fresh.pk
    await fresh.adelete()
    with pytest.raises(Book.DoesNotExist):
        await Book.objects.aget(pk=pk)
    with pytest.raises(Book.DoesNotExist):
        await book.adelete()


async def test_write_errors(author: Author) -> None:
    with pytest.raises(BadRequestError) as caught:
        await Book.objects.acreate(title="No price", price=None, author=author)
    assert caught.value.message_dict == {"price": ["This field may not be null."]}
    with pytest.raises(BadRequestError) as caught:
        await Book.objects.acreate(title="Ghost", price=D("1"), author_id=999_999_999)
    assert caught.value.message_dict == {
        "author": ['Invalid pk "999999999" - object does not exist.']
    }
    assert await Book.objects.filter(author=author).acount() == 0


async def test_nested_endpoint(author: Author) -> None:
    await make_books(author, AuthorBook)
    nested = AuthorBook.objects.filter(author=author)
    assert await nested.acount() == 7
    assert titles([b async for b in nested.filter(price__gte=20).order_by("title")]) == [
        "Eta",
        "Parity Gamma",
    ]
    created = await AuthorBook.objects.acreate(title="Nested new", price=D("2"), author=author)
    assert created.author_id == author.pk
    assert await nested.acount() == 8
    with pytest.raises(Exception) as caught:
        await AuthorBook.objects.filter(author=999_999_999).acount()
    assert getattr(caught.value, "status_code", None) == 404
