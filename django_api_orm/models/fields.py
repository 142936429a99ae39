"""Fields: declare a remote resource's attributes, convert wire JSON to Python and back.

A field is also the descriptor for its attribute. A row from the server is kept
as it came (``instance._wire``); a field converts its value on first access and
caches the result in the instance's ``__dict__``, so hydrating a page costs one
small object per row and a value nobody reads is never converted. A value of the
wrong type raises ``InvalidResponseError`` naming the model, the field and the
value when it is read — never a silently wrong value.

Three conversions, three directions:

- ``from_wire``: the JSON value a server sent (DRF's output) → Python, strictly;
- ``to_python``: what a user assigns or filters with → Python, leniently, raising
  ``ValidationError`` (as Django's model fields do);
- ``to_wire``: Python → the JSON value DRF's serializer field parses.
"""

from __future__ import annotations

import copy
import datetime
import decimal
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, overload

from django.conf import settings
from django.core import validators as django_validators
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime, parse_duration
from django.utils.duration import duration_string

from django_api_orm.exceptions import InvalidResponseError

if TYPE_CHECKING:
    from typing import Self

    from django_api_orm.models.base import RemoteModel

__all__ = [
    "NOT_PROVIDED",
    "BooleanField",
    "CharField",
    "DateField",
    "DateTimeField",
    "DecimalField",
    "DictField",
    "DurationField",
    "EmailField",
    "EmbeddedField",
    "Field",
    "FloatField",
    "ForeignKey",
    "IntegerField",
    "JSONField",
    "ListField",
    "ManyToManyField",
    "TextField",
    "TimeField",
    "URLField",
    "UUIDField",
]


_MISSING: Any = object()


class _NotProvided:
    def __repr__(self) -> str:
        return "NOT_PROVIDED"


#: Marks "no default"; ``None`` is a real default.
NOT_PROVIDED: Any = _NotProvided()

EMPTY_VALUES: tuple[Any, ...] = (None, "", [], (), {})

Validator = Callable[[Any], None]


class Field:
    """Base class of every field: options, conversion both ways, validation, descriptor."""

    #: Python types ``parse_wire`` accepts from the wire.
    wire_types: ClassVar[tuple[type, ...]] = ()
    #: Wire types that already are the Python value (read without conversion).
    ready_types: ClassVar[frozenset[type]] = frozenset()
    #: Set for a field that overrides ``value_from_wire`` (a foreign key caching its
    #: nested object): its reads always go through it.
    _reads_itself: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # A subclass that converts differently must not inherit the no-conversion path.
        converts = ("parse_wire", "from_wire", "value_from_wire")
        if "ready_types" not in cls.__dict__ and any(name in cls.__dict__ for name in converts):
            cls.ready_types = frozenset()
        if "value_from_wire" in cls.__dict__:
            cls._reads_itself = True

    default_error_messages: ClassVar[dict[str, str]] = {
        "invalid_choice": "Value %(value)r is not a valid choice.",
        "null": "This field cannot be null.",
        "blank": "This field cannot be blank.",
    }
    default_validators: ClassVar[list[Validator]] = []
    _creation_counter: ClassVar[int] = 0

    #: True for the ``id`` primary key a model gets when it declares none.
    auto_created = False

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
        return copy.copy(self)

    @property
    def validators(self) -> list[Validator]:
        """The validators ``clean()`` runs: the field type's, then the declared ones."""
        return [*self.default_validators, *self._validators]

    @property
    def flatchoices(self) -> list[tuple[Any, Any]]:
        """``choices`` with groups flattened, as Django's ``Field.flatchoices``."""
        return list(_flat_choices(self.choices or ()))

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
    def __get__(self, instance: Any, owner: type | None = None) -> Any: ...
    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        wire = getattr(instance, "_wire", None)
        raw = _MISSING if wire is None else wire.get(self.source, _MISSING)
        if type(raw) in self.ready_types:
            value = raw  # already the Python value: no conversion to run
        elif raw is _MISSING or self._reads_itself:
            value = self.value_from_wire(instance)
        else:
            value = self.from_wire(raw)
        # Cached in the instance, where it wins over this (non-data) descriptor;
        # object.__setattr__ keeps CPython's inline attribute values (no __dict__).
        object.__setattr__(instance, self.attname, value)
        return value

    def value_from_wire(self, instance: RemoteModel) -> Any:
        """Read this field's value from the instance's wire row, converting it.

        A key missing from the row takes the field's default (``None`` for a
        ``null=True`` field, as in Django); with neither, it is an error.
        """
        wire = getattr(instance, "_wire", None)
        if wire is None or self.source not in wire:
            if wire is not None and not self.has_default() and not self.null:
                raise InvalidResponseError(
                    f"{self.model.__name__}.{self.name}: the server's row has no "
                    f"'{self.source}' key and the field has no default."
                )
            return self.get_default()
        return self.from_wire(wire[self.source])

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


