"""The exact request each QuerySet call sends, pinned with respx."""

from __future__ import annotations

import datetime
import decimal
from typing import Any

import httpx
import pytest
import respx
from django.core.exceptions import FieldError, SynchronousOnlyOperation
from django.db.models import Q as DjangoQ

from django_api_orm import InvalidResponseError, NotSupportedError, Q, fields
from tests.models.conftest import API, book, page
from tests.testapp.models import Author, Book, Country, Event, Review, Tag


def sent(route: respx.Route, index: int = -1) -> str:
    """Return the path and query string a route received, byte for byte."""
    request: httpx.Request = route.calls[index].request
    return request.url.raw_path.decode()


def paths(mock: respx.MockRouter) -> list[str]:
    return [call.request.url.raw_path.decode() for call in mock.calls]


async def test_filter_compiles_to_django_filter_parameters(api: respx.MockRouter) -> None:
    """Sends lists comma-separated, Decimals by str and booleans as true/false."""
    route = api.get("books/").respond(json=page([]))
    qs = Book.objects.filter(
        title__in=["x", "y"], price__lt=decimal.Decimal("20"), published__isnull=True
    )
    assert [b async for b in qs] == []
    assert sent(route) == (
        "/api/books/?price__lt=20&published__isnull=true&title__in=x,y&page_size=100"
    )


async def test_exact_is_the_bare_name(api: respx.MockRouter) -> None:
    """Sends an exact lookup as the bare field name, never __exact."""
    route = api.get("books/").respond(json=page([]))
    await Book.objects.filter(title__exact="Dune", in_print=False).acount()
    assert sent(route) == "/api/books/?in_print=false&title=Dune&page_size=1"


async def test_aware_datetime_has_plus_percent_encoded(api: respx.MockRouter) -> None:
    """Encodes an aware datetime in ISO 8601 with its '+' percent-encoded."""
    route = api.get("books/").respond(json=page([]))
    tz = datetime.timezone(datetime.timedelta(hours=2))
    when = datetime.datetime(2024, 5, 1, 12, 30, tzinfo=tz)
    await Book.objects.filter(created_at__gt=when).acount()
    assert sent(route) == "/api/books/?created_at__gt=2024-05-01T12:30:00%2B02:00&page_size=1"


async def test_dates_and_ranges(api: respx.MockRouter) -> None:
    """Encodes dates in ISO 8601 and a range as one comma-separated value."""
    route = api.get("books/").respond(json=page([]))
    await Book.objects.filter(
        published__gt=datetime.date(2020, 1, 2), price__range=(1, decimal.Decimal("9.5"))
    ).acount()
    assert sent(route) == "/api/books/?price__range=1,9.5&published__gt=2020-01-02&page_size=1"


async def test_none_means_isnull(api: respx.MockRouter) -> None:
    """Sends filter(x=None) as x__isnull=true."""
    route = api.get("books/").respond(json=page([]))
    await Book.objects.filter(published=None).acount()
    assert sent(route) == "/api/books/?published__isnull=true&page_size=1"


async def test_exclude_none_means_isnull_false(api: respx.MockRouter) -> None:
    """Sends exclude(x=None) as x__isnull=false, no exclusion filter needed."""
    route = api.get("books/").respond(json=page([]))
    await Book.objects.exclude(published=None).acount()
    assert sent(route) == "/api/books/?published__isnull=false&page_size=1"


async def test_empty_in_sends_nothing(api: respx.MockRouter) -> None:
    """Returns nothing for __in=[] without a request."""
    qs = Book.objects.filter(id__in=[])
    assert [b async for b in qs] == []
    assert await qs.acount() == 0
    assert await qs.afirst() is None
    assert not api.calls


def test_empty_string_raises() -> None:
    """Refuses filter(title=''): django-filter would ignore it and return every row."""
    from django_api_orm.dialects import DRFDialect

    with pytest.raises(NotSupportedError, match="empty value"):
        DRFDialect().filter_params(Book.objects.filter(title="").query)


def test_two_values_for_one_parameter_raise() -> None:
    """Refuses two different values for one parameter: the server would read one."""
    from django_api_orm.dialects import DRFDialect

    qs = Book.objects.filter(price__lt=20).filter(price__lt=30)
    with pytest.raises(NotSupportedError, match=r"same parameter 'price__lt'"):
        DRFDialect().filter_params(qs.query)
    same = Book.objects.filter(price__lt=20).filter(price__lt=20)
    assert DRFDialect().filter_params(same.query) == [("price__lt", "20")]


