"""The exact request and body of every write, pinned with respx."""

from __future__ import annotations

import decimal
import json
from typing import Any

import httpx
import pytest
import respx
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from django_api_orm import BadRequestError, RemoteModel, fields
from tests.models.conftest import book, page
from tests.testapp.models import Book, Tag


def body(route: respx.Route, index: int = -1) -> Any:
    return json.loads(route.calls[index].request.content)


def method_and_path(mock: respx.MockRouter) -> list[str]:
    return [f"{c.request.method} {c.request.url.raw_path.decode()}" for c in mock.calls]


WRITABLE = {
    "title": "Dune",
    "price": "9.99",
    "published": None,
    "in_print": True,
    "tags": ["sf"],
    "author": 3,
}


class PatchedBook(RemoteModel):
    """A book saved by PATCHing only what changed."""

    title = fields.CharField()
    price = fields.DecimalField(max_digits=8, decimal_places=2)

    class Meta:
        endpoint = "patched-books/"
        save_changed_only = True


async def test_acreate_posts_writable_fields(api: respx.MockRouter) -> None:
    """POSTs the writable fields only and hydrates the instance from the 201 body."""
    route = api.post("books/").respond(201, json=book(41, title="Dune", price="9.99"))
    obj = await Book.objects.acreate(
        title="Dune", price=decimal.Decimal("9.99"), tags=["sf"], author_id=3
    )
    assert body(route) == WRITABLE
    assert obj.pk == 41
    assert obj.created_at is not None
    assert method_and_path(api) == ["POST /api/books/"]


async def test_asave_new_instance_posts(api: respx.MockRouter) -> None:
    """POSTs a new instance on asave() and takes the server's pk."""
    route = api.post("books/").respond(201, json=book(42))
    obj = Book(title="Dune", price=decimal.Decimal("9.99"), tags=["sf"], author_id=3)
    await obj.asave()
    assert body(route) == WRITABLE
    assert obj.pk == 42


async def test_asave_saved_instance_puts_every_writable_field(api: respx.MockRouter) -> None:
    """PUTs every writable field of a saved instance to its detail URL."""
    api.get("books/5/").respond(json=book(5, title="Old"))
    route = api.put("books/5/").respond(json=book(5, title="New"))
    obj = await Book.objects.aget(pk=5)
    obj.title = "New"
    await obj.asave()
    assert body(route) == {
        "title": "New",
        "price": "10.00",
        "published": "2024-05-01",
        "in_print": True,
        "tags": [],
        "author": 1,
    }
    assert obj.title == "New"


async def test_asave_update_fields_patches_those_only(api: respx.MockRouter) -> None:
    """PATCHes only update_fields, and reflects the server's answer."""
    api.get("books/5/").respond(json=book(5))
    route = api.patch("books/5/").respond(json=book(5, price="12.00", title="Server title"))
    obj = await Book.objects.aget(pk=5)
    obj.price = decimal.Decimal("12.00")
    await obj.asave(update_fields=["price"])
    assert body(route) == {"price": "12.00"}
    assert obj.title == "Server title"


async def test_update_fields_must_be_writable(api: respx.MockRouter) -> None:
    """Raises ValueError for update_fields naming a read-only or unknown field."""
    obj = Book.from_api(book(5))
    with pytest.raises(ValueError, match="created_at"):
        await obj.asave(update_fields=["created_at"])
    with pytest.raises(ValueError, match="nope"):
        await obj.asave(update_fields=["nope"])
    assert not api.calls


async def test_save_changed_only_patches_the_changes(api: respx.MockRouter) -> None:
    """PATCHes only changed fields under Meta.save_changed_only, and nothing when unchanged."""
    route = api.patch("patched-books/1/").respond(json={"id": 1, "title": "B", "price": "1.00"})
    obj = PatchedBook.from_api({"id": 1, "title": "A", "price": "1.00"})
    await obj.asave()
    assert not api.calls
    obj.title = "B"
    _ = obj.price  # read, not changed
    await obj.asave()
    assert body(route) == {"title": "B"}
    await obj.asave()
    assert len(route.calls) == 1


