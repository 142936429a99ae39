"""The registry of pagination styles: ``register_style``, ``get_style`` and the E006 check."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest
import respx
from django.core.checks import Error
from django.test import override_settings

from django_api_orm import InvalidResponseError, RemoteModel, fields
from django_api_orm.checks import check_models, check_services
from django_api_orm.pagination import (
    STYLES,
    LinkHeader,
    Page,
    PaginationStyle,
    get_style,
    register_style,
)
from django_api_orm.pagination.styles import Params
from tests.models.conftest import API, book
from tests.testapp.models import Book

BUILT_IN = ("page_number", "limit_offset", "cursor", "none", "link_header")
DOTTED = "tests.pagination.test_registry.ItemsEnvelope"


class ItemsEnvelope(PaginationStyle):
    """``{"items": [...], "total": N, "next": url}``, the size sent as PAGE_SIZE_PARAM."""

    name = "items_envelope"
    reports_count = True

    def page_params(self, start: int, size: int) -> Params:
        return [(self.size_param, str(size))]

    def parse(self, data: Any, headers: Mapping[str, str], *, where: str) -> Page:
        if not isinstance(data, dict) or not isinstance(data.get("items"), list):
            raise InvalidResponseError(f"{where}: expected an items envelope.")
        return Page(data["items"], data.get("next"), data.get("total"))


class Gadget(RemoteModel):
    """A model whose Meta.pagination names a style class by dotted path."""

    name = fields.CharField()

    class Meta:
        app_label = "pagination_tests"
        endpoint = "gadgets/"
        filter_fields: dict[str, list[str]] = {}
        ordering_fields = ["id"]
        pagination = {"STYLE": DOTTED, "PAGE_SIZE": 5, "PAGE_SIZE_PARAM": "limit"}


def service(style: str, **pagination: Any) -> dict[str, Any]:
    """Return API_ORM_SERVICES with the respx service paging in ``style``."""
    return {
        "default": {
            "BASE_URL": API,
            "MAX_RETRIES": 0,
            "PAGINATION": {"STYLE": style, **pagination},
        }
    }


def errors(value: Any) -> list[Error]:
    """Return the errors the service checks report for API_ORM_SERVICES = ``value``."""
    with override_settings(API_ORM_SERVICES=value):
        return [m for m in check_services(None) if isinstance(m, Error)]


@pytest.fixture
def registry() -> Iterator[dict[str, type[PaginationStyle]]]:
    """Give the test the registry, and put it back as it was afterwards."""
    saved = dict(STYLES)
    try:
        yield STYLES
    finally:
        STYLES.clear()
        STYLES.update(saved)


def test_built_in_styles_are_registered_by_name() -> None:
    """Finds each built-in style class by the name PAGINATION["STYLE"] gives it."""
    for name in BUILT_IN:
        assert get_style(name).name == name
    assert get_style("link_header") is LinkHeader


def test_register_style_makes_the_name_valid(registry: dict[str, Any]) -> None:
    """Reports E006 for a style's name until it is registered, and nothing after."""
    setting = service("items_envelope", PAGE_SIZE_PARAM="limit")
    assert [e.id for e in errors(setting)] == ["django_api_orm.E006"]
    assert register_style(ItemsEnvelope) is ItemsEnvelope
    assert registry["items_envelope"] is ItemsEnvelope
    assert errors(setting) == []


async def test_a_query_pages_in_a_registered_style(
    registry: dict[str, Any], api: respx.MockRouter
) -> None:
    """Counts and lists through a registered style: its size parameter, envelope and next."""
    register_style(ItemsEnvelope)
    api.get("books/", params={"cursor": "b"}).respond(json={"items": [book(3)], "next": None})
    api.get("books/").respond(
        json={"items": [book(1), book(2)], "total": 3, "next": f"{API}books/?cursor=b"}
    )
    with override_settings(
        API_ORM_SERVICES=service("items_envelope", PAGE_SIZE=2, PAGE_SIZE_PARAM="limit")
    ):
        assert await Book.objects.acount() == 3
        assert [b.pk async for b in Book.objects.order_by("id")] == [1, 2, 3]
    assert [c.request.url.raw_path.decode() for c in api.calls] == [
        "/api/books/?limit=1",
        "/api/books/?ordering=id&limit=2",
        "/api/books/?cursor=b",
    ]


