"""The seed's module path, django_api_orm.async_client: the same objects, importable from there."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import httpx
import pytest
import respx

import django_api_orm
from django_api_orm import async_client, exceptions
from django_api_orm.async_client import APIResponse, AsyncServiceClient, DoesNotExist

API = "https://api.example.test/api/"


def test_names_are_the_packages_own_objects() -> None:
    """Exports the top-level client, response and exceptions themselves, not copies."""
    assert AsyncServiceClient is django_api_orm.AsyncServiceClient
    assert APIResponse is django_api_orm.APIResponse
    for name in async_client.__all__:
        if name not in {"APIResponse", "AsyncServiceClient", "DoesNotExist"}:
            assert getattr(async_client, name) is getattr(exceptions, name)


def test_public_names() -> None:
    """Exports the seed module's names that exist here, sorted."""
    assert async_client.__all__ == sorted(async_client.__all__)
    assert set(async_client.__all__) == {
        "APIError",
        "APIResponse",
        "AsyncServiceClient",
        "AuthenticationError",
        "ConnectionError",
        "DoesNotExist",
        "HTTPStatusError",
        "NotFoundError",
        "RateLimitError",
        "TimeoutError",
    }


def test_does_not_exist_is_the_404_error() -> None:
    """Aliases DoesNotExist to NotFoundError, the exception a 404 answer raises."""
    assert DoesNotExist is exceptions.NotFoundError
    assert issubclass(DoesNotExist, exceptions.HTTPStatusError)


async def test_a_request_through_the_seed_path() -> None:
    """Sends a GET through the client imported from the seed's path and reads the answer."""
    with respx.mock(base_url=API) as router:
        route = router.get("users/").respond(200, json=[{"id": 1}], headers={"X-Total": "1"})
        async with AsyncServiceClient(base_url=API, auth_token="t0ken") as client:
            response = await client.get("/users/", params={"active": True})
    request = route.calls.last.request
    assert str(request.url) == f"{API}users/?active=true"
    assert request.headers["Authorization"] == "Bearer t0ken"
    assert isinstance(response, APIResponse)
    assert (response.status_code, response.data) == (200, [{"id": 1}])
    assert isinstance(response.headers, httpx.Headers)
    assert response.headers["x-total"] == "1"


async def test_a_404_is_caught_as_does_not_exist() -> None:
    """Raises DoesNotExist (NotFoundError) for a 404, as the seed's client did."""
    with respx.mock(base_url=API) as router:
        router.get("users/9/").respond(404, json={"detail": "Not found."})
        async with AsyncServiceClient(API) as client:
            with pytest.raises(DoesNotExist, match=r"GET https://api\.example\.test/api/users/9/"):
                await client.get("users/9/")


def test_import_does_no_io_and_reads_no_settings() -> None:
    """Imports without settings configured and without opening a socket."""
    code = textwrap.dedent(
        """
        import socket

        def refuse(*args, **kwargs):
            raise AssertionError("a socket was used at import")

        socket.socket.connect = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse

        from django.conf import settings
        from django_api_orm.async_client import AsyncServiceClient, DoesNotExist

        assert not settings.configured
        print(AsyncServiceClient.__module__, DoesNotExist.__name__)
        """
    )
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["django_api_orm.client._client", "NotFoundError"]
