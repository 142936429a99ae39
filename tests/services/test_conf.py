"""Reading API_ORM_SERVICES into ServiceConfig: keys, laziness, resets, errors."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from django_api_orm import conf
from django_api_orm.conf import ServiceConfig, ServiceDoesNotExist, get_config, merge_pagination

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "tok-7f3a9c-very-secret"

FULL = {
    "BASE_URL": "https://catalog.internal/api/",
    "AUTH_TOKEN": TOKEN,
    "AUTH_SCHEME": "Token",
    "TIMEOUT": 10.0,
    "HTTP2": True,
    "MAX_RETRIES": 2,
    "RETRY_DELAY": 0.5,
    "MAX_CONNECTIONS": 50,
    "MAX_KEEPALIVE_CONNECTIONS": 10,
    "VERIFY_SSL": "/etc/ssl/private-ca.pem",
    "FOLLOW_REDIRECTS": False,
    "HEADERS": {"X-Client": "storefront", "Authorization": "Basic c2VjcmV0"},
    "IDEMPOTENCY_HEADER": "Idempotency-Key",
    "MAX_RESPONSE_BYTES": 1024,
    "DIALECT": "django_api_orm.dialects.DRFDialect",
    "PAGINATION": {"STYLE": "limit_offset", "PAGE_SIZE": 25},
}


def test_every_client_key_maps_to_its_keyword() -> None:
    """Passes each settings key but DIALECT and PAGINATION as its lower-cased client keyword."""
    with override_settings(API_ORM_SERVICES={"catalog": FULL}):
        config = get_config("catalog")
    assert dict(config.client_kwargs) == {
        "base_url": "https://catalog.internal/api/",
        "auth_token": TOKEN,
        "auth_scheme": "Token",
        "timeout": 10.0,
        "http2": True,
        "max_retries": 2,
        "retry_delay": 0.5,
        "max_connections": 50,
        "max_keepalive_connections": 10,
        "verify_ssl": "/etc/ssl/private-ca.pem",
        "follow_redirects": False,
        "headers": {"X-Client": "storefront", "Authorization": "Basic c2VjcmV0"},
        "idempotency_header": "Idempotency-Key",
        "max_response_bytes": 1024,
    }
    assert config.alias == "catalog"
    assert config.base_url == "https://catalog.internal/api/"
    assert config.dialect == "django_api_orm.dialects.DRFDialect"
    assert dict(config.pagination) == {
        "STYLE": "limit_offset",
        "PAGE_SIZE": 25,
        "PAGE_SIZE_PARAM": "page_size",
        "MAX_PAGES": 10_000,
        "PREFETCH": 0,
    }


def test_client_keywords_match_the_table() -> None:
    """Names every client keyword as its settings key lower-cased."""
    for name, key in conf.SERVICE_KEYS.items():
        assert key.keyword in (name.lower(), None)
    assert {k for k, v in conf.SERVICE_KEYS.items() if v.keyword is None} == {
        "CACHE",
        "CIRCUIT_BREAKER",
        "DIALECT",
        "PAGINATION",
        "RATE_LIMIT",
    }


def test_unset_keys_are_left_to_the_client_defaults() -> None:
    """Passes only the keys that are set, and fills dialect and pagination with defaults."""
    with override_settings(API_ORM_SERVICES={"default": {"BASE_URL": "http://api.test/"}}):
        config = get_config("default")
    assert dict(config.client_kwargs) == {"base_url": "http://api.test/"}
    assert config.dialect == conf.DEFAULT_DIALECT
    assert dict(config.pagination) == {
        "STYLE": "page_number",
        "PAGE_SIZE": 100,
        "PAGE_SIZE_PARAM": "page_size",
        "MAX_PAGES": 10_000,
        "PREFETCH": 0,
    }


def test_config_is_read_only() -> None:
    """Refuses to change a config, its client keywords or its pagination."""
    config = get_config("default")
    with pytest.raises(AttributeError):
        config.alias = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.client_kwargs["timeout"] = 1  # type: ignore[index]
    with pytest.raises(TypeError):
        config.pagination["PAGE_SIZE"] = 1  # type: ignore[index]


def test_config_is_cached_per_alias() -> None:
    """Returns the same config object until the setting changes."""
    assert get_config("default") is get_config("default")


def test_setting_changed_resets_the_cache() -> None:
    """Reads the new value inside override_settings and the old one after it."""
    before = get_config("default")
    with override_settings(API_ORM_SERVICES={"default": {"BASE_URL": "http://other.test/"}}):
        inside = get_config("default")
        assert inside.base_url == "http://other.test/"
    after = get_config("default")
    assert after.base_url == before.base_url == "https://api.example.test/api/"
    assert after is not before


def test_settings_are_not_read_at_import() -> None:
    """Imports conf, services, checks and apps without configured settings."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    code = (
        "import django_api_orm.conf, django_api_orm.services, django_api_orm.checks, "
        "django_api_orm.apps\n"
        "from django.conf import settings\n"
        "assert not settings.configured\n"
    )
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_unknown_alias_names_the_configured_ones() -> None:
    """Raises ImproperlyConfigured naming the unknown alias and the configured aliases."""
    services = {
        "default": {"BASE_URL": "http://a.test/"},
        "billing": {"BASE_URL": "http://b.test/"},
    }
    with override_settings(API_ORM_SERVICES=services), pytest.raises(ServiceDoesNotExist) as info:
        get_config("catalog")
    assert isinstance(info.value, ImproperlyConfigured)
    assert "'catalog'" in str(info.value)
    assert "'default', 'billing'" in str(info.value)


