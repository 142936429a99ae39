"""The base ``Field``: options, conversion both ways, validation, and the descriptor.

A field is also the descriptor for its attribute. A row from the server is kept
as it came (``instance._state.wire``); a field converts its value on first access
and caches the result in the instance's attributes, as Django keeps field values,
so hydrating a page costs one small object per row and a value nobody reads is
never converted. A value of the wrong type raises ``InvalidResponseError`` naming
the model, the field and the value when it is read — never a silently wrong value.

Three conversions, three directions:

- ``from_wire``: the JSON value a server sent → Python, strictly;
- ``to_python``: what a user assigns or filters with → Python, leniently, raising
  ``ValidationError`` (as Django's model fields do);
- ``to_wire``: Python → the JSON value the server's serializer parses.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypedDict, overload

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import capfirst

from django_api_orm.bridge import refuse_in_event_loop
from django_api_orm.exceptions import InvalidResponseError

if TYPE_CHECKING:
    from typing import Self

    from typing_extensions import TypeVar

    from django_api_orm.models.base import RemoteModel

    #: What reading the field on an instance gives (``str``, ``str | None``...); a bare
    #: ``Field`` in an annotation is a ``Field[Any]``.
    T = TypeVar("T", default=Any)
else:
    from typing import TypeVar

    T = TypeVar("T")

__all__ = [
    "EMPTY_VALUES",
    "NOT_PROVIDED",
    "Field",
    "FieldOptions",
    "Validator",
    "default_blank_choice",
    "flat_choices",
    "rendered_messages",
]


_MISSING: Any = object()
_object_setattr: Any = object.__setattr__


class _NotProvided:
    def __repr__(self) -> str:
        return "NOT_PROVIDED"


#: Marks "no default"; ``None`` is a real default.
NOT_PROVIDED: Any = _NotProvided()

EMPTY_VALUES: tuple[Any, ...] = (None, "", [], (), {})


def default_blank_choice() -> list[tuple[str, Any]]:
    """The blank choice ``get_choices()`` puts first, as Django's: ``"---------"``, or
    from Django 6.1 the ``USE_BLANK_CHOICE_DASH`` setting's choice of label."""
    try:
        from django.db.models.utils import get_blank_choice_label  # type: ignore[attr-defined]
    except ImportError:  # Django before 6.1
        from django.db.models.fields import BLANK_CHOICE_DASH

        return list(BLANK_CHOICE_DASH)
    return [("", get_blank_choice_label())]


#: What ``formfield()`` passes on to a choice field (Django's list).
_CHOICE_FIELD_OPTIONS = frozenset(
    {
        "coerce",
        "empty_value",
        "choices",
        "required",
        "widget",
        "label",
        "initial",
        "help_text",
        "error_messages",
        "show_hidden_initial",
        "disabled",
    }
)

Validator = Callable[[Any], None]


class FieldOptions(TypedDict, total=False):
    """The options every field takes, for type checkers (``null`` apart: it makes the
    value's type ``X | None``)."""

    primary_key: bool
    blank: bool
    default: Any
    choices: Any
    read_only: bool
    source: str | None
    validators: Sequence[Validator]
    help_text: str
    verbose_name: str | None
    error_messages: Mapping[str, str] | None


