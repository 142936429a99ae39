"""Remote models on paged list endpoints: RFC 8288 ``Link`` headers, and lists that page wrongly.

``Ticket`` is answered by respx on the ``default`` service (tests/settings.py);
``Issue`` and ``UncountedIssue`` by ``link_server.py`` once ``default`` points at it;
the subclasses of ``Row`` by ``hostile_server.py``.
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


class Row(RemoteModel):
    """A row of one of ``hostile_server.py``'s lists (abstract: each list a subclass)."""

    title = fields.CharField()

    class Meta:
        abstract = True
        app_label = "pagination_tests"
        filter_fields = {"title": ["exact"]}
        ordering_fields = ["id"]
        pagination = {"PAGE_SIZE": 10}


class Item(Row):
    class Meta(Row.Meta):
        endpoint = "items/"


class GhostItem(Row):
    class Meta(Row.Meta):
        endpoint = "ghost-items/"


class ShrinkingRow(Row):
    class Meta(Row.Meta):
        endpoint = "shrinking/"


class DefaultSizeRow(Row):
    class Meta(Row.Meta):
        endpoint = "default-size/"


class ClampedRow(Row):
    class Meta(Row.Meta):
        endpoint = "clamped/"


class LimitOffsetClampedRow(Row):
    class Meta(Row.Meta):
        endpoint = "lo-clamped/"
        pagination = {"STYLE": "limit_offset", "PAGE_SIZE": 10}


class SelfNextRow(Row):
    class Meta(Row.Meta):
        endpoint = "self-next/"


class PingPongRow(Row):
    class Meta(Row.Meta):
        endpoint = "ping-pong/"


class SameRowsRow(Row):
    class Meta(Row.Meta):
        endpoint = "same-rows/"


class OverflowRow(Row):
    class Meta(Row.Meta):
        endpoint = "overflow/"


class EndlessRow(Row):
    class Meta(Row.Meta):
        endpoint = "endless/"


class WrongTypesRow(Row):
    class Meta(Row.Meta):
        endpoint = "wrong-types/"
