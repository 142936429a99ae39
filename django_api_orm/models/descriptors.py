"""Relation descriptors: ``book.author``, ``book.genres`` and ``author.books``.

Each related manager subclasses the related model's own default manager class,
so custom manager methods work through relations, as in Django.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.db.models import Model as DjangoModel

from django_api_orm.bridge import refuse_in_event_loop
from django_api_orm.exceptions import NotSupportedError
from django_api_orm.models.sync import sync_twin

if TYPE_CHECKING:
    from django_api_orm.models.base import RemoteModel
    from django_api_orm.models.fields.related import ForeignKey, ManyToManyField
    from django_api_orm.models.queryset import QuerySet

__all__ = [
    "ForwardRelationDescriptor",
    "ManyRelatedDescriptor",
    "ReverseManyDescriptor",
    "ReverseManyToManyDescriptor",
    "forget_prefetched",
    "load_related",
]


def load_related(field: ForeignKey, pk: Any) -> RemoteModel:
    """Fetch the related instance of an unloaded foreign key, in sync code only."""
    refuse_in_event_loop(
        f"{field.model.__name__}.{field.name} is not loaded and reading it would make a "
        "blocking request from a running event loop. Use "
        f"select_related({field.name!r}) or prefetch_related({field.name!r}) on the "
        f"queryset, or await {field.to.__name__}.objects.aget(pk=...) with "
        f"{field.model.__name__}.{field.attname}."
    )
    related: RemoteModel = field.to._default_manager.get(pk=pk)  # type: ignore[attr-defined]
    return related


def forget_prefetched(instance: RemoteModel, name: str) -> None:
    """Drop the prefetched objects of relation ``name``: a write made them stale."""
    prefetched = instance._state.prefetched
    if prefetched is not None:
        prefetched.pop(name, None)


async def _materialize(objs: Iterable[Any]) -> list[Any]:
    """Return ``objs`` as a list, evaluating a QuerySet with ``async for``."""
    if hasattr(objs, "__aiter__"):
        return [o async for o in objs]
    return list(objs)


class ForwardRelationDescriptor:
    """``book.author``: the related instance once loaded; assigning sets ``author_id`` too."""

    def __init__(self, field: ForeignKey) -> None:
        self.field = field

    def __get__(self, instance: RemoteModel | None, owner: type | None = None) -> Any:
        if instance is None:
            return self
        field = self.field
        pk = getattr(instance, field.attname)  # converts, caching a nested object
        state = instance._state
        relations = state.relations
        if relations and field.name in relations:
            related = relations[field.name]
            # ``book.author_id = 9`` after loading author 7 makes the cached author stale.
            if (None if related is None else related.pk) == pk:
                return related
            del relations[field.name]
        if pk is None:
            return None
        related = load_related(field, pk)
        state.cache_relation(field.name, related)
        return related

    def __set__(self, instance: RemoteModel, value: Any) -> None:
        field = self.field
        if value is not None and not isinstance(value, field.to):
            # As Django: assign the instance, or the pk to ``author_id``.
            raise ValueError(
                f'Cannot assign "{value!r}": "{field.model.__name__}.{field.name}" must be a '
                f'"{field.to.__name__}" instance (or set {field.attname} to its primary key).'
            )
        setattr(instance, field.attname, None if value is None else value.pk)
        instance._state.cache_relation(field.name, value)


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

    def __set__(self, instance: RemoteModel, value: Any) -> None:
        raise TypeError(
            "Direct assignment to the reverse side of a related set is prohibited. "
            f"Use {self.name}.set() instead."
        )


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
            self.field = field  # as Django's: the foreign key pointing at the instance

        def get_queryset(self) -> QuerySet[Any]:
            pk = self.instance.pk
            if pk is None:
                raise ValueError(
                    f"{type(self.instance).__name__!r} instance needs a primary key value "
                    "before this relationship can be used."
                )
            queryset: QuerySet[Any] = super().get_queryset().filter(**{field.name: pk})
            prefetched = self.instance._state.prefetched_for(rel.name)
            if prefetched is not None:
                queryset._result_cache = list(prefetched)
            return queryset

        def _check_fk_val(self) -> None:
            if self.instance.pk is None:
                raise ValueError(
                    f'"{self.instance!r}" needs to have a value for field '
                    f'"{self.instance._meta.pk.attname}" before this relationship can be used.'
                )

        def _remove_prefetched_objects(self) -> None:
            forget_prefetched(self.instance, rel.name)

        def _check_type(self, obj: Any) -> None:
            if not isinstance(obj, field.model):
                raise TypeError(f"'{field.model._meta.object_name}' instance expected, got {obj!r}")

        def _fresh(self) -> QuerySet[Any]:
            """The related objects as the provider lists them now (every page, no cache)."""
            self._check_fk_val()
            queryset: QuerySet[Any] = super().get_queryset()
            return queryset.filter(**{field.name: self.instance.pk}).nocache()

        async def acreate(self, **kwargs: Any) -> Any:
            """Create a related object whose foreign key is this instance."""
            self._check_fk_val()
            self._remove_prefetched_objects()
            kwargs.pop(field.name, None)
            kwargs[field.attname] = self.instance.pk
            return await super().get_queryset().acreate(**kwargs)

        async def aget_or_create(self, **kwargs: Any) -> tuple[Any, bool]:
            """Get the related object matching ``kwargs``, or create it with this instance
            as its foreign key."""
            self._check_fk_val()
            kwargs[field.name] = self.instance
            result: tuple[Any, bool] = await super().get_queryset().aget_or_create(**kwargs)
            if result[1]:
                self._remove_prefetched_objects()
            return result

        async def aupdate_or_create(self, **kwargs: Any) -> tuple[Any, bool]:
            """Update the related object matching ``kwargs``, or create it with this instance
            as its foreign key."""
            self._check_fk_val()
            self._remove_prefetched_objects()
            kwargs[field.name] = self.instance
            result: tuple[Any, bool] = await super().get_queryset().aupdate_or_create(**kwargs)
            return result

        def _check_addable(self, objs: Iterable[Any], bulk: bool) -> None:
            """Raise as ``add()`` does for ``objs``: another model, or unsaved with ``bulk``."""
            for obj in objs:
                self._check_type(obj)
            if bulk:
                for obj in objs:
                    if obj._state.adding or obj.pk is None:
                        raise ValueError(
                            f"{obj!r} instance isn't saved. Use bulk=False or save the object "
                            "first."
                        )

        async def aadd(self, *objs: Any, bulk: bool = True) -> None:
            """Make this instance the foreign key of ``objs``.

            ``bulk=True`` PATCHes only the foreign key of each (``{"author": 7}``),
            concurrently; every object must be saved. ``bulk=False`` saves each
            object (POST when new) with the foreign key set.
            """
            from django_api_orm.models import persistence, writes

            self._check_fk_val()
            self._remove_prefetched_objects()
            self._check_addable(objs, bulk)
            if bulk:
                calls = [
                    functools.partial(writes.patch_fields, o, {field.name: self.instance})
                    for o in objs
                ]
            else:
                for obj in objs:
                    setattr(obj, field.name, self.instance)
                calls = [o.asave for o in objs]
            await persistence.gather_bounded(calls)

        add = sync_twin(aadd, receiver="manager")
        create = sync_twin(acreate, receiver="manager")
        get_or_create = sync_twin(aget_or_create, receiver="manager")
        update_or_create = sync_twin(aupdate_or_create, receiver="manager")

        # As Django: remove() and clear() exist only when the foreign key can be null.
        if field.null:

            async def aremove(self, *objs: Any, bulk: bool = True) -> None:
                """Set the foreign key of ``objs`` to null (``PATCH {"author": null}``)."""
                if not objs:
                    return
                self._check_fk_val()
                for obj in objs:
                    self._check_type(obj)
                    if getattr(obj, field.attname) != self.instance.pk:
                        raise field.to.DoesNotExist(f"{obj!r} is not related to {self.instance!r}.")
                # As Django updates only the rows the database still relates to this
                # instance: an object moved to another parent since it was loaded keeps it.
                from django_api_orm.models.relations import fetch_by_pk

                fresh = await fetch_by_pk(field.model, list(dict.fromkeys(o.pk for o in objs)))
                related = [
                    o
                    for o in objs
                    if o.pk in fresh and getattr(fresh[o.pk], field.attname) == self.instance.pk
                ]
                await self._aclear_objs(related, bulk)

            async def aclear(self, *, bulk: bool = True) -> None:
                """Set the foreign key of every related object to null: the objects related
                now are listed (every page), then each is PATCHed."""
                objs = [o async for o in self._fresh().aiterator()]
                await self._aclear_objs(objs, bulk)

            async def _aclear_objs(self, objs: Sequence[Any], bulk: bool) -> None:
                from django_api_orm.models import persistence, writes

                self._remove_prefetched_objects()
                if bulk:
                    calls = [
                        functools.partial(writes.patch_fields, o, {field.name: None}) for o in objs
                    ]
                else:
                    for obj in objs:
                        setattr(obj, field.name, None)
                    calls = [functools.partial(o.asave, update_fields=[field.name]) for o in objs]
                await persistence.gather_bounded(calls)

            remove = sync_twin(aremove, receiver="manager")
            clear = sync_twin(aclear, receiver="manager")

        async def aset(
            self, objs: Iterable[Any], *, bulk: bool = True, clear: bool = False
        ) -> None:
            """Make ``objs`` the related objects: add the missing ones and, when the
            foreign key can be null, remove the others (``clear=True``: clear all first)."""
            self._check_fk_val()
            wanted = await _materialize(objs)
            if not field.null:
                await self.aadd(*wanted, bulk=bulk)
                return
            # Checked before any write: a refused object must not leave the others removed.
            for obj in wanted:
                self._check_type(obj)
            if clear:
                self._check_addable(wanted, bulk)
                await self.aclear(bulk=bulk)
                await self.aadd(*wanted, bulk=bulk)
                return
            old = {o.pk: o async for o in self._fresh().aiterator()}
            new = []
            for obj in wanted:
                if obj.pk is not None and old.pop(obj.pk, None) is not None:
                    continue
                new.append(obj)
            self._check_addable(new, bulk)
            await self._aclear_objs(list(old.values()), bulk)  # listed just now: related
            await self.aadd(*new, bulk=bulk)

        set = sync_twin(aset, receiver="manager")

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

    def __set__(self, instance: RemoteModel, value: Any) -> None:
        """``book.genres = [g1, 2]`` (or ``Book(genres=...)``) sets ``book.genres_ids``: the
        list is part of the object on the wire, sent by its next save. (Django refuses
        this assignment because its rows live in another table; here they do not.)"""
        from django_api_orm.models.base import RemoteModel

        field = self.field
        if value is not None:
            if isinstance(value, str | bytes) or not hasattr(value, "__iter__"):
                raise TypeError(
                    f"{field.model.__name__}.{field.name} takes a list of "
                    f"{field.to.__name__} instances or primary keys, got {value!r}."
                )
            items = list(value)
            for item in items:
                if isinstance(item, RemoteModel | DjangoModel) and not isinstance(item, field.to):
                    raise TypeError(
                        f"'{field.to._meta.object_name}' instance expected, got {item!r}"
                    )
            value = [item.pk if isinstance(item, field.to) else item for item in items]
        setattr(instance, field.attname, value)
        forget_prefetched(instance, field.name)


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
            prefetched = self.instance._state.prefetched_for(field.name)
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

        def _target_pks(self, objs: Iterable[Any]) -> list[Any]:
            """Return the pks of ``objs`` (instances of the related model, or pks)."""
            from django_api_orm.models.base import RemoteModel

            target = field.to
            pks = []
            for obj in objs:
                if isinstance(obj, target):
                    if obj.pk is None:
                        raise ValueError(
                            f'Cannot add "{obj!r}": the value for field '
                            f'"{target._meta.pk.attname}" is None'
                        )
                    pks.append(obj.pk)
                elif isinstance(obj, RemoteModel | DjangoModel):
                    raise TypeError(f"'{target._meta.object_name}' instance expected, got {obj!r}")
                else:
                    pks.append(field.target_field.to_python(obj))
            return list(dict.fromkeys(pks))

        async def _asend(self, pks: list[Any]) -> None:
            """PATCH the owning instance's list to ``pks``: one request, none if unchanged."""
            from django_api_orm.models import writes

            instance = self.instance
            self._check_saved()
            forget_prefetched(instance, field.name)
            if pks != list(getattr(instance, field.attname) or ()):
                await writes.patch_fields(instance, {field.name: pks})

        def _check_saved(self) -> None:
            instance = self.instance
            if instance.pk is None:
                raise ValueError(
                    f'"{instance!r}" needs to have a value for field '
                    f'"{instance._meta.pk.attname}" before this many-to-many relationship '
                    "can be used."
                )

        def _current(self) -> list[Any]:
            return list(getattr(self.instance, field.attname) or ())

        async def aadd(self, *objs: Any) -> None:
            """Add ``objs`` (instances or pks) to the list: ``PATCH {"genres": [...]}``."""
            current = self._current()
            await self._asend(current + [pk for pk in self._target_pks(objs) if pk not in current])

        async def aremove(self, *objs: Any) -> None:
            """Remove ``objs`` (instances or pks) from the list: one PATCH of what remains."""
            gone = set(self._target_pks(objs))
            await self._asend([pk for pk in self._current() if pk not in gone])

        async def aclear(self) -> None:
            """Empty the list: ``PATCH {"genres": []}``."""
            await self._asend([])

        async def aset(self, objs: Iterable[Any], *, clear: bool = False) -> None:
            """Make ``objs`` (instances or pks) the list, in one PATCH. The pks kept stay in
            their order, new ones follow; with ``clear=True`` the list is ``objs``' order."""
            wanted = self._target_pks(await _materialize(objs))
            if not clear:
                current = self._current()
                kept = [pk for pk in current if pk in wanted]
                wanted = kept + [pk for pk in wanted if pk not in current]
            await self._asend(wanted)

        async def acreate(self, **kwargs: Any) -> Any:
            """Create a related object, then add it to the list."""
            self._check_saved()
            obj = await super().get_queryset().acreate(**kwargs)
            await self.aadd(obj)
            return obj

        async def aget_or_create(self, **kwargs: Any) -> tuple[Any, bool]:
            """Get the object matching ``kwargs`` (any, as in Django), or create it and
            add it to the list."""
            self._check_saved()
            obj, created = await super().get_queryset().aget_or_create(**kwargs)
            if created:
                await self.aadd(obj)
            return obj, created

        async def aupdate_or_create(self, **kwargs: Any) -> tuple[Any, bool]:
            """Update the object matching ``kwargs``, or create it and add it to the list."""
            self._check_saved()
            obj, created = await super().get_queryset().aupdate_or_create(**kwargs)
            if created:
                await self.aadd(obj)
            return obj, created

        add = sync_twin(aadd, receiver="manager")
        remove = sync_twin(aremove, receiver="manager")
        clear = sync_twin(aclear, receiver="manager")
        set = sync_twin(aset, receiver="manager")
        create = sync_twin(acreate, receiver="manager")
        get_or_create = sync_twin(aget_or_create, receiver="manager")
        update_or_create = sync_twin(aupdate_or_create, receiver="manager")

    ManyRelatedManager.__name__ = ManyRelatedManager.__qualname__ = (
        f"ManyRelated{superclass.__name__}"
    )
    return ManyRelatedManager


