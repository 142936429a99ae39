"""The models a schema describes, before they are written out: names, fields, Meta."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django_api_orm import conf
from django_api_orm.inspectapi.columns import Column, column_for, python_name, q
from django_api_orm.inspectapi.meta import MetaSpec, read_meta
from django_api_orm.inspectapi.schema import Endpoint, find_endpoints
from django_api_orm.services import services

__all__ = ["ModelSpec", "build_models"]

_PREFIXES = ("Brief", "Nested", "Writable", "Patched")


@dataclass
class ModelSpec:
    """One model to write: its class name, route, fields and Meta."""

    name: str
    endpoint: Endpoint
    #: ``Meta.endpoint``: the list path, its parameters renamed to their foreign keys.
    meta_endpoint: str
    columns: dict[str, Column] = field(default_factory=dict)
    meta: MetaSpec = field(default_factory=MetaSpec)
    comments: list[str] = field(default_factory=list)
    #: Wire names of the fields a create must send (required, writable, no default).
    required_writable: set[str] = field(default_factory=set)


def base_path(service: str) -> str:
    """Return the path of ``service``'s BASE_URL, ending in ``/``."""
    path = urlsplit(conf.get_config(service).base_url).path or "/"
    return path if path.endswith("/") else f"{path}/"


def _camel(path: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", re.sub(r"{[^}]*}", "", path))
    return "".join(w[:1].upper() + w[1:] for w in words) or "Resource"


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _singular(word: str) -> str:
    if word.endswith("ies"):
        return f"{word[:-3]}y"
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _last_segment(path: str) -> str:
    parts = [p for p in path.split("/") if p and not p.startswith("{")]
    return parts[-1].replace("-", "_") if parts else ""


