"""Models: ``class Meta``, the implicit pk, exceptions, managers, identity, inheritance."""

from __future__ import annotations

import copy
import pickle
from typing import Any

import pytest
import respx
from django.core.exceptions import (
    FieldDoesNotExist,
    MultipleObjectsReturned,
    ObjectDoesNotExist,
    SynchronousOnlyOperation,
)
from django.http import Http404
from django.shortcuts import aget_object_or_404, get_object_or_404

from django_api_orm import InvalidResponseError, Manager, QuerySet, RemoteModel, fields
from django_api_orm.models.base import registered_models
from tests.testapp.models import Author


class Writer(RemoteModel):
    name = fields.CharField(max_length=50)

    class Meta:
        endpoint = "writers/"


class Novel(RemoteModel):
    title = fields.CharField()
    status = fields.CharField(choices=[("d", "Draft"), ("p", "Published")], default="d")
    writer = fields.ForeignKey(Writer, null=True)

    class Meta:
        endpoint = "novels/"
        service = "default"
        ordering = ["title"]
        filter_fields = ["title", "status"]


class SpecialNovel(Novel):
    edition = fields.IntegerField(default=1)

    class Meta:
        endpoint = "special-novels/"


class Titled(RemoteModel):
    title = fields.CharField(max_length=100)
    slug = fields.CharField(blank=True, default="")

    class Meta:
        abstract = True
        ordering = ["title"]
        get_latest_by = "title"


class Magazine(Titled):
    issue = fields.IntegerField()

    class Meta(Titled.Meta):
        endpoint = "magazines/"


class Pamphlet(Titled):
    """Declares its own primary key under an abstract parent."""

    code = fields.CharField(primary_key=True)
    slug = None

    class Meta:
        endpoint = "pamphlets/"


class PublishedQuerySet(QuerySet[Any]):
    def published(self) -> PublishedQuerySet:
        """Return the published objects."""
        return self.filter(status="p")


PublishedManager = Manager.from_queryset(PublishedQuerySet)


class Tracked(RemoteModel):
    status = fields.CharField()
    objects = PublishedManager()

    class Meta:
        abstract = True


class Report(Tracked):
    class Meta:
        endpoint = "reports/"


class Archive(RemoteModel):
    entries = Manager()

    class Meta:
        endpoint = "archives/"


class Named(RemoteModel):
    name = fields.CharField()

    class Meta:
        endpoint = "named/"

    def __str__(self) -> str:
        return self.name


# --- class Meta --------------------------------------------------------------------------


def test_unknown_meta_option_raises_naming_it() -> None:
    """Raises TypeError naming an unknown Meta option and listing the valid ones."""
    with pytest.raises(TypeError, match=r"Broken got invalid attribute\(s\): endpont\. Valid"):

        class Broken(RemoteModel):
            class Meta:
                endpont = "broken/"


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("ordering", "title"),
        ("ordering", ["title", 3]),
        ("ordering_fields", "title"),
        ("get_latest_by", 5),
        ("abstract", "yes"),
        ("embedded", 1),
        ("save_changed_only", "no"),
        ("service", 5),
        ("endpoint", 5),
        ("endpoint", ""),
        ("pagination", [("STYLE", "none")]),
        ("exclude_filters", {"title": 1}),
        ("filter_fields", {"title": "exact"}),
        ("filter_fields", "title"),
        ("verbose_name", ["x"]),
    ],
)
def test_meta_option_of_the_wrong_type_raises(option: str, value: Any) -> None:
    """Raises TypeError naming a Meta option whose value has the wrong type."""
    meta = type("Meta", (), {"endpoint": "broken/", option: value})
    with pytest.raises(TypeError, match=rf"Broken\.Meta\.{option}"):
        type(RemoteModel)("Broken", (RemoteModel,), {"__module__": __name__, "Meta": meta})


