"""The dialect contract: one set of tests every shipped dialect passes.

Each dialect brings a case (``case_*.py``): the exact requests the shared
scenarios send, the answers it reads and what they read to. A new dialect adds
its case to ``CASES``; nothing else here changes. Requests are asserted at the
transport (respx), readings through the dialect's own methods on real queries.
"""

from __future__ import annotations

import asyncio
import datetime
import decimal
import re
from typing import Any

import httpx
import pytest
from django.core.exceptions import ValidationError
from django.utils.module_loading import import_string

from django_api_orm import BadRequestError, InvalidResponseError, NotSupportedError
from django_api_orm.dialects import BaseDialect
from tests.dialects.case_drf import DRF
from tests.dialects.case_jsonapi import JSONAPI
from tests.dialects.case_netbox import NETBOX
from tests.dialects.contract import DialectCase
from tests.dialects.models import Chapter
from tests.dialects.scenarios import SCENARIOS, answer_with_case, sent_requests, serve
from tests.testapp.models import Author, Book

CASES = [DRF, JSONAPI, NETBOX]

#: What book 3 reads to, whatever the dialect: each case's ``book`` answer holds it.
BOOK_3 = {
    "pk": 3,
    "title": "Dune",
    "price": decimal.Decimal("9.50"),
    "published": datetime.date(1965, 8, 1),
    "in_print": True,
    "tags": ["sf"],
    "author_id": 1,
    "created_at": datetime.datetime(2024, 5, 1, 10, tzinfo=datetime.UTC),
}


def dialect_of(case: DialectCase) -> BaseDialect:
    """Return an instance of the case's dialect class."""
    dialect: BaseDialect = import_string(case.dialect)()
    return dialect


def by_case(name: str) -> list[Any]:
    """Return one parameter per (case, item of ``getattr(case, name)``), with readable ids."""
    return [
        pytest.param(case, item, id=f"{case.id}-{item if isinstance(item, str) else index}")
        for case in CASES
        for index, item in enumerate(getattr(case, name))
    ]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_case_answers_every_scenario_once(case: DialectCase) -> None:
    """Lists, for every shared scenario, either its requests or its refusal, never both."""
    assert set(case.requests) | set(case.unsupported) == set(SCENARIOS)
    assert set(case.requests) & set(case.unsupported) == set()


@pytest.mark.parametrize("case", CASES, ids=str)
def test_dialect_is_a_base_dialect(case: DialectCase) -> None:
    """Names a BaseDialect subclass, as a service's DIALECT setting must."""
    assert isinstance(dialect_of(case), BaseDialect)


# --- requests ---------------------------------------------------------------------


@pytest.mark.parametrize(("case", "scenario"), by_case("requests"))
async def test_scenario_sends_exactly_these_requests(case: DialectCase, scenario: str) -> None:
    """Sends each scenario as the case's requests: method, path, query string and body."""
    with serve(case) as router:
        answer_with_case(router, case)
        await SCENARIOS[scenario]()
        assert sent_requests(router) == list(case.requests[scenario])


@pytest.mark.parametrize(("case", "scenario"), by_case("unsupported"))
async def test_what_cannot_be_sent_raises_before_any_request(
    case: DialectCase, scenario: str
) -> None:
    """Raises NotSupportedError naming the reason, and sends nothing."""
    with serve(case) as router:
        answer_with_case(router, case)
        with pytest.raises(NotSupportedError, match=re.escape(case.unsupported[scenario])):
            await SCENARIOS[scenario]()
        assert sent_requests(router) == []


@pytest.mark.parametrize("case", CASES, ids=str)
def test_repeat_multiple_values_repeats_the_key(case: DialectCase) -> None:
    """Sends __in as one key per value when a subclass sets repeat_multiple_values."""
    repeating = type("Repeating", (type(dialect_of(case)),), {"repeat_multiple_values": True})()
    query = Book.objects.filter(id__in=[1, 2], title="Dune").query
    assert repeating.encode_query(repeating.filter_params(query)) == case.repeated
    # Without the subclass the values travel as one parameter (unless the dialect repeats).
    dialect = dialect_of(case)
    if not dialect.repeat_multiple_values:
        assert dialect.encode_query(dialect.filter_params(query)) != case.repeated


# --- pages ------------------------------------------------------------------------


@pytest.mark.parametrize(("case", "style"), by_case("pages"))
def test_first_page_reads_to_rows_next_and_count(case: DialectCase, style: str) -> None:
    """Reads a list answer of each pagination style into its rows, next link and count."""
    dialect = dialect_of(case)
    pages = case.pages[style]
    reader = dialect.pagination_style(style)(2, "page_size")
    answer = pages.answers[0]
    page = dialect.parse_page(
        answer.body, httpx.Headers(answer.headers), reader, Book._meta, where="GET books/"
    )
    assert page == pages.first


