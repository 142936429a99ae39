"""Lists that page wrongly, served by a real server (``hostile_server.py``).

Each list would make a naive walker hang, repeat or skip rows, or return the
wrong slice. The library must return exactly the rows Django's slicing gives a
list of the same rows, or raise ``InvalidResponseError`` saying why, after a
bounded number of requests, in async code and in the sync twins alike. Queryset
``update()``/``delete()`` read the whole list before they write anything.
"""

from __future__ import annotations

import pytest

from django_api_orm import InvalidResponseError
from tests.pagination.conftest import LinkService
from tests.pagination.models import (
    ClampedRow,
    DefaultSizeRow,
    EndlessRow,
    GhostItem,
    Item,
    LimitOffsetClampedRow,
    OverflowRow,
    PingPongRow,
    Row,
    SameRowsRow,
    SelfNextRow,
    ShrinkingRow,
    WrongTypesRow,
)

ALL = list(range(1, 26))  # the 25 rows every honest list holds
SLICES = [
    (0, 3),
    (3, 4),
    (7, 8),
    (9, 20),
    (10, 20),
    (12, 15),
    (19, 21),
    (20, 25),
    (24, 30),
    (25, 26),
    (30, 40),
    (0, None),
    (5, None),
    (12, None),
]


async def pks(queryset: object) -> list[int]:
    return [row.pk async for row in queryset]  # type: ignore[attr-defined]


def lists(service: LinkService) -> list[str]:
    return [r for r in service.requests() if r.startswith("GET ")]


@pytest.mark.parametrize("model", [DefaultSizeRow, ClampedRow, LimitOffsetClampedRow, Item])
async def test_every_slice_is_djangos(hostile: LinkService, model: type[Row]) -> None:
    """A server that ignores or clamps the page size still gives each slice its rows."""
    for low, high in SLICES:
        got = await pks(model.objects.order_by("id")[low:high])
        assert got == ALL[low:high], (model.__name__, low, high, hostile.requests()[-6:])
    assert (await model.objects.order_by("id")[13:14].aget()).pk == 14
    assert await model.objects.acount() == 25


@pytest.mark.parametrize("model", [DefaultSizeRow, ClampedRow, LimitOffsetClampedRow])
async def test_prefetching_iterator_reads_every_row_once(
    hostile: LinkService, model: type[Row]
) -> None:
    """Pages asked ahead are not planned from a size the server did not honour."""
    rows = [r.pk async for r in model.objects.order_by("id").aiterator(chunk_size=4, prefetch=3)]
    assert rows == ALL


async def test_default_size_slice_finds_the_servers_own_page(hostile: LinkService) -> None:
    """[23:24] asks page 24 of one row; the server ignores the size, so that page does
    not exist. Its first page, asked for one row, sends 10: row 24 is on its page 3."""
    assert await pks(DefaultSizeRow.objects.all()[23:24]) == [24]
    assert await pks(DefaultSizeRow.objects.all()[3:4]) == [4]  # on the first page itself
    assert await pks(Item.objects.all()[30:31]) == []  # past the end of an honest list
    api = f"GET /{hostile.key}/api"
    assert lists(hostile) == [
        f"{api}/default-size/?page=24&page_size=1",
        f"{api}/default-size/?page_size=1",
        f"{api}/default-size/?page=3&page_size=10",
        f"{api}/default-size/?page=4&page_size=1",
        f"{api}/default-size/?page_size=1",
        f"{api}/items/?page=31&page_size=1",
        f"{api}/items/?page_size=1",  # one row and count=25: row 30 is past the end
    ]


async def test_next_to_its_own_url_is_not_followed(hostile: LinkService) -> None:
    """A page whose next link is its own URL raises after one request, not a loop."""
    with pytest.raises(InvalidResponseError, match="leads back to a page already read"):
        await pks(SelfNextRow.objects.all())
    assert len(lists(hostile)) == 1
    # A slice within the first page needs no next link.
    assert await pks(SelfNextRow.objects.all()[:3]) == [1, 2, 3]
    with pytest.raises(InvalidResponseError, match="leads back to a page already read"):
        await pks(SelfNextRow.objects.all()[:15])


async def test_pages_linking_in_a_circle_end(hostile: LinkService) -> None:
    """Page 1 → page 2 → page 1: raises once a row would come twice."""
    with pytest.raises(InvalidResponseError, match="GET ping-pong/"):
        await pks(PingPongRow.objects.all())
    assert len(lists(hostile)) <= 3


