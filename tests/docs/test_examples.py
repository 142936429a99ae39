"""Run the documentation's code examples against the example provider, so they cannot rot.

Each page's Python blocks run in order, in one module of their own, as a reader
would type them (see ``tests/docs/runner.py``). The names ``BASE_URL`` and
``TOKEN`` are the provider's, and the ``default`` service points at it. A
``settings.py`` block must pass the system checks' validation; its aliases that
name the provider (through ``PROVIDER_URL``) replace the test's. The topic guides
and reference pages start from the tutorial's project files.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Provider
from tests.docs.rst import DOCS, pages, read_blocks, untested_python
from tests.docs.runner import TUTORIAL, PageRun, defined_tests, project_files

RUNNABLE = frozenset({"run", "file", "settings"})
#: Pages whose examples run against a real NetBox, in ``make test-netbox``
#: (``tests/netbox/test_docs.py``), not against the example provider.
NETBOX_PAGES = [DOCS / "topics" / "other-apis.rst"]
EXAMPLE_PAGES = [
    page
    for page in pages()
    if page not in NETBOX_PAGES and any(b.kind in RUNNABLE for b in read_blocks(page))
]
#: Tables that must hold the same rows before and after a page: examples clean up.
TABLES = ("provider_author", "provider_book", "provider_genre")

SQL = Callable[..., list[tuple[Any, ...]]]


def _page_id(page: Path) -> str:
    return page.relative_to(DOCS).with_suffix("").as_posix()


def _snapshot(sql: SQL) -> dict[str, list[tuple[Any, ...]]]:
    return {table: sql(f"SELECT * FROM {table} ORDER BY id") for table in TABLES}


@pytest.mark.parametrize("page", EXAMPLE_PAGES, ids=_page_id)
async def test_examples_run_against_the_provider(
    page: Path,
    provider: Provider,
    provider_db: SQL,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Runs every Python block of the page in order and leaves the provider's data as it was."""
    monkeypatch.setenv("PROVIDER_URL", provider.base_url)
    monkeypatch.setenv("PROVIDER_TOKEN", provider.token)
    before = _snapshot(provider_db)
    run = PageRun(
        page,
        tmp_path / "project",
        services={"default": provider.service()},
        names={"BASE_URL": provider.base_url, "TOKEN": provider.token},
        live_base_url=provider.base_url,
    )
    with run.activated():
        called = await run.run_page()
    assert _snapshot(provider_db) == before
    assert called == defined_tests(page)


def test_example_pages_cover_the_tutorial_and_every_topic_guide() -> None:
    """Finds runnable examples in the tutorial and in every topic guide."""
    topics = [p for p in pages() if p.parent.name == "topics" and p.name != "index.rst"]
    assert TUTORIAL in EXAMPLE_PAGES
    assert len(topics) >= 10
    assert [_page_id(p) for p in topics if p not in EXAMPLE_PAGES + NETBOX_PAGES] == []
    assert all(any(b.kind in RUNNABLE for b in read_blocks(p)) for p in NETBOX_PAGES)


def test_python_is_only_shown_in_blocks_these_tests_run() -> None:
    """Refuses Python written as a directive these tests would not run."""
    found = {_page_id(page): untested_python(page) for page in pages()}
    assert {page: hits for page, hits in found.items() if hits} == {}


def test_the_tutorial_writes_the_project_the_other_pages_import() -> None:
    """Reads the tutorial's models, views and URLs as files of the reader's project."""
    files = project_files(read_blocks(TUTORIAL))
    assert {"books/models.py", "books/views.py", "books/urls.py", "mysite/urls.py"} <= set(files)
    assert "class Book(RemoteModel)" in files["books/models.py"]
