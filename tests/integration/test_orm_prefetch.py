"""``PAGINATION["PREFETCH"]`` against the real provider: the same rows, in the same order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import override_settings

from tests.conftest import Provider
from tests.integration.remote_models import Book, CursorBook, LimitOffsetBook

SQL = Callable[..., list[tuple[Any, ...]]]


def services(provider: Provider, **pagination: Any) -> dict[str, Any]:
    from django.conf import settings

    entry = provider.service(PAGINATION={"PAGE_SIZE": 20, **pagination})
    return {**settings.API_ORM_SERVICES, "provider": entry}


@pytest.mark.parametrize("model", [Book, LimitOffsetBook, CursorBook])
async def test_a_full_listing_with_prefetch_is_the_listing_without(
    provider: Provider, provider_db: SQL, model: Any
) -> None:
    """aiterator() and a full evaluation return every row once, in order, with
    PREFETCH set as without it (the cursor style simply walks one page at a time)."""
    expected = [row[0] for row in provider_db("SELECT id FROM provider_book ORDER BY id")]
    assert len(expected) > 100  # several pages of 20 (25 for the cursor)
    with override_settings(API_ORM_SERVICES=services(provider)):
        plain = [b.pk async for b in model.objects.order_by("id").aiterator()]
    with override_settings(API_ORM_SERVICES=services(provider, PREFETCH=4)):
        ahead = [b.pk async for b in model.objects.order_by("id").aiterator()]
        evaluated = [b.pk async for b in model.objects.order_by("id")]
        filtered = [b.pk async for b in model.objects.filter(price__lt=20).order_by("id")]
        sliced = [b.pk async for b in model.objects.order_by("id")[30:95]]
    cheap = [
        row[0] for row in provider_db("SELECT id FROM provider_book WHERE price < 20 ORDER BY id")
    ]
    assert plain == expected
    assert ahead == expected
    assert evaluated == expected
    assert filtered == cheap
    assert sliced == expected[30:95]
