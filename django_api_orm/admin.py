"""Django's admin on remote models: ``admin.site.register(Book, RemoteModelAdmin)``.

``RemoteModelAdmin`` is a ``django.contrib.admin.ModelAdmin`` whose changelist,
add, change, delete and history views read and write through the provider's API:

- the changelist shows the provider's pages (Django's ``Paginator`` over a
  QuerySet: the count is one request with a page of 1, a page is one request;
  foreign keys in ``list_display`` are loaded with one batched request per page);
- ``search_fields`` shows the search box; the term is sent as the provider's
  free-text search (``QuerySet.search()``: the service dialect's ``search_param``);
- ``list_filter`` takes boolean, foreign-key, choice and date fields whose
  lookups the model's ``Meta.filter_fields`` declares; ordering and the column
  headers sort with ``ordering=``, on ``Meta.ordering_fields`` only;
- saving calls ``obj.save()`` and deleting ``obj.delete()``; a provider's 400
  shows on the form's fields, as a form's own errors do;
- log entries (the history) live in the consumer's database, as any admin's,
  with a ``ContentType`` for each remote model.

What cannot work over HTTP (``date_hierarchy``, ``list_editable``, inlines,
``raw_id_fields``, ``autocomplete_fields``, facets...) is a system-check error
naming the option, never a page that silently shows wrong rows.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from django.apps import apps as django_apps
from django.contrib import admin, messages
from django.contrib.admin import ShowFacets, helpers
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.admin.checks import ModelAdminChecks
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.admin.filters import (
    BooleanFieldListFilter,
    ChoicesFieldListFilter,
    DateFieldListFilter,
    FieldListFilter,
    ListFilter,
)
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.sites import all_sites
from django.contrib.admin.utils import (
    build_q_object_from_lookup_parameters,
    get_last_value_from_parameters,
    model_ngettext,
    quote,
)
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.core import checks
from django.core.exceptions import (
    FieldDoesNotExist,
    FieldError,
    ImproperlyConfigured,
    PermissionDenied,
    SuspiciousOperation,
    ValidationError,
)
from django.core.paginator import InvalidPage
from django.db import router, transaction
from django.db.models.signals import post_migrate
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext, gettext_lazy

from django_api_orm.exceptions import BadRequestError, HTTPStatusError, NotSupportedError
from django_api_orm.forms import add_provider_errors
from django_api_orm.models.base import RemoteModel
from django_api_orm.models.fields import ForeignKey
from django_api_orm.models.registry import registered_models
from django_api_orm.services import services

if TYPE_CHECKING:
    from django_api_orm.models.fields import Field

__all__ = [
    "RemoteChangeList",
    "RemoteModelAdmin",
    "RemoteRelatedFieldListFilter",
    "create_remote_permissions",
    "delete_selected",
]

#: The options of Django's admin that cannot work over HTTP, and why (system-check errors).
UNSUPPORTED_OPTIONS: dict[str, tuple[str, str]] = {
    "date_hierarchy": (
        "django_api_orm.E101",
        "the date drill-down lists the distinct years, months and days of the rows "
        "(a database aggregate), which a REST API does not answer",
    ),
    "list_editable": (
        "django_api_orm.E102",
        "Django's changelist formset checks each row's pk with a query (a request per "
        "row over HTTP) and saves the rows one by one, with no transaction to undo the "
        "first ones when a later one is refused",
    ),
    "raw_id_fields": (
        "django_api_orm.E103",
        "the raw-id widget opens the related changelist as a pop-up selecting by "
        "'to_field', which remote models do not support",
    ),
    "autocomplete_fields": (
        "django_api_orm.E104",
        "autocomplete answers with the related admin's search over the database",
    ),
    "inlines": (
        "django_api_orm.E105",
        "inline formsets save related objects in one database transaction with the "
        "parent; a REST API has no transaction across requests",
    ),
    "filter_horizontal": (
        "django_api_orm.E106",
        "the widget applies to Django's database ManyToManyField only",
    ),
    "filter_vertical": (
        "django_api_orm.E106",
        "the widget applies to Django's database ManyToManyField only",
    ),
}

#: Shown on the delete confirmation pages.
NO_CASCADE_NOTE = (
    "These objects are deleted by the provider's API, which does not tell what else it "
    "deletes with them: the list below shows only the objects themselves, not the "
    "related objects the provider may delete or keep."
)

E_FACETS = "django_api_orm.E107"
E_LIST_FILTER = "django_api_orm.E108"
E_SEARCH = "django_api_orm.E109"
E_ORDERING = "django_api_orm.E110"
E_NOT_REMOTE_ADMIN = "django_api_orm.E111"
E_NOT_REMOTE_MODEL = "django_api_orm.E112"


# --- helpers ----------------------------------------------------------------


def _allows(model: type[RemoteModel], name: str, lookup: str) -> bool:
    """Tell whether the provider filters ``model`` on ``name__lookup`` (Meta.filter_fields)."""
    allowed = model._meta.filter_fields
    return allowed is None or lookup in allowed.get(name, frozenset())


def _orderable(model: type[RemoteModel], name: str) -> bool:
    """Tell whether ``order_by(name)`` can be sent (Meta.ordering_fields)."""
    try:
        model._default_manager.all().order_by(name)
    except (NotSupportedError, FieldDoesNotExist, FieldError, ValueError, TypeError):
        return False
    return True


def _pk_in_allowed(model: type[RemoteModel]) -> bool:
    return _allows(model, model._meta.pk.name, "in")


def _filter_class(field: Field) -> tuple[type[ListFilter] | None, tuple[str, ...]]:
    """Return the list filter class for ``field`` and the lookups it sends (None: none)."""
    nullable = ("isnull",) if field.null else ()
    if isinstance(field, ForeignKey):
        return RemoteRelatedFieldListFilter, ("exact", *nullable)
    if field.choices:
        return ChoicesFieldListFilter, ("exact", *nullable)
    internal = field.get_internal_type()
    if internal == "BooleanField":
        return BooleanFieldListFilter, ("exact", *nullable)
    if internal == "DateField":
        return DateFieldListFilter, ("gte", "lt", *nullable)
    return None, ()


class RemoteRelatedFieldListFilter(FieldListFilter):
    """Django's ``RelatedFieldListFilter`` for a remote foreign key.

    The admin's query string stays Django's (``author__id__exact=3``,
    ``author__isnull=True``); the filter is sent as the provider's ``author=3``.
    The choices list the related model's objects (every page of them, in the
    related admin's ordering), as Django lists the related table.
    """

    def __init__(
        self,
        field: Any,
        request: HttpRequest,
        params: Any,
        model: Any,
        model_admin: Any,
        field_path: str,
    ) -> None:
        self.target = field.to
        self.lookup_kwarg = f"{field_path}__{self.target._meta.pk.name}__exact"
        self.lookup_kwarg_isnull = f"{field_path}__isnull"
        self.lookup_val = params.get(self.lookup_kwarg)
        self.lookup_val_isnull = get_last_value_from_parameters(params, self.lookup_kwarg_isnull)
        super().__init__(field, request, params, model, model_admin, field_path)
        self.lookup_choices = self.field_choices(field, request, model_admin)
        self.title = str(field.verbose_name)
        self.empty_value_display = model_admin.get_empty_value_display()

    @property
    def include_empty_choice(self) -> bool:
        return bool(self.field.null)

    def has_output(self) -> bool:
        return len(self.lookup_choices) + (1 if self.include_empty_choice else 0) > 1

    def expected_parameters(self) -> list[str | None]:
        return [self.lookup_kwarg, self.lookup_kwarg_isnull]

    def field_choices(
        self, field: ForeignKey, request: HttpRequest, model_admin: Any
    ) -> list[tuple[Any, str]]:
        qs = self.target._default_manager.all()
        try:
            related_admin = model_admin.admin_site.get_model_admin(self.target)
        except NotRegistered:
            pass
        else:
            ordering = related_admin.get_ordering(request)
            if ordering:
                qs = qs.order_by(*ordering)
        return [(obj.pk, str(obj)) for obj in qs]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        params: dict[str, Any] = {}
        for key, values in self.used_parameters.items():
            name = self.field_path if key == self.lookup_kwarg else key
            params[name] = values
        try:
            return queryset.filter(build_q_object_from_lookup_parameters(params))
        except (ValueError, ValidationError) as error:
            raise IncorrectLookupParameters(error) from error

    def choices(self, changelist: ChangeList) -> Iterator[Any]:
        yield {
            "selected": self.lookup_val is None and not self.lookup_val_isnull,
            "query_string": changelist.get_query_string(
                remove=[self.lookup_kwarg, self.lookup_kwarg_isnull]
            ),
            "display": "All",
        }
        for pk_val, display in self.lookup_choices:
            yield {
                "selected": self.lookup_val is not None and str(pk_val) in self.lookup_val,
                "query_string": changelist.get_query_string(
                    {self.lookup_kwarg: pk_val}, [self.lookup_kwarg_isnull]
                ),
                "display": display,
            }
        if self.include_empty_choice:
            yield {
                "selected": bool(self.lookup_val_isnull),
                "query_string": changelist.get_query_string(
                    {self.lookup_kwarg_isnull: "True"}, [self.lookup_kwarg]
                ),
                "display": self.empty_value_display,
            }


# --- the changelist -----------------------------------------------------------


class RemoteChangeList(ChangeList):
    """Django's ``ChangeList`` building a remote QuerySet: filters, search, ordering, pages."""

    def get_queryset(self, request: HttpRequest, exclude_parameters: Any = None) -> Any:
        (
            self.filter_specs,
            self.has_filters,
            remaining_lookup_params,
            _duplicates,
            self.has_active_filters,
        ) = self.get_filters(request)
        qs = self.root_queryset
        for filter_spec in self.filter_specs:
            if (
                exclude_parameters is None
                or filter_spec.expected_parameters() != exclude_parameters
            ):
                new_qs = filter_spec.queryset(request, qs)
                if new_qs is not None:
                    qs = new_qs
        try:
            remaining: Any = remaining_lookup_params
            qs = qs.filter(build_q_object_from_lookup_parameters(remaining))
        except (SuspiciousOperation, ImproperlyConfigured):
            raise
        except Exception as error:
            # As Django: a query string naming no filter the provider takes is a bad
            # request to the changelist (it redirects with ?e=1), not a 500.
            raise IncorrectLookupParameters(error) from error
        if not qs.query.select_related:
            qs = self.apply_select_related(qs)
        qs = qs.order_by(*self.get_ordering(request, qs))
        qs, _duplicates = self.model_admin.get_search_results(request, qs, self.query)
        self.clear_all_filters_qs = self.get_query_string(
            new_params=remaining_lookup_params, remove=self.get_filters_params()
        )
        return qs

    def apply_select_related(self, qs: Any) -> Any:
        """Load the foreign keys shown (``list_select_related``) with one request per page."""
        opts = self.lookup_opts
        fks = [f.name for f in opts.fields if isinstance(f, ForeignKey)]
        if self.list_select_related is True:
            names = fks
        elif self.list_select_related is False:
            names = [name for name in self.list_display if name in fks]
        else:
            names = list(self.list_select_related)
        return qs.select_related(*names) if names else qs

    def has_related_field_in_list_display(self) -> bool:
        fks = {f.name for f in self.lookup_opts.fields if isinstance(f, ForeignKey)}
        return any(name in fks for name in self.list_display)

    def get_ordering(self, request: HttpRequest, queryset: Any) -> list[Any]:
        """Django's ordering rules (admin, model, ``?o=``), keeping only what the provider
        orders by (an unknown ``?o=`` column is skipped, as Django skips it)."""
        default = self._get_default_ordering()  # type: ignore[attr-defined]
        ordering = list(self.model_admin.get_ordering(request) or default)
        order_var = self.params.get(ORDER_VAR)
        if order_var:
            ordering = []
            for part in str(order_var).split("."):
                _none, prefix, index = part.rpartition("-")
                try:
                    field_name = self.list_display[int(index)]
                except (IndexError, ValueError):
                    continue
                order_field = self.get_ordering_field(field_name)
                if not isinstance(order_field, str):
                    continue  # not sortable, or an expression a REST API cannot sort by
                if prefix == "-" and order_field.startswith("-"):
                    name = order_field.removeprefix("-")
                else:
                    name = prefix + order_field
                if _orderable(self.model, name):  # type: ignore[arg-type]
                    ordering.append(name)
        if queryset.query.order_by:
            ordering.extend(queryset.query.order_by)
        # ModelAdmin.get_queryset() orders too: send each field once.
        seen: set[str] = set()
        unique = []
        for name in ordering:
            bare = name.removeprefix("-")
            if bare not in seen:
                seen.add(bare)
                unique.append(name)
        return self._get_deterministic_ordering(unique)

    def _get_deterministic_ordering(self, ordering: list[Any]) -> list[Any]:
        """End the order with the pk, as Django does, when the provider orders by it."""
        pk_names = {"pk", "-pk", self.lookup_opts.pk.name, f"-{self.lookup_opts.pk.name}"}
        if any(name in pk_names for name in ordering if isinstance(name, str)):
            return ordering
        if _orderable(self.model, "-pk"):  # type: ignore[arg-type]
            return [*ordering, "-pk"]
        return ordering

    def get_results(self, request: HttpRequest) -> None:
        """Django's, without a second count when nothing filters the rows."""
        paginator = self.model_admin.get_paginator(request, self.queryset, self.list_per_page)
        result_count = paginator.count
        if not self.model_admin.show_full_result_count:
            full_result_count = None
        elif _same_rows(self.root_queryset, self.queryset):
            full_result_count = result_count
        else:
            full_result_count = self.root_queryset.count()
        can_show_all = result_count <= self.list_max_show_all
        multi_page = result_count > self.list_per_page
        if (self.show_all and can_show_all) or not multi_page:
            result_list = self.queryset.all()
        else:
            try:
                result_list = paginator.page(self.page_num).object_list
            except InvalidPage as error:
                raise IncorrectLookupParameters from error
        self.result_count = result_count
        self.show_full_result_count = self.model_admin.show_full_result_count
        self.show_admin_actions = not self.show_full_result_count or bool(full_result_count)
        self.full_result_count = full_result_count
        self.result_list = result_list
        self.can_show_all = can_show_all
        self.multi_page = multi_page
        self.paginator = paginator


