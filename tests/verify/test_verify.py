"""Each list answer is checked against the filters sent: a contradicting row raises.

A provider that ignores a filter it does not know answers every row; the rows
then contradict the query, and the ORM raises instead of returning them. No
false alarms: text compares loosely, exclusions strictly, datetimes in any time
zone.
"""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx
from django.conf import settings
from django.test import override_settings

from django_api_orm import InvalidResponseError, Q
from django_api_orm.dialects.drf import DRFDialect
from tests.models.conftest import API, page
from tests.testapp.models import Author, Book
from tests.verify.models import Genre, Item, Nested, Shelf

UTC = datetime.UTC
KEY = uuid.UUID("12345678-1234-5678-1234-567812345678")


def item(pk: int, **extra: Any) -> dict[str, Any]:
    """Return an item row as a provider serialises it."""
    row: dict[str, Any] = {
        "id": pk,
        "name": f"Item {pk}",
        "size": 1.5,
        "price": "10.00",
        "active": True,
        "born": "2024-05-01",
        "seen": "2024-05-01T10:00:00Z",
        "opens": "09:00:00",
        "lasts": "01:00:00",
        "key": str(KEY),
        "status": "active",
        "tags": [],
        "genres": [],
        "shelf": 1,
        "data": {},
        "display_label": "label",
    }
    row.update(extra)
    return row


async def listed(api: respx.MockRouter, queryset: Any, *rows: dict[str, Any]) -> list[Any]:
    """Answer ``rows`` to any list request; return the pks the queryset yields."""
    api.get("items/").respond(json=page(list(rows)))
    return [obj.pk async for obj in queryset]


async def refused(api: respx.MockRouter, queryset: Any, *rows: dict[str, Any]) -> str:
    """Answer ``rows``; assert the queryset raises InvalidResponseError; return its message."""
    with pytest.raises(InvalidResponseError) as info:
        await listed(api, queryset, *rows)
    return str(info.value)


NAIVE = datetime.datetime(2024, 5, 1, 12, 0)
NOON = datetime.datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

