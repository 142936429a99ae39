"""The exact request each call makes, pinned with respx; and the options that shape it."""

from __future__ import annotations

import gzip
import json
import uuid
import zlib

import httpx
import pytest
import respx

from django_api_orm import APIResponse, AsyncServiceClient
from django_api_orm.client import __all__ as client_all

API = "https://api.example.test/api/"
TOKEN = "s3cret-t0ken-value"


def test_public_names() -> None:
    """Exports exactly the client and its response type."""
    assert sorted(client_all) == ["APIResponse", "AsyncServiceClient"]


async def test_get_sends_params_accept_auth_and_custom_headers() -> None:
    """Sends a GET with the query string, Accept, Authorization and custom headers."""
    with respx.mock(base_url=API) as router:
        route = router.get("books/").respond(200, json={"count": 0, "results": []})
        async with AsyncServiceClient(
            API, auth_token=TOKEN, headers={"X-Tenant": "acme", "Accept-Language": "fr"}
        ) as client:
            response = await client.get("books/", params={"price__lt": "20", "ordering": "-id"})
    request = route.calls.last.request
    assert request.method == "GET"
    assert str(request.url) == f"{API}books/?price__lt=20&ordering=-id"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["X-Tenant"] == "acme"
    assert request.headers["Accept-Language"] == "fr"
    assert request.headers["User-Agent"].startswith("django-api-orm/")
    assert "content-type" not in request.headers
    assert request.content == b""
    assert response == APIResponse(
        data={"count": 0, "results": []},
        status_code=200,
        headers=response.headers,
        http_version="HTTP/1.1",
        url=f"{API}books/?price__lt=20&ordering=-id",
    )


async def test_get_sends_pairs_in_their_order() -> None:
    """Sends (key, value) pairs in the order given, a repeated key where it stands."""
    with respx.mock(base_url=API) as router:
        route = router.get("books/").respond(200, json=[])
        async with AsyncServiceClient(API) as client:
            pairs = [
                ("tags", "a"),
                ("published__gt", "2024-01-01T00:00:00+01:00"),
                ("tags", "b"),
            ]
            await client.get("/books/", params=pairs)
    url = route.calls.last.request.url
    assert url.query == b"tags=a&published__gt=2024-01-01T00%3A00%3A00%2B01%3A00&tags=b"


async def test_params_are_spelled_as_httpx_spells_them() -> None:
    """Encodes mapping values byte for byte as httpx would: booleans, None, lists, UTF-8."""
    params = {
        "in_print": True,
        "x": None,
        "price": 1.5,
        "title__in": "x,y",
        "q": "é a/+",
        "n": [1, 2],
    }
    with respx.mock(base_url=API) as router:
        route = router.get("books/").respond(200, json=[])
        async with AsyncServiceClient(API) as client:
            await client.get("books/", params=params)
    expected = httpx.Request("GET", f"{API}books/", params=params).url
    assert route.calls.last.request.url == expected
    assert expected.query.startswith(b"in_print=true&x=&price=1.5&title__in=x%2Cy")


async def test_params_are_appended_to_an_endpoint_query() -> None:
    """Appends params after a query string already in the endpoint."""
    with respx.mock(base_url=API) as router:
        route = router.get("books/").respond(200, json=[])
        async with AsyncServiceClient(API) as client:
            await client.get("books/?page=2", params={"page_size": "10"})
    assert route.calls.last.request.url.query == b"page=2&page_size=10"


@pytest.mark.parametrize("method", ["post", "put", "patch"])
async def test_writes_send_a_json_body(method: str) -> None:
    """Sends POST, PUT and PATCH bodies as compact UTF-8 JSON with a JSON content type."""
    data = {"title": "Ça va", "price": "9.50", "tags": ["a", "b"]}
    with respx.mock(base_url=API) as router:
        route = router.request(method.upper(), "books/3/").respond(200, json={"id": 3, **data})
        async with AsyncServiceClient(API, auth_token=TOKEN) as client:
            response = await getattr(client, method)("books/3/", data)
    request = route.calls.last.request
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.content == json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    assert response.data == {"id": 3, **data}