@pytest.mark.parametrize(("case", "style"), by_case("pages"))
async def test_list_is_walked_page_by_page(case: DialectCase, style: str) -> None:
    """Lists every row of every page in order, asking for each page as the style does."""
    pages = case.pages[style]
    with serve(case, {"STYLE": style, "PAGE_SIZE": 2}) as router:
        router.get("books/").mock(
            side_effect=[httpx.Response(200, json=a.body, headers=a.headers) for a in pages.answers]
        )
        pks = [book.pk async for book in Book.objects.order_by("id")]
        assert [sent.target for sent in sent_requests(router)] == list(pages.requests)
    assert pks == [1, 2, 3]


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_list_answer_of_another_shape_is_refused(case: DialectCase) -> None:
    """Raises InvalidResponseError for a list answer that is not a page of the style."""
    with serve(case) as router:
        router.get("books/").respond(json=case.not_a_page)
        with pytest.raises(InvalidResponseError):
            await Book.objects.afirst()


# --- details and related objects --------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=str)
def test_detail_answer_reads_to_the_row(case: DialectCase) -> None:
    """Reads a detail answer into the row of the object it holds."""
    assert dialect_of(case).parse_detail(case.book, Book._meta, where="GET books/3/") == (
        case.book_row
    )


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_detail_answer_becomes_the_instance(case: DialectCase) -> None:
    """Loads book 3's detail answer into the same values, whatever the dialect."""
    with serve(case) as router:
        answer_with_case(router, case)
        book = await Book.objects.aget(pk=3)
    assert {name: getattr(book, name) for name in BOOK_3} == BOOK_3


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_related_object_is_loaded_as_the_case_says(case: DialectCase) -> None:
    """Loads book 3's author with the case's requests, never taking a short reference for it."""
    with serve(case) as router:
        answer_with_case(router, case)
        book = await Book.objects.aget(pk=3)
        router.calls.clear()
        author = await asyncio.to_thread(lambda: book.author)  # sync code may load it
        assert sent_requests(router) == list(case.author_loads)
    assert (author.pk, author.name) == (1, "Frank Herbert")


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_nested_detail_reads_its_parent_and_choice(case: DialectCase) -> None:
    """Reads a nested endpoint's detail: its pk, its parent's pk and a choice value."""
    with serve(case) as router:
        answer_with_case(router, case)
        chapter = await Chapter.objects.filter(book=3).aget(pk=5)
    assert (chapter.pk, chapter.book_id, chapter.title, chapter.kind) == (
        5,
        3,
        "Prologue",
        "verse",
    )


@pytest.mark.parametrize(("case", "related"), by_case("related"))
def test_related_value_gives_pk_and_nested_row(case: DialectCase, related: Any) -> None:
    """Reads a foreign key's wire value into its pk and, when nested whole, its row."""
    value, expected = related
    assert dialect_of(case).related_pk(value, Author._meta.pk) == expected


@pytest.mark.parametrize(("case", "value"), by_case("related_refused"))
def test_related_value_without_its_pk_is_refused(case: DialectCase, value: Any) -> None:
    """Raises ValueError for a nested related object without its pk."""
    with pytest.raises(ValueError):
        dialect_of(case).related_pk(value, Author._meta.pk)


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_nested_related_object_loads_without_a_request(case: DialectCase) -> None:
    """Hydrates a related object nested whole in a row, with no request for it."""
    with serve(case) as router:
        router.get("books/").respond(json=case.with_author)
        books = [book async for book in Book.objects.all()]
        names = [(book.author_id, book.author.name) for book in books]
        assert len(router.calls) == 1
    assert names == [(1, "Frank Herbert")]


@pytest.mark.parametrize(("case", "choice"), by_case("choices"))
def test_choice_value_is_read(case: DialectCase, choice: Any) -> None:
    """Reads a choice field's wire value into the value itself."""
    wire, expected = choice
    assert dialect_of(case).choice_value(wire) == expected


# --- errors -----------------------------------------------------------------------


@pytest.mark.parametrize(("case", "error"), by_case("errors"))
async def test_error_body_becomes_message_dict(case: DialectCase, error: Any) -> None:
    """Raises BadRequestError, a ValidationError, whose message_dict is the body's messages."""
    body, expected = error
    with serve(case) as router:
        router.post("books/").respond(400, json=body)
        with pytest.raises(BadRequestError) as raised:
            await Book.objects.acreate(title="", price=1, author_id=1)
    assert isinstance(raised.value, ValidationError)
    assert raised.value.message_dict == expected
