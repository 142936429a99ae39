"""CaptureRequestsContext and RemoteTestMixin.assertNumRequests, against respx."""

from __future__ import annotations

import asyncio
import re
import unittest

import httpx
import pytest
import respx
from django.conf import settings
from django.test import SimpleTestCase, override_settings

from django_api_orm import ConnectionError, ServerError, services
from django_api_orm.test import CapturedRequest, CaptureRequestsContext, RemoteTestMixin
from tests.testapp.models import Author, Book

API = "https://api.example.test/api/"
OTHER = "https://other.example.test/api/"
PAGE = {"count": 0, "next": None, "previous": None, "results": []}


def with_services(**changes: object) -> dict[str, object]:
    return {
        **settings.API_ORM_SERVICES,
        "default": {**settings.API_ORM_SERVICES["default"], **changes},
        "other": {"BASE_URL": OTHER, "MAX_RETRIES": 0},
    }


async def test_async_capture_records_each_request() -> None:
    with respx.mock(base_url=API) as api:
        api.get("books/").respond(json={**PAGE, "count": 3})
        api.get("authors/7/").respond(json={"id": 7, "name": "Ann"})
        async with CaptureRequestsContext() as captured:
            assert await Book.objects.acount() == 3
            await Author.objects.aget(pk=7)
    assert len(captured) == 2
    first, second = captured
    assert isinstance(first, CapturedRequest)
    assert first.method == "GET"
    assert first.url == f"{API}books/?page_size=1"
    assert (first.status_code, first.service, first.attempts, first.exception) == (
        200,
        "default",
        1,
        None,
    )
    assert first.elapsed >= 0
    assert second.url == f"{API}authors/7/"
    assert captured[1] is second
    assert captured[-1:] == [second]
    assert captured.captured_requests == [first, second]


def test_sync_twins_are_captured() -> None:
    """The sync twins' requests finish on the background loop's thread; they are recorded."""
    with respx.mock(base_url=API) as api:
        api.get("books/").respond(json={**PAGE, "count": 240})
        with CaptureRequestsContext() as captured:
            assert Book.objects.count() == 240
            assert Book.objects.count() == 240
    assert [r.url for r in captured] == [f"{API}books/?page_size=1"] * 2


async def test_nothing_is_recorded_outside_the_block() -> None:
    with respx.mock(base_url=API) as api:
        api.get("books/").respond(json=PAGE)
        captured = CaptureRequestsContext()
        await Book.objects.acount()
        with captured:
            await Book.objects.acount()
        await Book.objects.acount()
    assert len(captured) == 1


async def test_using_records_one_alias() -> None:
    with override_settings(API_ORM_SERVICES=with_services()), respx.mock() as api:
        api.get(f"{API}books/").respond(json=PAGE)
        api.get(f"{OTHER}books/").respond(json=PAGE)
        with (
            CaptureRequestsContext(using="other") as other,
            CaptureRequestsContext() as every,
            CaptureRequestsContext(using="default") as default,
        ):
            await Book.objects.acount()
            await Book.objects.using("other").acount()
            await services["other"].get("books/")
    assert [r.service for r in every] == ["default", "other", "other"]
    assert [r.service for r in other] == ["other", "other"]
    assert [r.url for r in default] == [f"{API}books/?page_size=1"]


async def test_concurrent_contexts_each_see_their_requests() -> None:
    with respx.mock(base_url=API) as api:
        api.get("books/").respond(json=PAGE)

        async def count(times: int) -> int:
            async with CaptureRequestsContext() as captured:
                for _ in range(times):
                    await Book.objects.acount()
                    await asyncio.sleep(0)
            return len(captured)

        inner = CaptureRequestsContext()
        with CaptureRequestsContext() as outer:
            results = await asyncio.gather(count(2), count(3))
            with inner:
                await Book.objects.acount()
    # Every context sees every request finished while it is active: at least its own.
    assert all(n >= expected for n, expected in zip(results, (2, 3), strict=True))
    assert len(outer) == 6
    assert len(inner) == 1


