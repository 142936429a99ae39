"""``RequestsPanel`` in the real django-debug-toolbar: what each page shows of its requests.

The ``toolbar`` fixture installs the toolbar as a project would (``debug_toolbar`` and
``staticfiles`` in ``INSTALLED_APPS``, its middleware first, ``DEBUG`` on, 127.0.0.1 in
``INTERNAL_IPS``, its URLs) with this module as the URLconf. Pages are served by
Django's test clients: ``AsyncClient`` runs the ASGI handler (async middleware, an
``async def`` view or a sync view in a thread), ``Client`` the WSGI one. respx answers
the requests to https://api.example.test/api/ (``tests/settings.py``'s "default"
service); the last test serves a storefront page from the running example provider.

A page's panel is read as the browser reads it: the page names its ``request_id``,
and the toolbar's ``render_panel`` view answers the panel's HTML from the toolbar's
store (where the stats went through its JSON serializer).
"""

from __future__ import annotations

import asyncio
import html
import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
import respx
from django.conf import settings
from django.core.checks.registry import registry
from django.http import HttpRequest, HttpResponse
from django.test import AsyncClient, Client, override_settings
from django.urls import include, path

from django_api_orm import ConnectionError
from django_api_orm.contrib.debug_toolbar import RequestsPanel
from django_api_orm.contrib.debug_toolbar.panel import current_recorder
from tests.conftest import Provider
from tests.testapp.models import Author, Book

API = "https://api.example.test/api/"
PANEL = "django_api_orm.contrib.debug_toolbar.RequestsPanel"


def book(pk: int) -> dict[str, Any]:
    return {"id": pk, "title": f"Book {pk}", "price": "10.00", "author": 1}


def page(body: str) -> HttpResponse:
    return HttpResponse(f"<!DOCTYPE html><html><body><p>{body}</p></body></html>")


async def async_page(request: HttpRequest) -> HttpResponse:
    """Two GETs of books, the second one twice (a repeated GET), and one of authors."""
    first = await Book.objects.aget(pk=1)
    again = [await Book.objects.aget(pk=2) for _ in range(2)]
    authors = [author async for author in Author.objects.all()]
    return page(f"{first.title}, {again[0].title}, {len(authors)} authors")


def sync_page(request: HttpRequest) -> HttpResponse:
    """The same page through the sync twins (the bridge's background loop)."""
    first = Book.objects.get(pk=1)
    return page(f"{first.title}, {Author.objects.count()} authors")


#: Set by test_concurrent_pages_see_only_their_own_requests: both pages wait there.
BARRIER: list[asyncio.Barrier] = []


async def concurrent_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Fetch book ``pk``, wait for the other page to have fetched its own, fetch again."""
    await Book.objects.aget(pk=pk)
    await BARRIER[0].wait()
    await Book.objects.filter(title=f"page {pk}").acount()
    return page(f"page {pk}")


#: Set by test_concurrent_sync_pages_see_only_their_own_requests.
THREAD_BARRIER: list[threading.Barrier] = []


def concurrent_sync_page(request: HttpRequest, pk: int) -> HttpResponse:
    """``concurrent_page`` as a sync view: two threads, each its own page."""
    Book.objects.get(pk=pk)
    THREAD_BARRIER[0].wait(timeout=10)
    Book.objects.filter(title=f"page {pk}").count()
    return page(f"page {pk}")


async def failing_page(request: HttpRequest) -> HttpResponse:
    """A request that fails (no answer, or an error status), caught by the view."""
    try:
        await Book.objects.aget(pk=1)
    except (ConnectionError, Book.DoesNotExist) as error:
        return page(f"failed: {type(error).__name__}")
    return page("answered")


def __getattr__(name: str) -> Any:
    """This module's ``urlpatterns`` (it is the tests' URLconf), built on first use.

    The toolbar's URLs import its models, which exist only once ``debug_toolbar``
    is installed: the ``toolbar`` fixture installs it before the first request.
    """
    if name != "urlpatterns":
        raise AttributeError(name)
    return [
        path("__debug__/", include("debug_toolbar.urls")),
        path("async/", async_page),
        path("sync/", sync_page),
        path("concurrent/<int:pk>/", concurrent_page),
        path("concurrent-sync/<int:pk>/", concurrent_sync_page),
        path("failing/", failing_page),
        path("", include("example_project.storefront.urls")),
    ]


@pytest.fixture
def toolbar() -> Iterator[None]:
    """Install django-debug-toolbar with only the RequestsPanel, this module the URLconf."""
    # Installing the app registers the toolbar's system checks for the whole process
    # (debug_toolbar.W001 "middleware missing"...): put the registry back afterwards.
    checks = (set(registry.registered_checks), set(registry.deployment_checks))
    # One override: Django installs the apps first, then tells the toolbar of its
    # settings (which imports its models, so the app must be installed by then).
    # Installing runs before the settings change, so the toolbar's ready() calls its
    # default panels' ready() (idempotent patches of CacheHandler and the staticfiles
    # storage, which stay for the session, as in any project with the toolbar).
    with override_settings(
        INSTALLED_APPS=[*settings.INSTALLED_APPS, "django.contrib.staticfiles", "debug_toolbar"],
        DEBUG=True,
        INTERNAL_IPS=["127.0.0.1"],
        DEBUG_TOOLBAR_PANELS=[PANEL],
        DEBUG_TOOLBAR_CONFIG={"IS_RUNNING_TESTS": False},
        MIDDLEWARE=["debug_toolbar.middleware.DebugToolbarMiddleware", *settings.MIDDLEWARE],
        ROOT_URLCONF=__name__,
    ):
        yield
    registry.registered_checks, registry.deployment_checks = checks


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=API, assert_all_called=False) as router:
        yield router


def request_id(response: HttpResponse) -> str:
    """Return the id under which the toolbar stored this page's panels."""
    assert response.status_code == 200, response.content[:500]
    found = re.search(rb'data-request-id="([0-9a-f]+)"', response.content)
    assert found is not None, "the page has no toolbar"
    return found.group(1).decode()


