"""Check each list answer against the query that was sent: an ignored filter raises.

Providers built on django-filter (and NetBox) silently ignore a filter parameter
they do not know and answer 200 with every row. Sent with the wrong dialect or a
``Meta.filter_fields`` that promises too much, ``filter(name__icontains="1")``
would return every row: a silent wrong answer. :func:`page_check` builds, once per
query, one small test per filter whose field the rows show; the compiler runs
them on the rows of every list page it reads (``Compiler.walker()``'s ``fetch``,
right after ``dialect.parse_page``), which covers iteration, slices,
``count()``, ``exists()``, ``first()``, ``in_bulk()`` and the batched relation
loads (``id__in``). A row that *definitely* contradicts a filter raises
``InvalidResponseError`` naming the filter as written, the parameter sent, the
row's pk and the value the provider sent. A query with nothing to verify costs
nothing per row.

Verified (Django's semantics), on a field whose wire key (``source``) is in the row:

- ``exact``, ``iexact``, ``in``, ``isnull`` on every scalar field (numbers,
  decimals, text, booleans, dates, datetimes, times, durations, UUIDs), on a
  ``ForeignKey`` (the row's value a bare pk or a nested object, read with the
  dialect's ``related_pk`` as the field reads it; ``author__id=3`` is the
  foreign key's pk too) and on a list field (``ListField``, ``ManyToManyField``):
  there a single value means "the list holds it", ``in`` "the list holds one of
  them", and ``isnull`` on a many-to-many "the list is empty";
- ``contains``, ``icontains``, ``startswith``, ``istartswith``, ``endswith``,
  ``iendswith`` on text;
- ``gt``, ``gte``, ``lt``, ``lte``, ``range`` on numbers, decimals, dates,
  datetimes, times and durations (never on text: collations order it differently);
- ``year``, ``month``, ``day``, ``week_day``, ``quarter`` and ``date`` on dates and
  datetimes, and ``minute`` on datetimes since 1980;
- exclusions (``exclude()``, sent through ``Meta.exclude_filters``): the row must
  not satisfy the lookup;
- a filter across a relation (``author__name``) when the row's nested object
  carries that key; the path parent of a nested endpoint (sent in the URL's path)
  like any other filter. Choice values a provider wraps (``{"value", "label"}``)
  are unwrapped with the dialect's ``choice_value``.

Never a false alarm, so comparisons lean towards "it may match":

- a positive text comparison fails only if it fails case-insensitively, accents
  and trailing spaces ignored (a database collation may compare that loosely); an
  exclusion fails only if the row matches exactly, case and all;
- a float matches within a relative 1e-6 (a single-precision column); a decimal
  may have been rounded to the places the provider sent ("10.00" may be 10.004),
  and a datetime or time to the second (a column that stores whole seconds);
- a datetime sent without an offset may be in any UTC offset from -14h to +14h;
  a date part of a datetime fails only if it is wrong in every such offset (so a
  date one day off across midnight passes); ``hour`` on a datetime therefore
  never fails, and is not checked;
- a NULL row value fails every positive lookup but ``isnull=True`` (SQL's NULL
  matches no comparison) and no exclusion (Django's ``exclude()`` keeps NULLs).

Not verified (the rows cannot tell, or the answer is not certain):

- a field absent from the row (a partial row, ``only()``), a relation path whose
  nested object is absent, null or lacks the key, a bare pk where a path needs a
  nested object, a path through a many-to-many;
- a search (``q=``, ``search=``: not a lookup), ordering, and any lookup name not
  listed above;
- ``regex``/``iregex`` (the database's regular expressions are not Python's);
  ``hour`` on a datetime and ``minute`` before 1980 (time zones, whose offsets
  were not whole quarter hours then); ``hour``/``minute``/``date`` on a date;
- text lookups on a non-text value, ``contains``-style lookups on a list field,
  order lookups on text, booleans and UUIDs, dict and JSON fields;
- a value that does not parse as the field's type, a filter value of another type
  than the row's, an empty text filter value (django-filter drops it);
- the number of rows of a page (the page walker checks the pages).
"""

from __future__ import annotations

import datetime
import decimal
import functools
import math
import operator
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.utils.dateparse import parse_datetime

from django_api_orm.exceptions import InvalidResponseError
from django_api_orm.protocols import LookupLike, OptionsLike, QueryLike

if TYPE_CHECKING:
    from django_api_orm.dialects.base import BaseDialect

__all__ = ["PageCheck", "page_check"]

#: Run on the rows of one list page; raises ``InvalidResponseError``.
PageCheck = Callable[[list[Any]], None]
#: Read one row: the Python value of the filtered field, or ``_SKIP``.
Reader = Callable[[Any], Any]
#: Tell whether one value read from a row contradicts the lookup.
Test = Callable[[Any], bool]
#: Return the first of the rows that contradicts one lookup, or ``_SKIP``.
Scan = Callable[[list[Any]], Any]

