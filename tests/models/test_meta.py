"""``_meta`` and the field API Django's own code reads: forms, the admin, serializers."""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
from typing import Any

import pytest
import respx
from django import forms
from django.core import serializers
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, SynchronousOnlyOperation
from django.forms.models import fields_for_model, model_to_dict, modelform_factory

from django_api_orm import BadRequestError, RemoteModel, fields
from django_api_orm import forms as remote_forms
from django_api_orm.models.fields.base import default_blank_choice
from django_api_orm.models.fields.related import ManyToManyRel, ManyToOneRel
from tests.models.conftest import page

#: "---------", or Django 6.1's label unless USE_BLANK_CHOICE_DASH.
((_, DASH),) = default_blank_choice()


class Publisher(RemoteModel):
    name = fields.CharField(max_length=50, verbose_name="publisher name", help_text="Full name")

    class Meta:
        endpoint = "publishers/"
        verbose_name = "publishing house"
        filter_fields = {"id": ["exact", "in"]}
        ordering_fields = ["id", "name"]

    def __str__(self) -> str:
        return self.name


class Label(RemoteModel):
    text = fields.CharField(max_length=20)

    class Meta:
        endpoint = "labels/"
        filter_fields = {"id": ["exact", "in"]}
        ordering_fields = ["id"]

    def __str__(self) -> str:
        return self.text


class Volume(RemoteModel):
    title = fields.CharField(max_length=200)
    summary = fields.TextField(blank=True, default="")
    pages = fields.IntegerField(null=True, blank=True)
    price = fields.DecimalField(max_digits=8, decimal_places=2)
    ratio = fields.FloatField(default=1.0)
    in_print = fields.BooleanField(default=True)
    maybe = fields.BooleanField(null=True)
    published = fields.DateField(null=True, blank=True)
    at = fields.DateTimeField(null=True, blank=True)
    time = fields.TimeField(null=True, blank=True)
    span = fields.DurationField(null=True, blank=True)
    uid = fields.UUIDField(null=True, blank=True)
    email = fields.EmailField(blank=True, default="")
    site = fields.URLField(blank=True, default="")
    data = fields.JSONField(null=True, blank=True)
    tags = fields.ListField(fields.CharField(), default=list, blank=True)
    scores = fields.DictField(blank=True, default=dict)
    state = fields.CharField(
        choices=[("draft", "Draft"), ("live", "Live")], default="draft", max_length=10
    )
    grade = fields.IntegerField(choices=[(1, "One"), (2, "Two")], null=True, blank=True)
    publisher = fields.ForeignKey(Publisher, related_name="volumes")
    editor = fields.ForeignKey(Publisher, related_name="+", null=True, blank=True)
    labels = fields.ManyToManyField(Label)
    created_at = fields.DateTimeField(read_only=True, null=True)

    class Meta:
        endpoint = "volumes/"
        filter_fields = {"id": ["exact", "in"]}
        ordering_fields = ["id"]


class SpecialVolume(Volume):
    """A subclass: its inherited relations are no new reverse relations."""

    class Meta:
        endpoint = "special-volumes/"
        filter_fields = {"id": ["exact"]}
        ordering_fields = ["id"]


def volume(**extra: Any) -> Volume:
    row = {
        "id": 3,
        "title": "Dune",
        "summary": "",
        "pages": 412,
        "price": "9.50",
        "ratio": 1.0,
        "in_print": True,
        "maybe": None,
        "published": "1965-08-01",
        "at": None,
        "time": None,
        "span": None,
        "uid": None,
        "email": "",
        "site": "",
        "data": None,
        "tags": ["sf"],
        "scores": {},
        "state": "live",
        "grade": None,
        "publisher": 7,
        "editor": None,
        "labels": [1, 2],
        "created_at": "2024-05-01T10:00:00Z",
    }
    row.update(extra)
    return Volume.from_api(row)


# --- Options -------------------------------------------------------------------