def test_meta_options_are_read() -> None:
    """Reads Meta options into _meta, normalised."""
    opts = Novel._meta
    assert (opts.endpoint, opts.service, opts.ordering) == ("novels/", "default", ("title",))
    assert opts.filter_fields == {"title": frozenset({"exact"}), "status": frozenset({"exact"})}
    assert (opts.object_name, opts.model_name) == ("Novel", "novel")
    assert (SpecialNovel._meta.verbose_name, SpecialNovel._meta.verbose_name_plural) == (
        "special novel",
        "special novels",
    )
    assert opts.model is Novel
    assert opts.abstract is opts.embedded is False


def test_defaults_of_meta() -> None:
    """Uses the default service and no ordering when Meta does not set them."""
    assert (Writer._meta.service, Writer._meta.ordering, Writer._meta.filter_fields) == (
        "default",
        (),
        None,
    )


def test_app_label_comes_from_the_installed_app() -> None:
    """Takes app_label from the installed app holding the model, or from Meta."""
    assert Author._meta.app_label == "testapp"
    assert Author._meta.label == "testapp.Author"
    assert Author._meta.label_lower == "testapp.author"

    class Labelled(RemoteModel):
        class Meta:
            embedded = True
            app_label = "shop"

    assert Labelled._meta.label == "shop.Labelled"


def test_endpoint_is_required() -> None:
    """Raises TypeError when a concrete model sets no Meta.endpoint."""
    with pytest.raises(TypeError, match=r"Loose must set Meta\.endpoint"):

        class Loose(RemoteModel):
            name = fields.CharField()


def test_meta_subclass_of_an_abstract_meta_inherits_but_is_not_abstract() -> None:
    """Inherits the options of ``class Meta(Base.Meta)`` except ``abstract``."""
    assert Magazine._meta.ordering == ("title",)
    assert Magazine._meta.get_latest_by == "title"
    assert Magazine._meta.abstract is False
    assert Pamphlet._meta.ordering == ()


def test_model_without_meta_inherits_its_abstract_parent_meta() -> None:
    """Inherits an abstract parent's whole Meta, except ``abstract``, when it declares none."""

    class Base(RemoteModel):
        value = fields.IntegerField()

        class Meta:
            abstract = True
            embedded = True
            ordering = ["value"]

    class Point(Base):
        pass

    assert (Point._meta.abstract, Point._meta.embedded, Point._meta.ordering) == (
        False,
        True,
        ("value",),
    )
    assert Point(value=1).value == 1


def test_concrete_subclass_inherits_service_and_ordering() -> None:
    """Inherits service, ordering and get_latest_by from a concrete parent, not its endpoint."""
    assert SpecialNovel._meta.ordering == ("title",)
    assert SpecialNovel._meta.service == "default"
    assert SpecialNovel._meta.endpoint == "special-novels/"
    assert SpecialNovel._meta.filter_fields is None


# --- fields and the primary key ----------------------------------------------------------------


def test_implicit_id_is_a_read_only_integer_primary_key() -> None:
    """Adds a read-only IntegerField ``id`` primary key when none is declared."""
    pk = Writer._meta.pk
    assert (pk.name, type(pk), pk.primary_key, pk.read_only) == (
        "id",
        fields.IntegerField,
        True,
        True,
    )
    assert Writer._meta.get_field("pk") is pk
    assert Writer._meta.field_names == ["id", "name"]
    assert Writer.from_api({"id": 4, "name": "x"}).pk == 4


def test_declared_primary_key_replaces_id() -> None:
    """Uses a declared primary key instead of adding ``id``."""
    assert Pamphlet._meta.pk.name == "code"
    assert "id" not in Pamphlet._meta.field_names
    assert Pamphlet(code="abc", title="t").pk == "abc"


def test_subclass_of_abstract_may_declare_its_own_primary_key() -> None:
    """Lets a subclass of an abstract model declare its own primary key."""
    assert [f.name for f in Pamphlet._meta.fields if f.primary_key] == ["code"]


