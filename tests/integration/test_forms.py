"""Django's forms on remote models, against the real DRF provider.

``ModelForm``/``modelform_factory`` build their fields from ``_meta``; ``form.save()``
POSTs or PUTs through the service in one request (many-to-many pks included);
a provider 400 lands on its field with ``form.add_error(None, error)``.
"""

from __future__ import annotations

import datetime
import decimal
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, SynchronousOnlyOperation, ValidationError
from django.forms.models import model_to_dict, modelform_factory, modelformset_factory

from django_api_orm import BadRequestError, RemoteModel, fields
from django_api_orm import forms as remote_forms
from django_api_orm.test import CaptureRequestsContext
from tests.integration.remote_models import (
    BOOK_EXCLUDES,
    BOOK_FILTERS,
    BOOK_ORDERING,
    Author,
    Book,
)

pytestmark = pytest.mark.usefixtures("provider_service")

SQL = Callable[..., list[tuple[Any, ...]]]


class ListedGenre(RemoteModel):
    """The provider's genres as they are: its ``genres/`` list has no filters at all."""

    name = fields.CharField(max_length=50)

    class Meta:
        service = "provider"
        endpoint = "genres/"
        filter_fields: dict[str, list[str]] = {}
        ordering_fields = ["id", "name"]


class FormBook(Book):
    """The provider's books, their genres those of a provider without ``id__in``."""

    genres = fields.ManyToManyField(ListedGenre)

    class Meta:
        service = "provider"
        endpoint = "books/"
        filter_fields = BOOK_FILTERS
        exclude_filters = BOOK_EXCLUDES
        ordering_fields = BOOK_ORDERING


class BookForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = FormBook
        fields = "__all__"


class AuthorForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Author
        fields = ["name", "bio", "born"]


def requests(ctx: CaptureRequestsContext) -> list[str]:
    return [f"{r.method} {r.url.split('/api/', 1)[1]}" for r in ctx.captured_requests]


def first_author(sql: SQL) -> tuple[int, str]:
    ((pk, name),) = sql("SELECT id, name FROM provider_author ORDER BY id LIMIT 1")
    return int(pk), str(name)


def book_data(author_id: int, **extra: Any) -> dict[str, Any]:
    data = {
        "title": "Forms: a new book",
        "author": str(author_id),
        "price": "12.50",
        "published": "2001-02-03",
        "in_print": "on",
        "tags": json.dumps(["form"]),
        "genres": ["1", "3"],
    }
    data.update(extra)
    return data


@pytest.fixture
def cleanup(provider_db: SQL) -> Iterator[list[int]]:
    """Book pks to delete after the test (sync: Book.objects.filter(...).delete())."""
    pks: list[int] = []
    yield pks
    if pks:
        Book.objects.filter(pk__in=pks).delete()


# --- building forms from _meta --------------------------------------------------


def test_all_fields_leave_out_read_only_ones() -> None:
    form = BookForm()
    assert list(form.fields) == [
        "title",
        "author",
        "price",
        "published",
        "in_print",
        "tags",
        "genres",
    ]
    fields = form.fields
    assert type(fields["title"]) is forms.CharField
    assert fields["title"].max_length == 200
    assert type(fields["author"]) is remote_forms.ModelChoiceField
    assert fields["author"].required  # Book.author is not nullable
    assert type(fields["price"]) is forms.DecimalField
    assert not fields["published"].required
    assert type(fields["in_print"]) is forms.BooleanField
    assert fields["in_print"].initial is True
    assert type(fields["tags"]) is forms.JSONField
    assert type(fields["genres"]) is remote_forms.ModelMultipleChoiceField
    assert "created_at" not in fields  # read_only: editable=False
    assert "id" not in fields


def test_a_read_only_field_cannot_be_asked_for() -> None:
    with pytest.raises(Exception, match="'created_at' cannot be specified") as info:
        modelform_factory(Book, fields=["title", "created_at"])
    assert type(info.value).__name__ == "FieldError"


def test_modelform_factory_with_fields_and_exclude() -> None:
    form_class = modelform_factory(Book, fields=["title", "price"])
    assert list(form_class.base_fields) == ["title", "price"]
    form_class = modelform_factory(Book, exclude=["tags", "genres", "author"])
    assert list(form_class.base_fields) == ["title", "price", "published", "in_print"]


# --- ModelChoiceField and ModelMultipleChoiceField --------------------------------


