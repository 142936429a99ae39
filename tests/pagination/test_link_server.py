"""``link_header`` against a real HTTP server paging as GitHub does (``link_server.py``).

Every request the server received is read back and compared, so each test pins
how many requests a call costs as well as what they were.
"""

from __future__ import annotations

import pytest

from tests.pagination.conftest import LinkService
from tests.pagination.models import Issue, UncountedIssue

ALL = list(range(1, 24))


def sent(service: LinkService, endpoint: str, *queries: str) -> list[str]:
    """Return the requests ``queries`` make to ``endpoint`` of the test's key."""
    path = f"/{service.key}/api/{endpoint}"
    return [f"{path}?{query}" for query in queries]


async def test_full_listing_follows_every_next_link(link_service: LinkService) -> None:
    """Lists 23 issues in three requests, following the absolute next links on the origin."""
    assert [issue.pk async for issue in Issue.objects.all()] == ALL
    assert link_service.requests() == sent(
        link_service, "issues/", "per_page=10", "per_page=10&page=2", "per_page=10&page=3"
    )


async def test_filtered_listing_keeps_its_filter_on_every_page(link_service: LinkService) -> None:
    """Sends the filter on the first page; the server's next links carry it on."""
    titles = [issue.title async for issue in Issue.objects.filter(state="open")]
    assert len(titles) == 18 and "Issue 4" not in titles
    assert link_service.requests() == sent(
        link_service,
        "issues/",
        "state=open&per_page=10",
        "state=open&per_page=10&page=2",
    )


async def test_count_reads_x_total_count_in_one_request(link_service: LinkService) -> None:
    """Counts with one request of one row, the total read from X-Total-Count."""
    assert await Issue.objects.acount() == 23
    assert await Issue.objects.filter(state="closed").acount() == 5
    assert link_service.requests() == sent(
        link_service, "issues/", "per_page=1", "state=closed&per_page=1"
    )


async def test_count_without_x_total_count_walks_the_pages(link_service: LinkService) -> None:
    """Counts by walking every page when the server sends no X-Total-Count."""
    assert await UncountedIssue.objects.acount() == 23
    assert link_service.requests() == sent(
        link_service,
        "issues-uncounted/",
        "per_page=1",
        "per_page=10",
        "per_page=10&page=2",
        "per_page=10&page=3",
    )


async def test_slices_read_only_the_pages_up_to_their_end(link_service: LinkService) -> None:
    """Reads [5:8] from one page of 8 rows, and [12:15] from the first two pages of 10."""
    assert [issue.pk async for issue in Issue.objects.all()[5:8]] == [6, 7, 8]
    assert [issue.pk async for issue in Issue.objects.all()[12:15]] == [13, 14, 15]
    assert link_service.requests() == sent(
        link_service, "issues/", "per_page=8", "per_page=10", "per_page=10&page=2"
    )


async def test_first_and_exists_ask_for_one_row(link_service: LinkService) -> None:
    """Sends one request of one row for afirst() and for aexists()."""
    first = await Issue.objects.afirst()
    assert first is not None and first.pk == 1
    assert not await Issue.objects.filter(state="merged").aexists()
    assert link_service.requests() == sent(
        link_service, "issues/", "ordering=id&per_page=1", "state=merged&per_page=1"
    )


async def test_aiterator_streams_pages_of_its_chunk_size(link_service: LinkService) -> None:
    """Streams 23 issues in four requests of per_page=7, in order."""
    assert [issue.pk async for issue in Issue.objects.aiterator(chunk_size=7)] == ALL
    assert link_service.requests() == sent(
        link_service,
        "issues/",
        "per_page=7",
        "per_page=7&page=2",
        "per_page=7&page=3",
        "per_page=7&page=4",
    )


async def test_aiterator_is_lazy_between_pages(link_service: LinkService) -> None:
    """Asks for the next page only once the rows of the previous one are consumed."""
    stream = Issue.objects.aiterator(chunk_size=10)
    assert [(await anext(stream)).pk for _ in range(10)] == list(range(1, 11))
    assert len(link_service.requests()) == 1
    assert (await anext(stream)).pk == 11
    assert len(link_service.requests()) == 2
    await stream.aclose()


def test_sync_twins_page_the_same_way(link_service: LinkService) -> None:
    """Counts and slices from sync code with the same requests as the async methods."""
    assert Issue.objects.count() == 23
    assert [issue.pk for issue in Issue.objects.all()[20:]] == [21, 22, 23]
    assert link_service.requests() == sent(
        link_service,
        "issues/",
        "per_page=1",
        "per_page=10",
        "per_page=10&page=2",
        "per_page=10&page=3",
    )


async def test_get_by_filter_reads_two_rows(link_service: LinkService) -> None:
    """Raises MultipleObjectsReturned from one request of two rows."""
    with pytest.raises(Issue.MultipleObjectsReturned):
        await Issue.objects.aget(state="closed")
    assert link_service.requests() == sent(link_service, "issues/", "state=closed&per_page=2")
