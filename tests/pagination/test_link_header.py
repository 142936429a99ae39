"""The ``link_header`` style: bare JSON arrays, ``Link: <...>; rel="next"``, ``X-Total-Count``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx
import pytest
import respx

from django_api_orm import InvalidResponseError
from django_api_orm.pagination import LinkHeader, get_style
from tests.models.conftest import API
from tests.pagination.models import Ticket

TICKETS = f"{API}tickets/"

Answer = Callable[[httpx.Request], httpx.Response]


def rows(*pks: int) -> list[dict[str, Any]]:
    """Return ticket rows as the provider serialises them."""
    return [{"id": pk, "title": f"Ticket {pk}"} for pk in pks]


def by_page(answers: Mapping[int, httpx.Response]) -> Answer:
    """Answer each request with the response for its ``page`` parameter (1 when absent)."""

    def answer(request: httpx.Request) -> httpx.Response:
        return answers[int(request.url.params.get("page", "1"))]

    return answer


def paths(mock: respx.MockRouter) -> list[str]:
    """Return the path and query string of every request sent, in order."""
    return [call.request.url.raw_path.decode() for call in mock.calls]


def test_link_header_is_a_registered_style() -> None:
    """Registers LinkHeader under 'link_header', reporting a count and not positional."""
    assert get_style("link_header") is LinkHeader
    assert LinkHeader.reports_count and not LinkHeader.positional


async def test_listing_follows_next_among_several_link_values(api: respx.MockRouter) -> None:
    """Follows the rel="next" target of headers that also carry first, prev and last links."""
    api.get("tickets/").mock(
        side_effect=by_page(
            {
                1: httpx.Response(
                    200,
                    json=rows(1, 2, 3),
                    headers={
                        "Link": f'<{TICKETS}?per_page=3&page=2>; rel="next", '
                        f'<{TICKETS}?per_page=3&page=3>; rel="last"'
                    },
                ),
                2: httpx.Response(
                    200,
                    json=rows(4, 5, 6),
                    headers={
                        "Link": f'<{TICKETS}?per_page=3&page=1>; rel="prev", '
                        f'<{TICKETS}?per_page=3&page=3>; rel="next", '
                        f'<{TICKETS}?per_page=3&page=3>; rel="last", '
                        f'<{TICKETS}?per_page=3&page=1>; rel="first"'
                    },
                ),
                3: httpx.Response(
                    200,
                    json=rows(7),
                    headers={
                        "Link": f'<{TICKETS}?per_page=3&page=2>; rel="prev", '
                        f'<{TICKETS}?per_page=3&page=1>; rel="first"'
                    },
                ),
            }
        )
    )
    assert [t.pk async for t in Ticket.objects.all()] == [1, 2, 3, 4, 5, 6, 7]
    assert paths(api) == [
        "/api/tickets/?per_page=3",
        "/api/tickets/?per_page=3&page=2",
        "/api/tickets/?per_page=3&page=3",
    ]


async def test_unquoted_rel_and_a_rel_of_several_types_are_followed(
    api: respx.MockRouter,
) -> None:
    """Follows rel=next written without quotes, and rel="next last" naming two relations."""
    api.get("tickets/").mock(
        side_effect=by_page(
            {
                1: httpx.Response(
                    200, json=rows(1, 2, 3), headers={"Link": f"<{TICKETS}?page=2>; rel=next"}
                ),
                2: httpx.Response(
                    200,
                    json=rows(4, 5, 6),
                    headers={"Link": f'<{TICKETS}?page=3>; rel="next last"'},
                ),
                3: httpx.Response(200, json=rows(7)),
            }
        )
    )
    assert [t.pk async for t in Ticket.objects.all()] == [1, 2, 3, 4, 5, 6, 7]
    assert paths(api)[1:] == ["/api/tickets/?page=2", "/api/tickets/?page=3"]


async def test_links_of_other_relations_are_not_followed(api: respx.MockRouter) -> None:
    """Stops after one page whose Link header has prev, last and next-like relations only."""
    api.get("tickets/").respond(
        json=rows(1, 2, 3),
        headers={
            "Link": f'<{TICKETS}?page=9>; rel="last", <{TICKETS}?page=8>; rel="prev", '
            f'<{TICKETS}?page=7>; rel="nextpage", <{TICKETS}?page=6>; rel="prefetch"'
        },
    )
    assert [t.pk async for t in Ticket.objects.all()] == [1, 2, 3]
    assert paths(api) == ["/api/tickets/?per_page=3"]


async def test_a_page_without_link_header_is_the_last(api: respx.MockRouter) -> None:
    """Stops at the first page when the answer has no Link header at all."""
    api.get("tickets/").respond(json=rows(1, 2, 3))
    assert [t.pk async for t in Ticket.objects.all()] == [1, 2, 3]
    assert len(api.calls) == 1


async def test_filters_and_size_are_sent_on_the_first_page(api: respx.MockRouter) -> None:
    """Sends the filters and per_page on the first request, and no page parameter."""
    api.get("tickets/").respond(json=rows(4))
    assert [t.pk async for t in Ticket.objects.filter(title="Ticket 4")] == [4]
    assert paths(api) == ["/api/tickets/?title=Ticket%204&per_page=3"]


async def test_count_reads_x_total_count_from_a_page_of_one(api: respx.MockRouter) -> None:
    """Counts with one request of per_page=1, reading the X-Total-Count header."""
    api.get("tickets/").respond(
        json=rows(1),
        headers={"X-Total-Count": "42", "Link": f'<{TICKETS}?per_page=1&page=2>; rel="next"'},
    )
    assert await Ticket.objects.acount() == 42
    assert paths(api) == ["/api/tickets/?per_page=1"]


async def test_count_walks_the_pages_without_x_total_count(api: respx.MockRouter) -> None:
    """Counts every row through the next links when the server sends no X-Total-Count."""

    def answer(request: httpx.Request) -> httpx.Response:
        size = int(request.url.params["per_page"])
        page = int(request.url.params.get("page", "1"))
        pks = list(range(1, 8))[(page - 1) * size : page * size]
        more = page * size < 7
        link = f'<{TICKETS}?per_page={size}&page={page + 1}>; rel="next"' if more else None
        return httpx.Response(200, json=rows(*pks), headers={"Link": link} if link else {})

    api.get("tickets/").mock(side_effect=answer)
    assert await Ticket.objects.acount() == 7
    assert paths(api) == [
        "/api/tickets/?per_page=1",
        "/api/tickets/?per_page=3",
        "/api/tickets/?per_page=3&page=2",
        "/api/tickets/?per_page=3&page=3",
    ]


async def test_slice_walks_to_its_end_and_no_further(api: respx.MockRouter) -> None:
    """Returns rows [5:8] from the first three pages of three, without asking for a fourth."""

    def answer(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        start = (page - 1) * 3
        link = f'<{TICKETS}?per_page=3&page={page + 1}>; rel="next"'
        return httpx.Response(
            200, json=rows(start + 1, start + 2, start + 3), headers={"Link": link}
        )

    api.get("tickets/").mock(side_effect=answer)
    assert [t.pk async for t in Ticket.objects.all()[5:8]] == [6, 7, 8]
    assert paths(api) == [
        "/api/tickets/?per_page=3",
        "/api/tickets/?per_page=3&page=2",
        "/api/tickets/?per_page=3&page=3",
    ]


async def test_next_on_another_origin_is_refused(api: respx.MockRouter) -> None:
    """Raises InvalidResponseError for a next link on another host and sends nothing there."""
    api.get("tickets/").respond(
        json=rows(1, 2, 3),
        headers={"Link": '<https://evil.test/api/tickets/?per_page=3&page=2>; rel="next"'},
    )
    with pytest.raises(InvalidResponseError, match=r"another origin \(https://evil\.test\)"):
        [t async for t in Ticket.objects.all()]
    # Anything sent to evil.test would have raised respx's "not mocked" error instead.
    assert paths(api) == ["/api/tickets/?per_page=3"]


async def test_next_on_another_port_is_refused(api: respx.MockRouter) -> None:
    """Treats the same host on another port as another origin."""
    api.get("tickets/").respond(
        json=rows(1, 2, 3),
        headers={"Link": '<https://api.example.test:8443/api/tickets/?page=2>; rel="next"'},
    )
    with pytest.raises(InvalidResponseError, match="another origin"):
        await Ticket.objects.acount()
    assert len(api.calls) == 2  # the page of one, then the walk's first page


@pytest.mark.parametrize(
    ("body", "shape"),
    [
        ({"results": rows(1)}, "an object with keys results"),
        ({}, "an object with keys none"),
        (None, "a NoneType"),
        ("tickets", "a str"),
    ],
)
async def test_a_body_that_is_not_an_array_raises(
    api: respx.MockRouter, body: Any, shape: str
) -> None:
    """Raises InvalidResponseError naming the link_header style and the shape received."""
    api.get("tickets/").respond(json=body)
    with pytest.raises(InvalidResponseError) as info:
        await Ticket.objects.afirst()
    message = str(info.value)
    assert "GET tickets/: expected a JSON array (PAGINATION STYLE 'link_header')" in message
    assert shape in message


@pytest.mark.parametrize("total", ["many", "-1", "1e3", "4.0", "", "3, 3", "²"])
async def test_a_total_that_is_not_a_count_raises(api: respx.MockRouter, total: str) -> None:
    """Raises InvalidResponseError naming X-Total-Count for a value that is not a count."""
    api.get("tickets/").respond(json=rows(1), headers=[(b"X-Total-Count", total.encode("utf-8"))])
    with pytest.raises(InvalidResponseError, match="the X-Total-Count header is not a count"):
        await Ticket.objects.acount()


async def test_total_with_surrounding_spaces_is_read(api: respx.MockRouter) -> None:
    """Reads an X-Total-Count padded with whitespace as its number."""
    api.get("tickets/").respond(json=rows(1), headers={"X-Total-Count": " 12 "})
    assert await Ticket.objects.acount() == 12


async def test_first_and_exists_ask_for_one_row(api: respx.MockRouter) -> None:
    """Sends per_page=1 for afirst() and aexists(), as every other paged style does."""
    api.get("tickets/").respond(json=rows(1))
    assert (await Ticket.objects.afirst()) is not None
    assert await Ticket.objects.aexists()
    assert paths(api) == ["/api/tickets/?ordering=id&per_page=1", "/api/tickets/?per_page=1"]


async def test_get_by_filter_asks_for_two_rows(api: respx.MockRouter) -> None:
    """Sends per_page=2 for aget() by a filter, enough to see a second match."""
    api.get("tickets/").respond(json=rows(4))
    assert (await Ticket.objects.aget(title="Ticket 4")).pk == 4
    assert paths(api) == ["/api/tickets/?title=Ticket%204&per_page=2"]


async def test_aiterator_pages_by_its_chunk_size(api: respx.MockRouter) -> None:
    """Streams with per_page set to chunk_size, following next, caching nothing."""
    api.get("tickets/").mock(
        side_effect=by_page(
            {
                1: httpx.Response(
                    200,
                    json=rows(1, 2),
                    headers={"Link": f'<{TICKETS}?per_page=2&page=2>; rel="next"'},
                ),
                2: httpx.Response(200, json=rows(3)),
            }
        )
    )
    qs = Ticket.objects.all()
    assert [t.pk async for t in qs.aiterator(chunk_size=2)] == [1, 2, 3]
    assert paths(api) == ["/api/tickets/?per_page=2", "/api/tickets/?per_page=2&page=2"]


def repeating(link: str, *, limit: int = 5) -> Answer:
    """Answer every request with a full page of new rows whose Link is ``link``, up to
    ``limit`` times.

    The limit keeps a walker that never stops from running forever: after it, the
    answer has no Link. The rows differ from page to page, so only the link repeats.
    """
    calls = 0

    def answer(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        headers = {"Link": link} if calls < limit else {}
        return httpx.Response(200, json=rows(*range(3 * calls - 2, 3 * calls + 1)), headers=headers)

    return answer


async def test_next_without_a_query_string_is_refused(api: respx.MockRouter) -> None:
    """Raises InvalidResponseError for a path-style next link instead of reading page 1 again."""
    api.get("tickets/").mock(side_effect=repeating(f'<{API}tickets/page/2/>; rel="next"'))
    with pytest.raises(InvalidResponseError, match="'next' link has no query string"):
        [t async for t in Ticket.objects.all()]
    assert paths(api) == ["/api/tickets/?per_page=3"]


async def test_next_back_to_a_page_already_read_is_refused(api: respx.MockRouter) -> None:
    """Raises InvalidResponseError when a next link repeats one already followed."""
    api.get("tickets/").mock(side_effect=repeating(f'<{TICKETS}?per_page=3&page=2>; rel="next"'))
    with pytest.raises(InvalidResponseError, match="leads back to a page already read"):
        await Ticket.objects.acount()
    assert paths(api) == [
        "/api/tickets/?per_page=1",
        "/api/tickets/?per_page=3",
        "/api/tickets/?per_page=3&page=2",
    ]