def nav_subtitle(response: HttpResponse) -> str:
    """Return the panel's subtitle in the toolbar's side bar, e.g. "3 requests in 4.1 ms"."""
    content = response.content.decode()
    found = re.search(r'id="djdt-RequestsPanel".*?<small>\s*(.*?)\s*</small>', content, re.S)
    assert found is not None, "the side bar has no RequestsPanel"
    return html.unescape(found.group(1))


def stats(response: HttpResponse) -> dict[str, Any]:
    """Return the panel's stats for this page, as the toolbar's store kept them."""
    from debug_toolbar.toolbar import DebugToolbar

    stored = DebugToolbar.fetch(request_id(response), RequestsPanel.panel_id)
    assert stored is not None
    recorded: dict[str, Any] = stored.get_panel_by_id(RequestsPanel.panel_id).get_stats()
    return recorded


def requests_of(response: HttpResponse) -> list[tuple[str, str, Any, str, int]]:
    """Return (method, url, status, service, attempts) of each request the panel lists."""
    return [
        (row["method"], row["url"], row["status"], row["service"], row["attempts"])
        for row in stats(response)["requests"]
    ]


def mock_books(api: respx.MockRouter) -> None:
    api.get("books/1/").respond(json=book(1))
    api.get("books/2/").respond(json=book(2))
    api.get("authors/").respond(
        json={"count": 1, "next": None, "results": [{"id": 1, "name": "A"}]}
    )


@pytest.mark.usefixtures("toolbar")
async def test_an_async_view_lists_its_requests(api: respx.MockRouter) -> None:
    mock_books(api)
    response = await AsyncClient().get("/async/")

    assert requests_of(response) == [
        ("GET", f"{API}books/1/", 200, "default", 1),
        ("GET", f"{API}books/2/", 200, "default", 1),
        ("GET", f"{API}books/2/", 200, "default", 1),
        ("GET", f"{API}authors/?ordering=name&page_size=100", 200, "default", 1),
    ]
    recorded = stats(response)
    assert recorded["total_requests"] == 4
    assert recorded["total_time"] == pytest.approx(sum(row["time"] for row in recorded["requests"]))
    # The repeated GET is marked, as the SQL panel marks duplicated queries.
    assert [row["duplicate_count"] for row in recorded["requests"]] == [0, 2, 2, 0]
    assert recorded["duplicate_count"] == 2
    assert re.fullmatch(r"4 requests in \d+\.\d ms", nav_subtitle(response))
    # Nothing is recorded once the page is served.
    assert current_recorder.get() is None


@pytest.mark.usefixtures("toolbar")
def test_a_sync_view_under_wsgi_lists_the_requests_of_its_sync_twins(
    api: respx.MockRouter,
) -> None:
    mock_books(api)
    response = Client().get("/sync/")

    assert requests_of(response) == [
        ("GET", f"{API}books/1/", 200, "default", 1),
        ("GET", f"{API}authors/?page_size=1", 200, "default", 1),
    ]
    assert re.fullmatch(r"2 requests in \d+\.\d ms", nav_subtitle(response))


@pytest.mark.usefixtures("toolbar")
async def test_a_sync_view_under_asgi_lists_its_requests(api: respx.MockRouter) -> None:
    mock_books(api)
    response = await AsyncClient().get("/sync/")

    assert requests_of(response) == [
        ("GET", f"{API}books/1/", 200, "default", 1),
        ("GET", f"{API}authors/?page_size=1", 200, "default", 1),
    ]