def _flat_choices(choices: Iterable[tuple[Any, Any]]) -> Iterator[tuple[Any, Any]]:
    for key, label in choices:
        if isinstance(label, list):
            yield from _flat_choices(label)
        else:
            yield key, label


def _rendered(error: ValidationError) -> Iterator[tuple[str, str | None]]:
    """Yield each message of ``error`` with its parameters applied, and its code."""
    for item in error.error_list:
        yield str(next(iter(item))), item.code


class IntegerField(Field):
    """An integer; the wire value must be a JSON integer (not a float, string or boolean)."""

    ready_types = frozenset({int})

    default_error_messages: ClassVar[dict[str, str]] = {
        "invalid": "'%(value)s' value must be an integer."
    }

    def parse_wire(self, value: Any) -> Any:
        if type(value) is int:
            return value
        raise TypeError(f"expected int, got {type(value).__name__}")

    def to_python(self, value: Any) -> Any:
        if value is None or type(value) is int:
            return value
        if isinstance(value, bool):
            raise self._invalid(value)
        if isinstance(value, int):
            return int(value)  # an IntegerChoices member or another int subclass
        if isinstance(value, float | decimal.Decimal):
            try:
                result = int(value)
            except (ValueError, OverflowError):  # nan, inf
                raise self._invalid(value) from None
            # int() truncates 2.5 to 2: a silently different value.
            if result != value:
                raise self._invalid(value)
            return result
        try:
            return int(value)
        except (TypeError, ValueError):
            raise self._invalid(value) from None


class FloatField(Field):
    """A float; the wire value may be any JSON number."""

    ready_types = frozenset({float})

    default_error_messages: ClassVar[dict[str, str]] = {
        "invalid": "'%(value)s' value must be a float."
    }

    def parse_wire(self, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"expected a number, got {type(value).__name__}")
        return float(value)

    def to_python(self, value: Any) -> Any:
        if value is None or type(value) is float:
            return value
        if isinstance(value, bool):
            raise self._invalid(value)
        try:
            return float(value)
        except (TypeError, ValueError):
            raise self._invalid(value) from None


