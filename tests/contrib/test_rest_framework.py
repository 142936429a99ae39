"""DRF's plain ModelSerializer on RemoteModels: against the example provider, and the
exact writes pinned with respx."""

from __future__ import annotations

import decimal
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import respx
from asgiref.sync import sync_to_async
from django.core.exceptions import SynchronousOnlyOperation
from rest_framework import serializers

from django_api_orm import RemoteModel, fields
from django_api_orm.contrib.rest_framework import RemoteModelField
from tests.conftest import Provider
from tests.integration.remote_models import Author, Book, Genre
from tests.models.conftest import API, book, page
from tests.testapp.models import Book as AppBook

SQL = Callable[..., list[tuple[Any, ...]]]


class BookSerializer(serializers.ModelSerializer):
    class Meta:
        model = Book
        fields = "__all__"


class ProviderBookSerializer(serializers.ModelSerializer):
    """Without genres: the example provider's genres/ endpoint has no id__in filter, which
    reading a book's genres (not prefetched with a page that names every genre) needs."""

    class Meta:
        model = Book
        exclude = ["genres"]


class AppBookSerializer(serializers.ModelSerializer):
    class Meta:
        model = AppBook
        fields = ["id", "title", "price", "in_print", "author", "created_at"]


class Ticket(RemoteModel):
    """Every kind of field option the serializer fields take from the model."""

    subject = fields.CharField(max_length=80, help_text="One line.")
    body = fields.TextField(blank=True, default="")
    email = fields.EmailField(verbose_name="reply to")
    site = fields.URLField(null=True, blank=True)
    state = fields.CharField(choices=[("open", "Open"), ("closed", "Closed")], default="open")
    score = fields.IntegerField(validators=[], default=0)
    amount = fields.DecimalField(max_digits=6, decimal_places=2, null=True)
    opened = fields.DateTimeField(read_only=True)

    class Meta:
        app_label = "testapp"
        endpoint = "tickets/"
        filter_fields = {"state": ["exact"]}
        ordering_fields = ["id"]


class TicketSerializer(serializers.ModelSerializer):
    class Meta:
        model = Ticket
        fields = "__all__"


class Address(RemoteModel):
    street = fields.CharField(max_length=20)
    city = fields.CharField(blank=True, default="")

    class Meta:
        app_label = "testapp"
        embedded = True


class Shelf(RemoteModel):
    name = fields.CharField()
    address = fields.EmbeddedField(Address, null=True)
    counts = fields.DictField(fields.IntegerField(), default=dict)
    books = fields.ManyToManyField(AppBook, related_name="drf_shelves")

    class Meta:
        app_label = "testapp"
        endpoint = "shelves/"
        filter_fields = {"name": ["exact"]}
        ordering_fields = ["id"]


class ShelfSerializer(serializers.ModelSerializer):
    class Meta:
        model = Shelf
        fields = "__all__"


@pytest.fixture
def books(provider_service: Provider, provider_db: SQL) -> SQL:
    return provider_db


def test_the_app_teaches_model_serializer_the_remote_fields() -> None:
    """With "rest_framework" installed, the app maps this package's fields; Django's
    own fields keep DRF's mapping."""
    mapping = serializers.ModelSerializer.serializer_field_mapping
    assert mapping[fields.Field] is RemoteModelField
    with pytest.raises(TypeError, match="takes a field of a RemoteModel"):
        RemoteModelField(model_field=None)


# --- the fields ModelSerializer builds ------------------------------------------------


def test_fields_from_the_model() -> None:
    """Each model field gives DRF's field of that type, with the model's options."""
    got = TicketSerializer().fields
    assert isinstance(got["id"], serializers.IntegerField) and got["id"].read_only
    subject = got["subject"]
    assert type(subject) is serializers.CharField
    assert (subject.max_length, subject.allow_blank, subject.help_text) == (80, False, "One line.")
    assert not [v for v in subject.validators if type(v).__name__ == "MaxLengthValidator"][1:]
    body = got["body"]
    assert (body.allow_blank, body.required, body.style) == (
        True,
        False,
        {"base_template": "textarea.html"},
    )
    assert type(got["email"]) is serializers.EmailField and got["email"].label == "Reply to"
    assert type(got["site"]) is serializers.URLField and got["site"].allow_null
    assert type(got["state"]) is serializers.ChoiceField
    assert dict(got["state"].choices) == {"open": "Open", "closed": "Closed"}
    amount = got["amount"]
    assert type(amount) is serializers.DecimalField
    assert (amount.max_digits, amount.decimal_places, amount.allow_null) == (6, 2, True)
    assert got["opened"].read_only