def test_options_answer_what_django_reads() -> None:
    opts = Volume._meta
    assert opts.concrete_model is Volume
    assert (opts.proxy, opts.swapped, opts.managed, opts.auto_created) == (
        False,
        None,
        False,
        False,
    )
    assert opts.private_fields == []
    assert opts.parents == {}
    assert opts.unique_together == ()
    assert list(opts.total_unique_constraints) == []
    assert list(opts.constraints) == []
    assert opts.pk is opts.get_field("id")
    assert opts.label == f"{opts.app_label}.Volume"
    assert opts.label_lower == f"{opts.app_label}.volume"
    assert opts.object_name == "Volume"
    assert opts.model_name == "volume"
    assert opts.verbose_name == "volume"
    assert opts.verbose_name_plural == "volumes"
    assert Publisher._meta.verbose_name == "publishing house"
    assert opts.ordering == ()


def test_app_label_and_app_config_of_an_installed_app() -> None:
    from tests.testapp.models import Book

    assert Book._meta.app_label == "testapp"
    assert Book._meta.label == "testapp.Book"
    assert Book._meta.label_lower == "testapp.book"
    assert Book._meta.app_config is not None
    assert Book._meta.app_config.label == "testapp"


def test_concrete_and_local_fields_leave_many_to_many_apart() -> None:
    opts = Volume._meta
    names = [f.name for f in opts.concrete_fields]
    assert "labels" not in names
    assert names[0] == "id"
    assert "publisher" in names
    assert opts.local_fields == opts.concrete_fields == opts.local_concrete_fields
    assert [f.name for f in opts.many_to_many] == ["labels"]
    assert opts.local_many_to_many == opts.many_to_many
    # ``fields`` keeps the many-to-many field: a ModelForm saves it with the object.
    assert "labels" in [f.name for f in opts.fields]


def test_related_objects_are_the_reverse_relations_of_declared_fields() -> None:
    rels = Publisher._meta.related_objects
    # One for each declared foreign key (not for the subclass's inherited copies).
    assert [(type(r), r.field) for r in rels] == [
        (ManyToOneRel, Volume._meta.get_field("publisher")),
        (ManyToOneRel, Volume._meta.get_field("editor")),
    ]
    books, editor = rels
    assert books is Volume._meta.get_field("publisher").remote_field
    assert books.related_model is Volume
    assert books.model is Publisher
    assert books.remote_field is books.field
    assert books.name == "volumes"
    assert books.get_accessor_name() == "volumes"
    assert (books.one_to_many, books.many_to_one, books.many_to_many, books.one_to_one) == (
        True,
        False,
        False,
        False,
    )
    assert (books.is_relation, books.auto_created, books.concrete, books.hidden) == (
        True,
        True,
        False,
        False,
    )
    assert books.get_related_field() is Publisher._meta.pk
    assert books.field_name == "id"
    assert repr(books).endswith(".volume>")
    assert editor.hidden
    assert editor.get_accessor_name() is None

    (labels,) = Label._meta.related_objects
    assert isinstance(labels, ManyToManyRel)
    assert labels.many_to_many and not labels.one_to_many
    assert labels.get_accessor_name() == "volume_set"
    assert labels.name == "volume"
    assert labels.through._meta.auto_created


def test_get_fields_reverse_relations_first_then_fields_as_django() -> None:
    fields_ = Publisher._meta.get_fields()
    assert [getattr(f, "name", None) for f in fields_] == ["volumes", "id", "name"]
    hidden = Publisher._meta.get_fields(include_hidden=True)
    assert len(hidden) == 4
    assert hidden[1].hidden
    assert Volume._meta.get_fields(include_parents=False) == Volume._meta.get_fields()
    assert Publisher._meta.fields_map["volumes"] is fields_[0]
    assert Volume._meta.fields_map["publisher_id"] is Volume._meta.get_field("publisher")


def test_get_field_stays_forward_only() -> None:
    with pytest.raises(FieldDoesNotExist):
        Publisher._meta.get_field("volumes")


def test_managers() -> None:
    opts = Volume._meta
    assert opts.managers == [Volume.objects]
    assert opts.default_manager is Volume.objects is Volume._default_manager
    base = opts.base_manager
    assert base is Volume._base_manager is opts.base_manager
    assert base.model is Volume
    assert base.name == "_base_manager"
    assert base.all().model is Volume


# --- fields ----------------------------------------------------------------------


