"""The four list styles the provider serves (the fourth is no pagination at all)."""

from rest_framework.pagination import (
    CursorPagination,
    LimitOffsetPagination,
    PageNumberPagination,
)


class PageNumber(PageNumberPagination):
    """``?page=2&page_size=50``; answers ``{"count", "next", "previous", "results"}``."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class LimitOffset(LimitOffsetPagination):
    """``?limit=50&offset=100``; answers ``{"count", "next", "previous", "results"}``."""

    default_limit = 100
    max_limit = 1000


class Cursor(CursorPagination):
    """``?cursor=...&page_size=50``; answers ``{"next", "previous", "results"}`` (no count)."""

    ordering = "id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
