"""How ``FakeService`` reads a list request: field paths, filter values, lookups, order.

A filter parameter is read back as django-filter reads it (``price__lt=20``: the
field path by wire names, the lookup, the value converted by the field), and each
row is tested as the provider's database would test it.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from django_api_orm.models.lookups import TEXT_LOOKUPS

if TYPE_CHECKING:
    from django_api_orm.models.base import RemoteModel
    from django_api_orm.models.fields import Field

_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0"})


class Reply(Exception):
    """Raised inside the handler to answer at once."""

    def __init__(self, status: int, body: Any = None, headers: Mapping[str, str] | None = None):
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


def orders_on(model: type[RemoteModel], name: str) -> bool:
    """Whether ``model``'s ``Meta.ordering_fields`` (every plain field if unset) has ``name``."""
    f = field_by_source(model, name)
    if f is None:
        return False
    allowed = model._meta.ordering_fields
    if allowed is not None:
        return name in allowed or f.name in allowed
    return f.get_internal_type() not in ("ListField", "DictField", "JSONField", "ManyToManyField")


def field_by_source(model: type[RemoteModel], source: str) -> Field | None:
    for f in model._meta.fields:
        if f.source == source or f.name == source:
            return f
    if source == "pk":
        return model._meta.pk
    return None


def resolve(model: type[RemoteModel], path: str, *, by_name: bool) -> list[Field] | None:
    """The fields a ``__``-joined wire path (or, ``by_name``, field-name path) walks."""
    out: list[Field] = []
    current: Any = model
    for part in path.split("__"):
        if current is None:
            return None
        f = (
            current._meta.get_field(part)
            if by_name and part in {*current._meta.field_names, "pk"}
            else field_by_source(current, part)
        )
        if f is None:
            return None
        out.append(f)
        current = getattr(f, "to", None) if f.get_internal_type() == "ForeignKey" else None
    # author__id: the foreign key's own pk.
    if (
        len(out) >= 2
        and out[-2].get_internal_type() == "ForeignKey"
        and out[-1] is out[-2].to._meta.pk  # type: ignore[attr-defined]
    ):
        out.pop()
    return out


def known_params(model: type[RemoteModel]) -> list[str]:
    opts = model._meta
    known: list[str] = []
    for name, lookups in (opts.filter_fields or {}).items():
        resolved = resolve(model, name, by_name=True)
        wire = "__".join(f.source for f in resolved) if resolved else name
        known += sorted(wire if lookup == "exact" else f"{wire}__{lookup}" for lookup in lookups)
    known += list(opts.exclude_filters.values())
    return known


def python_value(f: Field, raw: Any) -> Any:
    """A stored wire value as Python (a foreign key: its pk), for comparing and sorting."""
    if raw is None:
        return None
    try:
        return f.to_python(raw)
    except Exception:
        return raw


def _item_field(f: Field) -> Field:
    internal = f.get_internal_type()
    if internal in ("ForeignKey", "ManyToManyField"):
        return f.target_field  # type: ignore[attr-defined,no-any-return]
    if internal == "ListField" and getattr(f, "child", None) is not None:
        return f.child  # type: ignore[attr-defined,no-any-return]
    return f


def decode(f: Field, lookup: str, raw: str, param: str) -> Any:
    """A filter parameter's value as Python, as django-filter reads it; 400 when invalid."""
    from django.core.exceptions import ValidationError

    item = _item_field(f)

    def one(text: str) -> Any:
        if item.get_internal_type() == "BooleanField":
            lowered = text.lower()
            if lowered in _TRUE or lowered in _FALSE:
                return lowered in _TRUE
            raise Reply(400, {param: ["Enter true or false."]})
        try:
            return item.to_python(text)
        except (ValidationError, ValueError, TypeError, ArithmeticError) as exc:
            messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            raise Reply(400, {param: list(messages) or ["Enter a valid value."]}) from None

    if lookup == "isnull":
        lowered = raw.lower()
        if lowered not in _TRUE | _FALSE:
            raise Reply(400, {param: ["Enter true or false."]})
        return lowered in _TRUE
    if lookup in ("in", "range"):
        parts = raw.split(",")
        if lookup == "range" and len(parts) != 2:
            raise Reply(400, {param: ["Enter two values separated by a comma."]})
        return [one(p) for p in parts]
    if lookup in ("year", "month", "day", "week_day", "quarter", "hour", "minute"):
        try:
            return int(raw)
        except ValueError:
            raise Reply(400, {param: ["Enter a whole number."]}) from None
    if lookup == "date":
        try:
            return datetime.date.fromisoformat(raw)
        except ValueError:
            raise Reply(400, {param: ["Enter a valid date."]}) from None
    if lookup in TEXT_LOOKUPS:
        return raw
    return one(raw)


def matcher(lookup: str, value: Any) -> Callable[[Any], bool]:
    """The test of one Python value (a list: any of its items) against a lookup."""

    def scalar(v: Any) -> bool:
        if lookup == "isnull":
            return bool((v is None or v == []) == value)
        if v is None:
            return False
        if lookup == "exact":
            return bool(v == value)
        if lookup == "in":
            return v in value
        if lookup == "range":
            return bool(value[0] <= v <= value[1])
        if lookup in ("gt", "gte", "lt", "lte"):
            try:
                return bool(
                    {"gt": v > value, "gte": v >= value, "lt": v < value, "lte": v <= value}[lookup]
                )
            except TypeError:
                return False
        text = str(v)
        if lookup == "iexact":
            return bool(text.lower() == value.lower())
        if lookup in ("contains", "startswith", "endswith"):
            return bool(getattr(text, {"contains": "__contains__"}.get(lookup, lookup))(value))
        if lookup in ("icontains", "istartswith", "iendswith"):
            method = {"icontains": "__contains__"}.get(lookup, lookup[1:])
            return bool(getattr(text.lower(), method)(value.lower()))
        if lookup in ("regex", "iregex"):
            return re.search(value, text, re.IGNORECASE if lookup == "iregex" else 0) is not None
        return bool(_date_part(lookup, v) == value)

    def test(v: Any) -> bool:
        if isinstance(v, list):
            if lookup == "isnull":
                return scalar(v)
            return any(scalar(item) for item in v)
        return scalar(v)

    return test


def _date_part(lookup: str, v: Any) -> Any:
    if not isinstance(v, datetime.date):
        return None
    if lookup == "date":
        return v.date() if isinstance(v, datetime.datetime) else v
    if lookup == "week_day":
        return v.isoweekday() % 7 + 1
    if lookup == "quarter":
        return (v.month - 1) // 3 + 1
    return getattr(v, lookup, None)


def row_key(f: Field) -> Callable[[dict[str, Any]], tuple[int, Any]]:
    def key(row: dict[str, Any]) -> tuple[int, Any]:
        return _sort_key(python_value(f, row.get(f.source)))

    return key


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, 0)
    if isinstance(value, list):
        return (1, str(value))
    return (1, value)