class DecimalField(Field):
    """A ``decimal.Decimal``; DRF sends it as a string ("12.50"), and so do we."""

    default_error_messages: ClassVar[dict[str, str]] = {
        "invalid": "'%(value)s' value must be a decimal number."
    }

    def __init__(
        self, *, max_digits: int | None = None, decimal_places: int | None = None, **kwargs: Any
    ) -> None:
        self.max_digits = max_digits
        self.decimal_places = decimal_places
        super().__init__(**kwargs)

    @property
    def validators(self) -> list[Validator]:
        return [
            django_validators.DecimalValidator(self.max_digits, self.decimal_places),
            *super().validators,
        ]

    def parse_wire(self, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise TypeError(f"expected a decimal string or number, got {type(value).__name__}")
        result = decimal.Decimal(str(value)) if isinstance(value, float) else decimal.Decimal(value)
        if not result.is_finite():
            raise ValueError("not a finite number")
        return result

    def to_python(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, bool):
            raise self._invalid(value)
        try:
            result = (
                value
                if isinstance(value, decimal.Decimal)
                else decimal.Decimal(str(value) if isinstance(value, float) else value)
            )
        except (TypeError, ValueError, decimal.InvalidOperation):
            raise self._invalid(value) from None
        if not result.is_finite():
            raise self._invalid(value)
        return result

    def to_wire(self, value: Any) -> Any:
        if value is None:
            return None
        result: decimal.Decimal = self.to_python(value)
        places = self.decimal_places
        exponent = result.as_tuple().exponent
        if places is not None and isinstance(exponent, int) and exponent > -places:
            # Pad "12.5" to "12.50" as DRF writes it; never round away digits.
            result = result.quantize(decimal.Decimal(1).scaleb(-places))
        return f"{result:f}"


class CharField(Field):
    """A string, optionally bounded by ``max_length``; the wire value must be a JSON string."""

    ready_types = frozenset({str})

    wire_types = (str,)

    def __init__(self, *, max_length: int | None = None, **kwargs: Any) -> None:
        self.max_length = max_length
        super().__init__(**kwargs)

    @property
    def validators(self) -> list[Validator]:
        extra: list[Validator] = []
        if self.max_length is not None:
            extra.append(django_validators.MaxLengthValidator(self.max_length))
        return [*extra, *super().validators]

    def to_python(self, value: Any) -> Any:
        if value is None or isinstance(value, str):
            return value
        return str(value)


class TextField(CharField):
    """A long string."""


class EmailField(CharField):
    """A string validated as an e-mail address."""

    default_validators: ClassVar[list[Validator]] = [django_validators.validate_email]


class URLField(CharField):
    """A string validated as a URL."""

    default_validators: ClassVar[list[Validator]] = [django_validators.URLValidator()]


class BooleanField(Field):
    """``True`` or ``False``; the wire value must be a JSON boolean (not 0 or 1)."""

    ready_types = frozenset({bool})

    wire_types = (bool,)
    default_error_messages: ClassVar[dict[str, str]] = {
        "invalid": "'%(value)s' value must be either True or False."
    }

    def to_python(self, value: Any) -> Any:
        if value is None or isinstance(value, bool):
            return value
        if value in ("t", "true", "True", "1", 1):
            return True
        if value in ("f", "false", "False", "0", 0):
            return False
        raise self._invalid(value)

    def validate(self, value: Any, instance: RemoteModel | None) -> None:
        # ``False`` is a value, not a blank one.
        if value is False:
            return
        super().validate(value, instance)


def _aware(value: datetime.datetime) -> datetime.datetime:
    """Return ``value``, made aware in the current time zone if it is naive and USE_TZ is on."""
    if value.tzinfo is None and settings.USE_TZ:
        return timezone.make_aware(value)
    return value


class DateField(Field):
    """A ``datetime.date``, ``YYYY-MM-DD`` on the wire."""

    wire_types = (str,)
    default_error_messages: ClassVar[dict[str, str]] = {
        "invalid": "'%(value)s' value has an invalid date format. It must be in YYYY-MM-DD format."
    }

    def parse_wire(self, value: Any) -> Any:
        super().parse_wire(value)
        result = parse_date(value)
        if result is None:
            raise ValueError("not a YYYY-MM-DD date")
        return result

    def to_python(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, datetime.datetime):
            if settings.USE_TZ and timezone.is_aware(value):
                value = timezone.make_naive(value, timezone.get_default_timezone())
            return value.date()
        if isinstance(value, datetime.date):
            return value
        try:
            result = parse_date(str(value))
        except ValueError:
            result = None
        if result is None:
            raise self._invalid(value)
        return result

    def to_wire(self, value: Any) -> Any:
        return None if value is None else self.to_python(value).isoformat()


class DateTimeField(Field):
    """A ``datetime.datetime``, ISO 8601 on the wire; "Z" is UTC, naive means local time.

    With ``USE_TZ`` a naive value (from the server or the user) is taken in the
    current time zone, as Django does, so what is sent always carries an offset.
    """

    wire_types = (str,)
    default_error_messages: ClassVar[dict[str, str]] = {
        "invalid": "'%(value)s' value has an invalid format. It must be in ISO 8601 format."
    }

    def parse_wire(self, value: Any) -> Any:
        super().parse_wire(value)
        # fromisoformat reads "2024-05-01" as midnight: a date is not a datetime.
        if len(value) <= len("YYYY-MM-DD"):
            raise ValueError("a date without a time")
        result = parse_datetime(value)
        if result is None:
            raise ValueError("not an ISO 8601 datetime")
        return _aware(result)

    def to_python(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, datetime.datetime):
            return _aware(value)
        if isinstance(value, datetime.date):
            return _aware(datetime.datetime(value.year, value.month, value.day))
        text = str(value)
        try:
            result = parse_datetime(text)
            if result is None and (day := parse_date(text)) is not None:
                result = datetime.datetime(day.year, day.month, day.day)
        except ValueError:
            result = None
        if result is None:
            raise self._invalid(value)
        return _aware(result)

    def to_wire(self, value: Any) -> Any:
        if value is None:
            return None
        text: str = self.to_python(value).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text


class TimeField(Field):
    """A ``datetime.time``, ``HH:MM[:ss[.uuuuuu]]`` on the wire."""

    wire_types = (str,)
    default_error_messages: ClassVar[dict[str, str]] = {
        "invalid": "'%(value)s' value has an invalid format. "
        "It must be in HH:MM[:ss[.uuuuuu]] format."
    }

    @staticmethod
    def _parse(value: str) -> datetime.time:
        if value[-1:] in ("Z", "z"):
            value = value[:-1] + "+00:00"  # fromisoformat reads "Z" only from Python 3.11
        return datetime.time.fromisoformat(value)

    def parse_wire(self, value: Any) -> Any:
        super().parse_wire(value)
        return self._parse(value)

    def to_python(self, value: Any) -> Any:
        if value is None or isinstance(value, datetime.time):
            return value
        if isinstance(value, datetime.datetime):
            return value.time()
        try:
            return self._parse(str(value))
        except ValueError:
            raise self._invalid(value) from None

    def to_wire(self, value: Any) -> Any:
        return None if value is None else self.to_python(value).isoformat()


class DurationField(Field):
    """A ``datetime.timedelta``; DRF's ``[-]DD HH:MM:SS[.uuuuuu]`` (or ISO 8601) on the wire."""

    wire_types = (str,)
    default_error_messages: ClassVar[dict[str, str]] = {
        "invalid": "'%(value)s' value has an invalid format. It must be in "
        "[DD] [[HH:]MM:]ss[.uuuuuu] format."
    }

    def parse_wire(self, value: Any) -> Any:
        super().parse_wire(value)
        result = parse_duration(value)
        if result is None:
            raise ValueError("not a duration")
        return result

    def to_python(self, value: Any) -> Any:
        if value is None or isinstance(value, datetime.timedelta):
            return value
        try:
            result = parse_duration(str(value))
        except (ValueError, OverflowError):
            result = None
        if result is None:
            raise self._invalid(value)
        return result

    def to_wire(self, value: Any) -> Any:
        # DRF's DurationField writes (and parses) Django's format by default.
        return None if value is None else duration_string(self.to_python(value))


class UUIDField(Field):
    """A ``uuid.UUID``, its canonical string on the wire."""

    wire_types = (str,)
    default_error_messages: ClassVar[dict[str, str]] = {
        "invalid": "'%(value)s' is not a valid UUID."
    }

    def parse_wire(self, value: Any) -> Any:
        super().parse_wire(value)
        return uuid.UUID(value)

    def to_python(self, value: Any) -> Any:
        if value is None or isinstance(value, uuid.UUID):
            return value
        try:
            if isinstance(value, int) and not isinstance(value, bool):
                return uuid.UUID(int=value)
            return uuid.UUID(str(value))
        except ValueError:
            raise self._invalid(value) from None

    def to_wire(self, value: Any) -> Any:
        return None if value is None else str(self.to_python(value))


class JSONField(Field):
    """Any JSON value, kept as the server sent it."""

    def validate(self, value: Any, instance: RemoteModel | None) -> None:
        # An empty list or dict is a value for JSON, as in Django's JSONField.
        if value in ([], {}) and not self.blank:
            return
        super().validate(value, instance)


class _ContainerField(Field):
    """A list or dict of values each converted and validated by ``child`` (any field)."""

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

    def _check_items(self, value: Any, check: Callable[[Any], None]) -> None:
        errors: list[ValidationError] = []
        for label, item in self._items(value):
            try:
                check(item)
            except ValidationError as exc:
                errors.extend(
                    ValidationError(f"{label} did not validate: {message}", code=code)
                    for message, code in _rendered(exc)
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


class ListField(_ContainerField):
    """A JSON array whose items are converted by ``child`` (any field), if given."""

    wire_types = (list,)
    child_suffix = "[]"

    def parse_wire(self, value: Any) -> Any:
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


class DictField(_ContainerField):
    """A JSON object whose values are converted by ``child`` (any field), if given."""

    wire_types = (dict,)
    child_suffix = "{}"

    def parse_wire(self, value: Any) -> Any:
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


class EmbeddedField(Field):
    """A nested record, declared as a RemoteModel with ``Meta.embedded = True``."""

    wire_types = (dict,)

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
        return self.to._from_wire(value)

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
                    for message, code in _rendered(ValidationError(errors))
                ]
            ) from None


