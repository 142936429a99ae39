"""System checks for API_ORM_SERVICES and the models' service aliases."""

from __future__ import annotations

import ssl
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core import checks
from django.core.checks import Error, run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from django_api_orm.checks import check_models, check_services

URL = "https://catalog.internal/api/"


def errors_for(value: Any) -> list[Error]:
    with override_settings(API_ORM_SERVICES=value):
        return [e for e in check_services(None) if isinstance(e, Error)]


def test_valid_settings_pass() -> None:
    """Reports nothing for a service that sets every key well."""
    service = {
        "BASE_URL": URL,
        "AUTH_TOKEN": "t",
        "AUTH_SCHEME": "Token",
        "TIMEOUT": 5,
        "HTTP2": True,
        "MAX_RETRIES": 0,
        "RETRY_DELAY": 0,
        "MAX_CONNECTIONS": 10,
        "MAX_KEEPALIVE_CONNECTIONS": 0,
        "VERIFY_SSL": ssl.create_default_context(),
        "FOLLOW_REDIRECTS": True,
        "HEADERS": {"X-Client": "shop"},
        "IDEMPOTENCY_HEADER": None,
        "MAX_RESPONSE_BYTES": 10,
        "DIALECT": "django_api_orm.dialects.DRFDialect",
        "PAGINATION": {"STYLE": "none"},
    }
    assert errors_for({"default": service, "other": {"BASE_URL": "http://127.0.0.1:8000/"}}) == []


@pytest.mark.parametrize(
    ("value", "check_id", "fragment"),
    [
        (["default"], "E001", "API_ORM_SERVICES must be a dict, not list"),
        ({"default": URL}, "E001", "API_ORM_SERVICES['default'] must be a dict, not str"),
        ({1: {"BASE_URL": URL}}, "E001", "has the alias 1: not a str"),
        ({"default": {}}, "E002", "API_ORM_SERVICES['default'] has no BASE_URL"),
        ({"default": {"BASE_URL": "ftp://x.test/"}}, "E003", "must be an http:// or https:// URL"),
        ({"default": {"BASE_URL": "catalog.internal/api/"}}, "E003", "with a host"),
        ({"default": {"BASE_URL": "http://x.test:port/"}}, "E003", "with a host"),
        ({"default": {"BASE_URL": None}}, "E003", "not NoneType"),
        ({"default": {"BASE_URL": URL + "?format=json"}}, "E003", "must not have a query string"),
        ({"default": {"BASE_URL": URL, "TIMEOUTS": 3}}, "E004", "unknown key 'TIMEOUTS'"),
        ({"default": {"BASE_URL": URL, "TIMEOUT": "10"}}, "E005", "must be a positive number"),
        ({"default": {"BASE_URL": URL, "TIMEOUT": 0}}, "E005", "['TIMEOUT']"),
        ({"default": {"BASE_URL": URL, "TIMEOUT": True}}, "E005", "['TIMEOUT']"),
        ({"default": {"BASE_URL": URL, "HTTP2": "yes"}}, "E005", "['HTTP2'] must be True or False"),
        ({"default": {"BASE_URL": URL, "VERIFY_SSL": 1}}, "E005", "['VERIFY_SSL'] must be True"),
        (
            {"default": {"BASE_URL": URL, "HEADERS": {"X-A": 1}}},
            "E005",
            "['HEADERS'] must be a dict",
        ),
        ({"default": {"BASE_URL": URL, "HEADERS": ["X-A"]}}, "E005", "['HEADERS']"),
        ({"default": {"BASE_URL": URL, "MAX_RETRIES": -1}}, "E005", "must be an integer >= 0"),
        ({"default": {"BASE_URL": URL, "RETRY_DELAY": -0.5}}, "E005", "['RETRY_DELAY']"),
        ({"default": {"BASE_URL": URL, "MAX_CONNECTIONS": 0}}, "E005", "['MAX_CONNECTIONS']"),
        ({"default": {"BASE_URL": URL, "AUTH_SCHEME": ""}}, "E005", "['AUTH_SCHEME']"),
        ({"default": {"BASE_URL": URL, "AUTH_SCHEME": "My Scheme"}}, "E005", "['AUTH_SCHEME']"),
        ({"default": {"BASE_URL": URL, "AUTH_TOKEN": 7}}, "E005", "['AUTH_TOKEN']"),
        ({"default": {"BASE_URL": URL, "FOLLOW_REDIRECTS": None}}, "E005", "['FOLLOW_REDIRECTS']"),
        ({"default": {"BASE_URL": URL, "IDEMPOTENCY_HEADER": 1}}, "E005", "IDEMPOTENCY_HEADER"),
        ({"default": {"BASE_URL": URL, "MAX_RESPONSE_BYTES": 1.5}}, "E005", "MAX_RESPONSE_BYTES"),
        ({"default": {"BASE_URL": URL, "PAGINATION": []}}, "E006", "['PAGINATION'] must be a dict"),
        ({"default": {"BASE_URL": URL, "PAGINATION": {"SIZE": 5}}}, "E006", "unknown key 'SIZE'"),
        ({"default": {"BASE_URL": URL, "PAGINATION": {"STYLE": "pages"}}}, "E006", "'cursor'"),
        ({"default": {"BASE_URL": URL, "PAGINATION": {"PAGE_SIZE": -1}}}, "E006", "PAGE_SIZE"),
        (
            {"default": {"BASE_URL": URL, "PAGINATION": {"PREFETCH": -1}}},
            "E006",
            "['PREFETCH'] must be an integer >= 0 (pages requested ahead; 0 is off), not -1 (int)",
        ),
        ({"default": {"BASE_URL": URL, "PAGINATION": {"PREFETCH": True}}}, "E006", "True (bool)"),
        ({"default": {"BASE_URL": URL, "PAGINATION": {"PREFETCH": "4"}}}, "E006", "'4' (str)"),
        ({"default": {"BASE_URL": URL, "PAGINATION": {"PREFETCH": 1.0}}}, "E006", "1.0 (float)"),
        (
            {"default": {"BASE_URL": URL, "DIALECT": "no.such.Dialect"}},
            "E007",
            "cannot be imported",
        ),
        ({"default": {"BASE_URL": URL, "DIALECT": 3}}, "E007", "must be a dotted path"),
        (
            {"default": {"BASE_URL": URL, "DIALECT": "django_api_orm.pagination.PageNumber"}},
            "E007",
            "is not a dialect class",
        ),
    ],
)
def test_each_problem_has_its_id_and_a_hint(value: Any, check_id: str, fragment: str) -> None:
    """Reports one error with the problem's id, a message naming it and a hint."""
    errors = errors_for(value)
    assert [e.id for e in errors] == [f"django_api_orm.{check_id}"]
    assert fragment in errors[0].msg
    assert errors[0].hint


