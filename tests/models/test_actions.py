"""Actions (routes beyond CRUD): the exact request of every acall(), pinned with respx."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import respx
from django.core.exceptions import SynchronousOnlyOperation, ValidationError

from django_api_orm import (
    BadRequestError,
    InvalidResponseError,
    NotFoundError,
    NotSupportedError,
    PermissionDeniedError,
    RemoteModel,
    ServerError,
    fields,
)
from django_api_orm.dialects.base import BaseDialect
from tests.models.conftest import book, page
from tests.shared.conftest import configured, locmem_caches, service
from tests.testapp.models import Author, Book, Review, Tag


class Shelf(RemoteModel):
    """A model whose endpoint has no trailing slash."""

    label = fields.CharField()

    class Meta:
        endpoint = "shelves"


class Sock(RemoteModel):
    """A nested endpoint: the drawer's pk is part of every URL."""

    drawer = fields.ForeignKey(Author, related_name="socks")
    colour = fields.CharField()

    class Meta:
        endpoint = "drawers/{drawer}/socks/"


def sent(mock: respx.MockRouter) -> list[str]:
    """Each request as ``METHOD raw-path-and-query``, byte for byte."""
    return [f"{c.request.method} {c.request.url.raw_path.decode()}" for c in mock.calls]


def body(mock: respx.MockRouter, index: int = -1) -> Any:
    content = mock.calls[index].request.content
    return json.loads(content) if content else None


# --- detail actions --------------------------------------------------------------------


async def test_detail_action_posts_its_body_below_the_detail_url(api: respx.MockRouter) -> None:
    """POSTs data as JSON to books/3/publish/ and returns the parsed answer."""
    api.post("books/3/publish/").respond(200, json=book(3, published="2025-01-02"))
    obj = Book.from_api(book(3))
    answer = await obj.acall("publish", method="POST", data={"published": "2025-01-02"})
    assert sent(api) == ["POST /api/books/3/publish/"]
    assert api.calls.last.request.headers["content-type"] == "application/json"
    assert body(api) == {"published": "2025-01-02"}
    assert answer == book(3, published="2025-01-02")
    assert obj.published.isoformat() == "2024-05-01"  # the instance itself is left as it was


async def test_detail_action_defaults_to_get_with_params(api: respx.MockRouter) -> None:
    """GETs with the query string from params, and sends no body."""
    api.get(url__regex=r".*").respond(json={"views": 12})
    obj = Book.from_api(book(3))
    answer = await obj.acall("stats", params={"since": "2025-01-01", "tag": ["a", "b"]})
    assert answer == {"views": 12}
    assert sent(api) == ["GET /api/books/3/stats/?since=2025-01-01&tag=a&tag=b"]
    assert api.calls.last.request.content == b""


async def test_method_is_case_insensitive(api: respx.MockRouter) -> None:
    """Sends method="patch" as PATCH."""
    api.patch("books/3/mark/").respond(204)
    assert await Book.from_api(book(3)).acall("mark", method="patch", data={"x": 1}) is None
    assert sent(api) == ["PATCH /api/books/3/mark/"]


async def test_detail_action_as_an_instance(api: respx.MockRouter) -> None:
    """Returns the answer as a Book hydrated as aget() does (dialect, fields, state)."""
    api.post("books/3/publish/").respond(json=book(3, title="Published", author=7))
    fetched_route = api.get("books/3/").respond(json=book(3, title="Published", author=7))
    obj = Book.from_api(book(3))
    published = await obj.acall("publish", method="POST", as_instances=True)
    fetched = await Book.objects.aget(pk=3)
    assert isinstance(published, Book)
    assert published is not obj
    assert published.title == "Published"
    assert published.author_id == 7
    assert published._state.wire == fetched._state.wire
    assert published._state.adding is False
    assert published._state.db == fetched._state.db
    assert type(published._state.dialect) is type(fetched._state.dialect)
    assert fetched_route.call_count == 1


