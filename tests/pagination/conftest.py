"""Fixtures for the pagination tests: respx on the ``default`` service, and a real Link server.

``api`` intercepts every request to the unit tests' service
(``https://api.example.test/api/``) and fails on a request nothing answers.
``link_server`` (session) serves ``tests/pagination/link_server.py`` with uvicorn
on 127.0.0.1; ``link_service`` points the ``default`` alias at a fresh key of it
and returns a ``LinkService`` that reads back the requests that key received.
``hostile_server`` and ``hostile`` do the same for ``hostile_server.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import respx
from django.test import override_settings

from tests.models.conftest import API
from tests.servers import start_uvicorn

LINK_APP = "tests.pagination.link_server:app"


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    """Intercept every request to the test service; fail on a request nothing answers."""
    with respx.mock(base_url=API, assert_all_called=False, assert_all_mocked=True) as mock:
        yield mock


@pytest.fixture(scope="session")
def link_server() -> Iterator[str]:
    """Serve the Link-header app with uvicorn; yield ``http://127.0.0.1:PORT/``."""
    with start_uvicorn(LINK_APP) as url:
        yield url


@dataclass(frozen=True)
class LinkService:
    """One test's corner of the Link server: its API root and the requests it saw."""

    server: str  # "http://127.0.0.1:PORT/"
    key: str

    @property
    def base_url(self) -> str:
        """The service's ``BASE_URL``: ``http://127.0.0.1:PORT/<key>/api/``."""
        return f"{self.server}{self.key}/api/"

    def requests(self) -> list[str]:
        """Return the path and query string of each list request received, in order."""
        response = httpx.get(f"{self.server}state/{self.key}", timeout=10.0)
        response.raise_for_status()
        seen: list[str] = response.json()
        return seen


@pytest.fixture
def link_service(link_server: str) -> Iterator[LinkService]:
    """Point the ``default`` service at a fresh key of the Link server."""
    service = LinkService(link_server, uuid.uuid4().hex)
    setting = {"default": {"BASE_URL": service.base_url, "TIMEOUT": 10.0, "MAX_RETRIES": 0}}
    with override_settings(API_ORM_SERVICES=setting):
        yield service


HOSTILE_APP = "tests.pagination.hostile_server:app"


@pytest.fixture(scope="session")
def hostile_server() -> Iterator[str]:
    """Serve the app whose lists page wrongly with uvicorn; yield ``http://127.0.0.1:PORT/``."""
    with start_uvicorn(HOSTILE_APP) as url:
        yield url


@pytest.fixture
def hostile(hostile_server: str) -> Iterator[LinkService]:
    """Point the ``default`` service at a fresh key of the hostile server (MAX_PAGES 20)."""
    service = LinkService(hostile_server, uuid.uuid4().hex)
    setting = {
        "default": {
            "BASE_URL": service.base_url,
            "TIMEOUT": 10.0,
            "MAX_RETRIES": 0,
            "PAGINATION": {"MAX_PAGES": 20},
        }
    }
    with override_settings(API_ORM_SERVICES=setting):
        yield service