def test_field_flags() -> None:
    opts = Volume._meta
    title = opts.get_field("title")
    publisher = opts.get_field("publisher")
    labels = opts.get_field("labels")
    assert (title.is_relation, title.many_to_one, title.many_to_many) == (False, None, None)
    assert title.related_model is None
    assert title.remote_field is None
    assert (title.concrete, title.hidden, title.auto_created, title.unique) == (
        True,
        False,
        False,
        False,
    )
    assert (title.unique_for_date, title.unique_for_month, title.unique_for_year) == (None,) * 3
    assert title.attname == title.get_attname() == title.column == "title"
    assert title.serialize and not opts.pk.serialize
    assert (publisher.is_relation, publisher.many_to_one, publisher.one_to_many) == (
        True,
        True,
        False,
    )
    assert publisher.related_model is Publisher
    assert publisher.remote_field.model is Publisher
    assert publisher.remote_field.limit_choices_to == {}
    assert publisher.attname == "publisher_id"
    assert publisher.column == "publisher"
    assert (labels.many_to_many, labels.many_to_one) == (True, False)
    assert labels.related_model is Label
    assert opts.pk.auto_created


def test_a_read_only_field_and_the_auto_pk_are_not_editable() -> None:
    opts = Volume._meta
    assert not opts.get_field("created_at").editable
    assert not opts.pk.editable
    assert opts.get_field("title").editable
    assert opts.get_field("labels").editable


def test_fields_sort_in_declaration_order() -> None:
    opts = Volume._meta
    shuffled = [opts.get_field("labels"), opts.get_field("title"), opts.pk]
    assert sorted(shuffled) == [opts.pk, opts.get_field("title"), opts.get_field("labels")]


def test_flatchoices_and_get_choices() -> None:
    state = Volume._meta.get_field("state")
    assert state.flatchoices == [("draft", "Draft"), ("live", "Live")]
    assert state.get_choices() == [("", DASH), ("draft", "Draft"), ("live", "Live")]
    assert state.get_choices(include_blank=False) == [("draft", "Draft"), ("live", "Live")]
    assert state.get_choices(blank_choice=[("", "All")])[0] == ("", "All")
    with pytest.raises(TypeError, match="has no choices"):
        Volume._meta.get_field("title").get_choices()


def test_a_relation_lists_its_choices_from_the_provider(api: respx.MockRouter) -> None:
    route = api.get("publishers/").respond(
        json=page([{"id": 1, "name": "Ace"}, {"id": 2, "name": "Tor"}])
    )
    publisher = Volume._meta.get_field("publisher")
    assert publisher.get_choices(ordering=("name",)) == [
        ("", DASH),
        (1, "Ace"),
        (2, "Tor"),
    ]
    assert route.calls.last.request.url.params["ordering"] == "name"
    assert publisher.get_choices(include_blank=False, limit_choices_to={"id__in": [1, 2]}) == [
        (1, "Ace"),
        (2, "Tor"),
    ]
    assert route.calls.last.request.url.params["id__in"] == "1,2"


def test_value_from_object_value_to_string_and_has_default() -> None:
    book = volume(data={"a": [1]}, uid="12345678-1234-5678-1234-567812345678")
    opts = Volume._meta
    assert opts.get_field("publisher").value_from_object(book) == 7
    assert opts.get_field("labels").value_from_object(book) == [1, 2]
    assert opts.get_field("price").value_from_object(book) == decimal.Decimal("9.50")
    assert opts.get_field("price").value_to_string(book) == "9.50"
    assert opts.get_field("published").value_to_string(book) == "1965-08-01"
    assert opts.get_field("uid").value_to_string(book) == "12345678-1234-5678-1234-567812345678"
    assert opts.get_field("pages").value_to_string(book) == "412"
    assert opts.get_field("at").value_to_string(book) == ""
    assert opts.get_field("tags").value_to_string(book) == ["sf"]
    assert opts.get_field("data").value_to_string(book) == {"a": [1]}
    assert opts.get_field("labels").value_to_string(book) == "[1, 2]"
    assert opts.get_field("in_print").has_default()
    assert not opts.get_field("title").has_default()
    assert opts.get_field("title").empty_values == [None, "", [], (), {}]


def test_model_to_dict_leaves_out_what_is_not_editable() -> None:
    data = model_to_dict(volume())
    assert "id" not in data
    assert "created_at" not in data
    assert data["publisher"] == 7
    assert data["labels"] == [1, 2]
    assert data["title"] == "Dune"
    assert model_to_dict(volume(), fields=["title", "labels"]) == {
        "title": "Dune",
        "labels": [1, 2],
    }


