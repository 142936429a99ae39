"""Container fields: lists and dicts of values, and embedded records."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar, Unpack, overload

from django import forms
from django.core.exceptions import ValidationError

from django_api_orm.hydration import hydrate_one
from django_api_orm.models.fields.base import Field, FieldOptions, T, rendered_messages

if TYPE_CHECKING:
    from django_api_orm.models.base import RemoteModel

__all__ = ["DictField", "EmbeddedField", "ListField"]

#: The value type of a container's ``child`` field; an embedded record's model.
C = TypeVar("C")
E = TypeVar("E", bound="RemoteModel")


class _ContainerField(Field[T]):
    """A list or dict of values each converted and validated by ``child`` (any field)."""

    scalar = False

    #: Edited as JSON text in a form (Django's ``forms.JSONField``).
    form_class = forms.JSONField

    child_suffix: ClassVar[str]

    def __init__(self, child: Field | None = None, **kwargs: Any) -> None:
        self.child = child
        super().__init__(**kwargs)

    def contribute_to_class(self, cls: type[RemoteModel], name: str) -> None:
        super().contribute_to_class(cls, name)
        if self.child is not None:
            self.child.bind_as_child(cls, f"{name}{self.child_suffix}")

    def bind_as_child(self, cls: type[RemoteModel], name: str) -> None:
        super().bind_as_child(cls, name)
        if self.child is not None:
            self.child.bind_as_child(cls, f"{name}{self.child_suffix}")

    def clone(self) -> Field:
        clone = copy.copy(self)
        # The child carries its model for error messages: a subclass needs its own.
        clone.child = None if self.child is None else self.child.clone()
        return clone

    def _items(self, value: Any) -> Iterable[tuple[str, Any]]:
        raise NotImplementedError

    def value_from_object(self, obj: RemoteModel) -> Any:
        """The value as JSON (dates and decimals as the provider's text): what a form's
        ``JSONField`` edits; setting what it cleans reads it back through ``child``."""
        return self.to_wire(getattr(obj, self.attname))

    def value_to_string(self, obj: RemoteModel) -> Any:
        # The JSON value itself (as Django's JSONField): serializers nest it.
        return self.value_from_object(obj)

    def _check_items(self, value: Any, check: Callable[[Any], None]) -> None:
        errors: list[ValidationError] = []
        for label, item in self._items(value):
            try:
                check(item)
            except ValidationError as exc:
                errors.extend(
                    ValidationError(f"{label} did not validate: {message}", code=code)
                    for message, code in rendered_messages(exc)
                )
        if errors:
            raise ValidationError(errors)

    def validate(self, value: Any, instance: RemoteModel | None) -> None:
        super().validate(value, instance)
        child = self.child
        if child is not None and value:
            self._check_items(value, lambda item: child.validate(item, instance))

    def run_validators(self, value: Any) -> None:
        super().run_validators(value)
        child = self.child
        if child is not None and value:
            self._check_items(value, child.run_validators)


class ListField(_ContainerField[T]):
    """A JSON array whose items are converted by ``child`` (any field), if given."""

    if TYPE_CHECKING:

        @overload
        def __init__(
            self: ListField[list[C]],
            child: Field[C],
            *,
            null: Literal[False] = ...,
            **options: Unpack[FieldOptions],
        ) -> None: ...
        @overload
        def __init__(
            self: ListField[list[C] | None],
            child: Field[C],
            *,
            null: bool,
            **options: Unpack[FieldOptions],
        ) -> None: ...
        @overload
        def __init__(
            self: ListField[list[Any]],
            child: None = ...,
            *,
            null: Literal[False] = ...,
            **options: Unpack[FieldOptions],
        ) -> None: ...
        @overload
        def __init__(
            self: ListField[list[Any] | None],
            child: None = ...,
            *,
            null: bool,
            **options: Unpack[FieldOptions],
        ) -> None: ...
        def __init__(self, *args: Any, **kwargs: Any) -> None: ...

    internal_type = "ListField"

    wire_types = (list,)
    child_suffix = "[]"

    def parse_wire(self, value: Any) -> Any:
        if type(value) is not list:
            super().parse_wire(value)
        if self.child is None:
            return list(value)
        from_wire = self.child.from_wire
        return [from_wire(item) for item in value]

    def to_python(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
            raise ValidationError("Enter a list of values.", code="invalid")
        if self.child is None:
            return list(value)
        return [self.child.to_python(item) for item in value]

    def to_wire(self, value: Any) -> Any:
        if value is None:
            return None
        if self.child is None:
            return list(self.to_python(value))
        return [self.child.to_wire(item) for item in self.to_python(value)]

    def _items(self, value: Any) -> Iterable[tuple[str, Any]]:
        return ((f"Item {index} in the list", item) for index, item in enumerate(value, 1))


class DictField(_ContainerField[T]):
    """A JSON object whose values are converted by ``child`` (any field), if given."""

    if TYPE_CHECKING:

        @overload
        def __init__(
            self: DictField[dict[str, C]],
            child: Field[C],
            *,
            null: Literal[False] = ...,
            **options: Unpack[FieldOptions],
        ) -> None: ...
        @overload
        def __init__(
            self: DictField[dict[str, C] | None],
            child: Field[C],
            *,
            null: bool,
            **options: Unpack[FieldOptions],
        ) -> None: ...
        @overload
        def __init__(
            self: DictField[dict[str, Any]],
            child: None = ...,
            *,
            null: Literal[False] = ...,
            **options: Unpack[FieldOptions],
        ) -> None: ...
        @overload
        def __init__(
            self: DictField[dict[str, Any] | None],
            child: None = ...,
            *,
            null: bool,
            **options: Unpack[FieldOptions],
        ) -> None: ...
        def __init__(self, *args: Any, **kwargs: Any) -> None: ...

    internal_type = "DictField"

    wire_types = (dict,)
    child_suffix = "{}"

    def parse_wire(self, value: Any) -> Any:
        if type(value) is not dict:
            super().parse_wire(value)
        if self.child is None:
            return dict(value)
        from_wire = self.child.from_wire
        return {key: from_wire(item) for key, item in value.items()}

    def to_python(self, value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise ValidationError("Enter a dictionary.", code="invalid")
        if self.child is None:
            return dict(value)
        return {str(k): self.child.to_python(v) for k, v in value.items()}

    def to_wire(self, value: Any) -> Any:
        if value is None:
            return None
        value = self.to_python(value)
        if self.child is None:
            return {str(k): v for k, v in value.items()}
        return {str(k): self.child.to_wire(v) for k, v in value.items()}

    def _items(self, value: Any) -> Iterable[tuple[str, Any]]:
        return ((f"The value of {key!r}", item) for key, item in value.items())


class EmbeddedField(Field[T]):
    """A nested record, declared as a RemoteModel with ``Meta.embedded = True``."""

    internal_type = "EmbeddedField"

    scalar = False

    #: Edited as JSON text in a form: the record's fields as a JSON object.
    form_class = forms.JSONField

    wire_types = (dict,)

    if TYPE_CHECKING:

        @overload
        def __init__(
            self: EmbeddedField[E],
            to: type[E],
            *,
            null: Literal[False] = ...,
            **options: Unpack[FieldOptions],
        ) -> None: ...
        @overload
        def __init__(
            self: EmbeddedField[E | None],
            to: type[E],
            *,
            null: bool,
            **options: Unpack[FieldOptions],
        ) -> None: ...

    def __init__(self, to: type[RemoteModel], **kwargs: Any) -> None:
        opts = getattr(to, "_meta", None)
        if opts is None or not opts.embedded:
            raise TypeError(
                f"EmbeddedField needs a RemoteModel with Meta.embedded = True, not {to!r}."
            )
        self.to = to
        super().__init__(**kwargs)

    def parse_wire(self, value: Any) -> Any:
        super().parse_wire(value)
        return hydrate_one(self.to, value, using=None, dialect=None)

    def to_python(self, value: Any) -> Any:
        if value is None or isinstance(value, self.to):
            return value
        if isinstance(value, Mapping):
            try:
                return self.to(**value)
            except TypeError as exc:
                raise ValidationError(str(exc), code="invalid") from None
        raise ValidationError(
            f"Enter a {self.to.__name__} or a dict of its fields.", code="invalid"
        )

    def to_wire(self, value: Any) -> Any:
        if value is None:
            return None
        return self.to_python(value)._to_wire_dict()

    def value_from_object(self, obj: RemoteModel) -> Any:
        """The record as a JSON object (what a form edits and a serializer writes)."""
        return self.to_wire(getattr(obj, self.attname))

    def value_to_string(self, obj: RemoteModel) -> Any:
        return self.value_from_object(obj)

    def save_form_data(self, instance: RemoteModel, data: Any) -> None:
        setattr(instance, self.name, self.to_python(data))

    def run_validators(self, value: Any) -> None:
        super().run_validators(value)
        if value is None:
            return
        try:
            value.full_clean()
        except ValidationError as exc:
            # Django's error dicts are one level deep: name the nested field in the message.
            raise ValidationError(
                [
                    ValidationError(f"{name}: {message}", code=code)
                    for name, errors in exc.error_dict.items()
                    for message, code in rendered_messages(ValidationError(errors))
                ]
            ) from None