@functools.cache
def _boolean_column(field: Field) -> Callable[[Any], Any]:
    """A ``list_display`` callable showing ``field`` as the admin's boolean icon (one per
    field: the changelist finds the sortable columns by identity)."""
    name = field.name

    def column(obj: Any) -> Any:
        return getattr(obj, name)

    column.__name__ = name
    column.boolean = True  # type: ignore[attr-defined]
    column.short_description = field.verbose_name  # type: ignore[attr-defined]
    column.admin_order_field = name  # type: ignore[attr-defined]
    return column


def _same_rows(root: Any, qs: Any) -> bool:
    a, b = root.query, qs.query
    return (a.where, a.excludes, a.search, a.is_empty, a.model) == (
        b.where,
        b.excludes,
        b.search,
        b.is_empty,
        b.model,
    )


# --- the provider's 400 on a form -----------------------------------------------


class _ProviderRejected(Exception):
    """The provider refused a save: the change form is shown again with its errors."""

    def __init__(self, error: ValidationError) -> None:
        super().__init__(str(error))
        self.error = error


def _form_with_provider_errors(form_class: type[BaseForm], error: ValidationError) -> type[Any]:
    """Return ``form_class`` whose validation adds the provider's ``error``: each message
    on its field, the others (and those of fields not in the form) above the form
    (``django_api_orm.forms.add_provider_errors``)."""

    def _post_clean(self: Any) -> None:
        super(cls, self)._post_clean()
        add_provider_errors(self, error)

    cls: type[Any] = type(form_class.__name__, (form_class,), {"_post_clean": _post_clean})
    return cls