def _names(
    endpoints: Sequence[Endpoint],
) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Return path → class name, component → class name, and naming comments."""
    by_component: dict[str, list[Endpoint]] = {}
    for endpoint in endpoints:
        base = endpoint.component or _camel(_singular(_last_segment(endpoint.path)).title())
        base = re.sub(r"\W", "", base) or "Resource"
        by_component.setdefault(base, []).append(endpoint)
    names: dict[str, str] = {}
    components: dict[str, str] = {}
    taken: set[str] = set()
    notes: dict[str, str] = {}
    for base in sorted(by_component):
        group = sorted(by_component[base], key=lambda e: (len(e.path), e.path))
        for index, endpoint in enumerate(group):
            name = base if index == 0 else _camel(endpoint.path)
            while name in taken:
                name = f"{name}_"
            taken.add(name)
            names[endpoint.path] = name
            if index == 0:
                components.setdefault(endpoint.component or base, name)
            else:
                notes[name] = (
                    f"{endpoint.path} lists {base} objects too (as {group[0].path} does): "
                    "named from its path."
                )
    return names, components, notes


def build_models(
    schema: Mapping[str, Any], *, service: str = "default", endpoints: Sequence[str] = ()
) -> tuple[list[ModelSpec], list[str]]:
    """Return the models ``schema`` describes under ``service`` and the problems met."""
    dialect = services.dialect(service)
    config = conf.get_config(service)
    pagination = {**config.pagination, **dialect.default_pagination, **config.pagination_given}
    found, problems = find_endpoints(schema, base_path(service))
    names, components, notes = _names(found)  # from every route: the same names always
    prefixes = tuple(p.lstrip("/") for p in endpoints)
    for prefix in prefixes:
        if not any(e.path.startswith(prefix) for e in found):
            problems.append(f"{prefix}: no list endpoint starts with it.")
    if prefixes:
        found = [e for e in found if e.path.startswith(prefixes)]
        problems = [p for p in problems if p.split(":", 1)[0].startswith(prefixes)]
        components = {c: n for c, n in components.items() if n in {names[e.path] for e in found}}
    by_snake: dict[str, str] = {}
    for endpoint in found:
        name = names[endpoint.path]
        if endpoint.component in components and components[endpoint.component] == name:
            segment = _last_segment(endpoint.path)
            for key in (_snake(name), segment, _singular(segment)):
                by_snake.setdefault(key, name)

    def model_of(component: str) -> str | None:
        if component in components:
            return components[component]
        for prefix in _PREFIXES:
            if component.startswith(prefix) and component[len(prefix) :] in components:
                return components[component[len(prefix) :]]
        return None

    def named_model(wire: str) -> str | None:
        return by_snake.get(wire) or by_snake.get(wire.removesuffix("_id"))

    models: list[ModelSpec] = []
    for endpoint in found:
        spec = _model(schema, endpoint, names[endpoint.path], model_of, named_model, problems)
        if spec is None:
            continue
        if spec.name in notes:
            spec.comments.insert(0, notes[spec.name])
        spec.meta = read_meta(
            schema,
            endpoint,
            spec.columns,
            dialect,
            str(pagination.get("STYLE", "")),
            str(pagination.get("PAGE_SIZE_PARAM", "page_size")),
        )
        models.append(spec)
    return models, problems


def _model(
    schema: Mapping[str, Any],
    endpoint: Endpoint,
    name: str,
    model_of: Any,
    named_model: Any,
    problems: list[str],
) -> ModelSpec | None:
    item = endpoint.item
    required = set(item.get("required") or ())
    spec = ModelSpec(name=name, endpoint=endpoint, meta_endpoint=endpoint.path)

    def named_other(wire: str) -> str | None:
        target = named_model(wire)
        return None if target == name else target

    for wire, prop in item.get("properties", {}).items():
        column = column_for(
            schema,
            str(wire),
            prop,
            required=wire in required,
            model_of=lambda c: model_of(c),
            named_model=named_other,
        )
        if column.target == name:
            column.target = "self"
        spec.columns[str(wire)] = column
    _unique_names(spec)
    _primary_key(spec, problems)
    for parent in endpoint.parents:
        if not _parent(spec, parent, named_model, problems):
            return None
    body = endpoint.body if endpoint.body is not None else item
    body_required = set(body.get("required") or ()) | required
    for wire, column in spec.columns.items():
        props = body.get("properties", {})
        prop = props.get(wire, item["properties"].get(wire, {}))
        if (
            wire in body_required
            and "read_only" not in column.kwargs
            and not (isinstance(prop, Mapping) and ("default" in prop or prop.get("readOnly")))
        ):
            spec.required_writable.add(wire)
    return spec


def _unique_names(spec: ModelSpec) -> None:
    """Rename fields whose names (or a relation's ``<name>_id``) another field takes."""
    taken: set[str] = set()
    for column in spec.columns.values():
        if column.kind in ("ForeignKey", "ManyToManyField"):
            suffix = "_id" if column.kind == "ForeignKey" else "_ids"
            if f"{column.name}{suffix}" in {c.name for c in spec.columns.values()}:
                column.kind, column.target, column.args = "JSONField", None, []
                column.comment = (
                    f"kept as JSON: as a relation its {column.name}{suffix} would clash "
                    "with the field of that name"
                )
    for column in spec.columns.values():
        name, number = column.name, 2
        while name in taken:
            name, number = f"{column.name}_{number}", number + 1
        if name != column.name:
            column.name = name
            column.kwargs["source"] = q(column.wire)
        taken.add(column.name)


def _primary_key(spec: ModelSpec, problems: list[str]) -> None:
    endpoint = spec.endpoint
    param = endpoint.detail_param
    if param is None:
        spec.comments.append(
            f"{endpoint.path} has no detail route: get(pk=...), save() and delete() "
            "build <endpoint><pk>/, which the schema does not document."
        )
    wire = param if param is not None and param in spec.columns else "id"
    if param == "pk" and "pk" not in spec.columns:
        wire = "id"
    column = spec.columns.get(wire)
    if column is None and param is not None:
        spec.comments.append(
            f"The detail route's {{{param}}} is no field of the list items: check the primary key."
        )
    if column is None:
        return
    if wire == "id" and column.kind == "IntegerField":
        del spec.columns[wire]  # the implicit integer pk every RemoteModel has
        return
    kwargs = column.kwargs
    for option in ("null", "blank", "default"):
        kwargs.pop(option, None)
    column.kwargs = {"primary_key": "True", **kwargs}


def _parent(spec: ModelSpec, parent: str, named_model: Any, problems: list[str]) -> bool:
    """Map a nested endpoint's ``{parent}`` to a foreign key and rename it in the path."""
    endpoint = spec.endpoint
    field_name = re.sub(r"_(pk|id)$", "", parent)
    before = endpoint.path[: endpoint.path.index(f"{{{parent}}}")]
    segment = _last_segment(before)
    if field_name in ("id", "pk", "uuid", "slug", ""):
        field_name = python_name(_singular(segment))  # asn-ranges/{id}/... → asn_range
    target = named_model(field_name) or named_model(segment) or named_model(_singular(segment))
    column = spec.columns.get(field_name)
    if target is None:
        problems.append(
            f"{endpoint.path}: no generated model matches the path parameter {{{parent}}}; "
            "skipped (a nested endpoint needs a foreign key to its parent)."
        )
        return False
    if column is None:
        column = Column(name=field_name, wire=field_name, kind="ForeignKey", target=target)
        column.comment = f"the {{{parent}}} of the endpoint's path; not in the answer"
        column.kwargs["read_only"] = "True"
        spec.columns[field_name] = column
    else:
        column.kind, column.target, column.args = "ForeignKey", target, []
        column.comment = f"the {{{parent}}} of the endpoint's path"
    spec.meta_endpoint = spec.meta_endpoint.replace(f"{{{parent}}}", f"{{{column.name}}}")
    return True
