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
import functools
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import FieldDoesNotExist

from django_api_orm.exceptions import NotSupportedError
from django_api_orm.models.fields import Field, ForeignKey, ManyToManyField
from django_api_orm.models.sync import sync_twin

if TYPE_CHECKING:
    from django_api_orm.models.base import RemoteModel
    from django_api_orm.models.queryset import QuerySet

__all__ = [
    "ManyRelatedDescriptor",
    "ReverseManyDescriptor",
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


class ReverseManyDescriptor:
    """``author.books``: a manager of the books whose foreign key is this author."""

    def __init__(self, field: ForeignKey, name: str) -> None:
        self.field = field
        self.name = name

    def __get__(self, instance: RemoteModel | None, owner: type | None = None) -> Any:
        if instance is None:
            return self
        superclass: Any = type(self.field.model._default_manager)
        return _reverse_manager_class(superclass, self)(instance)


@functools.cache
def _reverse_manager_class(superclass: Any, rel: ReverseManyDescriptor) -> type:
    field = rel.field

    class RelatedManager(superclass):  # type: ignore[misc]
        """The related objects of one instance, as a manager filtered by its foreign key."""

        def __init__(self, instance: RemoteModel) -> None:
            super().__init__()
            self.instance = instance
            self.model = field.model
            self.name = rel.name

        def get_queryset(self) -> QuerySet[Any]:
            pk = self.instance.pk
            if pk is None:
                raise ValueError(
                    f"{type(self.instance).__name__!r} instance needs a primary key value "
                    "before this relationship can be used."
                )
            queryset: QuerySet[Any] = super().get_queryset().filter(**{field.name: pk})
            prefetched = (self.instance.__dict__.get("_prefetched") or {}).get(rel.name)
            if prefetched is not None:
                queryset._result_cache = list(prefetched)
            return queryset

        async def acreate(self, **kwargs: Any) -> Any:
            """Create a related object whose foreign key is this instance."""
            kwargs.pop(field.name, None)
            kwargs[field.attname] = self.instance.pk
            return await super().get_queryset().acreate(**kwargs)

        create = sync_twin(acreate, receiver="manager")

    RelatedManager.__name__ = RelatedManager.__qualname__ = f"Related{superclass.__name__}"
    return RelatedManager


class ManyRelatedDescriptor:
    """``book.genres``: a manager of the objects whose pks ``book.genres_ids`` lists."""

    def __init__(self, field: ManyToManyField) -> None:
        self.field = field

    def __get__(self, instance: RemoteModel | None, owner: type | None = None) -> Any:
        if instance is None:
            return self
        superclass: Any = type(self.field.to._default_manager)
        return _many_manager_class(superclass, self.field)(instance)


@functools.cache
def _many_manager_class(superclass: Any, field: ManyToManyField) -> type:
    class ManyRelatedManager(superclass):  # type: ignore[misc]
        """The objects one instance's list of pks names."""

        def __init__(self, instance: RemoteModel) -> None:
            super().__init__()
            self.instance = instance
            self.model = field.to
            self.name = field.name

        def get_queryset(self) -> QuerySet[Any]:
            pks = getattr(self.instance, field.attname) or []
            queryset: QuerySet[Any] = super().get_queryset()
            prefetched = (self.instance.__dict__.get("_prefetched") or {}).get(field.name)
            try:
                queryset = queryset.filter(pk__in=pks) if pks else queryset.none()
            except NotSupportedError as exc:
                if prefetched is None:
                    raise
                # Prefetched by detail GETs: answer from memory; a query raises.
                queryset = queryset._chain(unsendable=exc)
            if prefetched is not None:
                queryset._result_cache = list(prefetched)
            return queryset

    ManyRelatedManager.__name__ = ManyRelatedManager.__qualname__ = (
        f"ManyRelated{superclass.__name__}"
    )
    return ManyRelatedManager


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
        if pk is not None and field.name not in (obj.__dict__.get("_relations") or {}):
            pending.append(obj)
    pks = list(dict.fromkeys(getattr(o, field.attname) for o in pending))
    if not pks:
        return
    found = await _fetch_by_pk(field.to, pks)
    for obj in pending:
        pk = getattr(obj, field.attname)
        # A pk the server did not return stays unloaded: reading it raises, never None.
        if pk in found:
            obj.__dict__.setdefault("_relations", {})[field.name] = found[pk]


async def _load_many(objs: Sequence[RemoteModel], field: ManyToManyField) -> None:
    pks = list(dict.fromkeys(pk for o in objs for pk in getattr(o, field.attname) or ()))
    found = await _fetch_by_pk(field.to, pks) if pks else {}
    for obj in objs:
        related = [found[pk] for pk in getattr(obj, field.attname) or () if pk in found]
        obj.__dict__.setdefault("_prefetched", {})[field.name] = related


async def _load_reverse(objs: Sequence[RemoteModel], rel: ReverseManyDescriptor) -> None:
    field = rel.field
    child: Any = field.model._default_manager
    pks = list(dict.fromkeys(o.pk for o in objs if o.pk is not None))
    groups: dict[Any, list[RemoteModel]] = {pk: [] for pk in pks}
    allowed = field.model._meta.filter_fields
    if allowed is None or "in" in allowed.get(field.name, ()):
        from django_api_orm.models.queryset import MAX_IN_CHARS, _batches

        for batch in _batches(pks, MAX_IN_CHARS):
            async for item in child.filter(**{f"{field.name}__in": batch}).aiterator():
                groups.setdefault(getattr(item, field.attname), []).append(item)
    else:

        def one(pk: Any) -> Any:
            async def call() -> None:
                groups[pk] = [item async for item in child.filter(**{field.name: pk}).aiterator()]

            return call

        await _bounded(one(pk) for pk in pks)
    for obj in objs:
        obj.__dict__.setdefault("_prefetched", {})[rel.name] = groups.get(obj.pk, [])