class _ProviderRefusedDelete(Exception):
    """The provider refused a DELETE: the view's transaction (its log entry) is undone."""

    def __init__(self, obj: Any, error: HTTPStatusError) -> None:
        super().__init__(str(error))
        self.obj = obj
        self.error = error


def _refusal(error: HTTPStatusError) -> bool:
    """Tell whether ``error`` is the provider refusing a request (a 4xx but 404)."""
    status = error.status_code or 0
    return 400 <= status < 500 and status != 404


# --- the admin ----------------------------------------------------------------------


class RemoteModelAdminChecks(ModelAdminChecks):
    """Django's admin checks, plus what cannot work over HTTP."""

    def check(self, admin_obj: Any, **kwargs: Any) -> list[checks.CheckMessage]:
        model = admin_obj.model
        if not (isinstance(model, type) and issubclass(model, RemoteModel)):
            return [
                checks.Error(
                    f"{type(admin_obj).__name__} is a RemoteModelAdmin registered for "
                    f"{model!r}, which is not a RemoteModel.",
                    hint="Register database models with django.contrib.admin.ModelAdmin.",
                    obj=type(admin_obj),
                    id=E_NOT_REMOTE_MODEL,
                )
            ]
        return [*super().check(admin_obj, **kwargs), *remote_admin_errors(admin_obj)]

    def _check_date_hierarchy(self, obj: Any) -> list[checks.CheckMessage]:
        return []  # remote_admin_errors() says why it cannot work

    def _check_list_filter(self, obj: Any) -> list[checks.CheckMessage]:
        return []  # remote_admin_errors() checks each filter against Meta.filter_fields

    def _check_raw_id_fields(self, obj: Any) -> list[checks.CheckMessage]:
        return []

    def _check_autocomplete_fields(self, obj: Any) -> list[checks.CheckMessage]:
        return []

    def _check_list_editable(self, obj: Any) -> list[checks.CheckMessage]:
        return []

    def _check_filter_vertical(self, obj: Any) -> list[checks.CheckMessage]:
        return []

    def _check_filter_horizontal(self, obj: Any) -> list[checks.CheckMessage]:
        return []

    def _check_inlines(self, obj: Any) -> list[checks.CheckMessage]:
        return []