_SKIP: Any = object()
#: Errors of a wire value that does not parse: not this module's concern.
_UNPARSABLE = (TypeError, ValueError, ArithmeticError, ValidationError, InvalidResponseError)
#: Any UTC offset a database's time zone may have.
_WINDOW = datetime.timedelta(hours=14)
_FLOAT_TOLERANCE = 1e-6
#: A database that stores whole seconds rounds the fraction away.
_ROUNDING = datetime.timedelta(seconds=1)
_SOME_DAY = datetime.date(2000, 1, 1)
#: Since then every time zone's offset is a whole number of quarter hours.
_QUARTER_HOUR_ZONES_SINCE = 1980
_TEXT = frozenset(
    {"iexact", "contains", "icontains", "startswith", "istartswith", "endswith", "iendswith"}
)
_ORDER = frozenset({"gt", "gte", "lt", "lte", "range"})
_ORDERED_KINDS = frozenset({"num", "datetime", "date", "time", "duration"})
_DATE_PARTS = frozenset({"year", "month", "day", "week_day", "quarter", "minute", "date"})
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

    def check(rows: list[Any]) -> None:
        for scan, described, keys in checks:
            row = scan(rows)
            if row is not _SKIP:
                raise _contradiction(row, described, keys, where, pk_source, object_name)

    return check


def _describe(lookup: LookupLike, negated: bool, opts: OptionsLike, dialect: BaseDialect) -> str:
    value = lookup.value
    if lookup.name == "isnull" and not lookup.written.endswith("__isnull"):
        value = None  # filter(x=None), sent as x__isnull
    shown = f"{lookup.written}={_short(value)}"
    try:
        if negated:
            sent = f"sent as {dialect.exclude_param(lookup, opts)}"
        elif lookup.name == "exact" and lookup.names in opts.path_parents:
            sent = "sent in the URL's path"
        else:
            sent = f"sent as {dialect.lookup_param(lookup)}"
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


# --- reading a row ---------------------------------------------------------------------


def _build(
    lookup: LookupLike, negated: bool, opts: OptionsLike, dialect: BaseDialect
) -> tuple[Scan, tuple[str, ...]] | None:
    """Return ``(scan, wire keys)`` for ``lookup``, or ``None`` when the rows cannot show it."""
    from django_api_orm.models.fields import (
        ForeignKey,
        ListField,
        ManyToManyField,
    )

    fields: list[Any] = []
    current = opts
    names = lookup.names.split("__")
    try:
        for index, name in enumerate(names):
            field = current.get_field(name)
            fields.append(field)
            if index < len(names) - 1:
                if not isinstance(field, ForeignKey):
                    return None
                current = field.to._meta
    except (FieldDoesNotExist, LookupError, ValueError, AttributeError):
        return None  # a path this module cannot follow: left unverified
    last = fields[-1]
    hops = [f.source for f in fields[:-1]]
    if hops and isinstance(fields[-2], ForeignKey) and last.name == fields[-2].target_field.name:
        # author__id=3: the foreign key's own pk, bare or nested.
        last, hops = fields[-2], hops[:-1]
    item: Reader | None
    if isinstance(last, ManyToManyField):
        kind = "m2m"
        item = _related_reader(last, dialect)
    elif isinstance(last, ListField):
        kind = "list"
        item = _scalar_reader(last.child, dialect) if last.child is not None else _plain
    elif isinstance(last, ForeignKey):
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
    from django_api_orm.models.fields import DecimalField

    source = field.source
    decimals = isinstance(field, DecimalField)
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


def _plain(raw: Any) -> Any:
    return raw


def _never(value: Any) -> bool:
    return False


def _scalar_reader(field: Any, dialect: BaseDialect) -> Reader | None:
    """Return the reader of one wire value of ``field`` (not null), or ``None`` if unsupported."""
    from django_api_orm.models.fields import (
        BooleanField,
        CharField,
        DateField,
        DateTimeField,
        DecimalField,
        DurationField,
        FloatField,
        IntegerField,
        TimeField,
        UUIDField,
    )

    supported = (
        BooleanField,
        CharField,
        DateField,
        DateTimeField,
        DecimalField,
        DurationField,
        FloatField,
        IntegerField,
        TimeField,
        UUIDField,
    )
    if not isinstance(field, supported):
        return None
    parse = field.parse_wire
    ready = field.ready_types
    unwrap = dialect.choice_value if getattr(field, "choices", None) is not None else None
    is_datetime = isinstance(field, DateTimeField)

    def read(raw: Any) -> Any:
        try:
            if unwrap is not None:
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
        except _UNPARSABLE:
            return _SKIP

    return read


def _related_reader(field: Any, dialect: BaseDialect) -> Reader:
    """Return the reader of a relation's wire value (the pk or a nested object) → the pk."""
    target = field.target_field
    related_pk = dialect.related_pk
    parse = _scalar_reader(target, dialect) or _plain

    def read(raw: Any) -> Any:
        try:
            pk, _nested = related_pk(raw, target)
        except _UNPARSABLE:
            return _SKIP
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


# --- comparing -------------------------------------------------------------------------


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
