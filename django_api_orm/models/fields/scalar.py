"""Scalar fields: numbers, text, booleans, dates and times, UUIDs and JSON."""

from __future__ import annotations

import datetime
import decimal
import uuid
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Unpack, overload

from django import forms
from django.conf import settings
from django.core import validators as django_validators
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime, parse_duration
from django.utils.duration import duration_string

from django_api_orm.models.fields.base import Field, FieldOptions, T, Validator

if TYPE_CHECKING:
    from django_api_orm.models.base import RemoteModel

__all__ = [
    "BooleanField",
    "CharField",
    "DateField",
    "DateTimeField",
    "DecimalField",
    "DurationField",
    "EmailField",
    "FloatField",
    "IntegerField",
    "JSONField",
    "TextField",
    "TimeField",
    "URLField",
    "UUIDField",
]


#: What a DecimalField accepts from the wire (a bool is refused apart).
_DECIMAL_WIRE_TYPES = (str, int, float)
_fromisoformat = datetime.datetime.fromisoformat


class IntegerField(Field[T]):
    """An integer; the wire value must be a JSON integer (not a float, string or boolean)."""

    if TYPE_CHECKING:

        @overload
        def __init__(
            self: IntegerField[int],
            *,
            null: Literal[False] = ...,
            **options: Unpack[FieldOptions],
        ) -> None: ...
        @overload
        def __init__(
            self: IntegerField[int | None],
            *,
            null: bool,
            **options: Unpack[FieldOptions],
        ) -> None: ...
        def __init__(self, *args: Any, **kwargs: Any) -> None: ...

    internal_type = "IntegerField"
    form_class = forms.IntegerField

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


class FloatField(Field[T]):
    """A float; the wire value may be any JSON number."""

    if TYPE_CHECKING:

        @overload
        def __init__(
            self: FloatField[float],
            *,
            null: Literal[False] = ...,
            **options: Unpack[FieldOptions],
        ) -> None: ...
        @overload
        def __init__(
            self: FloatField[float | None],
            *,
            null: bool,
            **options: Unpack[FieldOptions],
        ) -> None: ...
        def __init__(self, *args: Any, **kwargs: Any) -> None: ...

    internal_type = "FloatField"
    form_class = forms.FloatField

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


class DecimalField(Field[T]):
    """A ``decimal.Decimal``; DRF sends it as a string ("12.50"), and so do we."""

    internal_type = "DecimalField"
    form_class = forms.DecimalField

    default_error_messages: ClassVar[dict[str, str]] = {
        "invalid": "'%(value)s' value must be a decimal number."
    }

    if TYPE_CHECKING:

        @overload
        def __init__(
            self: DecimalField[decimal.Decimal],
            *,
            null: Literal[False] = ...,
            max_digits: int | None = ...,
            decimal_places: int | None = ...,
            **options: Unpack[FieldOptions],
        ) -> None: ...
        @overload
        def __init__(
            self: DecimalField[decimal.Decimal | None],
            *,
            null: bool,
            max_digits: int | None = ...,
            decimal_places: int | None = ...,
            **options: Unpack[FieldOptions],
        ) -> None: ...

    def __init__(
        self, *, max_digits: int | None = None, decimal_places: int | None = None, **kwargs: Any
    ) -> None:
        self.max_digits = max_digits
        self.decimal_places = decimal_places
        super().__init__(**kwargs)

    def formfield_defaults(self) -> dict[str, Any]:
        return {"max_digits": self.max_digits, "decimal_places": self.decimal_places}

    @property
    def validators(self) -> list[Validator]:
        return [
            django_validators.DecimalValidator(self.max_digits, self.decimal_places),
            *super().validators,
        ]

    def parse_wire(self, value: Any) -> Any:
        if type(value) is str:  # what DRF sends: the common case first
            result = decimal.Decimal(value)
        elif isinstance(value, bool) or not isinstance(value, _DECIMAL_WIRE_TYPES):
            raise TypeError(f"expected a decimal string or number, got {type(value).__name__}")
        else:
            result = decimal.Decimal(str(value) if isinstance(value, float) else value)
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


class CharField(Field[T]):
    """A string, optionally bounded by ``max_length``; the wire value must be a JSON string."""

    internal_type = "CharField"

    ready_types = frozenset({str})

    wire_types = (str,)

    if TYPE_CHECKING:

        @overload
        def __init__(
            self: CharField[str],
            *,
            null: Literal[False] = ...,
            max_length: int | None = ...,
            **options: Unpack[FieldOptions],
        ) -> None: ...
        @overload
        def __init__(
            self: CharField[str | None],
            *,
            null: bool,
            max_length: int | None = ...,
            **options: Unpack[FieldOptions],
        ) -> None: ...

    def __init__(self, *, max_length: int | None = None, **kwargs: Any) -> None:
        self.max_length = max_length
        super().__init__(**kwargs)

    def formfield_defaults(self) -> dict[str, Any]:
        # A null=True field's empty input is None, as Django's CharField.formfield().
        return {"max_length": self.max_length, **({"empty_value": None} if self.null else {})}

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


