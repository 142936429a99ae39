"""Reading a row's value, and the range of values the server may hold for it.

The lowest layer of :mod:`django_api_orm.verify`: the readers that take the
filtered field's value out of a row (through nested objects, a foreign key's pk,
a wrapped choice, a list) and parse it to Python, ``_SKIP`` when the rows cannot
tell; the lenient text folding (:func:`_loose`); and the bounds of a value
(:func:`_bounds`, :func:`_row_bounds`): what a server may hold for it once float
precision, rounding and an unknown UTC offset are allowed for.
"""

from __future__ import annotations

import datetime
import decimal
import math
import unicodedata
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_datetime

from django_api_orm.exceptions import InvalidResponseError

if TYPE_CHECKING:
    from django_api_orm.dialects.base import BaseDialect

#: Read one row: the Python value of the filtered field, or ``_SKIP``.
Reader = Callable[[Any], Any]

_SKIP: Any = object()
#: Errors of a wire value that does not parse as the field's value.
_UNPARSABLE = (TypeError, ValueError, ArithmeticError, ValidationError, InvalidResponseError)


class Unreadable(Exception):
    """A filtered field's value that the dialect does not read: the filter cannot be
    checked, and returning the rows could be a silent wrong answer (a ``count()``
    reads no field)."""

    def __init__(self, raw: Any, reason: str) -> None:
        super().__init__(reason)
        self.raw = raw
        self.reason = reason


#: Any UTC offset a database's time zone may have.
_WINDOW = datetime.timedelta(hours=14)
_FLOAT_TOLERANCE = 1e-6
#: A database that stores whole seconds rounds the fraction away.
_ROUNDING = datetime.timedelta(seconds=1)
_SOME_DAY = datetime.date(2000, 1, 1)


def _plain(raw: Any) -> Any:
    return raw


#: The built-in field types whose wire values this module compares.
_READABLE = frozenset(
    {
        "BooleanField",
        "CharField",
        "TextField",
        "DateField",
        "DateTimeField",
        "DecimalField",
        "DurationField",
        "FloatField",
        "IntegerField",
        "TimeField",
        "UUIDField",
    }
)


def _scalar_reader(field: Any, dialect: BaseDialect) -> Reader | None:
    """Return the reader of one wire value of ``field`` (not null), or ``None`` if unsupported."""
    if field.get_internal_type() not in _READABLE:
        return None
    parse = field.parse_wire
    ready = field.ready_types
    unwrap = dialect.choice_value
    choices = getattr(field, "choices", None) is not None
    is_datetime = field.get_internal_type() == "DateTimeField"

    def read(raw: Any) -> Any:
        try:
            # A choice, or any plain value a provider wraps ({"value", "label"}), as
            # the field itself reads it.
            if choices or type(raw) is dict:
                raw = unwrap(raw)
                if raw is None:
                    return None
            if type(raw) in ready:
                return raw
            value = parse(raw)
            if is_datetime and value.tzinfo is not None:
                # Sent without an offset, it is a wall clock in some unknown zone.
                original = parse_datetime(raw)
                if original is not None and original.tzinfo is None:
                    return original
            return value
        except _UNPARSABLE as exc:
            raise Unreadable(raw, str(exc) or type(exc).__name__) from None

    return read


def _related_reader(field: Any, dialect: BaseDialect) -> Reader:
    """Return the reader of a relation's wire value (the pk or a nested object) → the pk."""
    target = field.target_field
    related_pk = dialect.related_pk
    parse = _scalar_reader(target, dialect) or _plain

    def read(raw: Any) -> Any:
        try:
            pk, _nested = related_pk(raw, target)
        except _UNPARSABLE as exc:
            raise Unreadable(raw, str(exc) or type(exc).__name__) from None
        return None if pk is None else parse(pk)

    return read


def _row_reader(hops: list[str], source: str, item: Reader, *, listed: bool) -> Reader:
    """Return a reader of rows: through nested objects (``hops``), then ``source``."""

    if listed:

        def convert(raw: Any) -> Any:
            if not isinstance(raw, list):
                return _SKIP
            values = [None if entry is None else item(entry) for entry in raw]
            return _SKIP if any(v is _SKIP for v in values) else values

    else:

        def convert(raw: Any) -> Any:
            return item(raw)

    if not hops:

        def read(row: Any) -> Any:
            try:
                raw = row[source]
            except (KeyError, TypeError, IndexError):
                return _SKIP
            return None if raw is None else convert(raw)

    else:

        def read(row: Any) -> Any:
            current = row
            for hop in hops:
                current = current.get(hop) if isinstance(current, dict) else None
                if not isinstance(current, dict):
                    return _SKIP  # absent, null or a bare pk: the rows cannot tell
            if source not in current:
                return _SKIP
            raw = current[source]
            return None if raw is None else convert(raw)

    return read


def _loose(text: str) -> str:
    """Fold ``text`` as the most lenient collation compares it: case, accents, trailing spaces."""
    if text.isascii():
        return text.lower().rstrip(" ")
    folded = unicodedata.normalize("NFKD", text.casefold().replace("\u0131", "i"))  # dotless i
    return "".join(c for c in folded if not unicodedata.combining(c)).casefold().rstrip(" ")


Bounds = tuple[str, Any, Any]


def _bounds(value: Any) -> Bounds | None:
    """Return ``(kind, low, high)``: the values the server may hold for ``value``."""
    kind = type(value)
    if kind is int or kind is decimal.Decimal:
        return ("num", value, value)
    if kind is str:
        return ("str", value, value)
    if kind is bool:
        return ("bool", value, value)
    if kind is float:
        if not math.isfinite(value):
            return None
        slack = abs(value) * _FLOAT_TOLERANCE
        return ("num", value - slack, value + slack)
    if kind is datetime.datetime:
        try:
            if value.utcoffset() is None:
                return ("datetime", value - _WINDOW, value + _WINDOW)
        except OverflowError:
            return None
        utc = value.astimezone(datetime.UTC).replace(tzinfo=None)
        return ("datetime", utc, utc)
    if kind is datetime.date:
        return ("date", value, value)
    if kind is datetime.time:
        if value.tzinfo is not None:
            return None
        moment = datetime.datetime.combine(_SOME_DAY, value)  # a time, with arithmetic
        return ("time", moment, moment)
    if kind is datetime.timedelta:
        return ("duration", value, value)
    if kind is uuid.UUID:
        return ("uuid", value, value)
    # Subclasses: an enum member, a choices value.
    if isinstance(value, bool):
        return ("bool", bool(value), bool(value))
    if isinstance(value, int):
        return _bounds(int(value))
    if isinstance(value, str):
        return _bounds(str(value))
    return None


def _row_bounds(value: Any) -> Bounds | None:
    """Return the bounds of a row's value: as :func:`_bounds`, widened by what a server
    may have rounded away when it wrote the value (a decimal's last place shown; the
    fraction of a second of a database that stores whole seconds)."""
    bounds = _bounds(value)
    if bounds is None:
        return None
    kind = type(value)
    if kind is decimal.Decimal:
        exponent = value.as_tuple().exponent
        if not isinstance(exponent, int):
            return None
        half = decimal.Decimal(5).scaleb(exponent - 1)
        return ("num", value - half, value + half)
    if (kind is datetime.datetime or kind is datetime.time) and bounds[1] == bounds[2]:
        try:
            return (bounds[0], bounds[1] - _ROUNDING, bounds[2] + _ROUNDING)
        except OverflowError:
            return None
    return bounds
