"""The example JSON:API dialect's case (``tests/dialects/jsonapi.py``).

Targets are written with brackets for reading; ``_sent`` percent-encodes them,
as they leave (``filter[title]`` is sent as ``filter%5Btitle%5D``). Ids are JSON
strings, as JSON:API sends them; the dialect reads them as the models' integer
primary keys.
"""

from __future__ import annotations

from typing import Any

from django_api_orm.pagination import Page
from tests.dialects.contract import Answer, DialectCase, Pages, Sent

__all__ = ["JSONAPI"]

API = "https://api.example.test/api/"


def _encoded(target: str) -> str:
    return target.replace("[", "%5B").replace("]", "%5D")


def _sent(method: str, target: str, body: Any = None) -> Sent:
    return Sent(method, _encoded(target), body)


def _list(query: str) -> tuple[Sent, ...]:
    return (_sent("GET", f"/api/books/?{query}"),)


def _document(rows: list[Any], next: str | None, count: int | None = 3) -> dict[str, Any]:
    return {"data": rows, "links": {"next": next}, "meta": {"count": count}}


ATTRIBUTES = {
    "title": "Dune",
    "price": "9.50",
    "published": "1965-08-01",
    "in_print": True,
    "tags": ["sf"],
    "created_at": "2024-05-01T10:00:00Z",
}
BOOK_3 = {
    "type": "books",
    "id": "3",
    "attributes": ATTRIBUTES,
    "relationships": {"author": {"data": {"type": "authors", "id": "1"}}},
}
#: Book 3 with its author included whole, attributes and all.
BOOK_3_WITH_AUTHOR = {
    **BOOK_3,
    "relationships": {
        "author": {"data": {"type": "authors", "id": "1", "attributes": {"name": "Frank Herbert"}}}
    },
}
#: The writable fields of book 3 as sent: the foreign key is an attribute too.
BOOK_3_WRITE = {
    **{k: v for k, v in ATTRIBUTES.items() if k != "created_at"},
    "author": 1,
}
RESOURCES = [
    {"type": "books", "id": str(pk), "attributes": {"title": f"Book {pk}"}} for pk in (1, 2, 3)
]
ROWS = [{"id": pk, "title": f"Book {pk}"} for pk in (1, 2, 3)]
NEXT = _encoded(f"{API}books/?sort=id&page[number]=2&page[size]=2")

