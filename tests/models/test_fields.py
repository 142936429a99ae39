"""Fields: wire → Python, Python → wire, wrong-typed wire values, options and validation."""

from __future__ import annotations

import datetime
import decimal
import pickle
import uuid
from typing import Any

import pytest
import respx
from django.core.exceptions import NON_FIELD_ERRORS, SynchronousOnlyOperation, ValidationError
from django.core.validators import MinValueValidator
from django.db import models as django_models
from django.utils import timezone
from rest_framework import serializers

from django_api_orm import InvalidResponseError, RemoteModel, fields
from django_api_orm.models.fields import Field

UTC = datetime.UTC
PLUS_TWO = datetime.timezone(datetime.timedelta(hours=2))


class Address(RemoteModel):
    street = fields.CharField(max_length=20)
    city = fields.CharField()

    class Meta:
        embedded = True


class Owner(RemoteModel):
    name = fields.CharField()

    class Meta:
        endpoint = "owners/"


class Sample(RemoteModel):
    """One field of every type; each test reads only the fields it sends."""

    count = fields.IntegerField()
    ratio = fields.FloatField()
    price = fields.DecimalField(max_digits=8, decimal_places=2)
    name = fields.CharField(max_length=10)
    body = fields.TextField()
    active = fields.BooleanField()
    day = fields.DateField()
    at = fields.DateTimeField()
    time = fields.TimeField()
    span = fields.DurationField()
    uid = fields.UUIDField()
    email = fields.EmailField()
    url = fields.URLField()
    data = fields.JSONField()
    numbers = fields.ListField(fields.IntegerField())
    anything = fields.ListField()
    scores = fields.DictField(fields.DecimalField(decimal_places=1))
    address = fields.EmbeddedField(Address)
    owner = fields.ForeignKey(Owner)
    co_owners = fields.ManyToManyField(Owner, related_name="+")

    class Meta:
        endpoint = "samples/"


ADDRESS_WIRE = {"street": "1 Rue X", "city": "Paris"}

#: (field name, what DRF sends, the Python value): both directions are exact.
ROUND_TRIPS: list[tuple[str, Any, Any]] = [
    ("count", 42, 42),
    ("count", -7, -7),
    ("ratio", 2.5, 2.5),
    ("price", "12.50", decimal.Decimal("12.50")),
    ("price", "-0.05", decimal.Decimal("-0.05")),
    ("name", "Dune", "Dune"),
    ("body", "a\nlong text", "a\nlong text"),
    ("active", True, True),
    ("active", False, False),
    ("day", "2024-05-01", datetime.date(2024, 5, 1)),
    ("at", "2024-05-01T10:00:00Z", datetime.datetime(2024, 5, 1, 10, tzinfo=UTC)),
    (
        "at",
        "2024-05-01T10:00:00.123456Z",
        datetime.datetime(2024, 5, 1, 10, 0, 0, 123456, tzinfo=UTC),
    ),
    ("at", "2024-05-01T12:30:00+02:00", datetime.datetime(2024, 5, 1, 12, 30, tzinfo=PLUS_TWO)),
    ("time", "10:30:00", datetime.time(10, 30)),
    ("time", "10:30:00.000005", datetime.time(10, 30, 0, 5)),
    ("span", "01:02:03", datetime.timedelta(hours=1, minutes=2, seconds=3)),
    ("span", "3 04:05:06.000007", datetime.timedelta(3, 4 * 3600 + 5 * 60 + 6, 7)),
    ("span", "-1 00:00:05", datetime.timedelta(days=-1, seconds=5)),
    (
        "uid",
        "6f1c2b8e-3d4a-4e5f-9a0b-1c2d3e4f5a6b",
        uuid.UUID("6f1c2b8e-3d4a-4e5f-9a0b-1c2d3e4f5a6b"),
    ),
    ("email", "ada@example.com", "ada@example.com"),
    ("url", "https://example.com/x", "https://example.com/x"),
    ("data", {"a": [1, None, True], "b": "c"}, {"a": [1, None, True], "b": "c"}),
    ("data", [1, "two"], [1, "two"]),
    ("data", 0, 0),
    ("numbers", [1, 2, 3], [1, 2, 3]),
    ("numbers", [], []),
    ("anything", [1, "x", None], [1, "x", None]),
    (
        "scores",
        {"a": "1.5", "b": "-2.0"},
        {"a": decimal.Decimal("1.5"), "b": decimal.Decimal("-2.0")},
    ),
    ("address", ADDRESS_WIRE, Address(street="1 Rue X", city="Paris")),
    ("owner", 7, 7),
    ("co_owners", [7, 8], [7, 8]),
]

ALL_FIELDS = [f.name for f in Sample._meta.fields if not f.primary_key]


def test_every_field_type_has_a_round_trip_case() -> None:
    """Covers every field type of the package in the round-trip table."""
    covered = {type(Sample._meta.get_field(name)) for name, _, _ in ROUND_TRIPS}
    declared = {getattr(fields, name) for name in fields.__all__ if name.endswith(("Field", "Key"))}
    assert declared - {Field} <= covered


@pytest.mark.parametrize(("name", "wire", "python"), ROUND_TRIPS)
def test_wire_to_python(name: str, wire: Any, python: Any) -> None:
    """Converts what the server sends to the field's Python value and type on read."""
    obj = Sample.from_api({name: wire})
    field = Sample._meta.get_field(name)
    value = getattr(obj, field.attname)
    assert value == python
    assert type(value) is type(python)


