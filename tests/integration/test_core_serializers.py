"""``django.core.serializers`` on remote models, against the real DRF provider."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core import serializers

from tests.integration.remote_models import Author, Book

pytestmark = pytest.mark.usefixtures("provider_service")

SQL = Callable[..., list[tuple[Any, ...]]]


def test_serialize_authors_to_json(provider_db: SQL) -> None:
    rows = provider_db("SELECT id, name, bio, born FROM provider_author ORDER BY id LIMIT 3")
    data = json.loads(serializers.serialize("json", Author.objects.order_by("id")[:3]))
    assert data == [
        {
            "model": "tests.author",
            "pk": pk,
            "fields": {"name": name, "bio": bio, "born": born},
        }
        for pk, name, bio, born in rows
    ]


def test_serialize_chosen_fields_of_a_book(provider_db: SQL) -> None:
    ((pk, title, author_id, price),) = provider_db(
        "SELECT id, title, author_id, price FROM provider_book ORDER BY id LIMIT 1"
    )
    book = Book.objects.get(pk=pk)
    (record,) = serializers.serialize("python", [book], fields=["title", "author", "price"])
    assert record["model"] == "tests.book"
    assert record["pk"] == pk
    assert record["fields"] == {"title": title, "author": author_id, "price": book.price}
    assert float(book.price) == price
