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
from typing import TYPE_CHECKING, Any

from django.core.exceptions import FieldDoesNotExist

from django_api_orm.compiler import in_batches
from django_api_orm.models.descriptors import ReverseManyDescriptor
from django_api_orm.models.fields import Field, ForeignKey, ManyToManyField

if TYPE_CHECKING:
    from django_api_orm.models.base import RemoteModel

__all__ = [
    "check_relation",
    "contribute_reverse_relations",
    "prefetch_related_objects",
]

#: Concurrent requests when a related provider offers no ``__in`` filter.
FALLBACK_CONCURRENCY = 10

_pending: list[ForeignKey] = []


def contribute_reverse_relations(declared: Iterable[Field]) -> None:
    """Install ``related_name`` managers for the foreign keys in ``declared``.

    A foreign key to a model not declared yet (``ForeignKey("Author")``) waits
    until that model exists.
    """
    _pending.extend(f for f in declared if isinstance(f, ForeignKey))
    waiting = []
    for field in _pending:
        try:
            target = field.to
        except LookupError:
            waiting.append(field)
            continue
        _install(field, target)
    _pending[:] = waiting


def _install(field: ForeignKey, target: type[RemoteModel]) -> None:
    name = field.related_name or f"{field.model._meta.model_name}_set"
    if name.endswith("+"):
        return  # as Django: no reverse accessor
    existing = target.__dict__.get(name)
    if isinstance(existing, ReverseManyDescriptor) and existing.field is field:
        return
    if existing is not None or target._meta._by_name.get(name) is not None:
        raise TypeError(
            f"{field.model.__name__}.{field.name}'s related_name {name!r} clashes with "
            f"{target.__name__}.{name}. Choose another related_name."
        )
    setattr(target, name, ReverseManyDescriptor(field, name))


def check_relation(model: type[RemoteModel], name: str) -> None:
    """Raise ``ValueError`` unless ``name`` is a relation of ``model`` that can be prefetched."""
    if isinstance(getattr(model, name, None), ReverseManyDescriptor):
        return
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        raise ValueError(
            f"Cannot prefetch '{name}': {model.__name__} has no relation of that name."
        ) from None
    if not isinstance(field, ForeignKey | ManyToManyField):
        raise ValueError(f"Cannot prefetch '{name}': it is not a relation.")


async def prefetch_related_objects(
    objs: Sequence[RemoteModel], names: Iterable[str], *, using: str | None = None
) -> None:
    """Attach the related objects named by ``names`` to each of ``objs``."""
    model = type(objs[0])
    for name in dict.fromkeys(names):
        check_relation(model, name)
        reverse = getattr(model, name, None)
        if isinstance(reverse, ReverseManyDescriptor):
            await _load_reverse(objs, reverse)
            continue
        field = model._meta.get_field(name)
        if isinstance(field, ManyToManyField):
            await _load_many(objs, field)
        else:
            assert isinstance(field, ForeignKey)
            await _load_forward(objs, field)


async def _bounded(calls: Iterable[Any]) -> None:
    semaphore = asyncio.Semaphore(FALLBACK_CONCURRENCY)

    async def run(call: Any) -> None:
        async with semaphore:
            await call()

    await asyncio.gather(*(run(c) for c in calls))


async def _fetch_by_pk(related: type[RemoteModel], pks: list[Any]) -> dict[Any, RemoteModel]:
    """Return ``{pk: object}``: batched ``__in`` requests, or concurrent detail GETs."""
    manager: Any = related._default_manager
    allowed = related._meta.filter_fields
    if allowed is None or "in" in allowed.get(related._meta.pk.name, ()):
        found: dict[Any, RemoteModel] = await manager.ain_bulk(pks)
        return found
    found = {}

    def one(pk: Any) -> Any:
        async def call() -> None:
            with contextlib.suppress(related.DoesNotExist):
                found[pk] = await manager.aget(pk=pk)

        return call

    await _bounded(one(pk) for pk in pks)
    return found


async def _load_forward(objs: Sequence[RemoteModel], field: ForeignKey) -> None:
    pending = []
    for obj in objs:
        pk = getattr(obj, field.attname)  # a nested object is cached as it converts
        if pk is None:
            continue
        loaded = (obj._state.relations or {}).get(field.name)
        # A short nested object ({"id", "name"}) is partial: fetch the whole one.
        if loaded is None or loaded.get_deferred_fields():
            pending.append(obj)
    pks = list(dict.fromkeys(getattr(o, field.attname) for o in pending))
    if not pks:
        return
    found = await _fetch_by_pk(field.to, pks)
    for obj in pending:
        pk = getattr(obj, field.attname)
        # A pk the server did not return stays unloaded: reading it raises, never None.
        if pk in found:
            obj._state.cache_relation(field.name, found[pk])


async def _load_many(objs: Sequence[RemoteModel], field: ManyToManyField) -> None:
    pks = list(dict.fromkeys(pk for o in objs for pk in getattr(o, field.attname) or ()))
    found = await _fetch_by_pk(field.to, pks) if pks else {}
    for obj in objs:
        related = [found[pk] for pk in getattr(obj, field.attname) or () if pk in found]
        obj._state.prefetch(field.name, related)


async def _load_reverse(objs: Sequence[RemoteModel], rel: ReverseManyDescriptor) -> None:
    field = rel.field
    child: Any = field.model._default_manager
    pks = list(dict.fromkeys(o.pk for o in objs if o.pk is not None))
    groups: dict[Any, list[RemoteModel]] = {pk: [] for pk in pks}
    allowed = field.model._meta.filter_fields
    if allowed is None or "in" in allowed.get(field.name, ()):
        for batch in in_batches(pks):
            async for item in child.filter(**{f"{field.name}__in": batch}).aiterator():
                groups.setdefault(getattr(item, field.attname), []).append(item)
    else:

        def one(pk: Any) -> Any:
            async def call() -> None:
                groups[pk] = [item async for item in child.filter(**{field.name: pk}).aiterator()]

            return call

        await _bounded(one(pk) for pk in pks)
    for obj in objs:
        obj._state.prefetch(rel.name, groups.get(obj.pk, []))
