"""``drift()``: where hand-written RemoteModels no longer match the schema."""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django_api_orm.inspectapi.build import ModelSpec
    from django_api_orm.models.base import RemoteModel
    from django_api_orm.models.fields import Field

__all__ = ["drift"]

#: Field class → the kind of JSON value it reads.
_FAMILIES: dict[str, str] = {
    "CharField": "string",
    "TextField": "string",
    "EmailField": "string",
    "URLField": "string",
    "DateField": "date",
    "DateTimeField": "datetime",
    "TimeField": "time",
    "DurationField": "string",
    "UUIDField": "string",
    "DecimalField": "decimal",
    "IntegerField": "integer",
    "FloatField": "number",
    "BooleanField": "boolean",
    "ListField": "array",
    "ManyToManyField": "array",
    "ForeignKey": "relation",
    "JSONField": "any",
    "DictField": "any",
    "EmbeddedField": "any",
}
_COMPATIBLE = {
    frozenset({"relation", "integer"}),
    frozenset({"relation", "string"}),
    frozenset({"number", "integer"}),
    frozenset({"decimal", "number"}),
    frozenset({"decimal", "string"}),
    frozenset({"duration", "string"}),
}


def _placeholders(endpoint: str) -> str:
    return re.sub(r"{[^}]*}", "{}", endpoint)


def _a(kind: str) -> str:
    return f"an {kind}" if kind[:1] in "AEIOU" else f"a {kind}"


def _family(kind: str) -> str:
    return _FAMILIES.get(kind, "any")


def _models(module: ModuleType) -> list[type[RemoteModel]]:
    from django_api_orm.models.base import RemoteModel

    found = []
    for value in vars(module).values():
        if (
            isinstance(value, type)
            and issubclass(value, RemoteModel)
            and value is not RemoteModel
            and value.__module__ == module.__name__
        ):
            opts = value._meta
            if not opts.abstract and not opts.embedded and opts.endpoint:
                found.append(value)
    return found


def drift(
    models: ModuleType | str, schema: Mapping[str, Any], *, service: str = "default"
) -> list[str]:
    """Return one line per difference between ``models``' RemoteModels and ``schema``.

    ``models`` is a module or its dotted path. Each model is found in the schema by
    ``Meta.endpoint``; a field gone or retyped, a filter or an ordering field no
    longer documented, a field the schema now requires on create, or an endpoint
    gone is reported. ``[]`` means no drift.
    """
    from django_api_orm.inspectapi.build import build_models

    module = importlib.import_module(models) if isinstance(models, str) else models
    specs, _ = build_models(schema, service=service)
    by_endpoint: dict[str, ModelSpec] = {}
    for spec in specs:
        by_endpoint.setdefault(_placeholders(spec.meta_endpoint), spec)
    lines: list[str] = []
    for model in _models(module):
        opts = model._meta
        found = by_endpoint.get(_placeholders(str(opts.endpoint)))
        if found is None:
            lines.append(
                f"{opts.object_name}: the endpoint {opts.endpoint!r} is no longer in the "
                "schema (no list route)."
            )
            continue
        lines.extend(_field_drift(model, found))
        lines.extend(_filter_drift(model, found))
    return lines


def _field_drift(model: type[RemoteModel], spec: ModelSpec) -> list[str]:
    opts = model._meta
    name = opts.object_name
    lines: list[str] = []
    declared: dict[str, Field] = {}
    for field in opts.fields:
        declared[field.source] = field
        if getattr(field, "auto_created", False):
            continue
        column = spec.columns.get(field.source)
        if column is None:
            if field.name in opts.path_parents:
                continue
            lines.append(f"{name}.{field.name}: '{field.source}' is no longer in the schema.")
            continue
        ours, theirs = _family(type(field).__name__), _family(column.kind)
        if column.choices is not None:
            theirs = "string" if column.kind == "CharField" else theirs
        differ = ours != theirs and "any" not in (ours, theirs)
        if differ and frozenset({ours, theirs}) not in _COMPATIBLE:
            lines.append(
                f"{name}.{field.name}: a {type(field).__name__}, but the schema now "
                f"describes '{field.source}' as {column.wire_type or 'another type'} "
                f"(inspectapi would write {_a(column.kind)})."
            )
    for wire in sorted(spec.required_writable):
        column = spec.columns[wire]
        if wire not in declared and column.name not in opts.path_parents:
            lines.append(
                f"{name}: the schema requires '{wire}' on create, and the model has no "
                f"field for it (inspectapi would write {_a(column.kind)})."
            )
    return lines


def _filter_drift(model: type[RemoteModel], spec: ModelSpec) -> list[str]:
    opts = model._meta
    name = opts.object_name
    lines: list[str] = []
    wire_names = {f.name: spec.columns.get(f.source) for f in opts.fields}
    documented = spec.meta.filter_fields
    for key, lookups in sorted((opts.filter_fields or {}).items()):
        first, _, rest = key.partition("__")
        column = wire_names.get(first)
        if column is None and first not in ("id", "pk"):
            continue  # a field gone from the schema: reported once, as a field
        generated = column.name if column is not None else "id"
        path = f"{generated}__{rest}" if rest else generated
        known = set(documented.get(path, ()))
        if {"gte", "lte"} <= known:
            known.add("range")  # NetBox's range is sent as __gte and __lte
        for lookup in sorted(set(lookups) - known):
            written = key if lookup == "exact" else f"{key}__{lookup}"
            lines.append(
                f"{name}.Meta.filter_fields: '{written}' is no longer documented as a "
                "query parameter."
            )
    for key, param in sorted(opts.exclude_filters.items()):
        if param not in spec.endpoint.params:
            lines.append(
                f"{name}.Meta.exclude_filters: {key!r} is sent as '{param}', which is no "
                "longer documented as a query parameter."
            )
    ordering = spec.meta.ordering_fields
    if ordering is not None and opts.ordering_fields is not None:
        for field_name in sorted(opts.ordering_fields):
            column = wire_names.get(field_name)
            generated = column.name if column is not None else field_name
            if generated not in ordering:
                lines.append(
                    f"{name}.Meta.ordering_fields: '{field_name}' is no longer accepted by "
                    "the ordering parameter."
                )
    return lines
