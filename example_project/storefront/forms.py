"""Plain Django forms: the list's filters, and a book's fields for create and edit.

The forms check what the browser sends; the provider has the last word. Its 400
answers (a publication date in the future, a duplicate title for an author...)
come back as ``BadRequestError``, a ``ValidationError`` keyed by field, and
``add_provider_errors()`` shows each message on its field.
"""

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from .models import Author, Book, Genre
from .templatetags.storefront import currency_code

#: The list's ordering choices: a value for ``order_by()``, and its label.
ORDERING_CHOICES = [
    ("title", "Title, A to Z"),
    ("-title", "Title, Z to A"),
    ("price", "Price, lowest first"),
    ("-price", "Price, highest first"),
    ("-published", "Newest first"),
    ("published", "Oldest first"),
    ("-created_at", "Recently added"),
]
DEFAULT_ORDERING = "title"

IN_PRINT_CHOICES = [("", "Any"), ("yes", "In print"), ("no", "Out of print")]

#: The provider's filter parameters, and the list's form field that sets each: where a
#: 400 about the query shows its message.
FILTER_FIELDS = {
    "title__icontains": "q",
    "price__gte": "min_price",
    "price__lte": "max_price",
    "in_print": "in_print",
    "genres": "genre",
    "ordering": "ordering",
}


def genre_choices(genres: Iterable[Genre]) -> list[tuple[int, str]]:
    return [(genre.pk, genre.name) for genre in genres]


class BookFilterForm(forms.Form):
    """The book list's filters (a GET form); every field is optional."""

    q = forms.CharField(label="Title contains", required=False, max_length=200)
    min_price = forms.DecimalField(
        label="Price from", required=False, min_value=0, max_digits=8, decimal_places=2
    )
    max_price = forms.DecimalField(
        label="to", required=False, min_value=0, max_digits=8, decimal_places=2
    )
    in_print = forms.ChoiceField(label="Availability", choices=IN_PRINT_CHOICES, required=False)
    genre = forms.IntegerField(label="Genre", required=False, min_value=1, widget=forms.Select)
    ordering = forms.ChoiceField(label="Sort by", choices=ORDERING_CHOICES, required=False)

    def show_genres(self, genres: Iterable[Genre]) -> None:
        """Offer ``genres`` in the genre menu (loaded alongside the books, not before)."""
        self.fields["genre"].widget.choices = [("", "Any"), *genre_choices(genres)]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        low, high = cleaned.get("min_price"), cleaned.get("max_price")
        if low is not None and high is not None and low > high:
            self.add_error("max_price", "Must be at least the lowest price.")
        return cleaned

    def add_provider_errors(self, error: ValidationError) -> None:
        """Show the provider's 400 about the query: each message on the filter it is about.

        The form accepts what looks valid (any genre number, say); the provider knows
        which genres exist, and answers 400 naming its parameter (``genres``).
        """
        by_parameter = error.message_dict if hasattr(error, "error_dict") else {}
        if not by_parameter:
            self.add_error(None, error.messages)
        for parameter, messages in by_parameter.items():
            self.add_error(FILTER_FIELDS.get(parameter), messages)  # None: above the filters

    def filters(self) -> dict[str, Any]:
        """Return ``filter()`` keywords for the valid fields (call after ``is_valid()``)."""
        data = self.cleaned_data
        lookups: dict[str, Any] = {}
        if data.get("q"):
            lookups["title__icontains"] = data["q"]
        if data.get("min_price") is not None:
            lookups["price__gte"] = data["min_price"]
        if data.get("max_price") is not None:
            lookups["price__lte"] = data["max_price"]
        if data.get("in_print"):
            lookups["in_print"] = data["in_print"] == "yes"
        if data.get("genre") is not None:
            lookups["genres"] = data["genre"]  # books whose genres include it
        return lookups

    def order_by(self) -> str:
        """Return the chosen ``order_by()`` field (call after ``is_valid()``)."""
        return self.cleaned_data.get("ordering") or DEFAULT_ORDERING


class BookForm(forms.ModelForm):  # type: ignore[type-arg]
    """A book's writable fields, for the create and edit pages: a ``ModelForm`` of ``Book``.

    ``title``, ``published`` and ``in_print`` are the model's own form fields.
    The author and genre menus offer lists the view loads alongside the book
    (concurrently, in one round trip), so that rendering and checking the form
    ask the provider nothing and run as they are in an async view.
    ``form.save(commit=False)`` returns the book, which the view saves with
    ``await book.asave()``.
    """

    author = forms.TypedChoiceField(coerce=int)
    price = forms.DecimalField(min_value=Decimal("0"), max_digits=8, decimal_places=2)
    tags = forms.CharField(
        required=False, max_length=500, help_text="Comma-separated, e.g. classic, signed."
    )
    genres = forms.TypedMultipleChoiceField(
        coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Book
        fields = ["title", "author", "price", "published", "in_print", "tags", "genres"]
        labels = {"in_print": "In print"}
        help_texts = {"published": "Leave empty if not yet published."}
        widgets = {"published": forms.DateInput(attrs={"type": "date"})}

    def __init__(
        self,
        *args: Any,
        authors: Iterable[Author] = (),
        genres: Iterable[Genre] = (),
        **kwargs: Any,
    ) -> None:
        instance = kwargs.get("instance")
        if instance is not None:
            # The book's list of tags, as the comma-separated text the field edits.
            kwargs["initial"] = {"tags": ", ".join(instance.tags), **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        self.authors = {author.pk: author for author in authors}
        self.fields["author"].choices = [
            ("", "Choose an author"),
            *((author.pk, author.name) for author in self.authors.values()),
        ]
        self.fields["genres"].choices = genre_choices(genres)
        self.fields["price"].label = f"Price ({currency_code()})"

    def clean_author(self) -> Author:
        """Return the chosen ``Author``: one of those the menu offered."""
        return self.authors[self.cleaned_data["author"]]

    def clean_tags(self) -> list[str]:
        tags = [tag.strip() for tag in self.cleaned_data["tags"].split(",")]
        tags = list(dict.fromkeys(tag for tag in tags if tag))
        too_long = [tag for tag in tags if len(tag) > 50]
        if too_long:
            raise ValidationError(
                "A tag has at most 50 characters; %(tag)s is longer.", params={"tag": too_long[0]}
            )
        return tags
