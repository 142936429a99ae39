"""The check of a query's list pages: one scan per verifiable filter, and its error.

:func:`page_check` builds, once per query, a scan of the rows for each filter the
rows can show (:func:`_build`: the field path, its reader from
:mod:`django_api_orm.verify._values`, its test from
:mod:`django_api_orm.verify._lookups`, and a quick path for plain numbers), and
raises ``InvalidResponseError`` naming the filter and the row that contradicts it.
"""

from __future__ import annotations

import decimal
import functools
import operator
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import FieldDoesNotExist

from django_api_orm.exceptions import InvalidResponseError
from django_api_orm.protocols import LookupLike, OptionsLike, QueryLike
from django_api_orm.verify._lookups import Test, _test
from django_api_orm.verify._values import (
    _SKIP,
    Reader,
    Unreadable,
    _plain,
    _related_reader,
    _row_reader,
    _scalar_reader,
)

if TYPE_CHECKING:
    from django_api_orm.dialects.base import BaseDialect

__all__ = ["PageCheck", "page_check"]

#: Run on the rows of one list page; raises ``InvalidResponseError``.
PageCheck = Callable[[list[Any]], None]
#: Return the first of the rows that contradicts one lookup, or ``_SKIP``.
Scan = Callable[[list[Any]], Any]

_SHOWN = 200  # characters of a row's value quoted in a message


def page_check(query: QueryLike, dialect: BaseDialect, *, where: str) -> PageCheck | None:
    """Return the check of ``query``'s list pages, or ``None`` when nothing is verifiable.

    ``dialect`` reads foreign keys (``related_pk``) and choices (``choice_value``)
    and names the parameters sent, for messages.
    """
    opts = query.opts
    checks: list[tuple[Scan, str, tuple[str, ...]]] = []
    for negated, lookups in ((False, query.where), (True, query.excludes)):
        for lookup in lookups:
            built = _build(lookup, negated, opts, dialect)
            if built is not None:
                scan, keys = built
                checks.append((scan, _describe(lookup, negated, opts, dialect), keys))
    if not checks:
        return None
    pk_source = opts.pk.source
    object_name = opts.object_name

    dialect_name = type(dialect).__name__

    def check(rows: list[Any]) -> None:
        for scan, described, keys in checks:
            try:
                row = scan(rows)
            except Unreadable as exc:
                raise InvalidResponseError(
                    f"{where}: cannot check {described}: the provider sent "
                    f"{'.'.join(keys)}={_short(exc.raw)}, which {dialect_name} does not read as "
                    f"{object_name}'s value ({exc.reason}). The service's DIALECT may not fit "
                    "this provider."
                ) from None
            if row is not _SKIP:
                raise _contradiction(row, described, keys, where, pk_source, object_name)

    return check


def _describe(lookup: LookupLike, negated: bool, opts: OptionsLike, dialect: BaseDialect) -> str:
    value = lookup.value
    if lookup.name == "isnull" and not lookup.written.endswith("__isnull"):
        value = None  # filter(x=None), sent as x__isnull
    shown = f"{lookup.written}={_short(value)}"
    try:
        if not negated and lookup.name == "exact" and lookup.names in opts.path_parents:
            sent = "sent in the URL's path"
        else:
            sent = f"sent as {' and '.join(dialect.param_names(lookup, opts, negated=negated))}"
    except Exception:  # a message must not fail: leave the parameter out
        sent = ""
    text = f"exclude({shown})" if negated else f"filter({shown})"
    return f"{text} ({sent})" if sent else text


def _contradiction(
    row: Mapping[str, Any],
    described: str,
    keys: tuple[str, ...],
    where: str,
    pk_source: str,
    object_name: str,
) -> InvalidResponseError:
    sent: Any = row
    for key in keys:
        sent = sent.get(key) if isinstance(sent, Mapping) else None
    pk = f"pk {_short(row[pk_source])}" if pk_source in row else "(no pk)"
    return InvalidResponseError(
        f"{where}: the provider ignored {described}: it answered {object_name} {pk} with "
        f"{'.'.join(keys)}={_short(sent)}, which contradicts that filter, so the page "
        "was not returned. Check the service's DIALECT (the provider may spell "
        f"this filter differently) and {object_name}'s Meta.filter_fields / "
        "Meta.exclude_filters (declare only the filters the provider has)."
    )