async def test_detail_action_of_a_string_pk_is_one_segment(api: respx.MockRouter) -> None:
    """Percent-encodes a pk holding '/', '?' or '#' into one segment, as aget() does."""
    api.post(url__regex=r".*").respond(json={})
    await Tag.from_api({"slug": "../books/1", "label": "x"}).acall("pin", method="POST")
    await Tag.from_api({"slug": "a?b#c", "label": "x"}).acall("pin", method="POST")
    assert sent(api) == [
        "POST /api/tags/..%2Fbooks%2F1/pin/",
        "POST /api/tags/a%3Fb%23c/pin/",
    ]


@pytest.mark.parametrize("pk", ["", ".", ".."])
async def test_dot_segment_pk_is_refused(api: respx.MockRouter, pk: str) -> None:
    """Refuses '', '.' and '..' as a pk before any request, as every detail URL does."""
    obj = Tag.from_api({"slug": pk, "label": "x"})
    with pytest.raises(ValueError, match="primary key"):
        await obj.acall("pin", method="POST")
    assert not api.calls


async def test_unsaved_instance_is_refused(api: respx.MockRouter) -> None:
    """Raises ValueError naming the pk before any request when the instance has none."""
    with pytest.raises(ValueError, match=r"can't call the action 'publish'.*id.*None"):
        await Book(title="x").acall("publish", method="POST")
    assert not api.calls


async def test_endpoint_without_trailing_slash(api: respx.MockRouter) -> None:
    """Adds no trailing slash where the endpoint has none: shelves/4/empty, shelves/full."""
    api.post(url__regex=r".*").respond(json={})
    api.get(url__regex=r".*").respond(json=[])
    await Shelf.from_api({"id": 4, "label": "x"}).acall("empty", method="POST")
    await Shelf.objects.acall("full")
    assert sent(api) == ["POST /api/shelves/4/empty", "GET /api/shelves/full"]


async def test_nested_endpoint_detail_and_list_actions(api: respx.MockRouter) -> None:
    """Builds the nested path from the instance's and the related manager's parent."""
    api.post(url__regex=r".*").respond(json={})
    api.get(url__regex=r".*").respond(json=[])
    sock = Sock.from_api({"id": 5, "drawer": 2, "colour": "red"})
    await sock.acall("wash", method="POST")
    await Author.from_api({"id": 2, "name": "x"}).socks.acall("odd")
    assert sent(api) == ["POST /api/drawers/2/socks/5/wash/", "GET /api/drawers/2/socks/odd/"]


# --- list actions ----------------------------------------------------------------------


async def test_list_action_gets_with_params(api: respx.MockRouter) -> None:
    """GETs books/recent/ with params and returns the body as parsed."""
    api.get(url__regex=r".*").respond(json=page([book(1), book(2)]))
    answer = await Book.objects.acall("recent", params=[("days", 7), ("in_print", True)])
    assert sent(api) == ["GET /api/books/recent/?days=7&in_print=true"]
    assert answer == page([book(1), book(2)])


async def test_list_action_posts(api: respx.MockRouter) -> None:
    """POSTs a body to books/import/."""
    api.post("books/import/").respond(201, json={"imported": 2})
    answer = await Book.objects.acall("import", method="POST", data=[{"title": "a"}])
    assert answer == {"imported": 2}
    assert body(api) == [{"title": "a"}]


async def test_list_action_page_as_instances(api: respx.MockRouter) -> None:
    """Reads a page-number envelope as the model's style reads it: its rows only."""
    api.get("books/recent/").respond(
        json=page([book(1), book(2)], count=9, next=f"{api_url()}books/recent/?page=2")
    )
    books = await Book.objects.acall("recent", as_instances=True)
    assert isinstance(books, list)
    assert [b.pk for b in books] == [1, 2]
    assert all(isinstance(b, Book) for b in books)
    assert len(api.calls) == 1  # one request: the next page is not followed


async def test_list_action_bare_list_as_instances(api: respx.MockRouter) -> None:
    """Reads a bare JSON list as instances, whatever the pagination style."""
    api.get("books/recent/").respond(json=[book(1), book(2)])
    books = await Book.objects.acall("recent", as_instances=True)
    assert [b.title for b in books or []] == ["Book 1", "Book 2"]