def test_aliases_lists_the_configured_aliases() -> None:
    """Lists the aliases in settings order."""
    services = {
        "default": {"BASE_URL": "http://a.test/"},
        "billing": {"BASE_URL": "http://b.test/"},
    }
    with override_settings(API_ORM_SERVICES=services):
        assert conf.aliases() == ["default", "billing"]


def test_missing_setting_means_no_aliases() -> None:
    """Treats an absent API_ORM_SERVICES as no services, like an empty dict."""
    with override_settings():
        del settings.API_ORM_SERVICES  # sends no setting_changed, so reset by hand
        conf.reset()
        assert conf.aliases() == []
        with pytest.raises(ServiceDoesNotExist, match="configured aliases: none"):
            get_config("default")


def test_invalid_service_is_refused_at_first_use() -> None:
    """Raises ImproperlyConfigured naming the bad key, as the system check would."""
    bad = {"default": {"BASE_URL": "http://a.test/", "TIMEOUT": "10"}}
    with override_settings(API_ORM_SERVICES=bad), pytest.raises(ImproperlyConfigured) as info:
        get_config("default")
    assert "['default']['TIMEOUT'] must be a positive number" in str(info.value)
    assert "django_api_orm.E005" in str(info.value)


def test_setting_that_is_not_a_dict_is_refused() -> None:
    """Raises ImproperlyConfigured when API_ORM_SERVICES is not a dict."""
    with (
        override_settings(API_ORM_SERVICES=["default"]),
        pytest.raises(ImproperlyConfigured, match="must be a dict"),
    ):
        get_config("default")


def test_repr_masks_the_token_and_secret_headers() -> None:
    """Shows neither AUTH_TOKEN nor a header value that may be a credential in repr or str.

    ``X-Client: storefront`` may be a key under an odd name: it is masked too;
    the header names stay.
    """
    with override_settings(API_ORM_SERVICES={"catalog": FULL}):
        config = get_config("catalog")
    for text in (repr(config), str(config), repr(config.client_kwargs)):
        assert TOKEN not in text
        assert "c2VjcmV0" not in text
        assert "storefront" not in text
        assert "'X-Client': '********'" in text
    assert config.client_kwargs["auth_token"] == TOKEN
    built = ServiceConfig(alias="x", client_kwargs={"base_url": "http://x/", "auth_token": TOKEN})
    assert TOKEN not in repr(built)


