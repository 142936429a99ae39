"""Relations: reverse managers, nested endpoints and batched loading, pinned with respx."""

from __future__ import annotations

import json

import httpx
import pytest
import respx
from django.core.exceptions import SynchronousOnlyOperation

from django_api_orm import NotSupportedError, RemoteModel, fields
from tests.models.conftest import API, book, page
from tests.testapp.models import Author, Book


class Shelf(RemoteModel):
    """A parent whose children live under a nested endpoint."""

    name = fields.CharField()

    class Meta:
        endpoint = "shelves/"


class Slot(RemoteModel):
    """A child listed at shelves/{shelf}/slots/."""

    label = fields.CharField()
    shelf = fields.ForeignKey(Shelf, related_name="slots")

    class Meta:
        endpoint = "shelves/{shelf}/slots/"


class Publisher(RemoteModel):
    """A provider with no __in filter: relations fall back to concurrent detail GETs."""

    name = fields.CharField()

    class Meta:
        endpoint = "publishers/"
        filter_fields = {"name": ["exact"]}


class Edition(RemoteModel):
    publisher = fields.ForeignKey(Publisher, related_name="editions")

    class Meta:
        endpoint = "editions/"


class Label(RemoteModel):
    name = fields.CharField()

    class Meta:
        endpoint = "labels/"


class Record(RemoteModel):
    labels = fields.ManyToManyField(Label)

    class Meta:
        endpoint = "records/"


def paths(mock: respx.MockRouter) -> list[str]:
    return [f"{c.request.method} {c.request.url.raw_path.decode()}" for c in mock.calls]


async def test_reverse_manager_filters_by_the_parent(api: respx.MockRouter) -> None:
    """Lists author.books with GET books/?author=7."""
    api.get("books/").respond(json=page([book(1, author=7)]))
    author = Author.from_api({"id": 7, "name": "Ann"})
    assert [b.pk async for b in author.books.all()] == [1]
    assert await author.books.filter(in_print=True).acount() == 1
    assert paths(api) == [
        "GET /api/books/?author=7&page_size=100",
        "GET /api/books/?author=7&in_print=true&page_size=1",
    ]


async def test_reverse_manager_acreate_sets_the_foreign_key(api: respx.MockRouter) -> None:
    """Creates through author.books with the author's pk in the body."""
    route = api.post("books/").respond(201, json=book(3, author=7))
    author = Author.from_api({"id": 7, "name": "Ann"})
    created = await author.books.acreate(title="T", price=1)
    assert json.loads(route.calls.last.request.content)["author"] == 7
    assert created.author_id == 7


async def test_prefetch_reverse_batches_with_in(api: respx.MockRouter) -> None:
    """Loads every author's books with one books/?author__in= request per page."""
    api.get("authors/").respond(json=page([{"id": 1, "name": "A"}, {"id": 2, "name": "B"}]))
    api.get("books/").respond(
        json=page([book(10, author=1), book(11, author=2), book(12, author=1)])
    )
    authors = [a async for a in Author.objects.prefetch_related("books")]
    assert [[b.pk for b in a.books.all()] for a in authors] == [[10, 12], [11]]
    assert paths(api) == [
        "GET /api/authors/?ordering=name&page_size=100",
        "GET /api/books/?author__in=1,2&page_size=100",
    ]


async def test_prefetch_forward_batches(api: respx.MockRouter) -> None:
    """Loads the authors of a page of books with one authors/?id__in= request."""
    api.get("books/").respond(json=page([book(1, author=4), book(2, author=5)]))
    api.get("authors/").respond(json=page([{"id": 4, "name": "D"}, {"id": 5, "name": "E"}]))
    books = [b async for b in Book.objects.prefetch_related("author")]
    assert [b.author.name for b in books] == ["D", "E"]
    assert len(api.calls) == 2


async def test_forward_fallback_is_concurrent_detail_gets(api: respx.MockRouter) -> None:
    """Falls back to detail GETs when the related provider has no id__in filter."""
    api.get("editions/").respond(
        json=page([{"id": i, "publisher": i % 3 + 1} for i in range(1, 10)])
    )
    api.get(url__regex=r".*/publishers/\d+/$").mock(
        side_effect=lambda r: httpx.Response(
            200, json={"id": int(r.url.path.split("/")[-2]), "name": "P"}
        )
    )
    editions = [e async for e in Edition.objects.select_related("publisher")]
    assert {e.publisher.pk for e in editions} == {1, 2, 3}
    details = [p for p in paths(api) if "publishers" in p]
    assert sorted(details) == [f"GET /api/publishers/{i}/" for i in (1, 2, 3)]