class Field(Generic[T]):
    """Base class of every field: options, conversion both ways, validation, descriptor.

    ``T`` is the type of the value read on an instance, for type checkers: each field
    class sets it from ``null`` (``CharField()`` is a ``CharField[str]``,
    ``CharField(null=True)`` a ``CharField[str | None]``).
    """

    #: Python types ``parse_wire`` accepts from the wire.
    wire_types: ClassVar[tuple[type, ...]] = ()
    #: Wire types that already are the Python value (read without conversion).
    ready_types: frozenset[type] = frozenset()
    #: Set for a field that overrides ``value_from_wire`` (a foreign key caching its
    #: nested object): its reads always go through it.
    _reads_itself: bool = False
    #: Set for a field class that overrides ``from_wire``: reads call it (the base
    #: class's is inlined in ``__get__``, a call less for every converted value).
    _own_from_wire: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # A subclass that converts differently must not inherit the no-conversion path.
        converts = ("parse_wire", "from_wire", "value_from_wire")
        if "ready_types" not in cls.__dict__ and any(name in cls.__dict__ for name in converts):
            cls.ready_types = frozenset()
        if "value_from_wire" in cls.__dict__:
            cls._reads_itself = True
        if "from_wire" in cls.__dict__:
            cls._own_from_wire = True

    default_error_messages: ClassVar[dict[str, str]] = {
        "invalid_choice": "Value %(value)r is not a valid choice.",
        "null": "This field cannot be null.",
        "blank": "This field cannot be blank.",
    }
    default_validators: ClassVar[list[Validator]] = []
    _creation_counter: ClassVar[int] = 0

    #: True for the ``id`` primary key a model gets when it declares none.
    auto_created = False
    #: True for a field naming other objects (a foreign key, a many-to-many), as Django's.
    is_relation = False
    #: Django's relation flags: ``None`` for a field that is no relation, as Django's.
    many_to_one: bool | None = None
    one_to_many: bool | None = None
    one_to_one: bool | None = None
    many_to_many: bool | None = None
    #: Every field holds a value of the resource (Django: a column); none is hidden.
    concrete = True
    hidden = False
    #: Uniqueness is the provider's to check (a duplicate answers 400).
    unique = False
    unique_for_date: str | None = None
    unique_for_month: str | None = None
    unique_for_year: str | None = None
    db_index = False
    #: True for a copy of a parent's field made for a subclass (``clone()``).
    inherited = False
    #: The values Django's forms treat as empty (``Field.empty_values``).
    empty_values: ClassVar[list[Any]] = list(EMPTY_VALUES)
    #: What ``get_internal_type()`` answers, as Django's built-in fields do: the
    #: built-in field class a field is or extends (``EmailField``: ``"CharField"``).
    internal_type: ClassVar[str] = "Field"
    #: True for a field holding one plain value (not an object, a list or a relation):
    #: a JSON object sent for it may be a wrapped choice (``{"value", "label"}``),
    #: which the row's dialect unwraps (``BaseDialect.choice_value``).
    scalar: ClassVar[bool] = True

    name: str
    attname: str
    source: str
    model: type[RemoteModel]

    def __init__(
        self,
        *,
        primary_key: bool = False,
        null: bool = False,
        blank: bool = False,
        default: Any = NOT_PROVIDED,
        choices: Any = None,
        read_only: bool = False,
        source: str | None = None,
        validators: Sequence[Validator] = (),
        help_text: str = "",
        verbose_name: str | None = None,
        error_messages: Mapping[str, str] | None = None,
    ) -> None:
        if primary_key and null:
            raise TypeError("A primary key cannot be null=True.")
        self.primary_key = primary_key
        self.null = null
        self.blank = blank
        self.default = default
        self.choices: list[tuple[Any, Any]] | None = _normalize_choices(choices)
        if self.choices is not None:
            # A choice's wire value is read through the row's dialect.
            self._reads_itself = True
            self.ready_types = frozenset()
        self.read_only = read_only
        self._source = source
        self._validators = list(validators)
        self.help_text = help_text
        self.verbose_name = verbose_name
        messages: dict[str, str] = {}
        for cls in reversed(type(self).__mro__):
            messages.update(getattr(cls, "default_error_messages", {}))
        messages.update(error_messages or {})
        self.error_messages = messages
        self.creation_counter = Field._creation_counter
        Field._creation_counter += 1

    # --- declaration --------------------------------------------------------

    def contribute_to_class(self, cls: type[RemoteModel], name: str) -> None:
        """Attach this field to ``cls`` as ``name`` and register it in ``cls._meta``."""
        self.name = name
        self.attname = self.get_attname()
        self.source = self._source or name
        self.model = cls
        if self.verbose_name is None:
            self.verbose_name = name.replace("_", " ")
        cls._meta.add_field(self)
        setattr(cls, self.attname, self)

    def bind_as_child(self, cls: type[RemoteModel], name: str) -> None:
        """Name this field as the items of a container field, for error messages."""
        self.name = self.attname = self.source = name
        self.model = cls

    def get_attname(self) -> str:
        return self.name

    def clone(self) -> Field:
        """Return an unbound copy, for a subclass inheriting this field."""
        clone = copy.copy(self)
        clone.inherited = True
        return clone

    @property
    def validators(self) -> list[Validator]:
        """The validators ``clean()`` runs: the field type's, then the declared ones."""
        return [*self.default_validators, *self._validators]

    @property
    def flatchoices(self) -> list[tuple[Any, Any]]:
        """``choices`` with groups flattened, as Django's ``Field.flatchoices``."""
        return list(flat_choices(self.choices or ()))

    def get_internal_type(self) -> str:
        """Return the name of the built-in field class this field is, as Django's fields do."""
        return self.internal_type

    def has_default(self) -> bool:
        """Tell whether the field declares a default."""
        return self.default is not NOT_PROVIDED

    def get_default(self) -> Any:
        """Return the default (``None`` when there is none); a mutable one is copied."""
        default = self.default
        if default is NOT_PROVIDED:
            return None
        if callable(default):
            return default()
        if isinstance(default, list | dict | set):
            # A shared list would leak one instance's changes into every other.
            return copy.deepcopy(default)
        return default

    # --- Django's field API (forms, the admin, serializers) ------------------

    @property
    def editable(self) -> bool:
        """False for a ``read_only`` field (the auto ``id`` among them): Django's forms
        and the admin leave it out, as the provider ignores it in a write."""
        return not self.read_only

    @property
    def serialize(self) -> bool:
        """Whether ``django.core.serializers`` writes the field (the pk goes apart)."""
        return not self.primary_key

    @property
    def remote_field(self) -> Any:
        """The relation object of a relation field (Django's ``remote_field``); ``None``."""
        return None

    @property
    def related_model(self) -> type[RemoteModel] | None:
        """The model a relation field points at; ``None`` for any other field."""
        return None

    @property
    def column(self) -> str:
        """The key of the field in the provider's JSON (Django: the column name)."""
        return self.source

    def __lt__(self, other: object) -> bool:
        # Django's fields_for_model() sorts fields: in declaration order.
        if isinstance(other, Field):
            return self.creation_counter < other.creation_counter
        return NotImplemented

    def value_from_object(self, obj: RemoteModel) -> Any:
        """Return this field's value on ``obj`` (a foreign key's: the related pk)."""
        return getattr(obj, self.attname)

    def value_to_string(self, obj: RemoteModel) -> str:
        """Return this field's value on ``obj`` as text, as the provider's JSON has it
        (``django.core.serializers`` calls it for values that are not plain types)."""
        value = self.to_wire(self.value_from_object(obj))
        return "" if value is None else str(value)

    def get_lookup(self, lookup_name: str) -> Any:
        """Refuse: a remote field has no SQL lookups. The one library that asks, django-
        filter's own ``FilterSet``, gets the error naming the ``FilterSet`` that works."""
        model = getattr(self, "model", None)
        owner = f"{model.__name__}.{self.name}" if model is not None else type(self).__name__
        raise TypeError(
            f"{owner} is a field of a remote model, which has no SQL lookup "
            f"{lookup_name!r}: filters are sent to its provider. For a django-filter "
            "FilterSet of a remote model, subclass "
            "django_api_orm.contrib.django_filters.FilterSet instead of "
            "django_filters.FilterSet."
        )

    def save_form_data(self, instance: RemoteModel, data: Any) -> None:
        """Set the value a form cleaned on ``instance`` (Django's ``construct_instance``)."""
        setattr(instance, self.name, data)

    def get_choices(
        self,
        include_blank: bool = True,
        blank_choice: Sequence[tuple[Any, Any]] | None = None,
        limit_choices_to: Any = None,
        ordering: Sequence[str] = (),
    ) -> list[tuple[Any, Any]]:
        """Return ``choices`` for a ``<select>``, the blank choice first if asked, as
        Django's ``Field.get_choices()`` (a relation field lists the related objects)."""
        blank = list(default_blank_choice() if blank_choice is None else blank_choice)
        if self.choices is None:
            raise TypeError(
                f"{self.model.__name__}.{self.name} has no choices (it declares none and "
                "is not a relation)."
            )
        return [*blank, *self.choices] if include_blank else list(self.choices)

    def formfield(
        self,
        form_class: type[forms.Field] | None = None,
        choices_form_class: type[forms.Field] | None = None,
        **kwargs: Any,
    ) -> forms.Field | None:
        """Return the ``django.forms`` field of this field, as Django's ``formfield()``.

        ``required`` is ``not blank``, the label is the capitalised
        ``verbose_name``, ``help_text`` and a default (``initial``) are passed on;
        a field with ``choices`` is a ``TypedChoiceField`` with a blank choice
        (unless it has a default), coerced by ``to_python``.
        """
        defaults: dict[str, Any] = {
            "required": not self.blank,
            "label": capfirst(self.verbose_name),
            "help_text": self.help_text,
        }
        if self.has_default():
            if callable(self.default):
                defaults["initial"] = self.default
                defaults["show_hidden_initial"] = True
            else:
                defaults["initial"] = self.get_default()
        if self.choices is not None:
            include_blank = self.blank or not (self.has_default() or "initial" in kwargs)
            defaults["choices"] = self.get_choices(include_blank=include_blank)
            defaults["coerce"] = self.to_python
            if self.null:
                defaults["empty_value"] = None
            form_class = choices_form_class or forms.TypedChoiceField
            # Options of the plain form field make no sense for a choice field (Django's rule).
            kwargs = {k: v for k, v in kwargs.items() if k in _CHOICE_FIELD_OPTIONS}
        else:
            defaults.update(self.formfield_defaults())
        defaults.update(kwargs)
        return (form_class or self.form_class)(**defaults)

    #: The ``django.forms`` field class ``formfield()`` makes.
    form_class: ClassVar[type[forms.Field]] = forms.CharField

    def formfield_defaults(self) -> dict[str, Any]:
        """The form field's own options (``max_length``, ``widget``...), for subclasses."""
        return {}

    def __repr__(self) -> str:
        path = f"{type(self).__module__}.{type(self).__qualname__}"
        name = getattr(self, "name", None)
        return f"<{path}: {name}>" if name else f"<{path}>"

    # --- descriptor: wire value converted on first access -------------------

    # ``instance: Any``, not RemoteModel: mypy applies __get__ to a property *returning* a
    # Field (``ForeignKey.target_field``) with the property's owner as the instance.
    @overload
    def __get__(self, instance: None, owner: type | None = None) -> Self: ...
    @overload
    def __get__(self, instance: Any, owner: type | None = None) -> T: ...
    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        wire = instance._state.wire
        raw = _MISSING if wire is None else wire.get(self.source, _MISSING)
        if type(raw) in self.ready_types:
            value = raw  # already the Python value: no conversion to run
        elif raw is _MISSING or self._reads_itself or (type(raw) is dict and self.scalar):
            # Missing (deferred), read by the field itself, or a wrapped choice.
            value = self.value_from_wire(instance)
        elif raw is None or self._own_from_wire:
            value = self.from_wire(raw)
        else:
            try:  # from_wire, inlined
                value = self.parse_wire(raw)
            except (TypeError, ValueError, ArithmeticError, ValidationError) as exc:
                raise self._invalid_wire(raw, str(exc) or type(exc).__name__) from exc
        # Cached in the instance, where it wins over this (non-data) descriptor,
        # stored as CPython keeps inline attribute values (no __dict__ made). The
        # setattr() builtin is the cheaper call, but it would run a model's own
        # __setattr__ (which may track changes): a read must not, so such a model
        # gets object.__setattr__.
        if type(instance).__setattr__ is _object_setattr:
            setattr(instance, self.attname, value)
        else:
            _object_setattr(instance, self.attname, value)
        return value

    if TYPE_CHECKING:
        # For type checkers only: ``book.title = "..."`` takes the field's type. At run
        # time a field stays a non-data descriptor (the value cached in the instance wins).
        def __set__(self, instance: RemoteModel, value: T) -> None: ...

    def value_from_wire(self, instance: RemoteModel) -> Any:
        """Read this field's value from the instance's wire row, converting it.

        A key missing from a server's row is *deferred*, as Django's ``only()``
        makes a field: reading it loads the object's detail (in sync code) or
        raises ``SynchronousOnlyOperation`` naming ``arefresh_from_db()`` (in
        async code), never a default standing in for a value the server holds.
        A key the detail does not carry either takes the field's default
        (``None`` for a ``null=True`` field, as in Django); with neither, it is
        an error. An instance made here (no row) takes the default.
        """
        state = instance._state
        wire = state.wire
        if wire is not None and self.source not in wire:
            wire = load_deferred(self, instance)
        if wire is None or self.source not in wire:
            if wire is not None and not self.has_default() and not self.null:
                raise InvalidResponseError(
                    f"{self.model.__name__}.{self.name}: the server's row has no "
                    f"'{self.source}' key and the field has no default."
                )
            return self.get_default()
        raw = wire[self.source]
        dialect = state.dialect
        if dialect is not None and (
            self.choices is not None or (self.scalar and type(raw) is dict)
        ):
            raw = dialect.choice_value(raw)  # a provider may wrap a choice's value
        return self.from_wire(raw)

    def wire_label(self, instance: RemoteModel, value: Any) -> Any:
        """Return the label the provider sent with this field's ``value`` (a wrapped
        choice, ``{"value": "active", "label": "Active"}``), or ``None``."""
        state = instance._state
        if state.wire is None or state.dialect is None:
            return None
        raw = state.wire.get(self.source)
        label = state.dialect.choice_label(raw)
        if label is None:
            return None
        try:
            sent = self.from_wire(state.dialect.choice_value(raw))
        except InvalidResponseError:
            return None
        return label if sent == value else None

    def from_wire(self, value: Any) -> Any:
        """Convert a JSON value sent by the server; raise ``InvalidResponseError`` if wrong."""
        if value is None:
            if self.null:
                return None
            raise self._invalid_wire(value, "null is not allowed (the field is not null=True)")
        try:
            return self.parse_wire(value)
        except (TypeError, ValueError, ArithmeticError, ValidationError) as exc:
            raise self._invalid_wire(value, str(exc) or type(exc).__name__) from exc

    def parse_wire(self, value: Any) -> Any:
        """Convert a non-null wire value; raise ``TypeError``/``ValueError`` if it is wrong."""
        if self.wire_types and not isinstance(value, self.wire_types):
            raise TypeError(f"expected {self._type_names()}, got {type(value).__name__}")
        return value

    def _type_names(self) -> str:
        return " or ".join(t.__name__ for t in self.wire_types)

    def _invalid_wire(self, value: Any, reason: str) -> InvalidResponseError:
        shown = repr(value)
        if len(shown) > 200:
            shown = shown[:200] + "…"
        return InvalidResponseError(
            f"{self.model.__name__}.{self.name}: the server sent {shown}, "
            f"which is not a valid {type(self).__name__} value ({reason})."
        )

    # --- Python to wire -----------------------------------------------------

    def to_python(self, value: Any) -> Any:
        """Convert user input to this field's Python type; raise ``ValidationError`` if wrong."""
        return value

    def to_wire(self, value: Any) -> Any:
        """Convert a Python value to the JSON value the server's serializer parses."""
        return None if value is None else self.to_python(value)

    def get_prep_value(self, value: Any) -> Any:
        """Convert a filter value to the Python type used to encode it."""
        if value is None:
            return None
        return self.to_python(value)

    def _invalid(self, value: Any) -> ValidationError:
        # Not in the base error_messages: a validator's "invalid" (e-mail, URL) keeps its own.
        message = self.error_messages.get("invalid", "'%(value)s' value is not valid.")
        return ValidationError(message, code="invalid", params={"value": value})

    # --- validation (Django's Field.clean) ----------------------------------

    def validate(self, value: Any, instance: RemoteModel | None) -> None:
        """Check ``choices``, ``null`` and ``blank``; raise ``ValidationError``."""
        if (
            self.choices is not None
            and value not in EMPTY_VALUES
            and not any(value == key for key, _ in self.flatchoices)
        ):
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )
        if value is None and not self.null:
            raise ValidationError(self.error_messages["null"], code="null")
        if not self.blank and value in EMPTY_VALUES:
            raise ValidationError(self.error_messages["blank"], code="blank")

    def run_validators(self, value: Any) -> None:
        """Run ``validators`` on a non-empty value; raise one ``ValidationError`` of all errors."""
        if value in EMPTY_VALUES:
            return
        errors: list[ValidationError] = []
        for validator in self.validators:
            try:
                validator(value)
            except ValidationError as exc:
                # As Django: a field's error_messages override a validator's message.
                if getattr(exc, "code", None) in self.error_messages:
                    exc.message = self.error_messages[exc.code]  # type: ignore[index]
                errors.extend(exc.error_list)
        if errors:
            raise ValidationError(errors)

    def clean(self, value: Any, instance: RemoteModel | None) -> Any:
        """Convert, validate and return ``value``; raise ``ValidationError`` if wrong."""
        value = self.to_python(value)
        self.validate(value, instance)
        self.run_validators(value)
        return value