@pytest.mark.parametrize(("name", "wire", "python"), ROUND_TRIPS)
def test_python_to_wire(name: str, wire: Any, python: Any) -> None:
    """Converts the Python value to exactly the JSON value DRF sends."""
    sent = Sample._meta.get_field(name).to_wire(python)
    assert sent == wire
    assert type(sent) is type(wire)


@pytest.mark.parametrize(("name", "wire", "python"), ROUND_TRIPS)
def test_wire_round_trip(name: str, wire: Any, python: Any) -> None:
    """Sends back exactly what it read, so an unchanged value is never rewritten."""
    field = Sample._meta.get_field(name)
    assert field.to_wire(field.from_wire(wire)) == wire


#: (field name, DRF's serializer field, a Python value): the server reads what we send.
DRF_FIELDS: list[tuple[str, serializers.Field, Any]] = [
    ("count", serializers.IntegerField(), 42),
    ("ratio", serializers.FloatField(), 0.1),
    ("price", serializers.DecimalField(max_digits=8, decimal_places=2), decimal.Decimal("12.5")),
    ("name", serializers.CharField(), "Dune"),
    ("body", serializers.CharField(), "text"),
    ("active", serializers.BooleanField(), False),
    ("day", serializers.DateField(), datetime.date(2024, 2, 29)),
    ("at", serializers.DateTimeField(), datetime.datetime(2024, 5, 1, 10, 0, 0, 5, tzinfo=UTC)),
    ("time", serializers.TimeField(), datetime.time(23, 59, 59, 999999)),
    ("span", serializers.DurationField(), datetime.timedelta(days=-2, microseconds=1)),
    ("span", serializers.DurationField(), datetime.timedelta(days=400, seconds=1)),
    ("uid", serializers.UUIDField(), uuid.UUID(int=5)),
    ("email", serializers.EmailField(), "ada@example.com"),
    ("url", serializers.URLField(), "https://example.com/"),
    ("data", serializers.JSONField(), {"k": [1, 2.5, None]}),
    ("numbers", serializers.ListField(child=serializers.IntegerField()), [3, 1]),
    ("anything", serializers.ListField(), ["x", 1]),
    (
        "scores",
        serializers.DictField(child=serializers.DecimalField(max_digits=None, decimal_places=1)),
        {"a": decimal.Decimal("1.5")},
    ),
]


@pytest.mark.parametrize(("name", "drf_field", "python"), DRF_FIELDS)
def test_drf_parses_what_we_send(name: str, drf_field: serializers.Field, python: Any) -> None:
    """Sends a value DRF's serializer field parses back to the same Python value."""
    assert drf_field.to_internal_value(Sample._meta.get_field(name).to_wire(python)) == python


@pytest.mark.parametrize(("name", "drf_field", "python"), DRF_FIELDS)
def test_we_read_what_drf_sends(name: str, drf_field: serializers.Field, python: Any) -> None:
    """Reads DRF's output of a value as that same value."""
    field = Sample._meta.get_field(name)
    assert field.from_wire(drf_field.to_representation(python)) == python
    # Where DRF writes a canonical string, ours is identical byte for byte.
    if name in ("price", "day", "at", "time", "span", "uid"):
        assert field.to_wire(python) == drf_field.to_representation(python)


def test_embedded_record_round_trips_through_a_drf_serializer() -> None:
    """Sends an embedded record as the object a nested DRF serializer validates."""

    class AddressSerializer(serializers.Serializer):
        street = serializers.CharField(max_length=20)
        city = serializers.CharField()

    sent = Sample._meta.get_field("address").to_wire(Address(street="Main", city="Oslo"))
    serializer = AddressSerializer(data=sent)
    assert serializer.is_valid(), serializer.errors
    assert dict(serializer.validated_data) == {"street": "Main", "city": "Oslo"}


# --- DRF's output in detail ------------------------------------------------------------


def test_z_datetime_is_aware_utc() -> None:
    """Reads a datetime ending in Z as an aware datetime in UTC."""
    value = Sample.from_api({"at": "2024-05-01T10:00:00Z"}).at
    assert value.utcoffset() == datetime.timedelta(0)
    assert value == datetime.datetime(2024, 5, 1, 10, tzinfo=UTC)


def test_offset_datetime_keeps_its_offset() -> None:
    """Reads a datetime with an offset as that aware instant, offset kept."""
    value = Sample.from_api({"at": "2024-05-01T12:30:00+02:00"}).at
    assert value.utcoffset() == datetime.timedelta(hours=2)
    assert value == datetime.datetime(2024, 5, 1, 10, 30, tzinfo=UTC)


def test_naive_wire_datetime_is_taken_in_the_current_time_zone() -> None:
    """Reads a naive datetime (a server without USE_TZ) in the current time zone."""
    with timezone.override("Europe/Paris"):
        value = Sample.from_api({"at": "2024-05-01T10:00:00"}).at
    assert value == datetime.datetime(2024, 5, 1, 8, tzinfo=UTC)


def test_decimal_from_a_json_number_is_exact() -> None:
    """Reads a decimal sent as a JSON number without binary float noise."""
    assert Sample.from_api({"price": 0.1}).price == decimal.Decimal("0.1")
    assert Sample.from_api({"price": 12}).price == decimal.Decimal("12")


def test_float_field_accepts_a_json_integer() -> None:
    """Reads a JSON integer sent for a FloatField as a float."""
    value = Sample.from_api({"ratio": 3}).ratio
    assert value == 3.0
    assert type(value) is float