def test_unknown_field_raises_field_error_with_choices() -> None:
    """Raises Django's FieldError listing the fields for a name that is not a field."""
    with pytest.raises(
        FieldError, match=r"Cannot resolve keyword 'titel' into field\. Choices are"
    ):
        Book.objects.filter(titel="x")


def test_lookup_outside_filter_fields_raises() -> None:
    """Raises NotSupportedError naming the accepted filters for an undeclared lookup."""
    with pytest.raises(NotSupportedError, match="price__gte") as info:
        Book.objects.filter(price__gt=3)
    assert "'price__gt'" in str(info.value)


def test_unknown_lookup_raises() -> None:
    """Raises FieldError for a lookup name that does not exist."""
    with pytest.raises(FieldError, match="Unsupported lookup 'near'"):
        Tag.objects.filter(label__near="x")


async def test_exclude_uses_declared_exclusion_filter(api: respx.MockRouter) -> None:
    """Sends exclude() through Meta.exclude_filters."""
    route = api.get("books/").respond(json=page([]))
    await Book.objects.exclude(title="Dune").exclude(author__in=[1, 2]).acount()
    assert sent(route) == "/api/books/?title__not=Dune&author__not_in=1,2&page_size=1"


def test_exclude_without_mapping_raises() -> None:
    """Raises for an exclude() the provider has no exclusion filter for."""
    with pytest.raises(NotSupportedError, match=r"Meta\.exclude_filters"):
        Book.objects.exclude(price__lt=3)


def test_exclude_of_two_keywords_raises() -> None:
    """Raises for exclude(a=1, b=2): NOT (a AND b) is an OR."""
    with pytest.raises(NotSupportedError, match="once per condition"):
        Book.objects.exclude(title="x", author=1)


async def test_or_of_equalities_on_one_field_becomes_in(api: respx.MockRouter) -> None:
    """Sends Q(a=1) | Q(a=2) as a__in=1,2."""
    route = api.get("books/").respond(json=page([]))
    await Book.objects.filter(Q(title="x") | Q(title="y") | Q(title__in=["z"])).acount()
    assert sent(route) == "/api/books/?title__in=x,y,z&page_size=1"


def test_or_across_fields_raises() -> None:
    """Raises NotSupportedError for an OR across two fields."""
    with pytest.raises(NotSupportedError, match="OR"):
        Book.objects.filter(Q(title="x") | Q(author=1))
    with pytest.raises(NotSupportedError, match="OR"):
        Book.objects.filter(Q(price__lt=1) | Q(price__gte=5))


def test_comma_in_an_in_value_raises() -> None:
    """Refuses an __in value containing a comma, which django-filter would split."""
    from django_api_orm.dialects import DRFDialect

    with pytest.raises(NotSupportedError, match="comma"):
        DRFDialect().filter_params(Book.objects.filter(title__in=["a,b"]).query)


async def test_order_by(api: respx.MockRouter) -> None:
    """Sends order_by('-price', 'title') as ordering=-price,title."""
    route = api.get("books/").respond(json=page([]))
    assert [b async for b in Book.objects.order_by("-price", "title")] == []
    assert sent(route) == "/api/books/?ordering=-price,title&page_size=100"


async def test_meta_ordering_is_sent(api: respx.MockRouter) -> None:
    """Sends the model's Meta.ordering when no order_by() is given."""
    route = api.get("authors/").respond(json=page([{"id": 1, "name": "A"}]))
    names = [a.name async for a in Author.objects.all()]
    assert names == ["A"]
    assert sent(route) == "/api/authors/?ordering=name&page_size=100"


def test_order_by_unknown_field_raises() -> None:
    """Raises FieldError for an ordering on a name that is not a field."""
    with pytest.raises(FieldError):
        Book.objects.order_by("-nope")
    with pytest.raises(NotSupportedError):
        Book.objects.order_by("?")


