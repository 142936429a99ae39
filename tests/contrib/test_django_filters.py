"""django-filter's FilterSet on RemoteModels: against the example provider, and the
exact list request pinned with respx."""

from __future__ import annotations

import decimal
from collections.abc import Callable, Iterator
from typing import Any

import django_filters
import httpx
import pytest
import respx
from asgiref.sync import sync_to_async
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.http import QueryDict

from django_api_orm import NotSupportedError, QuerySet, RemoteModel, fields
from django_api_orm.contrib import django_filters as remote_filters
from tests.conftest import Provider
from tests.integration.remote_models import Author, Book
from tests.models.conftest import API, book, page
from tests.testapp.models import Book as AppBook

SQL = Callable[..., list[tuple[Any, ...]]]


class BookFilter(remote_filters.FilterSet):
    class Meta:
        model = Book
        fields = {
            "title": ["icontains"],
            "price": ["lt", "gt"],
            "author": ["exact"],
            "in_print": ["exact"],
        }


class DeclaredBookFilter(remote_filters.FilterSet):
    """Declared filters: a text search, an exclusion and an ordering."""

    title = django_filters.CharFilter(field_name="title", lookup_expr="icontains")
    not_title = django_filters.CharFilter(field_name="title", exclude=True)
    ordering = django_filters.OrderingFilter(fields=["price", "title", "id"])

    class Meta:
        model = Book
        fields = ["in_print", "author"]


def pks(filterset: remote_filters.FilterSet) -> list[int]:
    return [b.pk for b in filterset.qs]


@pytest.fixture
def books(provider_service: Provider, provider_db: SQL) -> SQL:
    return provider_db


def test_meta_fields_filter_at_the_provider(books: SQL) -> None:
    """Each generated filter reaches the provider; the rows are the database's."""
    author_id = books("SELECT author_id FROM provider_book ORDER BY id LIMIT 1")[0][0]
    data = {"title__icontains": "e", "price__gt": "5", "price__lt": "40", "author": author_id}
    f = BookFilter(data, queryset=Book.objects.order_by("id"))
    assert f.is_valid(), f.errors
    assert isinstance(f.qs, QuerySet)
    expected = books(
        "SELECT id FROM provider_book WHERE title LIKE '%e%' AND CAST(price AS REAL) > 5 "
        "AND CAST(price AS REAL) < 40 AND author_id = ? ORDER BY id",
        (author_id,),
    )
    assert pks(f) == [r[0] for r in expected]
    assert pks(f)  # the data set has such books: the test checks something


def test_model_based_without_queryset(books: SQL) -> None:
    """With no queryset=, the FilterSet filters Meta.model's default manager."""
    f = BookFilter(QueryDict("in_print=false"))
    expected = books("SELECT id FROM provider_book WHERE in_print = 0")
    assert sorted(pks(f)) == sorted(r[0] for r in expected)


def test_unbound_filterset_lists_everything(books: SQL) -> None:
    f = BookFilter(queryset=Book.objects.all())
    assert len(pks(f)) == books("SELECT COUNT(*) FROM provider_book")[0][0]


def test_declared_filters_exclude_and_ordering(books: SQL) -> None:
    """A declared CharFilter, an exclude=True filter (the provider's title__not) and an
    OrderingFilter (order_by), with Meta.fields as a list."""
    first = books("SELECT title FROM provider_book ORDER BY id LIMIT 1")[0][0]
    f = DeclaredBookFilter({"not_title": first, "in_print": "true", "ordering": "-price,id"})
    expected = books(
        "SELECT id FROM provider_book WHERE title != ? AND in_print = 1 "
        "ORDER BY CAST(price AS REAL) DESC, id",
        (first,),
    )
    assert pks(f) == [r[0] for r in expected]

    searched = DeclaredBookFilter({"title": "THE"}, queryset=Book.objects.order_by("id"))
    expected = books("SELECT id FROM provider_book WHERE title LIKE '%the%' ORDER BY id")
    assert pks(searched) == [r[0] for r in expected]


def test_foreign_key_is_a_model_choice_on_the_remote_queryset(books: SQL) -> None:
    """author is a ModelChoiceFilter whose choices are Author.objects: an unknown pk is
    a form error, a known one filters on it."""
    author_filter = BookFilter.base_filters["author"]
    assert isinstance(author_filter, django_filters.ModelChoiceFilter)
    assert isinstance(author_filter.queryset, QuerySet)
    assert author_filter.queryset.model is Author

    missing = BookFilter({"author": "999999"})
    assert not missing.is_valid()
    assert "author" in missing.errors

    author_id = books("SELECT author_id FROM provider_book ORDER BY id LIMIT 1")[0][0]
    found = BookFilter({"author": str(author_id)}, queryset=Book.objects.order_by("id"))
    assert found.is_valid(), found.errors
    assert found.form.cleaned_data["author"] == Author(pk=author_id)
    expected = books("SELECT id FROM provider_book WHERE author_id = ? ORDER BY id", (author_id,))
    assert pks(found) == [r[0] for r in expected]


