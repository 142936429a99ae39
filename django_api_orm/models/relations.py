"""Relations: reverse managers, and loading related objects of a page in batched requests.

``book.author`` (a ForeignKey) and ``author.books`` (its ``related_name``) cost
no request per row when the queryset asks for them with ``select_related`` or
``prefetch_related``: the related objects of each page come in one batched
``__in`` request (chunked to keep URLs short), or, where the related provider
has no ``__in`` filter, in concurrent detail GETs, never sequential ones.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Prefetch

from django_api_orm.bridge import run_sync
from django_api_orm.compiler import in_batches
from django_api_orm.exceptions import NotSupportedError
from django_api_orm.models.descriptors import ReverseManyDescriptor, ReverseManyToManyDescriptor
from django_api_orm.models.fields import Field, ForeignKey, ManyToManyField

if TYPE_CHECKING:
    from django_api_orm.models.base import RemoteModel
    from django_api_orm.models.queryset import QuerySet

__all__ = [
    "Prefetch",
    "PrefetchLookup",
    "aprefetch_related_objects",
    "check_lookup",
    "check_relation",
    "contribute_reverse_relations",
    "fetch_by_pk",
    "prefetch",
    "prefetch_related_objects",
    "related_model",
    "reverse_relations",
]

#: A ``prefetch_related()`` lookup: a relation name or path, or Django's ``Prefetch``.
PrefetchLookup: TypeAlias = "str | Prefetch[Any, Any, Any]"

#: What the lookups separate relations with (``"books__genres"``), as Django's ``LOOKUP_SEP``.
LOOKUP_SEP = "__"

#: Concurrent requests when a related provider offers no ``__in`` filter.
FALLBACK_CONCURRENCY = 10

_pending: list[ForeignKey | ManyToManyField] = []

Reverse = ReverseManyDescriptor | ReverseManyToManyDescriptor


def contribute_reverse_relations(declared: Iterable[Field]) -> None:
    """Install ``related_name`` managers for the relations in ``declared``: ``author.books``
    for a foreign key, ``genre.book_set`` for a many-to-many field.

    A relation to a model not declared yet (``ForeignKey("Author")``) waits
    until that model exists.
    """
    queue = [*_pending, *(f for f in declared if isinstance(f, ForeignKey | ManyToManyField))]
    _pending.clear()
    while queue:
        field = queue.pop(0)
        try:
            target = field.to
        except LookupError:
            _pending.append(field)
            continue
        try:
            _install(field, target)
        except TypeError:
            # A clash drops this relation only: the others still wait for their model.
            _pending.extend(queue)
            raise


def _install(field: ForeignKey | ManyToManyField, target: type[RemoteModel]) -> None:
    name = field.related_name or f"{field.model._meta.model_name}_set"
    if name.endswith("+"):
        return  # as Django: no reverse accessor
    existing = target.__dict__.get(name)
    if isinstance(existing, Reverse) and (
        existing.field is field or _redeclared(existing.field, field)
    ):
        if existing.field is not field:
            setattr(target, name, type(existing)(field, name))  # type: ignore[arg-type]
        return
    if existing is not None or target._meta._by_name.get(name) is not None:
        raise TypeError(
            f"{field.model.__name__}.{field.name}'s related_name {name!r} clashes with "
            f"{target.__name__}.{name}. Choose another related_name."
        )
    descriptor: Reverse = (
        ReverseManyDescriptor(field, name)
        if isinstance(field, ForeignKey)
        else ReverseManyToManyDescriptor(field, name)
    )
    setattr(target, name, descriptor)


def _redeclared(old: Field, new: Field) -> bool:
    """Whether ``new`` is ``old`` of a model declared again (a module imported twice):
    the registry then replaces the model, and its reverse accessor follows."""
    before, after = old.model, new.model
    return (
        type(old) is type(new)
        and old.name == new.name
        and (before.__module__, before.__qualname__) == (after.__module__, after.__qualname__)
    )


def reverse_relations(
    model: type[RemoteModel],
) -> list[ReverseManyDescriptor | ReverseManyToManyDescriptor]:
    """Return the reverse accessors installed on ``model`` (``author.books``,
    ``genre.book_set``): what ``_meta.related_objects`` lists. Each has ``.field`` (the
    foreign key or many-to-many field pointing here) and ``.name`` (the accessor)."""
    return [
        value
        for klass in reversed(model.__mro__)
        for value in vars(klass).values()
        if isinstance(value, Reverse)
    ]


def related_model(model: type[RemoteModel], name: str) -> type[RemoteModel]:
    """Return the model that relation ``name`` of ``model`` leads to."""
    check_relation(model, name)
    reverse = getattr(model, name, None)
    if isinstance(reverse, Reverse):
        return reverse.field.model
    field = model._meta.get_field(name)
    assert isinstance(field, ForeignKey | ManyToManyField)
    return field.to


def check_lookup(model: type[RemoteModel], lookup: PrefetchLookup) -> None:
    """Raise ``ValueError`` unless ``lookup`` (a name, ``"books__genres"`` or a ``Prefetch``)
    can be prefetched from ``model``."""
    if isinstance(lookup, Prefetch):
        path = lookup.prefetch_through
        queryset, to_attr = lookup.queryset, lookup.to_attr
    elif isinstance(lookup, str):
        path, queryset, to_attr = lookup, None, None
    else:
        raise TypeError(
            f"prefetch_related() takes relation names and Prefetch objects, got {lookup!r}."
        )
    current = model
    for part in path.split(LOOKUP_SEP):
        current = related_model(current, part)
    if queryset is not None:
        if queryset.model is not current:
            raise ValueError(
                f"Prefetch({path!r}) takes a queryset of {current.__name__}, got one of "
                f"{queryset.model.__name__}."
            )
        if getattr(queryset, "_values", None) is not None:
            raise ValueError("Prefetch querysets cannot use raw(), values(), and values_list().")
        if queryset.query.is_sliced:
            raise NotSupportedError(
                f"Prefetch({path!r}) cannot take a sliced queryset: the slice would apply to "
                "the related objects of every instance together, not of each."
            )
    if to_attr:
        owner = model
        for part in path.split(LOOKUP_SEP)[:-1]:
            owner = related_model(owner, part)
        try:
            owner._meta.get_field(to_attr)
        except FieldDoesNotExist:
            pass
        else:
            raise ValueError(
                f"to_attr={to_attr} conflicts with a field on the {owner.__name__} model."
            )


def check_relation(model: type[RemoteModel], name: str) -> None:
    """Raise ``ValueError`` unless ``name`` is a relation of ``model`` that can be prefetched."""
    if isinstance(getattr(model, name, None), Reverse):
        return
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        raise ValueError(
            f"Cannot prefetch '{name}': {model.__name__} has no relation of that name."
        ) from None
    if not isinstance(field, ForeignKey | ManyToManyField):
        raise ValueError(f"Cannot prefetch '{name}': it is not a relation.")


def _as_prefetch(lookup: PrefetchLookup) -> Prefetch[Any, Any, Any]:
    return lookup if isinstance(lookup, Prefetch) else Prefetch(lookup)


async def prefetch(objs: Sequence[RemoteModel], lookups: Iterable[PrefetchLookup]) -> None:
    """Attach the related objects named by ``lookups`` (names, ``"a__b"`` paths or
    ``Prefetch`` objects) to each of ``objs``: one batched request per relation and page.

    As Django: an intermediate relation (``books`` of ``"books__genres"``) is loaded
    once, and a lookup already done is skipped (raising if it brings a queryset).
    """
    if not objs:
        return
    done: dict[str, list[RemoteModel]] = {}
    for lookup in map(_as_prefetch, lookups):
        if lookup.prefetch_to in done:
            if lookup.queryset is not None:
                raise ValueError(
                    f"'{lookup.prefetch_to}' lookup was already seen with a different "
                    "queryset. You may need to adjust the ordering of your lookups."
                )
            continue
        check_lookup(type(objs[0]), lookup)
        parts = lookup.prefetch_through.split(LOOKUP_SEP)
        level_objs: list[RemoteModel] = list(objs)
        for level, name in enumerate(parts):
            if not level_objs:
                break
            path = LOOKUP_SEP.join(parts[: level + 1])
            if level == len(parts) - 1:
                await _load(level_objs, name, lookup.queryset, lookup.to_attr)
                done[lookup.prefetch_to] = _related_of(level_objs, name, lookup.to_attr)
            elif path not in done:
                await _load(level_objs, name, None, None)
                done[path] = _related_of(level_objs, name, None)
            level_objs = done.get(path, [])


def _related_of(objs: Sequence[RemoteModel], name: str, to_attr: str | None) -> list[RemoteModel]:
    """Return the related objects loaded for relation ``name`` of ``objs``, once each."""
    out: dict[int, RemoteModel] = {}
    for obj in objs:
        if to_attr:
            value = getattr(obj, to_attr, None)
            values = value if isinstance(value, list) else [] if value is None else [value]
        elif obj._state.prefetched is not None and name in obj._state.prefetched:
            values = obj._state.prefetched[name]
        else:
            related = (obj._state.relations or {}).get(name)
            values = [] if related is None else [related]
        for value in values:
            out.setdefault(id(value), value)
    return list(out.values())


async def _load(
    objs: Sequence[RemoteModel], name: str, queryset: QuerySet[Any] | None, to_attr: str | None
) -> None:
    model = type(objs[0])
    reverse = getattr(model, name, None)
    if isinstance(reverse, ReverseManyDescriptor):
        await _load_reverse(objs, reverse, queryset, to_attr)
    elif isinstance(reverse, ReverseManyToManyDescriptor):
        await _load_reverse_many(objs, reverse, queryset, to_attr)
    else:
        field = model._meta.get_field(name)
        if isinstance(field, ManyToManyField):
            await _load_many(objs, field, queryset, to_attr)
        else:
            assert isinstance(field, ForeignKey)
            await _load_forward(objs, field, queryset, to_attr)


async def aprefetch_related_objects(
    model_instances: Iterable[RemoteModel], *related_lookups: PrefetchLookup
) -> None:
    """Load the relations named by ``related_lookups`` for ``model_instances``, as Django's
    ``aprefetch_related_objects()``: names, ``"books__genres"`` paths, ``Prefetch`` objects."""
    objs = list(model_instances)
    if not objs:
        return
    model = type(objs[0])
    if any(type(o) is not model for o in objs):
        raise ValueError("prefetch_related_objects() takes instances of one model.")
    await prefetch(objs, related_lookups)


def prefetch_related_objects(
    model_instances: Iterable[RemoteModel], *related_lookups: PrefetchLookup
) -> None:
    """Sync twin of :func:`aprefetch_related_objects`, as Django's
    ``prefetch_related_objects()``."""
    run_sync(
        lambda: aprefetch_related_objects(model_instances, *related_lookups),
        hint="await aprefetch_related_objects(...)",
    )


def _store(obj: RemoteModel, name: str, to_attr: str | None, related: list[RemoteModel]) -> None:
    if to_attr:
        setattr(obj, to_attr, related)
    else:
        obj._state.prefetch(name, related)


async def _bounded(calls: Iterable[Any]) -> None:
    semaphore = asyncio.Semaphore(FALLBACK_CONCURRENCY)

    async def run(call: Any) -> None:
        async with semaphore:
            await call()

    await asyncio.gather(*(run(c) for c in calls))


async def fetch_by_pk(
    related: type[RemoteModel],
    pks: list[Any],
    queryset: QuerySet[Any] | None = None,
    *,
    field_name: str = "pk",
) -> dict[Any, RemoteModel]:
    """Return ``{pk: object}``: batched ``__in`` requests, or concurrent detail GETs;
    the objects of ``queryset`` (its filters ANDed, in its order) when one is given.
    ``field_name`` names another unique field to find them by (a form's ``to_field_name``)."""
    manager: Any = related._default_manager if queryset is None else queryset
    allowed = related._meta.filter_fields
    name = related._meta.get_field(field_name).name
    if allowed is None or "in" in allowed.get(name, ()):
        found: dict[Any, RemoteModel] = await manager.ain_bulk(pks, field_name=field_name)
        return found
    found = {}

    def one(pk: Any) -> Any:
        async def call() -> None:
            with contextlib.suppress(related.DoesNotExist):
                found[pk] = await manager.aget(**{field_name: pk})

        return call

    await _bounded(one(pk) for pk in pks)
    return found


async def _per_parent(
    child: Any, name: str, pks: list[Any], groups: dict[Any, list[RemoteModel]]
) -> None:
    """Fill ``groups[pk]`` with ``child.filter(name=pk)`` for each pk, ten requests at a
    time: the related objects where the provider has no ``name__in`` filter."""

    def one(pk: Any) -> Any:
        async def call() -> None:
            groups[pk] = [item async for item in child.filter(**{name: pk}).aiterator()]

        return call

    await _bounded(one(pk) for pk in pks)


async def _load_forward(
    objs: Sequence[RemoteModel],
    field: ForeignKey,
    queryset: QuerySet[Any] | None = None,
    to_attr: str | None = None,
) -> None:
    pending = []
    for obj in objs:
        pk = getattr(obj, field.attname)  # a nested object is cached as it converts
        if pk is None:
            if to_attr:
                setattr(obj, to_attr, None)
            continue
        loaded = (obj._state.relations or {}).get(field.name)
        # A short nested object ({"id", "name"}) is partial: fetch the whole one.
        if queryset is not None or to_attr or loaded is None or loaded.get_deferred_fields():
            pending.append(obj)
    pks = list(dict.fromkeys(getattr(o, field.attname) for o in pending))
    if not pks:
        return
    found = await fetch_by_pk(field.to, pks, queryset)
    for obj in pending:
        pk = getattr(obj, field.attname)
        if to_attr:
            setattr(obj, to_attr, found.get(pk))  # as Django: None when filtered out
        elif pk in found:
            # A pk the server did not return stays unloaded: reading it raises, never None.
            obj._state.cache_relation(field.name, found[pk])


async def _load_many(
    objs: Sequence[RemoteModel],
    field: ManyToManyField,
    queryset: QuerySet[Any] | None = None,
    to_attr: str | None = None,
) -> None:
    pks = list(dict.fromkeys(pk for o in objs for pk in getattr(o, field.attname) or ()))
    found = await fetch_by_pk(field.to, pks, queryset) if pks else {}
    ordered = queryset is not None and queryset.ordered
    for obj in objs:
        listed = getattr(obj, field.attname) or ()
        if ordered:  # the queryset's order, as Django's prefetch gives it
            members = set(listed)
            related = [o for pk, o in found.items() if pk in members]
        else:
            related = [found[pk] for pk in listed if pk in found]
        _store(obj, field.name, to_attr, related)


async def _load_reverse(
    objs: Sequence[RemoteModel],
    rel: ReverseManyDescriptor,
    queryset: QuerySet[Any] | None = None,
    to_attr: str | None = None,
) -> None:
    field = rel.field
    child: Any = field.model._default_manager if queryset is None else queryset
    pks = list(dict.fromkeys(o.pk for o in objs if o.pk is not None))
    groups: dict[Any, list[RemoteModel]] = {pk: [] for pk in pks}
    allowed = field.model._meta.filter_fields
    if allowed is None or "in" in allowed.get(field.name, ()):
        for batch in in_batches(pks):
            async for item in child.filter(**{f"{field.name}__in": batch}).aiterator():
                groups.setdefault(getattr(item, field.attname), []).append(item)
    else:
        await _per_parent(child, field.name, pks, groups)
    for obj in objs:
        related = groups.get(obj.pk, [])
        for item in related:  # ``book.author`` of a prefetched book is its author: no request
            if getattr(item, field.attname) == obj.pk:
                item._state.cache_relation(field.name, obj)
        _store(obj, rel.name, to_attr, related)


async def _load_reverse_many(
    objs: Sequence[RemoteModel],
    rel: ReverseManyToManyDescriptor,
    queryset: QuerySet[Any] | None = None,
    to_attr: str | None = None,
) -> None:
    """``genre.book_set`` for each genre: ``books/?genres__in=...`` batched when the
    provider filters so, else one ``books/?genres=3`` per object, ten at a time."""
    field = rel.field
    child: Any = field.model._default_manager if queryset is None else queryset
    pks = list(dict.fromkeys(o.pk for o in objs if o.pk is not None))
    groups: dict[Any, list[RemoteModel]] = {pk: [] for pk in pks}
    allowed = field.model._meta.filter_fields
    if allowed is None or "in" in allowed.get(field.name, ()):
        for batch in in_batches(pks):
            wanted = set(batch)
            async for item in child.filter(**{f"{field.name}__in": batch}).aiterator():
                for pk in getattr(item, field.attname) or ():
                    if pk in wanted:
                        groups[pk].append(item)
    else:
        await _per_parent(child, field.name, pks, groups)
    for obj in objs:
        _store(obj, rel.name, to_attr, groups.get(obj.pk, []))
