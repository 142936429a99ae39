"""One schema property → one field declaration (class, arguments, comment)."""

from __future__ import annotations

import json
import keyword
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django_api_orm.inspectapi.schema import ref_name, resolve

__all__ = ["Column", "choices_of", "column_for", "python_name", "q"]

#: ``(type, format)`` → field class, for strings and numbers with a format.
_FORMATS: dict[tuple[str, str], str] = {
    ("string", "date"): "DateField",
    ("string", "date-time"): "DateTimeField",
    ("string", "time"): "TimeField",
    ("string", "duration"): "DurationField",
    ("string", "uuid"): "UUIDField",
    ("string", "email"): "EmailField",
    ("string", "uri"): "URLField",
    ("string", "url"): "URLField",
    ("string", "decimal"): "DecimalField",
}
_SCALARS = {"integer": "IntegerField", "number": "FloatField", "boolean": "BooleanField"}
_DECIMAL = re.compile(r"\\d\{0,(\d+)\}(?:\(\?:\\\.\\d\{0,(\d+)\}\))?")
_CHOICE = re.compile(r"^\* `([^`]*)` - (.*)$", re.MULTILINE)

#: Names a model field cannot take (the model's own attributes).
#: ``fields`` and ``RemoteModel`` would hide the module's names in the class body.
_RESERVED = frozenset(
    {"pk", "objects", "save", "delete", "clean", "refresh_from_db", "fields", "RemoteModel"}
)


@dataclass
class Column:
    """A field as it will be written: ``name = fields.<kind>(<args>, <kwargs>)``."""

    name: str
    wire: str
    kind: str
    args: list[str] = field(default_factory=list)
    kwargs: dict[str, str] = field(default_factory=dict)
    comment: str = ""
    #: The model class this relation points to (ForeignKey, ManyToManyField).
    target: str | None = None
    #: The module-level choices constant this field uses, and its pairs.
    choices: tuple[str, list[tuple[Any, str]]] | None = None
    #: The OpenAPI type the field was read from, for drift messages.
    wire_type: str = ""


def q(text: str) -> str:
    """Return ``text`` as a string literal, quoted as ``ruff format`` quotes it."""
    if '"' in text and "'" not in text:
        return repr(text)
    return json.dumps(text, ensure_ascii=False)


def python_name(wire: str) -> str:
    """Return a valid field name for the wire key ``wire``."""
    name = re.sub(r"\W", "_", wire)
    if not name or name[0].isdigit():
        name = f"field_{name}"
    if keyword.iskeyword(name) or name in _RESERVED:
        name = f"{name}_field"
    if "__" in name:
        name = re.sub(r"_{2,}", "_", name)
    return name.rstrip("_") or "field"


def choices_of(node: Mapping[str, Any]) -> list[tuple[Any, str]] | None:
    """Return ``(value, label)`` pairs of an enum, a NetBox ``{value, label}`` object."""
    values = node.get("enum")
    labels: list[Any] | None = None
    props = node.get("properties")
    if values is None and isinstance(props, Mapping) and isinstance(props.get("value"), Mapping):
        values = props["value"].get("enum")
        label_node = props.get("label")
        if isinstance(label_node, Mapping) and isinstance(label_node.get("enum"), list):
            labels = label_node["enum"]
        node = props["value"]
    if not isinstance(values, list) or not values:
        return None
    described = dict(_CHOICE.findall(str(node.get("description", ""))))
    real = [v for v in values if v is not None and v != ""]
    if labels is not None and len(labels) != len(real):
        labels = None
    pairs: list[tuple[Any, str]] = []
    for index, value in enumerate(real):
        label = described.get(str(value))
        if label is None and labels is not None:
            label = str(labels[index])
        if not isinstance(value, str | int | float | bool):
            value = str(value)
        pairs.append((value, label or str(value).replace("_", " ").capitalize()))
    return pairs


def is_netbox_choice(node: Mapping[str, Any]) -> bool:
    props = node.get("properties")
    return (
        node.get("type") == "object"
        and isinstance(props, Mapping)
        and set(props) == {"value", "label"}
    )


def column_for(
    schema: Mapping[str, Any],
    wire: str,
    prop: Any,
    *,
    required: bool,
    model_of: Callable[[str], str | None],
    named_model: Callable[[str], str | None],
) -> Column:
    """Return the declaration of the property ``wire``.

    ``model_of`` names the generated model of a component (``BriefSite`` → ``Site``,
    or ``None``); ``named_model`` the generated model a DRF integer's name suggests.
    """
    node = resolve(schema, prop)
    if isinstance(node, Mapping) and ref_name(node) is not None and "allOf" in node:
        node = resolve(schema, node["allOf"][0])  # {"allOf": [{"$ref": ...}], "nullable": ...}
    node = node if isinstance(node, Mapping) else {}
    column = Column(name=python_name(wire), wire=wire, kind="JSONField")
    if column.name != wire:
        column.kwargs["source"] = q(wire)
    nullable = bool(node.get("nullable")) or bool(
        isinstance(prop, Mapping) and prop.get("nullable")
    )
    read_only = bool(node.get("readOnly")) or bool(
        isinstance(prop, Mapping) and prop.get("readOnly")
    )
    reference = ref_name(prop)
    _kind(schema, column, node, reference, model_of, named_model)
    if column.kind == "ForeignKey" and column.target is None:
        column.kind = "IntegerField"
    kwargs = column.kwargs
    if nullable:
        kwargs["null"] = "True"
    if nullable or not required:
        if column.kind != "ManyToManyField":
            kwargs["blank"] = "True"
        if not required and not nullable and column.kind != "ManyToManyField":
            default = _default(column, node)
            if default is not None:
                kwargs["default"] = default
    if read_only:
        kwargs["read_only"] = "True"
    return column


