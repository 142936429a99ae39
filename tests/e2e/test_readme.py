"""The README's quick start runs as written against the example provider."""

from __future__ import annotations

import json
import re
import types
from pathlib import Path

import pytest
from django.test import AsyncRequestFactory

from tests.e2e.helpers import SQL, count

README = Path(__file__).resolve().parents[2] / "README.md"
#: The module the snippet's classes are declared in (RemoteModels register by module).
MODULE = "tests.e2e.readme_quick_start"


def quick_start_blocks() -> list[str]:
    """Return the ```python blocks of the README's "Quick start" section, in order."""
    section = README.read_text().split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^```python\n(.*?)^```$", section, flags=re.DOTALL | re.MULTILINE)


def load_quick_start() -> types.ModuleType:
    """Run the quick start's model and view in a module of their own; return it."""
    module = types.ModuleType(MODULE)
    exec(compile(quick_start_blocks()[0], f"{README}:Quick start", "exec"), module.__dict__)
    return module


def test_quick_start_blocks_are_python() -> None:
    """Finds the model-and-view block and the settings block, and both compile."""
    blocks = quick_start_blocks()
    assert len(blocks) == 2
    assert "class Book(RemoteModel)" in blocks[0] and "async def cheap_books" in blocks[0]
    assert "API_ORM_SERVICES" in blocks[1]
    for block in blocks:
        compile(block, str(README), "exec")


@pytest.mark.usefixtures("storefront")
async def test_quick_start_view_answers_from_the_provider(provider_db: SQL) -> None:
    """Answers the count of books under 20 and the five cheapest titles, as the database holds."""
    module = load_quick_start()
    response = await module.cheap_books(AsyncRequestFactory().get("/books/cheap/"))
    assert response.status_code == 200
    cheapest = provider_db(
        "SELECT title FROM provider_book WHERE price < 20 ORDER BY price, id LIMIT 5"
    )
    assert json.loads(response.content) == {
        "count": count(provider_db, "price < 20"),
        "titles": [row[0] for row in cheapest],
    }