def test_messages_never_quote_the_token() -> None:
    """Names only the type of a token of the wrong type, never its value."""
    bad = {"default": {"BASE_URL": "http://a.test/", "AUTH_TOKEN": TOKEN.encode()}}
    problems = conf.validate(bad)
    assert [p.id for p in problems] == ["django_api_orm.E005"]
    assert TOKEN not in problems[0].msg
    assert "bytes" in problems[0].msg


def test_base_url_credentials_are_not_quoted() -> None:
    """Leaves the user and password out of a message about a bad BASE_URL."""
    problems = conf.validate({"default": {"BASE_URL": "ftp://user:pa55word@host.test/"}})
    assert [p.id for p in problems] == ["django_api_orm.E003"]
    assert "pa55word" not in problems[0].msg
    assert "host.test" in problems[0].msg


def test_ssl_context_is_accepted_for_verify_ssl() -> None:
    """Accepts an ssl.SSLContext as VERIFY_SSL and passes it through."""
    context = ssl.create_default_context()
    with override_settings(
        API_ORM_SERVICES={"default": {"BASE_URL": "https://a.test/", "VERIFY_SSL": context}}
    ):
        assert get_config("default").client_kwargs["verify_ssl"] is context


def test_merge_pagination_overrides_the_service() -> None:
    """Merges a model's Meta.pagination over its service's PAGINATION."""
    service = get_config("default").pagination
    merged = merge_pagination(service, {"STYLE": "cursor", "PAGE_SIZE": 2})
    assert dict(merged) == {
        "STYLE": "cursor",
        "PAGE_SIZE": 2,
        "PAGE_SIZE_PARAM": "page_size",
        "MAX_PAGES": 10_000,
        "PREFETCH": 0,
    }
    assert merge_pagination(service, None) is service


def test_merge_pagination_names_an_unknown_key() -> None:
    """Raises ImproperlyConfigured naming an unknown Meta.pagination key and the closest one."""
    service = get_config("default").pagination
    with pytest.raises(ImproperlyConfigured) as info:
        merge_pagination(service, {"PAGESIZE": 10}, where="Book.Meta.pagination")
    assert "Book.Meta.pagination has an unknown key 'PAGESIZE'" in str(info.value)
    assert "Did you mean 'PAGE_SIZE'?" in str(info.value)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"STYLE": "pages"}, "must be one of 'page_number', 'limit_offset', 'cursor', 'none'"),
        ({"PAGE_SIZE": 0}, "['PAGE_SIZE'] must be a positive integer"),
        ({"PAGE_SIZE_PARAM": ""}, "['PAGE_SIZE_PARAM'] must be the name"),
        ({"MAX_PAGES": 0}, "['MAX_PAGES'] must be a positive integer"),
        ({"PREFETCH": -1}, "['PREFETCH'] must be an integer >= 0"),
        ({"PREFETCH": True}, "['PREFETCH'] must be an integer >= 0"),
        ({"PREFETCH": "2"}, "['PREFETCH'] must be an integer >= 0"),
        ({"PREFETCH": 2.0}, "['PREFETCH'] must be an integer >= 0"),
    ],
)
def test_merge_pagination_validates_values(override: dict[str, object], message: str) -> None:
    """Raises ImproperlyConfigured for a bad STYLE, PAGE_SIZE, PAGE_SIZE_PARAM, MAX_PAGES
    or PREFETCH."""
    with pytest.raises(ImproperlyConfigured) as info:
        merge_pagination(get_config("default").pagination, override)
    assert message in str(info.value)


def test_service_config_can_be_built_directly() -> None:
    """Builds a ServiceConfig with the default dialect and pagination."""
    config = ServiceConfig(alias="x", client_kwargs={"base_url": "http://x.test/"})
    assert config.dialect == conf.DEFAULT_DIALECT
    assert config.pagination == conf.DEFAULT_PAGINATION