def _short(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= _SHOWN else shown[:_SHOWN] + "…"


def _build(
    lookup: LookupLike, negated: bool, opts: OptionsLike, dialect: BaseDialect
) -> tuple[Scan, tuple[str, ...]] | None:
    """Return ``(scan, wire keys)`` for ``lookup``, or ``None`` when the rows cannot show it."""
    fields: list[Any] = []
    current = opts
    names = lookup.names.split("__")
    try:
        for index, name in enumerate(names):
            field: Any = current.get_field(name)
            fields.append(field)
            if index < len(names) - 1:
                if field.get_internal_type() != "ForeignKey":
                    return None
                current = field.to._meta
    except (FieldDoesNotExist, LookupError, ValueError, AttributeError):
        return None  # a path this module cannot follow: left unverified
    last = fields[-1]
    hops = [f.source for f in fields[:-1]]
    if (
        hops
        and fields[-2].get_internal_type() == "ForeignKey"
        and last.name == fields[-2].target_field.name
    ):
        # author__id=3: the foreign key's own pk, bare or nested.
        last, hops = fields[-2], hops[:-1]
    item: Reader | None
    internal = last.get_internal_type()
    if internal == "ManyToManyField":
        kind = "m2m"
        item = _related_reader(last, dialect)
    elif internal == "ListField":
        kind = "list"
        item = _scalar_reader(last.child, dialect) if last.child is not None else _plain
    elif internal == "ForeignKey":
        kind = "scalar"
        item = _related_reader(last, dialect)
    else:
        kind = "scalar"
        item = _scalar_reader(last, dialect)
    if item is None:
        return None  # a dict, JSON or other field this module cannot compare
    test = _test(lookup.name, lookup.value, negated, kind)
    if test is None:
        return None
    reader = _row_reader(hops, last.source, item, listed=kind != "scalar")
    simple = not hops and kind == "scalar" and getattr(last, "choices", None) is None
    fast = _fast(lookup.name, lookup.value) if simple and not negated else None
    if fast is None:
        return _scan(reader, test), (*hops, last.source)
    scan = _fast_scan(reader, test, fast, last, lookup.name, lookup.value)
    return scan, (*hops, last.source)


def _scan(reader: Reader, test: Test) -> Scan:
    def scan(rows: list[Any]) -> Any:
        for row in rows:
            value = reader(row)
            if value is not _SKIP and test(value):
                return row
        return _SKIP

    return scan


_NUMBERS = frozenset({int, float, decimal.Decimal})
#: ``v <name> x`` as ``reflected(x, v)``: a partial of a C function, no Python frame.
_REFLECTED: dict[str, Callable[[Any, Any], bool]] = {
    "exact": operator.eq,
    "gt": operator.lt,
    "gte": operator.le,
    "lt": operator.gt,
    "lte": operator.ge,
}


def _fast(name: str, value: Any) -> Test | None:
    """Return a quick test that a number surely satisfies a positive numeric lookup
    (``False`` sends the row through the full test), or ``None``."""
    if name == "in":
        if not value or any(type(item) not in _NUMBERS for item in value):
            return None
        wanted = frozenset(value)
        return wanted.__contains__
    if name == "range":
        low, high = value
        if type(low) not in _NUMBERS or type(high) not in _NUMBERS:
            return None
        return lambda v: bool(low <= v <= high)
    reflected = _REFLECTED.get(name)
    if reflected is None or type(value) not in _NUMBERS:
        return None
    return functools.partial(reflected, value)


def _fast_float(name: str, value: Any) -> Test | None:
    """Return a quick test of a decimal string read as a float, for order lookups.

    Rounding to a float never reverses an order: ``float(s) > float(x)`` implies
    ``Decimal(s) > x``, so a strict float comparison that holds is sure.
    """
    try:
        if name == "range":
            low, high = (float(item) for item in value)
            return lambda f: low < f < high
        bound = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if name in ("gt", "gte"):
        return functools.partial(operator.lt, bound)  # bound < f
    if name in ("lt", "lte"):
        return functools.partial(operator.gt, bound)  # bound > f
    return None


def _fast_scan(reader: Reader, test: Test, fast: Test, field: Any, name: str, value: Any) -> Scan:
    """Scan rows whose numbers are usually read as sent: a JSON number, or a decimal string."""
    source = field.source
    decimals = field.get_internal_type() == "DecimalField"
    floats = (_fast_float(name, value) if decimals else None) or _never

    def scan(rows: list[Any]) -> Any:
        for row in rows:
            try:
                raw = row[source]
                kind = type(raw)
                if kind is int or kind is float:
                    if fast(raw):
                        continue
                elif (
                    kind is str and decimals and (floats(float(raw)) or fast(decimal.Decimal(raw)))
                ):
                    continue
            except (KeyError, TypeError, IndexError, ValueError, ArithmeticError):
                pass  # the full reading below decides
            value = reader(row)
            if value is not _SKIP and test(value):
                return row
        return _SKIP

    return scan


def _never(value: Any) -> bool:
    return False