#: (filter, values of a row that satisfies it, values of a row that contradicts it)
FILTERS: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = [
    ({"name": "Dune"}, {"name": "Dune"}, {"name": "Emma"}),
    ({"name__iexact": "DUNE"}, {"name": "dune"}, {"name": "Dunes"}),
    ({"name__contains": "un"}, {"name": "Dune"}, {"name": "Emma"}),
    ({"name__icontains": "UN"}, {"name": "Dune"}, {"name": "Emma"}),
    ({"name__startswith": "Du"}, {"name": "Dune"}, {"name": "Adun"}),
    ({"name__istartswith": "du"}, {"name": "Dune"}, {"name": "Adun"}),
    ({"name__endswith": "ne"}, {"name": "Dune"}, {"name": "Nemo"}),
    ({"name__iendswith": "NE"}, {"name": "Dune"}, {"name": "Nemo"}),
    ({"name__in": ["Dune", "Emma"]}, {"name": "Emma"}, {"name": "Ulysses"}),
    ({"name": "Dune"}, {"name": "Dune"}, {"name": None}),
    ({"id": 7}, {"id": 7}, {"id": 8}),
    ({"pk__in": [7, 9]}, {"id": 9}, {"id": 8}),
    ({"price": 10}, {"price": "10.00"}, {"price": "10.01"}),
    ({"price__gt": 10}, {"price": "10.01"}, {"price": "9.99"}),
    # A decimal may have been rounded to the places sent: 10.00 may be 10.004.
    ({"price__gt": 10}, {"price": "10.00"}, {"price": "9.99"}),
    ({"price__gte": 10}, {"price": "10.00"}, {"price": "9.99"}),
    ({"price__lt": 10}, {"price": "9.99"}, {"price": "10.01"}),
    ({"price__lte": 10}, {"price": "10"}, {"price": "10.01"}),
    ({"price__range": (5, 10)}, {"price": "5.00"}, {"price": "10.50"}),
    ({"price__gt": 10}, {"price": "11.00"}, {"price": None}),
    ({"size__gt": 1.5}, {"size": 1.6}, {"size": 1.4}),
    ({"size": 0.1}, {"size": 0.10000000149011612}, {"size": 0.2}),
    ({"active": False}, {"active": False}, {"active": True}),
    ({"born": datetime.date(2024, 5, 1)}, {"born": "2024-05-01"}, {"born": "2024-05-02"}),
    ({"born__gt": datetime.date(2020, 1, 1)}, {"born": "2020-01-02"}, {"born": "2020-01-01"}),
    ({"born__isnull": True}, {"born": None}, {"born": "2020-01-01"}),
    ({"born__isnull": False}, {"born": "2020-01-01"}, {"born": None}),
    ({"born__year": 2020}, {"born": "2020-12-31"}, {"born": "2021-01-01"}),
    ({"born__month": 2}, {"born": "2020-02-29"}, {"born": "2020-03-01"}),
    ({"born__day": 15}, {"born": "2020-02-15"}, {"born": "2020-02-16"}),
    ({"born__week_day": 1}, {"born": "2024-05-05"}, {"born": "2024-05-06"}),  # 1: Sunday
    ({"born__quarter": 2}, {"born": "2024-06-30"}, {"born": "2024-07-01"}),
    ({"seen__lt": NOON}, {"seen": "2024-05-01T11:59:59Z"}, {"seen": "2024-05-01T12:00:01Z"}),
    ({"seen": NOON}, {"seen": "2024-05-01T14:00:00+02:00"}, {"seen": "2024-05-01T12:00:05Z"}),
    # A database storing whole seconds rounds both sides: within a second may match.
    ({"seen": NOON}, {"seen": "2024-05-01T12:00:00.600Z"}, {"seen": "2024-05-01T11:59:58Z"}),
    # A datetime sent without an offset may be in any zone: 14 hours either way.
    ({"seen__gt": NOON}, {"seen": "2024-05-01T00:30:00"}, {"seen": "2024-04-30T21:00:00"}),
    # A date part of a datetime may be computed in any zone from -14h to +14h.
    (
        {"seen__date": datetime.date(2024, 5, 1)},
        {"seen": "2024-05-02T05:00:00Z"},
        {"seen": "2024-05-03T00:00:00Z"},
    ),
    ({"seen__year": 2024}, {"seen": "2023-12-31T20:00:00Z"}, {"seen": "2023-12-31T09:00:00Z"}),
    ({"seen__day": 2}, {"seen": "2024-05-01T23:00:00Z"}, {"seen": "2024-05-03T15:00:00Z"}),
    ({"seen__minute": 30}, {"seen": "2024-05-01T10:00:00Z"}, {"seen": "2024-05-01T10:10:00Z"}),
    ({"opens__gte": datetime.time(9)}, {"opens": "09:00:00"}, {"opens": "08:59:00"}),
    ({"lasts__lt": datetime.timedelta(hours=1)}, {"lasts": "00:59:00"}, {"lasts": "01:00:00"}),
    ({"key": KEY}, {"key": str(KEY).upper()}, {"key": str(uuid.UUID(int=1))}),
    ({"status": "retired"}, {"status": "retired"}, {"status": "active"}),
    ({"label": "x"}, {"display_label": "X"}, {"display_label": "y"}),
    # Foreign keys: the pk, bare or nested, read as the field reads it.
    ({"shelf": 3}, {"shelf": 3}, {"shelf": 4}),
    ({"shelf": 3}, {"shelf": {"id": 3, "name": "Top"}}, {"shelf": {"id": 4, "name": "Top"}}),
    ({"shelf__in": [1, 3]}, {"shelf": {"id": 3}}, {"shelf": 2}),
    ({"shelf__id": 3}, {"shelf": 3}, {"shelf": {"id": 4}}),
    ({"shelf__gt": 3}, {"shelf": 4}, {"shelf": 3}),
    ({"shelf__isnull": True}, {"shelf": None}, {"shelf": 3}),
    ({"shelf__isnull": False}, {"shelf": {"id": 3}}, {"shelf": None}),
    # Across a relation: checked when the nested object carries the key.
    (
        {"shelf__name__icontains": "top"},
        {"shelf": {"id": 1, "name": "Top"}},
        {"shelf": {"id": 1, "name": "Bottom"}},
    ),
    # List fields: a single value means "the list holds it".
    ({"tags": "sf"}, {"tags": ["x", "SF"]}, {"tags": ["x"]}),
    ({"tags__in": ["a", "b"]}, {"tags": ["b", "c"]}, {"tags": []}),
    ({"genres": 2}, {"genres": [1, 2]}, {"genres": [1]}),
    ({"genres": 2}, {"genres": [{"id": 2, "name": "SF"}]}, {"genres": [{"id": 1}]}),
    ({"genres__in": [2, 3]}, {"genres": [3]}, {"genres": [1, 4]}),
    ({"genres__isnull": True}, {"genres": []}, {"genres": [1]}),
    ({"genres__isnull": False}, {"genres": [1]}, {"genres": []}),
    # An OR of equalities is sent as __in.
    ({"q": Q(name="Dune") | Q(name="Emma")}, {"name": "emma"}, {"name": "Ulysses"}),
]


