"""request_finished: once per logical request, after retries; and the DEBUG line's elapsed time."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import override_settings

from django_api_orm import AsyncServiceClient
from django_api_orm.exceptions import ConnectionError, NotFoundError
from django_api_orm.services import services
from django_api_orm.signals import request_finished


@pytest.fixture
def finished() -> Iterator[list[dict[str, Any]]]:
    """Record every request_finished sent while the test runs."""
    seen: list[dict[str, Any]] = []

    async def receiver(sender: str | None, **kwargs: Any) -> None:
        seen.append({"sender": sender, **kwargs})

    request_finished.connect(receiver)
    try:
        yield seen
    finally:
        request_finished.disconnect(receiver)


async def test_sent_once_after_retries(
    fault_server: str, key: str, finished: list[dict[str, Any]]
) -> None:
    """Two 503s then a 200: one signal, three attempts, the final status."""
    async with AsyncServiceClient(fault_server, retry_delay=0) as client:
        await client.get(f"flaky/{key}", params={"fail": "2", "status": "503"})
    (sent,) = finished
    assert sent["sender"] is None  # a client built by hand serves no alias
    assert sent["method"] == "GET"
    assert sent["url"] == f"{fault_server}flaky/{key}?fail=2&status=503"
    assert sent["status_code"] == 200
    assert sent["attempts"] == 3
    assert sent["exception"] is None
    assert 0 < sent["elapsed"] < 5


async def test_an_error_status_is_sent_with_its_exception(
    fault_server: str, finished: list[dict[str, Any]]
) -> None:
    """A 404: the status and the exception raised."""
    async with AsyncServiceClient(fault_server) as client:
        with pytest.raises(NotFoundError) as caught:
            await client.get("status/404")
    (sent,) = finished
    assert sent["status_code"] == 404
    assert sent["exception"] is caught.value
    assert sent["attempts"] == 1


async def test_a_transport_error_has_no_status(finished: list[dict[str, Any]]) -> None:
    """Nothing listens: status None, the ConnectionError, every attempt counted."""
    async with AsyncServiceClient("http://127.0.0.1:9/", max_retries=1, retry_delay=0) as client:
        with pytest.raises(ConnectionError) as caught:
            await client.get("ok")
    (sent,) = finished
    assert sent["status_code"] is None
    assert sent["exception"] is caught.value
    assert sent["attempts"] == 2


async def test_secrets_stay_out_of_the_url(
    fault_server: str, finished: list[dict[str, Any]]
) -> None:
    """A credential in the query string is hidden in the URL the receivers get."""
    async with AsyncServiceClient(fault_server) as client:
        await client.get("ok", params={"api_key": "s3cret", "page": "2"})
    (sent,) = finished
    assert "s3cret" not in sent["url"]
    assert "page=2" in sent["url"]


async def test_a_failing_receiver_is_logged_not_raised(
    fault_server: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Watching must not break the request: the receiver's error is logged."""

    async def broken(sender: str | None, **kwargs: Any) -> None:
        raise RuntimeError("receiver bug")

    request_finished.connect(broken)
    try:
        async with AsyncServiceClient(fault_server) as client:
            response = await client.get("ok")
    finally:
        request_finished.disconnect(broken)
    assert response.data == {"ok": True}
    assert "request_finished receiver" in caplog.text
    assert "RuntimeError" in caplog.text


async def test_a_sync_receiver_runs_too(fault_server: str, finished: list[dict[str, Any]]) -> None:
    """A plain function is called (in a thread, as Django's asend does)."""
    threads: list[str] = []

    def receiver(sender: str | None, **kwargs: Any) -> None:
        threads.append(threading.current_thread().name)

    request_finished.connect(receiver)
    try:
        async with AsyncServiceClient(fault_server) as client:
            await client.get("ok")
    finally:
        request_finished.disconnect(receiver)
    assert len(threads) == 1
    assert len(finished) == 1


async def test_the_sender_is_the_alias(fault_server: str, finished: list[dict[str, Any]]) -> None:
    """A service's client sends with its alias, so receivers can listen to one service."""
    with override_settings(API_ORM_SERVICES={"catalog": {"BASE_URL": fault_server}}):
        try:
            await services["catalog"].get("ok")
        finally:
            await services.aclose_all()
    assert [s["sender"] for s in finished] == ["catalog"]


async def test_the_debug_line_carries_the_elapsed_time(
    fault_server: str, caplog: pytest.LogCaptureFixture
) -> None:
    """``GET <url> -> 200 HTTP/1.1 in 1.2 ms``."""
    caplog.set_level(logging.DEBUG, logger="django_api_orm.client")
    async with AsyncServiceClient(fault_server) as client:
        await client.get("ok")
    lines = [r.getMessage() for r in caplog.records if r.name == "django_api_orm.client"]
    assert any(
        re.fullmatch(rf"GET {re.escape(fault_server)}ok -> 200 HTTP/1\.1 in \d+\.\d ms", line)
        for line in lines
    ), lines


async def test_httpx_logs_its_request_line_when_asked(
    fault_server: str, caplog: pytest.LogCaptureFixture
) -> None:
    """With httpx's logger at INFO, its own ``HTTP Request:`` line appears, URL redacted."""
    caplog.set_level(logging.INFO, logger="httpx")
    async with AsyncServiceClient(fault_server) as client:
        await client.get("ok", params={"token": "s3cret"})
    lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert len(lines) == 1
    assert lines[0].startswith("HTTP Request: GET ")
    assert "s3cret" not in lines[0]