@pytest.mark.usefixtures("toolbar")
async def test_concurrent_pages_see_only_their_own_requests(api: respx.MockRouter) -> None:
    for pk in (1, 2):
        api.get(f"books/{pk}/").respond(json=book(pk))
    api.get("books/").respond(json={"count": 0, "next": None, "results": []})
    BARRIER[:] = [asyncio.Barrier(2)]
    try:
        first, second = await asyncio.wait_for(
            asyncio.gather(
                AsyncClient().get("/concurrent/1/"), AsyncClient().get("/concurrent/2/")
            ),
            timeout=10,
        )
    finally:
        BARRIER.clear()

    for pk, response in ((1, first), (2, second)):
        urls = [row[1] for row in requests_of(response)]
        assert urls[0] == f"{API}books/{pk}/"
        assert len(urls) == 2
        assert urls[1] == f"{API}books/?title=page%20{pk}&page_size=1"


@pytest.mark.usefixtures("toolbar")
def test_concurrent_sync_pages_see_only_their_own_requests(api: respx.MockRouter) -> None:
    """WSGI: two threads, two pages; their sync twins share the bridge's one loop."""
    for pk in (1, 2):
        api.get(f"books/{pk}/").respond(json=book(pk))
    api.get("books/").respond(json={"count": 0, "next": None, "results": []})
    THREAD_BARRIER[:] = [threading.Barrier(2)]
    try:
        with ThreadPoolExecutor(2) as pool:
            first, second = pool.map(lambda pk: Client().get(f"/concurrent-sync/{pk}/"), (1, 2))
    finally:
        THREAD_BARRIER.clear()

    for pk, response in ((1, first), (2, second)):
        assert [row[1] for row in requests_of(response)] == [
            f"{API}books/{pk}/",
            f"{API}books/?title=page%20{pk}&page_size=1",
        ]


@pytest.mark.usefixtures("toolbar")
async def test_the_panel_shows_method_url_status_time_service_and_attempts(
    api: respx.MockRouter,
) -> None:
    mock_books(api)
    client = AsyncClient()
    response = await client.get("/async/")

    rendered = await client.get(
        "/__debug__/render_panel/",
        {"request_id": request_id(response), "panel_id": RequestsPanel.panel_id},
    )
    assert rendered.status_code == 200
    content = rendered.json()["content"]
    rows = re.findall(r'<tr class="[^"]*" id="apiRequest_\d+">(.*?)</tr>', content, re.S)
    assert len(rows) == 4
    cells = [
        re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", cell))).strip()
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", rows[1], re.S)
    ]
    method, url, status, service, attempts, _timeline, time = cells
    assert (method, status, service, attempts) == ("GET", "200", "default", "1")
    assert url == f"{API}books/2/ Duplicated 2 times."
    assert re.fullmatch(r"\d+\.\d ms", time)
    assert '<svg class="djDebugLineChart"' in content
    assert "Remote API requests" in html.unescape(response.content.decode())


@pytest.mark.usefixtures("toolbar")
async def test_a_transport_error_shows_no_status_but_the_exception(
    api: respx.MockRouter,
) -> None:
    api.get("books/1/").mock(side_effect=httpx.ConnectError("refused"))
    client = AsyncClient()
    response = await client.get("/failing/")

    assert b"failed: ConnectionError" in response.content
    [row] = stats(response)["requests"]
    assert row["status_code"] is None
    assert row["status"] == "ConnectionError"
    assert row["exception"] == "ConnectionError"
    assert row["failed"] is True
    assert stats(response)["failed_count"] == 1
    rendered = await client.get(
        "/__debug__/render_panel/",
        {"request_id": request_id(response), "panel_id": RequestsPanel.panel_id},
    )
    content = rendered.json()["content"]
    assert 'class="djDebugRowWarning"' in content
    assert "<td>ConnectionError</td>" in content


@pytest.mark.usefixtures("toolbar")
async def test_an_error_status_shows_the_status(api: respx.MockRouter) -> None:
    api.get("books/1/").respond(404, json={"detail": "Not found."})
    response = await AsyncClient().get("/failing/")

    assert b"failed: DoesNotExist" in response.content
    [row] = stats(response)["requests"]
    assert (row["status_code"], row["status"], row["failed"]) == (404, 404, True)
    assert row["exception"] == "NotFoundError"


async def test_without_the_toolbar_nothing_is_recorded(api: respx.MockRouter) -> None:
    mock_books(api)
    await Book.objects.aget(pk=1)
    assert current_recorder.get() is None


@pytest.mark.usefixtures("toolbar")
async def test_a_storefront_page_served_from_the_example_provider(provider: Provider) -> None:
    with override_settings(API_ORM_SERVICES={"default": provider.service()}):
        response = await AsyncClient().get("/")

    listed = requests_of(response)
    assert listed, "the book list made no request"
    assert all(url.startswith(provider.base_url) for _, url, _, _, _ in listed)
    assert {(method, status, service) for method, _, status, service, _ in listed} == {
        ("GET", 200, "default")
    }
    assert re.fullmatch(rf"{len(listed)} requests? in \d+\.\d ms", nav_subtitle(response))
