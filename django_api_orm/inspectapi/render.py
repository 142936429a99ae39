"""Writing the models out as a module ``ruff format`` leaves as it is."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

from django_api_orm.inspectapi.build import ModelSpec
from django_api_orm.inspectapi.columns import Column, q

__all__ = ["render_module"]

_WIDTH = 100
_KWARG_ORDER = (
    "primary_key",
    "max_length",
    "max_digits",
    "decimal_places",
    "choices",
    "null",
    "blank",
    "default",
    "read_only",
    "related_name",
    "source",
)

HEADER = """\
# This is an auto-generated RemoteModel module, written by `manage.py inspectapi` from
# an OpenAPI 3 schema. You'll have to do the following manually:
#   * Check each foreign key marked "inferred from the name": the schema only says
#     that the field holds an integer. Lists of pks are left as ListFields.
#   * Set related_name on the foreign keys where <model>_set does not read well.
#   * Set Meta.ordering (the schema has no default order) and Meta.ordering_fields
#     where the schema does not list the values of the ordering parameter.
#   * Set PAGE_SIZE (in Meta.pagination or the service's PAGINATION): schemas do not
#     give it.
#   * Add __str__() and the methods your code needs.
#   * Check each exclude_filters entry marked "inferred from the name".
# Rename the models and fields as you like; keep source= on a renamed field, since it
# names the key on the wire.
"""


def call(open_: str, items: Sequence[str], close: str, indent: int) -> str:
    """Return a call on one line, or split as ``ruff format`` splits it: the arguments
    on one line of their own if they fit there, else one a line."""
    pad = " " * indent
    single = ", ".join(items)
    line = f"{pad}{open_}{single}{close}"
    if len(line) <= _WIDTH:
        return line
    inner = " " * (indent + 4)
    if len(f"{inner}{single}") <= _WIDTH:
        return f"{pad}{open_}\n{inner}{single}\n{pad}{close}"
    body = "".join(f"{inner}{item},\n" for item in items)
    return f"{pad}{open_}\n{body}{pad}{close}"


def inline(value: object) -> str:
    """Return a literal (str, dict, list, tuple of them, or code as ``Code``) on one line."""
    if isinstance(value, Code):
        return str(value)
    if isinstance(value, str):
        return q(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{inline(k)}: {inline(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(inline(v) for v in value) + "]"
    if isinstance(value, tuple):
        body = ", ".join(inline(v) for v in value)
        return f"({body},)" if len(value) == 1 else f"({body})"
    return repr(value)


def literal(value: object, indent: int, head: str = "", tail: str = "") -> str:
    """Return ``head`` + the literal + ``tail``, split one item a line where too long."""
    pad = " " * indent
    line = f"{pad}{head}{inline(value)}{tail}"
    if len(line) <= _WIDTH or not isinstance(value, dict | list | tuple) or not value:
        return line
    brackets = {dict: ("{", "}"), list: ("[", "]"), tuple: ("(", ")")}
    opening, closing = brackets[type(value)]
    if isinstance(value, dict):
        items = [literal(v, indent + 4, f"{inline(k)}: ", ",") for k, v in value.items()]
    else:
        items = [literal(v, indent + 4, "", ",") for v in value]
    return "\n".join([f"{pad}{head}{opening}", *items, f"{pad}{closing}{tail}"])


class Code(str):
    """Source text ``literal()`` writes as it is (a name, not a string)."""

    __slots__ = ()


def comment(text: str, indent: int) -> list[str]:
    pad = " " * indent
    return [f"{pad}# {line}" for line in textwrap.wrap(text, _WIDTH - indent - 2)]


def _field(column: Column, emitted: set[str], owner: str, related: dict[str, str]) -> list[str]:
    args = list(column.args)
    if column.target is not None:
        target = column.target
        if target == "self":
            args.insert(0, q("self"))
        else:
            args.insert(0, target if target in emitted else q(target))
    kwargs = dict(column.kwargs)
    if column.name in related:
        kwargs["related_name"] = q(related[column.name])
    order = sorted(kwargs, key=lambda k: _KWARG_ORDER.index(k) if k in _KWARG_ORDER else 99)
    args.extend(f"{k}={kwargs[k]}" for k in order)
    lines = comment(column.comment, 4) if column.comment else []
    lines.append(call(f"{column.name} = fields.{column.kind}(", args, ")", 4))
    return lines


def _related_names(spec: ModelSpec) -> dict[str, str]:
    """Give a related_name to foreign keys that would share a reverse accessor."""
    by_target: dict[str, list[Column]] = {}
    for column in spec.columns.values():
        if column.kind == "ForeignKey" and column.target is not None:
            by_target.setdefault(column.target, []).append(column)
    out: dict[str, str] = {}
    for columns in by_target.values():
        if len(columns) > 1:
            for column in columns:
                out[column.name] = f"{spec.name.lower()}_{column.name}_set"
    return out


def _meta(spec: ModelSpec, service: str, shared: Mapping[tuple[str, ...], str]) -> list[str]:
    meta = spec.meta
    lines = ["    class Meta:", f"        endpoint = {q(spec.meta_endpoint)}"]
    if service != "default":
        lines.append(f"        service = {q(service)}")
    if not meta.filter_fields:
        lines.extend(comment("The schema documents no filter on this endpoint.", 8))
    filters = {
        key: Code(shared[tuple(lookups)]) if tuple(lookups) in shared else lookups
        for key, lookups in meta.filter_fields.items()
    }
    lines.append(literal(filters, 8, "filter_fields = "))
    if meta.exclude_filters:
        if meta.inferred_excludes:
            lines.extend(comment("Exclusion filters inferred from the name (<filter>__not).", 8))
        lines.append(literal(meta.exclude_filters, 8, "exclude_filters = "))
    for text in meta.comments:
        lines.extend(comment(text, 8))
    if meta.ordering_fields is not None:
        lines.append(literal(meta.ordering_fields, 8, "ordering_fields = "))
    if meta.pagination is not None:
        lines.append(literal(meta.pagination, 8, "pagination = "))
    return lines


def _shared_lookups(models: Sequence[ModelSpec]) -> dict[tuple[str, ...], str]:
    """Name the long lookup lists that filters on several fields repeat (NetBox's text
    filters); a list only one field name uses stays written out."""
    seen: dict[tuple[str, ...], set[str]] = {}
    for spec in models:
        for key, written in spec.meta.filter_fields.items():
            if len(written) >= 4:
                seen.setdefault(tuple(written), set()).add(key)
    out: dict[tuple[str, ...], str] = {}
    for lookups, keys in seen.items():
        if len(keys) < 2:
            continue
        if "icontains" in lookups:
            base = "TEXT_LOOKUPS"
        elif "gt" in lookups:
            base = "NUMBER_LOOKUPS"
        else:
            base = "LOOKUPS"
        name, number = base, 2
        while name in out.values():
            name, number = f"{base}_{number}", number + 1
        out[lookups] = name
    return out


def order_models(models: Sequence[ModelSpec]) -> list[ModelSpec]:
    """Return ``models`` with each relation's target first where no cycle prevents it."""
    by_name = {m.name: m for m in models}
    done: list[ModelSpec] = []
    seen: set[str] = set()

    def visit(spec: ModelSpec) -> None:
        if spec.name in seen:
            return
        seen.add(spec.name)
        for column in spec.columns.values():
            if column.target in by_name:
                visit(by_name[column.target])
        done.append(spec)

    for spec in models:
        visit(spec)
    return done


