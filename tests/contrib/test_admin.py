"""Django's admin on remote models, driven with Django's test client against the real provider.

The storefront's own admin (``example_project/storefront/admin.py``) is the one
tested: its ``RemoteModelAdmin`` classes over the provider's books, authors and
genres. Every request the package sends goes through a recording proxy in front of
the provider, so each test sees the requests a page cost; ``provider_db`` reads
the provider's SQLite file to check the rows a page shows, or a write really made.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission, User
from django.contrib.contenttypes.models import ContentType
from django.test import Client, RequestFactory, override_settings

from django_api_orm import RemoteModel, fields, services
from django_api_orm.admin import RemoteModelAdmin, check_remote_models_registered_with_remote_admin
from django_api_orm.bridge import run_sync
from example_project.storefront.admin import AuthorAdmin, BookAdmin
from example_project.storefront.models import Author, Book
from tests.conftest import Provider
from tests.integration.proxy import proxy

SQL = Callable[..., list[tuple[Any, ...]]]
DIALECT = "example_project.storefront.dialects.ProviderDialect"
BOOKS = "/admin/storefront/book/"


@pytest.fixture
def counted(provider: Provider) -> Iterator[list[str]]:
    """Point the storefront's service at a recording proxy of the provider; yield its log.

    The proxy runs on an event loop of its own thread: the admin's views are sync,
    and the test client runs them in the test's thread.
    """
    started = threading.Event()
    box: dict[str, Any] = {}

    async def serve() -> None:
        async with proxy(provider.base_url.removesuffix("/api/")) as (url, seen):
            box.update(url=url, seen=seen, loop=asyncio.get_running_loop())
            box["stop"] = asyncio.Event()
            started.set()
            await box["stop"].wait()

    thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
    thread.start()
    assert started.wait(10), "the recording proxy did not start"
    service = provider.service(BASE_URL=f"{box['url']}/api/", DIALECT=DIALECT)
    try:
        with override_settings(
            API_ORM_SERVICES={"default": service}, ROOT_URLCONF="tests.contrib.admin_urls"
        ):
            try:
                yield box["seen"]
            finally:
                # The views ran on the sync bridge: close its connections to the proxy.
                run_sync(services.aclose_all, hint="await services.aclose_all()")
    finally:
        box["loop"].call_soon_threadsafe(box["stop"].set)
        thread.join(10)


@pytest.fixture
def client(db: None, counted: list[str]) -> Client:
    """Return Django's test client logged in as a superuser of the consumer's database."""
    user = User.objects.create_superuser("admin", "admin@example.com", "pw")
    client = Client()
    client.force_login(user)
    return client


def changelist_ids(page: bytes) -> list[int]:
    """Return the pks of the rows of a changelist page, in order."""
    return [
        int(pk)
        for pk in re.findall(
            rb'<th class="field-\w+"><a href="/admin/storefront/book/(\d+)/change/', page
        )
    ]


def book_ids(sql: SQL, where: str = "1=1", params: tuple[Any, ...] = ()) -> list[int]:
    """Return the provider's book ids matching ``where`` in the admin's order (title, -id)."""
    return [
        r[0]
        for r in sql(f"SELECT id FROM provider_book WHERE {where} ORDER BY title, id DESC", params)
    ]


def lists(seen: list[str]) -> list[str]:
    return [r for r in seen if r.startswith("GET /api/books/?")]


def test_changelist_shows_the_providers_pages(
    client: Client, counted: list[str], provider_db: SQL
) -> None:
    """Page 1 and page 2 show the provider's rows 1-100 and 101-200, in a few requests."""
    expected = book_ids(provider_db)
    page = client.get(BOOKS)
    assert page.status_code == 200
    assert changelist_ids(page.content) == expected[:100]
    assert f"{len(expected)} books".encode() in page.content
    # in_print shows the admin's yes/no icons; only Meta.ordering_fields columns sort.
    assert b'src="/static/admin/img/icon-yes.svg" alt="True"' in page.content
    assert b'<th scope="col" class="sortable column-price' in page.content
    assert b'<th scope="col" class="column-in_print">' in page.content
    # One count (a page of 1), one page of 100, one batch of authors for the column,
    # every author for the filter's choices: never a request per row.
    assert not [r for r in counted if re.match(r"GET /api/(books|authors)/\d+/", r)]
    assert len(lists(counted)) == 2, counted
    assert any("page_size=1&" in r or r.endswith("page_size=1") for r in lists(counted))
    assert len(counted) <= 5, counted

    counted.clear()
    page = client.get(BOOKS, {"p": "2"})
    assert changelist_ids(page.content) == expected[100:200]
    assert "GET /api/books/?ordering=title,-id&page=2&page_size=100" in counted