class RelatedField(Field):
    """A field naming another RemoteModel (``to``: a class, ``"Name"`` or ``"self"``)."""

    def __init__(
        self,
        to: type[RemoteModel] | str,
        *,
        related_name: str | None = None,
        **kwargs: Any,
    ) -> None:
        self._to = to
        self.related_name = related_name
        super().__init__(**kwargs)

    @property
    def to(self) -> type[RemoteModel]:
        if isinstance(self._to, str):
            if self._to == "self":
                return self.model
            from django_api_orm.models.base import resolve_model

            self._to = resolve_model(self._to, relative_to=self.model)
        return self._to

    @property
    def target_field(self) -> Field:
        return self.to._meta.pk

    def parse_pk(self, value: Any) -> Any:
        """Return the related pk of a wire value: the pk itself or a nested object."""
        target: Field = self.target_field
        if isinstance(value, dict):
            if target.source not in value:
                raise ValueError(f"a nested object without its '{target.source}' key")
            value = value[target.source]
            if value is None:
                raise ValueError(f"a nested object whose '{target.source}' is null")
        # The target's own parser: an error names this field, not the related pk.
        return target.parse_wire(value)


class ForeignKey(RelatedField):
    """A reference to another RemoteModel: the related pk on the wire (or a nested object).

    ``book.author_id`` is always the related pk; ``book.author`` is the related
    instance once loaded. A nested object on the wire (``"author": {"id": 7, ...}``)
    is hydrated as ``book.author`` without a request.
    """

    def get_attname(self) -> str:
        return f"{self.name}_id"

    def contribute_to_class(self, cls: type[RemoteModel], name: str) -> None:
        super().contribute_to_class(cls, name)
        setattr(cls, name, ForwardRelationDescriptor(self))

    def parse_wire(self, value: Any) -> Any:
        return self.parse_pk(value)

    def value_from_wire(self, instance: RemoteModel) -> Any:
        value = super().value_from_wire(instance)
        wire = instance.__dict__.get("_wire")
        raw = wire.get(self.source) if wire is not None and value is not None else None
        if type(raw) is dict:
            instance.__dict__.setdefault("_relations", {})[self.name] = self.to._from_wire(raw)
        return value

    def to_python(self, value: Any) -> Any:
        from django_api_orm.models.base import RemoteModel

        if isinstance(value, RemoteModel):
            return value.pk
        return self.target_field.to_python(value)

    def to_wire(self, value: Any) -> Any:
        return self.target_field.to_wire(self.to_python(value))


