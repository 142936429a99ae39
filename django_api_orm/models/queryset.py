"""``QuerySet``: Django's QuerySet API over HTTP. Lazy, chainable, one async core.

Every chained call returns a new QuerySet holding a new ``Query``; nothing is
sent until a terminal (``aget``, ``acount``, ``async for``, ...) runs. Each async
terminal has a sync twin (``get``, ``count``, iteration, ...) that runs the same
coroutine on the services' sync bridge.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, NoReturn, Self, TypeVar, cast, overload

from django.db.models import Q as DjangoQ

from django_api_orm.bridge import run_sync
from django_api_orm.compiler import Compiler, in_batches
from django_api_orm.exceptions import NotSupportedError
from django_api_orm.models.fields import ForeignKey
from django_api_orm.models.lookups import Lookup, Q
from django_api_orm.models.manager import BaseManager
from django_api_orm.models.query import Query
from django_api_orm.models.relations import PrefetchLookup, check_lookup, prefetch
from django_api_orm.models.sync import sync_twin
from django_api_orm.models.unsupported import UnsupportedMethods
from django_api_orm.models.writes import WriteMethods
from django_api_orm.services import services

if TYPE_CHECKING:
    from django_api_orm.models.base import RemoteModel

__all__ = ["Manager", "QuerySet"]

if TYPE_CHECKING:
    from typing_extensions import TypeVar as TypeVarWithDefault

    #: The model; a bare ``QuerySet`` or ``Manager`` in an annotation is of ``Any``.
    M = TypeVarWithDefault("M", bound="RemoteModel", default=Any)
    #: The QuerySet class of a Manager: ``Manager[Book]`` is ``Manager[Book, QuerySet[Book]]``;
    #: ``BookQuerySet.as_manager()`` makes a ``Manager[Book, BookQuerySet]``.
    QS = TypeVarWithDefault("QS", bound="QuerySet[Any]", default="QuerySet[M]", covariant=True)
    QS2 = TypeVar("QS2", bound="QuerySet[Any]")
else:
    M = TypeVar("M", bound="RemoteModel")
T = TypeVar("T")

#: Rows shown by ``repr(queryset)``, as Django's ``REPR_OUTPUT_SIZE``.
REPR_OUTPUT_SIZE = 20


class QuerySet(WriteMethods[M], UnsupportedMethods):
    """A lazy query of one RemoteModel's list endpoint."""

    def __init__(
        self,
        model: type[M] | None = None,
        query: Query | None = None,
        using: str | None = None,
    ) -> None:
        if model is None:
            raise TypeError("QuerySet() needs the model it queries.")
        self.model: type[M] = model
        self._query = query if query is not None else Query(model)
        self._db = using
        self._result_cache: list[Any] | None = None
        self._values: tuple[str, tuple[str, ...]] | None = None  # (kind, field names)

    # --- plumbing -----------------------------------------------------------

    @classmethod
    def as_manager(cls) -> Manager[M, Self]:
        """Return a Manager whose methods are this QuerySet's.

        For type checkers it is a ``Manager[Book, BookQuerySet]``: its ``all()``,
        ``filter()``... return a ``BookQuerySet``, but the methods BookQuerySet adds are not
        known on the manager itself (docs/topics/django-integration.rst).
        """
        manager = cast("Manager[M, Self]", Manager.from_queryset(cls)())
        manager._built_with_as_manager = True
        return manager

    as_manager.queryset_only = True  # type: ignore[attr-defined]

    @property
    def query(self) -> Query:
        """The plain-data ``Query`` this QuerySet sends."""
        return self._query

    @property
    def db(self) -> str:
        """The service alias this query is sent to."""
        return self._db or self.model._meta.service

    def _chain(self, **query_changes: Any) -> Self:
        return self._with_query(self._query.clone(**query_changes))

    def _with_query(self, query: Query) -> Self:
        clone = type(self)(self.model, query, self._db)
        clone._values = self._values
        return clone

    def _not_sliced(self, action: str) -> None:
        if self._query.is_sliced:
            raise TypeError(f"Cannot {action} a query once a slice has been taken.")

    def _compiler(self) -> Compiler[M]:
        if self._query.unsendable is not None:
            raise self._query.unsendable
        return Compiler(services.service(self.db), self.model, self.model._meta)

    # --- chainable ----------------------------------------------------------

    def all(self) -> Self:
        """Return a new QuerySet that is a copy of the current one."""
        return self._chain()

    def filter(self, *args: Q | DjangoQ, **kwargs: Any) -> Self:
        """Return a new QuerySet instance with the args ANDed to the existing set."""
        if args or kwargs:
            self._not_sliced("filter")
        return self._with_query(self._query.add_q(Q(*args, **kwargs)))

    def exclude(self, *args: Q | DjangoQ, **kwargs: Any) -> Self:
        """Return a new QuerySet excluding the condition (as the service's dialect can)."""
        if args or kwargs:
            self._not_sliced("filter")
        return self._with_query(self._query.add_q(Q(*args, **kwargs), negate=True))

    def order_by(self, *field_names: str) -> Self:
        """Return a new QuerySet ordered by ``field_names``, sent as ``ordering=``."""
        self._not_sliced("reorder")
        return self._with_query(self._query.with_ordering(field_names))

    def reverse(self) -> Self:
        """Return a new QuerySet with the ordering reversed."""
        ordering = self._query.effective_ordering
        flipped = tuple(name[1:] if name.startswith("-") else f"-{name}" for name in ordering)
        return self._chain(order_by=flipped)

    @property
    def totally_ordered(self) -> bool:
        """Whether the order is deterministic, as Django's: the ordering names the pk
        (the one field known to be unique). Django 6.1's serializers read it."""
        pk = self.model._meta.pk.name
        return any(name.lstrip("-") in ("pk", pk) for name in self._query.effective_ordering)

    @property
    def _prefetch_related_lookups(self) -> tuple[str, ...]:
        """The ``prefetch_related()`` names, under Django's name (``ModelChoiceField``
        reads it to choose between ``iterator()`` and evaluating the queryset)."""
        return self._query.prefetch_related

    @property
    def ordered(self) -> bool:
        """Whether the results come in a defined order."""
        return bool(self._query.effective_ordering)

    def none(self) -> Self:
        """Return an empty QuerySet; it never sends a request."""
        return self._chain(is_empty=True)

    def nocache(self) -> Self:
        """Return a new QuerySet that skips the service's ``CACHE``: every read asks the
        provider (and stores nothing)."""
        return self._chain(use_cache=False)

    def using(self, alias: str) -> Self:
        """Return a new QuerySet sent to the service ``alias``."""
        clone = self._chain()
        clone._db = alias
        return clone

    def only(self, *fields: str) -> Self:
        """Return a new QuerySet marking only ``fields`` as wanted.

        A REST list sends whole rows, so this validates the names but reads the
        same response; every field stays readable.
        """
        for name in fields:
            self.model._meta.get_field(name)
        return self._chain(only=frozenset(fields))

    def defer(self, *fields: str) -> Self:
        """Return a new QuerySet marking ``fields`` as not wanted (see ``only()``)."""
        for name in fields:
            self.model._meta.get_field(name)
        return self._chain(deferred=self._query.deferred | frozenset(fields))

    def search(self, term: str) -> Self:
        """Return a new QuerySet of what the provider's free-text search finds for ``term``
        (the dialect's ``search_param``: NetBox's ``q=``). Not checked against the rows."""
        return self._with_query(self._query.with_search(term))

    def select_related(self, *fields: str | None) -> Self:
        """Return a new QuerySet loading these foreign keys with one batched request per page.

        ``select_related(None)`` clears the list, as in Django.
        """
        if fields == (None,):
            return self._chain(select_related=())
        for name in fields:
            if name is None:
                raise TypeError("select_related(None) takes no other argument.")
            field = self.model._meta.get_field(name)
            if not isinstance(field, ForeignKey):
                raise ValueError(f"select_related() takes foreign keys; {name!r} is not one.")
        return self._chain(select_related=(*self._query.select_related, *fields))

    def prefetch_related(self, *lookups: PrefetchLookup | None) -> Self:
        """Return a new QuerySet loading these relations with batched requests.

        Takes relation names, paths (``"books__genres"``) and Django's ``Prefetch``
        objects (``Prefetch("books", queryset=..., to_attr=...)``); ``None`` clears
        the lookups, as in Django.
        """
        if lookups == (None,):
            return self._chain(prefetch_related=())
        for lookup in lookups:
            if lookup is None:
                raise TypeError("prefetch_related(None) clears the lookups; pass it alone.")
            check_lookup(self.model, lookup)
        return self._chain(prefetch_related=(*self._query.prefetch_related, *lookups))

    def values(self, *fields: str) -> QuerySet[Any]:
        """Return a new QuerySet yielding dicts of ``fields`` (default: every field)."""
        return self._values_clone("dict", fields)

    def values_list(self, *fields: str, flat: bool = False, named: bool = False) -> QuerySet[Any]:
        """Return a new QuerySet yielding tuples (or single values with ``flat=True``)."""
        if flat and named:
            raise TypeError("'flat' and 'named' can't be used together.")
        if flat and len(fields) > 1:
            raise TypeError(
                "'flat' is not valid when values_list is called with more than one field."
            )
        kind = "flat" if flat else "named" if named else "tuple"
        return self._values_clone(kind, fields)

    def _values_clone(self, kind: str, fields: Sequence[str]) -> QuerySet[Any]:
        names = tuple(fields) or tuple(f.attname for f in self.model._meta.fields)
        for name in names:
            self.model._meta.get_field(name)
        clone = self._chain()
        clone._values = (kind, names)
        return clone

    # --- fetching -----------------------------------------------------------

    def _results(self, objs: list[M]) -> list[Any]:
        """Return ``objs`` as this QuerySet yields them: instances, dicts or tuples."""
        if self._values is None:
            return objs
        kind, names = self._values
        getters = [operator.attrgetter(self.model._meta.get_field(n).attname) for n in names]
        if kind == "dict":
            return [{n: g(o) for n, g in zip(names, getters, strict=True)} for o in objs]
        if kind == "flat":
            getter = getters[0]
            return [getter(o) for o in objs]
        if kind == "named":
            row_type = _named_row(names)
            return [row_type(*(g(o) for g in getters)) for o in objs]
        return [tuple(g(o) for g in getters) for o in objs]

    async def _afetch(
        self,
        low: int,
        high: int | None,
        ordering: Sequence[str] | None = None,
        *,
        prefetch: int | None = 0,
    ) -> list[Any]:
        query = self._query
        if query.is_empty:
            return []
        start = query.low_mark + low
        stop = query.high_mark if high is None else query.low_mark + high
        if query.high_mark is not None and stop is not None:
            stop = min(stop, query.high_mark)
        if stop is not None and stop <= start:
            return []
        objs: list[M] = []
        chunks = self._compiler().chunks(query, start, stop, ordering=ordering, prefetch=prefetch)
        async for chunk in chunks:
            objs.extend(chunk)
        await self._attach_related(objs)
        return self._results(objs)

    async def _afetch_all(self) -> list[Any]:
        if self._result_cache is None:
            # Every row is kept anyway: PAGINATION["PREFETCH"] holds no more than that.
            self._result_cache = await self._afetch(0, None, prefetch=None)
        return self._result_cache

    async def _attach_related(self, objs: list[M]) -> None:
        names = (*self._query.select_related, *self._query.prefetch_related)
        if not names or self._values is not None or not objs:
            return
        await prefetch(objs, names)

    def __aiter__(self) -> AsyncIterator[M]:
        """Iterate with ``async for``: fetch every page once, then serve from the cache.

        Like ``aiterator()``, the walk requests ``PAGINATION["PREFETCH"]`` pages ahead.
        """

        async def generator() -> AsyncIterator[M]:
            for obj in await self._afetch_all():
                yield obj

        return generator()

    def _fetch_all(self, hint: str) -> list[Any]:
        # An evaluated (or prefetched) queryset answers from memory, even in async code.
        if self._result_cache is None:
            return run_sync(self._afetch_all, hint=hint)
        return self._result_cache

    def __iter__(self) -> Iterator[M]:
        """Iterate in sync code (the sync bridge), or from the cache once evaluated."""
        return iter(self._fetch_all("async for obj in queryset"))

    def __len__(self) -> int:
        """Return the number of results, fetching them all if not evaluated yet."""
        return len(self._fetch_all("await queryset.acount()"))

    def __bool__(self) -> bool:
        """Return whether there are results, fetching them all if not evaluated yet."""
        return bool(self._fetch_all("await queryset.aexists()"))

    def __repr__(self) -> str:
        data: list[Any] = list(self[: REPR_OUTPUT_SIZE + 1])
        if len(data) > REPR_OUTPUT_SIZE:
            data[-1] = "...(remaining elements truncated)..."
        return f"<{type(self).__name__} {data!r}>"

    @overload
    def __getitem__(self, k: int) -> M: ...
    @overload
    def __getitem__(self, k: slice) -> Self: ...
    def __getitem__(self, k: int | slice) -> Any:
        """Return a sliced QuerySet (lazy) for a slice, or fetch the object at index ``k``."""
        if not isinstance(k, int | slice):
            raise TypeError(f"QuerySet indices must be integers or slices, not {type(k).__name__}.")
        if (isinstance(k, int) and k < 0) or (
            isinstance(k, slice)
            and ((k.start is not None and k.start < 0) or (k.stop is not None and k.stop < 0))
        ):
            raise ValueError("Negative indexing is not supported.")
        if isinstance(k, slice) and k.step is not None:
            raise NotSupportedError("Slicing with a step is not supported over HTTP.")
        if self._result_cache is not None:
            return self._result_cache[k]
        if isinstance(k, slice):
            return self._chain(**_slice_changes(self._query, k.start, k.stop))
        rows = run_sync(lambda: self._afetch(k, k + 1), hint="await queryset[i:i + 1].afirst()")
        if not rows:
            raise IndexError("QuerySet index out of range")
        return rows[0]

    def __class_getitem__(cls, item: Any) -> Any:
        return cls

    # --- async terminals ----------------------------------------------------

    async def aiterator(
        self, chunk_size: int | None = None, *, prefetch: int | None = None
    ) -> AsyncIterator[M]:
        """Yield results page by page in constant memory; nothing is cached.

        ``chunk_size`` is the page size asked for. ``prefetch=N`` requests the N
        pages following the one being read at once when the server reports the
        total (page-number and limit/offset pagination), keeping the order and
        the checks of a walk through ``next``. At most N + 1 pages are held: the
        one being yielded and the N requested after it. ``prefetch=None`` (the
        default) uses the service's ``PAGINATION["PREFETCH"]`` (or the model's
        ``Meta.pagination``), 0 unless set; ``prefetch=0`` reads one page at a time.
        """
        if chunk_size is not None and chunk_size <= 0:
            raise ValueError("Chunk size must be strictly positive.")
        if prefetch is not None and (
            isinstance(prefetch, bool) or not isinstance(prefetch, int) or prefetch < 0
        ):
            raise ValueError("prefetch must be None, zero or a positive number of pages.")
        query = self._query
        if query.is_empty or query.empty_slice:
            return
        chunks = self._compiler().chunks(
            query, query.low_mark, query.high_mark, size=chunk_size, prefetch=prefetch
        )
        async for objs in chunks:
            await self._attach_related(objs)
            for obj in self._results(objs):
                yield obj

    async def acount(self) -> int:
        """Return the number of matching objects: one page of size 1, reading ``count``."""
        if self._result_cache is not None:
            return len(self._result_cache)
        query = self._query
        if query.is_empty or query.empty_slice:
            return 0
        total = await self._compiler().count(query)
        if query.high_mark is not None:
            total = min(total, query.high_mark)
        return max(0, total - query.low_mark)

    async def aexists(self) -> bool:
        """Return whether any object matches: one page of size 1."""
        if self._result_cache is not None:
            return bool(self._result_cache)
        return bool(await self._afetch(0, 1, ordering=()))

    async def afirst(self) -> M | None:
        """Return the first object (ordered by pk when unordered), or None."""
        qs = self if self.ordered else self.order_by("pk")
        if self._result_cache is not None and self.ordered:
            return self._result_cache[0] if self._result_cache else None
        rows = await qs._afetch(0, 1)
        return rows[0] if rows else None

    async def alast(self) -> M | None:
        """Return the last object (by pk when unordered), or None."""
        if self._query.is_sliced:
            raise TypeError("Cannot reverse a query once a slice has been taken.")
        qs = self.reverse() if self.ordered else self.order_by("-pk")
        rows = await qs._afetch(0, 1)
        return rows[0] if rows else None

    async def _aedge(self, fields: Sequence[str], descending: bool, method: str) -> M:
        if self._query.is_sliced:
            raise TypeError("Cannot change a query once a slice has been taken.")
        if not fields:
            latest_by = self.model._meta.get_latest_by
            if not latest_by:
                raise ValueError(
                    f"{method}() requires either fields or 'get_latest_by' in the model's Meta."
                )
            fields = [latest_by] if isinstance(latest_by, str) else list(latest_by)
        if descending:
            fields = [f[1:] if f.startswith("-") else f"-{f}" for f in fields]
        rows = await self.order_by(*fields)._afetch(0, 1)
        if not rows:
            raise self.model.DoesNotExist(
                f"{self.model._meta.object_name} matching query does not exist."
            )
        result: M = rows[0]
        return result

    async def alatest(self, *fields: str) -> M:
        """Return the latest object by ``fields`` (or ``Meta.get_latest_by``)."""
        return await self._aedge(fields, True, "latest")

    async def aearliest(self, *fields: str) -> M:
        """Return the earliest object by ``fields`` (or ``Meta.get_latest_by``)."""
        return await self._aedge(fields, False, "earliest")

    async def aget(self, *args: Q, **kwargs: Any) -> M:
        """Return the one object matching the lookups.

        ``aget(pk=3)`` alone sends ``GET endpoint/3/``; other lookups send the list
        with a page of 2. Raise ``DoesNotExist`` or ``MultipleObjectsReturned``.
        """
        model = self.model
        pk_field = model._meta.pk
        if (
            not args
            and len(kwargs) == 1
            and next(iter(kwargs)) in ("pk", pk_field.name, f"{pk_field.name}__exact")
            and all(self._is_path_parent(lk) for lk in self._query.where)
            and not self._query.excludes
            and not self._query.is_sliced
            and not self._query.is_empty
        ):
            return await self._aget_detail(next(iter(kwargs.values())))
        qs = self.filter(*args, **kwargs) if (args or kwargs) else self
        rows = await qs._afetch(0, 2, ordering=())
        if not rows:
            raise model.DoesNotExist(f"{model._meta.object_name} matching query does not exist.")
        if len(rows) > 1:
            raise model.MultipleObjectsReturned(
                f"get() returned more than one {model._meta.object_name} -- it returned more "
                "than one."
            )
        result: M = rows[0]
        return result

    def _is_path_parent(self, lookup: Lookup) -> bool:
        return lookup.name == "exact" and lookup.names in self.model._meta.path_parents

    async def _aget_detail(self, pk: Any) -> M:
        model = self.model
        if pk is None:
            raise model.DoesNotExist(f"{model._meta.object_name} matching query does not exist.")
        obj = await self._compiler().get(pk, self._query)
        await self._attach_related([obj])
        result: M = self._results([obj])[0]
        return result

    async def acontains(self, obj: Any) -> bool:
        """Return whether ``obj`` is among the results."""
        if not isinstance(obj, self.model):
            raise TypeError(f"'obj' must be a {self.model.__name__} instance.")
        if obj.pk is None:
            raise ValueError("QuerySet.contains() cannot be used on unsaved objects.")
        if self._result_cache is not None:
            return obj in self._result_cache
        return await self.filter(pk=obj.pk).aexists()

    async def ain_bulk(
        self, id_list: Iterable[Any] | None = None, *, field_name: str = "pk"
    ) -> dict[Any, M]:
        """Return ``{value: object}`` for ``id_list``, batched with ``__in`` requests."""
        if self._query.is_sliced:
            raise TypeError("Cannot use 'limit' or 'offset' with in_bulk().")
        field = self.model._meta.get_field(field_name)
        attname = field.attname
        if id_list is None:
            return {getattr(obj, attname): obj async for obj in self.aiterator()}
        ids = list(dict.fromkeys(id_list))
        result: dict[Any, M] = {}
        for batch in in_batches(ids):
            async for obj in self.filter(**{f"{field_name}__in": batch}).aiterator():
                result[getattr(obj, attname)] = obj
        return result

    # --- sync twins ---------------------------------------------------------

    count = sync_twin(acount)
    exists = sync_twin(aexists)
    first = sync_twin(afirst)
    last = sync_twin(alast)
    latest = sync_twin(alatest)
    earliest = sync_twin(aearliest)
    get = sync_twin(aget)
    contains = sync_twin(acontains)
    in_bulk = sync_twin(ain_bulk)

    def iterator(
        self, chunk_size: int | None = None, *, prefetch: int | None = None
    ) -> Iterator[M]:
        """Sync twin of :meth:`aiterator`: yield results page by page; nothing is cached.

        ``prefetch=None`` (the default) uses ``PAGINATION["PREFETCH"]``.
        """
        agen = self.aiterator(chunk_size, prefetch=prefetch)
        hint = "async for obj in queryset.aiterator()"
        try:
            while True:
                try:
                    yield run_sync(agen.__anext__, hint=hint)
                except StopAsyncIteration:
                    return
        finally:
            run_sync(agen.aclose, hint=hint)  # type: ignore[attr-defined]