JSONAPI = DialectCase(
    id="jsonapi",
    dialect="tests.dialects.jsonapi.JSONAPIDialect",
    empty_list=_document([], None, 0),
    book={"data": BOOK_3},
    book_row={"id": 3, **ATTRIBUTES, "author": {"type": "authors", "id": "1"}},
    chapter={
        "data": {
            "type": "chapters",
            "id": "5",
            "attributes": {"title": "Prologue", "kind": "verse"},
            "relationships": {"book": {"data": {"type": "books", "id": "3"}}},
        }
    },
    author={"data": {"type": "authors", "id": "1", "attributes": {"name": "Frank Herbert"}}},
    with_author=_document([BOOK_3_WITH_AUTHOR], None, 1),
    not_a_page={"count": 0, "next": None, "previous": None, "results": []},
    requests={
        "several lookups": _list(
            "filter[price][lt]=20&filter[published][isnull]=true&filter[title][in]=x,y"
            "&page[size]=100"
        ),
        "exact": _list("filter[title]=Dune&page[size]=100"),
        "comparisons": _list("filter[price][gte]=5&filter[price][lt]=20&page[size]=100"),
        "icontains": _list("filter[title][icontains]=dune&page[size]=100"),
        "in": _list("filter[id][in]=1,2&page[size]=100"),
        "foreign key in": _list("filter[author][in]=7,8&page[size]=100"),
        "isnull": _list("filter[published][isnull]=true&page[size]=100"),
        "exclude none": _list("filter[published][isnull]=false&page[size]=100"),
        "boolean": _list("filter[in_print]=false&page[size]=100"),
        "decimal": _list("filter[price][gte]=9.50&page[size]=100"),
        "date": _list("filter[published][gt]=2020-01-02&page[size]=100"),
        "aware datetime": _list(
            "filter[created_at][gt]=2024-05-01T12:30:00%2B02:00&page[size]=100"
        ),
        # Meta.exclude_filters names the provider's parameters: sent as declared.
        "exclude": _list("title__not=Dune&author__not_in=1,2&page[size]=100"),
        "order_by": _list("sort=-price,title&page[size]=100"),
        "Meta.ordering": (_sent("GET", "/api/authors/?sort=name&page[size]=100"),),
        "slice": _list("sort=id&page[number]=2&page[size]=20"),
        "count": _list("filter[in_print]=true&page[size]=1"),
        "first": _list("sort=id&page[size]=1"),
        "detail": (_sent("GET", "/api/books/3/"),),
        "nested list": (_sent("GET", "/api/books/3/chapters/?page[size]=100"),),
        "nested detail": (_sent("GET", "/api/books/3/chapters/5/"),),
        "create": (
            _sent(
                "POST",
                "/api/books/",
                {"data": {"type": "books", "attributes": {**BOOK_3_WRITE, "tags": []}}},
            ),
        ),
        "nested create": (
            _sent(
                "POST",
                "/api/books/3/chapters/",
                {
                    "data": {
                        "type": "chapters",
                        "attributes": {"title": "Prologue", "kind": "verse", "book": 3},
                    }
                },
            ),
        ),
        # A whole save is a PATCH of every field: JSON:API has no PUT.
        "put": (
            _sent("GET", "/api/books/3/"),
            _sent(
                "PATCH",
                "/api/books/3/",
                {
                    "data": {
                        "type": "books",
                        "id": "3",
                        "attributes": {**BOOK_3_WRITE, "title": "Dune Messiah"},
                    }
                },
            ),
        ),
        "patch": (
            _sent("GET", "/api/books/3/"),
            _sent(
                "PATCH",
                "/api/books/3/",
                {"data": {"type": "books", "id": "3", "attributes": {"price": "12.00"}}},
            ),
        ),
        "delete": (_sent("GET", "/api/books/3/"), _sent("DELETE", "/api/books/3/")),
    },
    # The book's relationship only identifies its author: a request loads it.
    author_loads=(_sent("GET", "/api/authors/1/"),),
    unsupported={
        "range": "JSONAPIDialect has no 'range' lookup",
        "two values for one parameter": "same parameter 'filter[price][lt]'",
        "empty string": "Cannot send title='' as a JSON:API filter",
        "comma inside an __in value": "contains a comma",
    },
    repeated=_encoded("filter[id][in]=1&filter[id][in]=2&filter[title]=Dune"),
    pages={
        "page_number": Pages(
            requests=(
                _encoded("/api/books/?sort=id&page[size]=2"),
                _encoded("/api/books/?sort=id&page[number]=2&page[size]=2"),
            ),
            answers=(
                Answer(_document(RESOURCES[:2], NEXT)),
                Answer(_document(RESOURCES[2:], None)),
            ),
            first=Page(ROWS[:2], NEXT, 3),
        ),
    },
    related=(
        (7, (7, None)),
        ({"type": "authors", "id": "7"}, (7, None)),
        (
            {"type": "authors", "id": "7", "attributes": {"name": "Frank Herbert"}},
            (7, {"id": 7, "name": "Frank Herbert"}),
        ),
    ),
    related_refused=({"type": "authors"}, {"type": "authors", "id": None}),
    choices=(("verse", "verse"),),
    errors=(
        (
            {
                "errors": [
                    {
                        "detail": "This field may not be blank.",
                        "source": {"pointer": "/data/attributes/title"},
                    },
                    {
                        "detail": "A valid number is required.",
                        "source": {"pointer": "/data/attributes/price"},
                    },
                ]
            },
            {"title": ["This field may not be blank."], "price": ["A valid number is required."]},
        ),
        (
            {
                "errors": [
                    {
                        "detail": "Unknown author.",
                        "source": {"pointer": "/data/relationships/author"},
                    },
                    {"title": "Conflict", "source": {"pointer": "/data"}},
                ]
            },
            {"author": ["Unknown author."], "__all__": ["Conflict"]},
        ),
        (
            {"errors": [{"status": "400", "detail": "Malformed request."}]},
            {"__all__": ["Malformed request."]},
        ),
    ),
)