def test_token_with_a_newline_is_reported_without_quoting_it() -> None:
    """Reports a token with surrounding whitespace, hints at strip(), and never shows it."""
    (error,) = errors_for({"default": {"BASE_URL": URL, "AUTH_TOKEN": "s3cr3t-value\n"}})
    assert error.id == "django_api_orm.E005"
    assert error.hint is not None
    assert "strip()" in error.hint
    assert "s3cr3t" not in error.msg + error.hint


def test_missing_ca_bundle_is_a_warning(tmp_path: Path) -> None:
    """Warns (W001) when VERIFY_SSL names no file or directory, and not when it exists."""
    missing = tmp_path / "missing.pem"
    with override_settings(
        API_ORM_SERVICES={"default": {"BASE_URL": URL, "VERIFY_SSL": str(missing)}}
    ):
        (message,) = check_services(None)
    assert isinstance(message, checks.Warning)
    assert message.id == "django_api_orm.W001"
    assert "missing.pem" in message.msg
    bundle = tmp_path / "ca.pem"
    bundle.write_text("")
    for value in (str(bundle), bundle, str(tmp_path)):
        with override_settings(
            API_ORM_SERVICES={"default": {"BASE_URL": URL, "VERIFY_SSL": value}}
        ):
            assert check_services(None) == []