def remote_admin_errors(admin_obj: Any) -> list[checks.CheckMessage]:
    """Return the errors of a RemoteModelAdmin's options that cannot work over HTTP."""
    errors: list[checks.CheckMessage] = []
    cls = type(admin_obj)
    model: type[RemoteModel] = admin_obj.model
    label = model._meta.label
    for option, (check_id, why) in UNSUPPORTED_OPTIONS.items():
        if getattr(admin_obj, option, None):
            errors.append(
                checks.Error(
                    f"{cls.__name__}.{option} is not supported on the remote model {label}: {why}.",
                    hint=f"Remove {option} from {cls.__name__}.",
                    obj=cls,
                    id=check_id,
                )
            )
    if admin_obj.show_facets is not ShowFacets.NEVER:
        errors.append(
            checks.Error(
                f"{cls.__name__}.show_facets must be ShowFacets.NEVER on the remote model "
                f"{label}: facet counts are database aggregates, which a REST API does not "
                "answer.",
                hint="Leave show_facets as RemoteModelAdmin sets it.",
                obj=cls,
                id=E_FACETS,
            )
        )
    errors.extend(_list_filter_errors(admin_obj))
    if admin_obj.search_fields:
        try:
            dialect = services.dialect(model._meta.service)
        except ImproperlyConfigured:
            dialect = None  # the service's own checks (E001-E008) say what is wrong
        if dialect is not None and dialect.search_param is None:
            errors.append(
                checks.Error(
                    f"{cls.__name__}.search_fields is set, but the dialect of the service "
                    f"{model._meta.service!r} ({type(dialect).__name__}) has no search_param: "
                    f"{label} cannot be searched.",
                    hint=(
                        "Set search_param on a dialect subclass to the provider's search "
                        'parameter (DRF\'s SearchFilter: "search"), or remove search_fields.'
                    ),
                    obj=cls,
                    id=E_SEARCH,
                )
            )
    for name in admin_obj.ordering or ():
        if isinstance(name, str) and not _orderable(model, name):
            errors.append(
                checks.Error(
                    f"{cls.__name__}.ordering names {name!r}, which the provider of {label} "
                    "does not order by (Meta.ordering_fields).",
                    hint="Order by a field of Meta.ordering_fields.",
                    obj=cls,
                    id=E_ORDERING,
                )
            )
    return errors