@pytest.mark.parametrize("field_class", [forms.ModelChoiceField, remote_forms.ModelChoiceField])
def test_model_choice_field_lists_fetches_and_refuses(
    provider_db: SQL,
    field_class: type[forms.ModelChoiceField],  # type: ignore[type-arg]
) -> None:
    field = field_class(queryset=Author.objects.all())
    ((count,),) = provider_db("SELECT COUNT(*) FROM provider_author")
    choices = list(field.choices)
    assert len(choices) == count + 1
    assert choices[0] == ("", field.empty_label)
    pk, name = first_author(provider_db)
    assert (pk, f"Author object ({pk})") in [(c[0], c[1]) for c in choices]
    with CaptureRequestsContext("provider") as ctx:
        author = field.clean(str(pk))
    assert isinstance(author, Author)
    assert (author.pk, author.name) == (pk, name)
    assert requests(ctx) == [f"GET authors/{pk}/"]
    with pytest.raises(ValidationError) as info:
        field.clean("999999")
    assert info.value.code == "invalid_choice"
    with CaptureRequestsContext("provider") as ctx, pytest.raises(ValidationError) as info:
        field.clean("not a pk")
    assert requests(ctx) == []  # refused by the pk field, before any request
    if field_class is remote_forms.ModelChoiceField:
        assert info.value.code == "invalid_choice"
    else:  # Django 5.2 shows the pk field's message, Django 6 "Select a valid choice."
        assert info.value.code in ("invalid", "invalid_choice")
    # A form shows the error on the field.
    form = modelform_factory(Book, fields=["author"])(data={"author": "999999"})
    assert not form.is_valid()
    assert form.errors["author"][0].startswith("Select a valid choice.")


def test_model_multiple_choice_field_without_in_filter(provider_db: SQL) -> None:
    field = remote_forms.ModelMultipleChoiceField(queryset=ListedGenre.objects.all())
    ((count,),) = provider_db("SELECT COUNT(*) FROM provider_genre")
    assert len(list(field.choices)) == count  # no blank choice
    with CaptureRequestsContext("provider") as ctx:
        chosen = field.clean(["3", "1", "3"])
    assert [g.pk for g in chosen] == [3, 1]  # in the order chosen
    assert sorted(requests(ctx)) == ["GET genres/1/", "GET genres/3/"]
    with pytest.raises(ValidationError) as info:
        field.clean(["1", "999999"])
    assert info.value.code == "invalid_choice"
    assert info.value.params == {"value": "999999"}
    with pytest.raises(ValidationError) as info:
        field.clean(["x"])
    assert info.value.code == "invalid_pk_value"
    optional = remote_forms.ModelMultipleChoiceField(
        queryset=ListedGenre.objects.all(), required=False
    )
    assert list(optional.clean([])) == []


def test_model_multiple_choice_field_with_in_filter(provider_db: SQL) -> None:
    ids = [pk for (pk,) in provider_db("SELECT id FROM provider_author ORDER BY id LIMIT 3")]
    field = remote_forms.ModelMultipleChoiceField(queryset=Author.objects.all())
    with CaptureRequestsContext("provider") as ctx:
        chosen = field.clean([str(pk) for pk in ids])
    assert [a.pk for a in chosen] == ids
    (request,) = ctx.captured_requests
    assert f"/authors/?id__in={','.join(map(str, ids))}&" in request.url
    with pytest.raises(ValidationError) as info:
        field.clean([str(ids[0]), "999999"])
    assert info.value.code == "invalid_choice"


# --- model_to_dict, initial values, saving ------------------------------------------


def test_model_to_dict_and_initial_values() -> None:
    book = FormBook.objects.get(pk=1)
    data = model_to_dict(book)
    assert set(data) == {"title", "author", "price", "published", "in_print", "tags", "genres"}
    assert data["author"] == book.author_id
    assert data["genres"] == book.genres_ids
    form = BookForm(instance=book)
    assert form.initial["title"] == book.title
    assert form["author"].value() == book.author_id
    html = str(form["genres"])
    for pk in book.genres_ids:
        assert f'value="{pk}" selected' in html


def test_save_creates_with_one_post(provider_db: SQL, cleanup: list[int]) -> None:
    author_id, _ = first_author(provider_db)
    form = BookForm(data=book_data(author_id))
    assert form.is_valid(), form.errors
    with CaptureRequestsContext("provider") as ctx:
        book = form.save()
    cleanup.append(book.pk)
    assert requests(ctx) == ["POST books/"]  # the genres went with the object
    assert book.pk is not None
    assert book.created_at is not None
    assert provider_db(
        "SELECT title, author_id, price, published, in_print, tags FROM provider_book WHERE id = ?",
        (book.pk,),
    ) == [("Forms: a new book", author_id, 12.5, "2001-02-03", 1, '["form"]')]
    assert provider_db(
        "SELECT genre_id FROM provider_book_genres WHERE book_id = ? ORDER BY genre_id",
        (book.pk,),
    ) == [(1,), (3,)]
    # Django's save_m2m() ran after the save (above: no second request).
    assert book.genres_ids == [1, 3]