def test_null_is_none_for_a_null_field() -> None:
    """Reads JSON null as None for every field declared null=True."""

    class Nullable(RemoteModel):
        count = fields.IntegerField(null=True)
        price = fields.DecimalField(null=True)
        day = fields.DateField(null=True)
        at = fields.DateTimeField(null=True)
        tags = fields.ListField(null=True)
        address = fields.EmbeddedField(Address, null=True)
        owner = fields.ForeignKey(Owner, null=True)

        class Meta:
            embedded = True

    row = {"count": None, "price": None, "day": None, "at": None, "tags": None}
    obj = Nullable.from_api({**row, "address": None, "owner": None})
    values = [getattr(obj, f.attname) for f in Nullable._meta.fields]
    assert values == [None] * 7
    assert obj.owner is None


def test_list_items_may_be_null_when_the_child_is_null() -> None:
    """Reads null items of a list whose child field is null=True."""

    class Holder(RemoteModel):
        values = fields.ListField(fields.DateField(null=True))

        class Meta:
            embedded = True

    assert Holder.from_api({"values": ["2024-01-02", None]}).values == [
        datetime.date(2024, 1, 2),
        None,
    ]


# --- wrong-typed wire values -------------------------------------------------------------

WRONG: list[tuple[str, Any]] = [
    ("count", "abc"),
    ("count", "42"),
    ("count", True),
    ("count", 1.5),
    ("count", 2.0),
    ("count", [1]),
    ("ratio", "1.5"),
    ("ratio", False),
    ("price", "abc"),
    ("price", ""),
    ("price", True),
    ("price", "NaN"),
    ("price", "Infinity"),
    ("price", {}),
    ("name", {}),
    ("name", 5),
    ("body", ["x"]),
    ("active", 1),
    ("active", 0),
    ("active", "true"),
    ("day", "2024-13-01"),
    ("day", "2024-02-30"),
    ("day", "2024-05-01T10:00:00Z"),
    ("day", 20240501),
    ("at", "2024-05-01"),
    ("at", "yesterday"),
    ("at", "2024-05-01T25:00:00Z"),
    ("at", 1714557600),
    ("time", "25:00"),
    ("time", "noon"),
    ("time", 36000),
    ("span", "abc"),
    ("span", 5),
    ("uid", "not-a-uuid"),
    ("uid", 5),
    ("email", 5),
    ("url", ["https://example.com"]),
    ("numbers", "1,2"),
    ("numbers", {"0": 1}),
    ("anything", "x"),
    ("scores", []),
    ("address", "1 Rue X"),
    ("address", [ADDRESS_WIRE]),
    ("owner", "7"),
    ("owner", True),
    ("owner", 7.0),
    ("owner", {"name": "no id"}),
    ("owner", {"id": None}),
    ("owner", {"id": "7"}),
    ("co_owners", [7, "8"]),
    ("co_owners", 7),
]


@pytest.mark.parametrize(("name", "wire"), WRONG)
def test_wrong_type_raises_naming_model_field_and_value(name: str, wire: Any) -> None:
    """Raises InvalidResponseError naming the model, field and value when it is read."""
    obj = Sample.from_api({name: wire})
    attname = Sample._meta.get_field(name).attname
    with pytest.raises(InvalidResponseError) as excinfo:
        getattr(obj, attname)
    message = str(excinfo.value)
    assert f"Sample.{name}" in message
    assert repr(wire)[:50] in message


@pytest.mark.parametrize("name", ALL_FIELDS)
def test_null_for_a_non_null_field_raises(name: str) -> None:
    """Raises InvalidResponseError when the server sends null for a field not null=True."""
    obj = Sample.from_api({name: None})
    with pytest.raises(InvalidResponseError, match=rf"Sample\.{name}: .*None.*null"):
        getattr(obj, Sample._meta.get_field(name).attname)


def test_null_primary_key_raises() -> None:
    """Raises InvalidResponseError when the server sends null for the primary key."""
    with pytest.raises(InvalidResponseError, match=r"Sample\.id"):
        _ = Sample.from_api({"id": None}).pk


@pytest.mark.parametrize(
    ("name", "wire", "item", "label"),
    [
        ("numbers", [1, "2"], "2", r"numbers\[\]"),
        ("numbers", [1, None], None, r"numbers\[\]"),
        ("scores", {"a": "1.0", "b": "x"}, "x", r"scores\{\}"),
        ("scores", {"a": 1.5, "b": True}, True, r"scores\{\}"),
    ],
)
def test_wrong_container_item_names_the_items(name: str, wire: Any, item: Any, label: str) -> None:
    """Names the container's items (``numbers[]``) and the wrong item when one is wrong."""
    obj = Sample.from_api({name: wire})
    with pytest.raises(InvalidResponseError, match=rf"Sample\.{label}: the server sent {item!r}"):
        getattr(obj, name)


def test_wrong_nested_record_value_names_the_record_field() -> None:
    """Raises naming the embedded model's field when a nested value is wrong."""
    obj = Sample.from_api({"address": {"street": 5, "city": "Paris"}})
    assert obj.address.city == "Paris"
    with pytest.raises(InvalidResponseError, match=r"Address\.street: the server sent 5"):
        _ = obj.address.street


def test_error_message_truncates_huge_values() -> None:
    """Keeps the error message short when the wrong value is huge."""
    with pytest.raises(InvalidResponseError) as excinfo:
        _ = Sample.from_api({"name": list(range(10_000))}).name
    assert len(str(excinfo.value)) < 400


def test_a_wrong_value_stays_wrong() -> None:
    """Raises again on a second read instead of caching anything for a wrong value."""
    obj = Sample.from_api({"count": "x"})
    for _ in range(2):
        with pytest.raises(InvalidResponseError):
            _ = obj.count


