"""CACHE: GET answers served from the store, revalidated, invalidated by writes.

Every request is pinned with respx; each test runs against a real redis-server and,
where the behaviour is not Redis's own, against a local-memory cache too.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import threading
import time
from typing import Any

import httpx
import pytest
import redis as redis_sync
import respx
from django.test import override_settings

from django_api_orm import RemoteModel, ServerError, fields
from django_api_orm.services import services
from tests.models.conftest import book, page
from tests.redis_server import RedisServer
from tests.shared.conftest import LOGGER, TOKEN, configured, redis_caches, service
from tests.testapp.models import Author, Book

TINY = 0.25  # a TIMEOUT the tests wait out
PAST_TINY = 0.35


class SharedUncachedBook(RemoteModel):
    """A model whose answers are never cached (``cache_timeout = 0``)."""

    id = fields.IntegerField(primary_key=True, read_only=True)
    title = fields.CharField(max_length=200)

    class Meta:
        app_label = "testapp"
        service = "default"
        endpoint = "uncached-books/"
        cache_timeout = 0
        filter_fields: dict[str, list[str]] = {}
        ordering_fields = ["id"]


class SharedShortLivedBook(RemoteModel):
    """A model whose answers are fresh for less time than the service's ``TIMEOUT``."""

    id = fields.IntegerField(primary_key=True, read_only=True)
    title = fields.CharField(max_length=200)

    class Meta:
        app_label = "testapp"
        service = "default"
        endpoint = "short-books/"
        cache_timeout = TINY
        filter_fields: dict[str, list[str]] = {}
        ordering_fields = ["id"]


def cached(**cache: Any) -> dict[str, Any]:
    """A ``service()`` with ``CACHE`` (``TIMEOUT`` 60 unless given)."""
    return service(CACHE={"TIMEOUT": 60, **cache})


def detail(mock: respx.MockRouter, pk: int = 1, **extra: Any) -> respx.Route:
    return mock.get(f"books/{pk}/").respond(json=book(pk, **extra))


# --- reads ---------------------------------------------------------------------------


