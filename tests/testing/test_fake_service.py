"""FakeService: the default alias's models served from memory through the real client stack."""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Iterator

import httpx
import pytest
import respx
from django.conf import settings
from django.test import override_settings

from django_api_orm import (
    BadRequestError,
    ConnectionError,
    HTTPStatusError,
    NotFoundError,
    NotSupportedError,
    RemoteModel,
    ServerError,
    fields,
    services,
)
from django_api_orm.pagination import PageNumber
from django_api_orm.test import CaptureRequestsContext, FakeService
from example_project.storefront.models import Book as StorefrontBook
from tests.testapp.models import Author, Book, Country, Event, Review, Tag

D = decimal.Decimal


#: The test app's models define the fake provider (other test modules declare models over
#: the same endpoints with other filters).
MODELS = [Author, Book, Tag, Review, Event, Country]


@pytest.fixture
def fake() -> Iterator[FakeService]:
    with FakeService(models=MODELS) as running:
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
    # A model over the same endpoint that declares the lookup makes the fake accept it.
    with FakeService(models=[*MODELS, StorefrontBook]) as wider:
        wider.add(Book, title="x", price=D("5"))
        answer = await services["default"].get("books/", params={"price__gt": "3"})
        assert answer.data["count"] == 1
    # A bad value for a known filter.
    with pytest.raises(BadRequestError) as caught:
        await client.get("books/", params={"price__lt": "abc"})
    assert list(caught.value.body) == ["price__lt"]
    with pytest.raises(BadRequestError):
        await client.get("books/", params={"ordering": "author"})
    # The library itself refuses what Meta does not declare, before any request.
    with CaptureRequestsContext() as captured, pytest.raises(NotSupportedError):
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


async def test_page_number_pages(fake: FakeService) -> None:
    """DRF's page-number pages: count, next and previous as DRF writes them."""
    for n in range(1, 8):
        fake.add(Book, title=f"Book {n}", price=D(n))
    client = services["default"]
    page = (await client.get("books/", params={"page_size": "3", "page": "2"})).data
    assert page["count"] == 7
    assert [r["id"] for r in page["results"]] == [4, 5, 6]
    assert page["next"] == "https://api.example.test/api/books/?page=3&page_size=3"
    assert page["previous"] == "https://api.example.test/api/books/?page_size=3"
    with pytest.raises(NotFoundError) as caught:
        await client.get("books/", params={"page_size": "3", "page": "4"})
    assert caught.value.body == {"detail": "Invalid page."}
    with (
        override_settings(
            API_ORM_SERVICES={
                **settings.API_ORM_SERVICES,
                "default": {
                    **settings.API_ORM_SERVICES["default"],
                    "PAGINATION": {"PAGE_SIZE": 2},
                },
            }
        ),
        FakeService() as small,
    ):
        for n in range(1, 8):
            small.add(Book, title=f"Book {n}", price=D(n))
        with CaptureRequestsContext() as captured:
            titles = [b.title async for b in Book.objects.order_by("-price")]
            assert await Book.objects.acount() == 7
            assert [b.pk async for b in Book.objects.order_by("id")[3:5]] == [4, 5]
        assert titles == [f"Book {n}" for n in range(7, 0, -1)]
        assert sum(1 for r in captured if "page=" in r.url) >= 3  # several pages walked


async def test_limit_offset_pages(fake: FakeService) -> None:
    for n in range(1, 8):
        fake.add(Review, text=f"Review {n}", stars=n % 5)
    client = services["default"]
    page = (await client.get("reviews/", params={"limit": "3", "offset": "3"})).data
    assert page["count"] == 7
    assert [r["id"] for r in page["results"]] == [4, 5, 6]
    assert page["next"] == "https://api.example.test/api/reviews/?limit=3&offset=6"
    assert page["previous"] == "https://api.example.test/api/reviews/?limit=3"
    assert [r.pk async for r in Review.objects.order_by("-id")] == list(range(7, 0, -1))
    assert [r.pk async for r in Review.objects.order_by("id")[2:4]] == [3, 4]
    assert await Review.objects.acount() == 7