def test_a_wrong_value_does_not_affect_other_fields() -> None:
    """Reads the other fields of a row that has one wrong value."""
    obj = Sample.from_api({"count": "x", "name": "ok"})
    assert obj.name == "ok"


# --- missing and extra keys, laziness --------------------------------------------------------


def test_missing_key_without_default_raises_naming_it(api: respx.MockRouter) -> None:
    """Raises naming a field missing from the row and from the detail it then loads."""
    detail = api.get("samples/1/").respond(json={"id": 1})
    obj = Sample.from_api({"id": 1})
    with pytest.raises(InvalidResponseError, match=r"Sample\.name: .*no 'name' key"):
        _ = obj.name
    assert detail.call_count == 1  # deferred: the detail was asked before giving up


def test_missing_foreign_key_names_its_wire_key(api: respx.MockRouter) -> None:
    """Raises naming the foreign key when its key is missing from the row and the detail."""
    api.get("samples/1/").respond(json={"id": 1})
    with pytest.raises(InvalidResponseError, match=r"Sample\.owner: .*no 'owner' key"):
        _ = Sample.from_api({"id": 1}).owner_id


def test_missing_key_takes_the_default() -> None:
    """Reads the default of a field whose key the server did not send."""

    class Defaults(RemoteModel):
        level = fields.IntegerField(default=3)
        tags = fields.ListField(default=list)
        stamp = fields.DateField(default=lambda: datetime.date(2020, 1, 1))
        note = fields.CharField(null=True)

        class Meta:
            embedded = True

    obj = Defaults.from_api({})
    assert (obj.level, obj.tags, obj.stamp, obj.note) == (3, [], datetime.date(2020, 1, 1), None)


def test_callable_default_is_called_per_instance() -> None:
    """Calls a callable default for each instance, so none share a list."""

    class Defaults(RemoteModel):
        tags = fields.ListField(default=list)
        fixed = fields.ListField(default=[1])

        class Meta:
            embedded = True

    first, second = Defaults(), Defaults()
    first.tags.append("x")
    first.fixed.append(2)
    assert (second.tags, second.fixed) == ([], [1])
    assert Defaults.from_api({}).fixed == [1]


def test_extra_keys_are_ignored() -> None:
    """Ignores keys the server sends that the model does not declare."""
    obj = Sample.from_api({"name": "x", "added_later": {"deep": [1]}})
    assert obj.name == "x"
    assert not hasattr(obj, "added_later")


def test_hydration_keeps_the_row_and_converts_nothing() -> None:
    """Keeps the server's row as it came and converts no value until it is read."""
    row = {"id": 1, "count": "not an int", "price": "1.00"}
    obj = Sample.from_api(row)
    assert obj._state.wire is row
    assert set(vars(obj)) == {"_state"}
    assert obj.price == decimal.Decimal("1.00")
    assert set(vars(obj)) == {"_state", "price"}


def test_a_read_value_is_cached() -> None:
    """Converts a value once and returns the same object on later reads."""
    obj = Sample.from_api({"data": {"a": 1}, "numbers": [1]})
    assert obj.numbers is obj.numbers
    assert obj.data is obj.data


def test_an_assigned_value_replaces_the_wire_value() -> None:
    """Returns an assigned value instead of the server's."""
    obj = Sample.from_api({"name": "old", "count": "wrong"})
    obj.name = "new"
    obj.count = 5
    assert (obj.name, obj.count) == ("new", 5)


# --- Python → wire in detail ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        (decimal.Decimal("12.5"), "12.50"),
        (decimal.Decimal("12"), "12.00"),
        (decimal.Decimal("1E+2"), "100.00"),
        (decimal.Decimal("1.234"), "1.234"),
        ("3.1", "3.10"),
        (7, "7.00"),
        (0.1, "0.10"),
    ],
)
def test_decimal_is_sent_as_drf_writes_it(value: Any, wire: str) -> None:
    """Sends decimals as strings padded to decimal_places, never rounded, never exponents."""
    assert Sample._meta.get_field("price").to_wire(value) == wire


def test_decimal_without_places_is_sent_as_is() -> None:
    """Sends a decimal of a field without decimal_places as its plain digits."""
    assert fields.DecimalField().to_wire(decimal.Decimal("1.5E+3")) == "1500"


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        (datetime.datetime(2024, 5, 1, 10, tzinfo=UTC), "2024-05-01T10:00:00Z"),
        (datetime.datetime(2024, 5, 1, 12, tzinfo=PLUS_TWO), "2024-05-01T12:00:00+02:00"),
        (datetime.datetime(2024, 5, 1, 10, 0, 0, 1, tzinfo=UTC), "2024-05-01T10:00:00.000001Z"),
        ("2024-05-01T10:00:00Z", "2024-05-01T10:00:00Z"),
        (datetime.date(2024, 5, 1), "2024-05-01T00:00:00Z"),
    ],
)
def test_datetime_is_sent_with_its_offset_or_z(value: Any, wire: str) -> None:
    """Sends an aware datetime in ISO 8601 with its offset, UTC as Z."""
    assert Sample._meta.get_field("at").to_wire(value) == wire


def test_naive_datetime_is_sent_in_the_current_time_zone() -> None:
    """Sends a naive datetime as the current time zone's time, with its offset."""
    with timezone.override("Europe/Paris"):
        sent = Sample._meta.get_field("at").to_wire(datetime.datetime(2024, 5, 1, 10))
    assert sent == "2024-05-01T10:00:00+02:00"