async def test_aget_pk_uses_detail_url(api: respx.MockRouter) -> None:
    """Sends aget(pk=3) as GET books/3/."""
    route = api.get("books/3/").respond(json=book(3))
    obj = await Book.objects.aget(pk=3)
    assert obj.pk == 3 and obj.title == "Book 3"
    assert sent(route) == "/api/books/3/"


async def test_aget_404_is_does_not_exist(api: respx.MockRouter) -> None:
    """Raises the model's DoesNotExist when the detail URL answers 404."""
    api.get("books/4/").respond(404, json={"detail": "No Book matches the given query."})
    with pytest.raises(Book.DoesNotExist):
        await Book.objects.aget(id=4)


async def test_pk_is_one_encoded_segment(api: respx.MockRouter) -> None:
    """Percent-encodes a primary key into one path segment."""
    route = api.get(url__regex=r".*").respond(json={"slug": "a/b?c#d", "label": "x"})
    await Tag.objects.aget(pk="a/b?c#d")
    assert sent(route) == "/api/tags/a%2Fb%3Fc%23d/"


@pytest.mark.parametrize("pk", ["", ".", ".."])
async def test_dot_segments_are_refused(api: respx.MockRouter, pk: str) -> None:
    """Refuses '', '.' and '..' as a primary key before any request."""
    with pytest.raises(ValueError, match=r"primary key|segment|empty|'\.'"):
        await Tag.objects.aget(pk=pk)
    assert not api.calls


async def test_aget_by_filter_uses_page_of_two(api: respx.MockRouter) -> None:
    """Sends aget(title=...) as the list with page_size=2."""
    route = api.get("books/").respond(json=page([book(1, title="x")]))
    obj = await Book.objects.aget(title="x")
    assert obj.pk == 1
    assert sent(route) == "/api/books/?title=x&page_size=2"


async def test_aget_none_and_many(api: respx.MockRouter) -> None:
    """Raises DoesNotExist for no row and MultipleObjectsReturned for two."""
    api.get("books/").mock(
        side_effect=[
            httpx.Response(200, json=page([])),
            httpx.Response(200, json=page([book(1, title="y"), book(2, title="y")], count=7)),
        ]
    )
    with pytest.raises(Book.DoesNotExist):
        await Book.objects.aget(title="x")
    with pytest.raises(Book.MultipleObjectsReturned):
        await Book.objects.aget(title="y")


async def test_filtered_aget_pk_keeps_the_filters(api: respx.MockRouter) -> None:
    """Sends filter(...).aget(pk=...) as a list query so the filters still apply."""
    route = api.get("books/").respond(json=page([]))
    with pytest.raises(Book.DoesNotExist):
        await Book.objects.filter(in_print=True).aget(pk=3)
    assert sent(route) == "/api/books/?in_print=true&id=3&page_size=2"


async def test_acount_reads_count(api: respx.MockRouter) -> None:
    """Counts with one page of size 1, reading count."""
    route = api.get("books/").respond(json=page([book(1)], count=1234))
    assert await Book.objects.filter(in_print=True).acount() == 1234
    assert sent(route) == "/api/books/?in_print=true&page_size=1"
    assert len(route.calls) == 1


async def test_acount_of_a_slice(api: respx.MockRouter) -> None:
    """Counts a slice within the total."""
    api.get("books/").respond(json=page([book(1)], count=25))
    assert await Book.objects.all()[10:20].acount() == 10
    assert await Book.objects.all()[20:40].acount() == 5


async def test_aexists_and_afirst(api: respx.MockRouter) -> None:
    """Fetches one row for aexists() and afirst(), ordering afirst() by pk when unordered."""
    route = api.get("books/").respond(json=page([book(9)], count=50))
    assert await Book.objects.aexists() is True
    assert sent(route) == "/api/books/?page_size=1"
    first = await Book.objects.afirst()
    assert first is not None and first.pk == 9
    assert sent(route) == "/api/books/?ordering=id&page_size=1"


async def test_alast_reverses_ordering(api: respx.MockRouter) -> None:
    """Fetches the last row by reversing the ordering (or -pk when unordered)."""
    route = api.get("books/").respond(json=page([book(9)]))
    await Book.objects.alast()
    assert sent(route) == "/api/books/?ordering=-id&page_size=1"
    await Book.objects.order_by("-price", "title").alast()
    assert sent(route) == "/api/books/?ordering=price,-title&page_size=1"


