"""``drift()`` and ``inspectapi --check``: one line per difference between hand-written
models and the schema, none on the schema they were written from."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from django_api_orm.inspectapi import drift, generate
from example_project.storefront import models as storefront
from tests.inspectapi.support import SERVICES, django_check, netbox_schema, provider_schema

STOREFRONT = "example_project.storefront.models"


def test_no_drift_on_the_schema_the_storefront_was_written_from() -> None:
    assert drift(STOREFRONT, provider_schema()) == []
    assert drift(storefront, provider_schema()) == []


def test_no_drift_for_the_hand_written_netbox_models() -> None:
    with override_settings(API_ORM_SERVICES=SERVICES):
        assert drift("tests.netbox.models", netbox_schema(), service="netbox") == []


def _book(schema: dict[str, Any]) -> dict[str, Any]:
    book: dict[str, Any] = schema["components"]["schemas"]["Book"]
    return book


def _remove_field(schema: dict[str, Any]) -> None:
    del _book(schema)["properties"]["published"]


def _retype_field(schema: dict[str, Any]) -> None:
    _book(schema)["properties"]["title"] = {"type": "integer"}


def _drop_filter(schema: dict[str, Any]) -> None:
    get = schema["paths"]["/api/books/"]["get"]
    get["parameters"] = [p for p in get["parameters"] if p["name"] != "price__lt"]


def _drop_exclusion(schema: dict[str, Any]) -> None:
    get = schema["paths"]["/api/books/"]["get"]
    get["parameters"] = [p for p in get["parameters"] if p["name"] != "title__not"]


def _require_new_field(schema: dict[str, Any]) -> None:
    _book(schema)["properties"]["isbn"] = {"type": "string", "maxLength": 13}
    _book(schema)["required"].append("isbn")


def _remove_endpoint(schema: dict[str, Any]) -> None:
    del schema["paths"]["/api/genres/"]


def _list_ordering(schema: dict[str, Any]) -> None:
    for param in schema["paths"]["/api/books/"]["get"]["parameters"]:
        if param["name"] == "ordering":
            param["schema"] = {"type": "string", "enum": ["id", "-id", "title", "-title"]}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_remove_field, ["Book.published: 'published' is no longer in the schema."]),
        (
            _retype_field,
            [
                "Book.title: a CharField, but the schema now describes 'title' as integer "
                "(inspectapi would write an IntegerField)."
            ],
        ),
        (
            _drop_filter,
            ["Book.Meta.filter_fields: 'price__lt' is no longer documented as a query parameter."],
        ),
        (
            _drop_exclusion,
            [
                "Book.Meta.exclude_filters: 'title' is sent as 'title__not', which is no "
                "longer documented as a query parameter."
            ],
        ),
        (
            _require_new_field,
            [
                "Book: the schema requires 'isbn' on create, and the model has no field for "
                "it (inspectapi would write a CharField)."
            ],
        ),
        (
            _remove_endpoint,
            ["Genre: the endpoint 'genres/' is no longer in the schema (no list route)."],
        ),
        (
            _list_ordering,
            [
                f"Book.Meta.ordering_fields: '{name}' is no longer accepted by the ordering "
                "parameter."
                for name in ["author", "created_at", "price", "published"]
            ],
        ),
    ],
)
def test_one_line_per_drift(change: Callable[[dict[str, Any]], None], expected: list[str]) -> None:
    schema = provider_schema()
    change(schema)
    assert drift(STOREFRONT, schema) == expected


def test_check_command_exits_1_on_drift(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    schema = provider_schema()
    _remove_field(schema)
    path = tmp_path / "schema.json"
    path.write_text(json.dumps(schema), encoding="utf-8")
    with pytest.raises(CommandError, match=r"1 drift\(s\) between"):
        call_command("inspectapi", str(path), check=STOREFRONT)
    assert "Book.published: 'published' is no longer in the schema." in capsys.readouterr().out


def test_check_command_says_no_drift(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "schema.json"
    path.write_text(json.dumps(provider_schema()), encoding="utf-8")
    call_command("inspectapi", str(path), check=STOREFRONT)
    assert capsys.readouterr().out == "No drift.\n"


def test_generated_module_has_no_drift(tmp_path: Path) -> None:
    """The generated module, installed as an app, checked against its own schema by
    ``manage.py inspectapi --check`` in a subprocess: exit status 0."""
    schema_path = tmp_path / "schema.json"
    schema_path.write_text(json.dumps(provider_schema()), encoding="utf-8")
    source = generate(provider_schema()).source
    run = django_check(
        source, tmp_path, "inspectapi", str(schema_path), "--check", "generatedapp.models"
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout == "No drift.\n"
    schema = provider_schema()
    _remove_field(schema)
    schema_path.write_text(json.dumps(schema), encoding="utf-8")
    (tmp_path / "again").mkdir()
    run = django_check(
        source, tmp_path / "again", "inspectapi", str(schema_path), "--check", "generatedapp.models"
    )
    assert run.returncode == 1
    assert "Book.published: 'published' is no longer in the schema." in run.stdout
    assert "BooksLo.published: 'published' is no longer in the schema." in run.stdout
