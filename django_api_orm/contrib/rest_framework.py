"""Django REST framework's ``ModelSerializer`` on RemoteModels.

``serializers.ModelSerializer`` with ``Meta.model`` a RemoteModel works as DRF
documents it: the fields come from the model's ``_meta`` (a foreign key is a
``PrimaryKeyRelatedField`` whose queryset is the related model's manager, a
many-to-many field one with ``many=True``, a ``read_only`` field is read-only),
``is_valid()`` checks what the model's fields declare, and ``save()`` creates
with ``Book.objects.create(...)`` or saves the instance, through the service.

DRF picks a serializer field by walking the model field's class in
``ModelSerializer.serializer_field_mapping``, keyed by Django's model field
classes. Importing this module adds one key, the base class of this library's
fields, mapped to ``RemoteModelField``: the way DRF's own extensions (rest_framework_gis,
django-money) teach ``ModelSerializer`` their fields. It changes nothing for
Django models. The app (``"django_api_orm"`` in ``INSTALLED_APPS``) imports this
module in its ``ready()`` when ``"rest_framework"`` is installed too; a project that
uses DRF without listing it in ``INSTALLED_APPS`` imports this module itself.

``RemoteModelField`` is no serializer field of its own: constructing it builds
DRF's typed field (``CharField``, ``DecimalField``...) with the options DRF gives
Django's fields of that type (``max_length``, ``allow_blank`` for a ``blank=True``
text field, ``min_value``/``max_value`` from the validators). DRF computes those
with ``isinstance`` checks on Django's field classes, which a RemoteModel field is
not.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from django.core import validators as django_validators
from django.core.exceptions import NON_FIELD_ERRORS
from rest_framework import serializers, views
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.field_mapping import get_field_kwargs

from django_api_orm.exceptions import BadRequestError
from django_api_orm.models import fields as remote
from django_api_orm.models.options import Options

if TYPE_CHECKING:
    from django_api_orm.models.base import RemoteModel

__all__ = ["SERIALIZER_FIELDS", "RemoteModelField", "exception_handler", "serializer_field"]

#: DRF's serializer field for each field class of this library (a subclass takes
#: its nearest base's).
SERIALIZER_FIELDS: dict[type[remote.Field], type[serializers.Field]] = {
    remote.Field: serializers.ModelField,
    remote.IntegerField: serializers.IntegerField,
    remote.FloatField: serializers.FloatField,
    remote.DecimalField: serializers.DecimalField,
    remote.CharField: serializers.CharField,
    remote.EmailField: serializers.EmailField,
    remote.URLField: serializers.URLField,
    remote.BooleanField: serializers.BooleanField,
    remote.DateField: serializers.DateField,
    remote.DateTimeField: serializers.DateTimeField,
    remote.TimeField: serializers.TimeField,
    remote.DurationField: serializers.DurationField,
    remote.UUIDField: serializers.UUIDField,
    remote.JSONField: serializers.JSONField,
    remote.ListField: serializers.ListField,
    remote.DictField: serializers.DictField,
}

#: The validators DRF's own field of that class already runs: passing them too would
#: report one error twice.
_BUILT_IN_VALIDATORS: dict[type[serializers.Field], Callable[[Any], bool]] = {
    serializers.EmailField: lambda v: v is django_validators.validate_email,
    serializers.URLField: lambda v: isinstance(v, django_validators.URLValidator),
    serializers.DecimalField: lambda v: isinstance(v, django_validators.DecimalValidator),
}

_NUMBER_FIELDS = (
    serializers.IntegerField,
    serializers.FloatField,
    serializers.DecimalField,
    serializers.DurationField,
)


def _lookup(field: remote.Field) -> type[serializers.Field]:
    # remote.Field is in the table: every field class finds one.
    return next(SERIALIZER_FIELDS[k] for k in type(field).__mro__ if k in SERIALIZER_FIELDS)


def serializer_field(model_field: remote.Field, kwargs: dict[str, Any]) -> serializers.Field:
    """Return DRF's serializer field for ``model_field``, from the options ``kwargs``
    that ``ModelSerializer`` computed for it (``Meta.extra_kwargs`` included)."""
    kwargs = dict(kwargs)
    if isinstance(model_field, remote.EmbeddedField):
        return _embedded_serializer(model_field.to)(**_nested_kwargs(kwargs))
    field_class = _lookup(model_field)
    if field_class is serializers.ModelField:
        kwargs["model_field"] = model_field
        return serializers.ModelField(**kwargs)
    if not kwargs.get("read_only"):
        _writable_options(model_field, field_class, kwargs)
    if isinstance(model_field, remote.TextField):
        kwargs.setdefault("style", {"base_template": "textarea.html"})
    if isinstance(model_field, remote.ListField | remote.DictField) and model_field.child:
        child_kwargs: dict[str, Any] = {"validators": list(model_field.child.validators)}
        kwargs["child"] = serializer_field(model_field.child, child_kwargs)
    return field_class(**kwargs)


def _writable_options(
    model_field: remote.Field, field_class: type[serializers.Field], kwargs: dict[str, Any]
) -> None:
    """Add the options DRF gives Django's field of the same type, as ``get_field_kwargs``."""
    validators: list[Any] = list(kwargs.get("validators", []))
    max_length = getattr(model_field, "max_length", None)
    if issubclass(field_class, serializers.CharField):
        if model_field.blank:
            kwargs.setdefault("allow_blank", True)
        if max_length is not None:
            kwargs.setdefault("max_length", max_length)
            validators = [
                v for v in validators if not isinstance(v, django_validators.MaxLengthValidator)
            ]
    if issubclass(field_class, _NUMBER_FIELDS):
        for kind, key in (
            (django_validators.MaxValueValidator, "max_value"),
            (django_validators.MinValueValidator, "min_value"),
        ):
            limit = next((v.limit_value for v in validators if isinstance(v, kind)), None)
            if limit is not None:
                kwargs.setdefault(key, limit)
                validators = [v for v in validators if not isinstance(v, kind)]
    built_in = _BUILT_IN_VALIDATORS.get(field_class)
    if built_in is not None:
        validators = [v for v in validators if not built_in(v)]
    if validators:
        kwargs["validators"] = validators
    else:
        kwargs.pop("validators", None)