async def test_alatest_and_aearliest(api: respx.MockRouter) -> None:
    """Orders by the field, descending for alatest(), and fetches one row."""
    route = api.get("books/").respond(json=page([book(2)]))
    await Book.objects.alatest("published")
    assert sent(route) == "/api/books/?ordering=-published&page_size=1"
    await Book.objects.aearliest("published")
    assert sent(route) == "/api/books/?ordering=published&page_size=1"


async def test_iteration_follows_next_on_own_origin(api: respx.MockRouter) -> None:
    """Follows next, re-applying only its query string to the service's URL."""
    api.get("books/", params={"page": "2"}).respond(json=page([book(3)], count=3))
    api.get("books/").respond(
        json=page([book(1), book(2)], count=3, next=f"{API}books/?page=2&page_size=100")
    )
    pks = [b.pk async for b in Book.objects.all()]
    assert pks == [1, 2, 3]
    assert paths(api) == ["/api/books/?page_size=100", "/api/books/?page=2&page_size=100"]


async def test_next_on_another_origin_is_refused(api: respx.MockRouter) -> None:
    """Raises InvalidResponseError and sends nothing to a next link on another origin."""
    api.get("books/").respond(
        json=page([book(1)], count=2, next="https://evil.example/api/books/?page=2")
    )
    with pytest.raises(InvalidResponseError, match="another origin"):
        [b async for b in Book.objects.all()]
    assert len(api.calls) == 1


@pytest.mark.parametrize(
    "link",
    [
        "https://api.example.test@evil.example/api/books/?page=2",  # userinfo, then the host
        "https://api.example.test.evil.example/api/books/?page=2",
        "https://api.example.test:8443/api/books/?page=2",
        "http://api.example.test/api/books/?page=2",
    ],
    ids=["userinfo", "longer-host", "other-port", "other-scheme"],
)
async def test_next_that_only_starts_like_our_origin_is_refused(
    api: respx.MockRouter, link: str
) -> None:
    """Refuses a link whose text begins as the service's origin but names another."""
    api.get("books/").respond(json=page([book(1)], count=2, next=link))
    with pytest.raises(InvalidResponseError, match="another origin"):
        [b async for b in Book.objects.all()]
    assert len(api.calls) == 1


@pytest.mark.parametrize(
    ("link", "sent_query"),
    [
        (f"{API}books/?page=2#top", "page=2"),
        (f"{API}books/?page=2&q=a%23b", "page=2&q=a%23b"),
        (f"{API}books/?pa\tge=2", "page=2"),  # urlsplit() drops a tab, as browsers do
        ("https://API.example.test/api/books/?page=2", "page=2"),  # host case
        ("https://api.example.test:443/api/books/?page=2", "page=2"),  # default port
    ],
    ids=["fragment", "escaped-hash", "tab", "host-case", "default-port"],
)
async def test_next_on_our_origin_sends_its_query(
    api: respx.MockRouter, link: str, sent_query: str
) -> None:
    """Follows a link on the service's origin, however spelled, with urlsplit()'s query."""
    api.get("books/", params={"page": "2"}).respond(json=page([book(2)], count=2))
    api.get("books/").respond(json=page([book(1)], count=2, next=link))
    assert [b.pk async for b in Book.objects.all()] == [1, 2]
    assert paths(api)[1] == f"/api/books/?{sent_query}"


async def test_slice_maps_to_one_page(api: respx.MockRouter) -> None:
    """Fetches [20:40] as page 2 of 20."""
    route = api.get("books/").respond(
        json=page([book(i) for i in range(21, 41)], count=100, next=f"{API}books/?page=3")
    )
    pks = [b.pk async for b in Book.objects.all()[20:40]]
    assert pks == list(range(21, 41))
    assert [sent(route, i) for i in range(len(route.calls))] == ["/api/books/?page=2&page_size=20"]


