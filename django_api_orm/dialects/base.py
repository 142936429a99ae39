"""``BaseDialect``: every question about the wire a provider's conventions answer.

A dialect turns a query into parameters (filters, exclusions, ordering, values),
builds list and detail paths and request bodies, and reads what comes back:
list pages (through a pagination style), detail answers, nested related objects,
choice values and error bodies. It opens no connection: the compiler sends what
it builds. Subclass it (or ``DRFDialect``) and name the class in a service's
``DIALECT`` setting; ``docs/topics/dialects.rst`` walks through one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import quote

from django_api_orm.exceptions import (
    NON_FIELD_KEYS,
    BadRequestError,
    HTTPStatusError,
    InvalidResponseError,
    NotSupportedError,
    errors_from_body,
)
from django_api_orm.pagination.styles import Page, PaginationStyle, Params, get_style
from django_api_orm.protocols import FieldLike, LookupLike, OptionsLike, QueryLike
from django_api_orm.urls import quote_segment

__all__ = ["BaseDialect", "Page", "Params"]


class BaseDialect:
    """The conventions of one kind of API. Subclass it and name it in ``DIALECT``.

    The defaults speak plain JSON over REST routes (``books/`` and ``books/3/``,
    bodies and answers are the rows themselves); a subclass answers the
    questions its provider answers differently.
    """

    #: The lookups this dialect can send, or ``None`` for every lookup the ORM
    #: parses. A lookup outside it raises ``NotSupportedError`` before any request.
    lookups: ClassVar[frozenset[str] | None] = None
    #: Whether several values of one parameter (``__in``) repeat it, as
    #: ``x__in=1&x__in=2``, rather than travel as one comma-separated value
    #: (``x__in=1,2``). A provider that wants ``x=1&x=2`` also renames the
    #: parameter, in ``lookup_param()``.
    repeat_multiple_values: ClassVar[bool] = False
    #: The pagination styles this dialect reads differently, by ``STYLE`` name.
    #: Other names come from the registry (``register_style``).
    pagination_styles: ClassVar[Mapping[str, type[PaginationStyle]]] = {}
    #: The ordering parameter, or ``None`` where the provider cannot order.
    ordering_param: ClassVar[str | None] = "ordering"
    #: Keys of an error body that hold messages about no one field.
    non_field_error_keys: ClassVar[tuple[str, ...]] = NON_FIELD_KEYS
    #: Whether the provider negates any filter itself (NetBox's ``name__n``). If not,
    #: ``exclude()`` needs the provider's exclusion filter in ``Meta.exclude_filters``.
    negates_filters: ClassVar[bool] = False
    #: The parameter of the provider's free-text search (``QuerySet.search()``), or
    #: ``None`` where it has none. DRF's ``SearchFilter`` reads ``search``.
    search_param: ClassVar[str | None] = None
    #: Pagination settings this dialect's providers use unless ``PAGINATION`` says
    #: otherwise (``{"STYLE": "limit_offset", ...}``).
    default_pagination: ClassVar[Mapping[str, Any]] = {}
    #: Query parameters that are never filters (pages, formats), for ``read_param()``.
    non_filter_params: ClassVar[frozenset[str]] = frozenset(
        {"page", "page_size", "per_page", "limit", "offset", "cursor", "format", "search"}
    )

    # --- filters ------------------------------------------------------------

    def filter_params(self, query: QueryLike) -> Params:
        """Return the parameters that express ``query``'s filters and exclusions.

        One parameter sent twice with different values raises ``NotSupportedError``:
        a server reads one of them, and which one is not ours to guess (unless
        ``ands_repeated_values()`` says it reads them all at once).
        """
        out = _ParamSet(self.ands_repeated_values)
        opts = query.opts
        for negated, lookups in ((False, query.where), (True, query.excludes)):
            for lookup in lookups:
                if not negated and lookup.name == "exact" and lookup.names in opts.path_parents:
                    continue  # sent in the URL's path, not as a parameter
                self.check_lookup(lookup, opts)
                for name, values in self.lookup_params(lookup, opts, negated=negated):
                    out.add(name, values, lookup)
        params = out.params
        if query.search is not None:
            params = params + self.search_params(query.search, opts)
        return params

    def lookup_params(
        self, lookup: LookupLike, opts: OptionsLike, *, negated: bool
    ) -> list[tuple[str, list[str]]]:
        """Return the ``(parameter, values)`` pairs that send ``lookup`` (or, ``negated``,
        its exclusion); several values of one parameter repeat it."""
        if negated:
            self.check_exclusion(lookup, opts)
            return [(self.exclude_param(lookup, opts), self.lookup_values(lookup))]
        return [(self.lookup_param(lookup), self.lookup_values(lookup))]

    def ands_repeated_values(self, param: str) -> bool:
        """Tell whether the provider reads ``param``, repeated, as all of its values at
        once (NetBox's negations: ``x__n=1&x__n=2`` is neither 1 nor 2), so that two
        conditions on it can be sent together."""
        return False

    def check_exclusion(self, lookup: LookupLike, opts: OptionsLike) -> None:
        """Raise ``NotSupportedError`` unless ``exclude()`` of ``lookup`` can be sent.

        By default the provider must declare an exclusion filter for it
        (``Meta.exclude_filters``): a filter API has no general NOT.
        """
        mapping = opts.exclude_filters
        if lookup.key not in mapping:
            known = ", ".join(sorted(mapping)) or "none"
            raise NotSupportedError(
                f"{opts.object_name} cannot exclude '{lookup.written}': a filter API has no "
                "general NOT. Declare the provider's exclusion filter (a django-filter filter "
                f"with exclude=True) in Meta.exclude_filters = {{{lookup.key!r}: "
                f"'<parameter>'}}. Declared: {known}."
            )

    def search_params(self, term: str, opts: OptionsLike) -> Params:
        """Return the parameters of a free-text search for ``term`` (``QuerySet.search()``)."""
        if self.search_param is None:
            raise NotSupportedError(
                f"{type(self).__name__} has no search parameter: {opts.object_name} cannot be "
                "searched. Filter on fields instead."
            )
        return [(self.search_param, term)]

    def check_lookup(self, lookup: LookupLike, opts: OptionsLike) -> None:
        """Raise ``NotSupportedError`` unless this dialect can send ``lookup``."""
        if self.lookups is not None and lookup.name not in self.lookups:
            raise NotSupportedError(
                f"{opts.object_name} cannot be filtered on '{lookup.written}': "
                f"{type(self).__name__} has no '{lookup.name}' lookup. It sends: "
                f"{', '.join(sorted(self.lookups))}."
            )

    def lookup_param(self, lookup: LookupLike) -> str:
        """Return the parameter name of ``lookup``: the wire path, then ``__name``."""
        return lookup.param

    def exclude_param(self, lookup: LookupLike, opts: OptionsLike) -> str:
        """Return the parameter of the provider's exclusion filter for ``lookup``."""
        return opts.exclude_filters[lookup.key]

    def param_names(self, lookup: LookupLike, opts: OptionsLike, *, negated: bool) -> list[str]:
        """Return the names of the parameters that send ``lookup`` (or its exclusion)."""
        return [name for name, _ in self.lookup_params(lookup, opts, negated=negated)]

    def lookup_values(self, lookup: LookupLike) -> list[str]:
        """Return ``lookup``'s value as the parameter values to send (several: repeated)."""
        if lookup.name in ("in", "range"):
            parts = [self.encode_value(item, lookup) for item in lookup.value]
            if lookup.name == "in" and self.repeat_multiple_values:
                return parts
            for part in parts:
                if "," in part:
                    raise NotSupportedError(
                        f"Cannot send {lookup.written}: the value {part!r} contains a comma, "
                        "and the provider splits this parameter's values on commas."
                    )
            return [",".join(parts)]
        return [self.encode_value(lookup.value, lookup)]

    def encode_value(self, value: Any, lookup: LookupLike) -> str:
        """Return one filter value as a query-string value."""
        raise NotImplementedError

    def ordering_params(self, query: QueryLike, ordering: Sequence[str]) -> Params:
        """Return the parameters that ask for ``ordering`` (``-`` for descending)."""
        if not ordering:
            return []
        if self.ordering_param is None:
            raise NotSupportedError(f"{type(self).__name__} cannot ask the provider to order.")
        names = []
        for name in ordering:
            descending = name.startswith("-")
            wire = query.wire_ordering_name(name.removeprefix("-"))
            names.append(f"-{wire}" if descending else wire)
        return [(self.ordering_param, ",".join(names))]

    def encode_query(self, params: Params) -> str:
        """Return ``params`` as a query string, byte for byte what is sent."""
        return "&".join(f"{quote(k, safe='')}={quote(v, safe=',:')}" for k, v in params)

    def read_param(self, name: str) -> tuple[str, str, bool] | None:
        """Read a documented query parameter back as ``(field path, lookup, negated)``.

        The reverse of ``lookup_param()``, for ``manage.py inspectapi``: ``price__lt``
        is ``("price", "lt", False)``, ``title`` is ``("title", "exact", False)``. Return
        ``None`` for a parameter that is no filter: the ordering and search parameters
        and the pagination styles' own (``page``, ``page_size``, ``limit``, ``offset``,
        ``cursor``...). By default the last ``__`` part is the lookup when the ORM knows
        it, and nothing is negated (an exclusion filter is the provider's own name).
        """
        from django_api_orm.models.lookups import LOOKUPS

        if name in self.non_filter_params or name in (self.ordering_param, self.search_param):
            return None
        path, sep, last = name.rpartition("__")
        if sep and path and last in LOOKUPS:
            return path, last, False
        return name, "exact", False

    # --- pages --------------------------------------------------------------

    def pagination_style(self, name: str) -> type[PaginationStyle]:
        """Return the pagination style class called ``name`` for this dialect."""
        return self.pagination_styles.get(name) or get_style(name)

    def parse_page(
        self,
        data: Any,
        headers: Mapping[str, str],
        style: PaginationStyle,
        opts: OptionsLike,
        *,
        where: str,
    ) -> Page:
        """Read one list answer of ``opts``'s model in ``style``: its rows, ``next``
        and ``count``. Each row must come out as a dict of wire names to values."""
        return style.parse(data, headers, where=where)

    def is_page_out_of_range(self, error: HTTPStatusError) -> bool:
        """Tell whether ``error`` means "no such page" rather than a real failure."""
        return False

    # --- paths --------------------------------------------------------------

    def list_path(self, opts: OptionsLike, parents: Mapping[str, Any]) -> str:
        """Return the list endpoint, relative to the service's BASE_URL.

        ``parents`` holds the wire value of each ``{placeholder}`` of a nested
        endpoint (``"authors/{author}/books/"``); each becomes one path segment.
        """
        endpoint = opts.endpoint
        if endpoint is None:
            raise NotSupportedError(f"{opts.object_name} has no endpoint.")
        if not parents:
            return endpoint
        return endpoint.format(**{k: quote_segment(str(v)) for k, v in parents.items()})

    def detail_path(self, opts: OptionsLike, pk: Any, parents: Mapping[str, Any]) -> str:
        """Return the detail endpoint of the object whose wire primary key is ``pk``."""
        endpoint = self.list_path(opts, parents)
        segment = quote_segment(str(pk))
        if endpoint.endswith("/"):
            return f"{endpoint}{segment}/"
        return f"{endpoint}/{segment}"

    def action_path(self, opts: OptionsLike, base: str, action: str) -> str:
        """Return the path of the route ``action`` below ``base`` (a list or detail path).

        DRF's routers (and NetBox's) serve an ``@action`` at ``{base}{url_path}/``:
        ``books/recent/`` and ``books/3/publish/``. ``action`` has been checked to
        be one path segment; it is percent-encoded here. A base without a trailing
        slash gets none either, as ``detail_path()`` builds it.
        """
        segment = quote_segment(action)
        if base.endswith("/"):
            return f"{base}{segment}/"
        return f"{base}/{segment}"

    # --- bodies -------------------------------------------------------------

    def create_body(self, opts: OptionsLike, values: Mapping[str, Any]) -> Any:
        """Return the JSON body that creates an object with ``values`` (wire names)."""
        return dict(values)

    def update_method(self, *, partial: bool) -> str:
        """Return the method of an update: ``PUT`` of every field, or ``PATCH`` of some."""
        return "PATCH" if partial else "PUT"

    def update_body(
        self, opts: OptionsLike, pk: Any, values: Mapping[str, Any], *, partial: bool
    ) -> Any:
        """Return the JSON body updating the object whose wire primary key is ``pk``
        with ``values`` (every writable field, or with ``partial`` only some)."""
        return dict(values)

    # --- answers ------------------------------------------------------------

    def parse_detail(self, data: Any, opts: OptionsLike, *, where: str) -> dict[str, Any]:
        """Return the row of a detail answer (or of the answer to a write)."""
        if not isinstance(data, dict):
            raise InvalidResponseError(
                f"{where}: expected the {opts.object_name} as a JSON object, got "
                f"{type(data).__name__}."
            )
        return data

    def related_pk(self, value: Any, target: FieldLike) -> tuple[Any, dict[str, Any] | None]:
        """Return ``(wire pk, nested row or None)`` of a foreign key's wire value.

        A nested object (``{"id": 7, "name": ...}``) gives its pk and itself as
        the related row; a bare value is the pk.
        """
        if isinstance(value, dict):
            if target.source not in value:
                raise ValueError(f"a nested object without its '{target.source}' key")
            pk = value[target.source]
            if pk is None:
                raise ValueError(f"a nested object whose '{target.source}' is null")
            return pk, value
        return value, None

    def choice_value(self, value: Any) -> Any:
        """Return the value of a choice field as sent (a provider may wrap it)."""
        return value

    def choice_label(self, value: Any) -> str | None:
        """Return the label a provider sent with a choice's value, or ``None``."""
        return None

    def error_messages(self, body: Any) -> dict[str, list[str]] | list[str]:
        """Return an error body as Django's ``ValidationError`` takes it."""
        return errors_from_body(body, self.non_field_error_keys)

    def bad_request(self, error: BadRequestError) -> BadRequestError:
        """Return ``error`` with its messages read by this dialect."""
        return BadRequestError(
            error.message,
            method=error.method,
            url=error.url,
            status_code=error.status_code,
            body=error.body,
            headers=error.headers,
            errors=self.error_messages(error.body),
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


class _ParamSet:
    """Parameters in order; the same name twice must carry the same values.

    ``anded`` tells which names the provider reads, when repeated, as all of their
    values at once (``BaseDialect.ands_repeated_values``): two conditions on such a
    name are sent together, as both hold.
    """

    def __init__(self, anded: Callable[[str], bool] | None = None) -> None:
        self.params: Params = []
        self._seen: dict[str, tuple[list[str], str]] = {}
        self._anded = anded

    def add(self, name: str, values: list[str], lookup: LookupLike) -> None:
        previous = self._seen.get(name)
        if previous is not None and self._anded is not None and self._anded(name):
            new = [value for value in values if value not in previous[0]]
            self._seen[name] = ([*previous[0], *new], previous[1])
            self.params.extend((name, value) for value in new)
            return
        if previous is not None:
            if previous[0] != values:
                raise NotSupportedError(
                    f"Cannot send both {previous[1]}={','.join(previous[0])!r} and "
                    f"{lookup.written}={','.join(values)!r}: they are the same parameter "
                    f"'{name}', and the server would read only one. Combine them into one "
                    "condition."
                )
            return
        self._seen[name] = (values, lookup.written)
        self.params.extend((name, value) for value in values)