def test_save_form_data() -> None:
    book = volume()
    opts = Volume._meta
    opts.get_field("title").save_form_data(book, "Children of Dune")
    assert book.title == "Children of Dune"
    ace = Publisher.from_api({"id": 9, "name": "Ace"})
    opts.get_field("publisher").save_form_data(book, ace)
    assert book.publisher_id == 9
    assert book.publisher is ace
    labels = opts.get_field("labels")
    labels.save_form_data(book, [Label.from_api({"id": 5, "text": "x"}), 6])
    assert book.labels_ids == [5, 6]


def test_many_to_many_save_form_data_with_the_same_pks_changes_nothing() -> None:
    book = volume(labels=[2, 1])
    labels = Volume._meta.get_field("labels")
    labels.save_form_data(book, [1, 2])  # Django's save_m2m() after the save
    assert book.labels_ids == [2, 1]  # the provider's order kept: nothing changed
    labels.save_form_data(book, Label.objects.none())  # no request: an empty queryset
    assert book.labels_ids == []


# --- formfield() -----------------------------------------------------------------


def formfield(name: str, **kwargs: Any) -> Any:
    return Volume._meta.get_field(name).formfield(**kwargs)


def test_formfield_types_and_options() -> None:
    title = formfield("title")
    assert type(title) is forms.CharField
    assert (title.max_length, title.required, title.label) == (200, True, "Title")
    assert title.empty_value == ""
    summary = formfield("summary")
    assert isinstance(summary.widget, forms.Textarea)
    assert not summary.required
    assert summary.initial == ""
    assert type(formfield("pages")) is forms.IntegerField
    price = formfield("price")
    assert type(price) is forms.DecimalField
    assert (price.max_digits, price.decimal_places) == (8, 2)
    assert type(formfield("ratio")) is forms.FloatField
    assert formfield("ratio").initial == 1.0
    in_print = formfield("in_print")
    assert type(in_print) is forms.BooleanField
    assert not in_print.required
    assert in_print.initial is True
    assert type(formfield("maybe")) is forms.NullBooleanField
    assert type(formfield("published")) is forms.DateField
    assert type(formfield("at")) is forms.DateTimeField
    assert type(formfield("time")) is forms.TimeField
    assert type(formfield("span")) is forms.DurationField
    assert type(formfield("uid")) is forms.UUIDField
    assert type(formfield("email")) is forms.EmailField
    site = formfield("site")
    assert type(site) is forms.URLField
    assert site.clean("example.com") == "https://example.com"  # Django 6's default
    assert formfield("site", assume_scheme="http").clean("example.com") == "http://example.com"
    assert type(formfield("data")) is forms.JSONField
    tags = formfield("tags")
    assert type(tags) is forms.JSONField
    assert tags.initial is list  # a callable default, as Django passes it
    assert tags.show_hidden_initial
    assert type(formfield("scores")) is forms.JSONField


def test_formfield_label_help_text_and_overrides() -> None:
    name = Publisher._meta.get_field("name").formfield()
    assert name.label == "Publisher name"
    assert name.help_text == "Full name"
    title = formfield("title", label="Name", required=False, form_class=forms.SlugField)
    assert type(title) is forms.SlugField
    assert (title.label, title.required) == ("Name", False)


def test_a_null_char_field_cleans_empty_input_to_none() -> None:
    class Nullable(RemoteModel):
        nick = fields.CharField(null=True, blank=True)

        class Meta:
            embedded = True

    field = Nullable._meta.get_field("nick").formfield()
    assert field.clean("") is None


def test_formfield_with_choices_is_a_typed_choice_field() -> None:
    state = formfield("state")
    assert type(state) is forms.TypedChoiceField
    # A default: no blank choice (as Django).
    assert list(state.choices) == [("draft", "Draft"), ("live", "Live")]
    assert state.clean("live") == "live"
    with pytest.raises(forms.ValidationError):
        state.clean("gone")
    grade = formfield("grade")
    assert list(grade.choices) == [("", DASH), (1, "One"), (2, "Two")]
    assert grade.clean("2") == 2  # coerced by the model field's to_python
    assert grade.clean("") is None  # null=True: empty is None
    assert not grade.required

    class RadioChoiceField(forms.TypedChoiceField):
        widget = forms.RadioSelect

    # Options of the plain form field (max_length) are dropped for a choice field.
    radio = formfield("state", choices_form_class=RadioChoiceField, max_length=3)
    assert type(radio) is RadioChoiceField