def test_date_of_an_aware_datetime_is_the_local_date() -> None:
    """Sends the date of an aware datetime in the default time zone."""
    late = datetime.datetime(
        2024, 5, 1, 23, 30, tzinfo=datetime.timezone(-datetime.timedelta(hours=5))
    )
    assert Sample._meta.get_field("day").to_wire(late) == "2024-05-02"


@pytest.mark.parametrize(
    ("name", "value", "wire"),
    [
        ("count", "42", 42),
        ("count", decimal.Decimal("3.0"), 3),
        ("count", django_models.IntegerChoices("N", "ONE TWO").TWO, 2),
        ("ratio", "2.5", 2.5),
        ("active", "false", False),
        ("active", 1, True),
        ("name", 12, "12"),
        ("day", "2024-05-01", "2024-05-01"),
        ("time", "10:30", "10:30:00"),
        ("span", datetime.timedelta(microseconds=5), "00:00:00.000005"),
        ("span", "P1DT2H", "1 02:00:00"),
        ("uid", 5, "00000000-0000-0000-0000-000000000005"),
        ("uid", "6F1C2B8E3D4A4E5F9A0B1C2D3E4F5A6B", "6f1c2b8e-3d4a-4e5f-9a0b-1c2d3e4f5a6b"),
        ("numbers", ("1", 2), [1, 2]),
        ("scores", {"a": decimal.Decimal("2")}, {"a": "2.0"}),
        ("address", {"street": "s", "city": "c"}, {"street": "s", "city": "c"}),
        ("owner", Owner(id=9, name="x"), 9),
        ("owner", "9", 9),
    ],
)
def test_user_values_are_converted_before_sending(name: str, value: Any, wire: Any) -> None:
    """Converts a user's value to the field's type before sending it."""
    sent = Sample._meta.get_field(name).to_wire(value)
    assert sent == wire
    assert type(sent) is type(wire)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("count", 2.5),
        ("count", decimal.Decimal("2.5")),
        ("count", float("inf")),
        ("count", float("nan")),
        ("count", True),
        ("count", "x"),
        ("ratio", True),
        ("ratio", "x"),
        ("price", "NaN"),
        ("price", "x"),
        ("price", True),
        ("active", "maybe"),
        ("day", "2024-13-01"),
        ("day", "soon"),
        ("at", "soon"),
        ("time", "25:00"),
        ("span", "soon"),
        ("uid", "nope"),
        ("numbers", "1,2"),
        ("numbers", [1, "x"]),
        ("scores", [1]),
        ("address", "x"),
        ("address", {"nope": 1}),
    ],
)
def test_unconvertible_user_values_raise_validation_error(name: str, value: Any) -> None:
    """Raises ValidationError instead of sending a value of the wrong type."""
    with pytest.raises(ValidationError):
        Sample._meta.get_field(name).to_wire(value)


def test_none_is_sent_as_null() -> None:
    """Sends None as JSON null for every field."""
    assert {
        name: Sample._meta.get_field(name).to_wire(None) for name in ALL_FIELDS
    } == dict.fromkeys(ALL_FIELDS)


def test_filter_values_are_prepared_with_the_field_type() -> None:
    """Prepares a filter value as the field's Python type."""
    assert Sample._meta.get_field("price").get_prep_value("1.5") == decimal.Decimal("1.5")
    assert Sample._meta.get_field("owner").get_prep_value(Owner(id=4)) == 4
    assert Sample._meta.get_field("day").get_prep_value(None) is None


# --- field options -------------------------------------------------------------------------


class Optioned(RemoteModel):
    """A model exercising every field option."""

    class Status(django_models.TextChoices):
        DRAFT = "d", "Draft"
        LIVE = "l", "Live"

    title = fields.CharField(source="name", help_text="Shown on the cover.")
    status = fields.CharField(choices=Status, default=Status.DRAFT)
    size = fields.IntegerField(choices=[("Small", [(1, "S"), (2, "M")]), (3, "L")], null=True)
    level = fields.IntegerField(choices={1: "Low", 2: "High"}, default=1)
    created = fields.DateTimeField(read_only=True, null=True)
    stars = fields.IntegerField(validators=[MinValueValidator(0)], default=0)
    note = fields.TextField(blank=True, default="")

    class Meta:
        endpoint = "options/"


def test_source_reads_and_writes_the_wire_name() -> None:
    """Reads and writes a field under its ``source`` wire name."""
    obj = Optioned.from_api({"id": 1, "name": "Dune", "title": "ignored"})
    assert obj.title == "Dune"
    assert Optioned._meta.get_field("title").source == "name"
    assert Optioned(title="X")._to_wire_dict()["name"] == "X"
    assert "title" not in Optioned(title="X")._to_wire_dict()


def test_read_only_fields_are_not_sent() -> None:
    """Leaves read-only fields (and the implicit id) out of the body it sends."""
    body = Optioned(title="X", created=timezone.now())._to_wire_dict()
    assert set(body) == {"name", "status", "size", "level", "stars", "note"}


def test_read_only_values_are_read() -> None:
    """Reads a read-only field from the server's row."""
    obj = Optioned.from_api({"created": "2024-01-01T00:00:00Z"})
    assert obj.created == datetime.datetime(2024, 1, 1, tzinfo=UTC)


def test_help_text_and_verbose_name_are_kept() -> None:
    """Keeps help_text, and derives verbose_name from the field name."""
    field = Optioned._meta.get_field("title")
    assert field.help_text == "Shown on the cover."
    assert Optioned._meta.get_field("created").verbose_name == "created"


