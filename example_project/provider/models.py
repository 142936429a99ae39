"""The provider's data: authors write books; books belong to genres."""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models


class Author(models.Model):
    """A person who writes books."""

    name = models.CharField(max_length=100, unique=True)
    bio = models.TextField(blank=True)
    born = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Genre(models.Model):
    """A shelf a book can be put on; a book may have several."""

    name = models.CharField(max_length=50, unique=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Book(models.Model):
    """A title by one author, with a price and a few tags."""

    title = models.CharField(max_length=200)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
    price = models.DecimalField(
        max_digits=8, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    published = models.DateField(null=True, blank=True)
    in_print = models.BooleanField(default=True)
    tags = models.JSONField(default=list, blank=True)
    genres = models.ManyToManyField(Genre, blank=True, related_name="books")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # Ordering by "author" then means ordering by author id, as clients expect.
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "title"], name="provider_book_unique_author_title"
            ),
        ]

    def __str__(self) -> str:
        return self.title