async def test_slice_across_pages_uses_fewest_requests(api: respx.MockRouter) -> None:
    """Fetches [5:15] with the fewest pages and returns exactly those rows."""
    rows = [book(i) for i in range(100)]

    def answer(request: httpx.Request) -> httpx.Response:
        size = int(request.url.params["page_size"])
        number = int(request.url.params.get("page", "1"))
        chunk = rows[(number - 1) * size : number * size]
        more = number * size < len(rows)
        link = f"{API}books/?page={number + 1}&page_size={size}" if more else None
        return httpx.Response(200, json=page(chunk, count=len(rows), next=link))

    api.get("books/").mock(side_effect=answer)
    pks = [b.pk async for b in Book.objects.all()[5:15]]
    assert pks == list(range(5, 15))
    assert len(api.calls) == 1
    pks = [b.pk async for b in Book.objects.all()[95:150]]
    assert pks == list(range(95, 100))


async def test_server_clamping_page_size_is_detected(api: respx.MockRouter) -> None:
    """Returns the right rows when the server pages by another size than asked."""
    rows = [book(i) for i in range(30)]

    def answer(request: httpx.Request) -> httpx.Response:
        size = 7  # the server ignores page_size
        number = int(request.url.params.get("page", "1"))
        chunk = rows[(number - 1) * size : number * size]
        more = number * size < len(rows)
        return httpx.Response(
            200,
            json=page(
                chunk, count=len(rows), next=f"{API}books/?page={number + 1}" if more else None
            ),
        )

    api.get("books/").mock(side_effect=answer)
    assert [b.pk async for b in Book.objects.all()[10:20]] == list(range(10, 20))
    assert [b.pk async for b in Book.objects.all()] == list(range(30))


async def test_page_past_the_end_is_empty(api: respx.MockRouter) -> None:
    """Treats DRF's 404 'Invalid page.' past the end as no rows, once the first page's
    count shows the slice starts past the end (not a server paging by another size)."""
    api.get("books/", params={"page": "51"}).respond(404, json={"detail": "Invalid page."})
    api.get("books/").respond(json=page([book(i) for i in range(1, 11)], count=30))
    assert [b async for b in Book.objects.all()[500:510]] == []
    assert paths(api) == ["/api/books/?page=51&page_size=10", "/api/books/?page_size=1"]


async def test_page_past_the_end_of_a_server_paging_by_another_size(
    api: respx.MockRouter,
) -> None:
    """A 404 for the page computed from the size asked, when the server ignores that size
    and the row exists on its own pages: the rows are walked from the first page."""
    rows = [book(i) for i in range(1, 31)]

    def answer(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params.get("page", "1"))  # page_size is ignored: 10 a page
        if number > 3:
            return httpx.Response(404, json={"detail": "Invalid page."})
        more = f"{API}books/?page={number + 1}" if number < 3 else None
        chunk = rows[(number - 1) * 10 : number * 10]
        return httpx.Response(200, json=page(chunk, count=30, next=more))

    api.get("books/").mock(side_effect=answer)
    # [25:26] asks page 26 of one row: past the end of the server's 3 pages.
    assert [b.pk async for b in Book.objects.all()[25:26]] == [26]
    assert paths(api) == [
        "/api/books/?page=26&page_size=1",
        "/api/books/?page_size=1",  # 10 rows, not 1: row 26 is on the server's page 3
        "/api/books/?page=3&page_size=10",
    ]


async def test_limit_offset_style(api: respx.MockRouter) -> None:
    """Sends limit and offset for a limit/offset endpoint and follows next."""
    api.get("reviews/", params={"offset": "60"}).respond(
        json={
            "count": 70,
            "next": None,
            "previous": None,
            "results": [{"id": 61, "text": "t", "stars": 1}],
        }
    )
    api.get("reviews/").respond(
        json={
            "count": 70,
            "next": f"{API}reviews/?limit=50&offset=60",
            "previous": None,
            "results": [{"id": i, "text": "t", "stars": 1} for i in range(11, 61)],
        }
    )
    pks = [r.pk async for r in Review.objects.all()[10:61]]
    assert pks == list(range(11, 62))
    assert paths(api) == ["/api/reviews/?limit=50&offset=10", "/api/reviews/?limit=50&offset=60"]


async def test_cursor_style(api: respx.MockRouter) -> None:
    """Walks a cursor endpoint through next, skipping to the slice's start."""
    api.get("events/", params={"cursor": "abc"}).respond(
        json={"next": None, "previous": None, "results": [{"id": 3, "name": "c"}]}
    )
    api.get("events/").respond(
        json={
            "next": f"{API}events/?cursor=abc&page_size=2",
            "previous": None,
            "results": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}],
        }
    )
    assert [e.pk async for e in Event.objects.all()[1:]] == [2, 3]
    assert await Event.objects.acount() == 3