async def test_adelete_instance(api: respx.MockRouter) -> None:
    """DELETEs the detail URL and clears the pk."""
    route = api.delete("books/5/").respond(204)
    obj = Book.from_api(book(5))
    assert await obj.adelete() == (1, {"testapp.Book": 1})
    assert obj.pk is None
    assert route.called


async def test_write_404_is_does_not_exist(api: respx.MockRouter) -> None:
    """Raises DoesNotExist for a PUT, PATCH or DELETE of a missing object."""
    api.put("books/9/").respond(404, json={"detail": "Not found."})
    api.patch("books/9/").respond(404, json={"detail": "Not found."})
    api.delete("books/9/").respond(404, json={"detail": "Not found."})
    obj = Book.from_api(book(9))
    with pytest.raises(Book.DoesNotExist):
        await obj.asave()
    with pytest.raises(Book.DoesNotExist):
        await obj.asave(update_fields=["title"])
    with pytest.raises(Book.DoesNotExist):
        await obj.adelete()


async def test_bad_request_is_a_validation_error(api: respx.MockRouter) -> None:
    """Raises BadRequestError that is also a ValidationError keyed by field."""
    api.post("books/").respond(
        400,
        json={"title": ["This field may not be blank."], "non_field_errors": ["Duplicate."]},
    )
    with pytest.raises(BadRequestError) as info:
        await Book.objects.acreate(title="", price=1, author_id=1)
    error = info.value
    assert isinstance(error, ValidationError)
    assert error.status_code == 400
    assert error.message_dict == {
        "title": ["This field may not be blank."],
        NON_FIELD_ERRORS: ["Duplicate."],
    }

    class BookForm(forms.Form):
        title = forms.CharField(required=False)

    form = BookForm(data={"title": ""})
    assert form.is_valid()
    form.add_error(None, error)
    assert form.errors == {"title": ["This field may not be blank."], "__all__": ["Duplicate."]}


async def test_arefresh_from_db(api: respx.MockRouter) -> None:
    """Reloads the instance, or only the named fields, from its detail URL."""
    api.get("books/5/").respond(json=book(5, title="Fresh", price="20.00"))
    obj = Book.from_api(book(5, title="Stale"))
    obj.price = decimal.Decimal("1")
    await obj.arefresh_from_db(fields=["title"])
    assert obj.title == "Fresh"
    assert obj.price == decimal.Decimal("1")
    await obj.arefresh_from_db()
    assert obj.price == decimal.Decimal("20.00")


async def test_aget_or_create_sends_only_plain_values(api: respx.MockRouter) -> None:
    """Creates with the plain field values of the lookups plus defaults, never a lookup."""
    api.get("tags/").respond(json=page([]))
    route = api.post("tags/").respond(201, json={"slug": "sf", "label": "Science fiction"})
    obj, created = await Tag.objects.aget_or_create(
        slug="sf", label__icontains="science", defaults={"label": "Science fiction"}
    )
    assert created is True
    assert obj.pk == "sf"
    assert body(route) == {"slug": "sf", "label": "Science fiction"}


async def test_aget_or_create_finds_existing(api: respx.MockRouter) -> None:
    """Returns the existing object and created=False without a POST."""
    api.get("books/").respond(json=page([book(3)]))
    obj, created = await Book.objects.aget_or_create(title="Book 3")
    assert (obj.pk, created) == (3, False)
    assert method_and_path(api) == ["GET /api/books/?title=Book%203&page_size=2"]


async def test_aupdate_or_create(api: respx.MockRouter) -> None:
    """PATCHes the defaults onto a found object, or POSTs create_defaults."""
    api.get("books/", params={"title": "Found"}).respond(json=page([book(3, title="Found")]))
    api.get("books/").respond(json=page([]))
    patch = api.patch("books/3/").respond(json=book(3, title="Found", price="5.00"))
    post = api.post("books/").respond(201, json=book(4, title="New"))
    obj, created = await Book.objects.aupdate_or_create(title="Found", defaults={"price": 5})
    assert (obj.pk, created) == (3, False)
    assert body(patch) == {"price": "5.00"}
    obj, created = await Book.objects.aupdate_or_create(
        title="New", defaults={"price": 5}, create_defaults={"price": 6, "author_id": 1}
    )
    assert (obj.pk, created) == (4, True)
    assert body(post)["price"] == "6.00"
    assert body(post)["title"] == "New"


