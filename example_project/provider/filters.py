"""django-filter FilterSets of the provider: what ``?name__lookup=value`` accepts.

The lookups are declared in django-filter's dict form (``Meta.fields``), the same
shape a ``RemoteModel`` declares as ``Meta.filter_fields``. Values: ``__in`` and
``__range`` take one comma-separated value (``title__in=a,b``, ``price__range=10,20``);
booleans and ``__isnull`` take ``true``/``false``; dates are ISO 8601; ``author``,
``author__in`` and ``genres`` take primary keys (``genres=1&genres=2`` matches either).

Exclusion filters (declared with ``exclude=True``; the name is the negated lookup
followed by ``__not``), for a client's ``Meta.exclude_filters``:

- ``title__not=X``          every book whose title is not exactly X;
- ``author__not=7``         every book not written by author 7;
- ``author__in__not=7,9``   every book written by neither author 7 nor author 9.

An invalid value for a known filter (``price__lt=abc``, ``published=2020-13-01``,
``author=999999``, ``author__in=1,999999``, ``in_print=maybe``) answers 400 with the
filter's name and message. django-filter ignores an unrecognised boolean (``yes``) by
default; here booleans and ``__isnull`` accept only true/false/1/0 so that a bad value
is never a silently dropped filter. An empty value means "no filter". An unknown
parameter is silently ignored by django-filter — a typo returns every row — which is
why the client checks filter names before it sends a request.
"""

from django import forms
from django.db import models
from django_filters import rest_framework as filters
from django_filters.widgets import BooleanWidget

from .models import Author, Book


class StrictBooleanWidget(BooleanWidget):
    """Read true/false/1/0 (any case); pass anything else on for the field to refuse."""

    def value_from_datadict(self, data, files, name):
        value = data.get(name)
        if value in (None, ""):
            return None
        parsed = super().value_from_datadict(data, files, name)
        return value if parsed is None else parsed


class StrictBooleanField(forms.NullBooleanField):
    """A boolean query value: True, False, or None when absent; anything else is invalid."""

    def to_python(self, value):
        if value is None or isinstance(value, bool):
            return value
        raise forms.ValidationError("Enter true or false.", code="invalid")


class StrictBooleanFilter(filters.BooleanFilter):
    field_class = StrictBooleanField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", StrictBooleanWidget)
        super().__init__(*args, **kwargs)


class ProviderFilterSet(filters.FilterSet):
    """DRF's FilterSet, with booleans (and ``__isnull``) that refuse unknown values."""

    FILTER_DEFAULTS = {
        **filters.FilterSet.FILTER_DEFAULTS,
        models.BooleanField: {"filter_class": StrictBooleanFilter},
    }


class NumberInFilter(filters.BaseInFilter, filters.NumberFilter):
    """A comma-separated list of numbers (``7,9``)."""


class AuthorFilterSet(ProviderFilterSet):
    class Meta:
        model = Author
        fields = {
            "id": ["exact", "in"],
            "name": ["exact", "icontains", "in"],
            "born": ["exact", "gt", "lt", "isnull"],
        }


class BookFilterSet(ProviderFilterSet):
    title__not = filters.CharFilter(field_name="title", exclude=True)
    author__not = filters.NumberFilter(field_name="author", exclude=True)
    author__in__not = NumberInFilter(field_name="author", lookup_expr="in", exclude=True)

    class Meta:
        model = Book
        fields = {
            "id": ["exact", "in"],
            "title": ["exact", "icontains", "istartswith", "in"],
            "price": ["exact", "lt", "lte", "gt", "gte", "range"],
            "published": ["exact", "gt", "gte", "lt", "lte", "isnull", "year"],
            "in_print": ["exact"],
            "author": ["exact", "in"],
            "genres": ["exact"],
            "created_at": ["gt", "lt"],
        }
