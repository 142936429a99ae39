"""The provider's seeded catalogue reads as English: articles and plurals."""

from __future__ import annotations

import re

from example_project.provider.english import plural, with_article
from tests.e2e.helpers import SQL


def test_plurals_and_articles() -> None:
    """Spells "Cities", "Libraries", "Seas"; writes "An" before a vowel, "A" otherwise."""
    assert [plural(n) for n in ("City", "Library", "Sea", "Harbor")] == [
        "Cities",
        "Libraries",
        "Seas",
        "Harbors",
    ]
    assert with_article("Endless Library") == "An Endless Library"
    assert with_article("Iron Crown") == "An Iron Crown"
    assert with_article("Hidden Map") == "A Hidden Map"


def test_seeded_titles_read_as_english(provider_db: SQL) -> None:
    """No seeded title reads "A Endless...", "Citys" or "Librarys"."""
    titles = [row[0] for row in provider_db("SELECT title FROM provider_book")]
    assert titles
    assert not [t for t in titles if re.match(r"A [AEIOU]", t)]
    assert not [t for t in titles if re.search(r"[^aeiou]ys\b", t)]
    assert any(t.startswith("An ") for t in titles)
