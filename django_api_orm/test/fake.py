"""``FakeService``: an in-memory provider that serves one alias's models through the real client.

It is an ``httpx`` transport given to the alias (its ``TRANSPORT`` setting, under
``override_settings``): every request still goes through the whole client stack
(retries, errors, URL safety, pagination walking, the checks of the rows against
the filters sent) and is answered as a strict Django REST framework + django-filter
provider would answer it, from each model's ``Meta``:

- routes: ``Meta.endpoint`` (list: GET, POST; detail ``<endpoint><pk>/``: GET, PUT,
  PATCH, DELETE; another method 405, an unknown URL 404), nested endpoints
  (``authors/{author}/books/``) included;
- filters: the lookups of ``Meta.filter_fields`` (every field and lookup when it is
  not declared) and the exclusion filters of ``Meta.exclude_filters``; an unknown
  parameter or lookup answers 400, as a strict provider would (django-filter itself
  ignores them), and an invalid value 400 naming the parameter;
- ``ordering=`` within ``Meta.ordering_fields`` (another name: 400), ties broken by
  the primary key; nulls first ascending, last descending (SQLite's order);
- pages in the model's pagination style (``page_number``, ``limit_offset``,
  ``cursor``, ``link_header`` or ``none``) with the page size parameter, spelled as
  DRF spells them (``count``, ``next``, ``previous``, ``results``);
- writes: read-only fields are ignored in bodies, an auto primary key is assigned,
  a read-only date or datetime without a default is set at creation (as
  ``auto_now_add``), values are checked with the fields' ``to_python`` (400 with
  DRF's ``{"field": ["message"]}``), a foreign key must name a stored row when its
  model is served by the same fake.

Reading a list request (filters, lookups, order) is ``_fake_query``'s; writing its
pages, ``_fake_pages``'s. An alias whose ``DIALECT`` is ``NetBoxDialect`` is served
as NetBox serves it (``_fake_netbox``: its filter parameters, ``q=``, limit/offset
pages, choices as ``{"value", "label"}`` and foreign keys as short nested objects).
Entering with an alias whose dialect changes how parameters, paths or bodies are
spelled in another way raises ``NotSupportedError``.
"""

from __future__ import annotations

import datetime
import functools
import inspect
import json
import re
import threading
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import parse_qs, unquote, urlsplit

import httpx

from django_api_orm.test._fake_netbox import NetBoxWire
from django_api_orm.test._fake_pages import paginate, paging_params
from django_api_orm.test._fake_query import (
    Reply,
    decode,
    field_by_source,
    known_params,
    matcher,
    orders_on,
    python_value,
    resolve,
    row_key,
)

if TYPE_CHECKING:
    from django.test.utils import override_settings

    from django_api_orm.models.base import RemoteModel
    from django_api_orm.models.fields import Field

__all__ = ["FakeService"]

F = TypeVar("F", bound=Callable[..., Any])

#: The attributes of ``DRFDialect`` that decide what goes on the wire: a dialect that
#: changes one of them speaks something this fake does not.
_WIRE_ATTRIBUTES = (
    "lookups",
    "repeat_multiple_values",
    "pagination_styles",
    "ordering_param",
    "negates_filters",
    "search_param",
    "default_pagination",
    "filter_params",
    "lookup_params",
    "check_exclusion",
    "search_params",
    "check_lookup",
    "lookup_param",
    "exclude_param",
    "lookup_values",
    "encode_value",
    "ordering_params",
    "encode_query",
    "pagination_style",
    "parse_page",
    "list_path",
    "detail_path",
    "create_body",
    "update_method",
    "update_body",
    "parse_detail",
    "related_pk",
    "choice_value",
)
#: What a subclass of ``NetBoxDialect`` must leave alone too, to be served as NetBox.
_NETBOX_WIRE_ATTRIBUTES = (*_WIRE_ATTRIBUTES, "ands_repeated_values", "choice_label")


@dataclass
class _Fault:
    status: int
    exception: type[Exception] | Exception | None
    times: int