def test_choices_accept_django_choices_mappings_and_groups() -> None:
    """Reads choices from a Choices class, a dict, or grouped pairs."""
    assert Optioned._meta.get_field("status").choices == [("d", "Draft"), ("l", "Live")]
    assert Optioned._meta.get_field("level").choices == [(1, "Low"), (2, "High")]
    assert Optioned._meta.get_field("size").flatchoices == [(1, "S"), (2, "M"), (3, "L")]


def test_get_display_returns_the_label() -> None:
    """Returns a choice's label from get_FOO_display(), the value when it has none."""
    obj = Optioned.from_api({"status": "l", "size": 2, "level": 7})
    assert obj.get_status_display() == "Live"
    assert obj.get_size_display() == "M"
    assert obj.get_level_display() == 7
    assert Optioned.get_status_display.__doc__ == "Return the human-readable label of status."


def test_choices_must_be_pairs() -> None:
    """Raises TypeError for choices that are not (value, label) pairs."""
    with pytest.raises(TypeError, match="pairs"):
        fields.CharField(choices=["a", "b"])
    with pytest.raises(TypeError, match="pairs"):
        fields.CharField(choices="ab")


def test_a_primary_key_cannot_be_null() -> None:
    """Raises TypeError for a primary key declared null=True."""
    with pytest.raises(TypeError, match="primary key"):
        fields.IntegerField(primary_key=True, null=True)


# --- validation (full_clean) ---------------------------------------------------------------


class Checked(RemoteModel):
    title = fields.CharField(max_length=5)
    kind = fields.CharField(choices=[("a", "A"), ("b", "B")], blank=True, default="")
    email = fields.EmailField(null=True, blank=True)
    url = fields.URLField(null=True, blank=True)
    price = fields.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    stars = fields.IntegerField(validators=[MinValueValidator(0)], default=0)
    when = fields.DateField()
    tags = fields.ListField(fields.CharField(max_length=3), blank=True, default=list)
    marks = fields.DictField(fields.IntegerField(choices=[(1, "one")]), blank=True, default=dict)
    address = fields.EmbeddedField(Address, null=True, blank=True)
    data = fields.JSONField(default=dict)
    flag = fields.BooleanField(default=False)

    class Meta:
        endpoint = "checked/"


def errors_of(obj: RemoteModel) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as excinfo:
        obj.full_clean()
    return excinfo.value.message_dict


def test_a_valid_instance_cleans_and_converts() -> None:
    """Cleans a valid instance and converts its values to the fields' types."""
    obj = Checked(title="ok", price="1.5", stars="3", when="2024-05-01", tags=["abc"])
    obj.full_clean()
    assert (obj.price, obj.stars, obj.when) == (
        decimal.Decimal("1.5"),
        3,
        datetime.date(2024, 5, 1),
    )


def test_max_length_is_checked() -> None:
    """Reports a string longer than max_length under its field."""
    assert errors_of(Checked(title="toolong", when="2024-01-01")) == {
        "title": ["Ensure this value has at most 5 characters (it has 7)."]
    }


def test_blank_and_null_are_checked() -> None:
    """Reports an empty value under a field not blank=True, and None under one not null=True."""
    assert errors_of(Checked(title="")) == {
        "title": ["This field cannot be blank."],
        "when": ["This field cannot be null."],
    }


def test_false_is_not_blank() -> None:
    """Accepts False for a BooleanField, which is a value and not a blank one."""
    Checked(title="x", when="2024-01-01", flag=False).full_clean()


def test_choices_are_checked() -> None:
    """Reports a value outside choices under its field."""
    assert errors_of(Checked(title="x", when="2024-01-01", kind="z")) == {
        "kind": ["Value 'z' is not a valid choice."]
    }


def test_email_and_url_validators_run() -> None:
    """Reports an invalid e-mail address and URL under their fields."""
    errors = errors_of(Checked(title="x", when="2024-01-01", email="nope", url="nope"))
    assert errors == {"email": ["Enter a valid email address."], "url": ["Enter a valid URL."]}


def test_decimal_digits_are_checked() -> None:
    """Reports a decimal with too many digits or decimal places under its field."""
    assert errors_of(Checked(title="x", when="2024-01-01", price="123.45")) == {
        "price": ["Ensure that there are no more than 4 digits in total."]
    }
    assert errors_of(Checked(title="x", when="2024-01-01", price="1.234")) == {
        "price": ["Ensure that there are no more than 2 decimal places."]
    }


def test_custom_validators_run() -> None:
    """Reports a custom validator's error under its field."""
    assert errors_of(Checked(title="x", when="2024-01-01", stars=-1)) == {
        "stars": ["Ensure this value is greater than or equal to 0."]
    }


def test_error_messages_override_a_validator_message() -> None:
    """Uses the field's error_messages for a validator's error code, as Django does."""

    class Short(RemoteModel):
        code = fields.CharField(max_length=2, error_messages={"max_length": "Too long."})

        class Meta:
            embedded = True

    assert errors_of(Short(code="abc")) == {"code": ["Too long."]}


def test_conversion_errors_are_reported_by_field() -> None:
    """Reports a value that cannot be converted under its field."""
    assert errors_of(Checked(title="x", when="someday", stars="many")) == {
        "when": ["'someday' value has an invalid date format. It must be in YYYY-MM-DD format."],
        "stars": ["'many' value must be an integer."],
    }