def _apply(queryset: Any, kwargs: dict[str, Any], *, exclude: bool = False) -> Any:
    if "q" in kwargs:
        return queryset.filter(kwargs["q"])
    return queryset.exclude(**kwargs) if exclude else queryset.filter(**kwargs)


def _ids(cases: list[tuple[dict[str, Any], Any, Any]]) -> list[str]:
    return [
        "-".join(f"{k}={v!r}" if k != "q" else repr(v) for k, v in case[0].items())
        + f"-{next(iter(case[2].values()))!r}"
        for case in cases
    ]


@pytest.mark.parametrize(("kwargs", "good", "bad"), FILTERS, ids=_ids(FILTERS))
async def test_a_matching_page_passes(
    api: respx.MockRouter, kwargs: dict[str, Any], good: dict[str, Any], bad: dict[str, Any]
) -> None:
    """Returns the rows when every row satisfies the filter."""
    queryset = _apply(Item.objects.all(), kwargs)
    assert len(await listed(api, queryset, item(7, **good), item(9, **good))) == 2


@pytest.mark.parametrize(("kwargs", "good", "bad"), FILTERS, ids=_ids(FILTERS))
async def test_a_contradicting_row_raises(
    api: respx.MockRouter, kwargs: dict[str, Any], good: dict[str, Any], bad: dict[str, Any]
) -> None:
    """Raises InvalidResponseError naming the filter, the row's pk and the value sent."""
    queryset = _apply(Item.objects.all(), kwargs)
    message = await refused(api, queryset, item(7, **good), item(8, **bad))
    lookup = (queryset._query.where or queryset._query.excludes)[0]
    assert f"filter({lookup.written}=" in message
    assert "pk 8 with" in message
    _key, value = next(iter(bad.items()))
    # The value the provider sent: the row's, or the nested object's key a path reads.
    shown = [repr(value)]
    if isinstance(value, dict):
        shown.append(repr(value.get(lookup.path.rsplit("__", 1)[-1])))
    assert any(f"={text}," in message for text in shown), message
    assert "the provider ignored" in message
    assert "DIALECT" in message
    assert "Meta.filter_fields" in message


def test_the_message_names_the_parameter_sent() -> None:
    """Names the filter as written, the parameter sent, the pk, the row's value and the fix."""
    from asgiref.sync import async_to_sync

    async def run() -> str:
        with respx.mock(base_url=API, assert_all_mocked=True) as mock:
            return await refused(
                mock, Item.objects.filter(name__icontains="un"), item(3, name="Emma")
            )

    message = async_to_sync(run)()
    assert message == (
        "GET items/: the provider ignored filter(name__icontains='un') (sent as "
        "name__icontains): it answered Item pk 3 with name='Emma', which contradicts that "
        "filter, so the page was not returned. Check the service's DIALECT (the provider may "
        "spell this filter differently) and Item's Meta.filter_fields / Meta.exclude_filters "
        "(declare only the filters the provider has)."
    )


#: (exclusion, values of a row it keeps, values of a row it should have removed)
EXCLUDES: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = [
    # Strict: only a row that matches even case-sensitively contradicts.
    ({"name": "Dune"}, {"name": "dune"}, {"name": "Dune"}),
    ({"name__icontains": "un"}, {"name": "DUNE"}, {"name": "Dune"}),
    ({"name__in": ["Dune", "Emma"]}, {"name": "EMMA"}, {"name": "Emma"}),
    ({"id__in": [7, 8]}, {"id": 9}, {"id": 8}),
    # exclude() keeps NULLs, as Django's does.
    ({"shelf": 3}, {"shelf": None}, {"shelf": {"id": 3}}),
    ({"price__gt": 10}, {"price": None}, {"price": "10.01"}),
    ({"price__range": (5, 10)}, {"price": "10.01"}, {"price": "7.50"}),
    ({"tags": "sf"}, {"tags": ["SF"]}, {"tags": ["x", "sf"]}),
    ({"genres": 2}, {"genres": [1]}, {"genres": [{"id": 2}]}),
    ({"born__year": 2020}, {"born": "2021-01-01"}, {"born": "2020-03-01"}),
    # 05:00Z is still 2023 ten hours west: it may have been excluded rightly... or not.
    ({"seen__year": 2024}, {"seen": "2024-01-01T05:00:00Z"}, {"seen": "2024-06-01T00:00:00Z"}),
    ({"seen__month": 5}, {"seen": "2024-05-31T20:00:00Z"}, {"seen": "2024-05-15T12:00:00Z"}),
]


