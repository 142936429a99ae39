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
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar

from django.utils.module_loading import import_string

from django_api_orm.conf import merge_pagination
from django_api_orm.exceptions import BadRequestError, NotFoundError, NotSupportedError
from django_api_orm.hydration import hydrate
from django_api_orm.models import persistence
from django_api_orm.models.fields import ForeignKey
from django_api_orm.models.lookups import Lookup, Q
from django_api_orm.models.sync import sync_twin
from django_api_orm.pagination import PageWalker, PaginationSettings
from django_api_orm.query import Query
from django_api_orm.services import run_sync, services

if TYPE_CHECKING:
    from django_api_orm.client import AsyncServiceClient
    from django_api_orm.dialects.base import BaseDialect
    from django_api_orm.models.base import RemoteModel
    from django_api_orm.models.manager import BaseManager

__all__ = ["QuerySet"]

M = TypeVar("M", bound="RemoteModel")
T = TypeVar("T")

#: Rows shown by ``repr(queryset)``, as Django's ``REPR_OUTPUT_SIZE``.
REPR_OUTPUT_SIZE = 20
#: Characters of ``__in`` values per request in ``in_bulk``, keeping URLs near 2,000 bytes.
MAX_IN_CHARS = 1800


@functools.cache
def _dialect(path: str) -> BaseDialect:
    dialect: BaseDialect = import_string(path)()
    return dialect


#: (model, alias) → (the ServiceConfig it was computed from, dialect, pagination).
_contexts: dict[tuple[type[Any], str], tuple[Any, BaseDialect, PaginationSettings]] = {}


def service_context(
    model: type[RemoteModel], alias: str
) -> tuple[AsyncServiceClient, BaseDialect, PaginationSettings]:
    """Return the client (for this event loop), dialect and pagination of ``model`` on ``alias``."""
    config = services.config(alias)
    cached = _contexts.get((model, alias))
    # Recomputed only when the settings changed (a new ServiceConfig object).
    if cached is None or cached[0] is not config:
        pagination = merge_pagination(
            config.pagination, model._meta.pagination, where=f"{model._meta.label}.Meta.pagination"
        )
        cached = (config, _dialect(config.dialect), PaginationSettings.from_config(pagination))
        _contexts[(model, alias)] = cached
    return services[alias], cached[1], cached[2]


