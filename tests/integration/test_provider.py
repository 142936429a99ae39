"""The example provider's API surface, as the client package relies on it.

Each filter answer is compared with the same question asked of the provider's
SQLite file directly, so these tests pin django-filter's and DRF's wire behaviour
rather than the seed data.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

# (query parameters, the SQL condition on provider_book that selects the same rows)
BOOK_FILTERS = [
    ({"id": "5"}, "id = 5"),
    ({"id__in": "3,5,8"}, "id IN (3, 5, 8)"),
    ({"title": "A Broken Mirror"}, "title = 'A Broken Mirror'"),
    ({"title__icontains": "MIRROR"}, "title LIKE '%mirror%'"),
    ({"title__istartswith": "the sil"}, "title LIKE 'the sil%'"),
    (
        {"title__in": "The Silent Empire,Sea of Forests"},
        "title IN ('The Silent Empire', 'Sea of Forests')",
    ),
    ({"price": "41.81"}, "price = 41.81"),
    ({"price__lt": "20"}, "price < 20"),
    ({"price__lte": "41.81"}, "price <= 41.81"),
    ({"price__gt": "100"}, "price > 100"),
    ({"price__gte": "119.40"}, "price >= 119.40"),
    ({"price__range": "10,20"}, "price BETWEEN 10 AND 20"),
    ({"published": "2001-03-25"}, "published = '2001-03-25'"),
    ({"published__gt": "2020-01-01"}, "published > '2020-01-01'"),
    ({"published__gte": "2021-03-16"}, "published >= '2021-03-16'"),
    ({"published__lt": "1955-01-01"}, "published < '1955-01-01'"),
    ({"published__lte": "1952-08-03"}, "published <= '1952-08-03'"),
    ({"published__isnull": "true"}, "published IS NULL"),
    ({"published__isnull": "false"}, "published IS NOT NULL"),
    ({"published__year": "2001"}, "strftime('%Y', published) = '2001'"),
    ({"in_print": "false"}, "NOT in_print"),
    ({"in_print": "true"}, "in_print"),
    ({"author": "8"}, "author_id = 8"),
    ({"author__in": "1,2"}, "author_id IN (1, 2)"),
    ({"genres": "3"}, "id IN (SELECT book_id FROM provider_book_genres WHERE genre_id = 3)"),
    ({"created_at__gt": "2024-01-10T00:00:00Z"}, "created_at > '2024-01-10 00:00:00'"),
    ({"created_at__lt": "2024-01-02T00:00:00Z"}, "created_at < '2024-01-02 00:00:00'"),
    ({"title__not": "A Broken Mirror"}, "title != 'A Broken Mirror'"),
    ({"author__not": "8"}, "author_id != 8"),
    ({"author__in__not": "1,2"}, "author_id NOT IN (1, 2)"),
    ({"search": "mirror"}, "title LIKE '%mirror%'"),
    ({"price__lt": "50", "in_print": "true"}, "price < 50 AND in_print"),
]


def ids(rows: list[dict[str, Any]]) -> list[int]:
    """Return the ids of a list of serialized rows, in order."""
    return [row["id"] for row in rows]


def new_book(api: httpx.Client, **fields: Any) -> dict[str, Any]:
    """Create a book by author 1 (fields override the defaults) and return its JSON."""
    payload = {"title": "Integration book", "author": 1, "price": "9.99", **fields}
    response = api.post("books/", json=payload)
    assert response.status_code == 201, response.text
    return response.json()


def test_requests_without_a_valid_token_answer_401(provider):
    """Answers 401 with a Token challenge when the token is missing or wrong."""
    missing = httpx.get(f"{provider.base_url}books/")
    wrong = httpx.get(f"{provider.base_url}books/", headers={"Authorization": "Token nope"})

    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"] == "Token"
    assert missing.json() == {"detail": "Authentication credentials were not provided."}
    assert wrong.status_code == 401


def test_book_wire_format(api):
    """Serializes a book with a pk author, pk genres, a string price and a Z timestamp."""
    book = api.get("books/3/").json()

    assert book == {
        "id": 3,
        "title": "Sea of Forests",
        "author": 8,
        "price": "93.34",
        "published": "2001-03-25",
        "in_print": True,
        "tags": ["signed"],
        "genres": [2, 3],
        "created_at": "2024-01-01T03:00:00Z",
    }


def test_page_number_pagination(api, provider_db):
    """Pages with page/page_size, a total count and next/previous links."""
    (total,) = provider_db("SELECT COUNT(*) FROM provider_book")[0]

    first = api.get("books/", params={"page_size": 7}).json()
    second = api.get(first["next"]).json()
    last = api.get("books/", params={"page_size": 7, "page": -(-total // 7)}).json()

    assert first["count"] == total
    assert first["previous"] is None
    assert parse_qs(urlsplit(first["next"]).query) == {"page": ["2"], "page_size": ["7"]}
    assert ids(first["results"]) == [
        r[0] for r in provider_db("SELECT id FROM provider_book ORDER BY id LIMIT 7")
    ]
    assert ids(second["results"]) == [
        r[0] for r in provider_db("SELECT id FROM provider_book ORDER BY id LIMIT 7 OFFSET 7")
    ]
    assert second["previous"] is not None
    assert last["next"] is None
    assert len(last["results"]) == total - 7 * (-(-total // 7) - 1)


def test_page_past_the_end_answers_404(api):
    """Answers 404 with "Invalid page." for a page number past the last page."""
    response = api.get("books/", params={"page": 9999})

    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page."}


def test_limit_offset_pagination(api, provider_db):
    """Pages books-lo/ with limit and offset, with a count and next/previous links."""
    page = api.get("books-lo/", params={"limit": 5, "offset": 10}).json()

    expected = provider_db("SELECT id FROM provider_book ORDER BY id LIMIT 5 OFFSET 10")
    assert ids(page["results"]) == [r[0] for r in expected]
    assert page["count"] == provider_db("SELECT COUNT(*) FROM provider_book")[0][0]
    assert parse_qs(urlsplit(page["next"]).query) == {"limit": ["5"], "offset": ["15"]}
    assert parse_qs(urlsplit(page["previous"]).query) == {"limit": ["5"], "offset": ["5"]}


def test_cursor_pagination_walks_every_row_once(api, provider_db):
    """Pages books-cursor/ by opaque cursors, without a count, over every row in id order."""
    seen: list[int] = []
    page = api.get("books-cursor/", params={"page_size": 50}).json()
    assert "count" not in page
    assert page["previous"] is None
    while True:
        seen += ids(page["results"])
        if page["next"] is None:
            break
        assert "cursor" in parse_qs(urlsplit(page["next"]).query)
        page = api.get(page["next"]).json()

    assert seen == [r[0] for r in provider_db("SELECT id FROM provider_book ORDER BY id")]


def test_link_header_pagination(api, provider_db):
    """Pages books-links/ as GitHub does: bare arrays, Link prev/next, X-Total-Count."""
    total = provider_db("SELECT COUNT(*) FROM provider_book")[0][0]
    first = api.get("books-links/", params={"per_page": 7, "in_print": "true"})
    second = api.get(first.links["next"]["url"])

    in_print = provider_db("SELECT id FROM provider_book WHERE in_print ORDER BY id")
    assert ids(first.json()) == [r[0] for r in in_print[:7]]
    assert ids(second.json()) == [r[0] for r in in_print[7:14]]
    assert len(in_print) < total  # the total counts the filtered rows
    assert first.headers["X-Total-Count"] == str(len(in_print))
    assert set(first.links) == {"next"}
    assert set(second.links) == {"prev", "next"}
    next_url = urlsplit(first.links["next"]["url"])
    assert next_url.netloc == urlsplit(str(first.url)).netloc
    assert parse_qs(next_url.query) == {"in_print": ["true"], "page": ["2"], "per_page": ["7"]}


def test_plain_list_is_a_bare_array(api, provider_db):
    """Answers books-plain/ with a JSON array of every matching book."""
    rows = api.get("books-plain/", params={"in_print": "false"}).json()

    assert isinstance(rows, list)
    assert ids(rows) == [
        r[0] for r in provider_db("SELECT id FROM provider_book WHERE NOT in_print ORDER BY id")
    ]


@pytest.mark.parametrize(
    ("params", "where"), BOOK_FILTERS, ids=lambda v: v if isinstance(v, str) else "&".join(v)
)
def test_book_filters_match_sql(api, provider_db, params, where):
    """Selects exactly the rows the equivalent SQL condition selects."""
    expected = [
        r[0] for r in provider_db(f"SELECT id FROM provider_book WHERE {where} ORDER BY id")
    ]
    (total,) = provider_db("SELECT COUNT(*) FROM provider_book")[0]

    response = api.get("books-plain/", params=params)

    assert response.status_code == 200, response.text
    assert ids(response.json()) == expected
    assert 0 < len(expected) < total  # the filter really narrows the list


@pytest.mark.parametrize(
    ("params", "where"),
    [
        ({"id__in": "1,2,3"}, "id IN (1, 2, 3)"),
        ({"name": "Boris Abbott"}, "name = 'Boris Abbott'"),
        ({"name__icontains": "OVA"}, "name LIKE '%ova%'"),
        ({"name__in": "Boris Abbott,Lars Gallo"}, "name IN ('Boris Abbott', 'Lars Gallo')"),
        ({"born__gt": "1980-01-01"}, "born > '1980-01-01'"),
        ({"born__isnull": "true"}, "born IS NULL"),
        ({"search": "abbott"}, "name LIKE '%abbott%'"),
    ],
)
def test_author_filters_match_sql(api, provider_db, params, where):
    """Filters authors/ as the equivalent SQL condition does."""
    expected = [
        r[0] for r in provider_db(f"SELECT id FROM provider_author WHERE {where} ORDER BY id")
    ]

    page = api.get("authors/", params=params).json()

    assert ids(page["results"]) == expected
    assert expected


def test_ordering_by_several_fields(api, provider_db):
    """Orders by ordering=-price,title, ties broken by id."""
    rows = api.get("books-plain/", params={"ordering": "-price,title"}).json()

    expected = provider_db("SELECT id FROM provider_book ORDER BY price DESC, title, id")
    assert ids(rows) == [r[0] for r in expected]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"price__lt": "abc"}, "price__lt"),
        ({"published": "2020-13-01"}, "published"),
        ({"author": "999999"}, "author"),
        ({"in_print": "maybe"}, "in_print"),
        ({"published__isnull": "yes"}, "published__isnull"),
    ],
)
def test_invalid_filter_value_answers_400(api, params, field):
    """Answers 400 naming the filter whose value is invalid."""
    response = api.get("books/", params=params)

    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_unknown_filter_is_silently_ignored(api, provider_db):
    """Ignores an unknown parameter and lists every row (why the client checks names)."""
    page = api.get("books/", params={"titel": "nothing like this", "page_size": 1}).json()

    assert page["count"] == provider_db("SELECT COUNT(*) FROM provider_book")[0][0]


def test_field_errors_answer_400(api, provider_db):
    """Answers 400 with one list of messages per invalid field and creates nothing."""
    before = provider_db("SELECT COUNT(*) FROM provider_book")

    response = api.post("books/", json={"price": "-1", "published": "2999-01-01", "tags": "x"})

    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {"title", "author", "price", "published", "tags"}
    assert errors["published"] == ["Publication date cannot be in the future."]
    assert provider_db("SELECT COUNT(*) FROM provider_book") == before


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (
            {"title": "Sea of Forests", "author": 8, "price": "5.00"},
            "The fields author, title must make a unique set.",
        ),
        (
            {"title": "Rare", "author": 8, "price": "600.00", "in_print": False},
            "A book that is not in print cannot cost more than 500.00.",
        ),
    ],
    ids=["duplicate", "out-of-print-price"],
)
def test_non_field_errors_answer_400(api, payload, message):
    """Answers 400 with non_field_errors for a rule about the whole object."""
    response = api.post("books/", json=payload)

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [message]}


def test_create_update_partial_update_delete(api, provider_db):
    """Creates (201), replaces (PUT), patches (PATCH) and deletes (204) one book."""
    book = new_book(api, title="Integration CRUD", genres=[2, 1], tags=["a", "b"])
    pk = book["id"]
    try:
        assert provider_db("SELECT title, author_id FROM provider_book WHERE id = ?", [pk]) == [
            ("Integration CRUD", 1)
        ]
        assert book["genres"] == [1, 2]
        assert book["created_at"].endswith("Z")

        replaced = {**book, "title": "Integration CRUD 2", "price": "15.50", "genres": [3]}
        put = api.put(f"books/{pk}/", json=replaced)
        assert put.status_code == 200, put.text
        assert put.json() == {**replaced, "created_at": book["created_at"]}

        patch = api.patch(f"books/{pk}/", json={"price": "16.00"})
        assert patch.status_code == 200, patch.text
        assert patch.json() == {**put.json(), "price": "16.00"}
        assert api.get(f"books/{pk}/").json()["price"] == "16.00"
    finally:
        delete = api.delete(f"books/{pk}/")

    assert delete.status_code == 204
    assert delete.content == b""
    assert provider_db("SELECT COUNT(*) FROM provider_book WHERE id = ?", [pk]) == [(0,)]
    assert api.get(f"books/{pk}/").status_code == 404


def test_partial_update_checks_the_object_rule_against_stored_values(api):
    """Refuses a PATCH that takes a book above 500.00 when it is stored as out of print."""
    book = new_book(api, title="Integration PATCH rule", in_print=False)
    try:
        response = api.patch(f"books/{book['id']}/", json={"price": "501.00"})
    finally:
        api.delete(f"books/{book['id']}/")

    assert response.status_code == 400
    assert list(response.json()) == ["non_field_errors"]


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_missing_pk_answers_404(api, method):
    """Answers 404 with a detail message for a pk that does not exist."""
    response = api.request(method, "books/999999/", json={} if method in {"PUT", "PATCH"} else None)

    assert response.status_code == 404
    assert response.json() == {"detail": "No Book matches the given query."}


def test_nested_author_books(api, provider_db):
    """Lists and creates one author's books under authors/<pk>/books/."""
    page = api.get("authors/8/books/", params={"ordering": "-price"}).json()
    expected = provider_db(
        "SELECT id FROM provider_book WHERE author_id = 8 ORDER BY price DESC, id"
    )
    assert ids(page["results"]) == [r[0] for r in expected]
    assert page["count"] == len(expected)

    duplicate = api.post("authors/8/books/", json={"title": "Sea of Forests", "price": "1.00"})
    assert duplicate.status_code == 400
    assert duplicate.json() == {
        "non_field_errors": ["The fields author, title must make a unique set."]
    }

    created = api.post(
        "authors/8/books/", json={"title": "Integration nested", "price": "1.00", "author": 1}
    )
    assert created.status_code == 201, created.text
    try:
        assert created.json()["author"] == 8  # the URL wins over the body
    finally:
        api.delete(f"books/{created.json()['id']}/")
    assert api.get("authors/999999/books/").status_code == 404


def test_genres_and_authors_are_resources_too(api, provider_db):
    """Lists genres and authors as page-number pages and retrieves one of each."""
    genres = api.get("genres/").json()
    authors = api.get("authors/", params={"ordering": "-name", "page_size": 3}).json()

    assert genres["count"] == provider_db("SELECT COUNT(*) FROM provider_genre")[0][0]
    assert api.get("genres/1/").json() == {"id": 1, "name": "Fantasy"}
    assert [a["name"] for a in authors["results"]] == [
        r[0] for r in provider_db("SELECT name FROM provider_author ORDER BY name DESC LIMIT 3")
    ]
    assert set(api.get("authors/1/").json()) == {"id", "name", "bio", "born"}