def test_change_form_updates_with_one_put(provider_db: SQL, cleanup: list[int]) -> None:
    author_id, _ = first_author(provider_db)
    book = FormBook.objects.create(
        title="Forms: to change",
        author_id=author_id,
        price=decimal.Decimal("3.00"),
        tags=["old"],
    )
    cleanup.append(book.pk)
    book = FormBook.objects.get(pk=book.pk)
    data = {**model_to_dict(book), "title": "Forms: changed", "genres": ["2"]}
    data = {k: v for k, v in data.items() if v is not None}
    data["tags"] = json.dumps(data["tags"])
    data["in_print"] = "on"
    form = BookForm(data=data, instance=book)
    assert form.is_valid(), form.errors
    # (``tags`` counts as changed too: a callable default has a hidden initial, as in Django.)
    assert {"title", "genres"} <= set(form.changed_data)
    assert "price" not in form.changed_data
    with CaptureRequestsContext("provider") as ctx:
        saved = form.save()
    assert saved is book
    assert requests(ctx) == [f"PUT books/{book.pk}/"]
    assert provider_db("SELECT title FROM provider_book WHERE id = ?", (book.pk,)) == [
        ("Forms: changed",)
    ]
    assert provider_db(
        "SELECT genre_id FROM provider_book_genres WHERE book_id = ?", (book.pk,)
    ) == [(2,)]


def test_a_partial_instance_patches_only_what_it_holds(
    provider_db: SQL, cleanup: list[int]
) -> None:
    author_id, _ = first_author(provider_db)
    book = Book.objects.create(
        title="Forms: partial", author_id=author_id, price=decimal.Decimal("7.25"), tags=["keep"]
    )
    cleanup.append(book.pk)
    # A partial object: the server's answer had only these keys (a nested object).
    partial = FormBook.from_api({"id": book.pk, "title": "Forms: partial"})
    form = modelform_factory(FormBook, fields=["title"])(
        data={"title": "Forms: partial, renamed"}, instance=partial
    )
    assert form.is_valid(), form.errors
    with CaptureRequestsContext("provider") as ctx:
        form.save()
    assert requests(ctx) == [f"PATCH books/{book.pk}/"]
    assert provider_db("SELECT title, price, tags FROM provider_book WHERE id = ?", (book.pk,)) == [
        ("Forms: partial, renamed", 7.25, '["keep"]')
    ]


def test_model_formset_saves_the_changed_forms(provider_db: SQL) -> None:
    rows = provider_db("SELECT id, name, bio FROM provider_author ORDER BY id LIMIT 2")
    ids = [pk for pk, _, _ in rows]
    formset_class = modelformset_factory(Author, fields=["name", "bio"], extra=0)
    queryset = Author.objects.filter(pk__in=ids).order_by("id")
    data = {"form-TOTAL_FORMS": "2", "form-INITIAL_FORMS": "2"}
    for index, (pk, name, bio) in enumerate(rows):
        data |= {f"form-{index}-id": str(pk), f"form-{index}-name": name, f"form-{index}-bio": bio}
    data["form-1-bio"] = "Forms: a formset's bio."
    formset = formset_class(data=data, queryset=queryset)
    assert formset.is_valid(), formset.errors
    try:
        with CaptureRequestsContext("provider") as ctx:
            saved = formset.save()
        assert [a.pk for a in saved] == [ids[1]]
        assert requests(ctx) == [f"PUT authors/{ids[1]}/"]  # only the changed form
        assert provider_db("SELECT bio FROM provider_author WHERE id = ?", (ids[1],)) == [
            ("Forms: a formset's bio.",)
        ]
    finally:
        author = Author.objects.get(pk=ids[1])
        author.bio = rows[1][2]
        author.save(update_fields=["bio"])


# --- the provider's 400 on its field ----------------------------------------------


def test_a_provider_400_lands_on_its_field(provider_db: SQL) -> None:
    author_id, _ = first_author(provider_db)
    future = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    form = BookForm(data=book_data(author_id, title="Forms: future", published=future))
    assert form.is_valid(), form.errors  # the date is a date: only the provider refuses it
    with pytest.raises(BadRequestError) as info:
        form.save()
    form.add_error(None, info.value)
    assert not form.is_valid()
    assert form.errors == {"published": ["Publication date cannot be in the future."]}
    assert form.instance.pk is None
    assert not provider_db("SELECT id FROM provider_book WHERE title = 'Forms: future'")


