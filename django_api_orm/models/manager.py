"""Managers: ``Book.objects``. ``BaseManager.from_queryset(QuerySet)`` makes one, as Django's.

The default ``Manager`` is defined beside ``QuerySet`` (``models/queryset.py``),
because ``QuerySet.as_manager()`` builds on it; this module is below both.
"""

from __future__ import annotations

import functools
import inspect
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, Self, TypeVar, cast, overload

from django_api_orm.models import actions
from django_api_orm.models.sync import sync_twin

if TYPE_CHECKING:
    from django_api_orm.models.base import RemoteModel
    from django_api_orm.models.queryset import QuerySet

__all__ = ["BaseManager", "ManagerDescriptor"]

if TYPE_CHECKING:
    from typing_extensions import TypeVar as TypeVarWithDefault

    #: The model; a bare ``BaseManager`` in an annotation is of ``Any``.
    M = TypeVarWithDefault("M", bound="RemoteModel", default=Any)
else:
    M = TypeVar("M", bound="RemoteModel")


class BaseManager(Generic[M]):
    """The interface between a RemoteModel class and its queries."""

    _creation_counter: ClassVar[int] = 0
    #: The QuerySet class ``get_queryset()`` returns; set by ``from_queryset()``.
    _queryset_class: ClassVar[type[QuerySet[Any]]]
    _built_with_as_manager = False

    def __init__(self) -> None:
        self.model: type[M] | None = None
        self.name: str | None = None
        self._db: str | None = None
        self.creation_counter = BaseManager._creation_counter
        BaseManager._creation_counter += 1

    def __class_getitem__(cls, item: Any) -> Any:
        return cls

    def contribute_to_class(self, cls: type[M], name: str) -> None:
        """Attach this manager to ``cls`` as ``name``."""
        self.name = name
        self.model = cls
        setattr(cls, name, ManagerDescriptor(self))

    def _copy(self) -> BaseManager[M]:
        clone = type(self).__new__(type(self))
        clone.__dict__.update(self.__dict__)
        return clone

    def __str__(self) -> str:
        model = self.model.__name__ if self.model else "?"
        return f"{model}.{self.name}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self}>"

    def get_queryset(self) -> QuerySet[M]:
        """Return a new QuerySet of this manager's model; override to customise."""
        if self.model is None:
            raise TypeError(f"{type(self).__name__} is not attached to a model.")
        return self._queryset_class(model=self.model, using=self._db)

    def all(self) -> QuerySet[M]:
        """Return a new QuerySet of every object."""
        return self.get_queryset()

    @overload
    async def acall(
        self,
        action: str,
        *,
        method: str = ...,
        data: Any = ...,
        params: actions.QueryParams | None = ...,
        as_instances: Literal[False] = ...,
    ) -> Any: ...
    @overload
    async def acall(
        self,
        action: str,
        *,
        method: str = ...,
        data: Any = ...,
        params: actions.QueryParams | None = ...,
        as_instances: Literal[True],
    ) -> M | list[M] | None: ...
    async def acall(
        self,
        action: str,
        *,
        method: str = "GET",
        data: Any = None,
        params: actions.QueryParams | None = None,
        as_instances: bool = False,
    ) -> Any:
        """Call the list route ``action`` of this model: ``GET books/recent/``.

        For the routes beyond CRUD (Django REST framework's ``@action(detail=False)``).
        ``data`` is the JSON body, ``params`` the query string. Return the parsed
        answer, or with ``as_instances=True`` the model's instances (a list for a
        list or a page, one for an object, ``None`` for an empty answer). Any method
        but GET, HEAD and OPTIONS invalidates the model's cached answers.
        """
        return await actions.call_list_action(
            self.get_queryset(),
            action,
            method=method,
            data=data,
            params=params,
            as_instances=as_instances,
        )

    if TYPE_CHECKING:
        # The twin of each overload of acall() (sync_twin() keeps one signature only).
        @overload
        def call(
            self,
            action: str,
            *,
            method: str = ...,
            data: Any = ...,
            params: actions.QueryParams | None = ...,
            as_instances: Literal[False] = ...,
        ) -> Any: ...
        @overload
        def call(
            self,
            action: str,
            *,
            method: str = ...,
            data: Any = ...,
            params: actions.QueryParams | None = ...,
            as_instances: Literal[True],
        ) -> M | list[M] | None: ...
        def call(self, *args: Any, **kwargs: Any) -> Any: ...
    else:
        call = sync_twin(acall, receiver="Model.objects")

    @classmethod
    def _get_queryset_methods(cls, queryset_class: type) -> dict[str, Any]:
        def make(name: str, method: Any) -> Any:
            if inspect.iscoroutinefunction(method):

                @functools.wraps(method)
                async def manager_method(self: BaseManager[Any], *args: Any, **kwargs: Any) -> Any:
                    return await getattr(self.get_queryset(), name)(*args, **kwargs)

            else:

                @functools.wraps(method)
                def manager_method(self: BaseManager[Any], *args: Any, **kwargs: Any) -> Any:
                    return getattr(self.get_queryset(), name)(*args, **kwargs)

            manager_method.__signature__ = inspect.signature(method)  # type: ignore[attr-defined]
            return manager_method

        methods = {}
        for name, method in inspect.getmembers(queryset_class, predicate=inspect.isfunction):
            if hasattr(cls, name) and name != "all":
                continue
            if getattr(method, "queryset_only", name.startswith("_")):
                continue
            methods[name] = make(name, method)
        # ``all`` stays the manager's own (get_queryset), as in Django.
        methods.pop("all", None)
        return methods

    @classmethod
    def from_queryset(
        cls, queryset_class: type[QuerySet[Any]], class_name: str | None = None
    ) -> type[Self]:
        """Return a Manager class with ``queryset_class``'s public methods.

        For type checkers the class is ``cls``: the methods ``queryset_class`` adds are
        not known on it (docs/topics/django-integration.rst).
        """
        if class_name is None:
            class_name = f"{cls.__name__}From{queryset_class.__name__}"
        attrs = {
            "_queryset_class": queryset_class,
            **cls._get_queryset_methods(queryset_class),
        }
        return cast("type[Self]", type(class_name, (cls,), attrs))


class ManagerDescriptor:
    """``Book.objects``: the manager on the class, an error on instances (as in Django)."""

    def __init__(self, manager: BaseManager[Any]) -> None:
        self.manager = manager

    def __get__(self, instance: Any, owner: type | None = None) -> BaseManager[Any]:
        if instance is not None:
            raise AttributeError(
                f"Manager isn't accessible via {type(instance).__name__} instances"
            )
        return self.manager