async def test_list_action_limit_offset_page_as_instances(api: respx.MockRouter) -> None:
    """Reads a limit/offset envelope of a model whose Meta.pagination says so."""
    rows = [{"id": 1, "text": "good", "stars": 5}]
    api.get("reviews/best/").respond(json={"count": 1, "next": None, "results": rows})
    reviews = await Review.objects.acall("best", as_instances=True)
    assert isinstance(reviews, list)
    assert [(r.pk, r.stars) for r in reviews] == [(1, 5)]


async def test_object_answer_of_a_list_action_is_one_instance(api: respx.MockRouter) -> None:
    """Reads an object with the pk as one instance, an empty answer as None."""
    api.get("books/newest/").respond(json=book(8))
    api.post("books/rebuild/").respond(204)
    newest = await Book.objects.acall("newest", as_instances=True)
    assert isinstance(newest, Book)
    assert newest.pk == 8
    assert await Book.objects.acall("rebuild", method="POST", as_instances=True) is None


async def test_non_object_rows_raise_invalid_response(api: respx.MockRouter) -> None:
    """Raises InvalidResponseError for a list of non-objects, naming the request."""
    api.get("books/recent/").respond(json=[1, 2])
    with pytest.raises(InvalidResponseError, match="GET books/recent/"):
        await Book.objects.acall("recent", as_instances=True)


async def test_filtered_manager_is_refused(api: respx.MockRouter) -> None:
    """Refuses a manager whose queryset has filters an action would silently drop."""
    author = Author.from_api({"id": 2, "name": "x"})
    with pytest.raises(NotSupportedError, match="author"):
        await author.books.acall("recent")
    assert not api.calls


def test_acall_is_on_managers_not_querysets() -> None:
    """Keeps acall() to managers and instances: a queryset's filters have no meaning there."""
    assert not hasattr(Book.objects.all(), "acall")
    assert not hasattr(Book.objects.filter(title="x"), "call")


# --- names and methods -----------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "",
        ".",
        "..",
        "a/b",
        "/publish",
        "publish/",
        "../books",
        "a..b",
        "x?y=1",
        "x#y",
        "a%2F",
        "a\\b",
        "a b",
        "a\nb",
        "a\x00",
    ],
)
async def test_bad_action_names_are_refused(api: respx.MockRouter, name: str) -> None:
    """Refuses a name that is not one plain path segment, before any request."""
    with pytest.raises(ValueError, match="Invalid action name"):
        await Book.from_api(book(3)).acall(name, method="POST")
    with pytest.raises(ValueError, match="Invalid action name"):
        await Book.objects.acall(name)
    assert not api.calls


async def test_odd_but_harmless_names_are_percent_encoded(api: respx.MockRouter) -> None:
    """Percent-encodes a name's other characters into the one segment."""
    api.get(url__regex=r".*").respond(json={})
    await Book.objects.acall("top-10_books.v2")
    await Book.objects.acall("café;x")
    assert sent(api) == ["GET /api/books/top-10_books.v2/", "GET /api/books/caf%C3%A9%3Bx/"]


async def test_name_must_be_a_string(api: respx.MockRouter) -> None:
    with pytest.raises(TypeError, match="str"):
        await Book.objects.acall(3)  # type: ignore[arg-type]


async def test_bad_method_and_body_on_get_are_refused(api: respx.MockRouter) -> None:
    """Refuses an unknown method, and a body on GET (a server would ignore it)."""
    with pytest.raises(ValueError, match="Invalid action method 'FETCH'"):
        await Book.objects.acall("recent", method="FETCH")
    with pytest.raises(ValueError, match="GET action sends no body"):
        await Book.from_api(book(3)).acall("stats", data={"x": 1})
    assert not api.calls


# --- errors ----------------------------------------------------------------------------


async def test_400_is_a_bad_request_with_the_dialects_messages(api: respx.MockRouter) -> None:
    """Raises BadRequestError (a ValidationError) with DRF's field messages."""
    api.post("books/3/publish/").respond(
        400, json={"published": ["Enter a valid date."], "non_field_errors": ["Too late."]}
    )
    with pytest.raises(BadRequestError) as caught:
        await Book.from_api(book(3)).acall("publish", method="POST", data={"published": "x"})
    assert isinstance(caught.value, ValidationError)
    assert caught.value.message_dict == {
        "published": ["Enter a valid date."],
        "__all__": ["Too late."],
    }


