from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import respx

API = "https://api.example.test/api/"


def page(
    rows: list[dict[str, Any]], *, count: int | None = None, next: str | None = None
) -> dict[str, Any]:
    """Return a DRF PageNumberPagination body."""
    return {
        "count": len(rows) if count is None else count,
        "next": next,
        "previous": None,
        "results": rows,
    }


def book(pk: int, **extra: Any) -> dict[str, Any]:
    """Return a book row as the provider serialises it."""
    row = {
        "id": pk,
        "title": f"Book {pk}",
        "price": "10.00",
        "published": "2024-05-01",
        "in_print": True,
        "tags": [],
        "author": 1,
        "created_at": "2024-05-01T10:00:00Z",
    }
    row.update(extra)
    return row


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    """Intercept every request to the test service; fail on a request nothing answers."""
    with respx.mock(base_url=API, assert_all_called=False, assert_all_mocked=True) as mock:
        yield mock