def test_two_primary_keys_raise() -> None:
    """Raises TypeError when a model declares two primary keys."""
    with pytest.raises(TypeError, match="more than one primary key field: a, b"):

        class Twice(RemoteModel):
            a = fields.IntegerField(primary_key=True)
            b = fields.CharField(primary_key=True)

            class Meta:
                endpoint = "twice/"


def test_id_that_is_not_the_primary_key_raises() -> None:
    """Raises TypeError when ``id`` is declared without primary_key=True and no pk exists."""
    with pytest.raises(TypeError, match="id is not the primary key"):

        class Odd(RemoteModel):
            id = fields.IntegerField()

            class Meta:
                endpoint = "odd/"


@pytest.mark.parametrize("name", ["pk", "a__b", "name_"])
def test_field_names_that_break_lookups_raise(name: str) -> None:
    """Raises TypeError for a field named pk, containing '__' or ending with '_'."""
    with pytest.raises(TypeError, match=rf"Bad\.{name}: a field name cannot"):
        type(RemoteModel)(
            "Bad",
            (RemoteModel,),
            {"__module__": __name__, name: fields.CharField(), "Meta": _embedded_meta()},
        )


def test_two_fields_with_one_source_raise() -> None:
    """Raises TypeError when two fields read the same wire key."""
    with pytest.raises(TypeError, match="both use the wire key"):

        class Clash(RemoteModel):
            a = fields.CharField(source="x")
            b = fields.CharField(source="x")

            class Meta:
                embedded = True


def test_field_clashing_with_a_foreign_key_attribute_raises() -> None:
    """Raises TypeError when a field is named like a foreign key's ``_id`` attribute."""
    with pytest.raises(TypeError, match="writer_id"):

        class Clash(RemoteModel):
            writer = fields.ForeignKey(Writer)
            writer_id = fields.IntegerField()

            class Meta:
                embedded = True


def test_get_field_names_the_choices() -> None:
    """Raises FieldDoesNotExist listing the fields for an unknown name."""
    assert Novel._meta.get_field("writer_id") is Novel._meta.get_field("writer")
    with pytest.raises(FieldDoesNotExist, match="Choices are: id, title, status, writer"):
        Novel._meta.get_field("author")


def test_fields_keep_declaration_order_with_inherited_first() -> None:
    """Lists the pk, then inherited fields, then the class's own, in declaration order."""
    assert Magazine._meta.field_names == ["id", "title", "slug", "issue"]
    assert SpecialNovel._meta.field_names == ["id", "title", "status", "writer", "edition"]
    assert [f.name for f in Novel._meta.writable_fields] == ["title", "status", "writer"]


# --- exceptions ------------------------------------------------------------------------------


def test_each_model_has_its_own_exceptions() -> None:
    """Gives each model DoesNotExist and MultipleObjectsReturned subclassing Django's."""
    assert issubclass(Novel.DoesNotExist, ObjectDoesNotExist)
    assert issubclass(Novel.MultipleObjectsReturned, MultipleObjectsReturned)
    assert Novel.DoesNotExist is not Writer.DoesNotExist
    assert not issubclass(Novel.DoesNotExist, Writer.DoesNotExist)
    assert Novel.DoesNotExist.__qualname__ == "Novel.DoesNotExist"
    assert Novel.DoesNotExist.__module__ == __name__


def test_subclass_exceptions_subclass_the_parent_ones() -> None:
    """Makes a concrete subclass's exceptions subclasses of its parent's."""
    assert issubclass(SpecialNovel.DoesNotExist, Novel.DoesNotExist)
    assert issubclass(SpecialNovel.MultipleObjectsReturned, Novel.MultipleObjectsReturned)
    assert SpecialNovel.DoesNotExist is not Novel.DoesNotExist
    assert issubclass(Magazine.DoesNotExist, ObjectDoesNotExist)
    assert not hasattr(Titled, "DoesNotExist")


