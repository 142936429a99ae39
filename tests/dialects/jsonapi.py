"""A JSON:API-style dialect: the example ``docs/topics/dialects.rst`` walks through.

``filter(title="x", price__lt=20, id__in=[1, 2])`` is sent as
``filter[title]=x&filter[price][lt]=20&filter[id][in]=1,2`` (the brackets
percent-encoded, as JSON:API asks), ``order_by("-price", "title")`` as
``sort=-price,title``, and pages as ``page[number]`` and ``page[size]``.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from django_api_orm.dialects import BaseDialect, Params
from django_api_orm.exceptions import InvalidResponseError, NotSupportedError
from django_api_orm.pagination import Page, PageNumber, PaginationStyle
from django_api_orm.protocols import FieldLike, LookupLike, OptionsLike, QueryLike

#: The members of a resource whose keys are its fields.
_FIELD_MEMBERS = ("attributes", "relationships")


class JSONAPIPages(PageNumber):
    """``page[number]`` and ``page[size]``; a page is ``{"data", "links", "meta"}``.

    A subclass of the ``page_number`` style: it plans pages the same way and
    only spells the parameters and reads the envelope differently.
    """

    def page_params(self, start: int, size: int) -> Params:
        number = start // size + 1
        params = [("page[size]", str(size))]
        return [("page[number]", str(number)), *params] if number > 1 else params

    def parse(self, data: Any, headers: Mapping[str, str], *, where: str) -> Page:
        rows = data.get("data") if isinstance(data, dict) else None
        if not isinstance(rows, list):
            raise InvalidResponseError(f"{where}: expected a JSON:API document with a 'data' list.")
        next_url = (data.get("links") or {}).get("next")
        count = (data.get("meta") or {}).get("count")
        if next_url is not None and not isinstance(next_url, str):
            raise InvalidResponseError(f"{where}: 'links.next' is not a URL: {next_url!r}.")
        if count is not None and (type(count) is not int or count < 0):
            raise InvalidResponseError(f"{where}: 'meta.count' is not a count: {count!r}.")
        return Page(rows, next_url, count)


class JSONAPIDialect(BaseDialect):
    """Filters as ``filter[field][lookup]``, ``sort``, resources under ``data``."""

    lookups = frozenset({"exact", "in", "lt", "lte", "gt", "gte", "icontains", "isnull"})
    # PAGINATION's default STYLE, "page_number", pages in JSON:API's spelling here.
    pagination_styles = {"page_number": JSONAPIPages}
    ordering_param = "sort"

    # --- requests -------------------------------------------------------------

    def lookup_param(self, lookup: LookupLike) -> str:
        name = f"filter[{lookup.path.replace('__', '.')}]"
        return name if lookup.name == "exact" else f"{name}[{lookup.name}]"

    def encode_value(self, value: Any, lookup: LookupLike) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, datetime.date | datetime.time):
            return value.isoformat()
        if isinstance(value, int | float | decimal.Decimal | uuid.UUID):
            return str(value)
        if isinstance(value, str) and value:
            return value
        raise NotSupportedError(f"Cannot send {lookup.written}={value!r} as a JSON:API filter.")

    def ordering_params(self, query: QueryLike, ordering: Sequence[str]) -> Params:
        # A related field is sorted on by its dotted path: sort=author.name.
        params = super().ordering_params(query, ordering)
        return [(name, value.replace("__", ".")) for name, value in params]

    def create_body(self, opts: OptionsLike, values: Mapping[str, Any]) -> Any:
        return {"data": {"type": self.resource_type(opts), "attributes": dict(values)}}

    def update_method(self, *, partial: bool) -> str:
        return "PATCH"  # JSON:API updates with PATCH only, every field or some

    def update_body(
        self, opts: OptionsLike, pk: Any, values: Mapping[str, Any], *, partial: bool
    ) -> Any:
        resource = {"type": self.resource_type(opts), "id": str(pk), "attributes": dict(values)}
        return {"data": resource}

    def resource_type(self, opts: OptionsLike) -> str:
        """Return the resource's JSON:API ``type``: the endpoint's last segment."""
        return (opts.endpoint or "").rstrip("/").rpartition("/")[2]

    # --- answers --------------------------------------------------------------

    def parse_page(
        self,
        data: Any,
        headers: Mapping[str, str],
        style: PaginationStyle,
        opts: OptionsLike,
        *,
        where: str,
    ) -> Page:
        page = style.parse(data, headers, where=where)
        rows = [
            self.flatten(row, opts.pk, where) if isinstance(row, dict) else row for row in page.rows
        ]
        return dataclasses.replace(page, rows=rows)

    def parse_detail(self, data: Any, opts: OptionsLike, *, where: str) -> dict[str, Any]:
        resource = data.get("data") if isinstance(data, dict) else None
        if not isinstance(resource, dict):
            raise InvalidResponseError(
                f"{where}: expected a JSON:API document with a 'data' object."
            )
        return self.flatten(resource, opts.pk, where)

    def flatten(self, resource: dict[str, Any], pk: FieldLike, where: str) -> dict[str, Any]:
        """Return ``{"id", "attributes", "relationships"}`` as one row; a flat row as it is.

        JSON:API sends every id as a string: ``pk`` (the primary key field) reads it
        as the model's own type, ``"7"`` as ``7`` for an integer key.
        """
        if "attributes" not in resource:
            return resource
        attributes, relationships = resource["attributes"], resource.get("relationships") or {}
        if not isinstance(attributes, dict) or not isinstance(relationships, dict):
            raise InvalidResponseError(f"{where}: 'attributes' and 'relationships' are objects.")
        row = {pk.source: self.read_id(resource.get("id"), pk, where), **attributes}
        for name, relationship in relationships.items():
            if isinstance(relationship, dict) and "data" in relationship:
                row[name] = relationship["data"]  # {"type", "id"}, a list of them, or null
        return row

    def read_id(self, value: Any, pk: FieldLike, where: str) -> Any:
        """Return a resource's string ``id`` as the wire value of the primary key ``pk``."""
        try:
            return pk.to_wire(pk.to_python(value))
        except ValidationError:
            raise InvalidResponseError(f"{where}: {value!r} is not a valid id.") from None

    def related_pk(self, value: Any, target: FieldLike) -> tuple[Any, dict[str, Any] | None]:
        if not isinstance(value, dict):
            return value, None  # a bare id
        if value.get("id") is None:
            raise ValueError("a related resource without its 'id'")
        pk = self.read_id(value["id"], target, "a related resource")
        if "attributes" in value:  # a whole resource: loaded without a request
            return pk, self.flatten(value, target, "a related resource")
        return pk, None  # a resource identifier {"type", "id"}: only the pk

    def error_messages(self, body: Any) -> dict[str, list[str]] | list[str]:
        errors = body.get("errors") if isinstance(body, dict) else None
        if not isinstance(errors, list):
            return super().error_messages(body)
        messages: dict[str, list[str]] = {}
        for error in errors:
            error = error if isinstance(error, dict) else {"detail": error}
            source = error.get("source")
            pointer = source.get("pointer") if isinstance(source, dict) else None
            # "/data/attributes/title" and "/data/relationships/author" name a field.
            parts = str(pointer or "").strip("/").split("/")
            named = len(parts) >= 3 and parts[0] == "data" and parts[1] in _FIELD_MEMBERS
            message = error.get("detail") or error.get("title") or "Invalid value."
            messages.setdefault(parts[2] if named else NON_FIELD_ERRORS, []).append(str(message))
        return messages or {NON_FIELD_ERRORS: ["Bad request."]}