def test_relations_are_primary_key_fields_on_the_remote_managers() -> None:
    got = BookSerializer().fields
    author = got["author"]
    assert isinstance(author, serializers.PrimaryKeyRelatedField)
    assert author.queryset is Author._default_manager
    genres = got["genres"]
    assert isinstance(genres, serializers.ManyRelatedField)
    assert genres.child_relation.queryset is Genre._default_manager
    assert got["created_at"].read_only
    assert list(got) == [
        "id",
        "title",
        "price",
        "published",
        "in_print",
        "tags",
        "created_at",
        "author",
        "genres",
    ]


def test_one_validation_message_per_error() -> None:
    """The model's validators are not run twice (DRF's own field runs its own)."""
    s = TicketSerializer(
        data={"subject": "x" * 81, "email": "nope", "site": "nope", "amount": "1.234"}
    )
    assert not s.is_valid()
    assert s.errors == {
        "subject": ["Ensure this field has no more than 80 characters."],
        "email": ["Enter a valid email address."],
        "site": ["Enter a valid URL."],
        "amount": ["Ensure that there are no more than 2 decimal places."],
    }


def test_embedded_records_and_containers() -> None:
    """An EmbeddedField is a nested serializer of its model's fields (written as the dict
    the field takes); a DictField's child is a serializer field too."""
    got = ShelfSerializer().fields
    assert got["address"].allow_null and not got["address"].required
    assert got["address"].fields["street"].max_length == 20
    assert type(got["counts"].child) is serializers.IntegerField
    shelf = Shelf.from_api(
        {
            "id": 1,
            "name": "n",
            "address": {"street": "s", "city": "c"},
            "counts": {"a": 1},
            "books": [],
        }
    )
    assert ShelfSerializer(shelf).data == {
        "id": 1,
        "name": "n",
        "address": {"street": "s", "city": "c"},
        "counts": {"a": 1},
        "books": [],
    }
    s = ShelfSerializer(data={"name": "x", "address": {"street": "y" * 21}, "counts": {"a": "b"}})
    assert not s.is_valid()
    assert s.errors == {
        "address": {"street": ["Ensure this field has no more than 20 characters."]},
        "counts": {"a": ["A valid integer is required."]},
    }


# --- against the provider ---------------------------------------------------------------


def _row(books: SQL, pk: int) -> dict[str, Any]:
    (row,) = books(
        "SELECT id, title, price, published, in_print, author_id FROM provider_book WHERE id = ?",
        (pk,),
    )
    return {
        "id": row[0],
        "title": row[1],
        "price": f"{decimal.Decimal(str(row[2])):.2f}",
        "published": row[3],
        "in_print": bool(row[4]),
        "author": row[5],
    }


def test_serializes_an_instance_as_the_provider_holds_it(books: SQL) -> None:
    pk = books("SELECT id FROM provider_book ORDER BY id LIMIT 1")[0][0]
    data = ProviderBookSerializer(Book.objects.get(pk=pk)).data
    assert {k: data[k] for k in _row(books, pk)} == _row(books, pk)
    assert data["created_at"]


def test_serializes_a_queryset_with_many(books: SQL) -> None:
    """many=True over a QuerySet: one request for the page."""
    qs = Book.objects.order_by("id")[:5]
    data = ProviderBookSerializer(qs, many=True).data
    expected = [r[0] for r in books("SELECT id FROM provider_book ORDER BY id LIMIT 5")]
    assert [d["id"] for d in data] == expected
    assert [{k: d[k] for k in _row(books, d["id"])} for d in data] == [
        _row(books, pk) for pk in expected
    ]