def test_foreign_key_formfield_is_a_model_choice_field(api: respx.MockRouter) -> None:
    field = formfield("publisher")
    assert type(field) is remote_forms.ModelChoiceField
    assert isinstance(field, forms.ModelChoiceField)
    assert field.queryset.model is Publisher
    assert field.required
    assert field.label == "Publisher"
    assert not api.calls  # lazy: nothing asked yet
    api.get("publishers/").respond(json=page([{"id": 1, "name": "Ace"}]))
    assert list(field.choices) == [("", DASH), (1, "Ace")]
    editor = formfield("editor")
    assert not editor.required


def test_many_to_many_formfield_is_a_model_multiple_choice_field() -> None:
    field = formfield("labels")
    assert type(field) is remote_forms.ModelMultipleChoiceField
    assert isinstance(field, forms.ModelMultipleChoiceField)
    assert field.queryset.model is Label
    assert not field.required  # a many-to-many field is blank=True by default
    assert field.label == "Labels"
    assert field.initial is None


def test_fields_for_model_leaves_out_read_only_fields() -> None:
    form_fields = fields_for_model(Volume)
    assert "id" not in form_fields
    assert "created_at" not in form_fields
    assert list(form_fields)[:2] == ["title", "summary"]
    assert list(form_fields)[-3:] == ["publisher", "editor", "labels"]


def test_an_embedded_record_is_edited_as_json() -> None:
    class Place(RemoteModel):
        city = fields.CharField()

        class Meta:
            embedded = True

    class Venue(RemoteModel):
        place = fields.EmbeddedField(Place)

        class Meta:
            endpoint = "venues/"
            filter_fields: dict[str, list[str]] = {}
            ordering_fields: list[str] = []

    venue = Venue.from_api({"id": 1, "place": {"city": "Oslo"}})
    field = Venue._meta.get_field("place")
    assert type(field.formfield()) is forms.JSONField
    assert field.value_from_object(venue) == {"city": "Oslo"}
    field.save_form_data(venue, {"city": "Rome"})
    assert isinstance(venue.place, Place)
    assert venue.place.city == "Rome"


def test_a_list_of_dates_is_edited_as_json_text() -> None:
    """A container of dates or decimals shows in a ModelForm as its JSON (the provider's
    text), and what the form cleans is read back by the child field."""

    class Trip(RemoteModel):
        days = fields.ListField(fields.DateField(), blank=True)
        prices = fields.DictField(fields.DecimalField(max_digits=6, decimal_places=2))

        class Meta:
            endpoint = "trips/"
            filter_fields: dict[str, list[str]] = {}
            ordering_fields: list[str] = []

    trip = Trip.from_api({"id": 1, "days": ["2024-01-02"], "prices": {"a": "1.50"}})
    form_class = modelform_factory(Trip, fields="__all__")
    html = str(form_class(instance=trip))
    assert "[&quot;2024-01-02&quot;]" in html
    assert "{&quot;a&quot;: &quot;1.50&quot;}" in html
    data = {"days": '["2024-01-02"]', "prices": '{"a": "1.50"}'}
    unchanged = form_class(data=data, instance=trip)
    assert unchanged.is_valid(), unchanged.errors
    assert not unchanged.has_changed()
    form = form_class(data={**data, "days": '["2024-01-03"]'}, instance=trip)
    assert form.is_valid(), form.errors
    assert form.changed_data == ["days"]
    assert form.save(commit=False).days == [datetime.date(2024, 1, 3)]


# --- instances -----------------------------------------------------------------


def test_validate_unique_and_constraints_are_the_providers() -> None:
    book = volume()
    assert book.validate_unique() is None
    assert book.validate_unique(exclude=["title"]) is None
    assert book.validate_constraints() is None
    assert book._get_unique_checks(exclude=["title"], include_meta_constraints=True) == ([], [])


def test_pk_helpers_django_forms_call() -> None:
    assert volume()._get_pk_val() == 3
    assert volume()._is_pk_set()
    assert not Volume()._is_pk_set()


