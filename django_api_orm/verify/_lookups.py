"""The per-lookup tests: whether a value read from a row contradicts one lookup.

:func:`_test` returns, for one lookup (``exact``, ``in``, ``isnull``, the text,
order and date-part lookups), positive or negated (an exclusion), on a scalar, a
list or a many-to-many, the test of a value read by
:mod:`django_api_orm.verify._values`, or ``None`` when it cannot be decided.
Every test leans towards "it may match": see :mod:`django_api_orm.verify`.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from typing import Any

from django_api_orm.verify._values import _WINDOW, Bounds, _bounds, _loose, _row_bounds

#: Tell whether one value read from a row contradicts the lookup.
Test = Callable[[Any], bool]

#: Since then every time zone's offset is a whole number of quarter hours.
_QUARTER_HOUR_ZONES_SINCE = 1980
_TEXT = frozenset(
    {"iexact", "contains", "icontains", "startswith", "istartswith", "endswith", "iendswith"}
)
_ORDER = frozenset({"gt", "gte", "lt", "lte", "range"})
_ORDERED_KINDS = frozenset({"num", "datetime", "date", "time", "duration"})
_DATE_PARTS = frozenset({"year", "month", "day", "week_day", "quarter", "minute", "date"})


def _may_equal(v: Bounds, x: Bounds) -> bool:
    if v[0] != x[0]:
        return True  # another type: cannot tell
    if v[0] == "str":
        return bool(_loose(v[1]) == _loose(x[1]))
    return bool(v[1] <= x[2] and x[1] <= v[2])


def _surely_equal(v: Bounds, x: Bounds) -> bool:
    return v[0] == x[0] and v[1] == v[2] == x[1] == x[2]


def _may_order(name: str, v: Bounds, x: Bounds) -> bool:
    """Whether ``v <name> x`` may hold (``x`` a pair for ``range``)."""
    if name == "gt":
        return bool(v[2] > x[1])
    if name == "gte":
        return bool(v[2] >= x[1])
    if name == "lt":
        return bool(v[1] < x[2])
    return bool(v[1] <= x[2])  # lte


def _surely_order(name: str, v: Bounds, x: Bounds) -> bool:
    if name == "gt":
        return bool(v[1] > x[2])
    if name == "gte":
        return bool(v[1] >= x[2])
    if name == "lt":
        return bool(v[2] < x[1])
    return bool(v[2] <= x[1])  # lte


_TEXT_MATCH: dict[str, Callable[[str, str], bool]] = {
    "exact": str.__eq__,
    "iexact": str.__eq__,
    "contains": str.__contains__,
    "icontains": str.__contains__,
    "startswith": str.startswith,
    "istartswith": str.startswith,
    "endswith": str.endswith,
    "iendswith": str.endswith,
}


def _test(name: str, value: Any, negated: bool, kind: str) -> Test | None:
    """Return the test telling whether a value read from a row contradicts the lookup."""
    if name == "isnull":
        return _isnull_test(bool(value), negated, kind)
    if kind != "scalar":
        if name not in ("exact", "in"):
            return None
        one = _scalar_test(name, value, negated)
        if one is None:
            return None
        if negated:  # holds an item the exclusion excludes

            def excluded(items: Any) -> bool:
                return any(item is not None and one(item) for item in items)

            return excluded

        def misses(items: Any) -> bool:  # holds no item the filter asks for
            return all(one(item) for item in items)

        return misses
    return _scalar_test(name, value, negated)


def _isnull_test(is_null: bool, negated: bool, kind: str) -> Test:
    def empty(value: Any) -> bool:
        # A many-to-many "is null" when it relates nothing; a list only when null.
        return value is None or (kind == "m2m" and not value)

    if negated:
        return lambda value: empty(value) == is_null
    return lambda value: empty(value) != is_null


def _scalar_test(name: str, value: Any, negated: bool) -> Test | None:
    """Return the test of one (non-list) value, or ``None`` when it cannot be decided."""
    if name in _TEXT or (name == "exact" and isinstance(value, str)):
        return _text_test(name, value, negated)
    if name == "exact":
        return _compare_test(value, negated, _may_equal, _surely_equal)
    if name == "in":
        return _in_test(value, negated)
    if name in _ORDER:
        return _order_test(name, value, negated)
    if name in _DATE_PARTS:
        return _date_part_test(name, value, negated)
    return None  # regex, iregex, hour, and names this module does not know


def _text_test(name: str, value: Any, negated: bool) -> Test | None:
    if not isinstance(value, str) or value == "":
        return None
    match = _TEXT_MATCH[name]
    if negated:

        def test(v: Any) -> bool:
            return type(v) is str and match(v, value)

        return test
    folded = _loose(value)

    def test_loose(v: Any) -> bool:
        if v is None:
            return True
        if type(v) is not str:
            return False
        return not match(_loose(v), folded)

    return test_loose


def _compare_test(
    value: Any,
    negated: bool,
    may: Callable[[Bounds, Bounds], bool],
    surely: Callable[[Bounds, Bounds], bool],
) -> Test | None:
    x = _bounds(value)
    if x is None:
        return None
    if negated:

        def test(v: Any) -> bool:
            if v is None:
                return False
            b = _row_bounds(v)
            return b is not None and surely(b, x)

        return test

    def test_positive(v: Any) -> bool:
        if v is None:
            return True
        b = _row_bounds(v)
        return b is not None and not may(b, x)

    return test_positive


def _in_test(values: Iterable[Any], negated: bool) -> Test | None:
    bounds = [_bounds(item) for item in values]
    if not bounds or any(b is None or (b[0] == "str" and b[1] == "") for b in bounds):
        return None
    xs: list[Bounds] = [b for b in bounds if b is not None]
    if negated:

        def test(v: Any) -> bool:
            if v is None:
                return False
            b = _row_bounds(v)
            return b is not None and any(_surely_equal(b, x) for x in xs)

        return test
    if all(x[0] == "str" for x in xs):
        folded = frozenset(_loose(x[1]) for x in xs)

        def test_text(v: Any) -> bool:
            if v is None:
                return True
            return type(v) is str and _loose(v) not in folded

        return test_text

    def test_positive(v: Any) -> bool:
        if v is None:
            return True
        b = _row_bounds(v)
        return b is not None and not any(_may_equal(b, x) for x in xs)

    return test_positive


def _order_test(name: str, value: Any, negated: bool) -> Test | None:
    if name == "range":
        low, high = (_bounds(item) for item in value)
        if low is None or high is None or low[0] != high[0]:
            return None
        kind = low[0]

        def may(b: Bounds) -> bool:  # low <= v <= high may hold
            return _may_order("gte", b, low) and _may_order("lte", b, high)

        def surely(b: Bounds) -> bool:
            return _surely_order("gte", b, low) and _surely_order("lte", b, high)

    else:
        x = _bounds(value)
        if x is None:
            return None
        kind = x[0]

        def may(b: Bounds) -> bool:
            return _may_order(name, b, x)

        def surely(b: Bounds) -> bool:
            return _surely_order(name, b, x)

    if kind not in _ORDERED_KINDS:
        return None  # text, booleans, UUIDs: a collation or a server orders them its way

    def test(v: Any) -> bool:
        if v is None:
            return not negated
        b = _row_bounds(v)
        if b is None or b[0] != kind:
            return False
        return surely(b) if negated else not may(b)

    return test


def _date_part(name: str, day: datetime.date) -> Any:
    if name == "date":
        return day
    if name == "year":
        return day.year
    if name == "month":
        return day.month
    if name == "day":
        return day.day
    if name == "quarter":
        return (day.month - 1) // 3 + 1
    return day.isoweekday() % 7 + 1  # week_day: 1 is Sunday, as Django counts


def _possible_parts(name: str, value: Any) -> set[Any] | None:
    """The values ``name`` of ``value`` may have on the server, or ``None`` if unknown."""
    if type(value) is datetime.date:
        return None if name in ("minute", "date") else {_date_part(name, value)}
    if not isinstance(value, datetime.datetime):
        return None
    offset = value.utcoffset()
    wall = value if offset is None else value.astimezone(datetime.UTC).replace(tzinfo=None)
    if name == "minute":
        if wall.year < _QUARTER_HOUR_ZONES_SINCE:
            return None
        return {(wall.minute + 15 * k) % 60 for k in range(4)}
    try:
        first, last = (wall - _WINDOW).date(), (wall + _WINDOW).date()
    except OverflowError:
        return None
    days = [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]
    return {_date_part(name, day) for day in days}


def _date_part_test(name: str, value: Any, negated: bool) -> Test | None:
    if name == "date":
        if type(value) is not datetime.date:
            return None
    elif type(value) is not int:
        return None

    def test(v: Any) -> bool:
        if v is None:
            return not negated
        parts = _possible_parts(name, v)
        if parts is None:
            return False
        return parts == {value} if negated else value not in parts

    return test