def test_validation_reads_related_objects_through_the_queryset(books: SQL) -> None:
    author_id = books("SELECT id FROM provider_author ORDER BY id LIMIT 1")[0][0]
    s = BookSerializer(
        data={"title": "t" * 201, "price": "1.234", "author": 999999, "genres": [999999]}
    )
    assert not s.is_valid()
    assert s.errors == {
        "title": ["Ensure this field has no more than 200 characters."],
        "price": ["Ensure that there are no more than 2 decimal places."],
        "author": ['Invalid pk "999999" - object does not exist.'],
        "genres": ['Invalid pk "999999" - object does not exist.'],
    }
    good = BookSerializer(data={"title": "T", "price": "3.50", "author": author_id})
    assert good.is_valid(), good.errors
    assert good.validated_data["author"] == Author(pk=author_id)


def test_save_creates_and_updates_through_the_service(books: SQL) -> None:
    author_id, other = (r[0] for r in books("SELECT id FROM provider_author ORDER BY id LIMIT 2"))
    s = ProviderBookSerializer(
        data={"title": "DRF: created", "price": "7.25", "author": author_id, "tags": ["drf"]}
    )
    assert s.is_valid(), s.errors
    created = s.save()
    try:
        assert isinstance(created, Book) and created.pk is not None
        assert books(
            "SELECT title, price, author_id, tags FROM provider_book WHERE id = ?", (created.pk,)
        ) == [("DRF: created", decimal.Decimal("7.25"), author_id, '["drf"]')]
        assert s.data["id"] == created.pk and s.data["created_at"]

        update = ProviderBookSerializer(
            created, data={"price": "8.00", "author": other}, partial=True
        )
        assert update.is_valid(), update.errors
        assert update.save() is created
        assert books(
            "SELECT title, price, author_id FROM provider_book WHERE id = ?", (created.pk,)
        ) == [("DRF: created", decimal.Decimal("8.00"), other)]
    finally:
        created.delete()
    assert books("SELECT COUNT(*) FROM provider_book WHERE id = ?", (created.pk,)) == [(0,)]


async def test_async_view_recipe(books: SQL) -> None:
    """In async code the serializer's requests (a related pk's lookup, the save) refuse
    to block the loop; sync_to_async runs them in a thread."""
    author_id = (await sync_to_async(books)("SELECT id FROM provider_author LIMIT 1"))[0][0]
    s = ProviderBookSerializer(data={"title": "DRF: async", "price": "2.00", "author": author_id})
    with pytest.raises(SynchronousOnlyOperation, match="await"):
        s.is_valid()
    s = ProviderBookSerializer(data={"title": "DRF: async", "price": "2.00", "author": author_id})
    assert await sync_to_async(s.is_valid)(), s.errors
    created = await sync_to_async(s.save)()
    try:
        assert (await Book.objects.aget(pk=created.pk)).title == "DRF: async"
    finally:
        await created.adelete()
    # Objects loaded with async code serialize with no request: author is its pk.
    loaded = [b async for b in Book.objects.order_by("id")[:3]]
    data = ProviderBookSerializer(loaded, many=True).data
    assert [(d["id"], d["author"]) for d in data] == [(b.pk, b.author_id) for b in loaded]


# --- the exact writes, pinned -------------------------------------------------------------


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=API, assert_all_called=True, assert_all_mocked=True) as mock:
        yield mock


def _body(route: respx.Route) -> Any:
    return json.loads(route.calls.last.request.content)


def test_save_posts_the_validated_data(api: respx.MockRouter) -> None:
    api.get("authors/3/").respond(200, json={"id": 3, "name": "A"})
    post = api.post("books/").respond(201, json=book(41, title="Dune", price="9.99", author=3))
    s = AppBookSerializer(data={"title": "Dune", "price": "9.99", "author": 3, "created_at": "x"})
    assert s.is_valid(), s.errors
    assert s.save().pk == 41
    assert _body(post) == {
        "title": "Dune",
        "price": "9.99",
        "published": None,
        "in_print": True,
        "tags": [],
        "author": 3,
    }


def test_update_puts_a_whole_object(api: respx.MockRouter) -> None:
    api.get("books/7/").respond(200, json=book(7))
    put = api.put("books/7/").respond(200, json=book(7, title="New"))
    obj = AppBook.objects.get(pk=7)
    s = AppBookSerializer(obj, data={"title": "New"}, partial=True)
    assert s.is_valid(), s.errors
    s.save()
    assert _body(put) == {
        "title": "New",
        "price": "10.00",
        "published": "2024-05-01",
        "in_print": True,
        "tags": [],
        "author": 1,
    }


