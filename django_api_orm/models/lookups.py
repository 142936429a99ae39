"""Lookups and ``Q``: ``"field__lookup"`` parsed once into objects a dialect compiles.

A lookup knows the field path, its name and its prepared Python value; it knows
nothing about URLs. Names are checked here, before any request: django-filter
silently ignores unknown parameters, so an unchecked typo would return every row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from django.core.exceptions import FieldDoesNotExist, FieldError, ValidationError
from django.db.models import Q as DjangoQ

from django_api_orm.exceptions import NotSupportedError
from django_api_orm.models.fields import (
    DateField,
    DateTimeField,
    Field,
    ForeignKey,
    IntegerField,
    ListField,
    ManyToManyField,
    RelatedField,
)

if TYPE_CHECKING:
    from django_api_orm.models.base import RemoteModel

__all__ = ["LOOKUPS", "TEXT_LOOKUPS", "Lookup", "Q", "parse_lookup"]


@dataclass(frozen=True, slots=True)
class Lookup:
    """One condition: ``path`` (wire names joined by ``__``), ``name`` and prepared ``value``."""

    path: str
    name: str
    value: Any
    field: Field
    #: The keyword as the caller wrote it (``"title__in"``), for messages.
    written: str
    #: The field names path (``"author__name"``), as ``Meta.filter_fields`` spells it.
    names: str

    @property
    def param(self) -> str:
        """The django-filter parameter name: the bare wire path for ``exact``."""
        return self.path if self.name == "exact" else f"{self.path}__{self.name}"

    @property
    def key(self) -> str:
        """The lookup in field names, ``exact`` left out: ``Meta.exclude_filters``'s keys."""
        return self.names if self.name == "exact" else f"{self.names}__{self.name}"


def prep_value(field: Field, value: Any) -> Any:
    """Prepare one filter value for ``field``.

    On a list field (a ``ListField`` or a ``ManyToManyField``) a single value is an
    item, as django-filter reads ``genres=3``: "the list holds 3".
    """
    if isinstance(field, ManyToManyField):
        return field.target_field.get_prep_value(value)
    if isinstance(field, ListField) and field.child is not None:
        return field.child.get_prep_value(value)
    return field.get_prep_value(value)


class LookupKind:
    """How a lookup prepares its value."""

    names: ClassVar[frozenset[str]] = frozenset()

    def prepare(self, field: Field, value: Any, written: str) -> Any:
        return prep_value(field, value)


class _Plain(LookupKind):
    names = frozenset({"exact", "gt", "gte", "lt", "lte"})


class _Text(LookupKind):
    names = frozenset(
        {
            "iexact",
            "contains",
            "icontains",
            "startswith",
            "istartswith",
            "endswith",
            "iendswith",
            "regex",
            "iregex",
        }
    )

    def prepare(self, field: Field, value: Any, written: str) -> Any:
        if not isinstance(value, str):
            value = field.get_prep_value(value)
        return value


class _In(LookupKind):
    names = frozenset({"in"})

    def prepare(self, field: Field, value: Any, written: str) -> Any:
        if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
            raise TypeError(f"{written} needs a list or other iterable of values, not {value!r}.")
        items = []
        for item in value:
            if item is None:
                raise ValueError(f"{written} cannot contain None; filter on __isnull instead.")
            items.append(prep_value(field, item))
        return tuple(dict.fromkeys(items))


class _Range(LookupKind):
    names = frozenset({"range"})

    def prepare(self, field: Field, value: Any, written: str) -> Any:
        if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
            raise TypeError(f"{written} needs a (low, high) pair, not {value!r}.")
        pair = tuple(value)
        if len(pair) != 2 or None in pair:
            raise ValueError(f"{written} needs a (low, high) pair, not {value!r}.")
        return (field.get_prep_value(pair[0]), field.get_prep_value(pair[1]))


class _IsNull(LookupKind):
    names = frozenset({"isnull"})

    def prepare(self, field: Field, value: Any, written: str) -> Any:
        if not isinstance(value, bool):
            raise ValueError("The QuerySet value for an isnull lookup must be True or False.")
        return value


# Standalone fields that convert a date part's value; module-level, because a field
# kept as a class attribute would act as a descriptor.
_AS_INTEGER = IntegerField()
_AS_DATE = DateField()


class _DatePart(LookupKind):
    names = frozenset({"year", "month", "day", "week_day", "quarter", "hour", "minute"})

    def prepare(self, field: Field, value: Any, written: str) -> Any:
        if not isinstance(field, DateField | DateTimeField):
            raise FieldError(f"Unsupported lookup '{written}': {field.name} is not a date field.")
        return _AS_INTEGER.to_python(value)


class _Date(LookupKind):
    names = frozenset({"date"})

    def prepare(self, field: Field, value: Any, written: str) -> Any:
        if not isinstance(field, DateTimeField):
            raise FieldError(f"Unsupported lookup '{written}': {field.name} is not a datetime.")
        return _AS_DATE.to_python(value)


#: The lookups whose value is text as written (``icontains``, ``regex`` …).
TEXT_LOOKUPS: frozenset[str] = _Text.names