def _list_filter_errors(admin_obj: Any) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    cls = type(admin_obj)
    model: type[RemoteModel] = admin_obj.model
    for index, item in enumerate(admin_obj.list_filter):
        where = f"{cls.__name__}.list_filter[{index}]"
        if isinstance(item, type) and issubclass(item, ListFilter):
            continue  # a SimpleListFilter: its queryset() is the user's own
        name = item[0] if isinstance(item, list | tuple) else item
        if not isinstance(name, str):
            continue
        problem = _list_filter_problem(model, name, custom=isinstance(item, list | tuple))
        if problem:
            errors.append(
                checks.Error(
                    f"{where} ({name!r}): {problem}",
                    hint=(
                        "Filter on a field whose lookups Meta.filter_fields declares, or "
                        "write a SimpleListFilter."
                    ),
                    obj=cls,
                    id=E_LIST_FILTER,
                )
            )
    return errors


def _list_filter_problem(model: type[RemoteModel], name: str, *, custom: bool) -> str | None:
    if "__" in name:
        return "a filter across a relation cannot be sent to a REST API."
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return f"{model._meta.object_name} has no field {name!r}."
    if custom:
        return None  # a FieldListFilter class of the user's: its lookups are its own
    filter_class, lookups = _filter_class(field)
    if filter_class is None:
        if field.is_relation:
            return (
                f"a {type(field).__name__} has no list filter for remote models (foreign "
                "keys have one)."
            )
        return (
            f"a {type(field).__name__} has no list filter over HTTP: Django's would list "
            "the distinct values of every row."
        )
    missing = [lk for lk in lookups if not _allows(model, field.name, lk)]
    if missing:
        sent = ", ".join(f"{field.name}__{lk}" for lk in missing)
        return (
            f"the filter sends {sent}, which {model._meta.object_name}.Meta.filter_fields "
            "does not declare: the provider would ignore it and show every row."
        )
    return None


class RemoteModelAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """A ``ModelAdmin`` for a RemoteModel: every view reads and writes through its API."""

    checks_class = RemoteModelAdminChecks
    #: Facet counts are database aggregates.
    show_facets = ShowFacets.NEVER

    # --- the changelist ------------------------------------------------------

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return RemoteChangeList

    def get_list_filter(self, request: HttpRequest) -> Any:
        """Give each field name its filter class (Django's choice reads DB field types)."""
        out: list[Any] = []
        for item in super().get_list_filter(request):
            if isinstance(item, str):
                problem = _list_filter_problem(self.model, item, custom=False)
                if problem:
                    raise ImproperlyConfigured(f"{type(self).__name__}.list_filter: {problem}")
                filter_class, _lookups = _filter_class(self.model._meta.get_field(item))
                out.append((item, filter_class))
            else:
                out.append(item)
        return out

    def get_list_display(self, request: HttpRequest) -> Any:
        """Django's, a boolean field shown as the admin's yes/no icon (Django recognises
        its own BooleanField only)."""
        out: list[Any] = []
        for name in super().get_list_display(request):
            field = self._field_or_none(name)
            is_boolean = field is not None and field.get_internal_type() == "BooleanField"
            if field is not None and is_boolean and not field.choices:
                out.append(_boolean_column(field))
            else:
                out.append(name)
        return out

    def _field_or_none(self, name: Any) -> Field | None:
        if not isinstance(name, str):
            return None
        try:
            field: Field = self.model._meta.get_field(name)
        except FieldDoesNotExist:
            return None
        return field

    def get_sortable_by(self, request: HttpRequest) -> Any:
        """The columns the provider orders by (Meta.ordering_fields); a header of another
        column is not a link."""
        if self.sortable_by is not None:
            return self.sortable_by
        out = []
        for name in self.get_list_display(request):
            order_field = self._column_order_field(name)
            if isinstance(order_field, str) and _orderable(self.model, order_field):
                out.append(name)
        return out

    def _column_order_field(self, name: Any) -> Any:
        if callable(name):
            return getattr(name, "admin_order_field", None)
        try:
            return self.model._meta.get_field(name).name
        except FieldDoesNotExist:
            attr = getattr(self, name, None) or getattr(self.model, name, None)
            if isinstance(attr, property):
                attr = attr.fget
            return getattr(attr, "admin_order_field", None)

    def lookup_allowed(self, lookup: str, value: Any, request: HttpRequest | None = None) -> bool:
        """Allow a lookup on one of the model's fields (the provider's filters decide the
        rest); a lookup across a relation only when a ``list_filter`` names it."""
        parts = lookup.split("__")
        try:
            field = self.model._meta.get_field(parts[0])
        except FieldDoesNotExist:
            return True  # refused when sent: Query checks Meta.filter_fields
        if not isinstance(field, ForeignKey) or len(parts) < 3:
            return True
        if parts[1] in ("pk", field.to._meta.pk.name):
            return True  # author__id__exact: the foreign key's own value
        return any(
            (item[0] if isinstance(item, list | tuple) else item) == lookup
            for item in self.list_filter
        )

    def get_search_results(
        self, request: HttpRequest, queryset: Any, search_term: str
    ) -> tuple[Any, bool]:
        """Send the term as the provider's free-text search (``QuerySet.search()``).

        ``search_fields`` turns the search box on; which fields the term matches is
        the provider's to decide (DRF's ``SearchFilter.search_fields``).
        """
        term = search_term.strip()
        if term and self.get_search_fields(request):
            return queryset.search(term), False
        return queryset, False

    def get_actions(self, request: HttpRequest, action_location: Any = None) -> dict[str, Any]:
        """Django's actions, when the provider filters on ``pk__in`` (the admin selects
        the checked rows with it); none otherwise. "Delete selected" is
        :func:`delete_selected`. (``action_location``: Django 6's change-form actions.)"""
        if not _pk_in_allowed(self.model):
            return {}
        if action_location is None:
            actions: dict[str, Any] = super().get_actions(request)
        else:
            actions = super().get_actions(request, action_location=action_location)  # type: ignore[call-arg]
        entry = actions.get("delete_selected")
        if entry is None:
            pass
        elif hasattr(entry, "func"):  # Django 6: an Action
            if entry.func is django_delete_selected:
                actions["delete_selected"] = dataclasses.replace(entry, func=delete_selected)
        elif entry[0] is django_delete_selected:  # Django 5.2: (func, name, description)
            actions["delete_selected"] = (delete_selected, entry[1], entry[2])
        return actions

    # --- saving and deleting ---------------------------------------------------

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> Any:
        """Django's view; when the provider refuses the save (400), the form again with
        the provider's messages on their fields (nothing was saved)."""
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except _ProviderRejected as rejected:
            request._remote_admin_rejected = rejected.error  # type: ignore[attr-defined]
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        error = getattr(request, "_remote_admin_rejected", None)
        if error is not None:
            return _form_with_provider_errors(form, error)
        return form

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """``obj.save()`` through the service; a 400 shows the form again with its errors
        on their fields, another refusal (a 4xx but 404: 403, 409...) with the
        provider's message above the form. Nothing is saved nor logged."""
        try:
            obj.save()
        except BadRequestError as error:
            raise _ProviderRejected(error) from error
        except HTTPStatusError as error:
            if not _refusal(error):
                raise
            message = f"The provider refused to save this {obj._meta.verbose_name}: {error}"
            raise _ProviderRejected(ValidationError(message)) from error

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        """``obj.delete()`` through the service; a refusal (a 4xx other than 404) shows the
        change form again with the provider's message, nothing deleted nor logged."""
        try:
            obj.delete()
        except HTTPStatusError as error:
            if _refusal(error):
                raise _ProviderRefusedDelete(obj, error) from error
            raise

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> Any:
        """Django's view (its log entry is undone with its transaction when the provider
        refuses the DELETE); a refusal redirects to the change form with the reason."""
        try:
            return super().delete_view(request, object_id, extra_context)
        except _ProviderRefusedDelete as refused:
            self.message_user(
                request,
                f"The provider refused to delete {refused.obj}: {refused.error}",
                messages.ERROR,
            )
            opts = self.model._meta
            url = reverse(
                f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change",
                args=(quote(object_id),),
            )
            return HttpResponseRedirect(url)

    def get_deleted_objects(
        self, objs: Any, request: HttpRequest
    ) -> tuple[list[Any], dict[str, int], set[str], list[Any]]:
        """List the objects to delete, without Django's database collector.

        A REST API does not say what else a DELETE removes (the provider's cascades),
        so the confirmation page lists only the objects themselves.
        """
        objs = list(objs)
        opts = self.model._meta
        if not request.POST.get("post"):  # the confirmation page, not the confirmed delete
            self.message_user(request, NO_CASCADE_NOTE, messages.WARNING)
        perms_needed: set[str] = set()
        if objs and not self.has_delete_permission(request, objs[0]):
            perms_needed.add(str(opts.verbose_name))
        to_delete = [self._deleted_object_link(obj) for obj in objs]
        model_count = {str(opts.verbose_name_plural): len(objs)} if objs else {}
        return to_delete, model_count, perms_needed, []

    def _deleted_object_link(self, obj: Any) -> str:
        opts = self.model._meta
        try:
            url = reverse(
                f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change",
                args=(quote(obj.pk),),
            )
        except NoReverseMatch:
            return f"{capfirst(opts.verbose_name)}: {obj}"
        return format_html('{}: <a href="{}">{}</a>', capfirst(opts.verbose_name), url, obj)


