"""Remote models the dialect contract suite needs besides ``tests.testapp.models``."""

from __future__ import annotations

from django_api_orm import RemoteModel, fields
from tests.testapp.models import Book


class Chapter(RemoteModel):
    """A nested endpoint (``books/{book}/chapters/``) with a choice field."""

    title = fields.CharField(max_length=100)
    kind = fields.CharField(choices=[("prose", "Prose"), ("verse", "Verse")], default="prose")
    book = fields.ForeignKey(Book, related_name="chapters")

    class Meta:
        endpoint = "books/{book}/chapters/"
        # The parent is sent in the path, but filter(book=3) is checked against these too.
        filter_fields = {"book": ["exact"], "kind": ["exact"]}
        ordering_fields = ["id"]
