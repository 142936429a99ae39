"""The reader of the documentation's code blocks: included files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docs.rst import DOCS, read_blocks
from tests.docs.runner import project_files

DIALECT = Path(__file__).resolve().parents[1] / "dialects" / "jsonapi.py"


def test_dialects_guide_runs_the_contract_suites_dialect() -> None:
    """Writes the dialect the contract suite tests, byte for byte, as the guide's project file."""
    files = project_files(read_blocks(DOCS / "topics" / "dialects.rst"))
    assert files["catalog/dialects.py"] == DIALECT.read_text(encoding="utf-8")


def test_literalinclude_is_a_block_of_the_whole_file(tmp_path: Path) -> None:
    """Reads a literalinclude as a block holding the included file, with its caption."""
    (tmp_path / "shop.py").write_text("SHOP = 1\n")
    page = tmp_path / "page.rst"
    page.write_text(
        "Text.\n\n.. literalinclude:: shop.py\n   :language: python\n   :caption: shop/models.py\n"
    )
    [block] = read_blocks(page)
    assert (block.kind, block.caption, block.code, block.line) == (
        "file",
        "shop/models.py",
        "SHOP = 1\n",
        3,
    )


def test_part_of_a_file_is_refused(tmp_path: Path) -> None:
    """Refuses a literalinclude of part of a file: the part shown would not be what runs."""
    (tmp_path / "shop.py").write_text("SHOP = 1\nOTHER = 2\n")
    page = tmp_path / "page.rst"
    page.write_text(".. literalinclude:: shop.py\n   :language: python\n   :lines: 1\n")
    with pytest.raises(ValueError, match="include the whole file"):
        read_blocks(page)