def test_invalid_input_is_a_form_error_not_a_request(books: SQL) -> None:
    f = BookFilter({"price__lt": "cheap"})
    assert not f.is_valid()
    assert list(f.errors) == ["price__lt"]


def test_lookup_the_provider_does_not_accept_fails_when_declared() -> None:
    """A generated filter Meta.filter_fields does not allow fails with the class."""
    with pytest.raises(ImproperlyConfigured, match=r"cannot be filtered on 'title__iexact'"):

        class Bad(remote_filters.FilterSet):
            class Meta:
                model = Book
                fields = {"title": ["iexact"]}


def test_declared_filter_the_provider_does_not_accept_fails_when_run(books: SQL) -> None:
    """A declared filter is checked by the QuerySet: never silently dropped."""

    class Declared(remote_filters.FilterSet):
        tag = django_filters.CharFilter(field_name="tags", lookup_expr="icontains")

        class Meta:
            model = Book
            fields: list[str] = []

    with pytest.raises(NotSupportedError, match=r"Meta\.filter_fields"):
        _ = Declared({"tag": "x"}).qs


def test_exclude_without_an_exclusion_filter_fails_clearly(books: SQL) -> None:
    class NotPrice(remote_filters.FilterSet):
        not_price = django_filters.NumberFilter(field_name="price", exclude=True)

        class Meta:
            model = Book
            fields: list[str] = []

    with pytest.raises(NotSupportedError, match="exclude"):
        _ = NotPrice({"not_price": "10"}).qs


def test_fields_all_makes_exact_filters_the_provider_must_accept() -> None:
    """fields = "__all__" asks for an exact filter on every field: one the provider
    does not accept fails the class, naming it."""
    with pytest.raises(ImproperlyConfigured, match=r"cannot be filtered on 'price__exact'"):

        class Everything(remote_filters.FilterSet):
            class Meta:
                model = AppBook
                fields = "__all__"

    class AllButPrice(remote_filters.FilterSet):
        class Meta:
            model = AppBook
            exclude = ["price", "tags", "created_at"]

    assert list(AllButPrice.base_filters) == ["id", "title", "published", "in_print", "author"]


def test_django_filter_own_filterset_is_refused_clearly() -> None:
    with pytest.raises(TypeError, match="django_api_orm QuerySet"):
        BookFilter({}, queryset=[])  # type: ignore[arg-type]


def test_django_filters_own_filterset_with_a_remote_model_names_ours() -> None:
    """django-filter's FilterSet builds SQL lookups: its Meta.model refuses, naming ours."""
    with pytest.raises(TypeError, match=r"Book\.title .*subclass django_api_orm\.contrib"):

        class Plain(django_filters.FilterSet):
            class Meta:
                model = AppBook
                fields = ["title"]


async def test_in_async_code(books: SQL) -> None:
    """A FilterSet on plain fields needs no request to validate: iterate .qs with async for."""
    f = BookFilter({"in_print": "false"}, queryset=Book.objects.order_by("id"))
    got = [b.pk async for b in f.qs]
    expected = await sync_to_async(books)(
        "SELECT id FROM provider_book WHERE in_print = 0 ORDER BY id"
    )
    assert got == [r[0] for r in expected]


# --- the exact request, pinned -------------------------------------------------------


class AppBookFilter(remote_filters.FilterSet):
    class Meta:
        model = AppBook
        fields = {"title": ["icontains"], "price": ["lt", "gte"], "in_print": ["exact"]}


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=API, assert_all_called=True, assert_all_mocked=True) as mock:
        yield mock


def test_filtered_list_request(api: respx.MockRouter) -> None:
    """The filters are the provider's query parameters, the ordering its ordering."""
    route = api.get("books/").respond(200, json=page([book(3, title="Dune", price="12.00")]))
    f = AppBookFilter(
        {"title__icontains": "dune", "price__lt": "20", "price__gte": "5", "in_print": "true"},
        queryset=AppBook.objects.order_by("-price"),
    )
    assert [b.price for b in f.qs] == [decimal.Decimal("12.00")]
    request: httpx.Request = route.calls.last.request
    assert dict(request.url.params) == {
        "title__icontains": "dune",
        "price__lt": "20",
        "price__gte": "5",
        "in_print": "true",
        "ordering": "-price",
        "page_size": "100",
    }


class Shelf(RemoteModel):
    name = fields.CharField(choices=[("a", "A"), ("b", "B")])
    books = fields.ManyToManyField(AppBook, related_name="filter_shelves")

    class Meta:
        app_label = "testapp"
        endpoint = "shelves/"
        filter_fields = {"name": ["exact"], "books": ["exact", "in"]}
        ordering_fields = ["id"]


class ShelfFilter(remote_filters.FilterSet):
    class Meta:
        model = Shelf
        fields = ["name", "books"]


class Rack(RemoteModel):
    books = fields.ManyToManyField(AppBook, related_name="filter_racks")

    class Meta:
        app_label = "testapp"
        endpoint = "racks/"
        filter_fields = {"books": ["exact"]}
        ordering_fields = ["id"]


class RackFilter(remote_filters.FilterSet):
    class Meta:
        model = Rack
        fields = ["books"]


