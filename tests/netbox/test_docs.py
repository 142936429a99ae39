"""Run docs/topics/other-apis.rst's examples against the real NetBox, as a reader would."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docs.rst import read_blocks
from tests.docs.runner import PageRun, defined_tests
from tests.docs.test_examples import NETBOX_PAGES
from tests.netbox.server import NetBoxServer


@pytest.mark.parametrize("page", NETBOX_PAGES, ids=lambda p: p.stem)
async def test_page_examples_run_against_netbox(
    page: Path, netbox: NetBoxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Runs every Python block of the page in order against the seeded NetBox."""
    monkeypatch.setenv("NETBOX_URL", netbox.url)
    monkeypatch.setenv("NETBOX_TOKEN", netbox.token)
    run = PageRun(page, tmp_path / "project", live_base_url=netbox.url)
    with run.activated():
        called = await run.run_page()
    assert called == defined_tests(page)
    assert len([b for b in read_blocks(page) if b.kind == "run"]) >= 6