def test_list_items_are_validated_by_the_child() -> None:
    """Reports each invalid list item with its position."""
    errors = errors_of(Checked(title="x", when="2024-01-01", tags=["ok", "toolong"]))
    assert errors == {
        "tags": [
            "Item 2 in the list did not validate: "
            "Ensure this value has at most 3 characters (it has 7)."
        ]
    }


def test_dict_values_are_validated_by_the_child() -> None:
    """Reports each invalid dict value with its key, choices included."""
    errors = errors_of(Checked(title="x", when="2024-01-01", marks={"a": 1, "b": 2}))
    assert errors == {
        "marks": ["The value of 'b' did not validate: Value 2 is not a valid choice."]
    }


def test_embedded_record_is_validated() -> None:
    """Reports an invalid embedded record's errors under its field, naming the inner field."""
    address = Address(street="x" * 21, city="")
    errors = errors_of(Checked(title="x", when="2024-01-01", address=address))
    assert errors == {
        "address": [
            "street: Ensure this value has at most 20 characters (it has 21).",
            "city: This field cannot be blank.",
        ]
    }


def test_empty_json_is_a_value() -> None:
    """Accepts an empty dict for a JSONField, as Django's JSONField does."""
    Checked(title="x", when="2024-01-01", data={}).full_clean()


def test_clean_errors_are_non_field_errors() -> None:
    """Reports errors raised by clean() under NON_FIELD_ERRORS, with the field errors."""

    class Range(RemoteModel):
        low = fields.IntegerField()
        high = fields.IntegerField()

        class Meta:
            embedded = True

        def clean(self) -> None:
            if self.low > self.high:
                raise ValidationError("low must not exceed high.")

    assert errors_of(Range(low=5, high=1)) == {NON_FIELD_ERRORS: ["low must not exceed high."]}


def test_clean_may_raise_errors_keyed_by_field() -> None:
    """Merges a dict raised by clean() with the field errors."""

    class Pair(RemoteModel):
        a = fields.CharField(max_length=1)
        b = fields.CharField()

        class Meta:
            embedded = True

        def clean(self) -> None:
            raise ValidationError({"b": "b is wrong."})

    assert errors_of(Pair(a="xx", b="y")) == {
        "a": ["Ensure this value has at most 1 character (it has 2)."],
        "b": ["b is wrong."],
    }


def test_full_clean_skips_excluded_and_read_only_fields() -> None:
    """Skips excluded fields and read-only ones (the server sets those)."""
    obj = Checked(title="toolong")
    obj.full_clean(exclude=["title", "when"], validate_unique=False)

    class Server(RemoteModel):
        made = fields.DateTimeField(read_only=True)

        class Meta:
            embedded = True

    Server().full_clean()


def test_invalid_values_raise_validation_error_before_sending() -> None:
    """Raises ValidationError keyed by field when a value to send cannot be converted."""
    obj = Checked(title="x", stars="many")
    with pytest.raises(ValidationError) as excinfo:
        obj._to_wire_dict()
    assert excinfo.value.message_dict == {"stars": ["'many' value must be an integer."]}


# --- embedded records ------------------------------------------------------------------------


def test_embedded_record_reads_lazily_and_compares_by_value() -> None:
    """Hydrates a nested object as a record that equals another with the same values."""
    obj = Sample.from_api({"address": dict(ADDRESS_WIRE)})
    assert obj.address == Address(street="1 Rue X", city="Paris")
    assert obj.address != Address(street="2 Rue X", city="Paris")
    assert repr(Address(street="s", city="c")) == "<Address: {'street': 's', 'city': 'c'}>"


def test_embedded_record_has_no_pk_and_no_hash() -> None:
    """Refuses pk and hash() on an embedded record, which has no identity."""
    record = Address(street="s", city="c")
    with pytest.raises(AttributeError, match="embedded record"):
        _ = record.pk
    with pytest.raises(TypeError, match="unhashable"):
        hash(record)
    assert "id" not in Address._meta.field_names


def test_list_of_embedded_records() -> None:
    """Reads and sends a list of embedded records."""
    field = fields.ListField(fields.EmbeddedField(Address))
    records = field.from_wire([ADDRESS_WIRE, {"street": "b", "city": "c"}])
    assert [r.city for r in records] == ["Paris", "c"]
    assert field.to_wire(records) == [ADDRESS_WIRE, {"street": "b", "city": "c"}]


def test_embedded_field_needs_an_embedded_model() -> None:
    """Raises TypeError when EmbeddedField is given a model that is not Meta.embedded."""
    with pytest.raises(TypeError, match="embedded = True"):
        fields.EmbeddedField(Owner)


# --- foreign keys ----------------------------------------------------------------------------


class Book(RemoteModel):
    title = fields.CharField()
    owner = fields.ForeignKey(Owner, null=True, related_name="books")
    editor = fields.ForeignKey("Owner", null=True)
    sequel = fields.ForeignKey("self", null=True)

    class Meta:
        endpoint = "field-books/"


def test_foreign_key_wire_value_is_the_related_pk() -> None:
    """Reads the related pk of a foreign key as ``<name>_id``."""
    book = Book.from_api({"id": 1, "title": "x", "owner": 7, "editor": None, "sequel": 2})
    assert (book.owner_id, book.editor_id, book.sequel_id) == (7, None, 2)
    assert book.editor is None
    assert Book._meta.get_field("owner_id") is Book._meta.get_field("owner")


def test_lazy_references_resolve() -> None:
    """Resolves a foreign key named by a string, and "self", to the model."""
    assert Book._meta.get_field("editor").to is Owner
    assert Book._meta.get_field("sequel").to is Book