@pytest.mark.parametrize(
    ("status", "error"), [(403, PermissionDeniedError), (404, NotFoundError), (500, ServerError)]
)
async def test_error_statuses_raise_the_packages_exceptions(
    api: respx.MockRouter, status: int, error: type[Exception]
) -> None:
    """Raises the client's exception of each status, naming the method and URL."""
    api.post("books/3/publish/").respond(status, json={"detail": "no"})
    with pytest.raises(error, match=r"POST .*books/3/publish/"):
        await Book.from_api(book(3)).acall("publish", method="POST")


async def test_post_is_not_retried(api: respx.MockRouter) -> None:
    """Sends a failing POST once, even with retries configured (the client's policy)."""
    route = api.post("books/3/publish/").respond(503)
    route_get = api.get("books/3/stats/").mock(
        side_effect=[httpx.Response(503), httpx.Response(200, json={"ok": True})]
    )
    with configured(locmem_caches(), default=service(MAX_RETRIES=2)):
        with pytest.raises(ServerError):
            await Book.from_api(book(3)).acall("publish", method="POST")
        assert await Book.from_api(book(3)).acall("stats") == {"ok": True}
    assert route.call_count == 1
    assert route_get.call_count == 2


# --- the cache -------------------------------------------------------------------------


async def test_post_action_invalidates_cached_reads(api: respx.MockRouter) -> None:
    """Sends aget() again after a POST action (even a failed one); a GET action does not."""
    detail = api.get("books/3/").respond(json=book(3))
    api.get("books/recent/").respond(json=[])
    api.post("books/3/publish/").mock(
        side_effect=[httpx.Response(200, json=book(3)), httpx.Response(500)]
    )
    with configured(locmem_caches(), default=service(CACHE={"TIMEOUT": 60})):
        obj = await Book.objects.aget(pk=3)
        await Book.objects.aget(pk=3)
        assert detail.call_count == 1
        await Book.objects.acall("recent")  # a read: the cache stays
        await Book.objects.aget(pk=3)
        assert detail.call_count == 1
        await obj.acall("publish", method="POST")
        await Book.objects.aget(pk=3)
        assert detail.call_count == 2
        with pytest.raises(ServerError):
            await obj.acall("publish", method="POST")
        await Book.objects.aget(pk=3)
        assert detail.call_count == 3


async def test_get_action_is_never_cached(api: respx.MockRouter) -> None:
    """Sends every GET action: an action's answer is not the model's cached list."""
    route = api.get("books/recent/").respond(json=[])
    with configured(locmem_caches(), default=service(CACHE={"TIMEOUT": 60})):
        await Book.objects.acall("recent")
        await Book.objects.acall("recent")
    assert route.call_count == 2


# --- sync twins and the dialect hook -----------------------------------------------------


def test_sync_twins(api: respx.MockRouter) -> None:
    """Runs call() on an instance and on the manager from sync code."""
    api.post("books/3/publish/").respond(json=book(3, title="P"))
    api.get("books/recent/").respond(json=[book(1)])
    published = Book.from_api(book(3)).call("publish", method="POST", as_instances=True)
    assert isinstance(published, Book)
    assert published.title == "P"
    assert Book.objects.call("recent") == [book(1)]
    assert sent(api) == ["POST /api/books/3/publish/", "GET /api/books/recent/"]


async def test_sync_twin_in_async_code_names_the_async_method() -> None:
    """Raises the sync-twin error naming acall() when called inside an event loop."""
    with pytest.raises(SynchronousOnlyOperation, match=r"acall\(\)"):
        Book.objects.call("recent")
    with pytest.raises(SynchronousOnlyOperation, match=r"acall\(\)"):
        Book.from_api(book(3)).call("publish", method="POST")


def test_default_action_path() -> None:
    """Builds {base}{name}/ (DRF's and NetBox's routers), or {base}/{name} without slash."""
    dialect = BaseDialect()
    opts = Book._meta
    assert dialect.action_path(opts, "books/3/", "publish") == "books/3/publish/"
    assert dialect.action_path(opts, "books/", "recent") == "books/recent/"
    assert dialect.action_path(opts, "shelves", "full") == "shelves/full"


def api_url() -> str:
    return "https://api.example.test/api/"
