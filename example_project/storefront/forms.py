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
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

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


class BookForm(forms.Form):
    """A book's writable fields, for the create and edit pages."""

    title = forms.CharField(max_length=200)
    author = forms.TypedChoiceField(coerce=int)
    price = forms.DecimalField(min_value=Decimal("0"), max_digits=8, decimal_places=2)
    published = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Leave empty if not yet published.",
    )
    in_print = forms.BooleanField(label="In print", required=False, initial=True)
    tags = forms.CharField(
        required=False, max_length=500, help_text="Comma-separated, e.g. classic, signed."
    )
    genres = forms.TypedMultipleChoiceField(
        coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(
        self,
        *args: Any,
        authors: Iterable[Author] = (),
        genres: Iterable[Genre] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["author"].choices = [("", "Choose an author"), *self._authors(authors)]
        self.fields["genres"].choices = genre_choices(genres)
        self.fields["price"].label = f"Price ({currency_code()})"

    @staticmethod
    def _authors(authors: Iterable[Author]) -> list[tuple[int, str]]:
        return [(author.pk, author.name) for author in authors]

    @classmethod
    def initial_from(cls, book: Book) -> dict[str, Any]:
        """Return the form's initial data for ``book``."""
        return {
            "title": book.title,
            "author": book.author_id,
            "price": book.price,
            "published": book.published,
            "in_print": book.in_print,
            "tags": ", ".join(book.tags),
            "genres": book.genres,
        }

    def clean_tags(self) -> list[str]:
        tags = [tag.strip() for tag in self.cleaned_data["tags"].split(",")]
        tags = list(dict.fromkeys(tag for tag in tags if tag))
        too_long = [tag for tag in tags if len(tag) > 50]
        if too_long:
            raise ValidationError(
                "A tag has at most 50 characters; %(tag)s is longer.", params={"tag": too_long[0]}
            )
        return tags

    def model_values(self, names: Iterable[str] | None = None) -> dict[str, Any]:
        """Return the cleaned data as ``Book`` keywords (``author`` becomes ``author_id``)."""
        wanted = self.cleaned_data if names is None else {n: self.cleaned_data[n] for n in names}
        return {("author_id" if name == "author" else name): v for name, v in wanted.items()}


def add_provider_errors(form: forms.Form, error: ValidationError) -> None:
    """Show the provider's 400 on ``form``: each message on its field, the rest on top.

    ``form.add_error(None, error)`` does this when every key names a field of the
    form; a key it does not know (a rule on the whole book) goes on top here instead.
    """
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, messages in error.message_dict.items():
        form.add_error(name if name in form.fields else NON_FIELD_ERRORS, messages)
