"""Model signals against the real provider, with receivers writing the consumer's own DB."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django import forms
from django.contrib.auth.models import Group

from django_api_orm.signals import post_delete, post_save, pre_save
from tests.integration.remote_models import Author, Book

pytestmark = pytest.mark.usefixtures("provider_service")

SQL = Callable[..., list[tuple[Any, ...]]]


def first_author(sql: SQL) -> int:
    ((author_id,),) = sql("SELECT id FROM provider_author ORDER BY id LIMIT 1")
    return int(author_id)


def log_in_django_db(sender: type[Book], instance: Book, **kwargs: Any) -> None:
    """A receiver that writes a row of the consumer's own database (in its transaction)."""
    event = {True: "created", False: "updated", None: "deleted"}[kwargs.get("created")]
    Group.objects.create(name=f"{event} book {instance.pk} via {kwargs['using']}")


@pytest.mark.django_db
def test_sync_receivers_write_the_consumers_database_in_its_thread(provider_db: SQL) -> None:
    """Runs save()'s and delete()'s receivers in the caller's thread: their rows land in
    the caller's database connection and transaction (an in-memory SQLite one here)."""
    post_save.connect(log_in_django_db, sender=Book)
    post_delete.connect(log_in_django_db, sender=Book)
    try:
        book = Book.objects.create(
            title="Integration: a signalled book", author_id=first_author(provider_db), price=3
        )
        pk = book.pk
        book.title = "Integration: a signalled book, renamed"
        book.save(update_fields=["title"])
        book.delete()
    finally:
        post_save.disconnect(log_in_django_db, sender=Book)
        post_delete.disconnect(log_in_django_db, sender=Book)
    assert list(Group.objects.order_by("id").values_list("name", flat=True)) == [
        f"created book {pk} via provider",
        f"updated book {pk} via provider",
        f"deleted book {pk} via provider",
    ]
    assert provider_db("SELECT id FROM provider_book WHERE id = ?", (pk,)) == []


async def test_async_receiver_reads_the_provider_before_the_write(provider_db: SQL) -> None:
    """Awaits an async pre_save receiver on the caller's loop: it can query the provider
    with the ORM, and what it sets on the instance is saved."""
    author_id = first_author(provider_db)

    async def sign_title(sender: type[Book], instance: Book, **kwargs: Any) -> None:
        author = await Author.objects.aget(pk=instance.author_id)
        instance.title = f"{instance.title} ({author.name})"

    pre_save.connect(sign_title, sender=Book)
    try:
        book = await Book.objects.acreate(title="Integration: signed", author_id=author_id, price=4)
    finally:
        pre_save.disconnect(sign_title, sender=Book)
    try:
        ((name,),) = provider_db("SELECT name FROM provider_author WHERE id = ?", (author_id,))
        row = provider_db("SELECT title FROM provider_book WHERE id = ?", (book.pk,))
        assert row == [(f"Integration: signed ({name})",)]
        assert book.title == f"Integration: signed ({name})"
    finally:
        await book.adelete()


class AuthorForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Author
        fields = ["name", "bio"]


def test_a_model_form_save_sends_the_signals_in_the_callers_thread(provider_db: SQL) -> None:
    """Sends pre_save/post_save from form.save() in sync code, receivers in its thread."""
    seen: list[tuple[str, bool, int]] = []

    def remember(sender: type[Author], instance: Author, created: bool, **kwargs: Any) -> None:
        seen.append((instance.name, created, threading.get_ident()))

    post_save.connect(remember, sender=Author)
    try:
        form = AuthorForm(data={"name": "Integration: a form's author", "bio": ""})
        assert form.is_valid(), form.errors
        author = form.save()
    finally:
        post_save.disconnect(remember, sender=Author)
    try:
        assert seen == [("Integration: a form's author", True, threading.get_ident())]
        row = provider_db("SELECT name FROM provider_author WHERE id = ?", (author.pk,))
        assert row == [("Integration: a form's author",)]
    finally:
        author.delete()