async def test_post_without_data_sends_no_body() -> None:
    """Sends a POST without data with no body and no content type."""
    with respx.mock(base_url=API) as router:
        route = router.post("books/1/publish/").respond(202, json={"queued": True})
        async with AsyncServiceClient(API) as client:
            response = await client.post("books/1/publish/")
    assert route.calls.last.request.content == b""
    assert "content-type" not in route.calls.last.request.headers
    assert response.status_code == 202


async def test_delete_returns_none_for_204() -> None:
    """Sends a DELETE and returns data None for a 204 answer."""
    with respx.mock(base_url=API) as router:
        route = router.delete("books/3/").respond(204)
        async with AsyncServiceClient(API, auth_token=TOKEN) as client:
            response = await client.delete("books/3/")
    assert route.calls.last.request.method == "DELETE"
    assert response.data is None
    assert response.status_code == 204


async def test_empty_body_is_none() -> None:
    """Returns data None for a 200 answer with an empty body."""
    with respx.mock(base_url=API) as router:
        router.get("ping/").respond(200, content=b"")
        async with AsyncServiceClient(API) as client:
            assert (await client.get("ping/")).data is None


async def test_request_is_the_general_form() -> None:
    """Sends any method through request(), with params and a JSON body."""
    with respx.mock(base_url=API) as router:
        route = router.request("OPTIONS", "books/").respond(200, json={"ok": 1})
        async with AsyncServiceClient(API) as client:
            response = await client.request("options", "books/", params=[("a", "1")], json=[1])
    assert route.calls.last.request.url.query == b"a=1"
    assert route.calls.last.request.content == b"[1]"
    assert response.data == {"ok": 1}


async def test_token_auth_scheme() -> None:
    """Sends ``Token <token>`` when auth_scheme is "Token" (DRF TokenAuthentication)."""
    with respx.mock(base_url=API) as router:
        route = router.get("me/").respond(200, json={})
        async with AsyncServiceClient(API, auth_token="abc", auth_scheme="Token") as client:
            await client.get("me/")
    assert route.calls.last.request.headers["Authorization"] == "Token abc"


async def test_no_token_no_authorization_header() -> None:
    """Sends no Authorization header without a token."""
    with respx.mock(base_url=API) as router:
        route = router.get("me/").respond(200, json={})
        async with AsyncServiceClient(API) as client:
            await client.get("me/")
    assert "authorization" not in route.calls.last.request.headers


async def test_custom_headers_override_defaults_but_not_the_token() -> None:
    """Lets custom headers replace Accept, but the token's Authorization wins."""
    with respx.mock(base_url=API) as router:
        route = router.get("me/").respond(200, json={})
        async with AsyncServiceClient(
            API,
            auth_token=TOKEN,
            headers={"accept": "application/vnd.api+json", "Authorization": "Basic eA=="},
        ) as client:
            await client.get("me/")
    headers = route.calls.last.request.headers
    assert headers.get_list("accept") == ["application/vnd.api+json"]
    assert headers["Authorization"] == f"Bearer {TOKEN}"


async def test_timeout_is_applied_to_httpx() -> None:
    """Gives httpx the timeout for read, write and pool, and 90% of it to connect.

    Connecting ends before the attempt's own deadline, so a connection that
    cannot be made raises ConnectTimeout, which any method may retry.
    """
    with respx.mock(base_url=API) as router:
        route = router.get("x/").respond(200, json={})
        async with AsyncServiceClient(API, timeout=2.5) as client:
            await client.get("x/")
    timeouts = route.calls.last.request.extensions["timeout"]
    assert timeouts == {"connect": 2.25, "read": 2.5, "write": 2.5, "pool": 2.5}


