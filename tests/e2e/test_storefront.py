"""The example storefront's pages, driven with Django's AsyncClient against the real provider.

Each test checks the rendered page and what the provider's database holds: the
rows a list shows, the row a form created, changed or deleted.
"""

from __future__ import annotations

import datetime
import json
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import AsyncClient, override_settings

from example_project.storefront.models import Author, Book
from tests.conftest import Provider
from tests.e2e.helpers import (
    SQL,
    book_ids,
    count,
    field_errors,
    form_errors,
    ids,
    no_new_books,
    service_settings,
    text,
)
from tests.servers import free_port

pytestmark = pytest.mark.usefixtures("storefront")

EN_DASH = "\N{EN DASH}"  # as in "Showing 1 to 20 of 240 books", typeset


def count_authors(sql: SQL) -> int:
    return int(sql("SELECT COUNT(*) FROM provider_author")[0][0])


def new_book_form(sql: SQL, **changes: Any) -> dict[str, Any]:
    """Return the create form's POST data for a valid book by the first author."""
    (author_id,) = sql("SELECT id FROM provider_author ORDER BY id LIMIT 1")[0]
    data = {
        "title": "E2E Storefront Book",
        "author": str(author_id),
        "price": "14.50",
        "published": "2020-02-29",
        "in_print": "on",
        "tags": "signed, first-edition",
        "genres": ["2", "5"],
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


async def test_book_list_first_page(
    async_client: AsyncClient, provider_db: SQL, api_requests: Callable[[], list[str]]
) -> None:
    """Lists the first 20 books by title, with their authors, in four requests (no N+1)."""
    response = await async_client.get("/")
    assert response.status_code == 200
    page = text(response.content)
    assert book_ids(response.content) == ids(provider_db)
    assert f"Showing 1{EN_DASH}20 of {count(provider_db)} books." in page
    first_author = provider_db(
        "SELECT a.name FROM provider_book b JOIN provider_author a ON a.id = b.author_id "
        "ORDER BY b.title, b.id LIMIT 1"
    )[0][0]
    assert first_author in page
    # The count, the page and the genres at once, then the page's authors in one batch.
    sent = api_requests()
    assert len(sent) == 4
    assert sum("/authors/?id__in=" in r for r in sent) == 1


@pytest.mark.parametrize(
    ("query", "where", "params"),
    [
        ({"q": "river"}, "title LIKE ?", ("%river%",)),
        ({"min_price": "20", "max_price": "30.5"}, "price >= 20 AND price <= 30.5", ()),
        ({"min_price": "100"}, "price >= 100", ()),
        ({"in_print": "no"}, "in_print = 0", ()),
        ({"in_print": "yes", "q": "the"}, "in_print = 1 AND title LIKE ?", ("%the%",)),
        (
            {"genre": "2"},
            "id IN (SELECT book_id FROM provider_book_genres WHERE genre_id = 2)",
            (),
        ),
    ],
)
async def test_book_list_filters(
    async_client: AsyncClient, provider_db: SQL, query: dict[str, str], where: str, params: tuple
) -> None:
    """Shows exactly the books the provider's database holds for each filter."""
    response = await async_client.get("/", query)
    assert response.status_code == 200
    total = count(provider_db, where, params)
    assert total > 0
    assert book_ids(response.content) == ids(provider_db, where, params=params)
    shown = min(total, 20)
    plural = "" if total == 1 else "s"
    assert f"Showing 1{EN_DASH}{shown} of {total} book{plural}." in text(response.content)


async def test_book_list_with_nothing_matching(async_client: AsyncClient) -> None:
    """Says that no book matches instead of showing an empty table."""
    response = await async_client.get("/", {"q": "no title has these words"})
    assert response.status_code == 200
    assert "No books match these filters." in text(response.content)
    assert book_ids(response.content) == []


async def test_book_list_refuses_a_bad_filter_value(
    async_client: AsyncClient, provider_db: SQL
) -> None:
    """Shows the form's error and lists every book when a price range is upside down."""
    response = await async_client.get("/", {"min_price": "50", "max_price": "10"})
    assert response.status_code == 200
    assert "Must be at least the lowest price." in text(response.content)
    assert book_ids(response.content) == ids(provider_db, "price >= 50", params=())


@pytest.mark.parametrize(
    ("ordering", "order"),
    [
        ("-price", "price DESC, id"),
        ("published", "published, id"),
        ("-published", "published DESC, id"),
        ("-created_at", "created_at DESC, id"),
        ("-title", "title DESC, id"),
    ],
)
async def test_book_list_ordering(
    async_client: AsyncClient, provider_db: SQL, ordering: str, order: str
) -> None:
    """Orders the list as the provider's database does for each ordering choice."""
    response = await async_client.get("/", {"ordering": ordering})
    assert response.status_code == 200
    assert book_ids(response.content) == ids(provider_db, order=order)


async def test_book_list_pagination(async_client: AsyncClient, provider_db: SQL) -> None:
    """Shows page 3 of the in-print books, with page links that keep the filters."""
    response = await async_client.get("/", {"in_print": "yes", "ordering": "price", "page": "3"})
    assert response.status_code == 200
    page = text(response.content)
    total = count(provider_db, "in_print = 1")
    expected = ids(provider_db, "in_print = 1", order="price, id", offset=40)
    assert book_ids(response.content) == expected
    assert f"Showing 41{EN_DASH}60 of {total} books." in page
    assert 'href="?in_print=yes&ordering=price&page=2" rel="prev"' in page
    assert 'href="?in_print=yes&ordering=price&page=4" rel="next"' in page
    assert 'href="?in_print=yes&ordering=price&page=3" aria-current="page"' in page
    last = -(-total // 20)
    assert f'href="?in_print=yes&ordering=price&page={last}">{last}</a>' in page
    assert 'href="?in_print=yes&ordering=price">1</a>' in page


async def test_book_list_unknown_pages_are_not_found(async_client: AsyncClient) -> None:
    """Answers 404 for a page past the end, page 0 and a page that is not a number."""
    for page in ("99", "0", "two"):
        response = await async_client.get("/", {"page": page})
        assert response.status_code == 404


async def test_book_detail(async_client: AsyncClient, provider_db: SQL) -> None:
    """Shows a book with its author, price, genres and tags as the provider holds them."""
    book_id, title, price, author, tags = provider_db(
        "SELECT b.id, b.title, b.price, a.name, b.tags FROM provider_book b "
        "JOIN provider_author a ON a.id = b.author_id WHERE b.tags != '[]' ORDER BY b.id LIMIT 1"
    )[0]
    genres = [
        row[0]
        for row in provider_db(
            "SELECT g.name FROM provider_genre g JOIN provider_book_genres bg "
            "ON bg.genre_id = g.id WHERE bg.book_id = ? ORDER BY g.id",
            (book_id,),
        )
    ]
    response = await async_client.get(f"/books/{book_id}/")
    assert response.status_code == 200
    page = text(response.content)
    assert f"<h1>{title}</h1>" in page
    assert f">{author}</a>" in page
    assert f"<dd>${Decimal(str(price)):,.2f}</dd>" in page
    assert f"<dd>{', '.join(genres)}</dd>" in page
    for tag in json.loads(tags):
        assert f'<span class="tag">{tag}</span>' in page


async def test_missing_book_and_author_are_not_found(async_client: AsyncClient) -> None:
    """Answers 404 for a book or an author the provider does not have, on the storefront's page."""
    for url in ("/books/999999/", "/books/999999/edit/", "/books/999999/delete/"):
        response = await async_client.get(url)
        assert response.status_code == 404
        assert "<h1>Page not found</h1>" in text(response.content)
    assert (await async_client.get("/authors/999999/")).status_code == 404


async def test_unknown_genre_shows_the_providers_message(
    async_client: AsyncClient, provider: Provider
) -> None:
    """Shows the provider's 400 on the genre filter, and no books, for a genre it lacks."""
    response = await async_client.get("/", {"genre": "999999", "q": "river"})
    assert response.status_code == 200
    assert field_errors(response.content, "genre") == [
        "Select a valid choice. 999999 is not one of the available choices."
    ]
    assert book_ids(response.content) == []
    page = text(response.content)
    assert "The catalogue could not apply these filters" in page
    assert 'value="river"' in page  # the other filters stay as typed
    assert ">Clear filters</a>" in page


async def test_author_page_lists_the_authors_books(
    async_client: AsyncClient, provider_db: SQL
) -> None:
    """Shows an author with every book of theirs, by title."""
    author_id, name = provider_db(
        "SELECT author_id, a.name FROM provider_book JOIN provider_author a "
        "ON a.id = author_id GROUP BY author_id ORDER BY COUNT(*) DESC, author_id LIMIT 1"
    )[0]
    response = await async_client.get(f"/authors/{author_id}/")
    assert response.status_code == 200
    assert f"<h1>{name}</h1>" in text(response.content)
    expected = ids(provider_db, "author_id = ?", params=(author_id,), limit=-1)
    assert len(expected) > 1
    assert book_ids(response.content) == expected


async def test_author_list(async_client: AsyncClient, provider_db: SQL) -> None:
    """Lists every author by name."""
    response = await async_client.get("/authors/")
    assert response.status_code == 200
    names = [row[0] for row in provider_db("SELECT name FROM provider_author ORDER BY name")]
    page = text(response.content)
    positions = [page.index(f">{name}</a>") for name in names]
    assert positions == sorted(positions)


async def test_create_shows_the_providers_errors_then_creates(
    async_client: AsyncClient, provider_db: SQL, remove_books: list[str]
) -> None:
    """Shows the provider's 400 on the published field, then creates the corrected book."""
    data = new_book_form(provider_db)
    remove_books.append(data["title"])
    future = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    with no_new_books(provider_db):
        response = await async_client.post("/books/new/", {**data, "published": future})
    assert response.status_code == 200
    assert field_errors(response.content, "published") == [
        "Publication date cannot be in the future."
    ]
    assert f'value="{data["title"]}"' in text(response.content)  # what was typed is kept

    response = await async_client.post("/books/new/", data, follow=True)
    assert response.status_code == 200
    rows = provider_db(
        "SELECT id, author_id, price, published, in_print, tags FROM provider_book WHERE title = ?",
        (data["title"],),
    )
    assert len(rows) == 1
    book_id, author_id, price, published, in_print, tags = rows[0]
    assert response.redirect_chain == [(f"/books/{book_id}/", 302)]
    assert (author_id, Decimal(str(price)), published, in_print) == (
        int(data["author"]),
        Decimal("14.50"),
        "2020-02-29",
        1,
    )
    assert json.loads(tags) == ["signed", "first-edition"]
    genres = provider_db(
        "SELECT genre_id FROM provider_book_genres WHERE book_id = ? ORDER BY genre_id",
        (book_id,),
    )
    assert genres == [(2,), (5,)]
    page = text(response.content)
    assert f"“{data['title']}” was added." in page
    assert f"<h1>{data['title']}</h1>" in page


async def test_create_shows_a_rule_on_the_whole_book_on_top(
    async_client: AsyncClient, provider_db: SQL
) -> None:
    """Shows the provider's non-field error (a duplicate title for the author) above the form."""
    title, author_id = provider_db("SELECT title, author_id FROM provider_book LIMIT 1")[0]
    data = new_book_form(provider_db, title=title, author=str(author_id))
    with no_new_books(provider_db):
        response = await async_client.post("/books/new/", data)
    assert response.status_code == 200
    assert form_errors(response.content) == ["The fields author, title must make a unique set."]


async def test_create_checks_the_form_before_sending(
    async_client: AsyncClient, provider_db: SQL
) -> None:
    """Refuses a negative price and a missing title without a request to the provider."""
    data = new_book_form(provider_db, title="", price="-1")
    with no_new_books(provider_db):
        response = await async_client.post("/books/new/", data)
    assert response.status_code == 200
    assert field_errors(response.content, "title") == ["This field is required."]
    assert field_errors(response.content, "price") == [
        "Ensure this value is greater than or equal to 0."
    ]


async def test_create_page_preselects_the_author(
    async_client: AsyncClient, provider_db: SQL
) -> None:
    """Offers every author, the one in the URL selected."""
    (author_id,) = provider_db("SELECT id FROM provider_author ORDER BY id DESC LIMIT 1")[0]
    response = await async_client.get("/books/new/", {"author": author_id})
    assert response.status_code == 200
    page = text(response.content)
    assert f'<option value="{author_id}" selected>' in page
    assert page.count("<option value=") == count_authors(provider_db) + 1


async def test_edit_patches_the_changed_fields(
    async_client: AsyncClient, provider_db: SQL, remove_books: list[str]
) -> None:
    """Saves a new price and tags, leaving the rest of the book as it was."""
    remove_books.append("E2E Edit Me")
    author = await Author.objects.afirst()
    book = await Book.objects.acreate(
        title="E2E Edit Me", author=author, price=Decimal("10.00"), tags=["a"], genres=[1]
    )
    response = await async_client.get(f"/books/{book.pk}/edit/")
    assert response.status_code == 200
    page = text(response.content)
    assert 'value="E2E Edit Me"' in page and 'value="10.00"' in page

    data = {
        "title": "E2E Edit Me",
        "author": str(author.pk),
        "price": "12.75",
        "published": "",
        "in_print": "on",
        "tags": "a, b",
        "genres": ["1"],
    }
    response = await async_client.post(f"/books/{book.pk}/edit/", data, follow=True)
    assert response.redirect_chain == [(f"/books/{book.pk}/", 302)]
    assert "Your changes to “E2E Edit Me” were saved." in text(response.content)
    row = provider_db(
        "SELECT title, author_id, price, in_print, tags FROM provider_book WHERE id = ?",
        (book.pk,),
    )[0]
    assert (row[0], row[1], Decimal(str(row[2])), row[3], json.loads(row[4])) == (
        "E2E Edit Me",
        author.pk,
        Decimal("12.75"),
        1,
        ["a", "b"],
    )

    # Out of print, then too dear for a book out of print: a rule on the whole book.
    out_of_print = {**data, "in_print": ""}
    response = await async_client.post(f"/books/{book.pk}/edit/", out_of_print)
    assert response.status_code == 302
    response = await async_client.post(f"/books/{book.pk}/edit/", {**out_of_print, "price": "900"})
    assert response.status_code == 200
    assert form_errors(response.content) == [
        "A book that is not in print cannot cost more than 500.00."
    ]
    assert provider_db("SELECT price FROM provider_book WHERE id = ?", (book.pk,)) == [(12.75,)]


async def test_edit_without_changes_sends_nothing(
    async_client: AsyncClient, remove_books: list[str], api_requests: Callable[[], list[str]]
) -> None:
    """Says that nothing changed, and sends no write, when the form is posted unchanged."""
    remove_books.append("E2E Unchanged")
    author = await Author.objects.afirst()
    book = await Book.objects.acreate(title="E2E Unchanged", author=author, price=Decimal("3"))
    data = {"title": "E2E Unchanged", "author": str(author.pk), "price": "3.00", "in_print": "on"}
    before = len(api_requests())
    response = await async_client.post(f"/books/{book.pk}/edit/", data, follow=True)
    assert "Nothing to save: no field was changed." in text(response.content)
    sent = api_requests()[before:]
    assert sent
    assert all(request.startswith("GET ") for request in sent)


async def test_delete_asks_then_deletes(
    async_client: AsyncClient, provider_db: SQL, remove_books: list[str]
) -> None:
    """Asks for confirmation on GET, deletes on POST, and the book is then gone."""
    remove_books.append("E2E Delete Me")
    author = await Author.objects.afirst()
    book = await Book.objects.acreate(title="E2E Delete Me", author=author, price=Decimal("5"))
    response = await async_client.get(f"/books/{book.pk}/delete/")
    assert response.status_code == 200
    assert "Delete “E2E Delete Me”?" in text(response.content)
    assert provider_db("SELECT COUNT(*) FROM provider_book WHERE id = ?", (book.pk,)) == [(1,)]

    response = await async_client.post(f"/books/{book.pk}/delete/", follow=True)
    assert response.redirect_chain == [("/", 302)]
    assert "“E2E Delete Me” was deleted." in text(response.content)
    assert provider_db("SELECT COUNT(*) FROM provider_book WHERE id = ?", (book.pk,)) == [(0,)]
    assert (await async_client.get(f"/books/{book.pk}/")).status_code == 404


async def test_stats_sync_view(async_client: AsyncClient, provider_db: SQL) -> None:
    """Serves the sync stats view under ASGI through the sync twins."""
    response = await async_client.get("/stats/")
    assert response.status_code == 200
    data = response.json()
    assert data["books"] == count(provider_db)
    assert data["in_print"] == count(provider_db, "in_print = 1")
    assert data["authors"] == count_authors(provider_db)
    priciest = [
        row[0]
        for row in provider_db("SELECT id FROM provider_book ORDER BY price DESC, id LIMIT 5")
    ]
    assert [book["id"] for book in data["priciest"]] == priciest


async def test_unreachable_provider_shows_a_503_page(
    async_client: AsyncClient, provider: Provider
) -> None:
    """Answers 503 with a page saying the catalogue is unavailable when nothing listens."""
    nowhere = f"http://127.0.0.1:{free_port()}/api/"
    with override_settings(API_ORM_SERVICES=service_settings(provider, nowhere, MAX_RETRIES=0)):
        response = await async_client.get("/")
    assert response.status_code == 503
    assert "The catalogue is unavailable" in text(response.content)


async def test_unavailable_page_is_quick_with_the_example_settings(
    async_client: AsyncClient, provider: Provider
) -> None:
    """Answers the 503 page within a second with the example's retries (not 4 to 5 s)."""
    from example_project import settings as example

    service = {
        **example.API_ORM_SERVICES["default"],
        "BASE_URL": f"http://127.0.0.1:{free_port()}/",
    }
    with override_settings(API_ORM_SERVICES={"default": service}):
        started = time.monotonic()
        response = await async_client.get("/")
        elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert "(after 3 attempts)" in text(response.content)  # it did retry, twice
    assert elapsed < 1.0


def test_server_error_page_renders_on_its_own() -> None:
    """Renders the 500 page without a request, as Django's server_error() does."""
    page = render_to_string("500.html")
    assert "<h1>Something went wrong</h1>" in page
    assert 'href="/static/storefront/style.css"' in page


def test_book_form_is_a_model_form_of_book() -> None:
    """The create and edit pages use a ModelForm: the model's fields, saved through it."""
    from django import forms

    from example_project.storefront.forms import BookForm

    assert issubclass(BookForm, forms.ModelForm)
    assert BookForm._meta.model is Book
    author = Author(pk=3, name="Ann")
    book = Book(pk=9, title="T", author=author, price=Decimal("1.00"), tags=["x", "y"])
    form = BookForm(
        {"title": "New", "author": "3", "price": "2.50"}, instance=book, authors=[author]
    )
    assert form.initial["tags"] == "x, y" and form.initial["author"] == 3
    assert form.is_valid(), form.errors
    saved = form.save(commit=False)
    assert saved is book and (book.title, book.author, book.price) == (
        "New",
        author,
        Decimal("2.50"),
    )
    assert sorted(form.changed_data) == ["in_print", "price", "tags", "title"]