@admin.action(
    permissions=["delete"],
    description=gettext_lazy("Delete selected %(verbose_name_plural)s"),
)
def delete_selected(modeladmin: Any, request: HttpRequest, queryset: Any) -> Any:
    """Django's "delete selected" action for a remote model: a confirmation page listing
    the checked objects (one list request), then ``delete_queryset()`` (a DELETE each)."""
    opts = modeladmin.opts
    objs = list(queryset)
    deletable_objects, model_count, perms_needed, protected = modeladmin.get_deleted_objects(
        objs, request
    )
    if request.POST.get("post") and not protected:
        if perms_needed:
            raise PermissionDenied
        if objs:
            try:
                # The log entries are undone if the provider refuses a DELETE.
                with transaction.atomic(using=router.db_for_write(modeladmin.model)):
                    modeladmin.log_deletions(request, objs)
                    modeladmin.delete_queryset(request, queryset)
            except HTTPStatusError as error:
                if not _refusal(error):
                    raise
                modeladmin.message_user(
                    request,
                    f"The provider refused a DELETE: {error}. The objects whose DELETE it "
                    "answered before are deleted (not logged); the list shows what is left.",
                    messages.ERROR,
                )
                return None
            modeladmin.message_user(
                request,
                gettext("Successfully deleted %(count)d %(items)s.")
                % {"count": len(objs), "items": model_ngettext(opts, len(objs))},
                messages.SUCCESS,
            )
        return None  # the changelist again
    objects_name = model_ngettext(opts, len(objs))
    if perms_needed or protected:
        title = gettext("Cannot delete %(name)s") % {"name": objects_name}
    else:
        title = gettext("Delete multiple objects")
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "subtitle": None,
        "objects_name": str(objects_name),
        "deletable_objects": [deletable_objects],
        "model_count": dict(model_count).items(),
        "queryset": objs,
        "perms_lacking": perms_needed,
        "protected": protected,
        "opts": opts,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "media": modeladmin.media,
    }
    if hasattr(modeladmin, "delete_confirmation_max_display"):  # Django 6
        context["delete_confirmation_max_display"] = modeladmin.delete_confirmation_max_display
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(
        request,
        modeladmin.delete_selected_confirmation_template
        or [
            f"admin/{opts.app_label}/{opts.model_name}/delete_selected_confirmation.html",
            f"admin/{opts.app_label}/delete_selected_confirmation.html",
            "admin/delete_selected_confirmation.html",
        ],
        context,
    )


