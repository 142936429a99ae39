"""Remote models on list endpoints paged with RFC 8288 ``Link`` headers (``link_header``).

``Ticket`` is answered by respx on the ``default`` service (tests/settings.py);
``Issue`` and ``UncountedIssue`` by ``link_server.py`` once ``default`` points at it.
"""

from __future__ import annotations

from django_api_orm import RemoteModel, fields


class Ticket(RemoteModel):
    """Three rows a page, ``per_page`` as the size parameter."""

    title = fields.CharField()

    class Meta:
        app_label = "pagination_tests"
        endpoint = "tickets/"
        filter_fields = {"title": ["exact"]}
        ordering_fields = ["id"]
        pagination = {"STYLE": "link_header", "PAGE_SIZE": 3, "PAGE_SIZE_PARAM": "per_page"}


class Issue(RemoteModel):
    """GitHub-style issues: ten a page, the total in ``X-Total-Count``."""

    title = fields.CharField()
    state = fields.CharField()

    class Meta:
        app_label = "pagination_tests"
        endpoint = "issues/"
        filter_fields = {"state": ["exact"]}
        ordering_fields = ["id"]
        pagination = {"STYLE": "link_header", "PAGE_SIZE": 10, "PAGE_SIZE_PARAM": "per_page"}


class UncountedIssue(RemoteModel):
    """The same issues from an endpoint that sends no ``X-Total-Count``."""

    title = fields.CharField()
    state = fields.CharField()

    class Meta:
        app_label = "pagination_tests"
        endpoint = "issues-uncounted/"
        filter_fields = {"state": ["exact"]}
        ordering_fields = ["id"]
        pagination = {"STYLE": "link_header", "PAGE_SIZE": 10, "PAGE_SIZE_PARAM": "per_page"}
