"""HEADERS values checked like the client checks them, and credentials sent over plain http."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.checks import Error
from django.core.checks import Warning as CheckWarning
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from django_api_orm import conf
from django_api_orm.checks import check_services
from django_api_orm.conf import get_config

URL = "https://catalog.internal/api/"
KEY = "k3y-9f8e7d6c5b4a"


def messages_for(value: Any) -> list[Any]:
    with override_settings(API_ORM_SERVICES=value):
        return list(check_services(None))


@pytest.mark.parametrize(
    ("headers", "header", "why"),
    [
        ({"X-Api-Key": KEY + "\n"}, "'X-Api-Key'", "the value ends with a newline: strip() it"),
        ({"X-Api-Key": KEY + "\r\n"}, "'X-Api-Key'", "the value ends with a newline: strip() it"),
        ({"X-Partner": f"{KEY}\r\nX-Evil: 1"}, "'X-Partner'", "line break (CR or LF)"),
        ({"X-Api-Key": f" {KEY}"}, "'X-Api-Key'", "starts or ends with whitespace: strip() it"),
        ({"X-Api-Key": f"{KEY}\x7f"}, "'X-Api-Key'", "control character"),
        ({"X-Api-Key": f"{KEY}€"}, "'X-Api-Key'", "not ASCII"),
        ({"X Api-Key": KEY}, "'X Api-Key'", "is not a header name"),
        ({"X-Api-Key\n": KEY}, "'X-Api-Key\\n'", "is not a header name"),
    ],
)
def test_illegal_header_is_an_error_naming_service_and_header(
    headers: dict[str, str], header: str, why: str
) -> None:
    """Reports E005 naming the service, the header and why, never the value."""
    [error] = messages_for({"billing": {"BASE_URL": URL, "HEADERS": headers}})
    assert isinstance(error, Error)
    assert error.id == "django_api_orm.E005"
    assert error.msg.startswith(f"API_ORM_SERVICES['billing']['HEADERS'][{header}]: ")
    assert why in error.msg
    assert "strip()" in (error.hint or "")
    assert KEY not in error.msg + (error.hint or "")


def test_every_illegal_header_is_reported() -> None:
    """Reports each illegal header of a service, not only the first."""
    headers = {"X-Api-Key": KEY + "\n", "X-Ok": "fine", "X-Partner": " x"}
    errors = messages_for({"default": {"BASE_URL": URL, "HEADERS": headers}})
    assert [e.msg.split("]: ")[0] for e in errors] == [
        "API_ORM_SERVICES['default']['HEADERS']['X-Api-Key'",
        "API_ORM_SERVICES['default']['HEADERS']['X-Partner'",
    ]


def test_get_config_refuses_an_illegal_header_without_quoting_it() -> None:
    """Raises ImproperlyConfigured with the same message at run time."""
    bad = {"default": {"BASE_URL": URL, "HEADERS": {"X-Api-Key": KEY + "\n"}}}
    with override_settings(API_ORM_SERVICES=bad), pytest.raises(ImproperlyConfigured) as info:
        get_config("default")
    assert "['HEADERS']['X-Api-Key']: the value ends with a newline" in str(info.value)
    assert "django_api_orm.E005" in str(info.value)
    assert KEY not in str(info.value)


def test_manage_py_check_never_prints_the_value() -> None:
    """Fails `manage.py check` on the header, without the value in its output."""
    bad = {"default": {"BASE_URL": URL, "HEADERS": {"X-Api-Key": KEY + "\r\n"}}}
    with override_settings(API_ORM_SERVICES=bad), pytest.raises(SystemCheckError) as info:
        call_command("check", stdout=StringIO(), stderr=StringIO())
    assert "X-Api-Key" in str(info.value)
    assert KEY not in str(info.value)


def test_legal_headers_pass() -> None:
    """Reports nothing for legal names and values, an empty value included."""
    headers = {"X-Api-Key": KEY, "Accept-Language": "en", "X-Empty": "", "X-Odd_1~": "a'b\"c"}
    assert messages_for({"default": {"BASE_URL": URL, "HEADERS": headers}}) == []


# -- W004: credentials over plain http ----------------------------------------------------


@pytest.mark.parametrize(
    ("service", "sent"),
    [
        ({"BASE_URL": "http://api.example.com/", "AUTH_TOKEN": KEY}, "AUTH_TOKEN"),
        (
            {"BASE_URL": "http://10.0.0.5:8000/api/", "HEADERS": {"X-Api-Key": KEY}},
            "HEADERS['X-Api-Key']",
        ),
        (
            {"BASE_URL": "http://bob:hunter2@api.example.com/", "HEADERS": {"Accept": "a/b"}},
            "the password in BASE_URL",
        ),
        (
            {
                "BASE_URL": "HTTP://API.example.com/",
                "AUTH_TOKEN": KEY,
                "HEADERS": {"Cookie": "sid=1"},
            },
            "AUTH_TOKEN, HEADERS['Cookie']",
        ),
    ],
)
def test_credentials_over_plain_http_are_warned_about(service: dict[str, Any], sent: str) -> None:
    """Warns (W004) naming the service and what would travel in clear, never the value."""
    [warning] = messages_for({"billing": service})
    assert isinstance(warning, CheckWarning)
    assert warning.id == "django_api_orm.W004"
    assert warning.msg.startswith(f"API_ORM_SERVICES['billing'] sends {sent} over plain http://")
    assert "travels in clear" in warning.msg
    assert "https://" in (warning.hint or "")
    assert KEY not in warning.msg + (warning.hint or "")
    assert "hunter2" not in warning.msg + (warning.hint or "")


@pytest.mark.parametrize(
    "service",
    [
        {"BASE_URL": "https://api.example.com/", "AUTH_TOKEN": KEY},
        {"BASE_URL": "http://localhost:8000/", "AUTH_TOKEN": KEY},
        {"BASE_URL": "http://LOCALHOST/", "AUTH_TOKEN": KEY},
        {"BASE_URL": "http://catalog.localhost/", "AUTH_TOKEN": KEY},
        {"BASE_URL": "http://127.0.0.1:8000/", "HEADERS": {"X-Api-Key": KEY}},
        {"BASE_URL": "http://127.8.9.10/", "AUTH_TOKEN": KEY},
        {"BASE_URL": "http://[::1]:8000/", "AUTH_TOKEN": KEY},
        {"BASE_URL": "http://api.example.com/"},
        {"BASE_URL": "http://api.example.com/", "AUTH_TOKEN": None},
        {"BASE_URL": "http://api.example.com/", "HEADERS": {"X-Client": "storefront-42"}},
        {"BASE_URL": "http://bob@api.example.com/"},
    ],
)
def test_no_warning_for_https_loopback_or_no_credential(service: dict[str, Any]) -> None:
    """Says nothing for https://, a loopback host, or a service sending no credential."""
    assert messages_for({"default": service}) == []


def test_localhost_lookalike_is_not_loopback() -> None:
    """Warns for a host that only starts like localhost or 127.0.0.1."""
    for url in ("http://localhost.example.com/", "http://127.0.0.1.nip.io/"):
        [warning] = messages_for({"default": {"BASE_URL": url, "AUTH_TOKEN": KEY}})
        assert warning.id == "django_api_orm.W004"


def test_get_config_accepts_a_service_with_a_warning() -> None:
    """Builds the config of a service the checks only warn about."""
    service = {"BASE_URL": "http://api.example.com/", "AUTH_TOKEN": KEY}
    assert [p.id for p in conf.validate({"default": service})] == ["django_api_orm.W004"]
    with override_settings(API_ORM_SERVICES={"default": service}):
        assert get_config("default").client_kwargs["auth_token"] == KEY