class TextField(CharField[T]):
    """A long string."""

    if TYPE_CHECKING:

        @overload
        def __init__(
            self: TextField[str],
            *,
            null: Literal[False] = ...,
            max_length: int | None = ...,
            **options: Unpack[FieldOptions],
        ) -> None: ...
        @overload
        def __init__(
            self: TextField[str | None],
            *,
            null: bool,
            max_length: int | None = ...,
            **options: Unpack[FieldOptions],
        ) -> None: ...
        def __init__(self, *args: Any, **kwargs: Any) -> None: ...

    internal_type = "TextField"

    def formfield_defaults(self) -> dict[str, Any]:
        return {**super().formfield_defaults(), "widget": forms.Textarea}


class EmailField(CharField[T]):
    """A string validated as an e-mail address."""

    form_class = forms.EmailField

    if TYPE_CHECKING:

        @overload
        def __init__(
            self: EmailField[str],
            *,
            null: Literal[False] = ...,
            max_length: int | None = ...,
            **options: Unpack[FieldOptions],
        ) -> None: ...
        @overload
        def __init__(
            self: EmailField[str | None],
            *,
            null: bool,
            max_length: int | None = ...,
            **options: Unpack[FieldOptions],
        ) -> None: ...
        def __init__(self, *args: Any, **kwargs: Any) -> None: ...

    default_validators: ClassVar[list[Validator]] = [django_validators.validate_email]


class URLField(CharField[T]):
    """A string validated as a URL."""

    form_class = forms.URLField

    def formfield_defaults(self) -> dict[str, Any]:
        # Django 6's default scheme for input without one (5.2 warns when it is not
        # given); pass assume_scheme="http" to formfield() for the old one.
        return {**super().formfield_defaults(), "assume_scheme": "https"}

    if TYPE_CHECKING:

        @overload
        def __init__(
            self: URLField[str],
            *,
            null: Literal[False] = ...,
            max_length: int | None = ...,
            **options: Unpack[FieldOptions],
        ) -> None: ...
        @overload
        def __init__(
            self: URLField[str | None],
            *,
            null: bool,
            max_length: int | None = ...,
            **options: Unpack[FieldOptions],
        ) -> None: ...
        def __init__(self, *args: Any, **kwargs: Any) -> None: ...

    default_validators: ClassVar[list[Validator]] = [django_validators.URLValidator()]


class BooleanField(Field[T]):
    """``True`` or ``False``; the wire value must be a JSON boolean (not 0 or 1)."""

    if TYPE_CHECKING:

        @overload
        def __init__(
            self: BooleanField[bool],
            *,
            null: Literal[False] = ...,
            **options: Unpack[FieldOptions],
        ) -> None: ...
        @overload
        def __init__(
            self: BooleanField[bool | None],
            *,
            null: bool,
            **options: Unpack[FieldOptions],
        ) -> None: ...
        def __init__(self, *args: Any, **kwargs: Any) -> None: ...

    internal_type = "BooleanField"

    ready_types = frozenset({bool})

    wire_types = (bool,)
    default_error_messages: ClassVar[dict[str, str]] = {
        "invalid": "'%(value)s' value must be either True or False."
    }

    def formfield(
        self,
        form_class: type[forms.Field] | None = None,
        choices_form_class: type[forms.Field] | None = None,
        **kwargs: Any,
    ) -> forms.Field | None:
        # As Django: a checkbox is never required (unchecked is False).
        if self.choices is not None:
            include_blank = not (self.has_default() or "initial" in kwargs)
            kwargs = {"choices": self.get_choices(include_blank=include_blank), **kwargs}
        else:
            form_class = form_class or (forms.NullBooleanField if self.null else forms.BooleanField)
            kwargs = {"required": False, **kwargs}
        return super().formfield(form_class, choices_form_class, **kwargs)

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


class DateField(Field[T]):
    """A ``datetime.date``, ``YYYY-MM-DD`` on the wire."""

    if TYPE_CHECKING:

        @overload
        def __init__(
            self: DateField[datetime.date],
            *,
            null: Literal[False] = ...,
            **options: Unpack[FieldOptions],
        ) -> None: ...
        @overload
        def __init__(
            self: DateField[datetime.date | None],
            *,
            null: bool,
            **options: Unpack[FieldOptions],
        ) -> None: ...
        def __init__(self, *args: Any, **kwargs: Any) -> None: ...

    internal_type = "DateField"
    form_class = forms.DateField

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