async def test_bare_list_style(api: respx.MockRouter) -> None:
    """Reads a bare JSON array for STYLE none, slicing locally."""
    route = api.get("countries/").respond(
        json=[{"code": "fr", "name": "France"}, {"code": "de", "name": "Germany"}]
    )
    assert [c.code async for c in Country.objects.all()[1:]] == ["de"]
    assert await Country.objects.acount() == 2
    assert sent(route) == "/api/countries/"


async def test_wrong_page_shape_raises(api: respx.MockRouter) -> None:
    """Raises InvalidResponseError when the list is not the configured page shape."""
    api.get("books/").respond(json=[book(1)])
    with pytest.raises(InvalidResponseError, match="STYLE"):
        await Book.objects.afirst()


async def test_aiterator_streams_pages(api: respx.MockRouter) -> None:
    """Streams page by page with the chunk size as page size, caching nothing."""
    api.get("books/", params={"page": "2"}).respond(json=page([book(3)], count=3))
    api.get("books/").respond(
        json=page([book(1), book(2)], count=3, next=f"{API}books/?page=2&page_size=2")
    )
    qs = Book.objects.all()
    assert [b.pk async for b in qs.aiterator(chunk_size=2)] == [1, 2, 3]
    assert qs._result_cache is None
    assert paths(api)[0] == "/api/books/?page_size=2"


async def test_results_are_cached(api: respx.MockRouter) -> None:
    """Evaluates a queryset once and serves later iterations from its cache."""
    route = api.get("books/").respond(json=page([book(1)]))
    qs = Book.objects.all()
    assert [b.pk async for b in qs] == [1]
    assert [b.pk async for b in qs] == [1]
    assert await qs.acount() == 1
    assert len(route.calls) == 1


async def test_values_and_values_list(api: respx.MockRouter) -> None:
    """Returns dicts, tuples, flat values and named rows with converted values."""
    api.get("books/").respond(json=page([book(1, price="12.50")]))
    assert [v async for v in Book.objects.values("id", "price")] == [
        {"id": 1, "price": decimal.Decimal("12.50")}
    ]
    assert [v async for v in Book.objects.values_list("id", "title")] == [(1, "Book 1")]
    assert [v async for v in Book.objects.values_list("id", flat=True)] == [1]
    (row,) = [v async for v in Book.objects.values_list("id", "author_id", named=True)]
    assert (row.id, row.author_id) == (1, 1)


async def test_ain_bulk_batches(api: respx.MockRouter) -> None:
    """Fetches in_bulk ids with id__in requests, keeping each URL short."""

    def answer(request: httpx.Request) -> httpx.Response:
        ids = [int(i) for i in request.url.params["id__in"].split(",")]
        return httpx.Response(200, json=page([book(i) for i in ids]))

    api.get("books/").mock(side_effect=answer)
    found = await Book.objects.ain_bulk(range(1000, 1600))
    assert sorted(found) == list(range(1000, 1600))
    assert len(api.calls) > 1
    assert all(len(p) < 2100 for p in paths(api))


async def test_none_sends_nothing(api: respx.MockRouter) -> None:
    """Returns nothing from none() without a request."""
    assert [b async for b in Book.objects.none()] == []
    assert await Book.objects.none().acount() == 0
    assert not api.calls


def test_negative_index_raises() -> None:
    """Raises for negative indexing, as Django does."""
    with pytest.raises(ValueError, match="Negative indexing"):
        Book.objects.all()[-1]


async def test_sync_twin_in_async_code_names_the_async_method(api: respx.MockRouter) -> None:
    """Raises SynchronousOnlyOperation naming acount() when count() runs in a loop."""
    with pytest.raises(SynchronousOnlyOperation, match="acount"):
        Book.objects.count()
    with pytest.raises(SynchronousOnlyOperation, match="async for"):
        list(Book.objects.all())
    assert not api.calls