async def test_retries_are_counted_in_attempts() -> None:
    with (
        override_settings(API_ORM_SERVICES=with_services(MAX_RETRIES=2, RETRY_DELAY=0.0)),
        respx.mock(base_url=API) as api,
    ):
        api.get("authors/1/").mock(
            side_effect=[
                httpx.Response(503),
                httpx.Response(502),
                httpx.Response(200, json={"id": 1, "name": "Ann"}),
            ]
        )
        api.get("authors/2/").respond(503)
        async with CaptureRequestsContext() as captured:
            await Author.objects.aget(pk=1)
            with pytest.raises(ServerError):
                await Author.objects.aget(pk=2)
    ok, failed = captured
    assert (ok.status_code, ok.attempts, ok.exception) == (200, 3, None)
    assert (failed.status_code, failed.attempts) == (503, 3)
    assert isinstance(failed.exception, ServerError)


async def test_a_transport_error_has_no_status() -> None:
    with respx.mock(base_url=API) as api:
        api.get("authors/1/").mock(side_effect=httpx.ConnectError("refused"))
        async with CaptureRequestsContext() as captured:
            with pytest.raises(ConnectionError):
                await Author.objects.aget(pk=1)
    (record,) = captured
    assert record.status_code is None
    assert isinstance(record.exception, ConnectionError)
    assert record.attempts == 1
    assert "ConnectionError" in str(record)


class AssertNumRequestsTests(RemoteTestMixin, SimpleTestCase):
    def test_passes_when_the_count_matches(self) -> None:
        with respx.mock(base_url=API) as api:
            api.get("books/").respond(json=PAGE)
            with self.assertNumRequests(2):
                Book.objects.count()
                Book.objects.exists()
            with self.assertNumRequests(0):
                pass

    def two_requests_counted_as_one(self) -> None:
        with self.assertNumRequests(1):
            Book.objects.count()
            with pytest.raises(Author.DoesNotExist):
                Author.objects.get(pk=3)

    def test_fails_listing_the_requests(self) -> None:
        with respx.mock(base_url=API) as api:
            api.get("books/").respond(json=PAGE)
            api.get("authors/3/").respond(404, json={"detail": "Not found."})
            with pytest.raises(AssertionError) as caught:
                self.two_requests_counted_as_one()
        message = str(caught.value)
        assert message.startswith("2 != 1 : 2 requests were made, 1 expected\n")
        lines = message.splitlines()
        assert lines[1] == "Captured requests were:"
        assert re.fullmatch(
            rf"1\. GET {re.escape(API)}books/\?page_size=1 -> 200 \(\d+\.\d ms, 1 attempt\)",
            lines[2],
        ), lines[2]
        assert re.fullmatch(
            rf"2\. GET {re.escape(API)}authors/3/ -> 404 \(.* ms, 1 attempt\)", lines[3]
        )

    def test_using_counts_one_alias(self) -> None:
        with override_settings(API_ORM_SERVICES=with_services()), respx.mock() as api:
            api.get(f"{API}books/").respond(json=PAGE)
            api.get(f"{OTHER}books/").respond(json=PAGE)
            with self.assertNumRequests(1, using="other"):
                Book.objects.count()
                Book.objects.using("other").count()
            with (
                pytest.raises(AssertionError) as caught,
                self.assertNumRequests(0, using="other"),
            ):
                Book.objects.using("other").count()
        assert "1 requests to 'other' were made, 0 expected" in str(caught.value)

    def test_an_error_inside_is_not_hidden(self) -> None:
        with pytest.raises(KeyError), self.assertNumRequests(5):
            raise KeyError("boom")


class AsyncAssertNumRequestsTests(RemoteTestMixin, unittest.IsolatedAsyncioTestCase):
    async def test_async_with(self) -> None:
        with respx.mock(base_url=API) as api:
            api.get("books/").respond(json=PAGE)
            async with self.assertNumRequests(1):
                await Book.objects.acount()
            with pytest.raises(AssertionError):
                async with self.assertNumRequests(2):
                    await Book.objects.acount()


def test_the_mixin_needs_a_test_case() -> None:
    with pytest.raises(TypeError, match=r"unittest\.TestCase"):
        RemoteTestMixin().assertNumRequests(1)
