from __future__ import annotations

from collections.abc import Iterator

import pytest
import respx

from tests.models.conftest import API


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    """Intercept every request to the test service; fail on a request nothing answers."""
    with respx.mock(base_url=API, assert_all_called=False, assert_all_mocked=True) as mock:
        yield mock
