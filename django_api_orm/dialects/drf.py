"""Django REST framework + django-filter, byte for byte.

``filter(title__in=["x", "y"], price__lt=20, published__isnull=True)`` becomes
``title__in=x,y&price__lt=20&published__isnull=true``; ``order_by("-price")``
becomes ``ordering=-price``; pages are DRF's ``{"count", "next", "results"}``
(or a bare list with ``STYLE: "none"``).
"""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from django_api_orm.client._urls import quote_segment
from django_api_orm.dialects.base import BaseDialect, Page, Params
from django_api_orm.exceptions import InvalidResponseError, NotSupportedError

if TYPE_CHECKING:
    from django_api_orm.exceptions import HTTPStatusError
    from django_api_orm.models.base import RemoteModel
    from django_api_orm.models.lookups import Lookup
    from django_api_orm.query import Query

__all__ = ["DRFDialect"]


class DRFDialect(BaseDialect):
    """Django REST framework's routers and pagination, django-filter's parameters."""

    ordering_param = "ordering"
    page_param = "page"
    limit_param = "limit"
    offset_param = "offset"

    # --- filters ------------------------------------------------------------

    def filter_params(self, query: Query) -> Params:
        params: dict[str, str] = {}
        sources: dict[str, str] = {}
        in_path = query.model._meta.path_parents
        for lookup in query.where:
            if lookup.name == "exact" and lookup.names in in_path:
                continue  # sent in the URL's path, not as a parameter
            self._add(params, sources, lookup.param, self.encode_lookup(lookup), lookup)
        mapping = query.model._meta.exclude_filters
        for lookup in query.excludes:
            self._add(params, sources, mapping[lookup.key], self.encode_lookup(lookup), lookup)
        return list(params.items())

    @staticmethod
    def _add(
        params: dict[str, str], sources: dict[str, str], name: str, value: str, lookup: Lookup
    ) -> None:
        previous = params.get(name)
        if previous is not None and previous != value:
            raise NotSupportedError(
                f"Cannot send both {sources[name]}={previous!r} and {lookup.written}={value!r}: "
                f"they are the same parameter '{name}', and the server would read only one. "
                "Combine them into one condition."
            )
        params[name] = value
        sources[name] = lookup.written

    def encode_lookup(self, lookup: Lookup) -> str:
        if lookup.name in ("in", "range"):
            parts = [self.encode_value(item, lookup) for item in lookup.value]
            for part in parts:
                if "," in part:
                    raise NotSupportedError(
                        f"Cannot send {lookup.written}: the value {part!r} contains a comma, "
                        "and django-filter splits this parameter's values on commas."
                    )
            return ",".join(parts)
        return self.encode_value(lookup.value, lookup)

    def encode_value(self, value: Any, lookup: Lookup) -> str:
        """Return one filter value as django-filter parses it."""
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, int | float | decimal.Decimal | uuid.UUID):
            text = str(value)
        elif isinstance(value, str):
            text = value
        elif isinstance(value, datetime.datetime | datetime.date | datetime.time):
            text = value.isoformat()
        elif isinstance(value, datetime.timedelta):
            text = str(lookup.field.to_wire(value))
        else:
            raise NotSupportedError(
                f"Cannot send {lookup.written}={value!r}: a {type(value).__name__} has no "
                "query-string form."
            )
        if text == "":
            raise NotSupportedError(
                f"Cannot send {lookup.written}='': django-filter reads an empty value as "
                "'no filter' and would return every row. Filter on __isnull, or on a "
                "non-empty value."
            )
        return text

    def ordering_params(self, query: Query, ordering: Sequence[str]) -> Params:
        if not ordering:
            return []
        names = []
        for name in ordering:
            descending = name.startswith("-")
            wire = query.wire_ordering_name(name.removeprefix("-"))
            names.append(f"-{wire}" if descending else wire)
        return [(self.ordering_param, ",".join(names))]

    # --- pages --------------------------------------------------------------

    def page_params(
        self, style: str, size_param: str, *, page: int, size: int, offset: int
    ) -> Params:
        if style == "page_number":
            params = [(size_param, str(size))]
            return [(self.page_param, str(page)), *params] if page != 1 else params
        if style == "limit_offset":
            params = [(self.limit_param, str(size))]
            return [*params, (self.offset_param, str(offset))] if offset else params
        if style == "cursor":
            return [(size_param, str(size))]
        return []

    def encode_query(self, params: Params) -> str:
        return "&".join(f"{quote(k, safe='')}={quote(v, safe=',:')}" for k, v in params)

    def parse_page(self, data: Any, style: str, *, where: str) -> Page:
        if style == "none":
            if isinstance(data, list):
                return Page(data, None, len(data))
            raise InvalidResponseError(
                f"{where}: expected a JSON array (PAGINATION STYLE 'none'), got "
                f"{type(data).__name__}. Set PAGINATION STYLE to the provider's pagination."
            )
        if not isinstance(data, dict) or not isinstance(data.get("results"), list):
            raise InvalidResponseError(
                f"{where}: expected a {style} page (a JSON object with a 'results' list), got "
                f"{_shape(data)}. Set PAGINATION STYLE to 'none' if the provider does not paginate."
            )
        next_url = data.get("next")
        count = data.get("count")
        if next_url is not None and not isinstance(next_url, str):
            raise InvalidResponseError(f"{where}: 'next' is not a URL: {next_url!r}.")
        if count is not None and (type(count) is not int or count < 0):
            raise InvalidResponseError(f"{where}: 'count' is not a count: {count!r}.")
        return Page(data["results"], next_url, count)

    def is_page_out_of_range(self, error: HTTPStatusError) -> bool:
        # DRF's PageNumberPagination answers a page past the end with 404 "Invalid page."
        body = error.body
        return (
            error.status_code == 404
            and isinstance(body, dict)
            and str(body.get("detail", "")).startswith("Invalid page")
        )

    # --- paths --------------------------------------------------------------

    def list_path(
        self,
        model: type[RemoteModel],
        query: Query | None = None,
        instance: RemoteModel | None = None,
    ) -> str:
        endpoint = model._meta.endpoint
        assert endpoint is not None
        parents = model._meta.path_parents
        if not parents:
            return endpoint
        segments = {}
        for name in parents:
            field = model._meta.get_field(name)
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
                    f"{model.__name__}'s endpoint {endpoint!r} needs the {name} to build its URL: "
                    f"use filter({name}=...), the related manager (parent.{model._meta.model_name}"
                    f"_set or its related_name), or set {field.attname} on the instance."
                )
            segments[name] = quote_segment(str(field.to_wire(value)))
        return endpoint.format(**segments)

    def detail_path(
        self,
        model: type[RemoteModel],
        pk: Any,
        query: Query | None = None,
        instance: RemoteModel | None = None,
    ) -> str:
        endpoint = self.list_path(model, query, instance)
        wire = model._meta.pk.to_wire(model._meta.pk.get_prep_value(pk))
        segment = quote_segment(str(wire))
        if endpoint.endswith("/"):
            return f"{endpoint}{segment}/"
        return f"{endpoint}/{segment}"


def _shape(data: Any) -> str:
    if isinstance(data, dict):
        keys = ", ".join(sorted(map(str, data))[:8])
        return f"an object with keys {keys or 'none'}"
    return f"a {type(data).__name__}"
