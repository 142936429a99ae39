"""Serializers of the provider: DRF's defaults, plus two rules clients can trip.

Wire format of a book::

    {"id": 1, "title": "...", "author": 7, "price": "12.50", "published": "1999-04-01",
     "in_print": true, "tags": ["classic"], "genres": [1, 3],
     "created_at": "2024-01-01T10:00:00Z"}

Validation errors (400) come in both of DRF's shapes:

- field errors, e.g. ``{"published": ["Publication date cannot be in the future."]}``;
- non-field errors, e.g. ``{"non_field_errors": ["The fields author, title must make a
  unique set."]}`` for a duplicate, or the out-of-print price rule in ``validate()``.
"""

from decimal import Decimal

from django.utils import timezone
from rest_framework import serializers

from .models import Author, Book, Genre

#: A book that is out of print cannot cost more than this (an object-level rule).
MAX_OUT_OF_PRINT_PRICE = Decimal("500.00")


class AuthorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Author
        fields = ["id", "name", "bio", "born"]


class GenreSerializer(serializers.ModelSerializer):
    class Meta:
        model = Genre
        fields = ["id", "name"]


class BookSerializer(serializers.ModelSerializer):
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, allow_empty=True
    )

    class Meta:
        model = Book
        fields = [
            "id",
            "title",
            "author",
            "price",
            "published",
            "in_print",
            "tags",
            "genres",
            "created_at",
        ]
        read_only_fields = ["created_at"]

    def validate_published(self, value):
        """Refuse a publication date after today."""
        if value is not None and value > timezone.localdate():
            raise serializers.ValidationError("Publication date cannot be in the future.")
        return value

    def validate(self, attrs):
        """Refuse an out-of-print book priced above MAX_OUT_OF_PRINT_PRICE."""
        instance = self.instance
        in_print = attrs.get("in_print", instance.in_print if instance is not None else True)
        price = attrs.get("price", instance.price if instance is not None else None)
        if not in_print and price is not None and price > MAX_OUT_OF_PRINT_PRICE:
            raise serializers.ValidationError(
                f"A book that is not in print cannot cost more than {MAX_OUT_OF_PRINT_PRICE}."
            )
        return attrs


class AuthorFromURL:
    """Default for ``author`` on the nested endpoint: the author named by the URL."""

    requires_context = True

    def __call__(self, serializer_field):
        return serializer_field.context["view"].author

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class NestedBookSerializer(BookSerializer):
    """A book under ``authors/<author_pk>/books/``: the author comes from the URL."""

    # Read-only with a default, so DRF's unique (author, title) validator still runs.
    author = serializers.PrimaryKeyRelatedField(read_only=True, default=AuthorFromURL())


class PublishSerializer(serializers.Serializer):
    """The body of ``POST books/<pk>/publish/``: an optional publication date."""

    published = serializers.DateField(
        required=False, help_text="The publication date; today when not given."
    )

    def validate_published(self, value):
        """Refuse a publication date after today, as a book's own field does."""
        return BookSerializer.validate_published(self, value)