async def test_nested_endpoint_takes_the_parent_from_filter(api: respx.MockRouter) -> None:
    """Lists a nested endpoint with the parent pk in the path, not as a parameter."""
    route = api.get("shelves/4/slots/").respond(json=page([{"id": 1, "label": "a", "shelf": 4}]))
    assert [s.label async for s in Slot.objects.filter(shelf=4)] == ["a"]
    assert route.calls.last.request.url.raw_path == b"/api/shelves/4/slots/?page_size=100"
    shelf = Shelf.from_api({"id": 4, "name": "S"})
    assert [s.pk async for s in shelf.slots.all()] == [1]


async def test_nested_endpoint_detail_and_writes_use_the_instance(api: respx.MockRouter) -> None:
    """Builds nested detail and list URLs from the query or the instance's foreign key."""
    api.get("shelves/4/slots/9/").respond(json={"id": 9, "label": "x", "shelf": 4})
    api.post("shelves/4/slots/").respond(201, json={"id": 10, "label": "y", "shelf": 4})
    api.patch("shelves/4/slots/9/").respond(json={"id": 9, "label": "z", "shelf": 4})
    slot = await Slot.objects.filter(shelf=4).aget(pk=9)
    slot.label = "z"
    await slot.asave(update_fields=["label"])
    created = await Slot.objects.acreate(label="y", shelf_id=4)
    assert created.pk == 10
    assert paths(api) == [
        "GET /api/shelves/4/slots/9/",
        "PATCH /api/shelves/4/slots/9/",
        "POST /api/shelves/4/slots/",
    ]


async def test_nested_endpoint_without_parent_raises(api: respx.MockRouter) -> None:
    """Raises before any request when a nested endpoint's parent is missing."""
    with pytest.raises(NotSupportedError, match=r"filter\(shelf=\.\.\.\)"):
        await Slot.objects.acount()
    assert not api.calls


async def test_nested_parent_is_one_encoded_segment(api: respx.MockRouter) -> None:
    """Percent-encodes the parent pk like any pk."""

    class Drawer(RemoteModel):
        slug = fields.CharField(primary_key=True)

        class Meta:
            endpoint = "drawers/"

    class Sock(RemoteModel):
        drawer = fields.ForeignKey(Drawer, related_name="socks")

        class Meta:
            endpoint = "drawers/{drawer}/socks/"

    route = api.get(url__regex=r".*").respond(json=page([]))
    await Sock.objects.filter(drawer="../x").acount()
    assert route.calls.last.request.url.raw_path == b"/api/drawers/..%2Fx/socks/?page_size=1"


async def test_unloaded_reverse_in_async_needs_async_iteration(api: respx.MockRouter) -> None:
    """Raises the sync-twin error when a reverse manager is listed synchronously in a loop."""
    author = Author.from_api({"id": 7, "name": "Ann"})
    with pytest.raises(SynchronousOnlyOperation):
        list(author.books.all())
    assert not api.calls


async def test_aiterator_prefetch_keeps_order(api: respx.MockRouter) -> None:
    """Fetches following pages concurrently when the total is known, in order."""
    rows = [book(i) for i in range(1, 26)]

    def answer(request: httpx.Request) -> httpx.Response:
        size = int(request.url.params["page_size"])
        number = int(request.url.params.get("page", "1"))
        chunk = rows[(number - 1) * size : number * size]
        more = number * size < len(rows)
        link = f"{API}books/?page={number + 1}&page_size={size}" if more else None
        return httpx.Response(200, json=page(chunk, count=len(rows), next=link))

    api.get("books/").mock(side_effect=answer)
    got = [b.pk async for b in Book.objects.aiterator(chunk_size=5, prefetch=3)]
    assert got == list(range(1, 26))
    assert len(api.calls) == 5
    assert sorted(paths(api)) == sorted(
        ["GET /api/books/?page_size=5"]
        + [f"GET /api/books/?page={n}&page_size=5" for n in range(2, 6)]
    )