def _normalize_choices(choices: Any) -> list[tuple[Any, Any]] | None:
    """Return ``choices`` as a list of pairs: from pairs, a mapping, or a Django ``Choices``."""
    if choices is None:
        return None
    if isinstance(choices, type) and hasattr(choices, "choices"):
        choices = choices.choices  # TextChoices / IntegerChoices, as Django 5 accepts
    if isinstance(choices, Mapping):
        choices = choices.items()
    if isinstance(choices, str) or not isinstance(choices, Iterable):
        raise TypeError(f"choices must be an iterable of (value, label) pairs, not {choices!r}.")
    out: list[tuple[Any, Any]] = []
    for item in choices:
        if isinstance(item, str) or not isinstance(item, list | tuple) or len(item) != 2:
            raise TypeError(f"choices must be (value, label) pairs; got {item!r}.")
        key, label = item
        if isinstance(label, Mapping | list | tuple):
            label = _normalize_choices(label) or []  # a named group of choices
        out.append((key, label))
    return out or None


def flat_choices(choices: Iterable[tuple[Any, Any]]) -> Iterator[tuple[Any, Any]]:
    for key, label in choices:
        if isinstance(label, list):
            yield from flat_choices(label)
        else:
            yield key, label


def rendered_messages(error: ValidationError) -> Iterator[tuple[str, str | None]]:
    """Yield each message of ``error`` with its parameters applied, and its code."""
    for item in error.error_list:
        yield str(next(iter(item))), item.code


def load_deferred(field: Field, instance: RemoteModel) -> dict[str, Any] | None:
    """Load the fields missing from ``instance``'s row (``field`` among them) from its
    detail, in sync code; return the row after. Async code is refused with a message
    naming ``arefresh_from_db()``: a default standing in for the value would be wrong."""
    model = type(instance)
    opts = model._meta
    if field.primary_key or opts.embedded or instance._state.wire is None:
        return instance._state.wire  # nothing to load it from: the usual rule applies
    names = sorted(f.name for f in opts.fields if f.attname in instance.get_deferred_fields())
    shown = ", ".join(repr(name) for name in names)
    refuse_in_event_loop(
        f"{model.__name__}.{field.name} is deferred: the server's answer that made this "
        f"{model.__name__} did not include it (a partial object, such as a nested related "
        f"object), and reading it would make a blocking request from a running event loop. "
        f"Load it first: await obj.arefresh_from_db(fields=[{shown}]) (or "
        f"arefresh_from_db() for every field), or ask the queryset that loads it for "
        f"whole objects with select_related()."
    )
    instance.refresh_from_db(fields=names)
    return instance._state.wire