#: Lookup name → how its value is prepared. Unknown names raise ``FieldError``.
LOOKUPS: dict[str, LookupKind] = {
    name: kind
    for kind in (_Plain(), _Text(), _In(), _Range(), _IsNull(), _DatePart(), _Date())
    for name in kind.names
}


def parse_lookup(model: type[RemoteModel], written: str, value: Any) -> Lookup:
    """Parse ``"author__name__icontains"`` against ``model``; raise ``FieldError`` if wrong."""
    parts = written.split("__")
    current = model
    field: Field | None = None
    path: list[str] = []
    names: list[str] = []
    index = 0
    #: The relation whose target the value names: instances of its model are accepted.
    relation: Field | None = None
    while index < len(parts):
        part = parts[index]
        if field is not None and not isinstance(field, ForeignKey):
            break
        if field is not None:
            assert isinstance(field, ForeignKey)
            target = field.target_field
            if (part == target.name or (part == "pk" and target.primary_key)) and not (
                _declares_join(model, names, target)
            ):
                # ``author__id`` / ``author__pk`` (Django's admin sends author__id__exact):
                # the foreign key's own value, sent as the foreign key's filter.
                relation, field = field, target
                index += 1
                break
            current = field.to
        try:
            field = current._meta.get_field(part)
        except FieldDoesNotExist:
            if field is None:
                choices = ", ".join(["pk", *current._meta.field_names])
                raise FieldError(
                    f"Cannot resolve keyword '{part}' into field. Choices are: {choices}"
                ) from None
            # ``author__lt``: the part after a foreign key is a lookup on its pk.
            assert isinstance(field, ForeignKey)
            if part in LOOKUPS:
                relation, field = field, field.target_field
                break
            choices = ", ".join(["pk", *current._meta.field_names])
            raise FieldError(
                f"Cannot resolve keyword '{part}' into field. Choices are: {choices}"
            ) from None
        path.append(field.source)
        names.append(field.name)
        index += 1
    assert field is not None
    rest = parts[index:]
    if len(rest) > 1:
        raise FieldError(
            f"Unsupported lookup '{'__'.join(rest)}' for {type(field).__name__} or join on "
            f"the field not permitted in '{written}'."
        )
    name = rest[0] if rest else "exact"
    kind = LOOKUPS.get(name)
    if kind is None:
        raise FieldError(
            f"Unsupported lookup '{name}' for {type(field).__name__} in '{written}'. "
            f"Lookups are: {', '.join(sorted(LOOKUPS))}."
        )
    if value is None:
        if name not in ("exact", "iexact"):
            raise ValueError(f"Cannot use None as a query value ({written}).")
        # filter(x=None) means "x is null", as in Django.
        return Lookup("__".join(path), "isnull", True, field, written, "__".join(names))
    value = _instance_values(value, name, field, relation, current, written)
    try:
        prepared = kind.prepare(field, value, written)
    except ValidationError as exc:
        # As Django's ORM: a filter value of the wrong type is a ValueError.
        raise ValueError(
            f"Field '{field.name}' cannot take {value!r} in {written}: {' '.join(exc.messages)}"
        ) from exc
    return Lookup("__".join(path), name, prepared, field, written, "__".join(names))


def _declares_join(model: type[RemoteModel], names: list[str], target: Field) -> bool:
    """Whether ``model``'s filters name ``author__id`` itself (a django-filter filter on
    the join) and not ``author``: then ``author__id`` is sent as it is written."""
    declared = model._meta.filter_fields
    if declared is None:
        return False
    return "__".join([*names, target.name]) in declared and "__".join(names) not in declared


def _instance_values(
    value: Any,
    name: str,
    field: Field,
    relation: Field | None,
    current: type[RemoteModel],
    written: str,
) -> Any:
    """Replace model instances in ``value`` by the value they are compared on, as Django
    accepts ``author=a``, ``author__in=[a, b]``, ``pk=obj`` and ``genres=g``."""
    if relation is not None:
        assert isinstance(relation, RelatedField)
        model, attname = relation.to, field.attname  # author__in, author__id: the target
    elif isinstance(field, RelatedField):
        model, attname = field.to, field.target_field.attname  # author=, genres=
    elif field.primary_key:
        model, attname = current, field.attname  # pk=obj, id__in=[a, b]
    else:
        return value
    if name == "in" and isinstance(value, Iterable) and not isinstance(value, str | bytes):
        if not isinstance(value, Mapping):
            return [_instance_value(item, model, attname, written) for item in value]
        return value
    return _instance_value(value, model, attname, written)


def _instance_value(value: Any, model: type[RemoteModel], attname: str, written: str) -> Any:
    """Return ``value``'s compared value if it is a model instance; refuse a wrong one."""
    meta = getattr(type(value), "_meta", None)
    if meta is None or isinstance(value, type):
        return value
    if not isinstance(value, model):
        raise ValueError(
            f'Cannot query "{value}": Must be "{model._meta.object_name}" instance (in {written}).'
        )
    compared = getattr(value, attname)
    if compared is None:
        raise ValueError(
            f"Model instances passed to related filters must be saved: {value!r} has no "
            f"{attname} yet (in {written}). Save it first, or filter on a saved one."
        )
    return compared


