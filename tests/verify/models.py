"""Remote models the verification tests query: every kind of field, no ``filter_fields``.

With no ``Meta.filter_fields`` the ORM sends any filter; respx answers for the
``default`` service (https://api.example.test/api/).
"""

from __future__ import annotations

from django_api_orm import RemoteModel, fields


class Shelf(RemoteModel):
    name = fields.CharField()

    class Meta:
        app_label = "verify_tests"
        endpoint = "shelves/"


class Genre(RemoteModel):
    name = fields.CharField()

    class Meta:
        app_label = "verify_tests"
        endpoint = "genres/"


class Item(RemoteModel):
    id = fields.IntegerField(primary_key=True)
    name = fields.CharField(null=True)
    size = fields.FloatField(null=True)
    price = fields.DecimalField(max_digits=8, decimal_places=2, null=True)
    active = fields.BooleanField(default=True)
    born = fields.DateField(null=True)
    seen = fields.DateTimeField(null=True)
    opens = fields.TimeField(null=True)
    lasts = fields.DurationField(null=True)
    key = fields.UUIDField(null=True)
    status = fields.CharField(
        choices=[("active", "Active"), ("retired", "Retired")], null=True, blank=True
    )
    tags = fields.ListField(fields.CharField(), default=list, blank=True)
    genres = fields.ManyToManyField(Genre)
    shelf = fields.ForeignKey(Shelf, null=True, related_name="items")
    data = fields.DictField(default=dict)
    label = fields.CharField(source="display_label", null=True)

    class Meta:
        app_label = "verify_tests"
        endpoint = "items/"
        exclude_filters = {
            "name": "name__not",
            "name__icontains": "name__icontains__not",
            "name__in": "name__in__not",
            "shelf": "shelf__not",
            "tags": "tags__not",
            "genres": "genres__not",
            "price": "price__not",
            "price__gt": "price__gt__not",
            "price__range": "price__range__not",
            "born__year": "born__year__not",
            "seen__year": "seen__year__not",
            "seen__date": "seen__date__not",
            "seen__month": "seen__month__not",
            "id__in": "id__not_in",
        }


class Nested(RemoteModel):
    """A nested endpoint: ``shelf`` is sent in the URL's path."""

    title = fields.CharField()
    shelf = fields.ForeignKey(Shelf)

    class Meta:
        app_label = "verify_tests"
        endpoint = "shelves/{shelf}/nested/"
