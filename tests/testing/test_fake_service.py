"""FakeService: the default alias's models served from memory through the real client stack."""

from __future__ import annotations

import datetime
import decimal

import httpx
import pytest
from django.conf import settings
from django.test import override_settings

from django_api_orm import (
    BadRequestError,
    ConnectionError,
    HTTPStatusError,
    NotFoundError,
    NotSupportedError,
    ServerError,
    services,
)
from django_api_orm.test import CaptureRequestsContext, FakeService
from tests.testapp.models import Author, Book, Country, Event, Review, Tag

D = decimal.Decimal


@pytest.fixture
def fake() -> FakeService:
    with FakeService() as running:
        yield running


def seed(fake: FakeService) -> tuple[dict, dict]:
    le_guin = fake.add(Author, name="Ursula K. Le Guin")
    okafor = fake.add(Author, name="Elena Okafor")
    le_guin_obj = Author(pk=le_guin["id"], name=le_guin["name"])
    for title, price, published, author in [
        ("A Wizard of Earthsea", "9.99", datetime.date(1968, 11, 1), le_guin_obj),
        ("The Dispossessed", "14.50", datetime.date(1974, 5, 1), le_guin_obj),
        ("Lagos Nights", "21.00", None, okafor["id"]),
        ("The Lathe of Heaven", "12.00", datetime.date(1971, 3, 1), le_guin_obj),
    ]:
        if isinstance(author, int):
            fake.add(Book, title=title, price=D(price), published=published, author_id=author)
        else:
            fake.add(Book, title=title, price=D(price), published=published, author=author)
    return le_guin, okafor


async def test_crud_async(fake: FakeService) -> None:
    """Creates (201, pk assigned), reads, updates with PUT and PATCH, and deletes (204)."""
    author = await Author.objects.acreate(name="N. K. Jemisin")
    assert author.pk == 1
    book = await Book.objects.acreate(title="The Fifth Season", price=D("15"), author=author)
    assert book.pk == 1
    assert book.created_at is not None  # a read-only datetime is set at creation
    got = await Book.objects.aget(pk=book.pk)
    assert (got.title, got.price, got.author_id) == ("The Fifth Season", D("15.00"), author.pk)
    got.title = "The Obelisk Gate"
    await got.asave()  # PUT
    got.price = D("16.5")
    await got.asave(update_fields=["price"])  # PATCH
    assert fake.records(Book)[0]["title"] == "The Obelisk Gate"
    assert fake.records(Book)[0]["price"] == "16.50"
    methods = [r.method for r in fake.requests]
    assert methods == ["POST", "POST", "GET", "PUT", "PATCH"]
    await got.adelete()
    assert fake.records(Book) == []
    with pytest.raises(Book.DoesNotExist):
        await Book.objects.aget(pk=book.pk)


def test_crud_sync(fake: FakeService) -> None:
    """The sync twins go through the same fake, from the background loop."""
    author = Author.objects.create(name="Octavia Butler")
    Book.objects.create(title="Kindred", price=D("10"), author=author)
    assert Book.objects.count() == 1
    assert [b.title for b in Book.objects.all()] == ["Kindred"]


async def test_filters_and_ordering(fake: FakeService) -> None:
    le_guin, okafor = seed(fake)
    cheap = [b.title async for b in Book.objects.filter(price__lt=13).order_by("price")]
    assert cheap == ["A Wizard of Earthsea", "The Lathe of Heaven"]
    mine = [b.title async for b in Book.objects.filter(author=okafor["id"])]
    assert mine == ["Lagos Nights"]
    unpublished = [b.title async for b in Book.objects.filter(published=None)]
    assert unpublished == ["Lagos Nights"]
    some = [b.pk async for b in Book.objects.filter(title__icontains="THE").order_by("-title")]
    assert some == [4, 2]
    ranged = await Book.objects.filter(price__range=(10, 15)).acount()
    assert ranged == 2
    by_in = [b.pk async for b in Book.objects.filter(id__in=[3, 1]).order_by("id")]
    assert by_in == [1, 3]
    excluded = [b.pk async for b in Book.objects.exclude(title="The Dispossessed").order_by("id")]
    assert excluded == [1, 3, 4]
    not_by = [b.pk async for b in Book.objects.exclude(author__in=[le_guin["id"]])]
    assert not_by == [3]
    newest = [b.title async for b in Book.objects.order_by("-published")]
    # Nulls sort first ascending, so last descending (SQLite's order).
    assert newest == [
        "The Dispossessed",
        "The Lathe of Heaven",
        "A Wizard of Earthsea",
        "Lagos Nights",
    ]
    assert [a.name async for a in Author.objects.all()] == ["Elena Okafor", "Ursula K. Le Guin"]


async def test_unknown_filter_is_a_400(fake: FakeService) -> None:
    """A parameter the model's Meta does not declare answers 400, raised as BadRequestError."""
    seed(fake)
    client = services["default"]
    with pytest.raises(BadRequestError) as caught:
        await client.get("books/", params={"titel": "x"})
    assert caught.value.status_code == 400
    assert "titel" in caught.value.body
    assert "Unknown filter" in caught.value.body["titel"][0]
    # A lookup of a declared field that filter_fields does not list.
    with pytest.raises(BadRequestError) as caught:
        await client.get("books/", params={"price__gt": "3"})
    assert "price__lt" in caught.value.body["price__gt"][0]
    # A bad value for a known filter.
    with pytest.raises(BadRequestError) as caught:
        await client.get("books/", params={"price__lt": "abc"})
    assert list(caught.value.body) == ["price__lt"]
    with pytest.raises(BadRequestError):
        await client.get("books/", params={"ordering": "author"})
    # The library itself refuses what Meta does not declare, before any request.
    with CaptureRequestsContext() as captured:
        with pytest.raises(NotSupportedError):
            await Book.objects.filter(price__gt=3).acount()
    assert len(captured) == 0


async def test_routes(fake: FakeService) -> None:
    seed(fake)
    client = services["default"]
    with pytest.raises(NotFoundError):
        await client.get("nowhere/")
    with pytest.raises(NotFoundError):
        await client.get("books/999/")
    with pytest.raises(HTTPStatusError) as caught:
        await client.request("DELETE", "books/")
    assert caught.value.status_code == 405
    with pytest.raises(HTTPStatusError) as caught:
        await client.post("books/1/", {"title": "x"})
    assert caught.value.status_code == 405

