"""``Model.from_api()`` and ``Model.from_api_list()``: records the client fetched, as instances.

The same hydration the ORM gives its own rows: nothing converted until read, the
service alias and its dialect remembered, a bad value an error when read.
"""

from __future__ import annotations

import datetime
import decimal
import json
from typing import Any

import pytest
import respx
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from django_api_orm import InvalidResponseError, RemoteModel, fields, services
from tests.models.conftest import book, page
from tests.models.test_state import WRAPPING, Ticket
from tests.testapp.models import Author, Book

PROVIDER = "http://127.0.0.1:9/api/"


class Point(RemoteModel):
    x = fields.IntegerField()
    y = fields.IntegerField()

    class Meta:
        embedded = True
        app_label = "testapp"


class Named(RemoteModel):
    name = fields.CharField()

    class Meta:
        abstract = True
        app_label = "testapp"


def every_value(obj: RemoteModel) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.fields}


async def test_from_api_gives_what_the_orm_gives_for_the_same_row(api: respx.MockRouter) -> None:
    """Equals, value for value and state for state, the instance aget() makes of a row."""
    row = book(7, title="Dune", price="12.50", created_at="2024-05-01T10:00:00.25Z")
    api.get("books/7/").respond(json=row)
    fetched = await Book.objects.aget(pk=7)
    made = Book.from_api(json.loads(json.dumps(row)))
    assert every_value(made) == every_value(fetched)
    assert made == fetched
    assert (made._state.adding, made._state.db) == (False, None)
    assert type(made._state.dialect) is type(fetched._state.dialect)
    assert made.price == decimal.Decimal("12.50")
    assert made.created_at == datetime.datetime(2024, 5, 1, 10, 0, 0, 250000, tzinfo=datetime.UTC)


def test_from_api_converts_on_first_read_and_keeps_the_record() -> None:
    """Keeps the dict itself (no copy) and converts nothing before a field is read."""
    row = book(3, price="not a number")
    obj = Book.from_api(row)
    assert obj._state.wire is row
    assert obj.title == "Book 3"
    with pytest.raises(InvalidResponseError, match=r"Book\.price: the server sent 'not a number'"):
        obj.price  # noqa: B018


def test_from_api_reads_a_nested_object_as_the_related_instance() -> None:
    """A nested foreign key becomes the loaded related instance, as in an ORM row."""
    obj = Book.from_api(book(5, author={"id": 2, "name": "Le Guin"}))
    assert obj.author_id == 2
    assert isinstance(obj.author, Author)
    assert obj.author.name == "Le Guin"


@override_settings(API_ORM_SERVICES=WRAPPING)
def test_from_api_reads_with_the_services_dialect() -> None:
    """Unwraps choices and related pks as the alias's dialect says."""
    obj = Ticket.from_api(
        {"id": 1, "status": {"value": "open", "label": "Open"}, "author": {"pk": 3}}
    )
    assert (obj.status, obj.author_id) == ("open", 3)
    assert obj.get_status_display() == "Open"


async def test_from_api_using_an_alias_saves_back_to_it() -> None:
    """Remembers ``using`` as the instance's alias: saving goes to that service."""
    obj = Book.from_api(book(6), using="provider")
    assert obj._state.db == "provider"
    obj.title = "Changed"
    with respx.mock(base_url=PROVIDER, assert_all_mocked=True) as mock:
        route = mock.put("books/6/").respond(json=book(6, title="Changed"))
        await obj.asave()
    assert route.called
    assert obj.title == "Changed"


def test_from_api_using_the_models_own_alias_keeps_none() -> None:
    """Naming the model's own service stores no alias, as the ORM's rows do."""
    assert Book.from_api(book(1), using="default")._state.db is None


def test_from_api_unknown_alias_is_a_configuration_error() -> None:
    with pytest.raises(ImproperlyConfigured, match="nope"):
        Book.from_api(book(1), using="nope")


def test_from_api_refuses_a_record_that_is_not_an_object() -> None:
    with pytest.raises(InvalidResponseError, match="expected each Book row to be a JSON object"):
        Book.from_api([1, 2])  # type: ignore[arg-type]


def test_from_api_refuses_an_abstract_model() -> None:
    with pytest.raises(TypeError, match="Named is abstract"):
        Named.from_api({"name": "x"})


def test_from_api_makes_an_embedded_record() -> None:
    """An embedded model has no service: no alias, no dialect, values as sent."""
    point = Point.from_api({"x": 1, "y": 2})
    assert (point.x, point.y) == (1, 2)
    with pytest.raises(TypeError, match="Point is an embedded record and has no service"):
        Point.from_api({"x": 1, "y": 2}, using="provider")


def test_from_api_list_keeps_order_and_accepts_any_iterable() -> None:
    rows = [book(pk) for pk in (3, 1, 2)]
    assert [b.pk for b in Book.from_api_list(rows)] == [3, 1, 2]
    assert [b.pk for b in Book.from_api_list(row for row in rows)] == [3, 1, 2]
    assert Book.from_api_list([]) == []


@pytest.mark.parametrize("data", [page([book(1)]), "[]", b"[]"])
def test_from_api_list_refuses_a_page_or_a_string(data: Any) -> None:
    """A whole page (a dict) or undecoded JSON says what to pass instead."""
    with pytest.raises(TypeError, match=r"takes a list of records.*data\['results'\]"):
        Book.from_api_list(data)


def test_from_api_list_refuses_a_row_that_is_not_an_object() -> None:
    with pytest.raises(InvalidResponseError, match="got int: '5'"):
        Book.from_api_list([book(1), 5])  # type: ignore[list-item]


async def test_from_api_list_over_a_custom_endpoint(api: respx.MockRouter) -> None:
    """The use it is for: an endpoint the ORM does not map, fetched with the client."""
    api.get("books/featured/").respond(json=page([book(1), book(2, in_print=False)]))
    response = await services["default"].get("books/featured/")
    featured = Book.from_api_list(response.data["results"])
    assert [(b.pk, b.in_print) for b in featured] == [(1, True), (2, False)]


class Tracked(RemoteModel):
    """A model whose own __setattr__ records assignments (as change tracking does)."""

    name = fields.CharField()
    price = fields.DecimalField(max_digits=8, decimal_places=2)

    class Meta:
        endpoint = "tracked/"
        app_label = "testapp"
        filter_fields: dict[str, list[str]] = {}
        ordering_fields = ["id"]

    def __setattr__(self, name: str, value: Any) -> None:
        if not name.startswith("_"):
            self.__class__.assigned.append(name)
        super().__setattr__(name, value)

    assigned: list[str] = []


def test_reading_fields_never_runs_the_models_setattr() -> None:
    """A first read caches the value without calling the model's __setattr__;
    an assignment does call it."""
    Tracked.assigned.clear()
    obj = Tracked.from_api({"id": 1, "name": "a", "price": "1.50"})
    assert (obj.name, obj.price, obj.id) == ("a", decimal.Decimal("1.50"), 1)
    assert Tracked.assigned == []
    assert vars(obj)["price"] == decimal.Decimal("1.50")  # cached all the same
    obj.name = "b"
    assert Tracked.assigned == ["name"]
