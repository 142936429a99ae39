"""CACHE, RATE_LIMIT and CIRCUIT_BREAKER settings: what the checks and get_config() refuse."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.checks import Error, run_checks
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from django_api_orm import RemoteModel, conf, fields
from django_api_orm.checks import check_services
from django_api_orm.conf_validation import E_BAD_VALUE, parse_rate
from tests.shared.conftest import API, locmem_caches

CHECK_TAG = "django_api_orm"


def problems_for(**extra: Any) -> list[conf.Problem]:
    return conf.validate({"default": {"BASE_URL": API, **extra}})


def refused_by_get_config(**extra: Any) -> str:
    services = {"default": {"BASE_URL": API, **extra}}
    with override_settings(API_ORM_SERVICES=services), pytest.raises(ImproperlyConfigured) as info:
        conf.get_config("default")
    return str(info.value)


@pytest.mark.parametrize(
    "extra",
    [
        {"CACHE": {}},
        {"CACHE": None},
        {"CACHE": {"ALIAS": "default", "TIMEOUT": 0.5, "STALE_IF_ERROR": 0}},
        {"CACHE": {"TIMEOUT": 60, "STALE_IF_ERROR": 300}},
        {"RATE_LIMIT": "50/s"},
        {"RATE_LIMIT": "600/m"},
        {"RATE_LIMIT": "1000/hour"},
        {"RATE_LIMIT": "2.5 / second"},
        {"RATE_LIMIT": None},
        {"CIRCUIT_BREAKER": {"FAILURES": 1, "RESET": 0.5}},
        {"CIRCUIT_BREAKER": {}},
    ],
)
def test_valid_values_pass(extra: dict[str, Any]) -> None:
    """Reports nothing for well-formed values (with CACHES['default'] configured)."""
    with override_settings(CACHES=locmem_caches()):
        assert problems_for(**extra) == []


def test_defaults_fill_the_config() -> None:
    """Fills CACHE and CIRCUIT_BREAKER with their defaults; state_alias follows CACHE."""
    services = {
        "default": {
            "BASE_URL": API,
            "CACHE": {"TIMEOUT": 5},
            "CIRCUIT_BREAKER": {"FAILURES": 3},
            "RATE_LIMIT": "5/s",
        },
        "aliased": {"BASE_URL": API, "CACHE": {"ALIAS": "shared"}},
        "plain": {"BASE_URL": API},
    }
    with override_settings(API_ORM_SERVICES=services):
        config = conf.get_config("default")
        assert dict(config.cache or {}) == {"ALIAS": "default", "TIMEOUT": 5, "STALE_IF_ERROR": 0}
        assert dict(config.circuit_breaker or {}) == {"FAILURES": 3, "RESET": 30}
        assert config.rate_limit == "5/s"
        assert config.state_alias == "default"
        assert conf.get_config("aliased").state_alias == "shared"
        plain = conf.get_config("plain")
        assert (plain.cache, plain.rate_limit, plain.circuit_breaker) == (None, None, None)


@pytest.mark.parametrize(
    ("extra", "fragments"),
    [
        ({"CACHE": {"TIMEOUTS": 5}}, ["['CACHE']", "TIMEOUTS"]),
        ({"CACHE": {"TIMEOUT": 0}}, ["['CACHE']", "TIMEOUT"]),
        ({"CACHE": {"TIMEOUT": -1}}, ["['CACHE']"]),
        ({"CACHE": {"TIMEOUT": "60"}}, ["['CACHE']"]),
        ({"CACHE": {"TIMEOUT": True}}, ["['CACHE']"]),
        ({"CACHE": {"TIMEOUT": float("inf")}}, ["['CACHE']"]),
        ({"CACHE": {"STALE_IF_ERROR": -1}}, ["['CACHE']", "STALE_IF_ERROR"]),
        ({"CACHE": {"ALIAS": ""}}, ["['CACHE']", "ALIAS"]),
        ({"CACHE": 60}, ["['CACHE']"]),
        ({"CACHE": True}, ["['CACHE']"]),
        ({"RATE_LIMIT": "fast"}, ["['RATE_LIMIT']", "'fast'"]),
        ({"RATE_LIMIT": "0/s"}, ["['RATE_LIMIT']", "'0/s'"]),
        ({"RATE_LIMIT": 10}, ["['RATE_LIMIT']", "10 (int)"]),
        ({"RATE_LIMIT": "10/d"}, ["['RATE_LIMIT']"]),
        ({"RATE_LIMIT": "-5/s"}, ["['RATE_LIMIT']"]),
        ({"RATE_LIMIT": ""}, ["['RATE_LIMIT']"]),
        ({"CIRCUIT_BREAKER": {"FAILURES": 0}}, ["['CIRCUIT_BREAKER']", "FAILURES"]),
        ({"CIRCUIT_BREAKER": {"FAILURES": 1.5}}, ["['CIRCUIT_BREAKER']", "FAILURES"]),
        ({"CIRCUIT_BREAKER": {"FAILURES": "5"}}, ["['CIRCUIT_BREAKER']"]),
        ({"CIRCUIT_BREAKER": {"FAILURES": True}}, ["['CIRCUIT_BREAKER']"]),
        ({"CIRCUIT_BREAKER": {"RESET": 0}}, ["['CIRCUIT_BREAKER']", "RESET"]),
        ({"CIRCUIT_BREAKER": {"RETRIES": 2}}, ["['CIRCUIT_BREAKER']", "RETRIES"]),
        ({"CIRCUIT_BREAKER": 5}, ["['CIRCUIT_BREAKER']"]),
    ],
)
def test_bad_values_are_e005(extra: dict[str, Any], fragments: list[str]) -> None:
    """Reports a bad value as E005 naming the key, in the checks and in get_config()."""
    with override_settings(CACHES=locmem_caches()):
        problems = problems_for(**extra)
    assert [p.id for p in problems] == [E_BAD_VALUE]
    message = problems[0].msg
    assert message.startswith("API_ORM_SERVICES['default']")
    for fragment in fragments:
        assert fragment in message
    refused = refused_by_get_config(**extra)
    assert E_BAD_VALUE in refused
    assert fragments[0] in refused


def test_the_check_reports_a_missing_caches_alias() -> None:
    """Reports, as E005, a CACHE ALIAS that settings.CACHES does not define."""
    services = {"default": {"BASE_URL": API, "CACHE": {"ALIAS": "shared"}}}
    with override_settings(API_ORM_SERVICES=services, CACHES=locmem_caches()):
        errors = [e for e in check_services(None) if isinstance(e, Error)]
        everything = run_checks(tags=[CHECK_TAG])
    assert [e.id for e in errors] == [E_BAD_VALUE]
    assert "CACHES['shared']" in errors[0].msg
    assert "settings.CACHES does not define" in errors[0].msg
    assert errors[0].hint is not None and "CACHE['ALIAS']" in errors[0].hint
    assert [e.msg for e in everything if e.id == E_BAD_VALUE] == [errors[0].msg]


@pytest.mark.parametrize(
    "extra", [{"RATE_LIMIT": "5/s"}, {"CIRCUIT_BREAKER": {"FAILURES": 2}}, {"CACHE": {}}]
)
def test_the_check_reports_a_missing_default_cache(extra: dict[str, Any]) -> None:
    """Reports the missing CACHES['default'] any of the three settings keeps its state in."""
    services = {"default": {"BASE_URL": API, **extra}}
    other = {"other": locmem_caches()["default"]}
    with override_settings(API_ORM_SERVICES=services, CACHES=other):
        errors = [e for e in check_services(None) if isinstance(e, Error)]
    assert len(errors) == 1
    assert "CACHES['default']" in errors[0].msg


def test_the_check_accepts_a_configured_alias() -> None:
    """Reports nothing when the CACHE ALIAS is in CACHES."""
    caches = {**locmem_caches(), "shared": locmem_caches()["default"]}
    services = {"default": {"BASE_URL": API, "CACHE": {"ALIAS": "shared"}, "RATE_LIMIT": "5/s"}}
    with override_settings(API_ORM_SERVICES=services, CACHES=caches):
        assert check_services(None) == []


def test_one_problem_for_three_settings_missing_one_alias() -> None:
    """Reports the missing CACHES alias once, though three keys keep state in it."""
    services = {
        "default": {
            "BASE_URL": API,
            "CACHE": {"ALIAS": "shared"},
            "RATE_LIMIT": "5/s",
            "CIRCUIT_BREAKER": {},
        }
    }
    with override_settings(API_ORM_SERVICES=services, CACHES=locmem_caches()):
        errors = [e for e in check_services(None) if isinstance(e, Error)]
    assert len(errors) == 1


@pytest.mark.parametrize(
    ("value", "per_second"),
    [
        ("50/s", 50.0),
        ("600/m", 10.0),
        ("600/min", 10.0),
        ("3600/h", 1.0),
        ("7200/hour", 2.0),
        ("2.5/second", 2.5),
        (" 10 / S ", 10.0),
        ("fast", None),
        ("0/s", None),
        ("10/d", None),
        ("10", None),
        (10, None),
        (None, None),
    ],
)
def test_parse_rate(value: object, per_second: float | None) -> None:
    """Reads a rate as requests per second, or None when it is not one."""
    assert parse_rate(value) == per_second


@pytest.mark.parametrize("value", [-1, "60", True, [1]])
def test_a_bad_meta_cache_timeout_is_refused(value: object) -> None:
    """Refuses a Meta.cache_timeout that is not a number of seconds >= 0."""
    with pytest.raises(TypeError, match="cache_timeout must be a number of seconds >= 0"):

        class BadTimeout(RemoteModel):
            title = fields.CharField()

            class Meta:
                app_label = "testapp"
                abstract = True
                cache_timeout = value
