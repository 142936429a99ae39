"""Fixtures for the end-to-end tests: the example storefront against the running provider.

``provider`` and ``provider_db`` come from ``tests/conftest.py``: one provider serves
the whole session. ``storefront`` points the "default" service, the storefront's, at the
provider, for pytest-django's ``async_client`` (Django's ``AsyncClient``) to drive
its views; ``remove_books`` deletes at teardown the books a test created (the
provider lives for the session and other tests count its rows); ``api_requests``
lists the requests the package sent to the provider. A failed test that drove a
browser (``test_browser.py``) leaves a screenshot of its last page: the hook below
saves it and prints its path.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator, Callable, Generator, Iterator

import pytest
from django.test import override_settings

from tests.conftest import Provider
from tests.e2e.browser import BROWSER_FIXTURE, save_failure_artifacts
from tests.e2e.helpers import CLIENT_LOGGER, service_settings


@pytest.fixture
def storefront(provider: Provider) -> Iterator[Provider]:
    """Configure the storefront's "default" service to talk to the running provider."""
    with override_settings(API_ORM_SERVICES=service_settings(provider)):
        yield provider


@pytest.fixture
async def remove_books(storefront: Provider) -> AsyncIterator[list[str]]:
    """Yield a list to add titles to; delete the books with those titles at teardown."""
    from example_project.storefront.models import Book

    titles: list[str] = []
    yield titles
    if titles:
        await Book.objects.filter(title__in=titles).adelete()


@pytest.fixture
def api_requests(caplog: pytest.LogCaptureFixture) -> Callable[[], list[str]]:
    """Return a function listing the requests sent to the provider so far ("GET <url>")."""
    caplog.set_level(logging.DEBUG, logger=CLIENT_LOGGER)

    def sent() -> list[str]:
        messages = [r.getMessage() for r in caplog.records if r.name == CLIENT_LOGGER]
        return [" ".join(m.split()[:2]) for m in messages if " -> " in m]

    return sent


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, None]:
    """On a failed browser test, save a screenshot and the page's HTML; print where."""
    outcome = yield
    report = outcome.get_result()
    browser = getattr(item, "funcargs", {}).get(BROWSER_FIXTURE)
    if browser is None or not report.failed or report.when == "teardown":
        return
    saved = save_failure_artifacts(browser, item.name)
    report.sections.append(("browser screenshot", saved))
    print(f"\n{item.nodeid}: {saved}", file=sys.stderr, flush=True)
