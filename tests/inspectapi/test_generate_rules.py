"""The generation rules the two real schemas do not exercise, on a small schema:
names that are no identifiers, a primary key other than ``id``, integer choices,
decimals without a pattern, many-to-many, link-header pages, explode mismatches."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from django_api_orm.inspectapi import Inspection, generate
from tests.inspectapi.support import classes, django_check, ruff_problems


def _list(item: str, params: list[dict[str, Any]], *, bare: bool = False) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{item}"}
    answer: dict[str, Any] = {"type": "array", "items": ref}
    if not bare:
        answer = {"type": "object", "properties": {"count": {"type": "integer"}, "results": answer}}
    return {
        "get": {
            "parameters": params,
            "responses": {"200": {"content": {"application/json": {"schema": answer}}}},
        }
    }


def _detail(item: str, name: str, kind: str = "integer") -> dict[str, Any]:
    return {
        "get": {
            "parameters": [
                {"in": "path", "name": name, "required": True, "schema": {"type": kind}}
            ],
            "responses": {
                "200": {
                    "content": {
                        "application/json": {"schema": {"$ref": f"#/components/schemas/{item}"}}
                    }
                }
            },
        }
    }


def _q(name: str, schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"in": "query", "name": name, "schema": schema, **extra}


SCHEMA: dict[str, Any] = {
    "openapi": "3.1.0",
    "paths": {
        "/api/countries/": _list(
            "Country",
            [
                _q("page", {"type": "integer"}),
                _q("per_page", {"type": "integer"}),
                _q("code__in", {"type": "array", "items": {"type": "string"}}, explode=True),
                _q("ordering", {"type": "string", "enum": ["code", "-code", "name", "-name"]}),
            ],
            bare=True,
        ),
        "/api/countries/{code}/": _detail("Country", "code", "string"),
        "/api/labels/": _list("Label", [_q("page", {"type": "integer"})]),
        "/api/labels/{id}/": _detail("Label", "id"),
        "/api/events/": _list("Event", [], bare=True),
        "/api/labels/{id}/events/": _list("Event", [], bare=True),
    },
    "components": {
        "schemas": {
            "Country": {
                "type": "object",
                "properties": {
                    "code": {"type": "string", "maxLength": 2},
                    "name": {"type": "string"},
                    "class": {"type": "string", "maxLength": 10},
                    "first-name": {"type": "string", "format": "email"},
                    "fields": {"type": "boolean"},
                    "level": {
                        "type": "integer",
                        "enum": [1, 2, 3],
                        "description": "* `1` - Low\n* `2` - Mid\n* `3` - High",
                    },
                    "rate": {"type": "string", "format": "decimal"},
                    "labels": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/BriefLabel"},
                    },
                    "meta": {"type": "object", "additionalProperties": {}},
                    "uid": {"type": "string", "format": "uuid", "readOnly": True},
                },
                "required": ["code", "name"],
            },
            "Label": {
                "type": "object",
                "properties": {"id": {"type": "integer"}, "text": {"type": "string"}},
            },
            "BriefLabel": {
                "type": "object",
                "properties": {"id": {"type": "integer"}, "text": {"type": "string"}},
            },
            "Event": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "at": {"type": "string", "format": "time"},
                },
            },
        }
    },
}


@pytest.fixture(scope="module")
def inspection() -> Inspection:
    return generate(SCHEMA)


@pytest.fixture(scope="module")
def country(inspection: Inspection) -> dict[str, Any]:
    return classes(inspection.source)["Country"]


def test_names_that_are_no_identifiers_keep_their_wire_key(country: dict[str, Any]) -> None:
    fields = country["fields"]
    assert fields["class_field"] == (
        "CharField",
        [],
        {"max_length": "10", "blank": "True", "default": "''", "source": "'class'"},
    )
    assert fields["first_name"][0] == "EmailField"
    assert fields["first_name"][2]["source"] == "'first-name'"
    # ``fields = ...`` would hide the module in the class body.
    assert fields["fields_field"] == ("BooleanField", [], {"blank": "True", "source": "'fields'"})


def test_primary_key_from_the_detail_path(country: dict[str, Any]) -> None:
    assert country["fields"]["code"] == (
        "CharField",
        [],
        {"primary_key": "True", "max_length": "2"},
    )


def test_types(country: dict[str, Any], inspection: Inspection) -> None:
    fields = country["fields"]
    assert fields["name"] == ("TextField", [], {})
    assert fields["level"] == ("IntegerField", [], {"choices": "LEVEL_CHOICES", "blank": "True"})
    assert 'LEVEL_CHOICES = ((1, "Low"), (2, "Mid"), (3, "High"))' in inspection.source
    assert fields["rate"] == ("DecimalField", [], {"blank": "True"})
    assert "# max_digits and decimal_places are not in the schema" in inspection.source
    assert fields["labels"] == ("ManyToManyField", ["Label"], {})
    assert fields["meta"] == ("JSONField", [], {"blank": "True"})
    assert fields["uid"] == ("UUIDField", [], {"blank": "True", "read_only": "True"})


def test_meta(country: dict[str, Any], inspection: Inspection) -> None:
    meta = country["meta"]
    assert meta["pagination"] == {"STYLE": "link_header", "PAGE_SIZE_PARAM": "per_page"}
    assert meta["ordering_fields"] == ["code", "name"]
    assert meta["filter_fields"] == {"code": ["in"]}
    assert "?code__in is documented as repeated keys, but DRFDialect sends a comma list." in (
        inspection.source
    )
    events = classes(inspection.source)["Event"]
    assert events["meta"]["pagination"] == {"STYLE": "none"}
    assert events["fields"]["at"] == ("TimeField", [], {"blank": "True"})
    assert "has no detail route" in inspection.source


def test_order_and_problems(inspection: Inspection) -> None:
    assert inspection.models.index("Label") < inspection.models.index("Country")
    assert inspection.problems == []
    assert generate(SCHEMA, endpoints=["nothing/"]).problems == [
        "nothing/: no list endpoint starts with it."
    ]


def test_ruff_clean_and_checked(inspection: Inspection, tmp_path: Path) -> None:
    assert ruff_problems(inspection.source, tmp_path) == ""
    run = django_check(inspection.source, tmp_path)
    assert run.returncode == 0, run.stderr
    assert "ERRORS" not in run.stderr


def test_nested_endpoint_under_an_id(inspection: Inspection) -> None:
    """``labels/{id}/events/``: the parent's foreign key is named from the path."""
    nested = classes(inspection.source)["LabelsEvents"]
    assert nested["meta"]["endpoint"] == "labels/{label}/events/"
    assert nested["fields"]["label"] == ("ForeignKey", ["Label"], {"read_only": "True"})
    assert inspection.endpoints[inspection.models.index("LabelsEvents")] == "labels/{id}/events/"
