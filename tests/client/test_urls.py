"""URL joining, origin checks, redaction and primary-key quoting (``client._urls``)."""

from __future__ import annotations

import pytest
import respx

from django_api_orm.client import AsyncServiceClient
from django_api_orm.client._urls import (
    join_url,
    normalise_base_url,
    origin_of,
    quote_segment,
    redact_url,
    strip_credentials,
)

BASE = "https://h.example/api/"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (7, "7"),
        ("abc", "abc"),
        ("a/b", "a%2Fb"),
        ("a?b#c", "a%3Fb%23c"),
        ("100%", "100%25"),
        ("../etc", "..%2Fetc"),
        ("with space", "with%20space"),
        ("é", "%C3%A9"),
    ],
)
def test_quote_segment_makes_one_segment(value: object, expected: str) -> None:
    """Quotes a primary key into exactly one path segment, encoding / ? # and %."""
    assert quote_segment(value) == expected


@pytest.mark.parametrize("value", ["", ".", ".."])
def test_quote_segment_refuses_dot_segments(value: str) -> None:
    """Refuses a primary key that would name the collection or its parent."""
    with pytest.raises(ValueError, match="cannot be used as a primary key"):
        quote_segment(value)


@pytest.mark.parametrize("endpoint", ["books/", "/books/"])
def test_join_keeps_the_base_path(endpoint: str) -> None:
    """Joins an endpoint below the base path, with or without a leading slash."""
    base = normalise_base_url(BASE)
    origin = origin_of(base)
    assert origin is not None
    assert join_url(base, origin, endpoint) == "https://h.example/api/books/"


def test_join_accepts_an_absolute_url_on_the_same_origin() -> None:
    """Accepts an absolute URL on the base URL's origin, default port or not."""
    base = normalise_base_url(BASE)
    origin = origin_of(base)
    assert origin is not None
    url = "https://H.EXAMPLE:443/api/books/?page=2"
    assert join_url(base, origin, url) == url


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://evil.example/api/books/",
        "http://h.example/api/books/",
        "https://h.example:8443/api/books/",
        "//evil.example/books/",
    ],
)
def test_join_refuses_another_origin(endpoint: str) -> None:
    """Refuses an absolute URL on another scheme, host or port."""
    base = normalise_base_url(BASE)
    origin = origin_of(base)
    assert origin is not None
    with pytest.raises(ValueError, match=r"not on the client's origin https://h\.example"):
        join_url(base, origin, endpoint)


def test_join_treats_a_colon_in_a_path_as_a_path() -> None:
    """Keeps an endpoint like ``books:archive/`` below the base URL."""
    base = normalise_base_url(BASE)
    origin = origin_of(base)
    assert origin is not None
    assert join_url(base, origin, "books:archive/") == "https://h.example/api/books:archive/"


async def test_client_refuses_another_origin_before_any_request() -> None:
    """Raises before sending anything when the endpoint is on another origin."""
    with respx.mock(assert_all_called=False) as router:
        route = router.route()
        async with AsyncServiceClient(BASE, auth_token="t0k3n") as client:
            with pytest.raises(ValueError, match=r"evil\.example"):
                await client.get("https://evil.example/steal")
        assert not route.called


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://h.example/api", "https://h.example/api/"),
        ("https://h.example", "https://h.example/"),
        ("HTTPS://h.example/api/", "https://h.example/api/"),
        ("  http://127.0.0.1:8000/v1/  ", "http://127.0.0.1:8000/v1/"),
    ],
)
def test_base_url_is_normalised(given: str, expected: str) -> None:
    """Normalises the base URL to end with a slash."""
    assert AsyncServiceClient(given).base_url == expected


@pytest.mark.parametrize(
    ("base", "origin"),
    [
        ("https://h.example/api/", "https://h.example"),
        ("http://127.0.0.1:8000/api/", "http://127.0.0.1:8000"),
        ("https://user:pw@h.example:443/", "https://h.example"),
    ],
)
def test_origin_property(base: str, origin: str) -> None:
    """Exposes the base URL's origin without credentials or a default port."""
    assert AsyncServiceClient(base).origin == origin


@pytest.mark.parametrize(
    "base", ["h.example/api/", "ftp://h.example/", "https:///api/", "https://h.example/?a=1"]
)
def test_bad_base_urls_are_refused(base: str) -> None:
    """Refuses a base URL that is not absolute http(s), or that has a query string."""
    with pytest.raises(ValueError, match="base_url"):
        AsyncServiceClient(base)


def test_strip_credentials() -> None:
    """Removes user and password from a URL."""
    assert strip_credentials("https://bob:pw@h.example/x?a=1") == "https://h.example/x?a=1"
    assert strip_credentials("https://h.example/x") == "https://h.example/x"


def test_redact_url_hides_credentials_and_secret_query_values() -> None:
    """Hides userinfo and the values of token, key, secret, password and signature parameters."""
    url = (
        "https://bob:pw@h.example/x?author=7&token=T1&api_key=K2&client_secret=S3"
        "&password=P4&X-Amz-Signature=G5&page=2"
    )
    shown = redact_url(url)
    for secret in ("bob", "pw@", "T1", "K2", "S3", "P4", "G5"):
        assert secret not in shown
    assert shown.startswith("https://h.example/x?author=7&token=[redacted]")
    assert shown.endswith("&page=2")
