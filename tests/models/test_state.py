"""Instance state (``instance._state``) and the dialect reading a row's nested values."""

from __future__ import annotations

import copy
import gc
import pickle
from typing import Any

import pytest
import respx
from django.test import override_settings

from django_api_orm import InvalidResponseError, RemoteModel, fields
from django_api_orm.dialects import DRFDialect
from django_api_orm.hydration import hydrate
from django_api_orm.protocols import FieldLike
from django_api_orm.state import ModelState
from tests.models.conftest import API, book, page
from tests.testapp.models import Author, Book


class WrappingDialect(DRFDialect):
    """A provider that wraps related pks as ``{"pk": ...}`` and choices as ``{"value": ...}``."""

    def related_pk(self, value: Any, target: FieldLike) -> tuple[Any, dict[str, Any] | None]:
        if isinstance(value, dict) and set(value) == {"pk"}:
            return value["pk"], None
        return super().related_pk(value, target)

    def choice_value(self, value: Any) -> Any:
        return value["value"] if isinstance(value, dict) else value


class Ticket(RemoteModel):
    status = fields.CharField(choices=[("open", "Open"), ("closed", "Closed")])
    author = fields.ForeignKey(Author, related_name="tickets", null=True)

    class Meta:
        endpoint = "tickets/"
        app_label = "testapp"
        filter_fields: dict[str, list[str]] = {}
        ordering_fields = ["id"]


WRAPPING = {
    "default": {
        "BASE_URL": API,
        "MAX_RETRIES": 0,
        "DIALECT": "tests.models.test_state.WrappingDialect",
    }
}


def test_a_new_instance_is_adding_with_no_row() -> None:
    """Marks an instance made here as adding, with no server row and no alias."""
    state = Book(title="x")._state
    assert isinstance(state, ModelState)
    assert (state.adding, state.wire, state.db) == (True, None, None)


async def test_a_listed_instance_keeps_its_row_and_is_saved(api: respx.MockRouter) -> None:
    """Keeps the server's row as it came and marks the instance as not adding."""
    row = book(1)
    api.get("books/").respond(json=page([row]))
    obj = await Book.objects.afirst()
    assert obj is not None
    assert obj._state.wire == row
    assert obj._state.adding is False
    assert obj._state.db is None


async def test_create_loads_the_answer_into_the_state(api: respx.MockRouter) -> None:
    """Replaces the state's row with the answer to a POST and marks it saved."""
    api.post("books/").respond(201, json=book(9, title="New"))
    obj = await Book.objects.acreate(title="New", price="1.00")
    assert obj._state.adding is False
    assert obj._state.wire == book(9, title="New")
    assert obj.pk == 9


def test_fields_absent_from_the_row_are_deferred() -> None:
    """Reports the fields a row did not carry, until they are set."""
    obj = Book.from_api({"id": 1, "title": "T"})
    assert obj.get_deferred_fields() == {
        "price",
        "published",
        "in_print",
        "tags",
        "author_id",
        "created_at",
    }
    obj.price = "2.00"
    assert "price" not in obj.get_deferred_fields()
    assert Book(title="x").get_deferred_fields() == set()


def test_a_copy_does_not_share_the_relation_cache() -> None:
    """Copies the state with its own relation caches, sharing the row."""
    obj = Book.from_api(book(1, author={"id": 7, "name": "Ann"}))
    assert obj.author.name == "Ann"
    for clone in (copy.copy(obj), pickle.loads(pickle.dumps(obj))):
        assert clone._state is not obj._state
        clone._state.forget_relation("author")
        assert obj._state.cached_relation("author").name == "Ann"


@override_settings(API_ORM_SERVICES=WRAPPING)
async def test_the_service_dialect_reads_related_pks_and_choices(api: respx.MockRouter) -> None:
    """Reads a foreign key and a choice through the dialect of the service the row came from."""
    row = {"id": 3, "status": {"value": "open", "label": "Open"}, "author": {"pk": 7}}
    api.get("tickets/").respond(json=page([row]))
    ticket = await Ticket.objects.afirst()
    assert ticket is not None
    assert ticket.status == "open"
    assert ticket.get_status_display() == "Open"
    assert ticket.author_id == 7
    assert ticket._state.relations is None  # a bare pk, not a nested object to load


async def test_the_default_dialect_loads_a_nested_object_as_the_relation(
    api: respx.MockRouter,
) -> None:
    """Loads a nested related object as the related instance, through the same hydration."""
    api.get("books/").respond(json=page([book(1, author={"id": 7, "name": "Ann"})]))
    obj = await Book.objects.afirst()
    assert obj is not None
    assert obj.author_id == 7
    author = obj._state.cached_relation("author")
    assert isinstance(author, Author)
    assert author._state.adding is False
    assert author.name == "Ann"


def test_hydration_leaves_the_garbage_collector_as_it_found_it() -> None:
    """Pauses the cyclic collector only while rows hydrate, and restores it, on or off."""
    rows = [book(pk) for pk in range(3)]
    assert gc.isenabled()
    assert len(hydrate(Book, rows, where="test")) == 3
    assert gc.isenabled()
    gc.disable()
    try:
        hydrate(Book, rows, where="test")
        assert not gc.isenabled()
    finally:
        gc.enable()
    with pytest.raises(InvalidResponseError):
        hydrate(Book, [book(1), "not a row"], where="test")
    assert gc.isenabled()