def test_exceptions_pickle() -> None:
    """Pickles a model's DoesNotExist by its qualified name."""
    error = pickle.loads(pickle.dumps(Novel.DoesNotExist("gone")))
    assert type(error) is Novel.DoesNotExist
    assert error.args == ("gone",)


# --- managers --------------------------------------------------------------------------------


def test_objects_is_the_default_manager() -> None:
    """Adds ``objects`` and sets it as ``_default_manager``, bound to the model."""
    assert isinstance(Novel.objects, Manager)
    assert Novel._default_manager is Novel.objects
    assert Novel.objects.model is Novel
    assert Novel.objects.name == "objects"


def test_managers_are_not_reachable_from_instances() -> None:
    """Raises AttributeError when a manager is read from an instance, as Django does."""
    with pytest.raises(AttributeError, match="Manager isn't accessible via Novel instances"):
        _ = Novel(title="x").objects


def test_concrete_subclass_gets_its_own_manager() -> None:
    """Gives a concrete subclass a manager bound to the subclass."""
    assert SpecialNovel.objects is not Novel.objects
    assert SpecialNovel.objects.model is SpecialNovel
    assert Novel.objects.model is Novel


def test_abstract_parent_manager_is_inherited() -> None:
    """Gives the subclass of an abstract model a copy of the parent's custom manager."""
    assert isinstance(Report.objects, PublishedManager)
    assert Report._default_manager is Report.objects
    assert Report.objects.model is Report
    assert not hasattr(Tracked, "objects")
    published = Report.objects.published()
    assert isinstance(published, PublishedQuerySet)
    assert published.model is Report


def test_a_declared_manager_replaces_objects() -> None:
    """Adds no ``objects`` when the model declares a manager under another name."""
    assert Archive._default_manager is Archive.entries
    assert not hasattr(Archive, "objects")


def test_get_object_or_404_uses_the_default_manager(api: respx.MockRouter) -> None:
    """Works with Django's get_object_or_404, raising Http404 on a 404."""
    api.get("writers/1/").respond(json={"id": 1, "name": "Ada"})
    api.get("writers/2/").respond(404, json={"detail": "Not found."})
    assert get_object_or_404(Writer, pk=1).name == "Ada"
    with pytest.raises(Http404):
        get_object_or_404(Writer, pk=2)


async def test_aget_object_or_404_uses_the_default_manager(api: respx.MockRouter) -> None:
    """Works with Django's aget_object_or_404, raising Http404 on a 404."""
    api.get("writers/1/").respond(json={"id": 1, "name": "Ada"})
    api.get("writers/2/").respond(404, json={"detail": "Not found."})
    assert (await aget_object_or_404(Writer, pk=1)).name == "Ada"
    with pytest.raises(Http404):
        await aget_object_or_404(Writer, pk=2)


# --- instances -------------------------------------------------------------------------------


def test_instances_compare_and_hash_by_model_and_pk() -> None:
    """Treats instances of one model with one pk as equal, and hashes them alike."""
    a, b = Novel.from_api({"id": 3, "title": "a"}), Novel(title="b")
    b.pk = 3
    assert a == b
    assert hash(a) == hash(b)
    assert len({a, b}) == 1
    assert a != Novel.from_api({"id": 4})
    assert a != Writer.from_api({"id": 3})
    assert a != SpecialNovel.from_api({"id": 3})
    assert a != 3


def test_unsaved_instances_are_only_equal_to_themselves() -> None:
    """Treats an instance without a pk as equal only to itself, and unhashable."""
    a, b = Novel(title="x"), Novel(title="x")
    assert a == a
    assert a != b
    with pytest.raises(TypeError, match="unhashable"):
        hash(a)


def test_repr_shows_the_model_and_str_as_django() -> None:
    """Shows ``<Novel: Novel object (3)>``: the class name and str(), as Django's repr."""
    assert repr(Novel.from_api({"id": 3})) == "<Novel: Novel object (3)>"
    assert repr(Novel(title="x")) == "<Novel: Novel object (None)>"
    assert repr(Pamphlet(code="ab")) == "<Pamphlet: Pamphlet object (ab)>"


