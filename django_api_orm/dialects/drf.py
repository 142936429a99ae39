"""Django REST framework + django-filter, byte for byte.

``filter(title__in=["x", "y"], price__lt=20, published__isnull=True)`` becomes
``title__in=x,y&price__lt=20&published__isnull=true``; ``order_by("-price")``
becomes ``ordering=-price``; pages are DRF's ``{"count", "next", "results"}``
(or a bare list with ``STYLE: "none"``); a 400's ``{"field": ["msg"]}`` becomes
``BadRequestError.message_dict``, ``non_field_errors`` and ``detail`` going
under ``NON_FIELD_ERRORS``.
"""

from __future__ import annotations

import datetime
import decimal
import uuid
from typing import Any

from django_api_orm.dialects.base import BaseDialect
from django_api_orm.exceptions import HTTPStatusError, NotSupportedError
from django_api_orm.protocols import LookupLike

__all__ = ["DRFDialect"]


class DRFDialect(BaseDialect):
    """Django REST framework's routers and pagination, django-filter's parameters."""

    def encode_value(self, value: Any, lookup: LookupLike) -> str:
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

    def is_page_out_of_range(self, error: HTTPStatusError) -> bool:
        # DRF's PageNumberPagination answers a page past the end with 404 "Invalid page."
        body = error.body
        return (
            error.status_code == 404
            and isinstance(body, dict)
            and str(body.get("detail", "")).startswith("Invalid page")
        )
