"""The pytest plugin of django_api_orm: fixtures ``api_requests`` and ``fake_service``.

Registered through the ``pytest11`` entry point, so pytest imports it at start-up in
every project that installs the package, before Django's settings are configured:
it imports nothing from the package at module level and never reads settings.
The fixtures need configured settings (pytest-django's ``DJANGO_SETTINGS_MODULE``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from django_api_orm.test.capture import CaptureRequestsContext
    from django_api_orm.test.fake import FakeService

__all__ = ["api_requests", "fake_service"]


@pytest.fixture
def api_requests() -> Iterator[CaptureRequestsContext]:
    """A running ``CaptureRequestsContext()``: the requests of every alias made by the test."""
    from django_api_orm.test.capture import CaptureRequestsContext

    with CaptureRequestsContext() as captured:
        yield captured


@pytest.fixture
def fake_service() -> Iterator[FakeService]:
    """A running ``FakeService("default")``: the default alias served from memory."""
    from django_api_orm.test.fake import FakeService

    with FakeService("default") as fake:
        yield fake
