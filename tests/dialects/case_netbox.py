"""The NetBox dialect's case: NetBox 4's filters, limit/offset pages and wrapped choices.

Rows are shaped as NetBox sends them: a foreign key is a short nested object
(``{"id", "url", "display", ...}``) and a choice is ``{"value", "label"}``.
"""

from __future__ import annotations

from django_api_orm.pagination import Page
from tests.dialects.case_drf import DRF as _DRF
from tests.dialects.contract import DialectCase, Sent

__all__ = ["NETBOX"]

API = "https://api.example.test/api/"

AUTHOR_1 = {"id": 1, "url": f"{API}authors/1/", "display": "Frank Herbert", "name": "Frank Herbert"}
BOOK_3 = {
    "id": 3,
    "url": f"{API}books/3/",
    "display": "Dune",
    "title": "Dune",
    "price": "9.50",
    "published": "1965-08-01",
    "in_print": True,
    "tags": ["sf"],
    "author": AUTHOR_1,
    "created_at": "2024-05-01T10:00:00Z",
}


def _page(rows: list[object], next: str | None, count: int | None = 3) -> dict[str, object]:
    return {"count": count, "next": next, "previous": None, "results": rows}


def _list(query: str) -> tuple[Sent, ...]:
    return (Sent("GET", f"/api/books/?{query}"),)


NETBOX = DialectCase(
    id="netbox",
    dialect="django_api_orm.dialects.netbox.NetBoxDialect",
    empty_list=_page([], None, 0),
    book=BOOK_3,
    book_row=BOOK_3,
    chapter={
        "id": 5,
        "title": "Prologue",
        "kind": {"value": "verse", "label": "Verse"},
        "book": {"id": 3, "url": f"{API}books/3/", "display": "Dune"},
    },
    author=AUTHOR_1,
    with_author=_page([BOOK_3], None, 1),
    not_a_page=[{"id": 3}],
    requests={
        "exact": _list("title=Dune&limit=100"),
        "comparisons": _list("price__gte=5&price__lt=20&limit=100"),
        "icontains": _list("title__ic=dune&limit=100"),
        "in": _list("id=1&id=2&limit=100"),
        "foreign key in": _list("author_id=7&author_id=8&limit=100"),
        "boolean": _list("in_print=false&limit=100"),
        "decimal": _list("price__gte=9.50&limit=100"),
        "date": _list("published__gt=2020-01-02&limit=100"),
        "aware datetime": _list("created_at__gt=2024-05-01T12:30:00%2B02:00&limit=100"),
        "range": _list("price__gte=1&price__lte=9.5&limit=100"),
        # A text field that is not null=True: NetBox's __empty is exactly "is ''".
        "empty string": _list("title__empty=true&limit=100"),
        # Each value is its own parameter: NetBox does not split them on commas.
        "comma inside an __in value": _list("title=a,b&limit=100"),
        "exclude": _list("title__n=Dune&author_id__n=1&author_id__n=2&limit=100"),
        "order_by": _list("ordering=-price,title&limit=100"),
        "Meta.ordering": (Sent("GET", "/api/authors/?ordering=name&limit=100"),),
        "slice": _list("ordering=id&limit=20&offset=20"),
        "count": _list("in_print=true&limit=1"),
        "first": _list("ordering=id&limit=1"),
        # Details, nested endpoints and writes are DRF's: bare values and pks go out.
        **{
            name: _DRF.requests[name]
            for name in (
                "detail",
                "nested detail",
                "create",
                "nested create",
                "put",
                "patch",
                "delete",
            )
        },
        "nested list": (Sent("GET", "/api/books/3/chapters/?limit=100"),),
    },
    # The nested author carries every field Author declares: no request.
    author_loads=(),
    unsupported={
        "several lookups": "no isnull filter on a plain field",
        "isnull": "no isnull filter on a plain field",
        "exclude none": "no isnull filter on a plain field",
        "two values for one parameter": "same parameter 'price__lt'",
    },
    repeated="id=1&id=2&title=Dune",
    pages={"limit_offset": _DRF.pages["limit_offset"]},
    related=(
        (7, (7, None)),
        (AUTHOR_1, (1, AUTHOR_1)),
    ),
    related_refused=({"name": "Frank Herbert"}, {"id": None, "name": "Frank Herbert"}),
    choices=(("verse", "verse"), ({"value": "verse", "label": "Verse"}, "verse")),
    errors=_DRF.errors,
)

_ = Page  # the pages are DRF's LimitOffsetPagination, read as the DRF case reads them