def test_update_of_a_partial_object_patches_what_it_holds(api: respx.MockRouter) -> None:
    """An object loaded with only() sends only its loaded fields: never a default over a
    value the server holds."""
    api.get("books/7/").respond(200, json={"id": 7, "title": "Old", "price": "10.00"})
    patch = api.patch("books/7/").respond(200, json={"id": 7, "title": "New", "price": "10.00"})
    obj = AppBook.objects.only("id", "title", "price").get(pk=7)
    s = AppBookSerializer(obj, data={"title": "New"}, partial=True)
    assert s.is_valid(), s.errors
    s.save()
    assert _body(patch) == {"title": "New", "price": "10.00"}


def test_many_to_many_reads_the_related_objects(api: respx.MockRouter) -> None:
    """A many-to-many field lists the related pks from the related objects."""
    api.get("shelves/1/").respond(200, json={"id": 1, "name": "n", "books": [3, 5]})
    related = api.get("books/", params={"id__in": "3,5"}).respond(
        200, json=page([book(3), book(5)])
    )
    data = ShelfSerializer(Shelf.objects.get(pk=1)).data
    assert data["books"] == [3, 5]
    assert related.call_count == 1


def test_a_view_set_with_the_filter_backend(books: SQL) -> None:
    """A ModelViewSet over a QuerySet, filtered by DjangoFilterBackend with a remote
    FilterSet: list, retrieve, and a 404 for a pk the provider does not have."""
    from django_filters.rest_framework import DjangoFilterBackend
    from rest_framework import viewsets
    from rest_framework.test import APIRequestFactory

    from django_api_orm.contrib import django_filters as remote_filters

    class BookFilter(remote_filters.FilterSet):
        class Meta:
            model = Book
            fields = {"title": ["icontains"], "in_print": ["exact"], "price": ["lt"]}

    class BookViewSet(viewsets.ModelViewSet):
        serializer_class = ProviderBookSerializer
        filter_backends = [DjangoFilterBackend]
        filterset_class = BookFilter

        def get_queryset(self) -> Any:
            return Book.objects.order_by("id")

    factory = APIRequestFactory()
    listing = BookViewSet.as_view({"get": "list"})
    response = listing(factory.get("/books/", {"title__icontains": "the", "in_print": "false"}))
    expected = books(
        "SELECT id FROM provider_book WHERE title LIKE '%the%' AND in_print = 0 ORDER BY id"
    )
    assert response.status_code == 200
    assert [row["id"] for row in response.data] == [r[0] for r in expected]
    invalid = listing(factory.get("/books/", {"price__lt": "cheap"}))
    assert invalid.status_code == 400

    detail = BookViewSet.as_view({"get": "retrieve"})
    pk = expected[0][0]
    assert detail(factory.get(f"/books/{pk}/"), pk=pk).data["id"] == pk
    assert detail(factory.get("/books/999999/"), pk=999999).status_code == 404

    class RemoteFilterBackend(DjangoFilterBackend):
        filterset_base = remote_filters.FilterSet

    class FieldsViewSet(BookViewSet):
        filter_backends = [RemoteFilterBackend]
        filterset_class = None
        filterset_fields = ["in_print"]

    listed = FieldsViewSet.as_view({"get": "list"})(factory.get("/books/", {"in_print": "false"}))
    expected = books("SELECT id FROM provider_book WHERE in_print = 0 ORDER BY id")
    assert [row["id"] for row in listed.data] == [r[0] for r in expected]