def test_repr_of_an_invalid_row_does_not_raise() -> None:
    """Shows the row in the repr of an instance whose pk the server sent wrong, and of
    one whose own __str__ reads a field the server sent wrong."""
    assert repr(Novel.from_api({"id": "x"})) == "<Novel: invalid row {'id': 'x'}>"
    assert repr(Named.from_api({"id": 1, "name": ["Ada"]})) == (
        "<Named: invalid row {'id': 1, 'name': ['Ada']}>"
    )


async def test_repr_in_async_code_never_loads_a_deferred_field() -> None:
    """Falls back to Django's default str() when the model's own __str__ reads a deferred
    field from a running event loop: a repr makes no request and does not raise."""
    partial = Named.from_api({"id": 1})
    assert repr(partial) == "<Named: Named object (1)>"


def test_str_is_django_style_and_can_be_overridden() -> None:
    """Uses ``Novel object (3)`` as str(), or the model's own __str__, in repr() too."""
    assert str(Novel.from_api({"id": 3})) == "Novel object (3)"
    named = Named.from_api({"id": 1, "name": "Ada"})
    assert str(named) == "Ada"
    assert f"{named}" == "Ada"
    assert repr(named) == "<Named: Ada>"


def test_constructor_sets_fields_and_defaults() -> None:
    """Sets the given fields, and the defaults of the others."""
    novel = Novel(title="Dune")
    assert (novel.id, novel.title, novel.status, novel.writer_id) == (None, "Dune", "d", None)
    assert Novel(pk=5).id == 5


def test_unknown_constructor_kwargs_raise() -> None:
    """Raises TypeError naming unknown keyword arguments and listing the fields."""
    with pytest.raises(TypeError, match=r"unexpected keyword argument\(s\): auther, x\. Fields"):
        Novel(title="x", auther="y", x=1)


def test_constructor_accepts_a_related_instance() -> None:
    """Sets ``writer_id`` when the constructor gets a Writer instance."""
    writer = Writer.from_api({"id": 7, "name": "Ada"})
    novel = Novel(title="x", writer=writer)
    assert novel.writer_id == 7
    assert novel.writer is writer


def test_abstract_models_cannot_be_instantiated() -> None:
    """Raises TypeError when an abstract model is instantiated."""
    with pytest.raises(TypeError, match="Titled is abstract"):
        Titled(title="x")


def test_pk_property_reads_and_writes_the_primary_key() -> None:
    """Reads and writes the primary key through ``pk``."""
    pamphlet = Pamphlet(title="x")
    pamphlet.pk = "p1"
    assert pamphlet.code == "p1"


def test_serializable_value_is_the_attname_value() -> None:
    """Returns a foreign key's pk from serializable_value(), as Django does."""
    novel = Novel(title="x", writer_id=7)
    assert novel.serializable_value("writer") == 7
    assert novel.serializable_value("title") == "x"


def test_get_display_returns_the_choice_label() -> None:
    """Returns the label of a field with choices from get_FOO_display()."""
    assert Novel(status="p").get_status_display() == "Published"
    assert Novel(status="?").get_status_display() == "?"
    assert not hasattr(Novel, "get_title_display")


def test_a_model_may_override_get_display() -> None:
    """Keeps a get_FOO_display() the model defines itself."""

    class Custom(RemoteModel):
        kind = fields.CharField(choices=[("a", "A")])

        class Meta:
            embedded = True

        def get_kind_display(self) -> str:
            return "mine"

    assert Custom(kind="a").get_kind_display() == "mine"


# --- inheritance -----------------------------------------------------------------------------


