"""A list route's query parameters → ``filter_fields``, ``exclude_filters``,
``ordering_fields`` and ``pagination``, read through the service's dialect."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django_api_orm.dialects.base import BaseDialect
from django_api_orm.inspectapi.columns import Column
from django_api_orm.inspectapi.schema import Endpoint, resolve

__all__ = ["MetaSpec", "read_meta"]

#: The order lookups are written in.
_ORDER = (
    *("exact", "iexact", "contains", "icontains", "startswith", "istartswith", "endswith"),
    *("iendswith", "regex", "iregex", "in", "gt", "gte", "lt", "lte", "range", "isnull"),
    *("date", "year", "month", "day", "week_day", "hour", "minute", "second"),
)
_SIZE_PARAMS = ("page_size", "per_page", "size", "limit")
_SEARCH_PARAMS = ("search", "q")


@dataclass
class MetaSpec:
    """What ``class Meta`` says beside the endpoint, and the comments that go with it."""

    filter_fields: dict[str, list[str]] = field(default_factory=dict)
    exclude_filters: dict[str, str] = field(default_factory=dict)
    inferred_excludes: bool = False
    ordering_fields: list[str] | None = None
    pagination: dict[str, str] | None = None
    comments: list[str] = field(default_factory=list)


def _param_schema(schema: Mapping[str, Any], param: Mapping[str, Any]) -> Mapping[str, Any]:
    node = resolve(schema, param.get("schema"))
    return node if isinstance(node, Mapping) else {}


def read_meta(
    schema: Mapping[str, Any],
    endpoint: Endpoint,
    columns: Mapping[str, Column],
    dialect: BaseDialect,
    service_style: str,
    service_size_param: str = "page_size",
) -> MetaSpec:
    """Return the Meta options the list route's parameters document."""
    spec = MetaSpec()
    params = endpoint.params
    by_name = {c.name: c for c in columns.values()}
    if "id" not in by_name:
        by_name["id"] = Column(name="id", wire="id", kind="IntegerField")  # the implicit pk
    found: dict[str, set[str]] = {}
    repeated: list[str] = []
    for name in sorted(params):
        param = params[name]
        if name in _SEARCH_PARAMS or name == dialect.search_param:
            spec.comments.append(
                f"The provider searches with ?{name}=, but {type(dialect).__name__} has no "
                f'search_param: a subclass with search_param = "{name}" sends '
                "QuerySet.search()."
                if name != dialect.search_param
                else f"Searched with ?{name}= (QuerySet.search())."
            )
            continue
        read = dialect.read_param(name)
        if read is None:
            continue
        path, lookup, negated = read
        node = _param_schema(schema, param)
        if name.endswith("__not") and not dialect.negates_filters:
            inner = dialect.read_param(name.removesuffix("__not"))
            if inner is not None and inner[0].split("__")[0] in by_name:
                key = inner[0] if inner[1] == "exact" else f"{inner[0]}__{inner[1]}"
                spec.exclude_filters[key] = name
                spec.inferred_excludes = True
            continue
        if negated:
            continue  # the dialect negates this filter itself: exclude() sends it
        first = path.split("__")[0]
        column = by_name.get(first)
        if column is None:
            continue
        if column.kind != "ForeignKey" and f"{first}_id" in params:
            continue  # a filter on a relation this model keeps as a plain value
        if column.kind == "JSONField":
            continue  # a JSON value has no lookup the ORM sends (NetBox's "has data" flags)
        if (
            column.kind == "ForeignKey"
            and path == first
            and name.split("__")[0] == first
            and f"{first}_id" in params
        ):
            path = f"{first}__slug"  # NetBox's bare foreign key parameter takes the slug
        lookups = found.setdefault(path, set())
        lookups.add(lookup)
        if node.get("type") == "array":
            explode = bool(param.get("explode", param.get("style", "form") == "form"))
            if lookup == "exact" and explode and dialect.repeat_multiple_values:
                lookups.add("in")
            if lookup == "in" and explode != dialect.repeat_multiple_values:
                repeated.append(name)
        if column.kind == "ForeignKey" and name == f"{first}_id" and lookup == "exact":
            lookups.add("isnull")  # <fk>_id=null: the dialect sends isnull on it
    order = ["id", *by_name]

    def position(path: str) -> tuple[int, str]:
        first = path.split("__")[0]
        return (order.index(first) if first in order else len(order), path)

    spec.filter_fields = {
        path: sorted(found[path], key=lambda x: _ORDER.index(x) if x in _ORDER else len(_ORDER))
        for path in sorted(found, key=position)
    }
    spec.exclude_filters = {
        key: spec.exclude_filters[key] for key in sorted(spec.exclude_filters, key=position)
    }
    for name in repeated:
        spec.comments.append(
            f"?{name} is documented as "
            f"{'repeated keys' if not dialect.repeat_multiple_values else 'one comma list'}, "
            f"but {type(dialect).__name__} sends "
            f"{'repeated keys' if dialect.repeat_multiple_values else 'a comma list'}."
        )
    _ordering(schema, endpoint, dialect, spec, by_name)
    _pagination(endpoint, spec, service_style, service_size_param)
    return spec


def _ordering(
    schema: Mapping[str, Any],
    endpoint: Endpoint,
    dialect: BaseDialect,
    spec: MetaSpec,
    by_name: Mapping[str, Column],
) -> None:
    param = endpoint.params.get(dialect.ordering_param or "")
    if param is None:
        return
    node = _param_schema(schema, param)
    if node.get("type") == "array":
        items = resolve(schema, node.get("items"))
        node = items if isinstance(items, Mapping) else {}
    values = node.get("enum")
    if not isinstance(values, list):
        spec.comments.append(
            f"?{dialect.ordering_param}= is accepted, but the schema does not list its "
            "fields: declare ordering_fields by hand."
        )
        return
    names: list[str] = []
    for value in values:
        name = str(value).removeprefix("-")
        if name and name not in names and (name in by_name or name == "id"):
            names.append(name)
    spec.ordering_fields = names


def _pagination(endpoint: Endpoint, spec: MetaSpec, service_style: str, size_param: str) -> None:
    params = endpoint.params
    size = next((p for p in _SIZE_PARAMS if p in params and p != "limit"), None)
    style: dict[str, str]
    if "cursor" in params:
        style = {"STYLE": "cursor"}
    elif "limit" in params and "offset" in params:
        style = {"STYLE": "limit_offset"}
    elif endpoint.bare and ("page" in params or size is not None):
        style = {"STYLE": "link_header"}
    elif endpoint.bare:
        style = {"STYLE": "none"}
    elif "page" in params:
        style = {"STYLE": "page_number"}
    else:
        spec.comments.append(
            "The list answer is paginated, but the schema documents no page parameter: "
            "check Meta.pagination."
        )
        return
    if style["STYLE"] in ("page_number", "cursor", "link_header") and size not in (
        None,
        size_param,
    ):
        style["PAGE_SIZE_PARAM"] = size or ""
    if style["STYLE"] in ("page_number", "link_header") and size is None:
        spec.comments.append(
            "The schema documents no page size parameter: pages are the provider's size."
        )
    if style != {"STYLE": service_style}:
        spec.pagination = style