def test_save_sends_many_to_many_with_the_related_manager(api: respx.MockRouter) -> None:
    """DRF's create() POSTs the object, then set()s the many-to-many: the manager PATCHes
    the new list. update() saves (PUT), then set()s the same way."""

    def shelf(**values: Any) -> dict[str, Any]:
        return {"id": 9, "name": "n", "address": None, "counts": {}, "books": [], **values}

    for pk in (3, 5, 7):
        api.get(f"books/{pk}/").respond(200, json=book(pk))
    api.post("shelves/").respond(201, json=shelf())
    api.put("shelves/9/").respond(200, json=shelf(name="m", books=[3, 5]))
    api.patch("shelves/9/").mock(
        side_effect=lambda request: httpx.Response(
            200, json=shelf(name="m", **json.loads(request.content))
        )
    )
    s = ShelfSerializer(data={"name": "n", "books": [3, 5]})
    assert s.is_valid(), s.errors
    created = s.save()
    s = ShelfSerializer(created, data={"name": "m", "books": [7]}, partial=True)
    assert s.is_valid(), s.errors
    s.save()
    writes = [
        (c.request.method, c.request.url.path, json.loads(c.request.content))
        for c in api.calls
        if c.request.method != "GET"
    ]
    assert writes == [
        ("POST", "/api/shelves/", {"name": "n", "address": None, "counts": {}, "books": []}),
        ("PATCH", "/api/shelves/9/", {"books": [3, 5]}),
        ("PUT", "/api/shelves/9/", {"name": "m", "address": None, "counts": {}, "books": [3, 5]}),
        ("PATCH", "/api/shelves/9/", {"books": [7]}),
    ]
    assert created.books_ids == [7]


def test_reverse_relations_and_depth(books: SQL) -> None:
    """A reverse foreign key named in Meta.fields lists the related pks (a request);
    Meta.depth nests the related object, loaded as Django would."""

    class AuthorWithBooks(serializers.ModelSerializer):
        class Meta:
            model = Author
            fields = ["id", "name", "books"]

    class DeepBook(serializers.ModelSerializer):
        class Meta:
            model = Book
            fields = ["id", "title", "author"]
            depth = 1

    author_id, name = books("SELECT id, name FROM provider_author ORDER BY id LIMIT 1")[0]
    data = AuthorWithBooks(Author.objects.get(pk=author_id)).data
    expected = books("SELECT id FROM provider_book WHERE author_id = ?", (author_id,))
    assert data["name"] == name
    assert sorted(data["books"]) == sorted(r[0] for r in expected)

    book_id, book_author = books("SELECT id, author_id FROM provider_book ORDER BY id LIMIT 1")[0]
    nested = DeepBook(Book.objects.select_related("author").get(pk=book_id)).data["author"]
    author_row = books("SELECT id, name FROM provider_author WHERE id = ?", (book_author,))
    assert (nested["id"], nested["name"]) == author_row[0]


class Note(RemoteModel):
    """A field the provider names otherwise (``source``)."""

    text = fields.CharField(max_length=50, source="body")

    class Meta:
        app_label = "testapp"
        endpoint = "notes/"
        filter_fields: dict[str, list[str]] = {}
        ordering_fields = ["id"]


class NoteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Note
        fields = ["id", "text"]


def test_exception_handler_answers_a_providers_400_as_a_400(api: respx.MockRouter) -> None:
    """Without it a provider's 400 in save() is Django's ValidationError: DRF's handler
    leaves it to Django (a 500). With it the client gets a 400 with the provider's
    messages, keyed by the serializer's field names."""
    from django.test import override_settings
    from rest_framework import viewsets
    from rest_framework.test import APIRequestFactory

    from django_api_orm import BadRequestError

    refusal = {"body": ["A note with this text exists."], "non_field_errors": ["Too many notes."]}
    post = api.post("notes/").respond(400, json=refusal)

    class NoteViewSet(viewsets.ModelViewSet):
        serializer_class = NoteSerializer

        def get_queryset(self) -> Any:
            return Note.objects.all()

    create = NoteViewSet.as_view({"post": "create"})
    request = APIRequestFactory().post("/notes/", {"text": "Hello"}, format="json")
    with pytest.raises(BadRequestError):
        create(request)  # DRF's own handler: nothing answers it
    handler = "django_api_orm.contrib.rest_framework.exception_handler"
    with override_settings(REST_FRAMEWORK={"EXCEPTION_HANDLER": handler}):
        response = create(APIRequestFactory().post("/notes/", {"text": "Hi"}, format="json"))
    assert response.status_code == 400
    assert response.data == {
        "text": ["A note with this text exists."],
        "non_field_errors": ["Too many notes."],
    }
    assert _body(post) == {"body": "Hi"}
    assert len(post.calls) == 2