def test_sync_twins(api: respx.MockRouter) -> None:
    """Runs count, get, first, iteration, len, bool and indexing from sync code."""
    api.get("books/7/").respond(json=book(7))
    api.get("books/").respond(json=page([book(1), book(2)], count=2))
    assert Book.objects.count() == 2
    assert Book.objects.get(pk=7).pk == 7
    first = Book.objects.first()
    assert first is not None and first.pk == 1
    assert [b.pk for b in Book.objects.all()] == [1, 2]
    assert len(Book.objects.all()) == 2
    assert bool(Book.objects.all())
    assert Book.objects.all()[1].pk == 2
    assert [b.pk for b in Book.objects.iterator()] == [1, 2]
    assert (
        repr(Book.objects.all()) == "<QuerySet [<Book: Book object (1)>, <Book: Book object (2)>]>"
    )


def test_index_out_of_range(api: respx.MockRouter) -> None:
    """Raises IndexError for an index past the end."""
    api.get("books/").respond(json=page([], count=0))
    with pytest.raises(IndexError):
        Book.objects.all()[5]


async def test_select_related_batches_one_request_per_page(api: respx.MockRouter) -> None:
    """Loads the authors of a page with one authors/?id__in= request."""
    api.get("books/").respond(json=page([book(1, author=7), book(2, author=8), book(3, author=7)]))
    authors = api.get("authors/").respond(
        json=page([{"id": 7, "name": "Ann"}, {"id": 8, "name": "Bob"}])
    )
    books = [b async for b in Book.objects.select_related("author")]
    assert [b.author.name for b in books] == ["Ann", "Bob", "Ann"]
    assert len(authors.calls) == 1
    assert sent(authors) == "/api/authors/?id__in=7,8&ordering=name&page_size=100"


async def test_unloaded_relation_raises_in_async_code(api: respx.MockRouter) -> None:
    """Raises naming select_related when an unloaded relation is read in async code."""
    api.get("books/").respond(json=page([book(1)]))
    obj = await Book.objects.afirst()
    assert obj is not None and obj.author_id == 1
    with pytest.raises(SynchronousOnlyOperation, match="select_related"):
        obj.author  # noqa: B018


async def test_nested_object_hydrates_relation(api: respx.MockRouter) -> None:
    """Hydrates the related instance from a nested object without a request."""
    api.get("books/").respond(json=page([book(1, author={"id": 5, "name": "Nested"})]))
    obj = await Book.objects.afirst()
    assert obj is not None
    assert obj.author_id == 5
    assert obj.author.name == "Nested"
    assert len(api.calls) == 1


async def test_date_part_lookups(api: respx.MockRouter) -> None:
    """Sends __year with an integer value, as django-filter expects."""
    route = api.get("tags/").respond(json=page([]))

    class Diary(Tag):
        day = fields.DateTimeField()

        class Meta:
            endpoint = "tags/"

    await Diary.objects.filter(day__year="2020", day__date=datetime.date(2021, 2, 3)).acount()
    assert sent(route) == "/api/tags/?day__date=2021-02-03&day__year=2020&page_size=1"


def test_wrong_typed_filter_value_is_a_value_error() -> None:
    """Raises ValueError naming the field for a filter value of the wrong type, as Django."""
    with pytest.raises(ValueError, match="Field 'id'"):
        Book.objects.filter(id="abc")
    with pytest.raises(ValueError, match="Field 'id'"):
        Book.objects.filter(pk="")


def test_paginator_sends_one_count_and_one_request_per_page(api: respx.MockRouter) -> None:
    """Works with Django's Paginator: one count request, then one request per page."""
    from django.core.paginator import Paginator

    api.get("books/").mock(
        side_effect=lambda r: httpx.Response(
            200,
            json=page(
                [book(i) for i in range(1, 11)]
                if "page=" not in str(r.url)
                else [book(i) for i in range(21, 31)],
                count=95,
                next=f"{API}books/?ordering=id&page=4&page_size=10",
            ),
        )
    )
    paginator = Paginator(Book.objects.order_by("id"), 10)
    assert paginator.num_pages == 10
    assert [b.pk for b in paginator.page(3).object_list] == list(range(21, 31))
    assert paths(api) == [
        "/api/books/?page_size=1",
        "/api/books/?ordering=id&page=3&page_size=10",
    ]