async def test_a_dotted_path_names_a_style_without_registering_it(
    api: respx.MockRouter,
) -> None:
    """Accepts the dotted path of a PaginationStyle subclass in PAGINATION and uses it."""
    assert "items_envelope" not in STYLES
    setting = service(DOTTED, PAGE_SIZE_PARAM="limit")
    assert errors(setting) == []
    api.get("books/").respond(json={"items": [book(1)], "total": 40})
    with override_settings(API_ORM_SERVICES=setting):
        assert await Book.objects.acount() == 40
    assert api.calls.last.request.url.raw_path.decode() == "/api/books/?limit=1"


async def test_meta_pagination_may_name_a_style_by_dotted_path(api: respx.MockRouter) -> None:
    """Passes the model checks and pages a model in the style its Meta.pagination names."""
    assert [m for m in check_models(None) if m.obj is Gadget] == []
    api.get("gadgets/").respond(json={"items": [{"id": 1, "name": "g"}], "total": 9})
    assert await Gadget.objects.acount() == 9
    assert api.calls.last.request.url.raw_path.decode() == "/api/gadgets/?limit=1"


def test_an_unknown_style_is_reported_by_e006_naming_the_styles() -> None:
    """Reports E006 for an unregistered name, naming every built-in style and a hint."""
    (error,) = errors(service("github"))
    assert error.id == "django_api_orm.E006"
    assert "API_ORM_SERVICES['default']['PAGINATION']['STYLE']" in error.msg
    assert "'github'" in error.msg
    for name in BUILT_IN:
        assert repr(name) in error.msg
    assert "dotted path of a PaginationStyle class" in error.msg
    assert error.hint


@pytest.mark.parametrize(
    "style",
    [
        "django_api_orm.dialects.DRFDialect",  # a class, not a PaginationStyle
        "tests.pagination.test_registry.service",  # a function
        "tests.pagination.no_such_module.Style",
        "page-number",
    ],
)
def test_a_path_to_something_else_is_reported_by_e006(style: str) -> None:
    """Reports E006 for a dotted path that is not an importable PaginationStyle subclass."""
    assert [e.id for e in errors(service(style))] == ["django_api_orm.E006"]


def test_get_style_names_the_registered_styles(registry: dict[str, Any]) -> None:
    """Raises LookupError listing every registered style, a newly registered one too."""
    register_style(ItemsEnvelope)
    with pytest.raises(LookupError) as info:
        get_style("github")
    for name in (*BUILT_IN, "items_envelope"):
        assert name in str(info.value)


def test_a_style_without_a_name_cannot_be_registered(registry: dict[str, Any]) -> None:
    """Raises TypeError for a style class that sets no name, registering nothing."""

    class Nameless(PaginationStyle):
        pass

    before = dict(registry)
    with pytest.raises(TypeError, match="Nameless must set"):
        register_style(Nameless)
    assert registry == before


def test_a_subclass_must_name_itself_to_be_registered(registry: dict[str, Any]) -> None:
    """Refuses a subclass that inherits its parent's name, which would replace the parent."""

    class GitLabLinks(LinkHeader):
        total_header = "X-Total"

    inherits = r"GitLabLinks must set a name to be registered \(it inherits 'link_header'\)"
    with pytest.raises(TypeError, match=inherits):
        register_style(GitLabLinks)
    assert registry["link_header"] is LinkHeader

    class NamedGitLabLinks(LinkHeader):
        name = "gitlab_links"
        total_header = "X-Total"

    register_style(NamedGitLabLinks)
    assert get_style("gitlab_links") is NamedGitLabLinks
    assert registry["link_header"] is LinkHeader
