"""Pagination: the styles a list endpoint pages in, and the walker that reads a slice.

A style (``PAGINATION["STYLE"]``) is a class found by name in a registry:
``page_number``, ``limit_offset``, ``cursor``, ``none`` (a bare JSON array) and
``link_header`` (RFC 8288 ``Link: <...>; rel="next"``). Register your own with
:func:`register_style`, or name its class by dotted path.
"""

from django_api_orm.pagination.styles import (
    STYLES,
    Cursor,
    LimitOffset,
    LinkHeader,
    NoPagination,
    Page,
    PageNumber,
    PaginationStyle,
    get_style,
    link_targets,
    register_style,
)
from django_api_orm.pagination.walker import PageWalker, plan_page_size

__all__ = [
    "STYLES",
    "Cursor",
    "LimitOffset",
    "LinkHeader",
    "NoPagination",
    "Page",
    "PageNumber",
    "PageWalker",
    "PaginationStyle",
    "get_style",
    "link_targets",
    "plan_page_size",
    "register_style",
]