@pytest.mark.parametrize(
    "call",
    [
        lambda qs: qs.annotate(n=1),
        lambda qs: qs.alias(n=1),
        lambda qs: qs.aggregate(n=1),
        lambda qs: qs.distinct(),
        lambda qs: qs.extra(where=["1"]),
        lambda qs: qs.raw("SELECT 1"),
        lambda qs: qs.select_for_update(),
        lambda qs: qs.union(qs),
        lambda qs: qs.dates("published", "year"),
        lambda qs: qs.datetimes("created_at", "day"),
        lambda qs: qs.explain(),
    ],
)
def test_what_http_cannot_express_raises(call: Any) -> None:
    """Raises NotSupportedError naming the reason for calls a REST API cannot answer."""
    with pytest.raises(NotSupportedError, match="not supported: "):
        call(Book.objects.all())


@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("aaggregate", lambda qs: qs.aaggregate(n=1)),
        ("aexplain", lambda qs: qs.aexplain()),
    ],
)
@pytest.mark.parametrize("source", ["queryset", "manager"])
async def test_async_forms_of_unsupported_calls_raise_the_same(
    api: respx.MockRouter, name: str, call: Any, source: str
) -> None:
    """aaggregate() and aexplain() raise as aggregate() and explain() do, on querysets
    and managers alike, sending nothing."""
    target = Book.objects.filter(id=1) if source == "queryset" else Book.objects
    sync_name = name[1:]
    with pytest.raises(NotSupportedError) as sync_error:
        getattr(target, sync_name)()
    with pytest.raises(NotSupportedError) as error:
        await call(target)
    assert str(error.value) == str(sync_error.value).replace(f".{sync_name}()", f".{name}()")
    assert f"Book.objects.{name}() is not supported: " in str(error.value)
    assert not api.calls


@pytest.mark.parametrize(
    "link",
    [
        "http://api.example.test/api/books/?page=2",
        "https://api.example.test:8443/api/books/?page=2",
    ],
)
async def test_next_on_another_scheme_or_port_is_refused(api: respx.MockRouter, link: str) -> None:
    """Refuses a next link whose scheme or port differs from the service's."""
    api.get("books/").respond(json=page([book(1)], count=2, next=link))
    with pytest.raises(InvalidResponseError, match="another origin"):
        [b async for b in Book.objects.all()]
    assert len(api.calls) == 1


async def test_next_with_default_port_spelled_out_is_followed(api: respx.MockRouter) -> None:
    """Follows a next link that names the default port of the service's own origin."""
    api.get("books/", params={"page": "2"}).respond(json=page([book(2)], count=2))
    api.get("books/").respond(
        json=page([book(1)], count=2, next="https://API.example.test:443/api/books/?page=2")
    )
    assert [b.pk async for b in Book.objects.all()] == [1, 2]


async def test_djangos_own_q_is_accepted(api: respx.MockRouter) -> None:
    """Takes django.db.models.Q as this package's Q, alone, combined and mixed."""
    route = api.get("books/").respond(json=page([]))
    await Book.objects.filter(DjangoQ(title="x") | DjangoQ(title="y")).acount()
    await Book.objects.filter(DjangoQ(title="x") | Q(title="y")).acount()
    await Book.objects.filter(Q(title="x") | DjangoQ(title="y")).acount()
    await Book.objects.filter(DjangoQ(price__lt=20), DjangoQ(title="x")).acount()
    sent = [c.request.url.raw_path.decode() for c in route.calls]
    assert sent == [
        "/api/books/?title__in=x,y&page_size=1",
        "/api/books/?title__in=x,y&page_size=1",
        "/api/books/?title__in=x,y&page_size=1",
        "/api/books/?price__lt=20&title=x&page_size=1",
    ]
    with pytest.raises(NotSupportedError, match="OR is only"):
        Book.objects.filter(DjangoQ(title="x") | DjangoQ(price__lt=3))


def test_djangos_q_that_cannot_be_sent_is_refused() -> None:
    """Raises for Django's XOR and for an expression inside a Q, never sending an AND."""
    from django.db.models import BooleanField, Value

    with pytest.raises(NotSupportedError, match="XOR of conditions"):
        Book.objects.filter(DjangoQ(title="x") ^ DjangoQ(price__lt=3))
    with pytest.raises(NotSupportedError, match="only field lookups"):
        Book.objects.filter(DjangoQ(Value(True, output_field=BooleanField())))
