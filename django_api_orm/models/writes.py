"""The QuerySet's writes: create, get-or-create, bulk and queryset updates and deletes.

Each decides what to send; ``persistence`` and the compiler send it.
"""

from __future__ import annotations

import contextlib
import copy
import functools
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar

from django_api_orm.exceptions import BadRequestError
from django_api_orm.models import persistence
from django_api_orm.models.fields import ForeignKey
from django_api_orm.models.sync import sync_twin
from django_api_orm.signals import post_delete, pre_delete, send_model_signal

if TYPE_CHECKING:
    from django.dispatch import Signal

    from django_api_orm.models.base import RemoteModel
    from django_api_orm.models.lookups import Q
    from django_api_orm.models.query import Query

__all__ = ["WriteMethods", "patch_fields"]

M = TypeVar("M", bound="RemoteModel")


class WriteMethods(Generic[M]):
    """The writing half of ``QuerySet``: a mixin over its reading half."""

    model: type[M]
    _db: str | None
    _query: Query
    _result_cache: list[Any] | None
    _values: tuple[str, tuple[str, ...]] | None

    if TYPE_CHECKING:

        async def aget(self, *args: Q, **kwargs: Any) -> M: ...
        def aiterator(
            self, chunk_size: int | None = None, *, prefetch: int | None = None
        ) -> AsyncIterator[Any]: ...
        def _chain(self, **query_changes: Any) -> Self: ...
        def _not_sliced(self, action: str) -> None: ...

    async def acreate(self, **kwargs: Any) -> M:
        """Create an object with ``POST endpoint`` and return it as the server answered."""
        obj = self.model(**kwargs)
        await persistence.save_instance(obj, force_insert=True, using=self._db)
        return obj

    async def aget_or_create(
        self, defaults: dict[str, Any] | None = None, **kwargs: Any
    ) -> tuple[M, bool]:
        """Return ``(object, created)``: get it by ``kwargs``, or create it with ``defaults``.

        Only plain field values from ``kwargs`` go into the created body
        (``email__iexact=`` is a lookup, never a field). The lookup always asks the
        provider, never the service's ``CACHE``: a cached "none" would create a
        duplicate.
        """
        fresh = self._chain(use_cache=False)
        try:
            return await fresh.aget(**kwargs), False
        except self.model.DoesNotExist:
            params = self._create_params(kwargs, defaults)
            try:
                return await self.acreate(**params), True
            except BadRequestError:
                # Created concurrently (a unique constraint answered 400): read it back.
                try:
                    return await fresh.aget(**kwargs), False
                except self.model.DoesNotExist:
                    pass
                raise

    async def aupdate_or_create(
        self,
        defaults: dict[str, Any] | None = None,
        create_defaults: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> tuple[M, bool]:
        """Return ``(object, created)``: update the object matching ``kwargs`` with
        ``defaults`` (PATCH), or create it with ``create_defaults`` (or ``defaults``).
        The lookup always asks the provider, never the service's ``CACHE``."""
        update = _resolve_callables(defaults or {})
        try:
            obj = await self._chain(use_cache=False).aget(**kwargs)
        except self.model.DoesNotExist:
            params = self._create_params(
                kwargs, defaults if create_defaults is None else create_defaults
            )
            return await self.acreate(**params), True
        for name, value in update.items():
            setattr(obj, name, value)
        await persistence.save_instance(obj, update_fields=list(update), using=self._db)
        return obj, False

    def _create_params(
        self, lookups: dict[str, Any], defaults: dict[str, Any] | None
    ) -> dict[str, Any]:
        params = {k: v for k, v in lookups.items() if "__" not in k}
        params.update(_resolve_callables(defaults or {}))
        if "pk" in params:
            params[self.model._meta.pk.name] = params.pop("pk")
        for name in params:
            self.model._meta.get_field(name)
        return params

    async def abulk_create(self, objs: Iterable[M], batch_size: int | None = None) -> list[M]:
        """POST each object, ``batch_size`` (default 16) at a time; return them with pks."""
        if batch_size is not None and batch_size <= 0:
            raise ValueError("Batch size must be a positive integer.")
        items = list(objs)
        for obj in items:
            if not isinstance(obj, self.model):
                raise TypeError(f"abulk_create() takes {self.model.__name__} instances.")
        await persistence.gather_bounded(
            [
                functools.partial(
                    persistence.save_instance, o, force_insert=True, using=self._db, signals=False
                )
                for o in items
            ],
            batch_size or persistence.WRITE_CONCURRENCY,
        )
        return items

    async def abulk_update(
        self, objs: Iterable[M], fields: Sequence[str], batch_size: int | None = None
    ) -> int:
        """PATCH ``fields`` of each object; return the number updated."""
        if not fields:
            raise ValueError("Field names must be given to bulk_update().")
        persistence.writable_fields(self.model, fields, action="bulk_update()")
        items = list(objs)
        if any(o.pk is None for o in items):
            raise ValueError("All bulk_update() objects must have a primary key set.")
        await persistence.gather_bounded(
            [
                functools.partial(
                    persistence.save_instance,
                    o,
                    update_fields=fields,
                    using=self._db,
                    signals=False,
                )
                for o in items
            ],
            batch_size or persistence.WRITE_CONCURRENCY,
        )
        return len(items)

    async def aupdate(self, **kwargs: Any) -> int:
        """PATCH ``kwargs`` onto each matched object, concurrently; return how many changed.

        The whole list is read first, then written: a list that changes while it is
        read raises before anything is sent. A row gone by the time its PATCH
        arrives (404) was not changed and is not counted.
        """
        self._not_sliced("update")
        if not kwargs:
            raise TypeError("aupdate() needs at least one field=value.")
        persistence.writable_fields(self.model, kwargs, action="update()")
        objs = [obj async for obj in self._clean_chain().aiterator()]
        gone = self.model.DoesNotExist
        changed = 0

        async def patch(obj: Any) -> None:
            nonlocal changed
            for name, value in kwargs.items():
                setattr(obj, name, value)
            try:
                await persistence.save_instance(
                    obj, update_fields=list(kwargs), using=self._db, signals=False
                )
            except gone:
                return
            changed += 1

        await persistence.gather_bounded([functools.partial(patch, o) for o in objs])
        self._result_cache = None
        return changed

    async def adelete(self) -> tuple[int, dict[str, int]]:
        """DELETE each matched object, concurrently; return ``(count, {label: count})``.

        The whole list is read first, then deleted: a list that changes while it is
        read raises before anything is deleted. A row already gone when its DELETE
        arrives (404) counts as deleted: it is, which is what was asked. As Django's
        ``QuerySet.delete()``, send ``pre_delete`` for every object, then delete,
        then send ``post_delete`` for every object deleted, with ``origin`` this
        queryset; a receiver raising in ``pre_delete`` stops before any DELETE.
        """
        if self._query.is_sliced:
            raise TypeError("Cannot use 'limit' or 'offset' with delete().")
        objs = [obj async for obj in self._clean_chain().aiterator()]
        gone = self.model.DoesNotExist

        async def signal(signal: Signal, obj: Any) -> None:
            alias = persistence.alias_for(obj, self._db)
            await send_model_signal(signal, self.model, instance=obj, using=alias, origin=self)

        for obj in objs:
            await signal(pre_delete, obj)
        deleted: list[Any] = []

        async def delete(obj: Any) -> None:
            with contextlib.suppress(gone):
                await persistence.delete_row(obj, using=self._db)
            deleted.append(obj)

        try:
            await persistence.gather_bounded([functools.partial(delete, o) for o in objs])
        finally:
            # What was deleted is told, and shown (pk None), even when another DELETE failed.
            self._result_cache = None
            try:
                for obj in deleted:
                    await signal(post_delete, obj)
            finally:
                for obj in deleted:
                    setattr(obj, obj._meta.pk.attname, None)
        return len(objs), {self.model._meta.label: len(objs)}

    adelete.queryset_only = True  # type: ignore[attr-defined]

    def _clean_chain(self) -> Self:
        """This query as model instances (not values), without relation loading, read
        from the provider (never the service's ``CACHE``: a write acts on the rows that
        match now)."""
        clone = self._chain(select_related=(), prefetch_related=(), use_cache=False)
        clone._values = None
        return clone

    create = sync_twin(acreate)
    get_or_create = sync_twin(aget_or_create)
    update_or_create = sync_twin(aupdate_or_create)
    bulk_create = sync_twin(abulk_create)
    bulk_update = sync_twin(abulk_update)
    update = sync_twin(aupdate)
    delete = sync_twin(adelete)
    delete.queryset_only = True  # type: ignore[attr-defined]


def _resolve_callables(mapping: dict[str, Any]) -> dict[str, Any]:
    return {k: v() if callable(v) else v for k, v in mapping.items()}


async def patch_fields(
    obj: RemoteModel, values: dict[str, Any], *, using: str | None = None
) -> None:
    """PATCH only ``values`` (``{field name: value}``) of ``obj``, as Django's ``update()`` of
    one row: no signal, and the instance's other values (unsaved changes included) are
    left alone. The fields sent then hold what the server answered for them.

    What relation managers send: ``{"author": 7}`` for ``author.books.add(book)``,
    ``{"genres": [1, 2]}`` for ``book.genres.add(genre)``.
    """
    model = type(obj)
    fields = persistence.writable_fields(model, values, action="A related manager")
    shadow = copy.copy(obj)  # the answer is loaded here, never over obj's other values
    for field in fields:
        value = values[field.name]
        if isinstance(field, ForeignKey) and value is not None and not isinstance(value, field.to):
            setattr(shadow, field.attname, value)
        elif isinstance(field, ForeignKey):
            setattr(shadow, field.name, value)
        else:
            setattr(shadow, field.attname, value)
    compiler = persistence.compiler_for(shadow, using)
    await compiler.update(shadow, shadow._to_wire_dict(fields), partial=True)
    state, answered = obj._state, shadow._state
    state.db, state.adding = answered.db, False
    local = vars(obj)
    wire = None if state.wire is None else dict(state.wire)
    for field in fields:
        local[field.attname] = getattr(shadow, field.attname)
        if wire is not None and answered.wire is not None and field.source in answered.wire:
            wire[field.source] = answered.wire[field.source]
        if isinstance(field, ForeignKey):
            related = (answered.relations or {}).get(field.name)
            if related is not None and related.pk == local[field.attname]:
                state.cache_relation(field.name, related)
            else:
                state.forget_relation(field.name)
    state.wire = wire