def _default(column: Column, node: Mapping[str, Any]) -> str | None:
    if "default" in node and isinstance(node["default"], str | int | float | bool):
        if column.kind == "DecimalField":
            return q(str(node["default"]))
        value = node["default"]
        return q(value) if isinstance(value, str) else repr(value)
    if column.kind in ("CharField", "TextField", "EmailField", "URLField") and not column.choices:
        return '""'
    if column.kind == "ListField":
        return "list"
    if column.kind in ("DictField", "JSONField"):
        return "dict" if column.kind == "DictField" else None
    return None


def _kind(
    schema: Mapping[str, Any],
    column: Column,
    node: Mapping[str, Any],
    reference: str | None,
    model_of: Callable[[str], str | None],
    named_model: Callable[[str], str | None],
) -> None:
    kind = str(node.get("type", "object" if "properties" in node else ""))
    column.wire_type = kind
    if reference is not None and "id" in node.get("properties", {}) and not is_netbox_choice(node):
        column.kind = "ForeignKey"
        column.wire_type = "object"
        column.target = model_of(reference)
        if column.target is None:
            column.kind = "JSONField"
            column.comment = f"a nested {reference}: no model was generated for it; kept as JSON"
        return
    pairs = choices_of(node)
    if pairs is not None:
        column.kind = "CharField" if kind in ("string", "object", "") else _SCALARS.get(kind, "")
        column.kind = column.kind or "CharField"
        column.choices = (f"{column.name.upper()}_CHOICES", pairs)
        if column.kind == "CharField":
            column.kwargs["max_length"] = str(max(len(str(v)) for v, _ in pairs))
        column.kwargs["choices"] = column.choices[0]
        return
    fmt = str(node.get("format", ""))
    if (kind, fmt) in _FORMATS:
        column.kind = _FORMATS[(kind, fmt)]
        if column.kind == "DecimalField":
            _decimal(column, node)
        elif "maxLength" in node and column.kind in ("EmailField", "URLField"):
            column.kwargs["max_length"] = str(node["maxLength"])
        return
    if kind == "string":
        if "maxLength" in node:
            column.kind = "CharField"
            column.kwargs["max_length"] = str(node["maxLength"])
        else:
            column.kind = "TextField"
        return
    if kind == "integer":
        target = named_model(column.wire)
        column.kind = "IntegerField"
        if target is not None:
            column.kind, column.target = "ForeignKey", target
            column.comment = "inferred from the name"
        return
    if kind in _SCALARS:
        column.kind = _SCALARS[kind]
        return
    if kind == "array":
        _array(schema, column, node.get("items"), model_of, named_model)
        return
    if kind == "object" and not node.get("properties"):
        column.kind = "JSONField"
        return
    column.kind = "JSONField"
    column.comment = f"{kind or 'an untyped value'}: no field type maps it; kept as JSON"


def _decimal(column: Column, node: Mapping[str, Any]) -> None:
    match = _DECIMAL.search(str(node.get("pattern", "")))
    if match is None:
        column.comment = "max_digits and decimal_places are not in the schema"
        return
    whole, places = int(match.group(1)), int(match.group(2) or 0)
    column.kwargs["max_digits"] = str(whole + places)
    column.kwargs["decimal_places"] = str(places)


def _array(
    schema: Mapping[str, Any],
    column: Column,
    items: Any,
    model_of: Callable[[str], str | None],
    named_model: Callable[[str], str | None],
) -> None:
    node = resolve(schema, items)
    node = node if isinstance(node, Mapping) else {}
    reference = ref_name(items)
    column.wire_type = "array"
    if reference is not None and "id" in node.get("properties", {}):
        target = model_of(reference)
        if target is not None:
            column.kind, column.target = "ManyToManyField", target
            return
        column.kind = "ListField"
        column.args = ["fields.JSONField()"]
        column.comment = f"nested {reference} objects: no model was generated for them"
        return
    inner = Column(name=column.name, wire=column.wire, kind="JSONField")
    _kind(schema, inner, node, None, model_of, lambda _: None)
    if inner.kind in ("ForeignKey", "ManyToManyField", "ListField") or inner.choices:
        inner.kind, inner.kwargs = "JSONField", {}
    column.kind = "ListField"
    inner_args = ", ".join(f"{k}={v}" for k, v in inner.kwargs.items())
    column.args = [f"fields.{inner.kind}({inner_args})"]
    if inner.kind == "IntegerField":
        candidate = named_model(column.wire)
        if candidate is not None:
            column.comment = (
                f"the pks of {candidate} objects? (inferred from the name) a "
                f"fields.ManyToManyField({candidate}) would follow them"
            )
