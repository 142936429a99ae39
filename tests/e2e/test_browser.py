"""The storefront in a real browser: headless Chromium clicks through its pages and forms.

The storefront runs as the demo runs it — its own uvicorn process, DEBUG off, static
files served, the example settings' "default" service — on the session's provider.
The test reads what the browser shows and what the provider's database holds. A
failure leaves a screenshot whose path is printed (``tests/e2e/browser.py``).
"""

from __future__ import annotations

import datetime
import json
import secrets
import time
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.select import Select

from tests.conftest import ASGI_APP, Provider
from tests.e2e.browser import follow, snapshot, start_chromium
from tests.e2e.helpers import SQL, book_ids, count, ids
from tests.servers import free_port, start_uvicorn

EN_DASH = "\N{EN DASH}"
#: Seconds the "unavailable" page may take when nothing listens at the provider's address.
UNAVAILABLE_WITHIN = 1.0


def storefront_env(provider: Provider, provider_url: str) -> dict[str, str]:
    """Return the storefront server's environment, as ``make demo`` sets it."""
    return {
        **provider.env,
        "PROVIDER_URL": provider_url,
        "DJANGO_DEBUG": "0",
        "DJANGO_SERVE_STATIC": "1",
    }


@pytest.fixture(scope="module")
def storefront_url(provider: Provider) -> Iterator[str]:
    """Serve the storefront on the session's provider; yield its URL."""
    with start_uvicorn(ASGI_APP, env=storefront_env(provider, provider.base_url)) as url:
        yield url.rstrip("/")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    """Start headless Chromium with a fresh profile; quit it after the module."""
    driver = start_chromium(tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def titles_to_remove(api: httpx.Client) -> Iterator[list[str]]:
    """Yield a list of titles; delete books with those titles left by a failed test."""
    titles: list[str] = []
    yield titles
    for title in titles:
        for book in api.get("books/", params={"title": title}).json()["results"]:
            api.delete(f"books/{book['id']}/")


def css(browser: WebDriver, selector: str) -> WebElement:
    return browser.find_element(By.CSS_SELECTOR, selector)


def heading(browser: WebDriver) -> str:
    return css(browser, "h1").text


def shown_ids(browser: WebDriver) -> list[int]:
    return book_ids(browser.page_source.encode())


def message(browser: WebDriver) -> str:
    return css(browser, ".messages .message").text


def fill(field: WebElement, value: str) -> None:
    field.clear()
    field.send_keys(value)


def test_browse_filter_page_open_create_edit_and_delete(
    browser: WebDriver, storefront_url: str, provider_db: SQL, titles_to_remove: list[str]
) -> None:
    """Lists, filters, pages, opens a book, then adds, edits and deletes one through the forms."""
    # The list: the first 20 books by title, with the provider's count.
    browser.get(f"{storefront_url}/")
    assert heading(browser) == "Books"
    total = count(provider_db)
    assert css(browser, ".summary").text == f"Showing 1{EN_DASH}20 of {total} books."
    assert shown_ids(browser) == ids(provider_db)
    snapshot(browser, "list")

    # Filter: title contains "river", in print, cheapest first.
    fill(css(browser, "#id_q"), "river")
    Select(css(browser, "#id_in_print")).select_by_visible_text("In print")
    Select(css(browser, "#id_ordering")).select_by_visible_text("Price, lowest first")
    follow(browser, css(browser, ".filters button[type=submit]").click)
    where = "title LIKE '%river%' AND in_print = 1"
    assert "q=river" in browser.current_url
    assert shown_ids(browser) == ids(provider_db, where, order="price, id")
    assert css(browser, ".summary").text.endswith(f"of {count(provider_db, where)} books.")

    # Clear the filters, then page forward with "Next" and to page 3 by its number.
    follow(browser, browser.find_element(By.LINK_TEXT, "Clear filters").click)
    follow(browser, css(browser, ".pagination a[rel=next]").click)
    assert browser.current_url.endswith("/?page=2")
    assert shown_ids(browser) == ids(provider_db, offset=20)
    follow(browser, css(browser, ".pagination").find_element(By.LINK_TEXT, "3").click)
    assert css(browser, ".pagination a[aria-current=page]").text == "3"
    assert shown_ids(browser) == ids(provider_db, offset=40)

    # Open the first book of the page.
    book_id = shown_ids(browser)[0]
    follow(browser, css(browser, f'table.books a[href="/books/{book_id}/"]').click)
    title, price = provider_db("SELECT title, price FROM provider_book WHERE id = ?", (book_id,))[0]
    assert heading(browser) == title
    assert f"Price\n${Decimal(str(price)):,.2f}" in css(browser, "dl.facts").text
    snapshot(browser, "detail")

    # Add a book through the create form.
    new_title = f"Browser Book {secrets.token_hex(3)}"
    titles_to_remove.append(new_title)
    author_id, author_name = provider_db("SELECT id, name FROM provider_author ORDER BY id")[0]
    genre_ids = [row[0] for row in provider_db("SELECT id FROM provider_genre ORDER BY id")]
    follow(browser, css(browser, ".site-header a.button").click)
    assert heading(browser) == "Add a book"
    fill(css(browser, "#id_title"), new_title)
    Select(css(browser, "#id_author")).select_by_visible_text(author_name)
    fill(css(browser, "#id_price"), "18.40")
    # A date input's typed format follows the browser's locale; set its ISO value instead.
    browser.execute_script("arguments[0].value = '2021-03-04'", css(browser, "#id_published"))
    fill(css(browser, "#id_tags"), "signed, browser")
    for genre_id in genre_ids[0], genre_ids[2]:
        css(browser, f'input[name="genres"][value="{genre_id}"]').click()
    follow(browser, css(browser, "form.edit button[type=submit]").click)
    assert message(browser) == f"“{new_title}” was added."
    assert heading(browser) == new_title
    rows = provider_db(
        "SELECT id, author_id, price, published, in_print, tags FROM provider_book WHERE title = ?",
        (new_title,),
    )
    assert len(rows) == 1
    new_id, *values = rows[0]
    assert values == [author_id, 18.4, "2021-03-04", 1, json.dumps(["signed", "browser"])]
    assert browser.current_url.endswith(f"/books/{new_id}/")
    linked = provider_db(
        "SELECT genre_id FROM provider_book_genres WHERE book_id = ? ORDER BY genre_id", (new_id,)
    )
    assert [row[0] for row in linked] == [genre_ids[0], genre_ids[2]]

    # Edit it: a new price, out of print.
    follow(browser, browser.find_element(By.LINK_TEXT, "Edit").click)
    assert heading(browser) == f"Edit “{new_title}”"
    fill(css(browser, "#id_price"), "21.25")
    css(browser, "#id_in_print").click()
    follow(browser, css(browser, "form.edit button[type=submit]").click)
    assert message(browser) == f"Your changes to “{new_title}” were saved."
    assert "Price\n$21.25" in css(browser, "dl.facts").text
    assert "Availability\nOut of print" in css(browser, "dl.facts").text
    saved = provider_db(
        "SELECT price, in_print, published FROM provider_book WHERE id = ?", (new_id,)
    )
    assert saved == [(21.25, 0, datetime.date(2021, 3, 4).isoformat())]

    # Delete it, confirming on the confirmation page.
    follow(browser, browser.find_element(By.LINK_TEXT, "Delete").click)
    assert heading(browser) == f"Delete “{new_title}”?"
    follow(browser, css(browser, "form button.danger").click)
    assert message(browser) == f"“{new_title}” was deleted."
    assert browser.current_url == f"{storefront_url}/"
    assert provider_db("SELECT id FROM provider_book WHERE id = ?", (new_id,)) == []
    assert count(provider_db) == total


def test_missing_page_is_the_storefronts_styled_404(
    browser: WebDriver, storefront_url: str
) -> None:
    """Answers a missing book with the storefront's own 404 page, styled, not Django's."""
    browser.get(f"{storefront_url}/books/999999/")
    assert heading(browser) == "Page not found"
    assert browser.title == "Page not found · Storefront"
    assert "/books/999999/" in css(browser, ".notice").text
    # The stylesheet loaded: the header's bottom border is the storefront's.
    border = browser.execute_script(
        "return getComputedStyle(document.querySelector('.site-header')).borderBottomStyle"
    )
    assert border == "solid"
    snapshot(browser, "not-found")


def test_unavailable_page_appears_within_a_second(browser: WebDriver, provider: Provider) -> None:
    """Shows the "unavailable" page in under a second when nothing listens at the provider."""
    nowhere = f"http://127.0.0.1:{free_port()}/api/"
    with start_uvicorn(ASGI_APP, env=storefront_env(provider, nowhere)) as url:
        browser.get(url)  # once, so that the timing below has no start-up cost in it
        started = time.monotonic()
        browser.get(url)
        elapsed = time.monotonic() - started
        assert heading(browser) == "The catalogue is unavailable"
        snapshot(browser, "unavailable")
    assert elapsed < UNAVAILABLE_WITHIN, f"the page took {elapsed:.2f} s"
