"""The five list styles the provider serves (the fifth is no pagination at all)."""

from rest_framework.pagination import (
    CursorPagination,
    LimitOffsetPagination,
    PageNumberPagination,
)
from rest_framework.response import Response


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


class LinkHeader(PageNumberPagination):
    """``?page=2&per_page=50``, as GitHub's API pages: a bare JSON array, the other
    pages in an RFC 8288 ``Link`` header (``rel="prev"``, ``rel="next"``) and the
    total in ``X-Total-Count``."""

    page_size = 100
    page_size_query_param = "per_page"
    max_page_size = 1000

    def get_paginated_response(self, data):
        links = [
            f'<{url}>; rel="{rel}"'
            for rel, url in (("prev", self.get_previous_link()), ("next", self.get_next_link()))
            if url is not None
        ]
        headers = {"X-Total-Count": str(self.page.paginator.count)}
        if links:
            headers["Link"] = ", ".join(links)
        return Response(data, headers=headers)

    def get_paginated_response_schema(self, schema):
        return schema