def test_abstract_base_shares_its_fields() -> None:
    """Gives each subclass of an abstract model its own copy of the parent's fields."""
    title = Magazine._meta.get_field("title")
    assert title is not Titled._meta.get_field("title")
    assert title.model is Magazine
    assert title.max_length == 100
    magazine = Magazine.from_api({"id": 1, "title": "T", "slug": "t", "issue": 2})
    assert (magazine.title, magazine.slug, magazine.issue) == ("T", "t", 2)


def test_subclass_may_remove_an_inherited_field_with_none() -> None:
    """Drops an inherited field the subclass sets to None, as Django does."""
    assert Pamphlet._meta.field_names == ["title", "code"]


def test_subclass_may_override_an_inherited_field() -> None:
    """Replaces an inherited field by the subclass's field of the same name."""

    class Shouty(Titled):
        title = fields.CharField(max_length=5)

        class Meta:
            embedded = True

    assert Shouty._meta.get_field("title").max_length == 5
    assert Shouty._meta.field_names == ["slug", "title"]


def test_registry_holds_concrete_models_only() -> None:
    """Registers concrete models, not abstract or embedded ones."""
    models = registered_models()
    assert {Novel, SpecialNovel, Magazine, Author} <= set(models)
    assert Titled not in models
    assert not any(m._meta.embedded or m._meta.abstract for m in models)


def test_redeclaring_a_model_replaces_it_in_the_registry() -> None:
    """Keeps one registry entry per module and class name."""
    namespace = {"__module__": __name__, "__qualname__": "Again", "Meta": _endpoint_meta()}
    first = type(RemoteModel)("Again", (RemoteModel,), dict(namespace))
    second = type(RemoteModel)("Again", (RemoteModel,), dict(namespace))
    models = registered_models()
    assert second in models
    assert first not in models


# --- pickling --------------------------------------------------------------------------------


def test_pickling_round_trips_a_constructed_instance() -> None:
    """Pickles and unpickles an instance built in Python with its values."""
    novel = Novel(title="Dune", status="p", writer_id=2)
    novel.pk = 9
    copy_ = pickle.loads(pickle.dumps(novel))
    assert (copy_.pk, copy_.title, copy_.status, copy_.writer_id) == (9, "Dune", "p", 2)
    assert copy_ == novel


async def test_pickling_keeps_a_loaded_relation() -> None:
    """Keeps a loaded related instance across pickling, so reading it needs no request."""
    novel = Novel(title="x", writer=Writer(id=7, name="Ada"))
    copy_ = pickle.loads(pickle.dumps(novel))
    assert copy_.writer.name == "Ada"
    hydrated = Novel.from_api({"id": 1, "writer": {"id": 8, "name": "Bo"}})
    assert pickle.loads(pickle.dumps(hydrated)).writer.name == "Bo"


async def test_pickled_unloaded_relation_stays_unloaded() -> None:
    """Leaves an unloaded relation unloaded after pickling."""
    novel = pickle.loads(pickle.dumps(Novel.from_api({"id": 1, "writer": 7})))
    assert novel.writer_id == 7
    with pytest.raises(SynchronousOnlyOperation):
        _ = novel.writer


def test_copies_do_not_share_loaded_relations() -> None:
    """Gives a copy its own relation cache, so reassigning one leaves the other."""
    novel = Novel(title="x", writer=Writer(id=7))
    clone = copy.copy(novel)
    clone.writer = Writer(id=8)
    assert (novel.writer.pk, clone.writer.pk) == (7, 8)


def test_pickling_keeps_an_invalid_value_invalid() -> None:
    """Raises InvalidResponseError for a wrong wire value after pickling too."""
    novel = pickle.loads(pickle.dumps(Novel.from_api({"id": 1, "title": 5})))
    with pytest.raises(InvalidResponseError, match=r"Novel\.title"):
        _ = novel.title


def _embedded_meta() -> type:
    return type("Meta", (), {"embedded": True})


def _endpoint_meta() -> type:
    return type("Meta", (), {"endpoint": "again/"})