def test_a_provider_400_on_the_whole_object_is_a_non_field_error(provider_db: SQL) -> None:
    ((author_id, title),) = provider_db(
        "SELECT author_id, title FROM provider_book ORDER BY id LIMIT 1"
    )
    form = BookForm(data=book_data(author_id, title=title))
    # validate_unique() is a no-op: uniqueness is the provider's to check.
    assert form.is_valid(), form.errors
    with pytest.raises(BadRequestError) as info:
        form.save()
    form.add_error(None, info.value)
    assert list(form.errors) == [NON_FIELD_ERRORS]
    assert form.non_field_errors() == ["The fields author, title must make a unique set."]


def test_errors_on_fields_the_form_does_not_show(provider_db: SQL) -> None:
    author_id, _ = first_author(provider_db)
    future = datetime.date.today() + datetime.timedelta(days=30)
    form_class = modelform_factory(FormBook, fields=["title", "author", "price"])
    data = {"title": "Forms: hidden field", "author": str(author_id), "price": "1.00"}
    form = form_class(data=data, instance=FormBook(published=future))
    assert form.is_valid(), form.errors
    with pytest.raises(BadRequestError) as info:
        form.save()
    with pytest.raises(ValueError, match="has no field named 'published'"):
        form.add_error(None, info.value)  # Django's add_error() refuses it
    form = form_class(data=data, instance=FormBook(published=future))
    assert form.is_valid()
    remote_forms.add_provider_errors(form, info.value)
    assert form.errors == {
        NON_FIELD_ERRORS: ["Published: Publication date cannot be in the future."]
    }
    form = form_class(data={**data, "title": ""})
    assert not form.is_valid()
    remote_forms.add_provider_errors(
        form,
        BadRequestError(body={"title": ["Taken."], "non_field_errors": ["No."], "x_y": ["Z."]}),
    )
    assert form.errors == {
        "title": ["This field is required.", "Taken."],
        NON_FIELD_ERRORS: ["No.", "X y: Z."],
    }


def test_a_unique_field_refused_by_the_provider(provider_db: SQL) -> None:
    _, name = first_author(provider_db)
    form = AuthorForm(data={"name": name, "bio": ""})
    assert form.is_valid(), form.errors
    assert form.instance.validate_unique() is None
    assert form.instance.validate_constraints() is None
    with pytest.raises(BadRequestError) as info:
        form.save()
    form.add_error(None, info.value)
    assert form.errors == {"name": ["author with this name already exists."]}


# --- async code ---------------------------------------------------------------------


async def test_async_save_commit_false_then_asave(provider_db: SQL) -> None:
    form = AuthorForm(data={"name": "Forms: an async author", "bio": "Async."})
    # No relation in the form: validating it makes no request, in async code too.
    assert form.is_valid(), form.errors
    with pytest.raises(SynchronousOnlyOperation, match=r"await obj\.asave\(\)"):
        form.save()
    author = form.save(commit=False)
    await author.asave()
    try:
        form.save_m2m()  # nothing to send: harmless
        assert provider_db("SELECT name, bio FROM provider_author WHERE id = ?", (author.pk,)) == [
            ("Forms: an async author", "Async.")
        ]
    finally:
        await author.adelete()


async def test_async_forms_with_model_choices_run_in_a_thread(
    provider_db: SQL, cleanup: list[int]
) -> None:
    author_id, _ = first_author(provider_db)
    form = BookForm(data=book_data(author_id, title="Forms: async with choices"))
    # Rendering or validating a ModelChoiceField queries the provider synchronously.
    recipe = r"await sync_to_async\(form\.is_valid\)\(\)"
    with pytest.raises(SynchronousOnlyOperation, match=r"Listing the choices.* Author") as info:
        str(form["author"])
    assert "await obj.asave()" in str(info.value)
    with pytest.raises(SynchronousOnlyOperation, match=recipe):
        form.is_valid()
    # The recipe: run the form's sync work in a thread, save with await.
    form = BookForm(data=book_data(author_id, title="Forms: async with choices"))
    assert await sync_to_async(form.is_valid)()
    html = await sync_to_async(str)(form["author"])
    assert f'<option value="{author_id}" selected>' in html
    book = form.save(commit=False)
    await book.asave()
    cleanup.append(book.pk)
    form.save_m2m()
    assert book.genres_ids == [1, 3]
    assert provider_db(
        "SELECT genre_id FROM provider_book_genres WHERE book_id = ? ORDER BY genre_id",
        (book.pk,),
    ) == [(1,), (3,)]