def test_uuid_and_dates_round_trip_for_forms() -> None:
    field = formfield("uid")
    assert field.clean("12345678-1234-5678-1234-567812345678") == uuid.UUID(
        "12345678-1234-5678-1234-567812345678"
    )
    assert formfield("published").clean("2024-01-02") == datetime.date(2024, 1, 2)


# --- django.core.serializers ----------------------------------------------------


def test_serialize_to_json_as_django(api: respx.MockRouter) -> None:
    route = api.get("labels/").respond(json=page([{"id": 1, "text": "a"}, {"id": 2, "text": "b"}]))
    book = volume(uid="12345678-1234-5678-1234-567812345678", data={"k": [1]})
    (record,) = json.loads(serializers.serialize("json", [book]))
    assert record == {
        "model": f"{Volume._meta.app_label}.volume",
        "pk": 3,
        "fields": {
            "title": "Dune",
            "summary": "",
            "pages": 412,
            "price": "9.50",
            "ratio": 1.0,
            "in_print": True,
            "maybe": None,
            "published": "1965-08-01",
            "at": None,
            "time": None,
            "span": None,
            "uid": "12345678-1234-5678-1234-567812345678",
            "email": "",
            "site": "",
            "data": {"k": [1]},
            "tags": ["sf"],
            "scores": {},
            "state": "live",
            "grade": None,
            "publisher": 7,
            "editor": None,
            "created_at": "2024-05-01T10:00:00Z",
            # A many-to-many field's objects are asked for, as Django queries them.
            "labels": [1, 2],
        },
    }
    assert route.call_count == 1
    assert route.calls.last.request.url.params["id__in"] == "1,2"


def test_serialize_selected_fields_without_request(api: respx.MockRouter) -> None:
    data = serializers.serialize("python", [volume()], fields=["title", "publisher"])
    assert data == [
        {
            "model": f"{Volume._meta.app_label}.volume",
            "pk": 3,
            "fields": {"title": "Dune", "publisher": 7},
        }
    ]
    assert not api.calls


def test_serialize_a_chosen_many_to_many_by_its_attname(api: respx.MockRouter) -> None:
    api.get("labels/").respond(json=page([{"id": 1, "text": "a"}, {"id": 2, "text": "b"}]))
    (record,) = serializers.serialize("python", [volume()], fields=["labels_ids"])
    assert record["fields"] == {"labels": [1, 2]}
    assert len(api.calls) == 1


def test_select_related_none_clears_the_list() -> None:
    queryset = Volume.objects.select_related("publisher").select_related(None)
    assert queryset._query.select_related == ()
    with pytest.raises(TypeError, match="no other argument"):
        Volume.objects.select_related(None, "publisher")


def test_totally_ordered_when_the_ordering_names_the_pk() -> None:
    assert not Publisher.objects.all().totally_ordered
    assert not Publisher.objects.order_by("name").totally_ordered
    assert Publisher.objects.order_by("-id").totally_ordered
    assert Publisher.objects.order_by("name", "pk").totally_ordered


# --- django_api_orm.forms --------------------------------------------------------


def test_multiple_choices_checked_with_one_in_request(api: respx.MockRouter) -> None:
    route = api.get("labels/", params={"id__in": "2,1"}).respond(
        json=page([{"id": 1, "text": "a"}, {"id": 2, "text": "b"}])
    )
    field = remote_forms.ModelMultipleChoiceField(queryset=Label.objects.all())
    assert [label.pk for label in field.clean(["2", "1", "2"])] == [2, 1]
    assert route.call_count == 1
    assert route.calls.last.request.url.params["id__in"] == "2,1"


def test_multiple_choices_checked_with_detail_gets_without_in(api: respx.MockRouter) -> None:
    class Shelf(RemoteModel):
        name = fields.CharField()

        class Meta:
            endpoint = "shelves/"
            filter_fields: dict[str, list[str]] = {}
            ordering_fields: list[str] = []

    one = api.get("shelves/1/").respond(json={"id": 1, "name": "a"})
    gone = api.get("shelves/9/").respond(404, json={"detail": "Not found."})
    field = remote_forms.ModelMultipleChoiceField(queryset=Shelf.objects.all())
    with pytest.raises(forms.ValidationError) as info:
        field.clean(["1", "9"])
    assert info.value.code == "invalid_choice"
    assert info.value.params == {"value": "9"}
    assert (one.call_count, gone.call_count) == (1, 1)
    assert [shelf.pk for shelf in field.clean(["1"])] == [1]


