"""System checks (``manage.py check``) for ``settings.API_ORM_SERVICES`` and the models.

A wrong setting is reported at startup with an id and a hint, not by a traceback
at the first request. The ids:

- ``django_api_orm.E001``: ``API_ORM_SERVICES`` is not a dict of aliases (str) to dicts.
- ``django_api_orm.E002``: a service has no ``BASE_URL``.
- ``django_api_orm.E003``: a ``BASE_URL`` is not an ``http://`` or ``https://`` URL
  with a host.
- ``django_api_orm.E004``: a service has an unknown key (named, with the valid keys
  and the closest match).
- ``django_api_orm.E005``: a value has the wrong type or is out of range (``TIMEOUT``
  not a positive number, ``HTTP2`` not a bool, ``VERIFY_SSL`` not a bool, path or
  ``ssl.SSLContext``, ``HEADERS`` not a dict of str, ``MAX_RETRIES`` negative, an
  ``AUTH_TOKEN`` with a trailing newline...), or a header of ``HEADERS`` the
  client would refuse: a name that is not a header name, a value that is not
  printable ASCII or has surrounding whitespace or a CR/LF (the message names
  the service, the header and why: "the value ends with a newline: strip() it").
  The value of ``AUTH_TOKEN`` and ``HEADERS`` is never quoted.
- ``django_api_orm.E006``: a ``PAGINATION`` (or a model's ``Meta.pagination``) is not
  a dict, has an unknown key, an unknown ``STYLE``, a ``PAGE_SIZE`` or ``MAX_PAGES``
  that is not a positive int, an empty ``PAGE_SIZE_PARAM`` or a ``PREFETCH`` that
  is not an int >= 0.
- ``django_api_orm.E007``: a ``DIALECT`` is not the dotted path of a ``BaseDialect``
  subclass that imports.
- ``django_api_orm.E008``: a model's ``Meta.service`` names an alias that
  ``API_ORM_SERVICES`` does not define (``check_models``).
- ``django_api_orm.W001`` (warning): a ``VERIFY_SSL`` path names no file or directory
  here; the client refuses to start without its CA bundle.
- ``django_api_orm.W002`` (warning): a model declares no ``Meta.filter_fields``, so
  ``filter()`` cannot refuse a lookup the provider does not have, and django-filter
  ignores unknown parameters: such a filter would return every row (``check_models``).
- ``django_api_orm.W003`` (warning): a model declares no ``Meta.ordering_fields``, so
  ``order_by()`` (and ``afirst()``, ``alast()``, ``alatest()``, which order) cannot
  refuse an ordering the provider's OrderingFilter would ignore (``check_models``).
- ``django_api_orm.W004`` (warning): a service sends a credential (``AUTH_TOKEN``, a
  header of ``HEADERS`` named like one, such as ``X-Api-Key``, or a password in
  ``BASE_URL``) to a plain ``http://`` ``BASE_URL`` whose host is not loopback
  (``localhost``, ``*.localhost``, 127.0.0.0/8, ``::1``): it would travel in clear.

E001-E007, W001 and W004 come from ``conf_validation.validate()``, the same table
``conf.get_config()`` applies at run time (where a warning does not refuse the
service). ``apps.DjangoApiOrmConfig.ready()`` registers these checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error
from django.core.checks import Warning as CheckWarning
from django.core.exceptions import ImproperlyConfigured

from django_api_orm.conf import aliases
from django_api_orm.conf_validation import SETTING, Problem, validate, validate_pagination
from django_api_orm.models.base import registered_models

__all__ = [
    "E_UNKNOWN_SERVICE",
    "W_UNCHECKED_FILTERS",
    "W_UNCHECKED_ORDERING",
    "check_models",
    "check_services",
]

E_UNKNOWN_SERVICE = "django_api_orm.E008"
W_UNCHECKED_FILTERS = "django_api_orm.W002"
W_UNCHECKED_ORDERING = "django_api_orm.W003"


#: Meta options without which what is sent cannot be checked: (option, id, message, hint).
_UNCHECKED = (
    (
        "filter_fields",
        W_UNCHECKED_FILTERS,
        "declares no Meta.filter_fields, so filter() cannot refuse a lookup the provider "
        "does not offer; django-filter ignores unknown parameters, and such a filter "
        "would return every row.",
        "Declare the provider's filters in django-filter's dict form, e.g. "
        'filter_fields = {"title": ["exact", "icontains"]}; filter_fields = {} if it '
        "filters nothing.",
    ),
    (
        "ordering_fields",
        W_UNCHECKED_ORDERING,
        "declares no Meta.ordering_fields, so order_by(), afirst(), alast() and alatest() "
        "cannot refuse an ordering the provider does not offer; DRF's OrderingFilter "
        "ignores unknown fields, and the rows would come in another order.",
        'Declare the provider\'s ordering_fields, e.g. ordering_fields = ["id", "title"]; '
        "ordering_fields = [] if it orders by nothing.",
    ),
)


def check_services(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Report every problem in ``settings.API_ORM_SERVICES``."""
    value = getattr(settings, SETTING, {})
    return [_message(p) for p in validate(value)]


def _message(problem: Problem, obj: Any = None) -> CheckMessage:
    level = CheckWarning if problem.level == "warning" else Error
    return level(problem.msg, hint=problem.hint, obj=obj, id=problem.id)


def check_models(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Report models naming an unconfigured service or with a bad ``Meta.pagination``."""
    try:
        configured = aliases()
    except ImproperlyConfigured:
        return []  # check_services reports E001
    labels = None if app_configs is None else {config.label for config in app_configs}
    errors: list[CheckMessage] = []
    for model in registered_models():
        meta: Any = model._meta
        if labels is not None and meta.app_label not in labels:
            continue
        if not getattr(meta, "embedded", False) and meta.service not in configured:
            choices = ", ".join(repr(a) for a in configured) or "none"
            errors.append(
                Error(
                    f"{meta.label} uses the service {meta.service!r}, which is not in "
                    f"settings.{SETTING} (configured aliases: {choices}).",
                    hint=f"Add {meta.service!r} to {SETTING}, or set {meta.object_name}."
                    "Meta.service to a configured alias.",
                    obj=model,
                    id=E_UNKNOWN_SERVICE,
                )
            )
        if not getattr(meta, "embedded", False):
            errors.extend(
                CheckWarning(f"{meta.label} {msg}", hint=hint, obj=model, id=check_id)
                for option, check_id, msg, hint in _UNCHECKED
                if getattr(meta, option) is None
            )
        pagination = getattr(meta, "pagination", None)
        if pagination is not None:
            where = f"{meta.label}.Meta.pagination"
            errors.extend(
                _message(p, obj=model) for p in validate_pagination(pagination, where=where)
            )
    return errors