async def test_many_to_many_is_a_list_of_pks(api: respx.MockRouter) -> None:
    """Reads a list of pks, lists them through the manager and sends them back."""
    api.get("labels/").respond(json=page([{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]))
    put = api.put("records/5/").respond(json={"id": 5, "labels": [2]})
    record = Record.from_api({"id": 5, "labels": [1, 2]})
    assert record.labels_ids == [1, 2]
    assert [label.name async for label in record.labels.all()] == ["a", "b"]
    assert paths(api) == ["GET /api/labels/?id__in=1,2&page_size=100"]
    record.labels_ids = [2]
    await record.asave()
    assert json.loads(put.calls.last.request.content) == {"labels": [2]}


async def test_many_to_many_prefetch_batches(api: respx.MockRouter) -> None:
    """Loads the related objects of a whole page with one __in request."""
    api.get("records/").respond(
        json=page(
            [{"id": 1, "labels": [1, 2]}, {"id": 2, "labels": [2, 3]}, {"id": 3, "labels": []}]
        )
    )
    api.get("labels/").respond(
        json=page([{"id": i, "name": n} for i, n in [(1, "a"), (2, "b"), (3, "c")]])
    )
    records = [r async for r in Record.objects.prefetch_related("labels")]
    assert [[lb.name for lb in r.labels.all()] for r in records] == [["a", "b"], ["b", "c"], []]
    assert paths(api) == [
        "GET /api/records/?page_size=100",
        "GET /api/labels/?id__in=1,2,3&page_size=100",
    ]


async def test_filter_on_a_list_of_pks_takes_one_item(api: respx.MockRouter) -> None:
    """Sends filter(labels=2) as labels=2, the way django-filter reads a list field."""
    route = api.get("records/").respond(json=page([]))
    await Record.objects.filter(labels=Label.from_api({"id": 2, "name": "b"})).acount()
    assert route.calls.last.request.url.raw_path == b"/api/records/?labels=2&page_size=1"
    await Record.objects.filter(labels__in=[1, "3"]).acount()
    assert route.calls.last.request.url.raw_path == b"/api/records/?labels__in=1,3&page_size=1"


class Mood(RemoteModel):
    """A provider without an id__in filter."""

    name = fields.CharField()

    class Meta:
        endpoint = "moods/"
        filter_fields = {"name": ["exact"]}


class Song(RemoteModel):
    moods = fields.ManyToManyField(Mood)

    class Meta:
        endpoint = "songs/"


async def test_prefetched_many_answers_from_memory_without_in_filter(
    api: respx.MockRouter,
) -> None:
    """Answers book.genres from a prefetch made by detail GETs; a new query still raises."""
    api.get("songs/").respond(json=page([{"id": 1, "moods": [1, 2]}]))
    api.get(url__regex=r".*/moods/\d+/$").mock(
        side_effect=lambda r: httpx.Response(
            200, json={"id": int(r.url.path.split("/")[-2]), "name": "m"}
        )
    )
    (song,) = [s async for s in Song.objects.prefetch_related("moods")]
    assert [m.pk for m in song.moods.all()] == [1, 2]
    assert await song.moods.all().acount() == 2
    with pytest.raises(NotSupportedError, match="pk__in"):
        await song.moods.all().filter(name="m").acount()
    with pytest.raises(NotSupportedError):
        [m async for m in Song.from_api({"id": 2, "moods": [1]}).moods.all()]


def test_prefetch_related_checks_names_at_once() -> None:
    """Raises ValueError for a name that is not a relation when prefetch_related() is called."""
    with pytest.raises(ValueError, match="no relation"):
        Book.objects.prefetch_related("nope")
    with pytest.raises(ValueError, match="not a relation"):
        Book.objects.prefetch_related("title")


def test_unloaded_relation_loads_once_in_sync_code(api: respx.MockRouter) -> None:
    """Fetches an unloaded foreign key with one detail GET in sync code, then caches it."""
    route = api.get("authors/7/").respond(json={"id": 7, "name": "Ann"})
    book_obj = Book.from_api(book(1, author=7))
    assert book_obj.author.name == "Ann"
    assert book_obj.author is book_obj.author
    assert route.call_count == 1
    book_obj.author_id = 8  # a new pk makes the cached instance stale
    api.get("authors/8/").respond(json={"id": 8, "name": "Bob"})
    assert book_obj.author.name == "Bob"


async def test_assigning_an_instance_is_what_asave_sends(api: respx.MockRouter) -> None:
    """Sends the assigned instance's pk as the foreign key."""
    route = api.patch("books/1/").respond(json=book(1, author=9))
    book_obj = Book.from_api(book(1, author=7))
    book_obj.author = Author.from_api({"id": 9, "name": "Zed"})
    await book_obj.asave(update_fields=["author"])
    assert json.loads(route.calls.last.request.content) == {"author": 9}
    assert book_obj.author.name == "Zed"