class ReverseManyToManyDescriptor:
    """``genre.book_set`` (or the ``related_name``): a manager of the objects whose
    many-to-many list holds this one (``GET books/?genres=3``)."""

    def __init__(self, field: ManyToManyField, name: str) -> None:
        self.field = field
        self.name = name

    def __get__(self, instance: RemoteModel | None, owner: type | None = None) -> Any:
        if instance is None:
            return self
        superclass: Any = type(self.field.model._default_manager)
        return _reverse_many_manager_class(superclass, self)(instance)

    def __set__(self, instance: RemoteModel, value: Any) -> None:
        raise TypeError(
            "Direct assignment to the reverse side of a many-to-many set is prohibited. "
            f"Use {self.name}.set() instead."
        )


@functools.cache
def _reverse_many_manager_class(superclass: Any, rel: ReverseManyToManyDescriptor) -> type:
    field = rel.field

    class ReverseManyRelatedManager(superclass):  # type: ignore[misc]
        """The objects listing one instance in their many-to-many field.

        Writes PATCH each object's own list (``{"genres": [...]}``), one request per
        object, concurrently.
        """

        def __init__(self, instance: RemoteModel) -> None:
            super().__init__()
            self.instance = instance
            self.model = field.model
            self.name = rel.name

        def _check_saved(self) -> None:
            if self.instance.pk is None:
                raise ValueError(
                    f"{type(self.instance).__name__!r} instance needs to have a primary key "
                    "value before a many-to-many relationship can be used."
                )

        def get_queryset(self) -> QuerySet[Any]:
            self._check_saved()
            queryset: QuerySet[Any] = (
                super().get_queryset().filter(**{field.name: self.instance.pk})
            )
            prefetched = self.instance._state.prefetched_for(rel.name)
            if prefetched is not None:
                queryset._result_cache = list(prefetched)
            return queryset

        def _fresh(self) -> QuerySet[Any]:
            self._check_saved()
            queryset: QuerySet[Any] = super().get_queryset()
            return queryset.filter(**{field.name: self.instance.pk}).nocache()

        async def _objects(self, objs: Iterable[Any]) -> list[Any]:
            """Return ``objs`` as instances: pks are fetched (batched, as a prefetch is)."""
            from django_api_orm.models.base import RemoteModel
            from django_api_orm.models.relations import fetch_by_pk

            model = field.model
            items: list[Any] = []
            pks = []
            for obj in await _materialize(objs):
                if isinstance(obj, model):
                    if obj.pk is None:
                        raise ValueError(
                            f'Cannot add "{obj!r}": the value for field '
                            f'"{model._meta.pk.attname}" is None'
                        )
                    items.append(obj)
                elif isinstance(obj, RemoteModel | DjangoModel):
                    raise TypeError(f"'{model._meta.object_name}' instance expected, got {obj!r}")
                else:
                    pks.append(model._meta.pk.to_python(obj))
            if pks:
                found = await fetch_by_pk(model, pks)
                missing = [pk for pk in pks if pk not in found]
                if missing:
                    raise model.DoesNotExist(
                        f"{model._meta.object_name} matching query does not exist: "
                        f"{', '.join(map(repr, missing))}."
                    )
                items.extend(found[pk] for pk in pks)
            return items

        async def _apatch(self, objs: Iterable[Any], change: Any) -> None:
            from django_api_orm.models import persistence, writes

            self._check_saved()
            forget_prefetched(self.instance, rel.name)
            calls = []
            for obj in objs:
                current = list(getattr(obj, field.attname) or ())
                wanted = change(current)
                if wanted != current:
                    forget_prefetched(obj, field.name)
                    calls.append(functools.partial(writes.patch_fields, obj, {field.name: wanted}))
            await persistence.gather_bounded(calls)

        async def aadd(self, *objs: Any) -> None:
            """Add this instance to the list of each of ``objs`` (instances or pks)."""
            pk = self.instance.pk
            self._check_saved()
            await self._apatch(await self._objects(objs), lambda c: c if pk in c else [*c, pk])

        async def aremove(self, *objs: Any) -> None:
            """Remove this instance from the list of each of ``objs`` (instances or pks)."""
            pk = self.instance.pk
            self._check_saved()
            await self._apatch(await self._objects(objs), lambda c: [p for p in c if p != pk])

        async def aclear(self) -> None:
            """Remove this instance from every list holding it (listed now, every page)."""
            await self._aclear()

        async def _aclear(self) -> list[Any]:
            """``aclear()``; return the objects listed, holding the server's answers."""
            pk = self.instance.pk
            objs = [o async for o in self._fresh().aiterator()]
            await self._apatch(objs, lambda c: [p for p in c if p != pk])
            return objs

        async def aset(self, objs: Iterable[Any], *, clear: bool = False) -> None:
            """Make ``objs`` the objects listing this instance: the others are removed."""
            wanted = await self._objects(objs)
            if clear:
                # An object given that was just cleared is added back from the copy the
                # clear PATCHed: the given one's list still holds this instance.
                cleared = {o.pk: o for o in await self._aclear()}
                await self.aadd(*(cleared.get(o.pk, o) for o in wanted))
                return
            keep = {o.pk for o in wanted}
            old = [o async for o in self._fresh().aiterator() if o.pk not in keep]
            await self.aremove(*old)
            await self.aadd(*wanted)

        async def acreate(self, **kwargs: Any) -> Any:
            """Create an object whose list holds this instance."""
            self._check_saved()
            forget_prefetched(self.instance, rel.name)
            given = kwargs.pop(field.attname, None), kwargs.pop(field.name, None)
            pks = list(given[0] or given[1] or ())
            kwargs[field.attname] = [*pks, self.instance.pk]
            return await super().get_queryset().acreate(**kwargs)

        add = sync_twin(aadd, receiver="manager")
        remove = sync_twin(aremove, receiver="manager")
        clear = sync_twin(aclear, receiver="manager")
        set = sync_twin(aset, receiver="manager")
        create = sync_twin(acreate, receiver="manager")

    ReverseManyRelatedManager.__name__ = ReverseManyRelatedManager.__qualname__ = (
        f"ReverseManyRelated{superclass.__name__}"
    )
    return ReverseManyRelatedManager
