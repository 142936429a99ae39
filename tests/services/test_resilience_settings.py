"""The DEADLINE and RETRY_BUDGET service keys: read into client keywords, and checked."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.checks import Error
from django.test import override_settings

from django_api_orm import AsyncServiceClient
from django_api_orm.checks import check_services
from django_api_orm.conf import get_config

URL = "https://catalog.internal/api/"


def _errors(service: dict[str, Any]) -> list[Error]:
    with override_settings(API_ORM_SERVICES={"default": service}):
        return [e for e in check_services(None) if isinstance(e, Error)]


@pytest.mark.parametrize(
    ("settings", "kwargs"),
    [
        ({"DEADLINE": 12.5, "RETRY_BUDGET": 50}, {"deadline": 12.5, "retry_budget": 50}),
        ({"DEADLINE": None, "RETRY_BUDGET": None}, {"deadline": None, "retry_budget": None}),
    ],
)
async def test_keys_become_client_keywords(
    settings: dict[str, Any], kwargs: dict[str, Any]
) -> None:
    """Passes DEADLINE and RETRY_BUDGET to the client as deadline and retry_budget."""
    with override_settings(API_ORM_SERVICES={"default": {"BASE_URL": URL, **settings}}):
        config = get_config("default")
        assert _errors({"BASE_URL": URL, **settings}) == []
    assert {k: config.client_kwargs[k] for k in kwargs} == kwargs
    async with AsyncServiceClient(**config.client_kwargs) as client:
        expected = "deadline=12.5" if settings["DEADLINE"] else "deadline=97"
        assert expected in repr(client)


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("DEADLINE", 0, "must be None or a positive number of seconds"),
        ("DEADLINE", "30", "must be None or a positive number of seconds"),
        ("DEADLINE", float("inf"), "must be None or a positive number of seconds"),
        ("RETRY_BUDGET", -1, "must be None or an integer >= 0"),
        ("RETRY_BUDGET", 2.5, "must be None or an integer >= 0"),
        ("RETRY_BUDGET", True, "must be None or an integer >= 0"),
    ],
)
def test_bad_values_are_reported(key: str, value: object, expected: str) -> None:
    """Reports E005 for a DEADLINE or RETRY_BUDGET out of range, naming the key."""
    (error,) = _errors({"BASE_URL": URL, key: value})
    assert error.id == "django_api_orm.E005"
    assert f"['{key}']" in error.msg
    assert expected in error.msg
