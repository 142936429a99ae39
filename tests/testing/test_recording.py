"""Recording a real provider's answers with VCR.py, and replaying them with no provider.

VCR.py (what pytest-recording drives) patches httpx's transports, which the
client's connection pool uses: a cassette recorded against the example provider
answers the same queries later, with the service pointed at an address where
nothing listens. The requests are matched on method, path, query and body (not
the host, which differs), and the token is filtered out of the cassette.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import Path

import pytest
import vcr
from django.conf import settings
from django.test import override_settings

from django_api_orm import ConnectionError
from django_api_orm.test import CaptureRequestsContext
from tests.conftest import Provider
from tests.integration.remote_models import Author, Book

NOWHERE = "http://127.0.0.1:9/api/"  # the discard port: nothing answers there


def recorder(record_mode: str) -> vcr.VCR:
    return vcr.VCR(
        record_mode=record_mode,
        match_on=["method", "path", "query", "body"],
        filter_headers=["authorization"],
    )


async def queries(name: str) -> tuple[list[str], int, str, str]:
    """What the test reads and writes: the same calls when recording and replaying."""
    titles = [b.title async for b in Book.objects.filter(price__lt=20).order_by("id")[:5]]
    count = await Book.objects.acount()
    author = await Author.objects.acreate(name=name)
    fetched = await Author.objects.aget(pk=author.pk)
    await fetched.adelete()
    return titles, count, fetched.name, str((await Book.objects.order_by("-price").afirst()).price)


async def test_record_then_replay_without_the_provider(provider: Provider, tmp_path: Path) -> None:
    cassette = tmp_path / "books.yaml"
    name = f"Recorded {uuid.uuid4().hex[:8]}"
    real = {**settings.API_ORM_SERVICES, "provider": provider.service()}
    with override_settings(API_ORM_SERVICES=real):
        with recorder("once").use_cassette(str(cassette)) as recorded:
            live = await queries(name)
        assert recorded.play_count == 0
        assert len(recorded) >= 6
    text = cassette.read_text()
    assert provider.token not in text  # filter_headers kept the token out
    assert "/api/books/" in text

    offline = {**settings.API_ORM_SERVICES, "provider": {**provider.service(), "BASE_URL": NOWHERE}}
    with override_settings(API_ORM_SERVICES=offline):
        # Without the cassette nothing answers there.
        with pytest.raises(ConnectionError):
            await Book.objects.acount()
        with (
            recorder("none").use_cassette(str(cassette)) as replayed,
            CaptureRequestsContext(using="provider") as captured,
        ):
            again = await queries(name)
        assert again == live
        assert replayed.all_played
        assert {r.status_code for r in captured} <= {200, 201, 204}
        assert all(r.url.startswith(NOWHERE) for r in captured)
    assert Decimal(live[3]) > 0
    assert live[2] == name