@dataclass
class _Route:
    """One endpoint: its models, patterns and rows (wire dicts keyed by the pk's text).

    Several models may be declared over one endpoint (one resource): the rows are
    shared; a filter or an ordering is accepted when one of them declares it, and a
    write is read with the model whose fields its body names best. The first model
    declared decides the pagination style.
    """

    models: list[type[RemoteModel]]
    list_pattern: re.Pattern[str]
    detail_pattern: re.Pattern[str]
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    next_pk: int = 1
    faults: list[_Fault] = field(default_factory=list)

    @property
    def model(self) -> type[RemoteModel]:
        return self.models[0]

    def writer(self, body: Mapping[str, Any]) -> type[RemoteModel]:
        """The model whose fields ``body`` names most (the first one on a tie)."""
        keys = set(body)
        return max(self.models, key=lambda m: len(keys & {f.source for f in m._meta.fields}))


def _patterns(endpoint: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    parts = re.split(r"{(\w+)}", endpoint)
    regex = ""
    for index, part in enumerate(parts):
        regex += re.escape(part) if index % 2 == 0 else f"(?P<{part}>[^/]+)"
    detail = f"{regex}(?P<pk>[^/]+)/" if endpoint.endswith("/") else f"{regex}/(?P<pk>[^/]+)"
    return re.compile(f"{regex}"), re.compile(detail)


class _Transport(httpx.AsyncBaseTransport):
    """The transport the alias is given: every request is answered by the fake."""

    def __init__(self, fake: FakeService) -> None:
        self.fake = fake

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        return self.fake._answer(request)

    async def aclose(self) -> None:
        """Nothing to close: the fake holds no connection."""


class FakeService:
    """An in-memory provider for the models of ``alias``, answering through the real client.

    ``with FakeService() as fake:`` (or ``async with``, or as a decorator of a test
    function) gives the alias a transport that answers every request from memory;
    the alias's other settings are kept. On exit the settings are restored. Rows
    are kept as the provider would send them (wire names and values; for NetBox,
    bare values, wrapped when answered).

    ``fake.add(Book, title=..., author=author)`` stores a row and returns it;
    ``fake.fail(Book, status=503, times=1)`` makes the next requests to the
    model's endpoint fail; ``fake.records(Book)`` returns its rows;
    ``fake.requests`` lists the ``httpx.Request`` objects it answered.

    ``models`` limits the models that define the provider, when other models over
    the same endpoints declare other filters (a model that declares no
    ``filter_fields`` accepts every filter on its endpoint); the targets of their
    relations are served too.
    """

    def __init__(
        self, alias: str = "default", *, models: Iterable[type[RemoteModel]] | None = None
    ) -> None:
        self.alias = alias
        #: The models served (``None``: every model declared on the alias, at entry).
        self.models = None if models is None else list(models)
        #: Every request answered (faults included), in order.
        self.requests: list[httpx.Request] = []
        self._lock = threading.RLock()
        self._routes: dict[str, _Route] = {}  # by Meta.endpoint
        #: Endpoints of models it cannot serve (their pagination style), and why.
        self._unserved: dict[str, str] = {}
        self._transport = _Transport(self)
        self._override: override_settings | None = None
        self._base_path = ""
        #: How NetBox is spoken, when the alias's dialect is NetBox's (else ``None``: DRF).
        self._netbox: NetBoxWire | None = None

    # --- entering and leaving ----------------------------------------------

    def start(self) -> None:
        """Give the alias the fake's transport (what ``with`` does)."""
        from django.conf import settings
        from django.test.utils import override_settings

        from django_api_orm.services import services

        if self._override is not None:
            raise RuntimeError("this FakeService is already running")
        config = services.config(self.alias)
        self._netbox = None
        if self._check_dialect(services.dialect(self.alias)) == "netbox":
            self._netbox = NetBoxWire(self, config.base_url)
        self._base_path = urlsplit(config.base_url).path
        from django_api_orm.exceptions import NotSupportedError

        for model in self._models():
            try:
                self._style(model)
            except NotSupportedError as error:
                if self.models is not None:
                    raise  # a model you named: refused now
                # Another model of the alias: its endpoint answers 501 saying why.
                self._unserved.setdefault(model._meta.endpoint or "", str(error))
                continue
            self._route(model)
        entries = dict(settings.API_ORM_SERVICES)
        entries[self.alias] = {**entries[self.alias], "TRANSPORT": self._transport}
        self._override = override_settings(API_ORM_SERVICES=entries)
        self._override.enable()

    def stop(self) -> None:
        """Restore the alias's settings; the rows stay readable."""
        if self._override is not None:
            self._override.disable()
            self._override = None

    def __enter__(self) -> FakeService:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> FakeService:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc_val, exc_tb)

    def __call__(self, func: F) -> F:
        """Decorate a test function (sync or ``async def``): it runs inside the fake."""
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_inner(*args: Any, **kwargs: Any) -> Any:
                async with self:
                    return await cast(Callable[..., Awaitable[Any]], func)(*args, **kwargs)

            return cast(F, async_inner)

        @functools.wraps(func)
        def inner(*args: Any, **kwargs: Any) -> Any:
            with self:
                return func(*args, **kwargs)

        return cast(F, inner)

    # --- the test's API ----------------------------------------------------

    def add(self, model: type[RemoteModel], /, **values: Any) -> dict[str, Any]:
        """Store a row of ``model`` from ``values`` as ``objects.create()`` takes them.

        A related instance (``author=author``) or its pk (``author_id=3``) is sent
        as the library sends it; read-only fields (``created_at``, the pk) may be
        given too. Return the stored row: a copy of the dict the provider answers
        with (wire names and JSON values).
        """
        instance = model(**values)
        given = set(values)
        opts = model._meta
        chosen = [
            f
            for f in opts.fields
            if not f.read_only
            or f.name in given
            or f.attname in given
            or (f is opts.pk and "pk" in given)
        ]
        body = instance._to_wire_dict(chosen)
        with self._lock:
            route = self._route(model)
            try:
                row = self._create(route, body, parents={}, model=model, trusted=True)
                return self._shown(route, row)
            except Reply as reply:
                raise ValueError(f"{model.__name__} cannot be added: {reply.body}") from None

    def fail(
        self,
        model: type[RemoteModel],
        status: int = 503,
        times: int = 1,
        *,
        exception: type[Exception] | Exception | None = None,
    ) -> None:
        """Make the next ``times`` requests to ``model``'s endpoint answer ``status``.

        With ``exception`` (such as ``httpx.ConnectError``), they raise it from the
        transport instead, as a network failure would.
        """
        if times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._route(model).faults.append(_Fault(status, exception, times))

    def records(self, model: type[RemoteModel]) -> list[dict[str, Any]]:
        """Return copies of ``model``'s stored rows, in primary key order, as the
        provider answers them."""
        with self._lock:
            route = self._route(model)
            rows = self._sorted(route, list(route.rows.values()), [])
            return [self._shown(route, row) for row in rows]

    def clear(self, model: type[RemoteModel] | None = None) -> None:
        """Forget the rows of ``model`` (or of every model), and the faults."""
        with self._lock:
            routes = [self._route(model)] if model is not None else list(self._routes.values())
            for route in routes:
                route.rows.clear()
                route.faults.clear()
                route.next_pk = 1

    # --- models and styles --------------------------------------------------

    def _models(self) -> list[type[RemoteModel]]:
        from django_api_orm.models.registry import registered_models

        if self.models is not None:
            for model in self.models:
                if model._meta.service != self.alias:
                    raise ValueError(
                        f"{model.__name__} is on the service {model._meta.service!r}, not "
                        f"{self.alias!r}: this FakeService does not serve it."
                    )
            return list(self.models)
        return [
            m
            for m in registered_models()
            if m._meta.service == self.alias
            and m._meta.endpoint
            and not m._meta.abstract
            and not m._meta.embedded
        ]

    def _route(self, model: type[RemoteModel]) -> _Route:
        opts = model._meta
        if not opts.endpoint:
            raise ValueError(f"{model.__name__} has no endpoint: FakeService cannot serve it.")
        route = self._routes.get(opts.endpoint)
        if route is None:
            list_pattern, detail_pattern = _patterns(opts.endpoint)
            route = _Route([model], list_pattern, detail_pattern)
            self._routes[opts.endpoint] = route
        elif model not in route.models:
            route.models.append(model)
        return route

    def _check_dialect(self, dialect: Any) -> str:
        """Return ``"drf"`` or ``"netbox"``: the wire the alias's dialect speaks; raise
        ``NotSupportedError`` for a dialect that changes it otherwise."""
        from django_api_orm.dialects.drf import DRFDialect
        from django_api_orm.dialects.netbox import NetBoxDialect
        from django_api_orm.exceptions import NotSupportedError

        kind = type(dialect)
        speaks, reference = "drf", DRFDialect
        attributes: tuple[str, ...] = _WIRE_ATTRIBUTES
        if isinstance(dialect, NetBoxDialect):
            speaks, reference, attributes = "netbox", NetBoxDialect, _NETBOX_WIRE_ATTRIBUTES
        changed = [
            name
            for name in attributes
            if not isinstance(dialect, DRFDialect)
            or getattr(kind, name) is not getattr(reference, name)
        ]
        if changed:
            raise NotSupportedError(
                f"FakeService speaks Django REST framework + django-filter (DRFDialect) and "
                f"NetBox (NetBoxDialect); the service {self.alias!r} uses {kind.__name__}, "
                f"which changes {reference.__name__}'s "
                f"{', '.join(changed[:6])}{'...' if len(changed) > 6 else ''}. Its answers "
                "would not be what that provider sends: test this alias against respx or a "
                "recorded provider instead."
            )
        return speaks

    def _style(self, model: type[RemoteModel]) -> Any:
        from django_api_orm.conf import merge_pagination
        from django_api_orm.exceptions import NotSupportedError
        from django_api_orm.pagination.styles import (
            Cursor,
            LimitOffset,
            LinkHeader,
            NoPagination,
            PageNumber,
        )
        from django_api_orm.services import services

        config = services.config(self.alias)
        dialect = services.dialect(self.alias)
        base = {**config.pagination, **dialect.default_pagination, **config.pagination_given}
        opts = model._meta
        merged = merge_pagination(base, opts.pagination, where=f"{opts.label}.Meta.pagination")
        cls = dialect.pagination_style(merged["STYLE"])
        if cls not in (PageNumber, LimitOffset, Cursor, NoPagination, LinkHeader):
            raise NotSupportedError(
                f"FakeService cannot serve {model.__name__}'s pagination style "
                f"{merged['STYLE']!r} ({cls.__name__}): it serves page_number, limit_offset, "
                "cursor, link_header and none."
            )
        return cls(int(merged["PAGE_SIZE"]), merged["PAGE_SIZE_PARAM"])

    # --- answering ------------------------------------------------------------

    def _answer(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.requests.append(request)
            try:
                status, body, headers = self._dispatch(request)
            except Reply as reply:
                status, body, headers = reply.status, reply.body, reply.headers
        if body is None:
            return httpx.Response(status, headers=headers, stream=httpx.ByteStream(b""))
        content = json.dumps(body, separators=(",", ":")).encode()
        return httpx.Response(
            status,
            headers={"Content-Type": "application/json", **headers},
            stream=httpx.ByteStream(content),
        )

    def _dispatch(self, request: httpx.Request) -> tuple[int, Any, dict[str, str]]:
        path = request.url.raw_path.decode("ascii").partition("?")[0]  # still encoded
        if not path.startswith(self._base_path):
            raise Reply(404, {"detail": "Not found."})
        relative = path[len(self._base_path) :]
        method = request.method
        for route in self._routes.values():
            detail = route.detail_pattern.fullmatch(relative)
            found = route.list_pattern.fullmatch(relative)
            if detail is None and found is None:
                continue
            self._fault(route, request)
            if found is not None:
                parents = {k: unquote(v) for k, v in found.groupdict().items()}
                self._check_parents(route, parents)
                if method == "GET":
                    return 200, *self._list(route, request, parents)
                if method == "POST":
                    body = self._write_body(route, request)
                    return 201, self._shown(route, self._create(route, body, parents)), {}
                raise Reply(405, {"detail": f'Method "{method}" not allowed.'})
            assert detail is not None
            groups = {k: unquote(v) for k, v in detail.groupdict().items()}
            pk = groups.pop("pk")
            row = route.rows.get(pk)
            missing = row is None or any(
                str(row.get(route.model._meta.get_field(k).source)) != v for k, v in groups.items()
            )
            if missing and method in ("GET", "PUT", "PATCH", "DELETE"):
                raise Reply(404, {"detail": f"No {route.model.__name__} matches the given query."})
            if method == "GET":
                return 200, self._shown(route, row or {}), {}
            if method in ("PUT", "PATCH"):
                assert row is not None
                return (
                    200,
                    self._shown(
                        route,
                        self._update(
                            route, row, self._write_body(route, request), partial=method == "PATCH"
                        ),
                    ),
                    {},
                )
            if method == "DELETE":
                del route.rows[pk]
                return 204, None, {}
            raise Reply(405, {"detail": f'Method "{method}" not allowed.'})
        for endpoint, why in self._unserved.items():
            list_pattern, detail_pattern = _patterns(endpoint)
            if list_pattern.fullmatch(relative) or detail_pattern.fullmatch(relative):
                raise Reply(501, {"detail": why})
        raise Reply(404, {"detail": "Not found."})

    def _check_parents(self, route: _Route, parents: Mapping[str, str]) -> None:
        """Answer 404 when a nested endpoint's parent (``authors/7/books/``) is not stored."""
        for name, value in parents.items():
            target = self._served(route.model._meta.get_field(name))
            if target is not None and value not in target.rows:
                raise Reply(404, {"detail": f"No {target.model.__name__} matches the given query."})

    def _fault(self, route: _Route, request: httpx.Request) -> None:
        if not route.faults:
            return
        fault = route.faults[0]
        fault.times -= 1
        if fault.times <= 0:
            route.faults.pop(0)
        if fault.exception is not None:
            error = fault.exception
            if isinstance(error, type):
                if issubclass(error, httpx.RequestError):
                    raise error("FakeService.fail()", request=request)
                raise error("FakeService.fail()")
            raise error
        raise Reply(fault.status, {"detail": f"FakeService.fail(): answered {fault.status}."})

    def _shown(self, route: _Route, row: Mapping[str, Any]) -> dict[str, Any]:
        """A stored row as the provider answers it (NetBox wraps choices and relations)."""
        return dict(row) if self._netbox is None else self._netbox.render(route, row)

    def _write_body(self, route: _Route, request: httpx.Request) -> dict[str, Any]:
        body = self._body(request)
        return body if self._netbox is None else self._netbox.read_body(route, body)

    @staticmethod
    def _body(request: httpx.Request) -> dict[str, Any]:
        try:
            data = json.loads(request.content or b"null")
        except ValueError:
            raise Reply(400, {"detail": "JSON parse error."}) from None
        if not isinstance(data, dict):
            raise Reply(
                400,
                {
                    "non_field_errors": [
                        f"Invalid data. Expected a dictionary, but got {type(data).__name__}."
                    ]
                },
            )
        return data

    # --- writes -------------------------------------------------------------

    def _clean(
        self,
        route: _Route,
        body: Mapping[str, Any],
        *,
        partial: bool,
        trusted: bool,
        creating: bool,
        model: type[RemoteModel],
    ) -> dict[str, Any]:
        """Return the wire values of ``body`` the provider keeps; raise 400 with DRF's errors."""
        from django.core.exceptions import ValidationError

        opts = model._meta
        out: dict[str, Any] = {}
        errors: dict[str, list[str]] = {}
        for f in opts.fields:
            if f.read_only and not trusted:
                continue
            if f.source not in body:
                if partial or f.read_only or f is opts.pk:
                    continue
                if not f.has_default() and not f.null:
                    errors[f.source] = ["This field is required."]
                elif creating:  # an update leaves a field it was not sent alone
                    out[f.source] = f.to_wire(f.get_default()) if f.has_default() else None
                continue
            raw = body[f.source]
            if raw is None:
                if not f.null:
                    errors[f.source] = ["This field may not be null."]
                else:
                    out[f.source] = None
                continue
            try:
                out[f.source] = f.to_wire(f.to_python(raw))
            except ValidationError as exc:
                errors[f.source] = list(exc.messages)
                continue
            target = self._served(f)
            if target is not None:
                pks = out[f.source] if isinstance(out[f.source], list) else [out[f.source]]
                for pk in pks:
                    if str(pk) not in target.rows:
                        errors[f.source] = [f'Invalid pk "{pk}" - object does not exist.']
        if errors:
            raise Reply(400, errors)
        return out

    def _served(self, f: Field) -> _Route | None:
        """The route of a relation's target when this fake serves it, else ``None``."""
        if not getattr(f, "is_relation", False):
            return None
        to = f.to  # type: ignore[attr-defined]
        if to._meta.service != self.alias or not to._meta.endpoint:
            return None
        return self._route(to)

    def _create(
        self,
        route: _Route,
        body: Mapping[str, Any],
        parents: Mapping[str, str],
        *,
        model: type[RemoteModel] | None = None,
        trusted: bool = False,
    ) -> dict[str, Any]:
        if model is None:
            model = route.writer(body)
        opts = model._meta
        for name, value in parents.items():
            body = {**body, opts.get_field(name).source: value}
        row = self._clean(route, body, partial=False, trusted=trusted, creating=True, model=model)
        for f in opts.fields:
            if f.source in row or f is opts.pk:
                continue
            if f.has_default():
                row[f.source] = f.to_wire(f.get_default())
            elif f.get_internal_type() in ("DateTimeField", "DateField"):
                now = datetime.datetime.now(datetime.UTC)
                row[f.source] = f.to_wire(
                    now if f.get_internal_type() == "DateTimeField" else now.date()
                )
            else:
                row[f.source] = None
        pk_source = opts.pk.source
        pk = row.get(pk_source)
        if pk is None:
            if opts.pk.get_internal_type() != "IntegerField" and not opts.pk.read_only:
                raise Reply(400, {pk_source: ["This field is required."]})
            while str(route.next_pk) in route.rows:
                route.next_pk += 1
            pk = route.next_pk
            row[pk_source] = pk
        if str(pk) in route.rows:
            raise Reply(
                400, {pk_source: [f"{route.model.__name__} with this {pk_source} already exists."]}
            )
        if isinstance(pk, int) and pk >= route.next_pk:
            route.next_pk = pk + 1
        ordered = {f.source: row.get(f.source) for f in opts.fields}
        route.rows[str(pk)] = ordered
        return dict(ordered)

    def _update(
        self, route: _Route, row: dict[str, Any], body: Mapping[str, Any], *, partial: bool
    ) -> dict[str, Any]:
        model = route.writer(body)
        changes = self._clean(
            route, body, partial=partial, trusted=False, creating=False, model=model
        )
        pk_source = route.model._meta.pk.source
        changes.pop(pk_source, None)  # a pk is not changed by an update
        row.update(changes)
        return dict(row)

    # --- lists --------------------------------------------------------------

    def _list(
        self, route: _Route, request: httpx.Request, parents: Mapping[str, str]
    ) -> tuple[Any, dict[str, str]]:
        opts = route.model._meta
        style = self._style(route.model)
        params = parse_qs(request.url.query.decode(), keep_blank_values=True)
        if self._netbox is not None:
            return self._netbox_list(route, request, parents, style, params)
        paging = paging_params(style)
        ordering: list[str] = []
        tests: list[Callable[[dict[str, Any]], bool]] = []
        for name, values in params.items():
            value = values[-1]
            if name in paging or name == "format":
                continue
            if name == "ordering":
                ordering = self._ordering(route, value)
                continue
            if value == "":
                continue  # django-filter: an empty value is no filter
            tests.append(self._filter(route, name, value))
        rows = [
            row
            for row in route.rows.values()
            if all(str(row.get(opts.get_field(k).source)) == v for k, v in parents.items())
            and all(test(row) for test in tests)
        ]
        rows = self._sorted(route, rows, ordering)
        return paginate(style, rows, request, params)

    def _netbox_list(
        self,
        route: _Route,
        request: httpx.Request,
        parents: Mapping[str, str],
        style: Any,
        params: Mapping[str, list[str]],
    ) -> tuple[Any, dict[str, str]]:
        """A list answer as NetBox writes it (``_fake_netbox`` reads the parameters)."""
        assert self._netbox is not None
        opts = route.model._meta
        tests, ordering, brief = self._netbox.read_list(route, params)
        found = [
            row
            for row in route.rows.values()
            if all(str(row.get(opts.get_field(k).source)) == v for k, v in parents.items())
            and all(test(row) for test in tests)
        ]
        shown = [
            self._netbox.render(route, row, brief=brief)
            for row in self._sorted(route, found, ordering)
        ]
        return paginate(style, shown, request, params)

    def _ordering(self, route: _Route, value: str) -> list[str]:
        out = []
        for term in (t.strip() for t in value.split(",")):
            if not term:
                continue
            name = term.removeprefix("-")
            if not any(orders_on(model, name) for model in route.models):
                declared = [m._meta.ordering_fields for m in route.models]
                choices = (
                    ", ".join(sorted(set().union(*declared)))  # type: ignore[arg-type]
                    if all(d is not None for d in declared)
                    else "the model's fields"
                )
                raise Reply(
                    400, {"ordering": [f"Invalid ordering field '{name}'. Choices are: {choices}."]}
                )
            out.append(term)
        return out

    def _sorted(
        self, route: _Route, rows: list[dict[str, Any]], ordering: list[str]
    ) -> list[dict[str, Any]]:
        pk = route.model._meta.pk
        terms = [*ordering, pk.source]
        for term in reversed(terms):
            name = term.removeprefix("-")
            f = next(
                (found for m in route.models if (found := field_by_source(m, name)) is not None),
                pk,
            )
            rows = sorted(rows, key=row_key(f), reverse=term.startswith("-"))
        return rows

    def _filter(self, route: _Route, param: str, raw: str) -> Callable[[dict[str, Any]], bool]:
        """Return the test of one filter parameter; raise 400 for one the provider lacks."""
        for model in route.models:
            test = self._model_filter(model, param, raw)
            if test is not None:
                return test
        known = sorted({p for m in route.models for p in known_params(m)})
        raise Reply(
            400,
            {
                param: [
                    f"Unknown filter. This endpoint filters on: {', '.join(known) or 'nothing'}."
                ]
            },
        )

    def _model_filter(
        self, model: type[RemoteModel], param: str, raw: str
    ) -> Callable[[dict[str, Any]], bool] | None:
        """The test of one filter parameter as ``model`` declares it, or ``None``."""
        from django_api_orm.models.lookups import LOOKUPS

        opts = model._meta
        negated = False
        names_key = None
        for key, name in opts.exclude_filters.items():
            if name == param:
                negated, names_key = True, key
                break
        if names_key is None:
            path, sep, last = param.rpartition("__")
            lookup = last if sep and last in LOOKUPS else "exact"
            wire_path = path if sep and last in LOOKUPS else param
        else:
            path, sep, last = names_key.rpartition("__")
            lookup = last if sep and last in LOOKUPS else "exact"
            wire_path = path if sep and last in LOOKUPS else names_key
        resolved = resolve(model, wire_path, by_name=names_key is not None)
        declared = opts.filter_fields
        names = None if resolved is None else "__".join(f.name for f in resolved)
        allowed = resolved is not None and (
            names_key is not None
            or declared is None
            or lookup in declared.get(names or "", ())
            or (len(resolved) == 1 and resolved[0] is opts.pk and lookup in declared.get("pk", ()))
        )
        if not allowed or resolved is None:
            return None
        last_field = resolved[-1]
        value = decode(last_field, lookup, raw, param)
        target = self._served(last_field)
        if target is not None and lookup in ("exact", "in"):
            # django-filter's ModelChoiceFilter: a pk that names no row is invalid.
            for pk in value if lookup == "in" else [value]:
                if str(pk) not in target.rows:
                    raise Reply(
                        400,
                        {
                            param: [
                                "Select a valid choice. That choice is not one of the "
                                "available choices."
                            ]
                        },
                    )
        match = matcher(lookup, value)
        fields = resolved

        def test(row: dict[str, Any]) -> bool:
            values = self._values_at(fields, row)
            result = any(match(v) for v in values)
            return not result if negated else result

        return test

    def _values_at(self, fields: list[Field], row: dict[str, Any]) -> list[Any]:
        """The values a path of fields reaches from ``row`` (several through a list)."""
        current: list[Any] = [row]
        for index, f in enumerate(fields):
            last = index == len(fields) - 1
            found: list[Any] = []
            for item in current:
                raw = item.get(f.source) if isinstance(item, dict) else None
                if last:
                    found.append(python_value(f, raw))
                    continue
                target = self._served(f)
                if target is None or raw is None:
                    found.append(None)
                    continue
                related = target.rows.get(str(raw))
                found.append(related)
            current = found
        return current