def test_show_all_lists_every_row(
    client: Client, counted: list[str], provider_db: SQL, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "Show all" lists every row when there are no more than list_max_show_all."""
    monkeypatch.setattr(BookAdmin, "list_max_show_all", 300)
    page = client.get(BOOKS, {"all": ""})
    assert changelist_ids(page.content) == book_ids(provider_db)
    # The count, then the rows in pages of the service's PAGE_SIZE (100): 3 pages.
    assert len(lists(counted)) == 4, counted


def test_search_sends_the_providers_search(
    client: Client, counted: list[str], provider_db: SQL
) -> None:
    """The search box sends search=term; the rows are those whose title matches."""
    word = provider_db("SELECT title FROM provider_book ORDER BY id LIMIT 1")[0][0].split()[0]
    page = client.get(BOOKS, {"q": word})
    assert page.status_code == 200
    assert any(f"search={word}" in r for r in lists(counted)), counted
    expected = book_ids(provider_db, "title LIKE ?", (f"%{word}%",))
    assert expected
    assert changelist_ids(page.content) == expected[:100]


def test_boolean_filter(client: Client, counted: list[str], provider_db: SQL) -> None:
    """The in_print filter sends in_print=false and shows the books out of print."""
    page = client.get(BOOKS, {"in_print__exact": "0"})
    assert page.status_code == 200
    # The filtered count and page, and the count of every row ("N results (240 total)").
    assert [r for r in lists(counted) if "in_print" in r] == [
        "GET /api/books/?in_print=false&page_size=1",
        "GET /api/books/?in_print=false&ordering=title,-id&page_size=100",
    ]
    assert changelist_ids(page.content) == book_ids(provider_db, "in_print = 0")[:100]


def test_foreign_key_filter(client: Client, counted: list[str], provider_db: SQL) -> None:
    """The author filter (author__id__exact=3) sends author=3; the choices are the authors."""
    page = client.get(BOOKS, {"author__id__exact": "3"})
    assert page.status_code == 200
    assert "GET /api/books/?author=3&ordering=title,-id&page_size=100" in counted
    assert changelist_ids(page.content) == book_ids(provider_db, "author_id = 3")
    # The filter lists every author (one list request), the selected one marked.
    names = [r[0] for r in provider_db("SELECT name FROM provider_author ORDER BY name")]
    html = page.content.decode().split('data-filter-title="author"', 1)[1]
    shown = re.findall(r'<a href="\?author__id__exact=\d+">(.*?)</a>', html)
    assert [h.replace("&#x27;", "'") for h in shown] == names
    selected = re.search(r'<li class="selected">\s*<a href="\?author__id__exact=3">(.*?)</a>', html)
    name = provider_db("SELECT name FROM provider_author WHERE id = 3")[0][0]
    assert selected is not None and selected.group(1) == name


def test_date_filter(client: Client, counted: list[str], provider_db: SQL) -> None:
    """Django's date filter (published__gte, published__lt, published__isnull) is sent as is."""
    page = client.get(BOOKS, {"published__gte": "1960-01-01", "published__lt": "1970-01-01"})
    assert page.status_code == 200
    assert (
        "GET /api/books/?published__gte=1960-01-01&published__lt=1970-01-01"
        "&ordering=title,-id&page_size=100" in counted
    ), counted
    where = "published >= '1960-01-01' AND published < '1970-01-01'"
    assert changelist_ids(page.content) == book_ids(provider_db, where)

    page = client.get(BOOKS, {"published__isnull": "True"})
    assert "GET /api/books/?published__isnull=true&ordering=title,-id&page_size=100" in counted
    assert changelist_ids(page.content) == book_ids(provider_db, "published IS NULL")


def test_ordering_by_a_column(client: Client, counted: list[str], provider_db: SQL) -> None:
    """Sorting by the price column sends ordering=-price,title,-id (Django's order: the
    column, then the admin's ordering, then the pk); the rows follow."""
    page = client.get(BOOKS, {"o": "-3"})  # 0 is the action checkbox, 3 the price
    assert page.status_code == 200
    assert any("ordering=-price,title,-id&" in r for r in lists(counted)), counted
    rows = provider_db("SELECT id FROM provider_book ORDER BY price DESC, title, id DESC LIMIT 100")
    assert changelist_ids(page.content) == [r[0] for r in rows]


def test_unknown_query_parameter_is_refused(client: Client, counted: list[str]) -> None:
    """A filter the provider does not declare redirects with ?e=1, as Django's admin does."""
    page = client.get(BOOKS, {"tags__exact": "x"})
    assert page.status_code == 302
    assert page["Location"].endswith("?e=1")


def _book_form(author: int, **values: Any) -> dict[str, Any]:
    return {
        "title": "Admin test book",
        "author": str(author),
        "price": "12.50",
        "published": "2001-02-03",
        "in_print": "on",
        "tags": "[]",
        "genres": "[]",
        **values,
    }


def test_add_change_delete_through_the_provider(
    client: Client, counted: list[str], provider_db: SQL
) -> None:
    """The add, change and delete views write through the provider; history shows them."""
    page = client.post(f"{BOOKS}add/", _book_form(2, title="Admin test: added"))
    assert page.status_code == 302, page.content.decode()[:3000]
    rows = provider_db(
        "SELECT id, title, author_id, price FROM provider_book WHERE title = ?",
        ("Admin test: added",),
    )
    assert len(rows) == 1
    pk = rows[0][0]
    assert Decimal(str(rows[0][3])) == Decimal("12.50")
    assert any(r.startswith("POST /api/books/") for r in counted)

    page = client.get(f"{BOOKS}{pk}/change/")
    assert page.status_code == 200
    assert b'value="Admin test: added"' in page.content

    page = client.post(f"{BOOKS}{pk}/change/", _book_form(3, title="Admin test: changed"))
    assert page.status_code == 302
    assert provider_db("SELECT title, author_id FROM provider_book WHERE id = ?", (pk,)) == [
        ("Admin test: changed", 3)
    ]

    page = client.get(f"{BOOKS}{pk}/history/")
    assert page.status_code == 200
    entries = LogEntry.objects.filter(object_id=str(pk)).order_by("action_time")
    assert [e.action_flag for e in entries] == [1, 2]
    assert entries[0].content_type == ContentType.objects.get_for_model(
        Book, for_concrete_model=False
    )

    page = client.get(f"{BOOKS}{pk}/delete/")
    assert page.status_code == 200
    assert b"does not tell what else it deletes" in page.content
    page = client.post(f"{BOOKS}{pk}/delete/", {"post": "yes"})
    assert page.status_code == 302
    assert provider_db("SELECT id FROM provider_book WHERE id = ?", (pk,)) == []
    assert any(r == f"DELETE /api/books/{pk}/" for r in counted)


def test_missing_object_redirects(client: Client, counted: list[str]) -> None:
    """A pk the provider answers 404 for gives the admin's "doesn't exist" redirect."""
    page = client.get(f"{BOOKS}999999/change/")
    assert page.status_code == 302
    assert page["Location"] == "/admin/"


def test_a_providers_400_shows_on_the_field(
    client: Client, counted: list[str], provider_db: SQL
) -> None:
    """A date in the future, refused by the provider, shows under the field; nothing is saved."""
    page = client.post(
        f"{BOOKS}add/", _book_form(2, title="Admin test: future", published="2999-01-01")
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "Publication date cannot be in the future." in html
    assert re.search(
        r'id="id_published_error">\s*<li>Publication date cannot be in the future', html
    ), html[:200]
    assert (
        provider_db("SELECT id FROM provider_book WHERE title = ?", ("Admin test: future",)) == []
    )
    # Out of print and too dear: the provider's non-field error, above the form.
    page = client.post(
        f"{BOOKS}add/", _book_form(2, title="Admin test: dear", price="900", in_print="")
    )
    assert page.status_code == 200
    assert "cannot cost more than 500.00" in page.content.decode()


def test_delete_selected_action(client: Client, counted: list[str], provider_db: SQL) -> None:
    """The bulk "delete selected" action deletes the checked books through the provider."""
    pks = [
        Book.objects.create(title=f"Admin test: bulk {i}", author_id=2, price=Decimal(1)).pk
        for i in range(2)
    ]
    data = {"action": "delete_selected", "_selected_action": [str(pk) for pk in pks]}
    page = client.post(BOOKS, data)
    assert page.status_code == 200
    assert b"does not tell what else it deletes" in page.content
    assert b"Admin test: bulk 0" in page.content
    page = client.post(BOOKS, {**data, "post": "yes"})
    assert page.status_code == 302
    assert provider_db(f"SELECT id FROM provider_book WHERE id IN ({pks[0]}, {pks[1]})") == []
    assert LogEntry.objects.filter(action_flag=3).count() == 2


def test_index_lists_the_remote_models(client: Client, counted: list[str]) -> None:
    """The admin index lists the storefront's remote models under their app."""
    page = client.get("/admin/")
    assert page.status_code == 200
    for path in ("storefront/book/", "storefront/author/", "storefront/genre/"):
        assert f'href="/admin/{path}"'.encode() in page.content


def test_staff_needs_the_remote_models_permissions(db: None, counted: list[str]) -> None:
    """post_migrate made the permissions of the remote models; a staff user needs them."""
    user = User.objects.create_user("staff", password="pw", is_staff=True)
    staff = Client()
    staff.force_login(user)
    assert staff.get(BOOKS).status_code == 403
    user.user_permissions.add(
        Permission.objects.get(codename="view_book", content_type__app_label="storefront")
    )
    staff.force_login(User.objects.get(pk=user.pk))
    assert staff.get(BOOKS).status_code == 200


# --- checks --------------------------------------------------------------------------------


def _ids(model: type[Any], admin_class: type[Any]) -> list[str]:
    with override_settings(
        API_ORM_SERVICES={"default": {"BASE_URL": "http://127.0.0.1:9/api/", "DIALECT": DIALECT}}
    ):
        return [m.id for m in admin_class(model, admin.AdminSite()).check()]


def test_checks_pass_for_the_storefronts_admin() -> None:
    """The storefront's admin classes pass Django's and the package's checks."""
    assert _ids(Book, BookAdmin) == []
    assert _ids(Author, AuthorAdmin) == []


@pytest.mark.parametrize(
    ("options", "check_id"),
    [
        ({"date_hierarchy": "published"}, "django_api_orm.E101"),
        ({"list_editable": ["price"], "list_display": ["title", "price"]}, "django_api_orm.E102"),
        ({"raw_id_fields": ["author"]}, "django_api_orm.E103"),
        ({"list_filter": ["tags"]}, "django_api_orm.E108"),
        ({"list_filter": ["created_at"]}, "django_api_orm.E108"),
        ({"ordering": ["in_print"]}, "django_api_orm.E110"),
    ],
)
def test_checks_refuse_what_cannot_work(options: dict[str, Any], check_id: str) -> None:
    """Each option that cannot work over HTTP is an error naming it."""
    admin_class = type("BadAdmin", (BookAdmin,), options)
    assert check_id in _ids(Book, admin_class)


def test_a_list_filter_the_provider_does_not_declare_is_an_error() -> None:
    """born's date filter sends born__gte, which Author.Meta.filter_fields does not declare."""
    admin_class = type("BadAdmin", (AuthorAdmin,), {"list_filter": ["born"]})
    with override_settings(
        API_ORM_SERVICES={"default": {"BASE_URL": "http://127.0.0.1:9/api/", "DIALECT": DIALECT}}
    ):
        errors = admin_class(Author, admin.AdminSite()).check()
    assert [e.id for e in errors] == ["django_api_orm.E108"]
    assert "born__gte" in errors[0].msg


def test_search_needs_a_search_param() -> None:
    """search_fields with a dialect that has no search parameter is an error."""
    with override_settings(API_ORM_SERVICES={"default": {"BASE_URL": "http://127.0.0.1:9/api/"}}):
        errors = BookAdmin(Book, admin.AdminSite()).check()
    assert [e.id for e in errors] == ["django_api_orm.E109"]


def test_a_remote_model_registered_with_modeladmin_is_an_error() -> None:
    """admin.site.register(Book) with Django's ModelAdmin is an error naming RemoteModelAdmin."""
    site = admin.AdminSite(name="plain")
    site.register(Book)
    try:
        errors = check_remote_models_registered_with_remote_admin()
    finally:
        site.unregister(Book)
    mine = [e for e in errors if "'plain'" in e.msg]
    assert [e.id for e in mine] == ["django_api_orm.E111"]
    assert "RemoteModelAdmin" in (mine[0].hint or "")


@pytest.mark.django_db(transaction=True)
async def test_changelist_under_asgi(counted: list[str], provider_db: SQL) -> None:
    """Under ASGI (Django's AsyncClient) the admin's sync views run in a thread: same page."""
    from asgiref.sync import sync_to_async
    from django.test import AsyncClient

    user = await sync_to_async(User.objects.create_superuser)("asgi", "a@example.com", "pw")
    client = AsyncClient()
    await client.aforce_login(user)
    page = await client.get(BOOKS, {"p": "2"})
    assert page.status_code == 200
    assert changelist_ids(page.content) == book_ids(provider_db)[100:200]


def test_remote_model_admin_on_a_database_model_is_an_error() -> None:
    """RemoteModelAdmin registered for a Django model is an error saying so."""
    errors = RemoteModelAdmin(User, admin.AdminSite(name="db")).check()
    assert [e.id for e in errors] == ["django_api_orm.E112"]


def test_authors_and_genres(client: Client, counted: list[str], provider_db: SQL) -> None:
    """The authors' and genres' pages work; genres have no actions (no id__in filter)."""
    authors = [r[0] for r in provider_db("SELECT id FROM provider_author ORDER BY name, id DESC")]
    page = client.get("/admin/storefront/author/")
    assert page.status_code == 200
    found = re.findall(rb'<a href="/admin/storefront/author/(\d+)/change/', page.content)
    assert [int(pk) for pk in found] == authors
    assert b'name="action"' in page.content
    assert client.get(f"/admin/storefront/author/{authors[0]}/change/").status_code == 200

    page = client.get("/admin/storefront/genre/", {"q": "a"})
    assert page.status_code == 200
    assert any("search=a" in r for r in counted)
    assert b'name="action"' not in page.content
    genre = provider_db("SELECT id FROM provider_genre ORDER BY id LIMIT 1")[0][0]
    assert client.get(f"/admin/storefront/genre/{genre}/change/").status_code == 200


class RefusingDeletes(httpx.AsyncBaseTransport):
    """A TRANSPORT answering every DELETE 409, as a provider keeping a book would."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "DELETE":
            return httpx.Response(409, json={"detail": "This book is on order."}, request=request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_a_refused_delete_is_a_message(
    client: Client, counted: list[str], provider_db: SQL
) -> None:
    """A provider's 409 to the DELETE shows its reason; the book and no log entry remain."""
    book = Book.objects.create(title="Admin test: kept", author_id=2, price=Decimal(1))
    service = {**settings.API_ORM_SERVICES["default"], "TRANSPORT": RefusingDeletes}
    try:
        with override_settings(API_ORM_SERVICES={"default": service}):
            page = client.post(f"{BOOKS}{book.pk}/delete/", {"post": "yes"}, follow=True)
            assert page.redirect_chain == [(f"{BOOKS}{book.pk}/change/", 302)]
            assert "The provider refused to delete Admin test: kept" in page.content.decode()
            assert "This book is on order." in page.content.decode()

            data = {"action": "delete_selected", "_selected_action": [str(book.pk)], "post": "yes"}
            page = client.post(BOOKS, data, follow=True)
            assert page.status_code == 200
            assert "The provider refused a DELETE" in page.content.decode()
            run_sync(services.aclose_all, hint="await services.aclose_all()")
        assert provider_db("SELECT title FROM provider_book WHERE id = ?", (book.pk,)) == [
            ("Admin test: kept",)
        ]
        assert not LogEntry.objects.filter(object_id=str(book.pk)).exists()
    finally:
        book.delete()


class Lamp(RemoteModel):
    name = fields.CharField()
    lit = fields.BooleanField()

    class Meta:
        app_label = "testapp"
        endpoint = "lamps/"
        filter_fields = {"id": ["in"]}
        ordering_fields = ["id", "name", "lit"]


def test_a_boolean_column_the_provider_orders_by_is_sortable() -> None:
    """The yes/no column of a boolean field of Meta.ordering_fields is among the sortable
    columns: the changelist compares the columns of both lists by identity."""

    class LampAdmin(RemoteModelAdmin):
        list_display = ["name", "lit"]

    model_admin = LampAdmin(Lamp, admin.AdminSite(name="lamps"))
    request = RequestFactory().get("/")
    columns = model_admin.get_list_display(request)
    assert getattr(columns[1], "boolean", False)
    assert model_admin.get_sortable_by(request) == columns


class Rack(RemoteModel):
    name = fields.CharField()
    lamps = fields.ManyToManyField(Lamp, related_name="racks")

    class Meta:
        app_label = "testapp"
        endpoint = "racks/"
        filter_fields = {"id": ["in"]}
        ordering_fields = ["id"]


def test_to_field_on_a_model_with_a_many_to_many_field() -> None:
    """``?_to_field=`` names the pk, or it is refused (a 400), on a model with a
    many-to-many field too (Django asks the field's m2m_target_field_name())."""
    model_admin = RemoteModelAdmin(Rack, admin.AdminSite(name="racks"))
    request = RequestFactory().get("/")
    assert model_admin.to_field_allowed(request, "id")
    assert not model_admin.to_field_allowed(request, "name")


class RefusingWrites(RefusingDeletes):
    """A TRANSPORT answering every PUT 403, as a provider forbidding a change would."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "PUT":
            body = {"detail": "You may not change this book."}
            return httpx.Response(403, json=body, request=request)
        return await self.inner.handle_async_request(request)


def test_a_refused_save_shows_the_form_again(
    client: Client, counted: list[str], provider_db: SQL
) -> None:
    """A provider's 403 to the PUT shows the change form again with its reason (not a
    500); the book keeps its values and no log entry is written."""
    book = Book.objects.create(title="Admin test: guarded", author_id=2, price=Decimal(1))
    service = {**settings.API_ORM_SERVICES["default"], "TRANSPORT": RefusingWrites}
    try:
        with override_settings(API_ORM_SERVICES={"default": service}):
            data = _book_form(2, title="Admin test: guarded", price="2.00")
            page = client.post(f"{BOOKS}{book.pk}/change/", data)
            run_sync(services.aclose_all, hint="await services.aclose_all()")
        assert page.status_code == 200
        html = page.content.decode()
        assert "The provider refused to save this book" in html
        assert "You may not change this book." in html
        assert provider_db("SELECT price FROM provider_book WHERE id = ?", (book.pk,)) == [(1,)]
        assert not LogEntry.objects.filter(object_id=str(book.pk)).exists()
    finally:
        book.delete()
