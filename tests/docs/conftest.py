"""Fixtures for the documentation tests: the example provider, served over real HTTP."""

from tests.integration.conftest import provider, provider_db  # noqa: F401
