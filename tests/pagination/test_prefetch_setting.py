"""``PAGINATION["PREFETCH"]``: pages requested ahead without a ``prefetch=`` argument.

A respx server with latency answers 25 books, 5 a page (pages 1 to 5). It records
the page number of each request as it arrives and how many are in flight at
once, so each test can tell how far ahead of the consumer the walk reads.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx
from django.test import override_settings

from django_api_orm import InvalidResponseError, RemoteModel, fields
from tests.models.conftest import API, book
from tests.testapp.models import Book

ALL = list(range(1, 26))
SIZE = 5
MARK = "prefetch-test-row"


class PrefetchedBook(RemoteModel):
    """A model whose own Meta.pagination asks for two pages ahead."""

    title = fields.CharField()

    class Meta:
        app_label = "pagination_tests"
        endpoint = "books/"
        filter_fields = {"title": ["exact"]}
        ordering_fields = ["id"]
        pagination = {"PAGE_SIZE": SIZE, "PREFETCH": 2}


class CursorPagedBook(RemoteModel):
    """The same list read through ``next`` only (a cursor style cannot plan pages)."""

    title = fields.CharField()

    class Meta:
        app_label = "pagination_tests"
        endpoint = "books/"
        filter_fields = {"title": ["exact"]}
        ordering_fields = ["id"]
        pagination = {"STYLE": "cursor", "PAGE_SIZE": SIZE}


class Server:
    """Answer ``books/`` page by page, slowly, remembering what was asked and when."""

    def __init__(self, *, count: bool = True, link_key: str = "page", delay: float = 0.01) -> None:
        self.count = count
        self.link_key = link_key  # "cursor": the next link carries an opaque cursor
        self.delay = delay
        self.requested: list[int] = []  # page numbers, in the order they arrived
        self.in_flight = 0
        self.most_in_flight = 0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        size = int(params["page_size"])
        number = int(params.get(self.link_key, "1"))
        self.requested.append(number)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay)  # a provider far away
        finally:
            self.in_flight -= 1
        rows = [book(pk, title=MARK) for pk in ALL[(number - 1) * size : number * size]]
        more = number * size < len(ALL)
        body: dict[str, Any] = {
            "next": f"{API}books/?{self.link_key}={number + 1}&page_size={size}" if more else None,
            "previous": None,
            "results": rows,
        }
        if self.count:
            body["count"] = len(ALL)
        return httpx.Response(200, json=body)


def services(**pagination: Any) -> dict[str, Any]:
    """API_ORM_SERVICES with the respx service paging 5 books a page, and ``pagination``."""
    return {
        "default": {
            "BASE_URL": API,
            "MAX_RETRIES": 0,
            "PAGINATION": {"PAGE_SIZE": SIZE, **pagination},
        }
    }


@pytest.fixture
def server(api: respx.MockRouter) -> Server:
    served = Server()
    api.get("books/").mock(side_effect=served)
    return served


@pytest.fixture
def prefetch_3() -> Iterator[None]:
    with override_settings(API_ORM_SERVICES=services(PREFETCH=3)):
        yield


async def pages_seen(server: Server, queryset: Any, **kwargs: Any) -> dict[int, list[int]]:
    """Iterate ``queryset.aiterator(**kwargs)``; return, for each page the consumer
    reached, the pages requested by the time its first row had been handled (the
    consumer yields to the event loop there, as one awaiting something would)."""
    seen: dict[int, list[int]] = {}
    pks = []
    async for obj in queryset.aiterator(**kwargs):
        pks.append(obj.pk)
        if (obj.pk - 1) % SIZE == 0:
            await asyncio.sleep(server.delay * 3)  # enough for every request sent to arrive
            seen[(obj.pk - 1) // SIZE + 1] = sorted(server.requested)
    assert pks == ALL
    assert sorted(server.requested) == [1, 2, 3, 4, 5]  # each page once
    return seen


async def test_the_key_requests_pages_ahead(server: Server, prefetch_3: None) -> None:
    """With PREFETCH=3, aiterator() reads 3 pages ahead of the page being consumed, and no
    further: pages 2-4 are asked for as soon as page 1 is done, page 5 once page 2 is."""
    seen = await pages_seen(server, Book.objects.all())
    assert seen == {
        1: [1],  # the first page tells whether (and how far) to plan ahead
        2: [1, 2, 3, 4, 5],
        3: [1, 2, 3, 4, 5],
        4: [1, 2, 3, 4, 5],
        5: [1, 2, 3, 4, 5],
    }
    assert server.most_in_flight == 3


async def test_the_window_never_holds_more_than_prefetch_plus_one_pages(server: Server) -> None:
    """PREFETCH=1: while page k is consumed, only page k + 1 is asked for ahead of it."""
    with override_settings(API_ORM_SERVICES=services(PREFETCH=1)):
        seen = await pages_seen(server, Book.objects.all())
    assert seen == {1: [1], 2: [1, 2, 3], 3: [1, 2, 3, 4], 4: [1, 2, 3, 4, 5], 5: [1, 2, 3, 4, 5]}
    assert server.most_in_flight == 1


async def test_without_the_key_one_page_at_a_time(server: Server) -> None:
    """PREFETCH defaults to 0: the next page is asked for only when the walk reaches it."""
    with override_settings(API_ORM_SERVICES=services()):
        seen = await pages_seen(server, Book.objects.all())
    assert seen == {1: [1], 2: [1, 2], 3: [1, 2, 3], 4: [1, 2, 3, 4], 5: [1, 2, 3, 4, 5]}
    assert server.most_in_flight == 1


async def test_prefetch_0_overrides_the_key(server: Server, prefetch_3: None) -> None:
    """An explicit prefetch=0 reads one page at a time although PREFETCH is 3."""
    seen = await pages_seen(server, Book.objects.all(), prefetch=0)
    assert seen == {1: [1], 2: [1, 2], 3: [1, 2, 3], 4: [1, 2, 3, 4], 5: [1, 2, 3, 4, 5]}
    assert server.most_in_flight == 1


async def test_an_explicit_prefetch_wins_over_the_key(server: Server, prefetch_3: None) -> None:
    """prefetch=1 reads one page ahead although PREFETCH is 3."""
    seen = await pages_seen(server, Book.objects.all(), prefetch=1)
    assert seen[2] == [1, 2, 3]
    assert server.most_in_flight == 1


def test_the_sync_iterator_honours_the_key(server: Server, prefetch_3: None) -> None:
    """iterator() (the sync twin) reads ahead too."""
    assert [b.pk for b in Book.objects.iterator()] == ALL
    assert server.most_in_flight == 3


async def test_meta_pagination_overrides_the_service(server: Server) -> None:
    """A model's Meta.pagination PREFETCH wins over the service's, whether 0 or more."""
    for service_prefetch in (0, 5):
        server.requested.clear()
        server.most_in_flight = 0
        with override_settings(API_ORM_SERVICES=services(PREFETCH=service_prefetch)):
            seen = await pages_seen(server, PrefetchedBook.objects.all())
        assert seen[2] == [1, 2, 3, 4], service_prefetch
        assert server.most_in_flight == 2


async def test_evaluating_a_queryset_honours_the_key(server: Server, prefetch_3: None) -> None:
    """async for over a queryset, and alist(), read ahead; the rows are the same."""
    assert [b.pk async for b in Book.objects.all()] == ALL
    assert server.most_in_flight == 3
    assert sorted(server.requested) == [1, 2, 3, 4, 5]
    server.most_in_flight = 0
    with override_settings(API_ORM_SERVICES=services()):
        assert [b.pk async for b in Book.objects.all()] == ALL
    assert server.most_in_flight == 1


def test_list_of_a_queryset_honours_the_key(server: Server, prefetch_3: None) -> None:
    """list(queryset) in sync code reads ahead too."""
    assert [b.pk for b in list(Book.objects.all())] == ALL
    assert server.most_in_flight == 3


async def test_a_slice_reads_only_its_own_pages(server: Server, prefetch_3: None) -> None:
    """A slice asks for the pages holding its rows and no others; a one-page read
    (afirst, aget, acount, a slice within a page) sends one request."""
    assert [b.pk async for b in Book.objects.all()[5:15]] == ALL[5:15]
    assert sorted(server.requested) == [2, 3]
    server.requested.clear()
    assert [b.pk async for b in Book.objects.all()[:3]] == [1, 2, 3]
    first = await Book.objects.afirst()
    assert first is not None and first.pk == 1
    assert await Book.objects.acount() == 25
    assert (await Book.objects.all()[7:8].aget()).pk == 8
    assert len(server.requested) == 4
    assert server.most_in_flight == 1


async def test_without_a_count_one_page_at_a_time(api: respx.MockRouter, prefetch_3: None) -> None:
    """A server that sends no count cannot be planned ahead: the walk follows next one
    page at a time, without an error, as an explicit prefetch= does."""
    served = Server(count=False)
    api.get("books/").mock(side_effect=served)
    seen = await pages_seen(served, Book.objects.all())
    assert seen[2] == [1, 2]
    assert [b.pk async for b in Book.objects.all()[:12]] == ALL[:12]
    assert served.most_in_flight == 1


async def test_a_cursor_style_walks_one_page_at_a_time(
    api: respx.MockRouter, prefetch_3: None
) -> None:
    """A cursor style (pages reachable only through next) ignores the key, without error."""
    served = Server(link_key="cursor")
    api.get("books/").mock(side_effect=served)
    seen = await pages_seen(served, CursorPagedBook.objects.all())
    assert seen[2] == [1, 2]
    assert [b.pk async for b in CursorPagedBook.objects.all()] == ALL
    assert served.most_in_flight == 1


async def test_no_page_past_max_pages_is_asked_for(server: Server) -> None:
    """MAX_PAGES=2 with PREFETCH=3: pages 1-3 are asked for, as through next, and the
    walk raises at the third; pages 4 and 5 never are."""
    with (
        override_settings(API_ORM_SERVICES=services(PREFETCH=3, MAX_PAGES=2)),
        pytest.raises(InvalidResponseError, match="more than 2 pages"),
    ):
        [b.pk async for b in Book.objects.aiterator()]
    assert sorted(server.requested) == [1, 2, 3]


def marked_rows() -> int:
    """Count the rows the server sent that are still alive somewhere."""
    gc.collect()
    return sum(
        1 for o in gc.get_objects() if type(o) is dict and o.get("title") == MARK and "id" in o
    )


async def test_the_walk_holds_at_most_prefetch_plus_one_pages(
    server: Server, prefetch_3: None
) -> None:
    """While page k is consumed, the rows alive are those of page k and of the 3 pages
    requested after it: the first page is not kept for the rest of the walk."""
    alive: dict[int, int] = {}
    async for obj in Book.objects.aiterator():
        if (obj.pk - 1) % SIZE == SIZE - 1:  # the last row of a page
            await asyncio.sleep(server.delay * 3)  # every page asked for has arrived
            alive[obj.pk // SIZE] = marked_rows()
        del obj
    assert alive[1] == SIZE  # nothing is asked ahead of the first page
    assert alive[2] == SIZE * 4  # pages 2, 3, 4 and 5
    assert alive[4] == SIZE * 2  # pages 4 and 5: pages 1-3 are gone
    assert alive[5] == SIZE