class ForwardRelationDescriptor:
    """``book.author``: the related instance once loaded; assigning sets ``author_id`` too."""

    def __init__(self, field: ForeignKey) -> None:
        self.field = field

    def __get__(self, instance: RemoteModel | None, owner: type | None = None) -> Any:
        if instance is None:
            return self
        field = self.field
        pk = getattr(instance, field.attname)  # converts, caching a nested object
        relations = instance.__dict__.get("_relations")
        if relations and field.name in relations:
            related = relations[field.name]
            # ``book.author_id = 9`` after loading author 7 makes the cached author stale.
            if (None if related is None else related.pk) == pk:
                return related
            del relations[field.name]
        if pk is None:
            return None
        from django_api_orm.models.base import load_related

        related = load_related(field, pk)
        instance.__dict__.setdefault("_relations", {})[field.name] = related
        return related

    def __set__(self, instance: RemoteModel, value: Any) -> None:
        field = self.field
        if value is not None and not isinstance(value, field.to):
            # As Django: assign the instance, or the pk to ``author_id``.
            raise ValueError(
                f'Cannot assign "{value!r}": "{field.model.__name__}.{field.name}" must be a '
                f'"{field.to.__name__}" instance (or set {field.attname} to its primary key).'
            )
        instance.__dict__[field.attname] = None if value is None else value.pk
        instance.__dict__.setdefault("_relations", {})[field.name] = value


class ManyToManyField(RelatedField):
    """Related objects sent as a list of their pks (``"genres": [1, 2]``).

    ``book.genres_ids`` is the list of pks (assign it and save to change the
    relation); ``book.genres`` is a manager of the related objects
    (``GET genres/?id__in=1,2``), loaded for a whole page with
    ``prefetch_related("genres")``.
    """

    wire_types = (list,)

    def __init__(
        self,
        to: type[RemoteModel] | str,
        *,
        related_name: str | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("default", list)
        kwargs.setdefault("blank", True)
        super().__init__(to, related_name=related_name, **kwargs)

    def get_attname(self) -> str:
        return f"{self.name}_ids"

    def contribute_to_class(self, cls: type[RemoteModel], name: str) -> None:
        super().contribute_to_class(cls, name)
        from django_api_orm.models.relations import ManyRelatedDescriptor

        setattr(cls, name, ManyRelatedDescriptor(self))

    def parse_wire(self, value: Any) -> Any:
        super().parse_wire(value)
        return [self.parse_pk(item) for item in value]

    def to_python(self, value: Any) -> Any:
        from django_api_orm.models.base import RemoteModel

        if value is None:
            return None
        if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
            raise ValidationError("Enter a list of primary keys.", code="invalid")
        target = self.target_field
        return [
            item.pk if isinstance(item, RemoteModel) else target.to_python(item) for item in value
        ]

    def to_wire(self, value: Any) -> Any:
        if value is None:
            return None
        target = self.target_field
        return [target.to_wire(pk) for pk in self.to_python(value)]
