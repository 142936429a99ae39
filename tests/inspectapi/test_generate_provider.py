"""``generate()`` on the example provider's schema reproduces the storefront's models
where the schema carries the information; the module is ruff-clean and passes
``manage.py check``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from django_api_orm.inspectapi import Inspection, generate
from example_project.storefront import models as storefront
from tests.inspectapi.support import classes, django_check, provider_schema, ruff_problems
from tests.integration import remote_models


@pytest.fixture(scope="module")
def inspection() -> Inspection:
    return generate(provider_schema())


@pytest.fixture(scope="module")
def generated(inspection: Inspection) -> dict[str, dict[str, Any]]:
    return classes(inspection.source)


def test_one_model_per_list_endpoint(inspection: Inspection) -> None:
    assert dict(zip(inspection.models, inspection.endpoints, strict=True)) == {
        "Author": "authors/",
        "NestedBook": "authors/{author_pk}/books/",
        "BooksCursor": "books-cursor/",
        "BooksLinks": "books-links/",
        "BooksLo": "books-lo/",
        "BooksPlain": "books-plain/",
        "Book": "books/",
        "Genre": "genres/",
    }
    assert inspection.problems == []
    # A foreign key's target comes first, so it is named, not quoted.
    assert inspection.models.index("Author") < inspection.models.index("Book")


def test_header_and_import(inspection: Inspection) -> None:
    assert inspection.source.startswith("# This is an auto-generated RemoteModel module")
    assert "You'll have to do the following manually" in inspection.source
    assert "\nfrom django_api_orm import RemoteModel, fields\n" in inspection.source


@pytest.mark.parametrize("name", ["Author", "Book", "Genre"])
def test_fields_match_the_storefront(generated: dict[str, dict[str, Any]], name: str) -> None:
    model = getattr(storefront, name)
    expected = {f.name: type(f).__name__ for f in model._meta.fields if not f.auto_created}
    found = {field: spec[0] for field, spec in generated[name]["fields"].items()}
    assert found == expected


@pytest.mark.parametrize("name", ["Author", "Book", "Genre"])
def test_filters_match_the_storefront(generated: dict[str, dict[str, Any]], name: str) -> None:
    opts = getattr(storefront, name)._meta
    meta = generated[name]["meta"]
    assert {k: set(v) for k, v in meta["filter_fields"].items()} == {
        k: set(v) for k, v in opts.filter_fields.items()
    }
    assert meta.get("exclude_filters", {}) == opts.exclude_filters
    assert meta["endpoint"] == opts.endpoint
    assert "service" not in meta  # "default"
    assert "pagination" not in meta  # page_number, the DRF default
    assert "ordering_fields" not in meta  # ?ordering= lists no values: left as a comment


def test_book_fields(generated: dict[str, dict[str, Any]], inspection: Inspection) -> None:
    fields = generated["Book"]["fields"]
    assert fields["title"] == ("CharField", [], {"max_length": "200"})
    assert fields["author"] == ("ForeignKey", ["Author"], {})
    assert fields["price"] == ("DecimalField", [], {"max_digits": "8", "decimal_places": "2"})
    assert fields["published"] == ("DateField", [], {"null": "True", "blank": "True"})
    assert fields["tags"] == (
        "ListField",
        ["fields.CharField(max_length=50)"],
        {"blank": "True", "default": "list"},
    )
    assert fields["genres"] == (
        "ListField",
        ["fields.IntegerField()"],
        {"blank": "True", "default": "list"},
    )
    assert fields["created_at"] == ("DateTimeField", [], {"read_only": "True"})
    assert "id" not in fields  # the implicit integer pk
    book = inspection.source[inspection.source.index("class Book(") :]
    assert "# inferred from the name\n    author = fields.ForeignKey(Author)" in book
    assert "fields.ManyToManyField(Genre) would" in book
    assert "# Exclusion filters inferred from the name" in book
    assert "declare ordering_fields" in book


def test_author_fields(generated: dict[str, dict[str, Any]]) -> None:
    assert generated["Author"]["fields"] == {
        "name": ("CharField", [], {"max_length": "100"}),
        "bio": ("TextField", [], {"blank": "True", "default": "''"}),
        "born": ("DateField", [], {"null": "True", "blank": "True"}),
    }


@pytest.mark.parametrize(
    ("name", "hand_written"),
    [
        ("BooksLo", remote_models.LimitOffsetBook),
        ("BooksCursor", remote_models.CursorBook),
        ("BooksPlain", remote_models.PlainBook),
    ],
)
def test_pagination(generated: dict[str, dict[str, Any]], name: str, hand_written: Any) -> None:
    meta = generated[name]["meta"]
    assert meta["pagination"]["STYLE"] == hand_written._meta.pagination["STYLE"]
    assert meta["endpoint"] == hand_written._meta.endpoint


def test_books_links_pagination_is_what_the_schema_says(
    generated: dict[str, dict[str, Any]],
) -> None:
    # drf-spectacular documents books-links/ as a PageNumberPagination page (its
    # paginator subclasses it) with ?page and ?per_page: the schema cannot tell that
    # the pages are bare arrays with Link headers, so page_number it is.
    assert generated["BooksLinks"]["meta"]["pagination"] == {
        "STYLE": "page_number",
        "PAGE_SIZE_PARAM": "per_page",
    }


def test_nested_endpoint(generated: dict[str, dict[str, Any]], inspection: Inspection) -> None:
    nested = generated["NestedBook"]
    assert nested["meta"]["endpoint"] == remote_models.AuthorBook._meta.endpoint
    assert nested["fields"]["author"] == ("ForeignKey", ["Author"], {"read_only": "True"})
    assert "# the {author_pk} of the endpoint's path" in inspection.source
    assert "has no detail route" in inspection.source


def test_same_component_twice_is_named_from_the_path(inspection: Inspection) -> None:
    assert "books-lo/ lists Book objects too (as books/ does): named from its path" in (
        inspection.source.replace("\n    # ", " ")
    )


def test_endpoint_prefixes() -> None:
    only = generate(provider_schema(), endpoints=["books-lo/", "authors/"])
    assert only.models == ["Author", "NestedBook", "BooksLo"]
    assert "class Book(" not in only.source


def test_generation_is_deterministic(inspection: Inspection) -> None:
    assert generate(provider_schema()) == inspection


def test_ruff_clean(inspection: Inspection, tmp_path: Path) -> None:
    assert ruff_problems(inspection.source, tmp_path) == ""


def test_manage_py_check_passes(inspection: Inspection, tmp_path: Path) -> None:
    run = django_check(inspection.source, tmp_path)
    assert run.returncode == 0, run.stderr
    # No error; the one warning per model is W003: the schema does not list the values
    # of ?ordering=, so ordering_fields is left to the developer (a comment says so).
    assert "ERRORS" not in run.stderr
    warned = [line for line in run.stderr.splitlines() if "django_api_orm.W" in line]
    assert warned
    assert all("django_api_orm.W003" in line for line in warned)