@pytest.mark.parametrize(("kwargs", "kept", "removed"), EXCLUDES, ids=_ids(EXCLUDES))
async def test_an_exclusion_passes_rows_it_may_keep(
    api: respx.MockRouter, kwargs: dict[str, Any], kept: dict[str, Any], removed: dict[str, Any]
) -> None:
    """Returns rows that do not surely match the excluded condition."""
    queryset = _apply(Item.objects.all(), kwargs, exclude=True)
    assert len(await listed(api, queryset, item(7, **kept))) == 1


@pytest.mark.parametrize(("kwargs", "kept", "removed"), EXCLUDES, ids=_ids(EXCLUDES))
async def test_an_excluded_row_raises(
    api: respx.MockRouter, kwargs: dict[str, Any], kept: dict[str, Any], removed: dict[str, Any]
) -> None:
    """Raises, naming the exclusion and the parameter sent, when a row surely matches it."""
    queryset = _apply(Item.objects.all(), kwargs, exclude=True)
    message = await refused(api, queryset, item(7, **kept), item(8, **removed))
    lookup = queryset._query.excludes[0]
    param = Item._meta.exclude_filters[lookup.key]
    assert f"exclude({lookup.written}=" in message
    assert f"(sent as {param})" in message
    assert "pk 8 with" in message


#: Filters the rows cannot show, with rows that would contradict them if they could.
UNVERIFIABLE: list[tuple[dict[str, Any], dict[str, Any]]] = [
    ({"name": "Dune"}, {}),  # the key is absent: a partial row
    ({"shelf__name": "Top"}, {"shelf": 3}),  # a bare pk carries no name
    ({"shelf__name": "Top"}, {"shelf": {"id": 3}}),  # a nested object without the key
    ({"shelf__name": "Top"}, {"shelf": None}),
    ({"name__regex": "^D"}, {"name": "Emma"}),
    ({"name__iregex": "^d"}, {"name": "Emma"}),
    ({"seen__hour": 3}, {"seen": "2024-05-01T10:00:00Z"}),  # every hour in some zone
    ({"seen__minute": 10}, {"seen": "1960-05-01T10:00:00Z"}),  # zones then were odd
    ({"name__gt": "M"}, {"name": "A"}),  # collations order text their own way
    ({"active__gt": False}, {"active": False}),
    ({"tags__contains": "x"}, {"tags": []}),
    ({"size__iexact": 7}, {"size": 8.0}),  # a text lookup on a number
    # Any instant is on three dates somewhere from -14h to +14h: never surely excluded.
    ({"q": ~Q(seen__date=datetime.date(2024, 5, 1))}, {"seen": "2024-05-01T12:00:00Z"}),
    # A decimal shown with two places may be 10.004 in the database: not surely 10.
    ({"q": ~Q(price=10)}, {"price": "10.00"}),
]


@pytest.mark.parametrize(("kwargs", "row"), UNVERIFIABLE, ids=[repr(c[0]) for c in UNVERIFIABLE])
async def test_what_the_rows_cannot_show_passes(
    api: respx.MockRouter, kwargs: dict[str, Any], row: dict[str, Any]
) -> None:
    """Returns the rows when the filter cannot be checked against them."""
    values = item(7, **row)
    if not row:
        del values["name"]
    queryset = _apply(Item.objects.all(), kwargs)
    assert await listed(api, queryset, values) == [7]