def test_many_to_many_and_choices(api: respx.MockRouter) -> None:
    """A many-to-many field is a ModelMultipleChoiceFilter on the related QuerySet (the
    form checks the pks with one request): several books are ORed, sent as books__in;
    choices make a ChoiceFilter."""
    assert isinstance(ShelfFilter.base_filters["name"], django_filters.ChoiceFilter)
    assert not ShelfFilter.base_filters["books"].distinct  # a REST list has no DISTINCT
    checked = api.get("books/", params={"id__in": "3"}).respond(200, json=page([book(3)]))
    listed = api.get("shelves/", params={"books": "3", "name": "a"}).respond(
        200, json=page([{"id": 1, "name": "a", "books": [3]}])
    )
    f = ShelfFilter({"books": ["3"], "name": "a"})
    assert [s.pk for s in f.qs] == [1]
    assert (checked.call_count, listed.call_count) == (1, 1)
    assert not ShelfFilter({"name": "c"}).is_valid()

    api.get(url__regex=r"/books/\?id__in=(3,4|4,3)&").respond(200, json=page([book(3), book(4)]))
    both = api.get(url__regex=r"/shelves/\?books__in=(3,4|4,3)&").respond(
        200, json=page([{"id": 1, "name": "a", "books": [3]}, {"id": 2, "name": "b", "books": [4]}])
    )
    assert [s.pk for s in ShelfFilter({"books": ["3", "4"]}).qs] == [1, 2]
    assert both.call_count == 1


def test_many_to_many_the_provider_filters_by_one_object_is_a_choice_of_one(
    api: respx.MockRouter,
) -> None:
    """Where the provider takes only books=<pk> (no books__in), the filter offers one
    book: several ORed would send a books__in the provider does not take."""
    assert isinstance(RackFilter.base_filters["books"], remote_filters.RemoteModelChoiceFilter)
    api.get("books/3/").respond(200, json=book(3))
    listed = api.get("racks/", params={"books": "3"}).respond(
        200, json=page([{"id": 5, "books": [3]}])
    )
    assert [r.pk for r in RackFilter({"books": "3"}).qs] == [5]
    assert listed.call_count == 1


class LookupFilter(remote_filters.FilterSet):
    class Meta:
        model = Book
        fields = {
            "id": ["in"],
            "price": ["range"],
            "published": ["year", "isnull"],
        }


def test_in_range_date_part_and_isnull_lookups(books: SQL) -> None:
    """__in and __range are django-filter's comma-separated filters, __year a number,
    __isnull a boolean: each reaches the provider as the lookup."""
    assert type(LookupFilter.base_filters["id__in"]).__name__ == "NumberInFilter"
    assert type(LookupFilter.base_filters["price__range"]).__name__ == "NumberRangeFilter"
    f = LookupFilter({"id__in": "1,2,3,4,5,6", "price__range": "10,40"})
    expected = books(
        "SELECT id FROM provider_book WHERE id IN (1, 2, 3, 4, 5, 6) "
        "AND CAST(price AS REAL) BETWEEN 10 AND 40 ORDER BY id"
    )
    assert sorted(pks(f)) == [r[0] for r in expected]

    year = books("SELECT strftime('%Y', published) FROM provider_book WHERE published IS NOT NULL")
    f = LookupFilter({"published__year": year[0][0]})
    expected = books(
        "SELECT id FROM provider_book WHERE strftime('%Y', published) = ?", (year[0][0],)
    )
    assert sorted(pks(f)) == sorted(r[0] for r in expected)

    f = LookupFilter({"published__isnull": "true"})
    expected = books("SELECT id FROM provider_book WHERE published IS NULL")
    assert sorted(pks(f)) == sorted(r[0] for r in expected)


def test_configuration_errors_name_what_to_do() -> None:
    with pytest.raises(ImproperlyConfigured, match=r"needs 'Meta\.fields' or 'Meta\.exclude'"):

        class NoFields(remote_filters.FilterSet):
            class Meta:
                model = Book

    with pytest.raises(ImproperlyConfigured, match="not a RemoteModel"):

        class DjangoModel(remote_filters.FilterSet):
            class Meta:
                model = ContentType
                fields = ["model"]

    class Unbound(remote_filters.FilterSet):
        title = django_filters.CharFilter()

    with pytest.raises(ImproperlyConfigured, match=r"needs a queryset= or a Meta\.model"):
        Unbound({})
    with pytest.raises(TypeError, match="non-model field names: nope"):

        class Unknown(remote_filters.FilterSet):
            class Meta:
                model = Book
                fields = ["nope"]


def test_an_ordering_the_provider_does_not_offer_fails_when_declared() -> None:
    """An OrderingFilter naming a field outside Meta.ordering_fields fails when the class
    is made, not when a visitor picks that order."""
    with pytest.raises(
        ImproperlyConfigured, match=r"Sorted\.ordering: Book cannot be ordered by 'tags'"
    ):

        class Sorted(remote_filters.FilterSet):
            ordering = django_filters.OrderingFilter(fields=["price", "tags"])

            class Meta:
                model = Book
                fields = ["in_print"]