class QuerySet(Generic[M]):
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
    def as_manager(cls) -> BaseManager[Any]:
        """Return a Manager whose methods are this QuerySet's."""
        from django_api_orm.models.manager import Manager

        manager: BaseManager[Any] = Manager.from_queryset(cls)()
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

    def _chain(self, **query_changes: Any) -> QuerySet[M]:
        return self._with_query(self._query.clone(**query_changes))

    def _with_query(self, query: Query) -> QuerySet[M]:
        clone = type(self)(self.model, query, self._db)
        clone._values = self._values
        return clone

    def _not_sliced(self, action: str) -> None:
        if self._query.is_sliced:
            raise TypeError(f"Cannot {action} a query once a slice has been taken.")

    def _context(self) -> tuple[AsyncServiceClient, BaseDialect, PaginationSettings]:
        if self._query.unsendable is not None:
            raise self._query.unsendable
        return service_context(self.model, self.db)

    def _walker(self, ordering: Sequence[str] | None = None) -> PageWalker:
        client, dialect, pagination = self._context()
        query = self._query
        params = dialect.filter_params(query)
        params += dialect.ordering_params(
            query, query.effective_ordering if ordering is None else ordering
        )
        return PageWalker(client, dialect, dialect.list_path(self.model, query), params, pagination)

    # --- chainable ----------------------------------------------------------

    def all(self) -> QuerySet[M]:
        """Return a new QuerySet that is a copy of the current one."""
        return self._chain()

    def filter(self, *args: Q, **kwargs: Any) -> QuerySet[M]:
        """Return a new QuerySet instance with the args ANDed to the existing set."""
        if args or kwargs:
            self._not_sliced("filter")
        return self._with_query(self._query.add_q(Q(*args, **kwargs)))

    def exclude(self, *args: Q, **kwargs: Any) -> QuerySet[M]:
        """Return a new QuerySet excluding the condition, through ``Meta.exclude_filters``."""
        if args or kwargs:
            self._not_sliced("filter")
        return self._with_query(self._query.add_q(Q(*args, **kwargs), negate=True))

    def order_by(self, *field_names: str) -> QuerySet[M]:
        """Return a new QuerySet ordered by ``field_names``, sent as ``ordering=``."""
        self._not_sliced("reorder")
        return self._with_query(self._query.with_ordering(field_names))

    def reverse(self) -> QuerySet[M]:
        """Return a new QuerySet with the ordering reversed."""
        ordering = self._query.effective_ordering
        flipped = tuple(name[1:] if name.startswith("-") else f"-{name}" for name in ordering)
        return self._chain(order_by=flipped)

    @property
    def ordered(self) -> bool:
        """Whether the results come in a defined order."""
        return bool(self._query.effective_ordering)

    def none(self) -> QuerySet[M]:
        """Return an empty QuerySet; it never sends a request."""
        return self._chain(is_empty=True)

    def using(self, alias: str) -> QuerySet[M]:
        """Return a new QuerySet sent to the service ``alias``."""
        clone = self._chain()
        clone._db = alias
        return clone

    def only(self, *fields: str) -> QuerySet[M]:
        """Return a new QuerySet marking only ``fields`` as wanted.

        A REST list sends whole rows, so this validates the names but reads the
        same response; every field stays readable.
        """
        for name in fields:
            self.model._meta.get_field(name)
        return self._chain(only=frozenset(fields))

    def defer(self, *fields: str) -> QuerySet[M]:
        """Return a new QuerySet marking ``fields`` as not wanted (see ``only()``)."""
        for name in fields:
            self.model._meta.get_field(name)
        return self._chain(deferred=self._query.deferred | frozenset(fields))

    def select_related(self, *fields: str) -> QuerySet[M]:
        """Return a new QuerySet loading these foreign keys with one batched request per page."""
        for name in fields:
            field = self.model._meta.get_field(name)
            if not isinstance(field, ForeignKey):
                raise ValueError(f"select_related() takes foreign keys; {name!r} is not one.")
        return self._chain(select_related=(*self._query.select_related, *fields))

    def prefetch_related(self, *lookups: str) -> QuerySet[M]:
        """Return a new QuerySet loading these relations with batched requests."""
        from django_api_orm.models.relations import check_relation

        for name in lookups:
            check_relation(self.model, name)
        return self._chain(prefetch_related=(*self._query.prefetch_related, *lookups))

    def values(self, *fields: str) -> QuerySet[M]:
        """Return a new QuerySet yielding dicts of ``fields`` (default: every field)."""
        return self._values_clone("dict", fields)

    def values_list(self, *fields: str, flat: bool = False, named: bool = False) -> QuerySet[M]:
        """Return a new QuerySet yielding tuples (or single values with ``flat=True``)."""
        if flat and named:
            raise TypeError("'flat' and 'named' can't be used together.")
        if flat and len(fields) > 1:
            raise TypeError(
                "'flat' is not valid when values_list is called with more than one field."
            )
        kind = "flat" if flat else "named" if named else "tuple"
        return self._values_clone(kind, fields)

    def _values_clone(self, kind: str, fields: Sequence[str]) -> QuerySet[M]:
        names = tuple(fields) or tuple(f.attname for f in self.model._meta.fields)
        for name in names:
            self.model._meta.get_field(name)
        clone = self._chain()
        clone._values = (kind, names)
        return clone

    def _unsupported(self, name: str, reason: str) -> NotSupportedError:
        return NotSupportedError(
            f"{self.model.__name__}.objects.{name}() is not supported: {reason}"
        )

    def annotate(self, *args: Any, **kwargs: Any) -> QuerySet[M]:
        """Not supported: a REST API computes no expressions per row."""
        raise self._unsupported("annotate", "a REST API computes no expressions per row.")

    def alias(self, *args: Any, **kwargs: Any) -> QuerySet[M]:
        """Not supported: a REST API computes no expressions per row."""
        raise self._unsupported("alias", "a REST API computes no expressions per row.")

    def aggregate(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Not supported: aggregate over ``aiterator()`` in Python instead."""
        raise self._unsupported(
            "aggregate",
            "a REST list has no aggregates. Iterate with aiterator() and aggregate in Python, "
            "or use acount() for counts.",
        )

    def distinct(self, *fields: str) -> QuerySet[M]:
        """Not supported: a REST list returns each resource once already."""
        raise self._unsupported("distinct", "a REST list has no DISTINCT; rows are resources.")

    def extra(self, *args: Any, **kwargs: Any) -> QuerySet[M]:
        """Not supported: there is no SQL."""
        raise self._unsupported("extra", "there is no SQL behind a REST API.")

    def raw(self, *args: Any, **kwargs: Any) -> Any:
        """Not supported: there is no SQL."""
        raise self._unsupported("raw", "there is no SQL behind a REST API.")

    def select_for_update(self, *args: Any, **kwargs: Any) -> QuerySet[M]:
        """Not supported: HTTP has no row locks."""
        raise self._unsupported("select_for_update", "HTTP has no row locks.")

    def union(self, *other: Any, **kwargs: Any) -> QuerySet[M]:
        """Not supported: a filter API cannot combine queries."""
        raise self._unsupported("union", "a filter API cannot combine queries.")

    intersection = difference = union

    def dates(self, field_name: str, kind: str, order: str = "ASC") -> QuerySet[M]:
        """Not supported: a REST list cannot truncate and group dates."""
        raise self._unsupported("dates", "a REST list cannot truncate and group dates.")

    def datetimes(self, field_name: str, kind: str, order: str = "ASC") -> QuerySet[M]:
        """Not supported: a REST list cannot truncate and group datetimes."""
        raise self._unsupported("datetimes", "a REST list cannot truncate and group dates.")

    def explain(self, **options: Any) -> str:
        """Not supported: there is no query plan behind a REST API."""
        raise self._unsupported("explain", "there is no query plan behind a REST API.")

    # --- fetching -----------------------------------------------------------

    def _rows_to_results(self, rows: list[dict[str, Any]], where: str) -> list[Any]:
        objs: list[Any] = hydrate(self.model, rows, where=where, using=self._db)
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
        self, low: int, high: int | None, ordering: Sequence[str] | None = None
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
        walker = self._walker(ordering)
        results: list[Any] = []
        async for rows in walker.rows(start, stop):
            results.extend(self._rows_to_results(rows, f"GET {walker.path}"))
        await self._attach_related(results)
        return results

    async def _afetch_all(self) -> list[Any]:
        if self._result_cache is None:
            self._result_cache = await self._afetch(0, None)
        return self._result_cache

    async def _attach_related(self, objs: list[Any]) -> None:
        names = (*self._query.select_related, *self._query.prefetch_related)
        if not names or self._values is not None or not objs:
            return
        from django_api_orm.models.relations import prefetch_related_objects

        await prefetch_related_objects(objs, names, using=self._db)

    def __aiter__(self) -> AsyncIterator[Any]:
        """Iterate with ``async for``: fetch every page once, then serve from the cache."""

        async def generator() -> AsyncIterator[Any]:
            for obj in await self._afetch_all():
                yield obj

        return generator()

    def _fetch_all(self, hint: str) -> list[Any]:
        # An evaluated (or prefetched) queryset answers from memory, even in async code.
        if self._result_cache is None:
            return run_sync(self._afetch_all, hint=hint)
        return self._result_cache

    def __iter__(self) -> Iterator[Any]:
        """Iterate in sync code (the sync bridge), or from the cache once evaluated."""
        return iter(self._fetch_all("async for obj in queryset"))

    def __len__(self) -> int:
        """Return the number of results, fetching them all if not evaluated yet."""
        return len(self._fetch_all("await queryset.acount()"))

    def __bool__(self) -> bool:
        """Return whether there are results, fetching them all if not evaluated yet."""
        return bool(self._fetch_all("await queryset.aexists()"))

    def __repr__(self) -> str:
        data = list(self[: REPR_OUTPUT_SIZE + 1])
        if len(data) > REPR_OUTPUT_SIZE:
            data[-1] = "...(remaining elements truncated)..."
        return f"<{type(self).__name__} {data!r}>"

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
        self, chunk_size: int | None = None, *, prefetch: int = 0
    ) -> AsyncIterator[Any]:
        """Yield results page by page in constant memory; nothing is cached.

        ``chunk_size`` is the page size asked for. ``prefetch=N`` requests up to N
        following pages at once when the server reports the total (page-number
        and limit/offset pagination), keeping the order; memory grows to N pages.
        """
        if chunk_size is not None and chunk_size <= 0:
            raise ValueError("Chunk size must be strictly positive.")
        if prefetch < 0:
            raise ValueError("prefetch must be zero or a positive number of pages.")
        query = self._query
        if query.is_empty or query.empty_slice:
            return
        walker = self._walker()
        async for rows in walker.rows(
            query.low_mark, query.high_mark, size=chunk_size, prefetch=prefetch
        ):
            results = self._rows_to_results(rows, f"GET {walker.path}")
            await self._attach_related(results)
            for obj in results:
                yield obj

    async def acount(self) -> int:
        """Return the number of matching objects: one page of size 1, reading ``count``."""
        if self._result_cache is not None:
            return len(self._result_cache)
        query = self._query
        if query.is_empty or query.empty_slice:
            return 0
        total = await self._walker(ordering=()).total()
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
        client, dialect, _ = self._context()
        path = dialect.detail_path(model, pk, self._query)
        try:
            response = await client.get(path)
        except NotFoundError:
            raise model.DoesNotExist(
                f"{model._meta.object_name} with pk {pk!r} does not exist "
                f"(GET {path} answered 404)."
            ) from None
        objs = self._rows_to_results([response.data], f"GET {path}")
        await self._attach_related(objs)
        result: M = objs[0]
        return result

    async def acontains(self, obj: Any) -> bool:
        """Return whether ``obj`` is among the results."""
        from django_api_orm.models.base import RemoteModel

        if not isinstance(obj, RemoteModel) or not isinstance(obj, self.model):
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
        for batch in _batches(ids, MAX_IN_CHARS):
            async for obj in self.filter(**{f"{field_name}__in": batch}).aiterator():
                result[getattr(obj, attname)] = obj
        return result

    # --- writes -------------------------------------------------------------

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
        (``email__iexact=`` is a lookup, never a field).
        """
        try:
            return await self.aget(**kwargs), False
        except self.model.DoesNotExist:
            params = self._create_params(kwargs, defaults)
            try:
                return await self.acreate(**params), True
            except BadRequestError:
                # Created concurrently (a unique constraint answered 400): read it back.
                try:
                    return await self.aget(**kwargs), False
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
        ``defaults`` (PATCH), or create it with ``create_defaults`` (or ``defaults``)."""
        update = _resolve_callables(defaults or {})
        try:
            obj = await self.aget(**kwargs)
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
                functools.partial(persistence.save_instance, o, force_insert=True, using=self._db)
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
                    persistence.save_instance, o, update_fields=fields, using=self._db
                )
                for o in items
            ],
            batch_size or persistence.WRITE_CONCURRENCY,
        )
        return len(items)

    async def aupdate(self, **kwargs: Any) -> int:
        """PATCH ``kwargs`` onto each matched object, concurrently; return the count."""
        self._not_sliced("update")
        if not kwargs:
            raise TypeError("aupdate() needs at least one field=value.")
        persistence.writable_fields(self.model, kwargs, action="update()")
        objs = [obj async for obj in self._clean_chain().aiterator()]

        async def patch(obj: Any) -> None:
            for name, value in kwargs.items():
                setattr(obj, name, value)
            await persistence.save_instance(obj, update_fields=list(kwargs), using=self._db)

        await persistence.gather_bounded([functools.partial(patch, o) for o in objs])
        self._result_cache = None
        return len(objs)

    async def adelete(self) -> tuple[int, dict[str, int]]:
        """DELETE each matched object, concurrently; return ``(count, {label: count})``."""
        if self._query.is_sliced:
            raise TypeError("Cannot use 'limit' or 'offset' with delete().")
        objs = [obj async for obj in self._clean_chain().aiterator()]
        await persistence.gather_bounded(
            [functools.partial(persistence.delete_instance, o, using=self._db) for o in objs]
        )
        self._result_cache = None
        return len(objs), {self.model._meta.label: len(objs)}

    adelete.queryset_only = True  # type: ignore[attr-defined]

    def _clean_chain(self) -> QuerySet[M]:
        """This query as model instances (not values), without relation loading."""
        clone = self._chain(select_related=(), prefetch_related=())
        clone._values = None
        return clone

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
    create = sync_twin(acreate)
    get_or_create = sync_twin(aget_or_create)
    update_or_create = sync_twin(aupdate_or_create)
    bulk_create = sync_twin(abulk_create)
    bulk_update = sync_twin(abulk_update)
    update = sync_twin(aupdate)
    delete = sync_twin(adelete)
    delete.queryset_only = True  # type: ignore[attr-defined]

    def iterator(self, chunk_size: int | None = None, *, prefetch: int = 0) -> Iterator[Any]:
        """Sync twin of :meth:`aiterator`: yield results page by page; nothing is cached."""
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


def _resolve_callables(mapping: dict[str, Any]) -> dict[str, Any]:
    return {k: v() if callable(v) else v for k, v in mapping.items()}


def _slice_changes(query: Query, start: int | None, stop: int | None) -> dict[str, Any]:
    new = query.with_slice(start, stop)
    return {"low_mark": new.low_mark, "high_mark": new.high_mark}


def _batches(ids: list[Any], max_chars: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    size = 0
    for value in ids:
        length = len(str(value)) + 3  # the value and an encoded comma
        if batch and size + length > max_chars:
            yield batch
            batch, size = [], 0
        batch.append(value)
        size += length
    if batch:
        yield batch


@functools.cache
def _named_row(names: tuple[str, ...]) -> Any:
    return NamedTuple("Row", [(name, Any) for name in names])