def _slice_changes(query: Query, start: int | None, stop: int | None) -> dict[str, Any]:
    new = query.with_slice(start, stop)
    return {"low_mark": new.low_mark, "high_mark": new.high_mark}


@functools.cache
def _named_row(names: tuple[str, ...]) -> Any:
    return NamedTuple("Row", [(name, Any) for name in names])


if TYPE_CHECKING:
    # What type checkers see of the Manager ``from_queryset`` builds at run time: each
    # public QuerySet method, returning what it returns on a ``QuerySet[M]``.
    # tests/typing/test_static_manager.py checks that it lists the run-time methods.

    class Manager(BaseManager[M], Generic[M, QS]):
        """The default manager: every QuerySet method, on the model class."""

        def get_queryset(self) -> QS: ...
        def all(self) -> QS: ...
        @classmethod
        def from_queryset(  # type: ignore[override]
            cls, queryset_class: type[QS2], class_name: str | None = None
        ) -> type[Manager[Any, QS2]]: ...
        def filter(self, *args: Q | DjangoQ, **kwargs: Any) -> QS: ...
        def exclude(self, *args: Q | DjangoQ, **kwargs: Any) -> QS: ...
        def order_by(self, *field_names: str) -> QS: ...
        def reverse(self) -> QS: ...
        def none(self) -> QS: ...
        def nocache(self) -> QS: ...
        def using(self, alias: str) -> QS: ...
        def only(self, *fields: str) -> QS: ...
        def defer(self, *fields: str) -> QS: ...
        def search(self, term: str) -> QS: ...
        def select_related(self, *fields: str | None) -> QS: ...
        def prefetch_related(self, *lookups: PrefetchLookup | None) -> QS: ...
        def values(self, *fields: str) -> QuerySet[Any]: ...
        def values_list(
            self, *fields: str, flat: bool = False, named: bool = False
        ) -> QuerySet[Any]: ...
        def aiterator(
            self, chunk_size: int | None = None, *, prefetch: int | None = None
        ) -> AsyncIterator[M]: ...
        def iterator(
            self, chunk_size: int | None = None, *, prefetch: int | None = None
        ) -> Iterator[M]: ...
        async def acount(self) -> int: ...
        async def aexists(self) -> bool: ...
        async def afirst(self) -> M | None: ...
        async def alast(self) -> M | None: ...
        async def alatest(self, *fields: str) -> M: ...
        async def aearliest(self, *fields: str) -> M: ...
        async def aget(self, *args: Q, **kwargs: Any) -> M: ...
        async def acontains(self, obj: Any) -> bool: ...
        async def ain_bulk(
            self, id_list: Iterable[Any] | None = None, *, field_name: str = "pk"
        ) -> dict[Any, M]: ...
        async def acreate(self, **kwargs: Any) -> M: ...
        async def aget_or_create(
            self, defaults: dict[str, Any] | None = None, **kwargs: Any
        ) -> tuple[M, bool]: ...
        async def aupdate_or_create(
            self,
            defaults: dict[str, Any] | None = None,
            create_defaults: dict[str, Any] | None = None,
            **kwargs: Any,
        ) -> tuple[M, bool]: ...
        async def abulk_create(
            self, objs: Iterable[M], batch_size: int | None = None
        ) -> list[M]: ...
        async def abulk_update(
            self, objs: Iterable[M], fields: Sequence[str], batch_size: int | None = None
        ) -> int: ...
        async def aupdate(self, **kwargs: Any) -> int: ...

        count = sync_twin(acount)
        exists = sync_twin(aexists)
        first = sync_twin(afirst)
        last = sync_twin(alast)
        latest = sync_twin(alatest)
        earliest = sync_twin(aearliest)
        get = sync_twin(aget)
        contains = sync_twin(acontains)
        in_bulk = sync_twin(ain_bulk)
        create = sync_twin(acreate)
        get_or_create = sync_twin(aget_or_create)
        update_or_create = sync_twin(aupdate_or_create)
        bulk_create = sync_twin(abulk_create)
        bulk_update = sync_twin(abulk_update)
        update = sync_twin(aupdate)

        # UnsupportedMethods: each raises NotSupportedError.
        def annotate(self, *args: Any, **kwargs: Any) -> NoReturn: ...
        def alias(self, *args: Any, **kwargs: Any) -> NoReturn: ...
        def aggregate(self, *args: Any, **kwargs: Any) -> NoReturn: ...
        async def aaggregate(self, *args: Any, **kwargs: Any) -> NoReturn: ...
        def distinct(self, *fields: str) -> NoReturn: ...
        def extra(self, *args: Any, **kwargs: Any) -> NoReturn: ...
        def raw(self, *args: Any, **kwargs: Any) -> NoReturn: ...
        def select_for_update(self, *args: Any, **kwargs: Any) -> NoReturn: ...
        def union(self, *other: Any, **kwargs: Any) -> NoReturn: ...
        def intersection(self, *other: Any, **kwargs: Any) -> NoReturn: ...
        def difference(self, *other: Any, **kwargs: Any) -> NoReturn: ...
        def dates(self, field_name: str, kind: str, order: str = "ASC") -> NoReturn: ...
        def datetimes(self, field_name: str, kind: str, order: str = "ASC") -> NoReturn: ...
        def explain(self, **options: Any) -> NoReturn: ...
        async def aexplain(self, **options: Any) -> NoReturn: ...

    class RelatedManager(Manager[M]):
        """What type checkers see of ``book.genres`` (a many-to-many field's manager):
        a ``Manager`` of the related model, bound to ``instance``, that writes the list."""

        instance: RemoteModel

        async def aadd(self, *objs: Any) -> None: ...
        async def aremove(self, *objs: Any) -> None: ...
        async def aclear(self) -> None: ...
        async def aset(self, objs: Iterable[Any], *, clear: bool = False) -> None: ...

        add = sync_twin(aadd)
        remove = sync_twin(aremove)
        clear = sync_twin(aclear)
        set = sync_twin(aset)

else:

    class Manager(BaseManager.from_queryset(QuerySet)):
        """The default manager: every QuerySet method, on the model class."""
