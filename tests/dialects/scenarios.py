"""The ORM calls every dialect case answers, and how they are sent and answered with respx.

Each scenario is one call a view might make; a dialect's case
(``case_*.py``) lists the exact requests it sends, or the
``NotSupportedError`` it raises instead. ``serve`` points the ``default`` service
at a dialect and answers with that case's bodies.
"""

from __future__ import annotations

import contextlib
import datetime
import decimal
import json
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any

import httpx
import respx
from django.conf import settings
from django.test import override_settings

from django_api_orm import QuerySet
from tests.dialects.contract import DialectCase, Sent
from tests.dialects.models import Chapter
from tests.models.conftest import API
from tests.testapp.models import Author, Book

__all__ = ["SCENARIOS", "answer_with_case", "sent_requests", "serve"]

PLUS_TWO = datetime.timezone(datetime.timedelta(hours=2))


async def _list(queryset: QuerySet[Any]) -> list[Any]:
    return [obj async for obj in queryset]


async def _put() -> None:
    book = await Book.objects.aget(pk=3)
    book.title = "Dune Messiah"
    await book.asave()


async def _patch() -> None:
    book = await Book.objects.aget(pk=3)
    book.price = decimal.Decimal("12")
    await book.asave(update_fields=["price"])


async def _delete() -> None:
    book = await Book.objects.aget(pk=3)
    await book.adelete()


#: Scenario name -> the call. Each case answers every name: in ``requests`` or ``unsupported``.
SCENARIOS: dict[str, Callable[[], Awaitable[object]]] = {
    # Filters: one lookup of each kind, and the encodings of values.
    "several lookups": lambda: _list(
        Book.objects.filter(title__in=["x", "y"], price__lt=20, published__isnull=True)
    ),
    "exact": lambda: _list(Book.objects.filter(title="Dune")),
    "comparisons": lambda: _list(Book.objects.filter(price__lt=20, price__gte=5)),
    "icontains": lambda: _list(Book.objects.filter(title__icontains="dune")),
    "in": lambda: _list(Book.objects.filter(id__in=[1, 2])),
    "foreign key in": lambda: _list(Book.objects.filter(author__in=[7, 8])),
    "isnull": lambda: _list(Book.objects.filter(published=None)),
    "exclude none": lambda: _list(Book.objects.exclude(published=None)),
    "boolean": lambda: _list(Book.objects.filter(in_print=False)),
    "decimal": lambda: _list(Book.objects.filter(price__gte=decimal.Decimal("9.50"))),
    "date": lambda: _list(Book.objects.filter(published__gt=datetime.date(2020, 1, 2))),
    "aware datetime": lambda: _list(
        Book.objects.filter(created_at__gt=datetime.datetime(2024, 5, 1, 12, 30, tzinfo=PLUS_TWO))
    ),
    "range": lambda: _list(Book.objects.filter(price__range=(1, decimal.Decimal("9.5")))),
    "exclude": lambda: _list(Book.objects.exclude(title="Dune").exclude(author__in=[1, 2])),
    # Ordering, pages and one-row questions.
    "order_by": lambda: _list(Book.objects.order_by("-price", "title")),
    "Meta.ordering": lambda: _list(Author.objects.all()),
    "slice": lambda: _list(Book.objects.order_by("id")[20:40]),
    "count": lambda: Book.objects.filter(in_print=True).acount(),
    "first": lambda: Book.objects.afirst(),
    # Details, nested endpoints and writes.
    "detail": lambda: Book.objects.aget(pk=3),
    "nested list": lambda: _list(Chapter.objects.filter(book=3)),
    "nested detail": lambda: Chapter.objects.filter(book=3).aget(pk=5),
    "create": lambda: Book.objects.acreate(
        title="Dune", price=decimal.Decimal("9.5"), published=datetime.date(1965, 8, 1), author_id=1
    ),
    "nested create": lambda: Chapter.objects.acreate(book_id=3, title="Prologue", kind="verse"),
    "put": _put,
    "patch": _patch,
    "delete": _delete,
    # What no filter API can be trusted with.
    "two values for one parameter": lambda: _list(
        Book.objects.filter(price__lt=20).filter(price__lt=30)
    ),
    "empty string": lambda: _list(Book.objects.filter(title="")),
    "comma inside an __in value": lambda: _list(Book.objects.filter(title__in=["a,b"])),
}


@contextlib.contextmanager
def serve(
    case: DialectCase, pagination: Mapping[str, Any] | None = None
) -> Iterator[respx.MockRouter]:
    """Point the ``default`` service at ``case``'s dialect; intercept every request."""
    entry = {**settings.API_ORM_SERVICES["default"], "DIALECT": case.dialect}
    if pagination is not None:
        entry["PAGINATION"] = dict(pagination)
    services = {**settings.API_ORM_SERVICES, "default": entry}
    with (
        override_settings(API_ORM_SERVICES=services),
        respx.mock(base_url=API, assert_all_called=False, assert_all_mocked=True) as router,
    ):
        yield router


def answer_with_case(router: respx.MockRouter, case: DialectCase) -> None:
    """Answer book 3, its chapter 5, author 1 and every list with ``case``'s bodies."""
    router.delete("books/3/").respond(204)
    for route in (router.get, router.put, router.patch):
        route("books/3/").respond(json=case.book)
        route("books/3/chapters/5/").respond(json=case.chapter)
    router.get("authors/1/").respond(json=case.author)
    router.post("books/").respond(201, json=case.book)
    router.post("books/3/chapters/").respond(201, json=case.chapter)
    router.get().respond(json=case.empty_list)


def sent_requests(router: respx.MockRouter) -> list[Sent]:
    """Return every request ``router`` received: method, raw path and query, JSON body."""
    out = []
    for call in router.calls:
        request: httpx.Request = call.request
        body = json.loads(request.content) if request.content else None
        out.append(Sent(request.method, request.url.raw_path.decode(), body))
    return out