def _nested_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    keep = {"read_only", "required", "allow_null", "label", "help_text", "default", "source"}
    return {k: v for k, v in kwargs.items() if k in keep}


#: The options DRF passes to a ``ChoiceField`` (its ``build_standard_field``'s list).
_CHOICE_OPTIONS = frozenset(
    {
        "read_only",
        "write_only",
        "required",
        "default",
        "initial",
        "source",
        "label",
        "help_text",
        "style",
        "error_messages",
        "validators",
        "allow_null",
        "allow_blank",
        "choices",
    }
)


@functools.cache
def _embedded_serializer(model: type[RemoteModel]) -> type[serializers.Serializer]:
    """A ``Serializer`` of an embedded model's fields, for an ``EmbeddedField``: it reads
    the embedded object, and its validated dict is what the field takes on a write.
    (An embedded model has no pk: no ``ModelSerializer``.)"""
    declared: dict[str, serializers.Field] = {}
    for field in model._meta.fields:
        kwargs = get_field_kwargs(field.name, field)
        kwargs.pop("model_field", None)
        if "choices" in kwargs:
            options = {k: v for k, v in kwargs.items() if k in _CHOICE_OPTIONS}
            declared[field.name] = serializers.ChoiceField(**options)
        else:
            declared[field.name] = serializer_field(field, kwargs)
    return cast(
        "type[serializers.Serializer]",
        type(f"{model.__name__}Serializer", (serializers.Serializer,), declared),
    )


class RemoteModelField(serializers.ModelField):
    """What ``ModelSerializer`` maps a RemoteModel field to: constructing it returns
    DRF's typed serializer field for that model field (see ``serializer_field()``)."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        model_field = kwargs.pop("model_field", None)
        if not isinstance(model_field, remote.Field):
            raise TypeError(
                "RemoteModelField(model_field=...) takes a field of a RemoteModel; "
                f"got {model_field!r}. Use serializers.ModelField for Django's model fields."
            )
        return serializer_field(model_field, kwargs)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's ``exception_handler``, answering a provider's 400 as a 400.

    A ``BadRequestError`` raised by ``serializer.save()`` (a duplicate the provider
    refuses, a rule only it knows) is Django's ``ValidationError``, which DRF's own
    handler leaves to Django: a 500. Here it becomes DRF's ``ValidationError``, so
    the client gets a 400 with the provider's messages, keyed by the serializer's
    field names (the provider's keys, a field's ``source``, are mapped back). Set it
    in ``settings.py``::

        REST_FRAMEWORK = {
            "EXCEPTION_HANDLER": "django_api_orm.contrib.rest_framework.exception_handler",
        }
    """
    if isinstance(exc, BadRequestError):
        model = _view_model(context.get("view"))
        names = {f.source: f.name for f in model._meta.fields} if model is not None else {}
        names[NON_FIELD_ERRORS] = api_settings.NON_FIELD_ERRORS_KEY
        detail = serializers.as_serializer_error(exc)
        exc = serializers.ValidationError(
            {names.get(key, key): messages for key, messages in detail.items()}
        )
    return views.exception_handler(exc, context)


def _view_model(view: Any) -> type[RemoteModel] | None:
    """Return the RemoteModel of ``view``'s serializer, if it has one."""
    try:
        model = view.get_serializer_class().Meta.model
    except Exception:  # no view, no serializer class, no Meta.model: keys as sent
        return None
    return model if isinstance(getattr(model, "_meta", None), Options) else None


def register() -> None:
    """Map this library's fields in ``ModelSerializer.serializer_field_mapping``
    (done when this module is imported; calling it again does nothing)."""
    serializers.ModelSerializer.serializer_field_mapping.setdefault(remote.Field, RemoteModelField)


register()
