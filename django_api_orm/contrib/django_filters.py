"""django-filter's ``FilterSet`` on RemoteModels.

``FilterSet`` here is django-filter's, with what differs for a remote model::

    from django_api_orm.contrib import django_filters as remote_filters

    class BookFilter(remote_filters.FilterSet):
        class Meta:
            model = Book
            fields = {"title": ["icontains"], "price": ["lt", "gt"]}

    BookFilter(request.GET, queryset=Book.objects.all()).qs  # a django_api_orm QuerySet

django-filter's own ``FilterSet`` cannot be used as it is: it builds its filters
through Django's SQL lookups (``resolve_field``), keys its defaults by Django's
model field classes, and asserts that each filter returns a Django
``models.QuerySet``. This subclass:

- generates the filters from this library's fields (a foreign key is a
  ``ModelChoiceFilter`` on the related model's manager, a many-to-many field a
  ``ModelMultipleChoiceFilter``, a field with ``choices`` a ``ChoiceFilter``);
- refuses, when the class is made, a generated filter the model's
  ``Meta.filter_fields`` does not accept (the provider would ignore it and answer
  every row); a declared filter is checked by the QuerySet when it runs;
- runs each filter through the QuerySet: ``filter()``, ``exclude()`` (``exclude=True``;
  the provider's exclusion filters or a clear error) and ``order_by()``
  (``OrderingFilter``). ``.qs`` is a lazy QuerySet: evaluate it as any other
  (``[b async for b in f.qs]`` in async code).

Everything else (``Meta.exclude``, ``filter_overrides``, declared filters,
``method=``, the form, ``is_valid()``, ``errors``) is django-filter's.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from django.core.exceptions import FieldDoesNotExist, FieldError, ImproperlyConfigured
from django_filters import filters as df_filters
from django_filters.conf import settings as df_settings
from django_filters.constants import ALL_FIELDS
from django_filters.filterset import FilterSet as DjangoFilterSet

from django_api_orm.exceptions import NotSupportedError
from django_api_orm.models import fields as remote
from django_api_orm.models.base import RemoteModel
from django_api_orm.models.lookups import LOOKUPS
from django_api_orm.models.queryset import QuerySet

__all__ = ["FILTER_FOR_REMOTE_FIELD", "FilterSet", "RemoteModelChoiceFilter"]


class RemoteModelChoiceFilter(df_filters.ModelChoiceFilter):
    """django-filter's ``ModelChoiceFilter``, filtering on the chosen object's pk (what
    the provider's filter takes), as its ``ModelMultipleChoiceFilter`` does."""

    def filter(self, qs: Any, value: Any) -> Any:
        if isinstance(value, RemoteModel):
            value = getattr(value, self.field.to_field_name or "pk")
        return super().filter(qs, value)


def _related(field: Any) -> dict[str, Any]:
    return {
        "queryset": field.to._default_manager.all(),
        "to_field_name": field.target_field.attname,
    }


def _foreign_key(field: Any) -> dict[str, Any]:
    return {
        **_related(field),
        "null_label": df_settings.NULL_CHOICE_LABEL if field.null else None,
    }


#: The filter each field class of this library gets (a subclass takes its nearest
#: base's), as django-filter's ``FILTER_FOR_DBFIELD_DEFAULTS`` for Django's fields.
FILTER_FOR_REMOTE_FIELD: dict[type[remote.Field], dict[str, Any]] = {
    remote.IntegerField: {"filter_class": df_filters.NumberFilter},
    remote.FloatField: {"filter_class": df_filters.NumberFilter},
    remote.DecimalField: {"filter_class": df_filters.NumberFilter},
    remote.CharField: {"filter_class": df_filters.CharFilter},
    remote.BooleanField: {"filter_class": df_filters.BooleanFilter},
    remote.DateField: {"filter_class": df_filters.DateFilter},
    remote.DateTimeField: {"filter_class": df_filters.DateTimeFilter},
    remote.TimeField: {"filter_class": df_filters.TimeFilter},
    remote.DurationField: {"filter_class": df_filters.DurationFilter},
    remote.UUIDField: {"filter_class": df_filters.UUIDFilter},
    remote.ForeignKey: {"filter_class": RemoteModelChoiceFilter, "extra": _foreign_key},
    # A REST list has no DISTINCT (the provider answers each resource once).
    remote.ManyToManyField: {
        "filter_class": df_filters.ModelMultipleChoiceFilter,
        "extra": lambda f: {**_related(f), "distinct": False},
    },
}

#: Lookups that take a date part (a number) or a date of a datetime.
_NUMBER_TRANSFORMS = frozenset(
    {"year", "month", "day", "week", "week_day", "iso_week_day", "quarter", "hour", "minute"}
)


def _get_model_field(model: type[RemoteModel], field_name: str) -> remote.Field | None:
    """Return the field ``field_name`` names, following foreign keys (``author__name``)."""
    field: remote.Field | None = None
    current = model
    for part in field_name.split("__"):
        if field is not None:
            if not isinstance(field, remote.ForeignKey):
                return None
            current = field.to
        try:
            field = current._meta.get_field(part)
        except FieldDoesNotExist:
            return None
    return field


def _all_field_names(model: type[RemoteModel]) -> list[str]:
    """``fields = "__all__"``: every field but the automatic ``id``, as django-filter."""
    return [f.name for f in model._meta.fields if not f.auto_created]


class FilterSet(DjangoFilterSet):
    """django-filter's ``FilterSet`` for a RemoteModel (``Meta.model`` or ``queryset=``)."""

    FILTER_DEFAULTS = FILTER_FOR_REMOTE_FIELD

    def __init__(
        self,
        data: Any = None,
        queryset: QuerySet[Any] | None = None,
        *,
        request: Any = None,
        prefix: str | None = None,
    ) -> None:
        if queryset is None and self._meta.model is None:
            raise ImproperlyConfigured(
                f"{type(self).__name__} needs a queryset= or a Meta.model (a RemoteModel)."
            )
        if queryset is not None and not isinstance(queryset, QuerySet):
            raise TypeError(
                f"{type(self).__name__}(queryset=...) takes a django_api_orm QuerySet "
                f"(Book.objects.all()), not {type(queryset).__name__}; for a Django model use "
                "django_filters.FilterSet."
            )
        super().__init__(data, queryset, request=request, prefix=prefix)

    @classmethod
    def get_fields(cls) -> OrderedDict[str, Any]:
        """``Meta.fields`` without ``Meta.exclude`` (django-filter's), ``"__all__"`` read
        from this package's fields."""
        fields = cls._meta.fields
        exclude = cls._meta.exclude
        if fields is None and exclude is None:
            raise ImproperlyConfigured(
                f"{cls.__name__}: setting 'Meta.model' needs 'Meta.fields' or 'Meta.exclude' "
                "(django-filter's rule)."
            )
        exclude = exclude or []
        if fields is None or fields == ALL_FIELDS:
            fields = _all_field_names(cls._meta.model)
        if isinstance(fields, dict):
            pairs = [(f, lookups) for f, lookups in fields.items() if f not in exclude]
        else:
            lookup = df_settings.DEFAULT_LOOKUP_EXPR
            pairs = [(f, [lookup]) for f in fields if f not in exclude]
        return OrderedDict(pairs)

    @classmethod
    def get_filters(cls) -> OrderedDict[str, Any]:
        """The declared filters and those ``Meta.fields`` asks for (django-filter's,
        following this library's foreign keys for ``author__name``)."""
        if not cls._meta.model:
            return cls.declared_filters.copy()  # type: ignore[no-any-return]
        model = cls._meta.model
        if not hasattr(model, "_meta") or not hasattr(model._meta, "filter_fields"):
            raise ImproperlyConfigured(
                f"{cls.__name__}.Meta.model is {model!r}, not a RemoteModel: "
                "use django_filters.FilterSet for a Django model."
            )
        filters: OrderedDict[str, Any] = OrderedDict()
        undefined = []
        for field_name, lookups in cls.get_fields().items():
            field = _get_model_field(model, field_name)
            if field is None:
                undefined.append(field_name)
            for lookup_expr in lookups:
                filter_name = cls.get_filter_name(field_name, lookup_expr)
                if filter_name in cls.declared_filters:
                    filters[filter_name] = cls.declared_filters[filter_name]
                    continue
                if field is not None:
                    made = cls.filter_for_field(field, field_name, lookup_expr)
                    if made is not None:
                        filters[filter_name] = made
        if isinstance(cls._meta.fields, list | tuple):
            undefined = [f for f in undefined if f not in cls.declared_filters]
        if undefined:
            raise TypeError(
                f"'Meta.fields' must not contain non-model field names: {', '.join(undefined)}"
            )
        filters.update(cls.declared_filters)
        for name, declared in cls.declared_filters.items():
            if isinstance(declared, df_filters.OrderingFilter):
                _check_ordering_allowed(cls, model, name, declared)
        return filters

    @classmethod
    def filter_for_field(cls, field: Any, field_name: str, lookup_expr: str | None = None) -> Any:
        lookup_expr = lookup_expr or df_settings.DEFAULT_LOOKUP_EXPR
        _check_filter_allowed(cls, cls._meta.model, field_name, lookup_expr)
        filter_class, params = cls.filter_for_lookup(field, lookup_expr)
        if (
            isinstance(filter_class, type)
            and issubclass(filter_class, df_filters.ModelMultipleChoiceFilter)
            and lookup_expr == "exact"
            and not _accepts_in(cls._meta.model, field_name)
        ):
            # Objects chosen together are ORed, which the QuerySet sends as
            # ``books__in``: a provider that takes only ``books=<pk>`` gets a choice of one.
            filter_class = RemoteModelChoiceFilter
            params = {k: v for k, v in params.items() if k != "distinct"}
        if filter_class is None:
            cls.handle_unrecognized_field(
                field_name,
                f"{cls.__name__}: no filter for {field_name}__{lookup_expr} "
                f"({type(field).__name__}). Add one to 'Meta.filter_overrides' or declare it.",
            )
            return None
        return filter_class(field_name=field_name, lookup_expr=lookup_expr, **params)

    @classmethod
    def filter_for_lookup(cls, field: Any, lookup_type: str) -> tuple[Any, dict[str, Any]]:
        """django-filter's choice of filter class, from this library's field classes."""
        defaults = dict(cls.FILTER_DEFAULTS)
        defaults.update(cls._meta.filter_overrides)
        transform, _, last = lookup_type.rpartition("__")
        if transform in _NUMBER_TRANSFORMS or (not transform and last in _NUMBER_TRANSFORMS):
            data: dict[str, Any] = {"filter_class": df_filters.NumberFilter}
            last = "exact" if not transform else last
        elif lookup_type == "date" or transform == "date":
            data = {"filter_class": df_filters.DateFilter}
            last = "exact" if not transform else last
        else:
            found = next((defaults[k] for k in type(field).__mro__ if k in defaults), None)
            data = found or {}
        filter_class = data.get("filter_class")
        params = data.get("extra", lambda f: {})(field)
        if filter_class is None:
            return None, {}
        if last == "exact" and not transform and getattr(field, "choices", None):
            return df_filters.ChoiceFilter, {"choices": field.choices}
        if last == "isnull":
            return df_filters.BooleanFilter, {}
        if last == "in":
            return _csv_filter(cls, df_filters.BaseInFilter, filter_class, "in"), params
        if last == "range":
            return _csv_filter(cls, df_filters.BaseRangeFilter, filter_class, "range"), params
        return filter_class, params

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """Run each filter on ``queryset`` (django-filter's, for this library's QuerySet)."""
        for name, value in self.form.cleaned_data.items():
            queryset = self.filters[name].filter(queryset, value)
            if not isinstance(queryset, QuerySet):
                raise TypeError(
                    f"{type(self).__name__}.{name} returned {type(queryset).__name__}, "
                    "not a django_api_orm QuerySet."
                )
        return queryset


def _csv_filter(cls: Any, base: type, filter_class: type, lookup: str) -> type:
    return type(cls._csv_filter_class_name(filter_class, lookup), (base, filter_class), {})


def _check_ordering_allowed(
    filterset: type, model: type[RemoteModel], name: str, ordering: Any
) -> None:
    """Refuse an ``OrderingFilter`` field the provider does not order by
    (``Meta.ordering_fields``), when the class is made rather than when it is chosen."""
    for field_name in ordering.param_map:
        try:
            model._default_manager.all().order_by(field_name)
        except (NotSupportedError, FieldDoesNotExist, FieldError, ValueError, TypeError) as exc:
            raise ImproperlyConfigured(
                f"{filterset.__name__}.{name}: {model.__name__} cannot be ordered by "
                f"{field_name!r}: {exc}"
            ) from exc


def _accepts_in(model: type[RemoteModel], field_name: str) -> bool:
    allowed = model._meta.filter_fields
    return allowed is None or "in" in allowed.get(field_name, ())


def _check_filter_allowed(
    filterset: type, model: type[RemoteModel], field_name: str, lookup_expr: str
) -> None:
    """Refuse a generated filter the provider does not accept (``Meta.filter_fields``),
    as the QuerySet refuses it: an unknown filter would be ignored and list every row."""
    name = lookup_expr.rpartition("__")[2]
    if name not in LOOKUPS:
        raise ImproperlyConfigured(
            f"{filterset.__name__}: unsupported lookup '{lookup_expr}' for '{field_name}'. "
            f"Lookups are: {', '.join(sorted(LOOKUPS))}."
        )
    allowed = model._meta.filter_fields
    if allowed is None:
        return
    if lookup_expr not in allowed.get(field_name, ()):
        declared = ", ".join(
            f"{n}__{lk}" if lk != "exact" else n
            for n in sorted(allowed)
            for lk in sorted(allowed[n])
        )
        raise ImproperlyConfigured(
            f"{filterset.__name__}: {model.__name__} cannot be filtered on "
            f"'{field_name}__{lookup_expr}': the provider's filters (Meta.filter_fields) accept "
            f"only: {declared or 'nothing'}. Remove it from Meta.fields, or add it to "
            f"{model.__name__}.Meta.filter_fields if the provider accepts it."
        )
