"""Relation descriptors: ``book.author``, ``book.genres`` and ``author.books``.

Each related manager subclasses the related model's own default manager class,
so custom manager methods work through relations, as in Django.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

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
            prefetched = self.instance._state.prefetched_for(rel.name)
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

    ManyRelatedManager.__name__ = ManyRelatedManager.__qualname__ = (
        f"ManyRelated{superclass.__name__}"
    )
    return ManyRelatedManager