@pytest.mark.parametrize(
    ("kwargs", "row"),
    [
        ({"price__gt": 10}, {"price": "ten"}),
        ({"born": datetime.date(2024, 1, 1)}, {"born": 20240101}),
        ({"name": "Dune"}, {"name": {"value": "Dune", "label": "Dune"}}),
    ],
    ids=["decimal", "date", "wrapped value"],
)
async def test_a_value_the_dialect_cannot_read_is_refused(
    api: respx.MockRouter, kwargs: dict[str, Any], row: dict[str, Any]
) -> None:
    """Raises when a filtered field's value does not read: the filter cannot be checked,
    and a count() (which reads no field) would otherwise pass an ignored filter."""
    queryset = _apply(Item.objects.all(), kwargs)
    message = await refused(api, queryset, item(7, **row))
    assert "cannot check filter(" in message
    assert "DRFDialect does not read" in message


async def test_a_partial_row_is_not_checked_on_its_absent_field(api: respx.MockRouter) -> None:
    """Checks the fields a row has and skips the one it lacks."""
    values = item(7, price="12.00")
    del values["name"]
    queryset = Item.objects.filter(name="Dune", price__gt=10)
    assert await listed(api, queryset, values) == [7]
    values["price"] = "9.00"
    assert "price__gt" in await refused(api, queryset.all(), values)


async def test_no_filter_builds_no_check(api: respx.MockRouter) -> None:
    """Builds nothing for a query with no verifiable filter: no cost per row."""
    from django_api_orm.verify import page_check

    dialect = DRFDialect()
    assert page_check(Item.objects.all()._query, dialect, where="GET items/") is None
    query = Item.objects.filter(name__regex="x", seen__hour=3)._query
    assert page_check(query, dialect, where="GET items/") is None
    assert page_check(Item.objects.filter(name="x")._query, dialect, where="GET") is not None


async def test_none_is_shown_as_written(api: respx.MockRouter) -> None:
    """Names filter(x=None) as written, sent as x__isnull."""
    message = await refused(api, Item.objects.filter(born=None), item(3))
    assert "filter(born=None) (sent as born__isnull)" in message


async def test_every_page_is_checked(api: respx.MockRouter) -> None:
    """Raises on a contradicting row of a later page, too."""
    route = api.get("items/")
    route.side_effect = [
        httpx.Response(200, json=page([item(1, name="Dune")], count=2, next=f"{API}items/?page=2")),
        httpx.Response(200, json=page([item(2, name="Emma")], count=2)),
    ]
    with pytest.raises(InvalidResponseError, match=r"name='Dune'.*pk 2 with"):
        [obj async for obj in Item.objects.filter(name="Dune")]


async def test_count_reads_a_checked_page(api: respx.MockRouter) -> None:
    """count() reads one small page through the same check: an ignored filter raises."""
    api.get("items/").respond(json=page([item(1, name="Emma")], count=25))
    with pytest.raises(InvalidResponseError, match="name__icontains"):
        await Item.objects.filter(name__icontains="un").acount()
    api.get("items/").respond(json=page([item(1, name="Dune")], count=12))
    assert await Item.objects.filter(name__icontains="un").acount() == 12


async def test_exists_and_first_are_checked(api: respx.MockRouter) -> None:
    """exists() and first() read rows through the same check."""
    api.get("items/").respond(json=page([item(1, active=True)]))
    with pytest.raises(InvalidResponseError, match="active=False"):
        await Item.objects.filter(active=False).aexists()
    with pytest.raises(InvalidResponseError, match="active=False"):
        await Item.objects.filter(active=False).afirst()


async def test_in_bulk_is_checked(api: respx.MockRouter) -> None:
    """in_bulk() sends id__in: a provider answering other ids raises."""
    api.get("items/").respond(json=page([item(1), item(3)]))
    with pytest.raises(InvalidResponseError, match=r"id__in.*pk 3 with"):
        await Item.objects.ain_bulk([1, 2])
    api.get("items/").respond(json=page([item(1), item(2)]))
    assert sorted(await Item.objects.ain_bulk([1, 2])) == [1, 2]


async def test_a_prefetched_relation_batch_is_checked(api: respx.MockRouter) -> None:
    """The batched load of related objects (id__in) is checked like any list."""
    api.get("books/").respond(json=page([{**_book(1), "author": 1}, {**_book(2), "author": 2}]))
    api.get("authors/").respond(json=page([_author(1), _author(2), _author(5)]))
    with pytest.raises(InvalidResponseError, match=r"pk 5 with"):
        [b async for b in Book.objects.prefetch_related("author")]
    api.get("authors/").respond(json=page([_author(1), _author(2)]))
    books = [b async for b in Book.objects.prefetch_related("author")]
    assert [b.author.name for b in books] == ["Author 1", "Author 2"]


