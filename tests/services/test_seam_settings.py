"""The client seams as settings keys: PROXY, TRUST_ENV, CERT, AUTH, TRANSPORT."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from typing import Any

import httpx
import pytest
from django.core.checks import Error
from django.test import override_settings

from django_api_orm.checks import check_services
from django_api_orm.conf import get_config
from django_api_orm.services import services

URL = "https://catalog.internal/api/"

#: Requests answered by ``answering`` below, to show a TRANSPORT path is used.
answered: list[str] = []


def answering(default: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
    """A TRANSPORT factory: answers every request from memory."""

    def handler(request: httpx.Request) -> httpx.Response:
        answered.append(str(request.url))
        return httpx.Response(200, json={"via": "transport"})

    return httpx.MockTransport(handler)


class Signing(httpx.Auth):
    """An AUTH: sets its own header."""

    made = 0

    def __init__(self) -> None:
        type(self).made += 1

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        request.headers["Authorization"] = "Signed yes"
        yield request

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        raise RuntimeError("async only")  # pragma: no cover


def errors_for(entry: dict[str, Any]) -> list[str]:
    with override_settings(API_ORM_SERVICES={"default": {"BASE_URL": URL, **entry}}):
        return [e.msg for e in check_services(None) if isinstance(e, Error)]


def test_good_values_pass() -> None:
    """Each key with a value it accepts."""
    assert (
        errors_for(
            {
                "PROXY": "http://proxy.internal:3128",
                "TRUST_ENV": False,
                "CERT": ("/etc/client.pem", "/etc/client.key"),
                "AUTH": "tests.services.test_seam_settings.Signing",
                "TRANSPORT": "tests.services.test_seam_settings.answering",
            }
        )
        == []
    )
    assert errors_for({"PROXY": httpx.Proxy("socks5://127.0.0.1:1080"), "AUTH": Signing()}) == []


@pytest.mark.parametrize(
    ("entry", "fragment"),
    [
        ({"PROXY": "ftp://proxy"}, "PROXY'] must be None, a proxy URL"),
        ({"TRUST_ENV": "yes"}, "TRUST_ENV'] must be True or False"),
        ({"CERT": ("a.pem", "b.key", 3)}, "CERT'] must be None, the path of a PEM file"),
        ({"AUTH": ("user", "password")}, "AUTH'] must be None, an httpx.Auth"),
        ({"TRANSPORT": 3}, "TRANSPORT'] must be None, an httpx.AsyncBaseTransport"),
        ({"TRANSPORT": "no.such.module.factory"}, "cannot be imported"),
        ({"AUTH": Signing(), "AUTH_TOKEN": "t"}, "sets both AUTH_TOKEN and AUTH"),
    ],
)
def test_bad_values_are_errors(entry: dict[str, Any], fragment: str) -> None:
    """A system check error naming the key and what it must be."""
    messages = errors_for(entry)
    assert any(fragment in m for m in messages), messages


def test_secret_values_are_not_quoted() -> None:
    """A CERT's password and a PROXY's credentials stay out of messages and reprs."""
    messages = errors_for({"CERT": ("a.pem", "b.key", "hunter2", "extra")})
    assert messages and all("hunter2" not in m for m in messages)
    with override_settings(
        API_ORM_SERVICES={
            "default": {
                "BASE_URL": URL,
                "PROXY": "http://user:pr0xypass@proxy.internal:3128",
                "CERT": ("a.pem", "b.key", "hunter2"),
            }
        }
    ):
        shown = repr(get_config("default"))
    assert "pr0xypass" not in shown and "hunter2" not in shown


async def test_transport_by_dotted_path() -> None:
    """TRANSPORT names a factory: the alias's requests go to what it returns."""
    answered.clear()
    with override_settings(
        API_ORM_SERVICES={
            "default": {
                "BASE_URL": URL,
                "TRANSPORT": "tests.services.test_seam_settings.answering",
            }
        }
    ):
        try:
            response = await services["default"].get("books/")
        finally:
            await services.aclose_all()
    assert response.data == {"via": "transport"}
    assert answered == [f"{URL}books/"]


async def test_auth_factory_makes_one_auth_per_client() -> None:
    """AUTH as a class (or its path) is called for each client, so per event loop."""
    Signing.made = 0
    with override_settings(
        API_ORM_SERVICES={
            "default": {
                "BASE_URL": URL,
                "AUTH": Signing,
                "TRANSPORT": "tests.services.test_seam_settings.answering",
            }
        }
    ):
        try:
            client = services["default"]
            assert services["default"] is client
            await client.get("x")
        finally:
            await services.aclose_all()
    assert Signing.made == 1