def test_unknown_key_hint_lists_the_valid_keys() -> None:
    """Suggests the closest key and lists every valid one."""
    (error,) = errors_for({"default": {"BASE_URL": URL, "TIMEOUTS": 3}})
    assert error.hint is not None
    assert "Did you mean 'TIMEOUT'?" in error.hint
    assert "AUTH, AUTH_SCHEME, AUTH_TOKEN, BASE_URL, CACHE, CERT, CIRCUIT_BREAKER" in error.hint


def test_lower_case_keys_are_named() -> None:
    """Says keys are upper-case when a lower-case key is used."""
    errors = errors_for({"default": {"base_url": URL}})
    assert [e.id for e in errors] == ["django_api_orm.E002", "django_api_orm.E004"]
    assert errors[1].hint is not None
    assert "Keys are upper-case: use 'BASE_URL'" in errors[1].hint


def test_every_problem_is_reported() -> None:
    """Reports each problem of each service, not only the first."""
    errors = errors_for(
        {
            "a": {"TIMEOUT": "x", "HTTP2": 1},
            "b": {"BASE_URL": URL, "PAGINATION": {"STYLE": "x", "PAGE_SIZE": 0}},
        }
    )
    assert [e.id for e in errors] == [
        "django_api_orm.E002",
        "django_api_orm.E005",
        "django_api_orm.E005",
        "django_api_orm.E006",
        "django_api_orm.E006",
    ]


def test_checks_are_registered_by_the_app() -> None:
    """Runs the service checks with Django's own check runner."""
    with override_settings(API_ORM_SERVICES={"default": {"BASE_URL": URL, "HTTP2": "no"}}):
        ids = [m.id for m in run_checks(tags=["django_api_orm"])]
    assert "django_api_orm.E005" in ids


def test_manage_py_check_fails_on_a_bad_setting() -> None:
    """Makes `manage.py check` fail, naming the id and the key."""
    bad = {"default": {"BASE_URL": URL, "TIMEOUTS": 3}}
    with override_settings(API_ORM_SERVICES=bad), pytest.raises(SystemCheckError) as info:
        call_command("check", stdout=StringIO(), stderr=StringIO())
    assert "django_api_orm.E004" in str(info.value)
    assert "TIMEOUTS" in str(info.value)


def test_manage_py_check_passes_with_the_test_settings() -> None:
    """Lets `manage.py check testapp` pass when its services and models are well configured."""
    out = StringIO()
    # Only testapp: other test modules declare models on aliases they configure per test.
    call_command("check", "testapp", stdout=out, stderr=StringIO())
    assert "no issues" in out.getvalue()


def test_model_naming_an_unknown_service_is_reported() -> None:
    """Reports E008 naming the model and its alias when the alias is not configured."""
    with override_settings(API_ORM_SERVICES={"billing": {"BASE_URL": URL}}):
        errors = check_models(None)
    messages = {e.msg for e in errors if e.id == "django_api_orm.E008"}
    book = next(m for m in messages if m.startswith("testapp.Book "))
    assert "'default'" in book
    assert "configured aliases: 'billing'" in book


def test_model_check_is_limited_to_the_apps_asked() -> None:
    """Checks only the models of the app configs passed, as `manage.py check app` does."""
    with override_settings(API_ORM_SERVICES={"billing": {"BASE_URL": URL}}):
        assert check_models([apps.get_app_config("auth")]) == []
        assert check_models([apps.get_app_config("testapp")]) != []


def test_models_pass_when_their_services_are_configured() -> None:
    """Reports nothing for models whose services are configured."""
    assert check_models([apps.get_app_config("testapp")]) == []


def test_model_without_filter_fields_is_warned_about() -> None:
    """Warns (W002, W003) about a model whose filters and orderings cannot be checked."""
    from django_api_orm import RemoteModel, fields

    class Unchecked(RemoteModel):
        name = fields.CharField()

        class Meta:
            app_label = "unchecked_app"
            endpoint = "unchecked/"

    warnings = [w for w in check_models(None) if w.id.startswith("django_api_orm.W")]
    mine = {w.id: w.msg for w in warnings if w.obj is Unchecked}
    assert "return every row" in mine["django_api_orm.W002"]
    assert "another order" in mine["django_api_orm.W003"]
    assert not [w for w in warnings if w.obj.__module__ == "tests.testapp.models"]