async def test_cursor_pages(fake: FakeService) -> None:
    """Cursor pages have no count: iterating follows next, page by page (PAGE_SIZE 2)."""
    for n in range(1, 6):
        fake.add(Event, name=f"Event {n}")
    page = (await services["default"].get("events/")).data
    assert set(page) == {"next", "previous", "results"}
    assert [r["id"] for r in page["results"]] == [1, 2]
    with CaptureRequestsContext() as captured:
        names = [e.name async for e in Event.objects.all()]
    assert names == [f"Event {n}" for n in range(1, 6)]
    assert len(captured) == 3
    assert await Event.objects.acount() == 5
    with pytest.raises(NotFoundError):
        await services["default"].get("events/", params={"cursor": "nonsense!"})


async def test_bare_list_and_string_pks(fake: FakeService) -> None:
    """STYLE none: the list is a bare array; a string pk is given, not assigned."""
    fake.add(Country, code="NG", name="Nigeria")
    fake.add(Country, code="FR", name="France")
    data = (await services["default"].get("countries/")).data
    assert data == [{"code": "FR", "name": "France"}, {"code": "NG", "name": "Nigeria"}]
    assert [c.name async for c in Country.objects.all()] == ["France", "Nigeria"]
    tag = await Tag.objects.acreate(slug="sf", label="Science fiction")
    assert (await Tag.objects.aget(pk="sf")).label == "Science fiction"
    with pytest.raises(BadRequestError) as caught:
        await Tag.objects.acreate(slug="sf", label="Again")
    assert "slug" in caught.value.message_dict
    assert tag.pk == "sf"
    # A pk is one percent-encoded path segment; the fake reads it back whole.
    odd = await Tag.objects.acreate(slug="sci fi/fantasy?", label="Odd")
    assert (await Tag.objects.aget(pk="sci fi/fantasy?")).label == "Odd"
    assert "sci%20fi%2Ffantasy%3F" in str(fake.requests[-1].url)
    await odd.adelete()
    assert [t["slug"] for t in fake.records(Tag)] == ["sf"]


async def test_write_errors_are_drf_shaped(fake: FakeService) -> None:
    """A missing required field, a bad value and an unknown foreign key answer 400."""
    client = services["default"]
    with pytest.raises(BadRequestError) as caught:
        await client.post("books/", {"title": "No price"})
    assert caught.value.body == {"price": ["This field is required."]}
    with pytest.raises(BadRequestError) as caught:
        await Book.objects.acreate(title="Ghost", price=D("1"), author_id=99)
    assert caught.value.message_dict == {"author": ['Invalid pk "99" - object does not exist.']}
    with pytest.raises(BadRequestError) as caught:
        await client.post("books/", {"title": "x", "price": "cheap"})
    assert "price" in caught.value.message_dict
    # Read-only fields in a body are ignored, as DRF does.
    row = (
        await client.post("books/", {"title": "x", "price": "1", "id": 50, "created_at": None})
    ).data
    assert row["id"] == 1
    assert row["created_at"] is not None


async def test_add_with_a_foreign_key(fake: FakeService) -> None:
    """add() converts a related instance as the library sends it, and returns the stored row."""
    author_row = fake.add(Author, name="Chinua Achebe")
    assert author_row == {"id": 1, "name": "Chinua Achebe"}
    author = await Author.objects.aget(pk=author_row["id"])
    row = fake.add(
        Book,
        title="Things Fall Apart",
        price=D("11.5"),
        author=author,
        tags=["classic"],
        published=datetime.date(1958, 6, 17),
    )
    assert row["author"] == 1
    assert row["price"] == "11.50"
    assert row["published"] == "1958-06-17"
    assert row["tags"] == ["classic"]
    assert row == fake.records(Book)[0]
    book = await Book.objects.select_related("author").aget(pk=row["id"])
    assert book.author.name == "Chinua Achebe"
    # A pk given to add() is kept, and the next one assigned follows it.
    assert fake.add(Author, id=10, name="Wole Soyinka")["id"] == 10
    assert (await Author.objects.acreate(name="Ngugi")).pk == 11
    with pytest.raises(ValueError, match="Invalid pk"):
        fake.add(Book, title="Orphan", price=D("1"), author_id=404)


