"""Django's model choice fields, for remote models.

``ForeignKey.formfield()`` and ``ManyToManyField.formfield()`` (so every
``ModelForm``) use these; declare them by hand as Django's::

    author = ModelChoiceField(queryset=Author.objects.all())
    genres = ModelMultipleChoiceField(queryset=Genre.objects.all())

They are Django's ``ModelChoiceField`` and ``ModelMultipleChoiceField`` with two
differences:

- ``ModelMultipleChoiceField`` checks the chosen pks with one ``pk__in``
  request where the related model declares that filter (``Meta.filter_fields``),
  else with concurrent detail GETs: a provider without ``__in`` works too
  (Django's would send a filter the provider ignores);
- listing the choices (rendering) and checking a choice (``is_valid()``) ask the
  provider, which sync code does; from a running event loop they raise
  ``SynchronousOnlyOperation`` naming the recipe: run the form's sync work in a
  thread, ``await sync_to_async(form.is_valid)()``, then
  ``form.save(commit=False)`` and ``await obj.asave()``.

``add_provider_errors(form, error)`` puts a provider's 400 on the form as
``form.add_error(None, error)`` does, its messages about fields the form does
not show becoming errors of the whole form (Django's ``add_error`` raises
``ValueError`` for those).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.utils.text import capfirst

from django_api_orm.bridge import refuse_in_event_loop, run_sync
from django_api_orm.models.relations import fetch_by_pk

__all__ = [
    "ModelChoiceField",
    "ModelChoiceIterator",
    "ModelMultipleChoiceField",
    "add_provider_errors",
]


_ASYNC_RECIPE = (
    "run the form's sync work in a thread: await sync_to_async(form.is_valid)() (and "
    "sync_to_async(str)(form), or render the template with sync_to_async), then "
    "obj = form.save(commit=False) and await obj.asave()."
)


def _refuse(field: forms.Field, what: str) -> None:
    queryset: Any = getattr(field, "queryset", None)
    model = queryset.model.__name__ if queryset is not None else "the related model"
    refuse_in_event_loop(
        f"{what} asks the provider for {model} objects, which would block the event loop "
        f"running in this thread. In async code, {_ASYNC_RECIPE}"
    )


class ModelChoiceIterator(forms.models.ModelChoiceIterator):
    """Django's, refusing in a running event loop with the async recipe."""

    def __iter__(self) -> Iterator[Any]:
        _refuse(self.field, "Listing the choices of a model choice field")
        return super().__iter__()

    def __len__(self) -> int:
        _refuse(self.field, "Counting the choices of a model choice field")
        return super().__len__()

    def __bool__(self) -> bool:
        if self.field.empty_label is None:  # else Django answers without a request
            _refuse(self.field, "Telling whether a model choice field has choices")
        return super().__bool__()


class ModelChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """Django's ``ModelChoiceField`` over a RemoteModel queryset (one detail GET per clean)."""

    iterator = ModelChoiceIterator

    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values:
            _refuse(self, "Checking the choice of a model choice field")
        try:
            return super().to_python(value)
        except ValidationError as error:
            if error.code != "invalid":
                raise
            # A value the pk field cannot read ("abc" for an integer pk) is no valid
            # choice, as Django 6 says (Django 5.2 shows the pk field's own message).
            raise ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            ) from None


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    """Django's ``ModelMultipleChoiceField`` over a RemoteModel queryset; ``clean()``
    returns the chosen objects, in the order chosen."""

    iterator = ModelChoiceIterator

    def _check_values(self, value: Iterable[Any]) -> list[Any]:
        queryset: Any = self.queryset
        model = queryset.model
        key = self.to_field_name or "pk"
        field = model._meta.pk if key == "pk" else model._meta.get_field(key)
        try:
            raw_values = list(dict.fromkeys(value))
        except TypeError:
            raise ValidationError(
                self.error_messages["invalid_list"], code="invalid_list"
            ) from None
        chosen: dict[Any, Any] = {}
        for raw in raw_values:
            self.validate_no_null_characters(raw)
            try:
                chosen.setdefault(field.to_python(raw), raw)
            except ValidationError:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": raw},
                ) from None
        _refuse(self, "Checking the choices of a model multiple choice field")
        found = run_sync(
            lambda: _fetch(queryset, key, list(chosen)),
            hint="await sync_to_async(form.is_valid)()",
        )
        for pk, raw in chosen.items():
            if pk not in found:
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": raw},
                )
        return [found[pk] for pk in chosen]


async def _fetch(queryset: Any, key: str, values: list[Any]) -> dict[Any, Any]:
    """Return ``{value: object}`` of the objects of ``queryset`` whose ``key`` is in
    ``values``: ``__in`` requests if the model declares that filter, else detail GETs.
    An empty value (``""`` for a text pk) names no object: it is not found."""
    values = [value for value in values if value not in (None, "")]
    if not values:
        return {}
    return await fetch_by_pk(queryset.model, values, queryset, field_name=key)


def add_provider_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Add the messages of ``error`` (a ``BadRequestError``) to ``form``: each on its
    field when the form has it, else to the whole form's errors, prefixed with the
    field's label (``"Published: Publication date cannot be in the future."``)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    model = getattr(getattr(form, "_meta", None), "model", None)
    # The provider keys its messages by its own names: a field's ``source``.
    by_source = {f.source: f.name for f in getattr(getattr(model, "_meta", None), "fields", ())}
    for key, errors in error.error_dict.items():
        name = by_source.get(key, key)
        if name == NON_FIELD_ERRORS or name in form.fields:
            form.add_error(None if name == NON_FIELD_ERRORS else name, errors)
            continue
        label = capfirst(name.replace("_", " "))
        if model is not None:
            with contextlib.suppress(FieldDoesNotExist):
                label = capfirst(model._meta.get_field(name).verbose_name)
        form.add_error(
            None,
            [ValidationError(f"{label}: {message}") for item in errors for message in item],
        )
