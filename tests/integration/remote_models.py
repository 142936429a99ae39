"""RemoteModels of the example provider, as a consumer declares them, on the "provider" alias."""

from __future__ import annotations

from django_api_orm import RemoteModel, fields

BOOK_FILTERS = {
    "id": ["exact", "in"],
    "title": ["exact", "icontains", "istartswith", "in"],
    "price": ["exact", "lt", "lte", "gt", "gte", "range"],
    "published": ["exact", "gt", "gte", "lt", "lte", "isnull", "year"],
    "in_print": ["exact"],
    "author": ["exact", "in"],
    "genres": ["exact"],
    "created_at": ["gt", "lt"],
}
BOOK_EXCLUDES = {"title": "title__not", "author": "author__not", "author__in": "author__in__not"}
BOOK_ORDERING = ["id", "title", "price", "published", "created_at", "author"]


class Author(RemoteModel):
    name = fields.CharField(max_length=100)
    bio = fields.TextField(blank=True, default="")
    born = fields.DateField(null=True, blank=True)

    class Meta:
        service = "provider"
        endpoint = "authors/"
        filter_fields = {
            "id": ["exact", "in"],
            "name": ["exact", "icontains", "in"],
            "born": ["exact", "gt", "lt", "isnull"],
        }
        ordering_fields = ["id", "name", "born"]


class Genre(RemoteModel):
    name = fields.CharField(max_length=50)

    class Meta:
        service = "provider"
        endpoint = "genres/"
        ordering_fields = ["id", "name"]


class Book(RemoteModel):
    title = fields.CharField(max_length=200)
    author = fields.ForeignKey(Author, related_name="books")
    price = fields.DecimalField(max_digits=8, decimal_places=2)
    published = fields.DateField(null=True, blank=True)
    in_print = fields.BooleanField(default=True)
    tags = fields.ListField(fields.CharField(), default=list)
    genres = fields.ManyToManyField(Genre)
    created_at = fields.DateTimeField(read_only=True)

    class Meta:
        service = "provider"
        endpoint = "books/"
        filter_fields = BOOK_FILTERS
        exclude_filters = BOOK_EXCLUDES
        ordering_fields = BOOK_ORDERING


class LimitOffsetBook(Book):
    class Meta:
        service = "provider"
        endpoint = "books-lo/"
        filter_fields = BOOK_FILTERS
        ordering_fields = BOOK_ORDERING
        pagination = {"STYLE": "limit_offset"}


class CursorBook(Book):
    class Meta:
        service = "provider"
        endpoint = "books-cursor/"
        filter_fields = BOOK_FILTERS
        pagination = {"STYLE": "cursor", "PAGE_SIZE": 25}


class PlainBook(Book):
    class Meta:
        service = "provider"
        endpoint = "books-plain/"
        filter_fields = BOOK_FILTERS
        ordering_fields = BOOK_ORDERING
        pagination = {"STYLE": "none"}


class AuthorBook(RemoteModel):
    """An author's books at the provider's nested endpoint (list and create)."""

    title = fields.CharField(max_length=200)
    author = fields.ForeignKey(Author, related_name="nested_books")
    price = fields.DecimalField(max_digits=8, decimal_places=2)

    class Meta:
        service = "provider"
        endpoint = "authors/{author}/books/"
        filter_fields = BOOK_FILTERS
        ordering_fields = BOOK_ORDERING
