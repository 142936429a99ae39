"""services["alias"]: one pooled client per (alias, event loop), closed with its loop."""

from __future__ import annotations

import asyncio
import gc
import logging
import weakref
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from django_api_orm import AsyncServiceClient
from django_api_orm.conf import get_config
from django_api_orm.services import ServiceHandler, services
from tests.services.conftest import CountingServer, eventually


def test_no_running_loop_is_refused() -> None:
    """Raises a RuntimeError that points to async code and the sync twins."""
    with pytest.raises(RuntimeError) as info:
        services["default"]
    assert "no event loop is running" in str(info.value)
    assert "inside async code" in str(info.value)
    assert "sync twins" in str(info.value)


async def test_same_loop_gets_the_same_client() -> None:
    """Returns one AsyncServiceClient per alias for every use on one loop."""
    client = services["default"]
    assert isinstance(client, AsyncServiceClient)
    assert client.base_url == "https://api.example.test/api/"
    assert services["default"] is client
    assert await asyncio.create_task(_client()) is client


async def _client() -> AsyncServiceClient:
    return services["default"]


def test_each_loop_gets_its_own_client() -> None:
    """Returns a different client on another event loop."""
    first = asyncio.run(_client())
    second = asyncio.run(_client())
    assert first is not second
    assert first.is_closed  # closed when its loop ended
    assert second.is_closed


async def test_aclose_all_makes_the_next_use_open_a_new_client() -> None:
    """Closes this loop's clients; the next use opens a new one."""
    before = services["default"]
    await services.aclose_all()
    assert before.is_closed
    after = services["default"]
    assert after is not before
    assert not after.is_closed
    assert services["default"] is after
    await services.aclose_all()
    await services.aclose_all()  # closing twice is harmless


async def test_unknown_alias_names_the_configured_ones() -> None:
    """Raises ImproperlyConfigured naming the configured aliases."""
    with pytest.raises(
        ImproperlyConfigured, match=r"'nope'.*configured aliases: 'default', 'provider'"
    ):
        services["nope"]


def test_config_returns_the_alias_config() -> None:
    """Returns the same ServiceConfig that conf.get_config returns."""
    assert services.config("default") is get_config("default")
    assert list(services) == ["default", "provider"]
    assert "default" in services
    assert "nope" not in services


async def test_changed_settings_give_a_new_client() -> None:
    """Builds a new client from the new settings inside override_settings."""
    before = services["default"]
    with override_settings(API_ORM_SERVICES={"default": {"BASE_URL": "http://other.test/"}}):
        inside = services["default"]
        assert inside is not before
        assert inside.base_url == "http://other.test/"
        assert not before.is_closed  # a request may still be using it
        assert services["default"] is inside
    assert services["default"] is not inside


async def test_request_goes_to_the_configured_service(local_service: CountingServer) -> None:
    """Sends the request to BASE_URL joined with the endpoint."""
    response = await services["default"].get("ping/")
    assert response.data == {"ok": True, "path": "/api/ping/"}


async def test_requests_on_one_loop_share_connections(local_service: CountingServer) -> None:
    """Reuses pooled connections for many requests on one loop."""
    for _ in range(20):
        await services["default"].get("ping/")
    await asyncio.gather(*(services["default"].get("ping/") for _ in range(5)))
    assert local_service.requests == 25
    assert local_service.opened <= 5


def test_loop_end_closes_its_clients(local_service: CountingServer) -> None:
    """Closes a loop's client, and its connection, when asyncio.run() ends the loop."""

    async def fetch() -> Any:
        return (await services["default"].get("ping/")).data

    assert asyncio.run(fetch()) == {"ok": True, "path": "/api/ping/"}
    assert asyncio.run(_client()).is_closed
    assert local_service.opened == 1
    assert eventually(lambda: local_service.open == 0)


def test_async_to_sync_calls_leak_nothing(
    local_service: CountingServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Closes each async_to_sync loop's client, as Django runs async views under WSGI."""
    loops: list[weakref.ref[asyncio.AbstractEventLoop]] = []

    async def view() -> Any:
        loops.append(weakref.ref(asyncio.get_running_loop()))
        return (await services["default"].get("ping/")).data

    with caplog.at_level(logging.WARNING, logger="asyncio"):
        for _ in range(50):
            assert async_to_sync(view)() == {"ok": True, "path": "/api/ping/"}
        gc.collect()
    assert caplog.records == []  # no "Event loop is closed", no unclosed transport
    assert local_service.requests == 50
    assert eventually(lambda: local_service.open == 0)
    gc.collect()
    assert [ref for ref in loops if ref() is not None] == []  # no loop kept alive


def test_async_to_sync_calls_over_tls_leak_nothing(
    tls_service: CountingServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Closes each async_to_sync loop's TLS connection, with a private CA bundle."""

    async def view() -> Any:
        return (await services["default"].get("ping/")).data

    with caplog.at_level(logging.WARNING, logger="asyncio"):
        for _ in range(10):
            assert async_to_sync(view)() == {"ok": True, "path": "/api/ping/"}
        gc.collect()
    assert caplog.records == []
    assert tls_service.opened == 10
    assert eventually(lambda: tls_service.open == 0)


def test_loop_closed_without_shutdown_is_forgotten() -> None:
    """Forgets the client of a loop closed without shutdown_asyncgens(), without warnings."""
    loop = asyncio.new_event_loop()
    first = loop.run_until_complete(_client())
    loop.close()
    dead = weakref.ref(loop)
    del loop
    second = asyncio.run(_drop_dead_loops())
    assert second is not first
    del first
    gc.collect()
    assert dead() is None  # the record no longer keeps the closed loop alive


async def _drop_dead_loops() -> AsyncServiceClient:
    client = services["default"]
    await services.aclose_all()
    return client


async def test_a_handler_takes_a_client_factory() -> None:
    """Builds clients with the factory given, from the alias's client keywords."""
    made: list[dict[str, Any]] = []

    def factory(**kwargs: Any) -> AsyncServiceClient:
        made.append(kwargs)
        return AsyncServiceClient(**kwargs)

    handler = ServiceHandler(client_factory=factory)
    client = handler["default"]
    assert handler["default"] is client
    assert made == [{**get_config("default").client_kwargs, "alias": "default"}]
    await handler.aclose_all()