async def test_a_many_to_many_load_is_checked(api: respx.MockRouter) -> None:
    """Loading a many-to-many (pk__in) is checked too."""
    api.get("items/").respond(json=page([item(1, genres=[1, 2])]))
    api.get("genres/").respond(json=page([{"id": 1, "name": "a"}, {"id": 3, "name": "c"}]))
    with pytest.raises(InvalidResponseError, match=r"pk 3 with"):
        [i async for i in Item.objects.prefetch_related("genres")]


async def test_a_nested_endpoints_parent_is_checked(api: respx.MockRouter) -> None:
    """The parent sent in the URL's path is checked when the rows carry it."""
    api.get("shelves/3/nested/").respond(json=page([{"id": 1, "title": "a", "shelf": 4}]))
    with pytest.raises(InvalidResponseError, match=r"shelf=3\) \(sent in the URL's path\)"):
        [n async for n in Nested.objects.filter(shelf=3)]
    api.get("shelves/3/nested/").respond(json=page([{"id": 1, "title": "a", "shelf": 3}]))
    assert [n.pk async for n in Nested.objects.filter(shelf=Shelf(id=3))] == [1]


def _book(pk: int) -> dict[str, Any]:
    return {
        "id": pk,
        "title": f"Book {pk}",
        "price": "10.00",
        "published": None,
        "in_print": True,
        "tags": [],
        "author": 1,
        "created_at": None,
    }


def _author(pk: int) -> dict[str, Any]:
    return {"id": pk, "name": f"Author {pk}"}


async def test_author_filter_on_the_testapp(api: respx.MockRouter) -> None:
    """A declared filter (Meta.filter_fields) is checked as well."""
    api.get("books/").respond(json=page([_book(1), {**_book(2), "author": {"id": 2}}]))
    with pytest.raises(InvalidResponseError, match=r"author=1.*pk 2 with.*'id': 2"):
        [b async for b in Book.objects.filter(author=Author(id=1))]


# --- through another dialect --------------------------------------------------------------


class WrappingDialect(DRFDialect):
    """Sends choices as ``{"value", "label"}`` and foreign keys as ``{"pk": ...}`` objects."""

    def choice_value(self, value: Any) -> Any:
        if isinstance(value, dict) and set(value) == {"value", "label"}:
            return value["value"]
        return value

    def related_pk(self, value: Any, target: Any) -> tuple[Any, dict[str, Any] | None]:
        if isinstance(value, dict) and "pk" in value:
            return value["pk"], {**value, target.source: value["pk"]}
        return super().related_pk(value, target)


@pytest.fixture
def wrapped() -> Iterator[respx.MockRouter]:
    entry = {
        **settings.API_ORM_SERVICES["default"],
        "DIALECT": "tests.verify.test_verify.WrappingDialect",
    }
    services = {**settings.API_ORM_SERVICES, "wrapped": entry}
    with (
        override_settings(API_ORM_SERVICES=services),
        respx.mock(base_url=API, assert_all_called=False, assert_all_mocked=True) as mock,
    ):
        yield mock


async def test_the_dialect_reads_choices_and_relations(wrapped: respx.MockRouter) -> None:
    """Reads a wrapped choice and a foreign key through the service's dialect."""
    active = {"status": {"value": "active", "label": "Active"}}
    retired = {"status": {"value": "retired", "label": "Retired"}}
    queryset = Item.objects.using("wrapped").filter(status="active")
    assert await listed(wrapped, queryset, item(1, **active)) == [1]
    message = await refused(wrapped, queryset.all(), item(1, **active), item(2, **retired))
    assert "pk 2 with" in message
    queryset = Item.objects.using("wrapped").filter(shelf=3)
    assert await listed(wrapped, queryset, item(1, shelf={"pk": 3})) == [1]
    assert "pk 2 with" in await refused(wrapped, queryset.all(), item(2, shelf={"pk": 4}))


async def test_decimal_and_genre_models_import(api: respx.MockRouter) -> None:
    """The test models stay importable and distinct (sanity for the table above)."""
    assert Genre._meta.endpoint == "genres/"
    assert decimal.Decimal("10.00") == decimal.Decimal(10)
    assert NAIVE.tzinfo is None