def test_nested_object_hydrates_the_relation_without_a_request() -> None:
    """Hydrates a nested related object as ``book.owner`` and its pk as ``owner_id``."""
    book = Book.from_api({"id": 1, "owner": {"id": 7, "name": "Ada", "extra": 1}})
    assert book.owner.name == "Ada"
    assert book.owner.pk == 7
    assert book.owner_id == 7
    assert book.owner is book.owner


def test_assigning_an_instance_sets_the_pk() -> None:
    """Sets ``owner_id`` when an instance is assigned to ``owner``."""
    owner = Owner(id=3, name="Ada")
    book = Book(title="x", owner=owner)
    assert book.owner_id == 3
    assert book.owner is owner
    assert book._to_wire_dict()["owner"] == 3
    book.owner = None
    assert (book.owner_id, book.owner) == (None, None)


def test_assigning_a_non_instance_raises() -> None:
    """Raises ValueError when a foreign key is assigned something other than an instance."""
    book = Book(title="x")
    with pytest.raises(ValueError, match=r'"Book\.owner" must be a "Owner" instance'):
        book.owner = 3
    with pytest.raises(ValueError, match="must be a"):
        book.owner = Book(id=1)
    book.owner_id = 3
    assert book.owner_id == 3


def test_constructing_with_the_attname_sets_the_pk() -> None:
    """Accepts ``owner_id=`` in the constructor."""
    assert Book(owner_id=5).owner_id == 5


async def test_unloaded_relation_in_async_code_raises() -> None:
    """Raises SynchronousOnlyOperation naming the fix when an unloaded relation is read."""
    book = Book.from_api({"id": 1, "owner": 7})
    with pytest.raises(SynchronousOnlyOperation, match="select_related"):
        _ = book.owner


async def test_changing_the_pk_forgets_the_loaded_relation() -> None:
    """Forgets a loaded relation when ``<name>_id`` is changed to another pk."""
    book = Book(title="x", owner=Owner(id=3))
    book.owner_id = 4
    with pytest.raises(SynchronousOnlyOperation):
        _ = book.owner


def test_unloaded_relation_is_fetched_in_sync_code(api: respx.MockRouter) -> None:
    """Fetches an unloaded relation from its detail URL in sync code, then caches it."""
    route = api.get("owners/7/").respond(json={"id": 7, "name": "Ada"})
    book = Book.from_api({"id": 1, "owner": 7})
    assert book.owner.name == "Ada"
    assert book.owner.name == "Ada"
    assert route.call_count == 1


def test_foreign_key_to_a_string_pk() -> None:
    """Reads and sends a foreign key to a model whose primary key is a string."""

    class Tagged(RemoteModel):
        tag = fields.ForeignKey("testapp.Tag")

        class Meta:
            embedded = True

    assert Tagged.from_api({"tag": "sci-fi"}).tag_id == "sci-fi"
    assert Tagged(tag_id="x")._to_wire_dict() == {"tag": "x"}
    with pytest.raises(InvalidResponseError, match=r"Tagged\.tag"):
        _ = Tagged.from_api({"tag": 5}).tag_id


def test_fields_are_copied_into_each_subclass() -> None:
    """Names the subclass in errors of an inherited list field, and the parent in the parent's."""

    class Parent(RemoteModel):
        values = fields.ListField(fields.IntegerField())

        class Meta:
            embedded = True

    class Child(Parent):
        pass

    with pytest.raises(InvalidResponseError, match=r"Child\.values\[\]"):
        _ = Child.from_api({"values": ["x"]}).values
    with pytest.raises(InvalidResponseError, match=r"Parent\.values\[\]"):
        _ = Parent.from_api({"values": ["x"]}).values
    assert Parent._meta.get_field("values") is not Child._meta.get_field("values")


def test_nested_containers_name_their_items() -> None:
    """Names the items of a list inside a dict when one is wrong."""

    class Grid(RemoteModel):
        rows = fields.DictField(fields.ListField(fields.IntegerField()))

        class Meta:
            embedded = True

    assert Grid.from_api({"rows": {"a": [1, 2]}}).rows == {"a": [1, 2]}
    with pytest.raises(InvalidResponseError, match=r"Grid\.rows\{\}\[\]"):
        _ = Grid.from_api({"rows": {"a": [1, "2"]}}).rows


def test_pickled_wire_instance_reads_the_same_values() -> None:
    """Reads the same values after pickling an instance hydrated from the wire."""
    obj = Sample.from_api({"id": 1, "price": "1.50", "address": ADDRESS_WIRE, "owner": 2})
    _ = obj.price
    copy = pickle.loads(pickle.dumps(obj))
    assert (copy.pk, copy.price, copy.address, copy.owner_id) == (
        1,
        decimal.Decimal("1.50"),
        obj.address,
        2,
    )


@pytest.mark.parametrize(
    ("field", "internal"),
    [
        (fields.CharField(), "CharField"),
        (fields.EmailField(), "CharField"),
        (fields.URLField(), "CharField"),
        (fields.TextField(), "TextField"),
        (fields.DecimalField(max_digits=4, decimal_places=1), "DecimalField"),
        (fields.DateTimeField(), "DateTimeField"),
        (fields.ListField(fields.IntegerField()), "ListField"),
        (fields.ForeignKey("Owner"), "ForeignKey"),
        (fields.JSONField(), "JSONField"),
    ],
)
def test_get_internal_type_names_the_built_in_field(field: Any, internal: str) -> None:
    """Answers get_internal_type() as Django's fields do: an EmailField is a CharField."""
    assert field.get_internal_type() == internal