async def test_abulk_create_and_update(api: respx.MockRouter) -> None:
    """POSTs each new object and PATCHes each updated one, returning them with pks."""
    counter = iter(range(100, 200))

    def created(request: httpx.Request) -> httpx.Response:
        data = json.loads(request.content)
        return httpx.Response(
            201, json={"slug": data["slug"], "label": data["label"], "n": next(counter)}
        )

    api.post("tags/").mock(side_effect=created)
    tags = [Tag(slug=f"t{i}", label=f"T{i}") for i in range(25)]
    result = await Tag.objects.abulk_create(tags, batch_size=5)
    assert [t.pk for t in result] == [f"t{i}" for i in range(25)]
    assert len(api.calls) == 25

    api.patch(url__regex=r".*/tags/t\d+/$").mock(
        side_effect=lambda r: httpx.Response(
            200, json={"slug": r.url.path.split("/")[-2], "label": "X"}
        )
    )
    for tag in tags:
        tag.label = "X"
    assert await Tag.objects.abulk_update(tags, ["label"]) == 25
    patches = [c for c in api.calls if c.request.method == "PATCH"]
    assert len(patches) == 25
    assert {json.loads(c.request.content)["label"] for c in patches} == {"X"}


async def test_queryset_aupdate_and_adelete(api: respx.MockRouter) -> None:
    """PATCHes and DELETEs each matched object and returns Django's shapes."""
    api.get("books/").respond(json=page([book(1), book(2)]))
    patches = api.patch(url__regex=r".*/books/\d+/$").mock(
        side_effect=lambda r: httpx.Response(200, json=book(int(r.url.path.split("/")[-2])))
    )
    deletes = api.delete(url__regex=r".*/books/\d+/$").respond(204)
    assert await Book.objects.filter(in_print=True).aupdate(in_print=False) == 2
    assert {json.dumps(body(patches, i)) for i in range(2)} == {'{"in_print": false}'}
    assert await Book.objects.filter(in_print=True).adelete() == (2, {"testapp.Book": 2})
    assert len(deletes.calls) == 2


def test_manager_has_no_delete() -> None:
    """Keeps delete() off the manager, as Django does, so nothing deletes everything by accident."""
    assert not hasattr(Book.objects, "delete")
    assert not hasattr(Book.objects, "adelete")


async def test_pk_with_slash_addresses_one_resource(api: respx.MockRouter) -> None:
    """Sends a pk containing '/', '?', '#' or '..' as one encoded segment."""
    route = api.delete(url__regex=r".*").respond(204)
    await Tag.from_api({"slug": "../books/1", "label": "x"}).adelete()
    await Tag.from_api({"slug": "a?b#c", "label": "x"}).adelete()
    assert [c.request.url.raw_path.decode() for c in route.calls] == [
        "/api/tags/..%2Fbooks%2F1/",
        "/api/tags/a%3Fb%23c/",
    ]


def test_sync_write_twins(api: respx.MockRouter) -> None:
    """Runs create, save and delete from sync code."""
    api.post("books/").respond(201, json=book(7))
    api.put("books/7/").respond(json=book(7, title="Changed"))
    api.delete("books/7/").respond(204)
    obj = Book.objects.create(title="x", price=1, author_id=1)
    obj.title = "Changed"
    obj.save()
    assert obj.title == "Changed"
    obj.delete()
    assert obj.pk is None
    assert method_and_path(api) == ["POST /api/books/", "PUT /api/books/7/", "DELETE /api/books/7/"]


async def test_instance_saves_to_the_service_it_came_from(api: respx.MockRouter) -> None:
    """Sends a write to the alias the instance was loaded with using(), as Django does."""
    with respx.mock(base_url="http://127.0.0.1:9/api/") as other:
        other.get("books/").respond(json=page([book(1)]))
        put = other.put("books/1/").respond(json=book(1, title="Saved"))
        obj = await Book.objects.using("provider").aget(title="Book 1")
        obj.title = "Saved"
        await obj.asave()
        assert put.called
    assert not api.calls
