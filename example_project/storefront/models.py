"""The provider's resources as the storefront sees them: ``RemoteModel``s, no tables.

Each ``Meta`` repeats what the provider's API accepts, so that a typo in a filter or
an ordering fails here, before any request, instead of being ignored by django-filter
(which would answer every row):

- ``filter_fields`` is the FilterSet's ``Meta.fields`` (``provider/filters.py``);
- ``exclude_filters`` maps ``exclude()`` lookups to the FilterSet's ``exclude=True``
  filters;
- ``ordering_fields`` is the view's ``ordering_fields`` (``provider/views.py``).
"""

from django_api_orm import RemoteModel, fields


class Genre(RemoteModel):
    name = fields.CharField(max_length=50)

    class Meta:
        service = "default"
        endpoint = "genres/"
        ordering = ["name"]
        # GenreViewSet declares no FilterSet: the provider accepts no filter at all.
        filter_fields = {}
        ordering_fields = ["id", "name"]

    def __str__(self) -> str:
        return self.name


class Author(RemoteModel):
    name = fields.CharField(max_length=100)
    bio = fields.TextField(blank=True, default="")
    born = fields.DateField(null=True, blank=True)

    class Meta:
        service = "default"
        endpoint = "authors/"
        ordering = ["name"]
        filter_fields = {
            "id": ["exact", "in"],
            "name": ["exact", "icontains", "in"],
            "born": ["exact", "gt", "lt", "isnull"],
        }
        ordering_fields = ["id", "name", "born"]

    def __str__(self) -> str:
        return self.name


class Book(RemoteModel):
    title = fields.CharField(max_length=200)
    author = fields.ForeignKey(Author, related_name="books")
    price = fields.DecimalField(max_digits=8, decimal_places=2)
    published = fields.DateField(null=True, blank=True)
    in_print = fields.BooleanField(default=True)
    tags = fields.ListField(fields.CharField(max_length=50), default=list, blank=True)
    genres = fields.ListField(fields.IntegerField(), default=list, blank=True)
    created_at = fields.DateTimeField(read_only=True)

    class Meta:
        service = "default"
        endpoint = "books/"
        ordering = ["title"]
        filter_fields = {
            "id": ["exact", "in"],
            "title": ["exact", "icontains", "istartswith", "in"],
            "price": ["exact", "lt", "lte", "gt", "gte", "range"],
            "published": ["exact", "gt", "gte", "lt", "lte", "isnull", "year"],
            "in_print": ["exact"],
            "author": ["exact", "in"],
            "genres": ["exact"],
            "created_at": ["gt", "lt"],
        }
        exclude_filters = {
            "title": "title__not",
            "author": "author__not",
            "author__in": "author__in__not",
        }
        ordering_fields = ["id", "title", "price", "published", "created_at", "author"]

    def __str__(self) -> str:
        return self.title