async def test_fail_then_recover(fake: FakeService) -> None:
    """fail() answers the next requests of a model with a status; retries then see it."""
    fake.add(Author, name="Toni Morrison")
    fake.fail(Author, status=503, times=1)
    with pytest.raises(ServerError) as caught:
        await Author.objects.aget(pk=1)
    assert caught.value.status_code == 503
    assert (await Author.objects.aget(pk=1)).name == "Toni Morrison"
    # Other models are not affected.
    fake.fail(Author, status=500, times=2)
    assert await Book.objects.acount() == 0
    services_setting = {
        **settings.API_ORM_SERVICES,
        "default": {**settings.API_ORM_SERVICES["default"], "MAX_RETRIES": 2},
    }
    with (
        override_settings(API_ORM_SERVICES=services_setting),
        FakeService(models=MODELS) as retrying,
    ):
        retrying.add(Author, name="James Baldwin")
        retrying.fail(Author, status=503, times=2)
        with CaptureRequestsContext() as captured:
            assert (await Author.objects.aget(pk=1)).name == "James Baldwin"
        assert captured[0].attempts == 3
        assert captured[0].status_code == 200
        retrying.fail(Author, exception=httpx.ConnectError, times=3)
        with pytest.raises(ConnectionError):
            await Author.objects.aget(pk=1)


async def test_settings_are_restored_and_other_keys_kept() -> None:
    before = settings.API_ORM_SERVICES
    async with FakeService(models=MODELS) as fake:
        entry = settings.API_ORM_SERVICES["default"]
        assert entry["TRANSPORT"] is not None
        assert entry["AUTH_TOKEN"] == before["default"]["AUTH_TOKEN"]
        assert settings.API_ORM_SERVICES["provider"] == before["provider"]
        fake.add(Author, name="Someone")
        assert await Author.objects.acount() == 1
        request = fake.requests[-1]
        assert request.headers["Authorization"] == "Bearer s3cret-token-value"
    assert before == settings.API_ORM_SERVICES
    assert "TRANSPORT" not in settings.API_ORM_SERVICES["default"]


@FakeService(models=MODELS)
async def test_as_a_decorator() -> None:
    await Author.objects.acreate(name="Decorated")
    assert await Author.objects.acount() == 1


def test_models_of_another_alias_are_refused() -> None:
    from tests.integration.remote_models import Book as ProviderBook

    with pytest.raises(ValueError, match="'provider'"):
        FakeService(models=[ProviderBook]).start()


def test_a_dialect_it_does_not_speak_is_refused() -> None:
    services_setting = {
        **settings.API_ORM_SERVICES,
        "default": {
            **settings.API_ORM_SERVICES["default"],
            "DIALECT": "django_api_orm.dialects.base.BaseDialect",
        },
    }
    with override_settings(API_ORM_SERVICES=services_setting):
        with pytest.raises(NotSupportedError, match="BaseDialect"):
            FakeService().start()
        assert "TRANSPORT" not in settings.API_ORM_SERVICES["default"]


async def test_a_client_already_open_on_the_loop_is_replaced() -> None:
    """The loop's cached client of the alias is not reused: the fake's config is picked up."""
    before = services["default"]
    with respx.mock(base_url="https://api.example.test/api/") as api:
        route = api.get("authors/").respond(
            json={"count": 5, "next": None, "previous": None, "results": []}
        )
        assert await Author.objects.acount() == 5
        async with FakeService(models=MODELS):
            inside = services["default"]
            assert inside is not before
            assert await Author.objects.acount() == 0  # answered by the fake, not respx
        assert services["default"] is not inside
        assert await Author.objects.acount() == 5
    assert route.call_count == 2


class Numbered(PageNumber):
    """A pagination style of a project's own, named by its dotted path."""

    name = "fake_service_test_numbered"


class Odd(RemoteModel):
    name = fields.CharField()

    class Meta:
        endpoint = "odd-pages/"
        filter_fields: dict[str, list[str]] = {}
        ordering_fields = ["id"]
        pagination = {"STYLE": "tests.testing.test_fake_service.Numbered"}


async def test_a_pagination_style_it_cannot_serve() -> None:
    """Named in models=, refused on entry; otherwise its endpoint answers 501 saying why."""
    with pytest.raises(NotSupportedError, match="Numbered"):
        FakeService(models=[Odd]).start()
    async with FakeService() as fake:
        with pytest.raises(ServerError) as caught:
            await Odd.objects.acount()
        assert caught.value.status_code == 501
        assert "pagination style" in caught.value.body["detail"]
        fake.add(Author, name="Still served")
        assert [a.name async for a in Author.objects.all()] == ["Still served"]
