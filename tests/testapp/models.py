"""Remote models the unit tests query; respx answers for https://api.example.test/api/."""

from __future__ import annotations

from django_api_orm import RemoteModel, fields


class Author(RemoteModel):
    name = fields.CharField(max_length=100)

    class Meta:
        endpoint = "authors/"
        ordering = ["name"]
        filter_fields = {"id": ["in"]}
        ordering_fields = ["id", "name"]


class Book(RemoteModel):
    id = fields.IntegerField(primary_key=True, read_only=True)
    title = fields.CharField(max_length=200)
    price = fields.DecimalField(max_digits=8, decimal_places=2)
    published = fields.DateField(null=True, blank=True)
    in_print = fields.BooleanField(default=True)
    tags = fields.ListField(fields.CharField(), default=list, blank=True)
    author = fields.ForeignKey(Author, related_name="books", null=True)
    created_at = fields.DateTimeField(read_only=True, null=True)

    class Meta:
        service = "default"
        endpoint = "books/"
        filter_fields = {
            "id": ["exact", "in"],
            "title": ["exact", "icontains", "in"],
            "price": ["lt", "gte", "range"],
            "published": ["exact", "gt", "isnull"],
            "in_print": ["exact"],
            "author": ["exact", "in"],
            "created_at": ["gt"],
        }
        exclude_filters = {"title": "title__not", "author__in": "author__not_in"}
        ordering_fields = ["id", "title", "price", "published", "created_at"]


class Tag(RemoteModel):
    """A model with a string primary key."""

    slug = fields.CharField(primary_key=True)
    label = fields.CharField()

    class Meta:
        endpoint = "tags/"
        filter_fields = {"slug": ["exact"], "label": ["icontains"]}
        ordering_fields = ["slug"]


class Review(RemoteModel):
    """A model on a limit/offset paginated endpoint."""

    text = fields.TextField()
    stars = fields.IntegerField()

    class Meta:
        endpoint = "reviews/"
        filter_fields: dict[str, list[str]] = {}
        ordering_fields = ["id"]
        pagination = {"STYLE": "limit_offset", "PAGE_SIZE": 50}


class Event(RemoteModel):
    """A model on a cursor paginated endpoint."""

    name = fields.CharField()

    class Meta:
        endpoint = "events/"
        filter_fields: dict[str, list[str]] = {}
        ordering_fields = ["id"]
        pagination = {"STYLE": "cursor", "PAGE_SIZE": 2}


class Country(RemoteModel):
    """A model whose list is a bare JSON array."""

    code = fields.CharField(primary_key=True)
    name = fields.CharField()

    class Meta:
        endpoint = "countries/"
        filter_fields: dict[str, list[str]] = {}
        ordering_fields = ["id"]
        pagination = {"STYLE": "none"}