def render_module(models: Sequence[ModelSpec], service: str) -> str:
    """Return the module declaring ``models`` (already in output order)."""
    constants: dict[str, tuple[tuple[Any, str], ...]] = {}
    for spec in models:
        for column in spec.columns.values():
            if column.choices is None:
                continue
            name, pairs = column.choices
            value = tuple(pairs)
            for existing, known in constants.items():
                if known == value:
                    name = existing
                    break
            else:
                if name in constants:
                    name = f"{spec.name.upper()}_{name}"
                constants[name] = value
            column.choices = (name, pairs)
            column.kwargs["choices"] = name
    shared = _shared_lookups(models)
    out = [HEADER, "from django_api_orm import RemoteModel, fields"]
    if constants or shared:
        out.append("")
    for name, known in constants.items():
        out.append(literal(known, 0, f"{name} = "))
    for lookups, name in shared.items():
        out.append(literal(list(lookups), 0, f"{name} = "))
    emitted: set[str] = set()
    for spec in models:
        out.extend(["", ""])
        lines = [f"class {spec.name}(RemoteModel):"]
        for text in spec.comments:
            lines.extend(comment(text, 4))
        related = _related_names(spec)
        for column in spec.columns.values():
            lines.extend(_field(column, emitted, spec.name, related))
        if len(lines) > 1:
            lines.append("")
        lines.extend(_meta(spec, service, shared))
        out.extend(lines)
        emitted.add(spec.name)
    return "\n".join(out) + "\n"
