"""The compiler: the one place the ORM turns queries and instances into requests.

As Django's ``SQLCompiler`` stands between a ``Query`` and a database
connection, ``Compiler`` stands between a ``Query`` (or an instance) and the
service's client: it asks the service's dialect for every wire detail (paths,
parameters, bodies, how to read pages, details and errors), sends the request
through the client, and turns every record that comes back into an instance
through the one hydration path. No other ORM module calls the client.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from typing import Any, Generic, TypeVar

from django_api_orm.client import APIResponse
from django_api_orm.exceptions import (
    BadRequestError,
    InvalidResponseError,
    NotFoundError,
    NotSupportedError,
)
from django_api_orm.hydration import hydrate, load_row
from django_api_orm.pagination.styles import Page, PaginationStyle, Params
from django_api_orm.pagination.walker import PageWalker
from django_api_orm.protocols import InstanceLike, OptionsLike, QueryLike
from django_api_orm.services import Service
from django_api_orm.verify import page_check

__all__ = ["MAX_IN_CHARS", "SAFE_METHODS", "Compiler", "in_batches"]

#: Characters of ``__in`` values per request, keeping URLs near 2,000 bytes.
MAX_IN_CHARS = 1800

#: Methods that change nothing on the server: an action sent with another one
#: invalidates the model's cached answers, as any write does.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

M = TypeVar("M", bound=InstanceLike)


class Compiler(Generic[M]):
    """Build, send and read every request of one model on one service."""

    def __init__(self, service: Service, model: type[M], opts: OptionsLike) -> None:
        self.service = service
        self.client = service.client
        self.dialect = service.dialect
        self.model = model
        self.opts = opts

    @property
    def style(self) -> PaginationStyle:
        """The pagination style of this model's list endpoint on this service."""
        return self.service.pagination(self.opts, self.opts.pagination)

    # --- reading lists ------------------------------------------------------

    def walker(self, query: QueryLike, ordering: Sequence[str] | None = None) -> PageWalker:
        """Return the page walker of ``query``'s list request."""
        dialect = self.dialect
        params = dialect.filter_params(query)
        params += dialect.ordering_params(
            query, query.effective_ordering if ordering is None else ordering
        )
        path = dialect.list_path(self.opts, self.parents(query=query))
        where = f"GET {path}"
        client = self.client
        style = self.style
        opts = self.opts
        get = self.service.get
        use_cache = query.use_cache
        # Built once per query: None when no filter can be checked against the rows.
        check = page_check(query, dialect, where=where)

        async def fetch(request: Params | str) -> Page:
            query_string = request if isinstance(request, str) else dialect.encode_query(request)
            url = f"{path}?{query_string}" if query_string else path
            response = await get(url, opts, use_cache=use_cache)
            page = dialect.parse_page(response.data, response.headers, style, opts, where=where)
            if check is not None:
                check(page.rows)  # a row contradicting a filter: the server ignored it
            return page

        return PageWalker(
            fetch,
            dialect.is_page_out_of_range,
            style,
            params,
            path=path,
            origin=client.origin,
            key=opts.pk.source,  # a row's primary key: the walker notices a row sent twice
        )

    async def chunks(
        self,
        query: QueryLike,
        low: int,
        high: int | None,
        *,
        ordering: Sequence[str] | None = None,
        size: int | None = None,
        prefetch: int | None = 0,
    ) -> AsyncIterator[list[M]]:
        """Yield the instances of rows ``[low:high]`` of ``query``, a page at a time.

        ``prefetch`` is how many pages the walk requests ahead; ``None`` takes the
        style's (``PAGINATION["PREFETCH"]``).
        """
        walker = self.walker(query, ordering)
        if prefetch is None:
            prefetch = walker.style.prefetch
        where = f"GET {walker.path}"
        for_rows = self._hydrator(where)
        async for rows in walker.rows(low, high, size=size, prefetch=prefetch):
            yield for_rows(rows)

    async def count(self, query: QueryLike) -> int:
        """Return the number of rows of ``query``: one small page where the total is sent."""
        return await self.walker(query, ordering=()).total()

    def _hydrator(self, where: str) -> Callable[[list[Any]], list[M]]:
        model, alias, dialect = self.model, self.service.alias, self.dialect
        # The rows of a model's own service keep no alias: they save to the model's service.
        using = None if alias == self.opts.service else alias

        def hydrate_rows(rows: list[Any]) -> list[M]:
            return hydrate(model, rows, where=where, using=using, dialect=dialect)

        return hydrate_rows

    # --- one object ---------------------------------------------------------

    async def get(self, pk: Any, query: QueryLike | None = None) -> M:
        """``GET`` the detail of ``pk``; a 404 raises the model's ``DoesNotExist``."""
        path = self.detail_path(pk, query=query)
        use_cache = query is None or query.use_cache
        try:
            response = await self.service.get(path, self.opts, use_cache=use_cache)
        except NotFoundError:
            raise self._does_not_exist(pk, "GET", path) from None
        row = self.dialect.parse_detail(response.data, self.opts, where=f"GET {path}")
        return self._hydrator(f"GET {path}")([row])[0]

    async def insert(self, obj: M, values: Mapping[str, Any]) -> None:
        """``POST`` a new object; the answer is loaded into ``obj``."""
        path = self.dialect.list_path(self.opts, self.parents(instance=obj))
        body = self.dialect.create_body(self.opts, values)
        try:
            response = await self._write("POST", path, body)
        finally:
            await self.service.invalidate(self.opts)
        self._load(obj, response.data, f"POST {path}")

    async def update(self, obj: M, values: Mapping[str, Any], *, partial: bool) -> None:
        """``PUT`` (or ``PATCH`` with ``partial``) ``values``; the answer is loaded into ``obj``.

        An empty answer (204) means the server took what was sent.
        """
        path = self.detail_path(obj.pk, instance=obj)
        method = self.dialect.update_method(partial=partial)
        pk_field = self.opts.pk
        pk = pk_field.to_wire(pk_field.get_prep_value(obj.pk))
        body = self.dialect.update_body(self.opts, pk, values, partial=partial)
        try:
            response = await self._write(method, path, body)
        except NotFoundError:
            raise self._does_not_exist(obj.pk, method, path) from None
        finally:
            await self.service.invalidate(self.opts)
        if response.data is None:
            merged = dict(obj._state.wire or {})
            merged.update(values)
            self._load(obj, merged, f"{method} {path}", parse=False)
        else:
            self._load(obj, response.data, f"{method} {path}")

    async def delete(self, obj: M) -> None:
        """``DELETE`` ``obj``'s detail URL; a 404 raises the model's ``DoesNotExist``."""
        path = self.detail_path(obj.pk, instance=obj)
        try:
            await self.client.delete(path)
        except NotFoundError:
            raise self._does_not_exist(obj.pk, "DELETE", path) from None
        finally:
            await self.service.invalidate(self.opts)

    async def fetch_row(self, obj: M) -> dict[str, Any]:
        """``GET`` ``obj``'s detail and return the row, for a refresh (never a cached one)."""
        path = self.detail_path(obj.pk, instance=obj)
        try:
            response = await self.service.get(path, self.opts, refresh=True)
        except NotFoundError:
            raise self._does_not_exist(obj.pk, "GET", path) from None
        return self.dialect.parse_detail(response.data, self.opts, where=f"GET {path}")

    async def _write(self, method: str, path: str, body: Any) -> APIResponse:
        try:
            return await self.client.request(method, path, json=body)
        except BadRequestError as exc:
            raise self.dialect.bad_request(exc) from None

    def _load(self, obj: M, data: Any, where: str, *, parse: bool = True) -> None:
        row = self.dialect.parse_detail(data, self.opts, where=where) if parse else data
        load_row(obj, self.opts, row, dialect=self.dialect)

    # --- actions: routes beyond CRUD (DRF's ``@action``) ----------------------

    async def action(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None,
        data: Any = None,
    ) -> APIResponse:
        """Send ``method path`` (an action route built by the dialect) and return the answer.

        Never through the service's ``CACHE``: a GET reads fresh. A method other than
        GET, HEAD or OPTIONS may change rows, so the model's cached answers are
        invalidated whatever the outcome, as after any write. A 400 is read by the
        dialect, as a write's is.
        """
        try:
            return await self.client.request(method, path, params=params, json=data)
        except BadRequestError as exc:
            raise self.dialect.bad_request(exc) from None
        finally:
            if method not in SAFE_METHODS:
                await self.service.invalidate(self.opts)

    def action_instances(self, response: APIResponse, where: str) -> M | list[M] | None:
        """Return an action's answer as instances, hydrated as ``aget()``'s are.

        An object holding the primary key is one instance; a list, or a page as the
        model's pagination style reads it, is a list of instances (that page's rows
        only: its ``next`` is not followed); an empty answer is ``None``.
        """
        data = response.data
        if data is None:
            return None
        hydrate_rows = self._hydrator(where)
        if isinstance(data, list) or (isinstance(data, dict) and self.opts.pk.source not in data):
            try:
                page = self.dialect.parse_page(
                    data, response.headers, self.style, self.opts, where=where
                )
            except InvalidResponseError:
                if isinstance(data, list):
                    return hydrate_rows(data)  # a bare list, whatever the style
            else:
                return hydrate_rows(page.rows)
        row = self.dialect.parse_detail(data, self.opts, where=where)
        return hydrate_rows([row])[0]

    def _does_not_exist(self, pk: Any, method: str, path: str) -> Exception:
        return self.model.DoesNotExist(
            f"{self.opts.object_name} with pk {pk!r} does not exist ({method} {path} answered 404)."
        )

    # --- paths --------------------------------------------------------------

    def detail_path(
        self,
        pk: Any,
        *,
        query: QueryLike | None = None,
        instance: InstanceLike | None = None,
    ) -> str:
        """Return the detail path of ``pk`` (a nested endpoint's parents from either)."""
        pk_field = self.opts.pk
        wire = pk_field.to_wire(pk_field.get_prep_value(pk))
        return self.dialect.detail_path(self.opts, wire, self.parents(query, instance))

    def parents(
        self, query: QueryLike | None = None, instance: InstanceLike | None = None
    ) -> dict[str, Any]:
        """Return the wire value of each ``{placeholder}`` of a nested endpoint.

        Each comes from ``instance``'s foreign key or ``query``'s ``filter(name=...)``.
        """
        opts = self.opts
        segments: dict[str, Any] = {}
        for name in opts.path_parents:
            field = opts.get_field(name)
            value = None
            if instance is not None:
                value = getattr(instance, field.attname)
            elif query is not None:
                value = next(
                    (lk.value for lk in query.where if lk.names == name and lk.name == "exact"),
                    None,
                )
            if value is None:
                raise NotSupportedError(
                    f"{opts.object_name}'s endpoint {opts.endpoint!r} needs the {name} to build "
                    f"its URL: use filter({name}=...), the related manager "
                    f"(parent.{opts.object_name.lower()}_set or its related_name), or set "
                    f"{field.attname} on the instance."
                )
            segments[name] = field.to_wire(value)
        return segments


def in_batches(values: list[Any], max_chars: int = MAX_IN_CHARS) -> Iterator[list[Any]]:
    """Split ``values`` into batches whose ``__in`` parameter stays near ``max_chars``."""
    batch: list[Any] = []
    size = 0
    for value in values:
        length = len(str(value)) + 3  # the value and an encoded comma
        if batch and size + length > max_chars:
            yield batch
            batch, size = [], 0
        batch.append(value)
        size += length
    if batch:
        yield batch
