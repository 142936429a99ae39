"""Wrong types that mypy --strict and pyright must both report, each on its line marked
``# wrong``: tests/typing/test_checkers.py runs both on this file. Never imported."""

# pyright: strict

from __future__ import annotations

import datetime
import decimal
from typing import assert_type

from django_api_orm import QuerySet
from tests.typing.typed_example import Author, Book, Publisher


async def wrong() -> None:
    book = await Book.objects.aget(pk=1)
    assert_type(await Book.objects.aget(pk=1), int)  # wrong
    assert_type(await Book.objects.afirst(), Book)  # wrong: it may be None
    assert_type(Book.objects.filter(), QuerySet[Author])  # wrong
    assert_type([b async for b in Book.objects.all()], list[Author])  # wrong
    assert_type(book.title, int)  # wrong
    assert_type(book.price, float)  # wrong
    assert_type(book.published, datetime.date)  # wrong: null=True
    assert_type(book.author, Book)  # wrong
    assert_type(await Book.objects.acount(), decimal.Decimal)  # wrong
    book.price = "12.50"  # wrong: the field reads a Decimal
    Book.objects.fliter(title="Dune")  # wrong: a typo
    Publisher.objects.inactive()  # wrong: not a method of PublisherManager
    print(book.objects)  # wrong: a manager is not read on an instance
    book.genres = 3  # wrong: a list of genres or of their pks
