"""The DRF dialect's case: Django REST framework + django-filter, byte for byte."""

from __future__ import annotations

from django_api_orm.pagination import Page
from tests.dialects.contract import Answer, DialectCase, Pages, Sent

__all__ = ["DRF"]

API = "https://api.example.test/api/"

BOOK_3 = {
    "id": 3,
    "title": "Dune",
    "price": "9.50",
    "published": "1965-08-01",
    "in_print": True,
    "tags": ["sf"],
    "author": 1,
    "created_at": "2024-05-01T10:00:00Z",
}
#: The writable fields of book 3 as sent: read-only id and created_at left out.
BOOK_3_WRITE = {k: v for k, v in BOOK_3.items() if k not in ("id", "created_at")}
ROWS = [{"id": 1}, {"id": 2}, {"id": 3}]


def _page(rows: list[object], next: str | None, count: int | None = 3) -> dict[str, object]:
    return {"count": count, "next": next, "previous": None, "results": rows}


def _list(query: str) -> tuple[Sent, ...]:
    return (Sent("GET", f"/api/books/?{query}"),)


DRF = DialectCase(
    id="drf",
    dialect="django_api_orm.dialects.DRFDialect",
    empty_list=_page([], None, 0),
    book=BOOK_3,
    book_row=BOOK_3,
    chapter={"id": 5, "title": "Prologue", "kind": "verse", "book": 3},
    author={"id": 1, "name": "Frank Herbert"},
    with_author=_page([{**BOOK_3, "author": {"id": 1, "name": "Frank Herbert"}}], None, 1),
    not_a_page={"data": [], "links": {"next": None}},
    requests={
        "several lookups": _list("price__lt=20&published__isnull=true&title__in=x,y&page_size=100"),
        "exact": _list("title=Dune&page_size=100"),
        "comparisons": _list("price__gte=5&price__lt=20&page_size=100"),
        "icontains": _list("title__icontains=dune&page_size=100"),
        "in": _list("id__in=1,2&page_size=100"),
        "foreign key in": _list("author__in=7,8&page_size=100"),
        "isnull": _list("published__isnull=true&page_size=100"),
        "exclude none": _list("published__isnull=false&page_size=100"),
        "boolean": _list("in_print=false&page_size=100"),
        "decimal": _list("price__gte=9.50&page_size=100"),
        "date": _list("published__gt=2020-01-02&page_size=100"),
        "aware datetime": _list("created_at__gt=2024-05-01T12:30:00%2B02:00&page_size=100"),
        "range": _list("price__range=1,9.5&page_size=100"),
        "exclude": _list("title__not=Dune&author__not_in=1,2&page_size=100"),
        "order_by": _list("ordering=-price,title&page_size=100"),
        "Meta.ordering": (Sent("GET", "/api/authors/?ordering=name&page_size=100"),),
        "slice": _list("ordering=id&page=2&page_size=20"),
        "count": _list("in_print=true&page_size=1"),
        "first": _list("ordering=id&page_size=1"),
        "detail": (Sent("GET", "/api/books/3/"),),
        "nested list": (Sent("GET", "/api/books/3/chapters/?page_size=100"),),
        "nested detail": (Sent("GET", "/api/books/3/chapters/5/"),),
        "create": (Sent("POST", "/api/books/", {**BOOK_3_WRITE, "tags": []}),),
        "nested create": (
            Sent(
                "POST", "/api/books/3/chapters/", {"title": "Prologue", "kind": "verse", "book": 3}
            ),
        ),
        "put": (
            Sent("GET", "/api/books/3/"),
            Sent("PUT", "/api/books/3/", {**BOOK_3_WRITE, "title": "Dune Messiah"}),
        ),
        "patch": (Sent("GET", "/api/books/3/"), Sent("PATCH", "/api/books/3/", {"price": "12.00"})),
        "delete": (Sent("GET", "/api/books/3/"), Sent("DELETE", "/api/books/3/")),
    },
    author_loads=(Sent("GET", "/api/authors/1/"),),
    unsupported={
        "two values for one parameter": "same parameter 'price__lt'",
        "empty string": "django-filter reads an empty value as 'no filter'",
        "comma inside an __in value": "contains a comma",
    },
    repeated="id__in=1&id__in=2&title=Dune",
    pages={
        "page_number": Pages(
            requests=(
                "/api/books/?ordering=id&page_size=2",
                "/api/books/?ordering=id&page=2&page_size=2",
            ),
            answers=(
                Answer(_page(ROWS[:2], f"{API}books/?ordering=id&page=2&page_size=2")),
                Answer(_page(ROWS[2:], None)),
            ),
            first=Page(ROWS[:2], f"{API}books/?ordering=id&page=2&page_size=2", 3),
        ),
        "limit_offset": Pages(
            requests=(
                "/api/books/?ordering=id&limit=2",
                "/api/books/?limit=2&offset=2&ordering=id",
            ),
            answers=(
                Answer(_page(ROWS[:2], f"{API}books/?limit=2&offset=2&ordering=id")),
                Answer(_page(ROWS[2:], None)),
            ),
            first=Page(ROWS[:2], f"{API}books/?limit=2&offset=2&ordering=id", 3),
        ),
        "cursor": Pages(
            requests=(
                "/api/books/?ordering=id&page_size=2",
                "/api/books/?cursor=cD0y&ordering=id&page_size=2",
            ),
            answers=(
                Answer(_page(ROWS[:2], f"{API}books/?cursor=cD0y&ordering=id&page_size=2", None)),
                Answer(_page(ROWS[2:], None, None)),
            ),
            first=Page(ROWS[:2], f"{API}books/?cursor=cD0y&ordering=id&page_size=2", None),
        ),
        "none": Pages(
            requests=("/api/books/?ordering=id",),
            answers=(Answer(ROWS),),
            first=Page(ROWS, None, 3),
        ),
        "link_header": Pages(
            requests=(
                "/api/books/?ordering=id&page_size=2",
                "/api/books/?ordering=id&page=2&page_size=2",
            ),
            answers=(
                Answer(
                    ROWS[:2],
                    {
                        "Link": f'<{API}books/?ordering=id&page=2&page_size=2>; rel="next"',
                        "X-Total-Count": "3",
                    },
                ),
                Answer(ROWS[2:], {"X-Total-Count": "3"}),
            ),
            first=Page(ROWS[:2], f"{API}books/?ordering=id&page=2&page_size=2", 3),
        ),
    },
    related=(
        (7, (7, None)),
        ({"id": 7, "name": "Frank Herbert"}, (7, {"id": 7, "name": "Frank Herbert"})),
    ),
    related_refused=({"name": "Frank Herbert"}, {"id": None, "name": "Frank Herbert"}),
    choices=(("verse", "verse"),),
    errors=(
        (
            {"title": ["This field may not be blank."], "price": ["A valid number is required."]},
            {"title": ["This field may not be blank."], "price": ["A valid number is required."]},
        ),
        (
            {"non_field_errors": ["The fields title, author must make a unique set."]},
            {"__all__": ["The fields title, author must make a unique set."]},
        ),
        ({"detail": "Malformed request."}, {"__all__": ["Malformed request."]}),
    ),
)