class DateTimeField(Field[T]):
    """A ``datetime.datetime``, ISO 8601 on the wire; "Z" is UTC, naive means local time.

    With ``USE_TZ`` a naive value (from the server or the user) is taken in the
    current time zone, as Django does, so what is sent always carries an offset.
    """

    if TYPE_CHECKING:

        @overload
        def __init__(
            self: DateTimeField[datetime.datetime],
            *,
            null: Literal[False] = ...,
            **options: Unpack[FieldOptions],
        ) -> None: ...
        @overload
        def __init__(
            self: DateTimeField[datetime.datetime | None],
            *,
            null: bool,
            **options: Unpack[FieldOptions],
        ) -> None: ...
        def __init__(self, *args: Any, **kwargs: Any) -> None: ...

    internal_type = "DateTimeField"
    form_class = forms.DateTimeField

    wire_types = (str,)
    default_error_messages: ClassVar[dict[str, str]] = {
        "invalid": "'%(value)s' value has an invalid format. It must be in ISO 8601 format."
    }

    def parse_wire(self, value: Any) -> Any:
        if type(value) is not str:
            super().parse_wire(value)
        # fromisoformat reads "2024-05-01" as midnight: a date is not a datetime.
        if len(value) <= len("YYYY-MM-DD"):
            raise ValueError("a date without a time")
        try:
            # What Django's parse_datetime() tries first, without its call.
            result: datetime.datetime | None = _fromisoformat(value)
        except ValueError:
            result = parse_datetime(value)  # the other ISO 8601 forms Django reads
        if result is None:
            raise ValueError("not an ISO 8601 datetime")
        return result if result.tzinfo is not None else _aware(result)

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


class TimeField(Field[T]):
    """A ``datetime.time``, ``HH:MM[:ss[.uuuuuu]]`` on the wire."""

    if TYPE_CHECKING:

        @overload
        def __init__(
            self: TimeField[datetime.time],
            *,
            null: Literal[False] = ...,
            **options: Unpack[FieldOptions],
        ) -> None: ...
        @overload
        def __init__(
            self: TimeField[datetime.time | None],
            *,
            null: bool,
            **options: Unpack[FieldOptions],
        ) -> None: ...
        def __init__(self, *args: Any, **kwargs: Any) -> None: ...

    internal_type = "TimeField"
    form_class = forms.TimeField

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


class DurationField(Field[T]):
    """A ``datetime.timedelta``; DRF's ``[-]DD HH:MM:SS[.uuuuuu]`` (or ISO 8601) on the wire."""

    if TYPE_CHECKING:

        @overload
        def __init__(
            self: DurationField[datetime.timedelta],
            *,
            null: Literal[False] = ...,
            **options: Unpack[FieldOptions],
        ) -> None: ...
        @overload
        def __init__(
            self: DurationField[datetime.timedelta | None],
            *,
            null: bool,
            **options: Unpack[FieldOptions],
        ) -> None: ...
        def __init__(self, *args: Any, **kwargs: Any) -> None: ...

    internal_type = "DurationField"
    form_class = forms.DurationField

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


class UUIDField(Field[T]):
    """A ``uuid.UUID``, its canonical string on the wire."""

    if TYPE_CHECKING:

        @overload
        def __init__(
            self: UUIDField[uuid.UUID],
            *,
            null: Literal[False] = ...,
            **options: Unpack[FieldOptions],
        ) -> None: ...
        @overload
        def __init__(
            self: UUIDField[uuid.UUID | None],
            *,
            null: bool,
            **options: Unpack[FieldOptions],
        ) -> None: ...
        def __init__(self, *args: Any, **kwargs: Any) -> None: ...

    internal_type = "UUIDField"
    form_class = forms.UUIDField

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


class JSONField(Field[Any]):
    """Any JSON value, kept as the server sent it."""

    internal_type = "JSONField"
    form_class = forms.JSONField

    scalar = False

    def value_to_string(self, obj: RemoteModel) -> Any:
        # The JSON value itself, as Django's JSONField.value_to_string(): serializers nest it.
        return self.value_from_object(obj)

    def validate(self, value: Any, instance: RemoteModel | None) -> None:
        # An empty list or dict is a value for JSON, as in Django's JSONField.
        if value in ([], {}) and not self.blank:
            return
        super().validate(value, instance)
