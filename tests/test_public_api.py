"""The public names, pinned: code outside the project imports exactly these."""

from __future__ import annotations

import tomllib
from pathlib import Path

import django_api_orm

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_all_is_the_pinned_surface() -> None:
    """Exports exactly the names the design pins, sorted."""
    assert django_api_orm.__all__ == sorted(django_api_orm.__all__)
    assert set(django_api_orm.__all__) == {
        "APIError",
        "APIResponse",
        "AsyncServiceClient",
        "AuthenticationError",
        "BadRequestError",
        "ConnectionError",
        "HTTPStatusError",
        "InvalidResponseError",
        "Manager",
        "NotFoundError",
        "NotSupportedError",
        "PermissionDeniedError",
        "Q",
        "QuerySet",
        "RateLimitError",
        "RemoteModel",
        "ServerError",
        "ServiceUnavailableError",
        "TimeoutError",
        "TransportError",
        "exceptions",
        "fields",
        "services",
    }
    for name in django_api_orm.__all__:
        assert getattr(django_api_orm, name) is not None


def test_exceptions_module_and_top_level_agree() -> None:
    """Makes every exception importable from the top and from exceptions."""
    for name in django_api_orm.exceptions.__all__:
        assert getattr(django_api_orm, name) is getattr(django_api_orm.exceptions, name)


def test_builtin_subclasses() -> None:
    """Keeps ConnectionError and TimeoutError catchable as the builtins."""
    assert issubclass(django_api_orm.ConnectionError, ConnectionError)
    assert issubclass(django_api_orm.TimeoutError, TimeoutError)


def test_version_is_the_distributions() -> None:
    """Reports the distribution's version, above the unrelated 0.1.0 on PyPI under our name."""
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    assert django_api_orm.__version__ == project["version"] == "0.2.0"