# --- checks beyond one admin class -------------------------------------------------------


def check_remote_models_registered_with_remote_admin(
    app_configs: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """A RemoteModel registered with a plain ``ModelAdmin`` is an error naming the fix."""
    errors: list[checks.CheckMessage] = []
    for site in all_sites:
        for model, model_admin in site._registry.items():
            remote = isinstance(model, type) and issubclass(model, RemoteModel)
            if remote and not isinstance(model_admin, RemoteModelAdmin):
                errors.append(
                    checks.Error(
                        f"The remote model {model._meta.label} is registered in the "
                        f"admin site {site.name!r} with {type(model_admin).__name__}, "
                        "which reads and writes a database table.",
                        hint=(
                            f"Register it with django_api_orm.admin.RemoteModelAdmin (or "
                            f"a subclass): admin.site.register({model.__name__}, "
                            "RemoteModelAdmin)."
                        ),
                        obj=type(model_admin),
                        id=E_NOT_REMOTE_ADMIN,
                    )
                )
    return errors


checks.register(check_remote_models_registered_with_remote_admin, checks.Tags.admin)


# --- permissions ------------------------------------------------------------------------


def create_remote_permissions(
    app_config: Any, verbosity: int = 2, using: str = "default", **kwargs: Any
) -> None:
    """Create the content types and the add/change/delete/view permissions of the remote
    models of ``app_config`` (``post_migrate``), as Django's ``create_permissions`` does
    for database models: a staff user needs them to see a remote model in the admin."""
    if not (
        django_apps.is_installed("django.contrib.auth")
        and django_apps.is_installed("django.contrib.contenttypes")
    ):
        return
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    models = [
        m
        for m in registered_models()
        if m._meta.app_label == app_config.label and not m._meta.abstract and not m._meta.embedded
    ]
    for model in models:
        opts = model._meta
        content_type, _created = ContentType.objects.db_manager(using).get_or_create(
            app_label=opts.app_label, model=opts.model_name
        )
        for action in ("add", "change", "delete", "view"):
            Permission.objects.db_manager(using).get_or_create(
                content_type=content_type,
                codename=f"{action}_{opts.model_name}",
                defaults={"name": f"Can {action} {opts.verbose_name}"},
            )


post_migrate.connect(
    create_remote_permissions, dispatch_uid="django_api_orm.admin.create_remote_permissions"
)