async def test_second_get_is_not_sent(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Serves the second aget(pk=1) from the cache: one request for two reads."""
    route = detail(api, title="Dune")
    with configured(caches_setting, default=cached()):
        first = await Book.objects.aget(pk=1)
        second = await Book.objects.aget(pk=1)
    assert route.call_count == 1
    assert (first.title, second.title) == ("Dune", "Dune")
    assert first is not second


async def test_without_cache_every_read_is_sent(api: respx.MockRouter) -> None:
    """Sends every read when the service has no CACHE (the default)."""
    route = detail(api)
    with override_settings(API_ORM_SERVICES={"default": service()}):
        await Book.objects.aget(pk=1)
        await Book.objects.aget(pk=1)
    assert route.call_count == 2


async def test_count_and_list_are_cached(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Caches acount() and a list's pages, each under its own URL."""
    route = api.get("books/").respond(json=page([book(1), book(2)]))
    with configured(caches_setting, default=cached()):
        assert await Book.objects.acount() == 2
        assert await Book.objects.acount() == 2
        first = [b.pk async for b in Book.objects.all()]
        second = [b.pk async for b in Book.objects.all()]
        filtered = [b.pk async for b in Book.objects.filter(in_print=True)]
        again = [b.pk async for b in Book.objects.filter(in_print=True)]
    assert first == second == filtered == again == [1, 2]
    sent = [call.request.url.params.get("page_size") for call in route.calls]
    assert sent == ["1", "100", "100"]  # count, list, the filtered list
    assert route.calls[2].request.url.params["in_print"] == "true"


async def test_nocache_sends_every_time_and_stores_nothing(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Sends each nocache() read; the cached read after them is sent too (nothing stored)."""
    route = detail(api)
    with configured(caches_setting, default=cached()):
        for _ in range(3):
            await Book.objects.nocache().aget(pk=1)
        assert route.call_count == 3
        await Book.objects.aget(pk=1)
        assert route.call_count == 4
        await Book.objects.aget(pk=1)  # that one was stored
        assert route.call_count == 4
        await Book.objects.nocache().aget(pk=1)  # and nocache() does not read it
    assert route.call_count == 5


async def test_nocache_list_is_sent_every_time(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Sends every nocache() count and list, whether nocache() comes before or after filter()."""
    route = api.get("books/").respond(json=page([book(1)]))
    with configured(caches_setting, default=cached()):
        for _ in range(2):
            assert await Book.objects.nocache().acount() == 1
            assert [b.pk async for b in Book.objects.nocache()] == [1]
            assert [b.pk async for b in Book.objects.nocache().filter(in_print=True)] == [1]
            assert [b.pk async for b in Book.objects.filter(in_print=True).nocache()] == [1]
            assert await Book.objects.filter(in_print=True).nocache().order_by("id").acount() == 1
    assert route.call_count == 10


async def test_cache_timeout_zero_is_never_cached(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Sends every read of a model with Meta.cache_timeout = 0."""
    route = api.get("uncached-books/1/").respond(json={"id": 1, "title": "A"})
    listing = api.get("uncached-books/").respond(json=page([{"id": 1, "title": "A"}]))
    with configured(caches_setting, default=cached()):
        for _ in range(3):
            assert (await SharedUncachedBook.objects.aget(pk=1)).title == "A"
            assert await SharedUncachedBook.objects.acount() == 1
    assert route.call_count == 3
    assert listing.call_count == 3


async def test_model_cache_timeout_overrides_the_services(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Keeps a model's answers fresh for its Meta.cache_timeout, not the service's TIMEOUT."""
    route = api.get("short-books/1/").respond(json={"id": 1, "title": "A"})
    books = detail(api)
    with configured(caches_setting, default=cached(TIMEOUT=60)):
        await SharedShortLivedBook.objects.aget(pk=1)
        await SharedShortLivedBook.objects.aget(pk=1)
        await Book.objects.aget(pk=1)
        assert (route.call_count, books.call_count) == (1, 1)
        await asyncio.sleep(PAST_TINY)
        await SharedShortLivedBook.objects.aget(pk=1)
        await Book.objects.aget(pk=1)
    assert (route.call_count, books.call_count) == (2, 1)


async def test_entry_expires_after_timeout(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Sends the read again, unconditionally, once TIMEOUT has passed (no validators)."""
    route = detail(api)
    with configured(caches_setting, default=cached(TIMEOUT=TINY)):
        await Book.objects.aget(pk=1)
        await Book.objects.aget(pk=1)
        assert route.call_count == 1
        await asyncio.sleep(PAST_TINY)
        await Book.objects.aget(pk=1)
    assert route.call_count == 2
    assert "if-none-match" not in route.calls[1].request.headers
    assert "if-modified-since" not in route.calls[1].request.headers


# --- writes --------------------------------------------------------------------------


async def _save(api: respx.MockRouter) -> None:
    api.patch("books/1/").respond(json=book(1, title="New"))
    obj = Book(id=1, title="Old", price="1.00")
    obj.title = "New"
    await obj.asave(update_fields=["title"])


async def _create(api: respx.MockRouter) -> None:
    api.post("books/").respond(201, json=book(9))
    await Book.objects.acreate(title="New", price="1.00")


async def _delete(api: respx.MockRouter) -> None:
    api.delete("books/1/").respond(204)
    obj = await Book.objects.nocache().aget(pk=1)
    await obj.adelete()


async def _queryset_update(api: respx.MockRouter) -> None:
    api.patch("books/1/").respond(json=book(1, title="New"))
    assert await Book.objects.filter(id__in=[1]).aupdate(title="New") == 1


async def _queryset_delete(api: respx.MockRouter) -> None:
    api.delete("books/1/").respond(204)
    assert (await Book.objects.filter(id__in=[1]).adelete())[0] == 1


WRITES = {
    "save": _save,
    "create": _create,
    "delete": _delete,
    "queryset-update": _queryset_update,
    "queryset-delete": _queryset_delete,
}


@pytest.mark.parametrize("write", list(WRITES))
async def test_a_write_makes_the_next_read_go_to_the_provider(
    caches_setting: dict[str, Any], api: respx.MockRouter, write: str
) -> None:
    """Sends the detail and the list again after any write through the ORM."""
    one = detail(api, title="Old")
    listing = api.get("books/").respond(json=page([book(1, title="Old")]))
    with configured(caches_setting, default=cached()):
        await Book.objects.aget(pk=1)
        await Book.objects.acount()
        await Book.objects.aget(pk=1)
        await Book.objects.acount()
        assert (one.call_count, listing.call_count) == (1, 1)
        await WRITES[write](api)
        before = (one.call_count, listing.call_count)
        await Book.objects.aget(pk=1)
        await Book.objects.acount()
        assert (one.call_count, listing.call_count) == (before[0] + 1, before[1] + 1)
        await Book.objects.aget(pk=1)  # and the new answers are cached again
        await Book.objects.acount()
        assert (one.call_count, listing.call_count) == (before[0] + 1, before[1] + 1)


async def test_a_failed_write_invalidates_too(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Invalidates after a write that failed: the provider may have applied it."""
    route = detail(api)
    api.patch("books/1/").respond(500)
    with configured(caches_setting, default=cached()):
        obj = await Book.objects.aget(pk=1)
        obj.title = "New"
        with pytest.raises(ServerError):
            await obj.asave(update_fields=["title"])
        await Book.objects.aget(pk=1)
    assert route.call_count == 2


async def test_a_write_of_another_endpoint_keeps_the_entries(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Keeps serving books/ after a write to authors/: generations are per endpoint."""
    route = detail(api)
    api.post("authors/").respond(201, json={"id": 3, "name": "Le Guin"})
    with configured(caches_setting, default=cached()):
        await Book.objects.aget(pk=1)
        await Author.objects.acreate(name="Le Guin")
        await Book.objects.aget(pk=1)
    assert route.call_count == 1


# --- credentials ---------------------------------------------------------------------


async def test_two_services_with_different_tokens_never_share_an_entry(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Sends each service's read with its own token, once each, on the same BASE_URL."""
    route = detail(api)
    with configured(
        caches_setting, default=cached(), other=cached() | {"AUTH_TOKEN": "other-token"}
    ):
        for _ in range(2):
            await Book.objects.aget(pk=1)
            await Book.objects.using("other").aget(pk=1)
    assert route.call_count == 2
    sent = [call.request.headers["authorization"] for call in route.calls]
    assert sent == [f"Bearer {TOKEN}", "Bearer other-token"]


async def test_a_new_token_on_the_same_service_misses_the_old_entries(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Keys entries by the credentials: another token of one alias never reads them."""
    route = detail(api)
    with override_settings(CACHES=caches_setting):
        with override_settings(API_ORM_SERVICES={"default": cached()}):
            await Book.objects.aget(pk=1)
        with override_settings(API_ORM_SERVICES={"default": cached() | {"AUTH_TOKEN": "token-b"}}):
            await Book.objects.aget(pk=1)
            await Book.objects.aget(pk=1)
        with override_settings(API_ORM_SERVICES={"default": cached()}):
            await Book.objects.aget(pk=1)  # the first token's entry is still there
    assert route.call_count == 2
    assert "token-b" in route.calls[1].request.headers["authorization"]


async def test_the_token_is_never_in_redis(redis: RedisServer, api: respx.MockRouter) -> None:
    """Stores keys and values that never hold the token (keyed hash of the credentials)."""
    detail(api)
    api.get("books/").respond(json=page([book(1)]))
    api.patch("books/1/").respond(json=book(1))
    with configured(redis_caches(redis.url), default=cached()):
        obj = await Book.objects.aget(pk=1)
        await Book.objects.acount()
        await obj.asave(update_fields=["title"])
        await Book.objects.aget(pk=1)
    with redis_sync.Redis.from_url(redis.url) as client:
        keys = list(client.scan_iter(count=1000))
        values = [client.get(key) for key in keys]
    assert len([k for k in keys if b":gen:" not in k]) >= 2  # the entries are there
    assert any(b":gen:" in k for k in keys)  # and the endpoint's generation
    for key, value in zip(keys, values, strict=True):
        assert TOKEN.encode() not in key
        assert value is not None
        assert TOKEN.encode() not in value
        assert b"authorization" not in value.lower()


# --- revalidation --------------------------------------------------------------------


async def test_etag_is_revalidated_with_if_none_match(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Sends If-None-Match once stale; a 304 serves the stored body and makes it fresh."""
    route = api.get("books/1/").mock(
        side_effect=[
            httpx.Response(200, json=book(1, title="Stored"), headers={"ETag": '"v1"'}),
            httpx.Response(304, headers={"ETag": '"v1"'}),
        ]
    )
    with configured(caches_setting, default=cached(TIMEOUT=TINY)):
        first = await Book.objects.aget(pk=1)
        await asyncio.sleep(PAST_TINY)
        second = await Book.objects.aget(pk=1)
        third = await Book.objects.aget(pk=1)  # fresh again after the 304: not sent
    assert route.call_count == 2
    assert "if-none-match" not in route.calls[0].request.headers
    assert route.calls[1].request.headers["if-none-match"] == '"v1"'
    assert "if-modified-since" not in route.calls[1].request.headers
    assert first.title == second.title == third.title == "Stored"


async def test_last_modified_is_revalidated_with_if_modified_since(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Sends If-Modified-Since with the stored Last-Modified; a 304 serves the body."""
    stamp = "Wed, 21 Oct 2015 07:28:00 GMT"
    route = api.get("books/1/").mock(
        side_effect=[
            httpx.Response(200, json=book(1, title="Stored"), headers={"Last-Modified": stamp}),
            httpx.Response(304),
        ]
    )
    with configured(caches_setting, default=cached(TIMEOUT=TINY)):
        await Book.objects.aget(pk=1)
        await asyncio.sleep(PAST_TINY)
        second = await Book.objects.aget(pk=1)
        await Book.objects.aget(pk=1)
    assert route.call_count == 2
    assert route.calls[1].request.headers["if-modified-since"] == stamp
    assert "if-none-match" not in route.calls[1].request.headers
    assert second.title == "Stored"


async def test_a_list_is_revalidated_too(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Revalidates a cached count (a list page) like a detail."""
    route = api.get("books/").mock(
        side_effect=[
            httpx.Response(200, json=page([book(1)], count=7), headers={"ETag": 'W/"p1"'}),
            httpx.Response(304),
        ]
    )
    with configured(caches_setting, default=cached(TIMEOUT=TINY)):
        assert await Book.objects.acount() == 7
        await asyncio.sleep(PAST_TINY)
        assert await Book.objects.acount() == 7
    assert route.calls[1].request.headers["if-none-match"] == 'W/"p1"'


async def test_a_200_to_a_conditional_request_replaces_the_entry(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Stores the new body and ETag of a 200 to If-None-Match, and revalidates with it."""
    route = api.get("books/1/").mock(
        side_effect=[
            httpx.Response(200, json=book(1, title="One"), headers={"ETag": '"v1"'}),
            httpx.Response(200, json=book(1, title="Two"), headers={"ETag": '"v2"'}),
            httpx.Response(304),
        ]
    )
    with configured(caches_setting, default=cached(TIMEOUT=TINY)):
        assert (await Book.objects.aget(pk=1)).title == "One"
        await asyncio.sleep(PAST_TINY)
        assert (await Book.objects.aget(pk=1)).title == "Two"
        assert (await Book.objects.aget(pk=1)).title == "Two"  # fresh: not sent
        assert route.call_count == 2
        await asyncio.sleep(PAST_TINY)
        assert (await Book.objects.aget(pk=1)).title == "Two"
    assert route.call_count == 3
    assert route.calls[1].request.headers["if-none-match"] == '"v1"'
    assert route.calls[2].request.headers["if-none-match"] == '"v2"'


async def test_after_a_write_the_entry_is_revalidated(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Revalidates (If-None-Match) an entry of an old generation rather than trusting it."""
    route = api.get("books/1/").mock(
        side_effect=[
            httpx.Response(200, json=book(1, title="Old"), headers={"ETag": '"v1"'}),
            httpx.Response(200, json=book(1, title="New"), headers={"ETag": '"v2"'}),
        ]
    )
    api.patch("books/1/").respond(json=book(1, title="New"))
    with configured(caches_setting, default=cached()):
        obj = await Book.objects.aget(pk=1)
        obj.title = "New"
        await obj.asave(update_fields=["title"])
        assert (await Book.objects.aget(pk=1)).title == "New"
    assert route.calls[1].request.headers["if-none-match"] == '"v1"'


# --- what is never stored ------------------------------------------------------------


@pytest.mark.parametrize("status", [404, 500, 503])
async def test_errors_are_never_stored(
    caches_setting: dict[str, Any], api: respx.MockRouter, status: int
) -> None:
    """Sends each read again after an error answer: only 2xx is stored."""
    route = api.get("books/1/").respond(status, json={"detail": "no"})
    with configured(caches_setting, default=cached()):
        for _ in range(2):
            with pytest.raises((Book.DoesNotExist, ServerError)):
                await Book.objects.aget(pk=1)
    assert route.call_count == 2


@pytest.mark.parametrize("cache_control", ["no-store", "private, no-store", "No-Store"])
async def test_no_store_is_not_stored(
    caches_setting: dict[str, Any], api: respx.MockRouter, cache_control: str
) -> None:
    """Sends each read again when the answer says Cache-Control: no-store."""
    route = api.get("books/1/").respond(json=book(1), headers={"Cache-Control": cache_control})
    with configured(caches_setting, default=cached()):
        await Book.objects.aget(pk=1)
        await Book.objects.aget(pk=1)
    assert route.call_count == 2


async def test_other_cache_control_is_stored(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Stores an answer whose Cache-Control does not say no-store (no-store is the test)."""
    route = api.get("books/1/").respond(json=book(1), headers={"Cache-Control": "max-age=0"})
    with configured(caches_setting, default=cached()):
        await Book.objects.aget(pk=1)
        await Book.objects.aget(pk=1)
    assert route.call_count == 1


async def test_an_entry_holds_the_body_decoded(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Serves a gzipped answer decoded, without the Content-Encoding it no longer has."""
    body = gzip.compress(json.dumps(book(1, title="Zipped")).encode())
    route = api.get("books/1/").respond(
        200, content=body, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"}
    )
    with configured(caches_setting, default=cached()):
        await Book.objects.aget(pk=1)
        response = await services.service("default").get("books/1/", Book._meta)
    assert route.call_count == 1
    assert response.data["title"] == "Zipped"
    assert "content-encoding" not in response.headers
    assert "content-length" not in response.headers
    assert response.headers["content-type"] == "application/json"


# --- stale if error ------------------------------------------------------------------


@pytest.mark.parametrize("failure", ["503", "connect"])
async def test_stale_if_error_serves_the_stale_entry(
    caches_setting: dict[str, Any],
    api: respx.MockRouter,
    caplog: pytest.LogCaptureFixture,
    failure: str,
) -> None:
    """Serves a stale entry, with a warning, when the provider fails within the window."""
    error: Any = httpx.Response(503) if failure == "503" else httpx.ConnectError("refused")
    route = api.get("books/1/").mock(
        side_effect=[httpx.Response(200, json=book(1, title="Stale")), error]
    )
    caplog.set_level(logging.WARNING, logger=LOGGER)
    with configured(caches_setting, default=cached(TIMEOUT=TINY, STALE_IF_ERROR=5)):
        await Book.objects.aget(pk=1)
        await asyncio.sleep(PAST_TINY)
        stale = await Book.objects.aget(pk=1)
    assert stale.title == "Stale"
    assert route.call_count == 2
    warnings = [r for r in caplog.records if r.name == LOGGER]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING
    assert "STALE_IF_ERROR=5" in warnings[0].getMessage()
    assert "books/1/" in warnings[0].getMessage()


async def test_stale_if_error_ends_after_its_window(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Raises the provider's error once the entry is older than TIMEOUT + STALE_IF_ERROR."""
    route = api.get("books/1/").mock(
        side_effect=[
            # With an ETag the entry is kept 10 x TIMEOUT: the window, not the store, ends it.
            httpx.Response(200, json=book(1), headers={"ETag": '"v1"'}),
            httpx.Response(503),
        ]
    )
    with configured(caches_setting, default=cached(TIMEOUT=TINY, STALE_IF_ERROR=0.2)):
        await Book.objects.aget(pk=1)
        await asyncio.sleep(TINY + 0.2 + 0.1)
        with pytest.raises(ServerError):
            await Book.objects.aget(pk=1)
    assert route.call_count == 2
    assert route.calls[1].request.headers["if-none-match"] == '"v1"'


async def test_without_stale_if_error_a_failure_raises(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Raises the provider's 503 for a stale entry when STALE_IF_ERROR is not set."""
    route = api.get("books/1/").mock(
        side_effect=[httpx.Response(200, json=book(1)), httpx.Response(503)]
    )
    with configured(caches_setting, default=cached(TIMEOUT=TINY)):
        await Book.objects.aget(pk=1)
        await asyncio.sleep(PAST_TINY)
        with pytest.raises(ServerError):
            await Book.objects.aget(pk=1)
    assert route.call_count == 2


async def test_stale_if_error_does_not_hide_a_404(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Raises DoesNotExist for a 404 even with a stale entry: the provider answered."""
    route = api.get("books/1/").mock(
        side_effect=[httpx.Response(200, json=book(1)), httpx.Response(404)]
    )
    with configured(caches_setting, default=cached(TIMEOUT=TINY, STALE_IF_ERROR=5)):
        await Book.objects.aget(pk=1)
        await asyncio.sleep(PAST_TINY)
        with pytest.raises(Book.DoesNotExist):
            await Book.objects.aget(pk=1)
    assert route.call_count == 2


async def test_stale_if_error_never_serves_what_a_write_replaced(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Raises the 503 after a write: the entry from before it would undo the write."""
    route = api.get("books/1/").mock(
        side_effect=[httpx.Response(200, json=book(1, title="Before")), httpx.Response(503)]
    )
    api.patch("books/1/").respond(json=book(1, title="After"))
    with configured(caches_setting, default=cached(STALE_IF_ERROR=60)):
        obj = await Book.objects.aget(pk=1)
        obj.title = "After"
        await obj.asave(update_fields=["title"])
        with pytest.raises(ServerError):
            await Book.objects.aget(pk=1)
    assert route.call_count == 2


async def test_get_or_create_never_trusts_a_cached_empty_list(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Looks the object up at the provider: a cached empty list would POST a duplicate."""
    lookups = api.get("books/").mock(
        side_effect=[
            httpx.Response(200, json=page([])),
            httpx.Response(200, json=page([book(7, title="Dune")])),
        ]
    )
    created = api.post("books/").respond(201, json=book(8, title="Dune"))
    with configured(caches_setting, default=cached()):
        with pytest.raises(Book.DoesNotExist):
            await Book.objects.aget(title="Dune")  # the empty answer is cached
        obj, made = await Book.objects.aget_or_create(title="Dune", defaults={"price": "1.00"})
    assert (obj.pk, made) == (7, False)
    assert created.call_count == 0
    assert lookups.call_count == 2


async def test_update_or_create_looks_up_at_the_provider(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Reads the object to update from the provider, not from the cache."""
    route = detail(api, title="Dune")
    api.patch("books/1/").respond(json=book(1, title="Dune", price="9.00"))
    with configured(caches_setting, default=cached()):
        await Book.objects.aget(pk=1)
        obj, made = await Book.objects.aupdate_or_create(pk=1, defaults={"price": "9.00"})
    assert not made
    assert str(obj.price) == "9.00"
    assert route.call_count == 2


# --- refresh_from_db -----------------------------------------------------------------


async def test_refresh_from_db_always_sends_and_stores_the_answer(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Sends refresh_from_db() despite a fresh entry; the next read gets its answer."""
    route = api.get("books/1/").mock(
        side_effect=[
            httpx.Response(200, json=book(1, title="Old")),
            httpx.Response(200, json=book(1, title="New")),
        ]
    )
    with configured(caches_setting, default=cached()):
        obj = await Book.objects.aget(pk=1)
        await obj.arefresh_from_db()
        assert obj.title == "New"
        again = await Book.objects.aget(pk=1)
    assert route.call_count == 2
    assert again.title == "New"
    assert "if-none-match" not in route.calls[1].request.headers


# --- single flight -------------------------------------------------------------------


async def test_concurrent_identical_reads_are_one_request(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Sends one request for ten concurrent aget(pk=1) of one process."""

    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.05)
        return httpx.Response(200, json=book(1, title="Once"))

    route = api.get("books/1/").mock(side_effect=slow)
    with configured(caches_setting, default=cached()):
        found = await asyncio.gather(*(Book.objects.aget(pk=1) for _ in range(10)))
    assert route.call_count == 1
    assert [b.title for b in found] == ["Once"] * 10
    assert len({id(b) for b in found}) == 10  # each caller its own instance


async def test_concurrent_reads_of_different_keys_are_separate(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Sends one request per URL when different objects are read concurrently."""
    routes = [detail(api, pk) for pk in range(1, 4)]
    with configured(caches_setting, default=cached()):
        await asyncio.gather(*(Book.objects.aget(pk=pk) for pk in (1, 2, 3, 1, 2, 3)))
    assert [r.call_count for r in routes] == [1, 1, 1]


async def test_a_failed_flight_fails_every_waiter_and_is_not_stored(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Raises the one request's error in every concurrent caller; the next read is sent."""

    async def failing(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.05)
        return httpx.Response(500)

    route = api.get("books/1/").mock(side_effect=failing)
    with configured(caches_setting, default=cached()):
        results = await asyncio.gather(
            *(Book.objects.aget(pk=1) for _ in range(5)), return_exceptions=True
        )
        assert route.call_count == 1
        assert all(isinstance(r, ServerError) for r in results)
        route.mock(side_effect=None, return_value=httpx.Response(200, json=book(1)))
        await Book.objects.aget(pk=1)
    assert route.call_count == 2


def test_processes_share_one_request_through_the_lock(
    redis: RedisServer, api: respx.MockRouter
) -> None:
    """Sends one request when two event loops (two processes' view) miss one key at once."""
    started = threading.Event()

    def slow(request: httpx.Request) -> httpx.Response:
        started.set()
        threading.Event().wait(0.3)  # blocks this loop only: the other loop keeps polling
        return httpx.Response(200, json=book(1, title="Shared"))

    route = api.get("books/1/").mock(side_effect=slow)
    titles: list[str] = []
    errors: list[BaseException] = []

    def read() -> None:
        try:
            titles.append(asyncio.run(_aget_title()))
        except BaseException as error:  # reported below
            errors.append(error)

    with configured(redis_caches(redis.url), default=cached()):
        first = threading.Thread(target=read)
        first.start()
        assert started.wait(5)
        second = threading.Thread(target=read)
        second.start()
        first.join(10)
        second.join(10)
    assert errors == []
    assert titles == ["Shared", "Shared"]
    assert route.call_count == 1


async def _aget_title() -> str:
    return (await Book.objects.aget(pk=1)).title


async def test_a_cancelled_first_caller_does_not_cancel_the_others(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Gives a caller waiting on a cancelled caller's request an answer of its own."""

    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.2)
        return httpx.Response(200, json=book(1, title="Mine"))

    route = api.get("books/1/").mock(side_effect=slow)
    with configured(caches_setting, default=cached()):
        first = asyncio.create_task(Book.objects.aget(pk=1))
        await asyncio.sleep(0.05)
        second = asyncio.create_task(Book.objects.aget(pk=1))
        await asyncio.sleep(0.05)
        first.cancel()
        found = await second
        assert first.cancelled()
        assert found.title == "Mine"
        sent = route.call_count
        await Book.objects.aget(pk=1)  # the second caller's answer was stored
    assert sent >= 1  # respx records no call for the cancelled request
    assert route.call_count == sent


async def test_a_cancelled_waiter_does_not_cancel_the_request(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Keeps the one request going for the others when one waiting caller is cancelled."""

    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.2)
        return httpx.Response(200, json=book(1, title="Shared"))

    route = api.get("books/1/").mock(side_effect=slow)
    with configured(caches_setting, default=cached()):
        tasks = [asyncio.create_task(Book.objects.aget(pk=1)) for _ in range(3)]
        await asyncio.sleep(0.05)
        tasks[1].cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
    assert route.call_count == 1
    assert isinstance(results[1], asyncio.CancelledError)
    assert [r.title for r in (results[0], results[2]) if isinstance(r, Book)] == ["Shared"] * 2


def test_a_process_waiting_on_a_failed_fetch_sends_its_own_at_once(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Stops waiting for another loop's fetch when it ends storing nothing (a 500).

    The waiting loop used to poll for the entry until the client's TIMEOUT (4 s here).
    """
    started = threading.Event()

    def slow_failure(request: httpx.Request) -> httpx.Response:
        started.set()
        threading.Event().wait(0.2)
        return httpx.Response(500)

    route = api.get("books/1/").mock(side_effect=slow_failure)
    took: list[float] = []
    errors: list[BaseException] = []

    async def read() -> None:
        began = time.monotonic()
        with pytest.raises(ServerError):
            await Book.objects.aget(pk=1)
        took.append(time.monotonic() - began)

    def run() -> None:
        try:
            asyncio.run(read())
        except BaseException as error:  # reported below
            errors.append(error)

    with configured(caches_setting, default=cached() | {"TIMEOUT": 4}):
        first = threading.Thread(target=run)
        first.start()
        assert started.wait(5)
        second = threading.Thread(target=run)
        second.start()
        first.join(10)
        second.join(10)
    assert errors == []
    assert route.call_count == 2
    assert len(took) == 2
    assert max(took) < 2.0


async def test_a_204_is_never_stored(caches_setting: dict[str, Any], api: respx.MockRouter) -> None:
    """Sends a GET answered 204 again: an empty answer is not stored."""
    route = api.get("books/empty/").respond(204)
    with configured(caches_setting, default=cached()):
        svc = services.service("default")
        for _ in range(2):
            response = await svc.get("books/empty/", Book._meta)
            assert (response.status_code, response.data) == (204, None)
    assert route.call_count == 2


@pytest.mark.parametrize("write", ["aupdate", "adelete"])
async def test_a_queryset_write_reads_the_current_list(
    caches_setting: dict[str, Any], api: respx.MockRouter, write: str
) -> None:
    """Reads the list a queryset update or delete acts on from the provider, not the cache.

    A cached list can miss rows that match now: the write would skip them.
    """
    listing = api.get("books/").mock(
        side_effect=[
            httpx.Response(200, json=page([book(1)])),
            httpx.Response(200, json=page([book(1), book(2)])),
        ]
    )
    patches = [api.patch(f"books/{pk}/").respond(json=book(pk)) for pk in (1, 2)]
    deletes = [api.delete(f"books/{pk}/").respond(204) for pk in (1, 2)]
    with configured(caches_setting, default=cached()):
        assert [b.pk async for b in Book.objects.filter(in_print=True)] == [1]
        queryset = Book.objects.filter(in_print=True)
        if write == "aupdate":
            assert await queryset.aupdate(title="New") == 2
        else:
            assert (await queryset.adelete())[0] == 2
    assert listing.call_count == 2
    done = patches if write == "aupdate" else deletes
    assert [r.call_count for r in done] == [1, 1]


async def test_a_write_through_another_service_of_the_provider_invalidates(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Sends the read again after a write through another alias of the same BASE_URL.

    Two aliases of one provider (a reading token and a writing one) are the same rows:
    the entries stay apart, but a write through either starts a new generation of both.
    """
    route = api.get("books/1/").respond(json=book(1, title="Old"))
    api.patch("books/1/").respond(json=book(1, title="New"))
    with configured(caches_setting, default=cached(), writer=cached() | {"AUTH_TOKEN": "w"}):
        await Book.objects.aget(pk=1)
        obj = await Book.objects.using("writer").aget(pk=1)
        assert route.call_count == 2  # the entries are apart
        obj.title = "New"
        await obj.asave(update_fields=["title"])
        route.respond(json=book(1, title="New"))
        assert (await Book.objects.aget(pk=1)).title == "New"
        assert (await Book.objects.using("writer").aget(pk=1)).title == "New"
    assert route.call_count == 4


async def test_a_write_to_another_provider_keeps_the_entries(
    caches_setting: dict[str, Any], api: respx.MockRouter
) -> None:
    """Keeps serving one provider's entries after a write to the same endpoint of another."""
    route = api.get("books/1/").respond(json=book(1))
    elsewhere = api.route(
        method="PATCH", host="elsewhere.example.test", path="/api/books/1/"
    ).respond(json=book(1))
    other = cached() | {"BASE_URL": "https://elsewhere.example.test/api/"}
    with configured(caches_setting, default=cached(), other=other):
        await Book.objects.aget(pk=1)
        obj = Book(id=1, title="New", price="1.00")
        await obj.asave(update_fields=["title"], using="other")
        await Book.objects.aget(pk=1)
    assert elsewhere.call_count == 1
    assert route.call_count == 1


async def test_keys_follow_the_caches_key_prefix(redis: RedisServer, api: respx.MockRouter) -> None:
    """Names every key with the cache's KEY_PREFIX: two sites on one Redis share nothing."""
    route = detail(api)
    site_a = {"default": {**redis_caches(redis.url)["default"], "KEY_PREFIX": "site-a"}}
    site_b = {"default": {**redis_caches(redis.url)["default"], "KEY_PREFIX": "site-b"}}

    async def read() -> None:
        await Book.objects.aget(pk=1)

    with configured(site_a, default=cached()):
        await read()
        await read()
    with configured(site_b, default=cached()):
        # A new loop: the store of this test's loop still holds site_a's cache.
        await asyncio.to_thread(asyncio.run, read())
    assert route.call_count == 2
    with redis_sync.Redis.from_url(redis.url) as client:
        keys = [k.decode() for k in client.scan_iter(count=1000)]
    assert keys
    assert all(k.startswith(("site-a:", "site-b:")) for k in keys)
    assert any(k.startswith("site-b:") for k in keys)