class Q:
    """Encapsulate filters as objects combined with ``&``, ``|`` and ``~``, as Django's ``Q``.

    Over HTTP, ANDs are always expressible; an OR only when it is equalities on
    one field (compiled to ``__in``); anything else raises ``NotSupportedError``.
    """

    AND = "AND"
    OR = "OR"
    #: Django's ``Q`` combines with objects that say so: ``DjangoQ(a=1) | Q(a=2)`` works.
    conditional = True

    def __init__(
        self, *args: Q | DjangoQ, _connector: str = "AND", _negated: bool = False, **kwargs: Any
    ):
        converted = [self.from_django(arg) if isinstance(arg, DjangoQ) else arg for arg in args]
        self.children: list[Q | tuple[str, Any]] = [*converted, *sorted(kwargs.items())]
        self.connector = _connector
        self.negated = _negated

    @classmethod
    def from_django(cls, q: DjangoQ) -> Q:
        """Return Django's own ``django.db.models.Q`` as this ``Q``: both are accepted.

        An ``XOR`` and a child that is an expression (``Q(Exists(...))``) cannot be
        sent as filter parameters: they raise ``NotSupportedError``.
        """
        if q.connector not in (cls.AND, cls.OR):
            raise NotSupportedError(
                f"Cannot send {q!r}: a filter API ANDs its parameters; {q.connector} of "
                "conditions cannot be expressed. Make one request per condition instead."
            )
        clone = cls(_connector=q.connector, _negated=q.negated)
        for child in q.children:
            if isinstance(child, DjangoQ):
                clone.children.append(cls.from_django(child))
            elif isinstance(child, Q):
                clone.children.append(child)
            elif isinstance(child, tuple) and len(child) == 2 and isinstance(child[0], str):
                clone.children.append(child)  # a (keyword, value) pair
            else:
                raise NotSupportedError(
                    f"Cannot send {child!r} in a Q: only field lookups (name=value) can be "
                    "sent as filter parameters."
                )
        return clone

    def _combine(self, other: object, connector: str) -> Q:
        if isinstance(other, DjangoQ):
            other = self.from_django(other)
        if not isinstance(other, Q):
            raise TypeError(other)
        if not other.children:
            return self.copy()
        if not self.children:
            return other.copy()
        return Q(self, other, _connector=connector)

    def __or__(self, other: object) -> Q:
        """Combine with OR (only equalities on one field can be sent)."""
        return self._combine(other, self.OR)

    def __and__(self, other: object) -> Q:
        """Combine with AND."""
        return self._combine(other, self.AND)

    def __invert__(self) -> Q:
        """Negate (sent through ``Meta.exclude_filters``)."""
        clone = self.copy()
        clone.negated = not self.negated
        return clone

    def copy(self) -> Q:
        """Return a shallow copy."""
        clone = Q(_connector=self.connector, _negated=self.negated)
        clone.children = list(self.children)
        return clone

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Q) and (self.connector, self.negated, self.children) == (
            other.connector,
            other.negated,
            other.children,
        )

    def __hash__(self) -> int:
        return hash((self.connector, self.negated, repr(self.children)))

    def __repr__(self) -> str:
        inner = ", ".join(repr(c) for c in self.children)
        text = f"(<{self.connector}: {inner}>)"
        return f"(NOT {text})" if self.negated else text

    def flatten(self) -> list[Condition]:
        """Return the conditions ANDed together; an OR becomes one ``Condition`` of leaves.

        Raise ``NotSupportedError`` for a NOT over several conditions: it is an OR.
        """
        if self.connector == self.OR and len(self.children) > 1:
            leaves: list[tuple[str, Any]] = []
            for child in self.children:
                if isinstance(child, Q):
                    for cond in child.flatten():
                        if cond.negated:
                            raise self._unsupported_or()
                        leaves.extend(cond.leaves)
                else:
                    leaves.append(child)
            return [Condition(tuple(leaves), self.negated, self)]
        conditions: list[Condition] = []
        for child in self.children:
            if isinstance(child, Q):
                conditions.extend(child.flatten())
            else:
                conditions.append(Condition((child,), False, self))
        if not self.negated:
            return conditions
        if len(conditions) != 1:
            raise NotSupportedError(
                f"Cannot send {self!r}: NOT (a AND b) is an OR, which a filter API cannot "
                "express. Exclude one condition per exclude() call instead."
            )
        only = conditions[0]
        return [Condition(only.leaves, not only.negated, self)]

    def _unsupported_or(self) -> NotSupportedError:
        return NotSupportedError(
            f"Cannot send {self!r}: a filter API ANDs its parameters, so an OR is only "
            "possible between equalities on one field (sent as field__in=a,b). Make one "
            "request per condition and combine the results instead."
        )


@dataclass(frozen=True, slots=True)
class Condition:
    """Keyword/value leaves ORed together (one leaf: a plain condition), maybe negated."""

    leaves: tuple[tuple[str, Any], ...]
    negated: bool
    origin: Q
