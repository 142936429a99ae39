"""``Query``: what a QuerySet asks for, as plain data. No HTTP, no URL formats.

Filters are parsed and checked when they are added, so a wrong name raises at
``filter()``; only a dialect turns a Query into request parameters.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import FieldDoesNotExist, FieldError

from django_api_orm.exceptions import NotSupportedError
from django_api_orm.models.fields import ForeignKey
from django_api_orm.models.lookups import Condition, Lookup, Q, parse_lookup
from django_api_orm.services import services

if TYPE_CHECKING:
    from django_api_orm.models.base import RemoteModel
    from django_api_orm.models.options import Options

__all__ = ["Query"]


@dataclasses.dataclass(slots=True)
class Query:
    """Filters, exclusions, ordering, slice and relations of one QuerySet."""

    model: type[RemoteModel]
    where: tuple[Lookup, ...] = ()
    excludes: tuple[Lookup, ...] = ()
    #: ``None``: the model's ``Meta.ordering``; ``()``: no ordering asked for.
    order_by: tuple[str, ...] | None = None
    low_mark: int = 0
    high_mark: int | None = None
    #: True when the result is known to be empty without a request (``none()``, ``__in=[]``).
    is_empty: bool = False
    select_related: tuple[str, ...] = ()
    #: Relation names, ``"a__b"`` paths and Django ``Prefetch`` objects.
    prefetch_related: tuple[Any, ...] = ()
    #: The provider's free-text search term (``QuerySet.search()``), if any.
    search: str | None = None
    deferred: frozenset[str] = frozenset()
    only: frozenset[str] | None = None
    #: False after ``QuerySet.nocache()``: the service's ``CACHE`` is skipped.
    use_cache: bool = True
    #: Set when the query cannot be sent (a prefetched relation answers from memory
    #: instead); sending it raises this error.
    unsendable: Exception | None = None

    def clone(self, **changes: Any) -> Query:
        return dataclasses.replace(self, **changes)

    @property
    def opts(self) -> Options:
        """The queried model's ``_meta``."""
        return self.model._meta

    # --- filters ------------------------------------------------------------

    def add_q(self, q: Q, *, negate: bool = False) -> Query:
        """Return a Query with ``q`` ANDed to the filters (or excluded, with ``negate``)."""
        where = list(self.where)
        excludes = list(self.excludes)
        is_empty = self.is_empty
        conditions = q.flatten()
        if negate and len(conditions) > 1:
            raise NotSupportedError(
                f"Cannot exclude {q!r}: excluding several conditions at once means NOT (a AND "
                "b), an OR that a filter API cannot express. Call exclude() once per condition."
            )
        for condition in conditions:
            lookup = self._condition_lookup(condition)
            negated = condition.negated != negate
            if negated and lookup.name == "isnull":
                # exclude(x=None) is filter(x__isnull=False): no exclusion filter needed.
                lookup = dataclasses.replace(lookup, value=not lookup.value)
                negated = False
            if lookup.name == "in" and not lookup.value:
                if not negated:
                    is_empty = True
                continue  # excluding nothing from the set leaves it as it is
            if negated:
                self._check_excludable(lookup)
                excludes.append(lookup)
            else:
                self._check_allowed(lookup)
                where.append(lookup)
        return self.clone(where=tuple(where), excludes=tuple(excludes), is_empty=is_empty)

    def _condition_lookup(self, condition: Condition) -> Lookup:
        lookups = [parse_lookup(self.model, key, value) for key, value in condition.leaves]
        if len(lookups) == 1:
            return lookups[0]
        # An OR: only equalities on one field, sent as one __in.
        paths = {lk.path for lk in lookups}
        if len(paths) != 1 or any(lk.name not in ("exact", "in") for lk in lookups):
            raise condition.origin._unsupported_or()
        values: list[Any] = []
        for lk in lookups:
            values.extend(lk.value if lk.name == "in" else (lk.value,))
        first = lookups[0]
        written = f"{first.written.removesuffix('__exact').removesuffix('__in')}__in"
        return Lookup(
            first.path, "in", tuple(dict.fromkeys(values)), first.field, written, first.names
        )

    def _check_allowed(self, lookup: Lookup) -> None:
        allowed = self.model._meta.filter_fields
        if allowed is None:
            return
        accepted = allowed.get(lookup.names)
        if accepted is None or lookup.name not in accepted:
            declared = ", ".join(
                f"{name}__{lk}" if lk != "exact" else name
                for name in sorted(allowed)
                for lk in sorted(allowed[name])
            )
            raise NotSupportedError(
                f"{self.model.__name__} cannot be filtered on '{lookup.written}': the provider's "
                f"filters (Meta.filter_fields) accept only: {declared or 'nothing'}. A filter "
                "the server does not know would be ignored and return every row."
            )

    def _check_excludable(self, lookup: Lookup) -> None:
        # The model's own service's dialect decides: a provider that negates any filter
        # itself (NetBox's __n) needs the field's filter; otherwise Meta.exclude_filters.
        dialect = services.dialect(self.opts.service)
        dialect.check_exclusion(lookup, self.opts)
        if dialect.negates_filters:
            self._check_allowed(lookup)

    def with_search(self, term: str) -> Query:
        """Return a Query sending the provider's free-text search for ``term``."""
        if not isinstance(term, str) or not term:
            raise ValueError(f"search() takes a non-empty string, not {term!r}.")
        if self.search not in (None, term):
            raise NotSupportedError("A provider takes one search term: call search() once.")
        return self.clone(search=term)

    # --- ordering -----------------------------------------------------------

    def with_ordering(self, names: Sequence[str]) -> Query:
        """Return a Query ordered by ``names`` (``-`` for descending); check each name."""
        for name in names:
            self._check_ordering(name)
        return self.clone(order_by=tuple(names))

    def _check_ordering(self, name: str) -> None:
        if not isinstance(name, str):
            raise TypeError(f"order_by() takes field names, not {name!r}.")
        if name == "?":
            raise NotSupportedError("Random ordering ('?') cannot be asked of a REST API.")
        bare = name.removeprefix("-")
        model = self.model
        parts = bare.split("__")
        for index, part in enumerate(parts):
            try:
                field = model._meta.get_field(part)
            except FieldDoesNotExist:
                raise FieldError(
                    f"Cannot resolve keyword '{part}' into field. Choices are: "
                    f"{', '.join(['pk', *model._meta.field_names])}"
                ) from None
            if index < len(parts) - 1:
                if not isinstance(field, ForeignKey):
                    raise FieldError(f"Cannot order by '{bare}': {part} is not a relation.")
                model = field.to
        allowed = self.model._meta.ordering_fields
        wire = self.wire_ordering_name(bare)
        if allowed is not None and wire not in allowed:
            raise NotSupportedError(
                f"{self.model.__name__} cannot be ordered by '{bare}': the provider orders only "
                f"by {', '.join(sorted(allowed)) or 'nothing'} (Meta.ordering_fields). An "
                "ordering the server does not know would be ignored."
            )

    def wire_ordering_name(self, name: str) -> str:
        """Return ``name`` (without ``-``) in wire names: ``pk`` and ``source`` resolved."""
        model = self.model
        out = []
        for part in name.split("__"):
            field = model._meta.get_field(part)
            out.append(field.source)
            if isinstance(field, ForeignKey):
                model = field.to
        return "__".join(out)

    @property
    def effective_ordering(self) -> tuple[str, ...]:
        if self.order_by is None:
            return self.model._meta.ordering
        return self.order_by

    # --- slicing ------------------------------------------------------------

    def with_slice(self, start: int | None, stop: int | None) -> Query:
        """Return a Query limited to ``[start:stop]`` of the current slice."""
        low, high = self.low_mark, self.high_mark
        if stop is not None:
            new_high = low + stop
            high = new_high if high is None else min(high, new_high)
        if start is not None:
            low = low + start if high is None else min(low + start, high)
        return self.clone(low_mark=low, high_mark=high)

    @property
    def is_sliced(self) -> bool:
        return self.low_mark != 0 or self.high_mark is not None

    @property
    def empty_slice(self) -> bool:
        return self.high_mark is not None and self.high_mark <= self.low_mark