async def test_a_page_repeating_the_rows_before_it_raises(hostile: LinkService) -> None:
    """New links, same rows: raises at the second page, naming the repeated rows."""
    with pytest.raises(InvalidResponseError, match=r"page 2 repeats rows .*\(1, 10, 2, 3, 4\)"):
        await pks(SameRowsRow.objects.all())
    assert len(lists(hostile)) == 2


async def test_more_rows_than_the_count_raises(hostile: LinkService) -> None:
    """count=25 and a third page of new rows: raises at row 30, not after 60 pages."""
    with pytest.raises(InvalidResponseError, match=r"more rows \(30\) than the count .*\(25\)"):
        await pks(OverflowRow.objects.all())
    assert len(lists(hostile)) == 3


async def test_a_list_that_never_ends_stops_at_max_pages(hostile: LinkService) -> None:
    """No count, new rows and links forever: PAGINATION['MAX_PAGES'] (20 here) ends it."""
    with pytest.raises(InvalidResponseError, match=r"more than 20 pages .*MAX_PAGES"):
        await pks(EndlessRow.objects.all())
    assert len(lists(hostile)) == 21


async def test_a_count_that_changes_mid_walk_raises(hostile: LinkService) -> None:
    """A row deleted by someone else between pages shifts the rest: some would be skipped."""
    with pytest.raises(InvalidResponseError, match=r"changed while it was read.*count=24.*=25"):
        await pks(ShrinkingRow.objects.all())


async def test_delete_reads_the_whole_list_before_deleting(hostile: LinkService) -> None:
    """The list changing while it is read: nothing is deleted, and the error says why."""
    with pytest.raises(InvalidResponseError, match="changed while it was read"):
        await ShrinkingRow.objects.all().adelete()
    with pytest.raises(InvalidResponseError, match="changed while it was read"):
        await ShrinkingRow.objects.aupdate(title="x")
    assert not [r for r in hostile.requests() if not r.startswith("GET ")]


async def test_delete_of_every_row_skips_none(hostile: LinkService) -> None:
    """Deleting 25 rows paged by offset deletes each one (none skipped by shifting pages)."""
    assert await Item.objects.all().adelete() == (25, {"pagination_tests.Item": 25})
    deleted = sorted(int(r.split("/")[-2]) for r in hostile.requests() if r.startswith("DELETE"))
    assert deleted == ALL
    assert await Item.objects.acount() == 0


async def test_a_row_already_gone_counts_as_deleted(hostile: LinkService) -> None:
    """Row 3 is listed but its DELETE answers 404: deleted by someone else, so counted."""
    assert await GhostItem.objects.all().adelete() == (5, {"pagination_tests.GhostItem": 5})
    assert len([r for r in hostile.requests() if r.startswith("DELETE")]) == 5


async def test_update_counts_the_rows_it_changed(hostile: LinkService) -> None:
    """Row 3's PATCH answers 404: four rows were changed, and update() says four."""
    assert await GhostItem.objects.aupdate(title="x") == 4
    assert len([r for r in hostile.requests() if r.startswith("PATCH")]) == 5


def test_sync_twins_end_too(hostile: LinkService) -> None:
    """The sync twins raise the same errors, and a failed walk writes nothing."""
    with pytest.raises(InvalidResponseError, match="leads back to a page already read"):
        list(SelfNextRow.objects.all())
    with pytest.raises(InvalidResponseError, match="repeats rows"):
        SameRowsRow.objects.update(title="x")
    with pytest.raises(InvalidResponseError, match="more than 20 pages"):
        EndlessRow.objects.all().delete()
    assert not [r for r in hostile.requests() if not r.startswith("GET ")]


async def test_values_of_the_wrong_json_type_raise_when_read(hostile: LinkService) -> None:
    """A number for a CharField, a string for an integer id: each raises when read,
    naming the model, the field and the value; the other values read as usual."""
    first, second = [row async for row in WrongTypesRow.objects.all()]
    assert first.pk == 1
    with pytest.raises(InvalidResponseError, match=r"WrongTypesRow\.title.*5"):
        first.title  # noqa: B018
    assert second.title == "Row 2"
    with pytest.raises(InvalidResponseError, match=r"WrongTypesRow\.id.*'2'"):
        second.pk  # noqa: B018