async def test_idempotency_key_on_writes_only() -> None:
    """Sends a fresh UUID4 idempotency key on each POST and PATCH call, not on GET or PUT."""
    with respx.mock(base_url=API) as router:
        post = router.post("books/").respond(201, json={"id": 1})
        patch = router.patch("books/1/").respond(200, json={"id": 1})
        get = router.get("books/1/").respond(200, json={"id": 1})
        put = router.put("books/1/").respond(200, json={"id": 1})
        async with AsyncServiceClient(API, idempotency_header="Idempotency-Key") as client:
            await client.post("books/", {"t": 1})
            await client.post("books/", {"t": 1})
            await client.patch("books/1/", {"t": 2})
            await client.get("books/1/")
            await client.put("books/1/", {"t": 3})
    keys = [call.request.headers["Idempotency-Key"] for call in post.calls]
    keys.append(patch.calls.last.request.headers["Idempotency-Key"])
    assert len(set(keys)) == 3
    assert all(uuid.UUID(k).version == 4 for k in keys)
    assert "idempotency-key" not in get.calls.last.request.headers
    assert "idempotency-key" not in put.calls.last.request.headers


async def test_gzip_body_is_decoded() -> None:
    """Decodes a gzip-encoded JSON body."""
    with respx.mock(base_url=API) as router:
        router.get("z/").respond(
            200,
            content=gzip.compress(b'{"ok": true}'),
            headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
        )
        async with AsyncServiceClient(API) as client:
            assert (await client.get("z/")).data == {"ok": True}


async def test_deflate_body_is_decoded_with_or_without_zlib_header() -> None:
    """Decodes a deflate body, zlib-wrapped or raw."""
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    raw_body = raw.compress(b'{"raw": 1}') + raw.flush()
    with respx.mock(base_url=API) as router:
        router.get("zlib/").respond(
            200, content=zlib.compress(b'{"zlib": 1}'), headers={"Content-Encoding": "deflate"}
        )
        router.get("raw/").respond(200, content=raw_body, headers={"Content-Encoding": "deflate"})
        async with AsyncServiceClient(API) as client:
            assert (await client.get("zlib/")).data == {"zlib": 1}
            assert (await client.get("raw/")).data == {"raw": 1}


async def test_response_is_a_frozen_value() -> None:
    """Returns an APIResponse that cannot be changed and has no __dict__."""
    with respx.mock(base_url=API) as router:
        router.get("x/").respond(200, json={"a": 1}, headers={"X-Request-Id": "r1"})
        async with AsyncServiceClient(API) as client:
            response = await client.get("x/")
    assert response.headers["x-request-id"] == "r1"
    assert not hasattr(response, "__dict__")
    with pytest.raises(AttributeError):
        response.status_code = 500  # type: ignore[misc]


async def test_closed_client_cannot_be_reused() -> None:
    """Raises a clear error for a request, or async with, after close()."""
    with respx.mock(base_url=API, assert_all_called=False) as router:
        route = router.get("x/").respond(200, json={})
        client = AsyncServiceClient(API)
        async with client:
            await client.get("x/")
        assert client.is_closed
        with pytest.raises(RuntimeError, match="closed and cannot be reused"):
            await client.get("x/")
        with pytest.raises(RuntimeError, match="closed"):
            async with client:
                pass
        await client.close()  # closing twice is harmless
    assert route.call_count == 1


def test_repr_shows_settings_but_not_the_token() -> None:
    """Shows base_url, http2 and limits in repr(client), never the token or URL credentials."""
    client = AsyncServiceClient(
        "https://bob:hunter2@api.example.test/api", auth_token=TOKEN, http2=True
    )
    text = repr(client)
    assert "base_url='https://api.example.test/api/'" in text
    assert "http2=True" in text
    assert TOKEN not in text
    assert "hunter2" not in text
    assert TOKEN not in str(client)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"timeout": 0}, "timeout"),
        ({"max_retries": -1}, "max_retries"),
        ({"retry_delay": -1}, "retry_delay"),
        ({"max_connections": 0}, "max_connections"),
        ({"max_keepalive_connections": -1}, "max_keepalive_connections"),
        ({"max_response_bytes": 0}, "max_response_bytes"),
        ({"verify_ssl": "/no/such/ca.pem"}, "verify_ssl"),
        ({"auth_token": "abc\ndef"}, "auth_token"),
    ],
)
def test_bad_options_are_refused(kwargs: dict[str, object], match: str) -> None:
    """Refuses out-of-range options at construction, naming the option."""
    with pytest.raises(ValueError, match=match) as info:
        AsyncServiceClient(API, **kwargs)  # type: ignore[arg-type]
    assert "abc\ndef" not in str(info.value)