def test_a_pk_the_field_cannot_read_is_refused_before_any_request(
    api: respx.MockRouter,
) -> None:
    many = remote_forms.ModelMultipleChoiceField(queryset=Label.objects.all())
    with pytest.raises(forms.ValidationError) as info:
        many.clean(["x"])
    assert info.value.code == "invalid_pk_value"
    one = remote_forms.ModelChoiceField(queryset=Label.objects.all())
    with pytest.raises(forms.ValidationError) as info:
        one.clean("x")
    assert info.value.code == "invalid_choice"
    assert not api.calls


def test_an_empty_text_pk_is_no_valid_choice(api: respx.MockRouter) -> None:
    """An empty value among the chosen text pks is the "Select a valid choice" error, with
    no request: the detail URL of "" would be the collection's."""

    class Bin(RemoteModel):
        code = fields.CharField(primary_key=True)

        class Meta:
            endpoint = "bins/"
            filter_fields: dict[str, list[str]] = {}
            ordering_fields: list[str] = []

    field = remote_forms.ModelMultipleChoiceField(queryset=Bin.objects.all())
    with pytest.raises(forms.ValidationError) as info:
        field.clean([""])
    assert info.value.code == "invalid_choice"
    assert not api.calls


async def test_model_choices_in_a_running_loop_name_the_recipe() -> None:
    field = remote_forms.ModelChoiceField(queryset=Label.objects.all())
    many = remote_forms.ModelMultipleChoiceField(queryset=Label.objects.all())
    recipe = r"await sync_to_async\(form\.is_valid\)\(\)"
    calls = (
        lambda: field.clean("1"),
        lambda: many.clean(["1"]),
        lambda: list(field.choices),
        lambda: len(field.choices),
        lambda: bool(many.choices),
    )
    for call in calls:
        with pytest.raises(SynchronousOnlyOperation, match=recipe) as info:
            call()
        assert "Label objects" in str(info.value)
    optional = remote_forms.ModelChoiceField(queryset=Label.objects.all(), required=False)
    assert optional.clean("") is None  # nothing to ask: no refusal
    assert bool(field.choices)  # the blank choice: no request


def test_add_provider_errors() -> None:
    class TitleForm(forms.ModelForm):  # type: ignore[type-arg]
        class Meta:
            model = Volume
            fields = ["title"]

    form = TitleForm(data={"title": "x"})
    assert form.is_valid()
    remote_forms.add_provider_errors(
        form, BadRequestError(body={"title": ["Taken."], "price": ["Too high."]})
    )
    assert form.errors == {"title": ["Taken."], NON_FIELD_ERRORS: ["Price: Too high."]}
    form = TitleForm(data={"title": "x"})
    assert form.is_valid()
    remote_forms.add_provider_errors(form, BadRequestError(body=["Closed."]))
    assert form.errors == {NON_FIELD_ERRORS: ["Closed."]}


def test_provider_errors_keyed_by_the_wire_name_land_on_the_field() -> None:
    """The provider names its keys (``source``): a message about ``name`` goes on the
    field ``full_name`` that reads it, or above the form with that field's label."""

    class Writer(RemoteModel):
        full_name = fields.CharField(source="name")
        born_on = fields.DateField(source="born", null=True)

        class Meta:
            endpoint = "writers/"
            filter_fields: dict[str, list[str]] = {}
            ordering_fields: list[str] = []

    class NameForm(forms.ModelForm):  # type: ignore[type-arg]
        class Meta:
            model = Writer
            fields = ["full_name"]

    form = NameForm(data={"full_name": "x"})
    assert form.is_valid()
    remote_forms.add_provider_errors(
        form, BadRequestError(body={"name": ["Taken."], "born": ["In the future."]})
    )
    assert form.errors == {"full_name": ["Taken."], NON_FIELD_ERRORS: ["Born on: In the future."]}


def test_relations_limit_no_choices() -> None:
    assert Volume._meta.get_field("publisher").get_limit_choices_to() == {}
