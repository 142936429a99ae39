"""Read the code blocks of the documentation's reStructuredText pages.

A block is a ``.. code-block:: <language>`` directive with its options
(``:caption: books/models.py``) and indented body. What a Python block is for
is read from its caption:

- ``settings.py`` (or ``<dir>/settings.py``): a settings module, checked with
  ``django_api_orm.conf.validate()``;
- another ``<path>.py``: a file of the reader's project, written to disk and
  imported by the blocks that follow;
- no caption, or any other: code run in the page's namespace, in order.

``html+django`` blocks captioned ``templates/<name>`` or, in an app's own
directory, ``<app>/templates/<name>`` are templates the project's views render
by ``<name>``.

A ``.. literalinclude:: <path>`` directive is a block too, its body the whole
file it includes (relative to the page, or to ``docs/`` with a leading ``/``),
its language its ``:language:`` option: so a module that the test suite also
imports can be shown in a page and written as a project file of its examples.
Including part of a file (``:lines:``, ``:pyobject:``...) is refused: the part
shown would not be the code that runs.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "DOCS",
    "Block",
    "literals",
    "pages",
    "read_blocks",
    "read_list_tables",
    "untested_python",
]

DOCS = Path(__file__).resolve().parents[2] / "docs"

_DIRECTIVE = re.compile(r"^(?P<indent>[ \t]*)\.\. code-block::[ \t]+(?P<language>\S+)[ \t]*$")
_INCLUDE = re.compile(r"^(?P<indent>[ \t]*)\.\. literalinclude::[ \t]+(?P<path>\S+)[ \t]*$")
#: literalinclude options that show part of a file, or something else than the file.
_PARTIAL = frozenset(
    [
        "lines",
        "pyobject",
        "start-after",
        "end-before",
        "start-at",
        "end-at",
        "prepend",
        "append",
        "dedent",
        "diff",
    ]
)
_OPTION = re.compile(r"^:(?P<name>[\w-]+):(?:[ \t]+(?P<value>.*))?$")
_PROJECT_FILE = re.compile(r"^[\w/]+\.py$")
#: A template's caption: ``templates/<name>`` or ``<app>/templates/<name>``.
_TEMPLATE = re.compile(r"^(?:\w+/)?templates/(?P<name>.+)$")
#: Other spellings of a Python block, which would escape the tests.
_UNTESTED = re.compile(
    r"^[ \t]*\.\. (?:(?:code|sourcecode)::[ \t]+(?:python|py|python3)\b|code-block::[ \t]+"
    r"(?:py|python3|pycon|ipython|ipython3|py3)\b|doctest::|testcode::)",
    re.MULTILINE,
)


@dataclass(frozen=True)
class Block:
    """One code block: where it is, its language, caption and dedented body."""

    page: Path
    line: int  # the 1-based line of the body's first line in the page
    language: str
    caption: str | None
    code: str

    @property
    def kind(self) -> str:
        """Return "settings", "file", "run", "template" or "other"."""
        caption = self.caption or ""
        if self.language == "python":
            if caption == "settings.py" or caption.endswith("/settings.py"):
                return "settings"
            if _PROJECT_FILE.match(caption):
                return "file"
            return "run"
        if self.language == "html+django" and _TEMPLATE.match(caption):
            return "template"
        return "other"

    @property
    def template_name(self) -> str:
        """Return the name a view renders this template by (its caption after templates/)."""
        match = _TEMPLATE.match(self.caption or "")
        assert match is not None, f"{self}: not a template"
        return match["name"]

    def __str__(self) -> str:
        return f"{self.page.relative_to(DOCS)}:{self.line}"


def pages() -> list[Path]:
    """Return every page of the documentation, sorted, without the build output."""
    return sorted(p for p in DOCS.rglob("*.rst") if "_build" not in p.relative_to(DOCS).parts)


def read_blocks(page: Path) -> list[Block]:
    """Return the code blocks of ``page`` in document order."""
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks = []
    index = 0
    while index < len(lines):
        match = _DIRECTIVE.match(lines[index])
        include = _INCLUDE.match(lines[index])
        index += 1
        directive_line = index  # 1-based
        if match is None and include is None:
            continue
        indent = len((match or include)["indent"].expandtabs())
        options: dict[str, str] = {}
        while index < len(lines) and lines[index].strip():
            option = _OPTION.match(lines[index].strip())
            if option is None or _indent(lines[index]) <= indent:
                break
            options[option["name"]] = (option["value"] or "").strip()
            index += 1
        if include is not None:
            blocks.append(_included(page, directive_line, include["path"], options))
            continue
        body: list[str] = []
        first = None
        while index < len(lines):
            text = lines[index]
            if text.strip() and _indent(text) <= indent:
                break
            if text.strip() and first is None:
                first = index + 1
            if first is not None:
                body.append(text)
            index += 1
        if first is None:
            continue
        assert match is not None
        blocks.append(
            Block(
                page=page,
                line=first,
                language=match["language"],
                caption=options.get("caption"),
                code=textwrap.dedent("\n".join(body)).rstrip() + "\n",
            )
        )
    return blocks


def _included(page: Path, line: int, path: str, options: dict[str, str]) -> Block:
    """Return the block of a ``literalinclude`` of ``path``: the whole file."""
    partial = sorted(_PARTIAL & set(options))
    if partial:
        raise ValueError(
            f"{page.name}:{line}: literalinclude of {path} with "
            f"{', '.join(partial)}: include the whole file, the code the examples run."
        )
    target = DOCS / path.lstrip("/") if path.startswith("/") else page.parent / path
    return Block(
        page=page,
        line=line,
        language=options.get("language", "text"),
        caption=options.get("caption"),
        code=target.read_text(encoding="utf-8"),
    )


def untested_python(page: Path) -> list[str]:
    """Return the directives of ``page`` that would show Python the tests never run."""
    return [m.group(0).strip() for m in _UNTESTED.finditer(page.read_text(encoding="utf-8"))]


def _indent(line: str) -> int:
    return len(line.expandtabs()) - len(line.expandtabs().lstrip())


_LIST_TABLE = re.compile(r"^(?P<indent>[ \t]*)\.\. list-table::")
_ROW = re.compile(r"^(?P<indent>[ \t]*)\* - ?(?P<text>.*)$")
_CELL = re.compile(r"^(?P<indent>[ \t]*)- ?(?P<text>.*)$")


def read_list_tables(page: Path, css_class: str) -> list[list[list[str]]]:
    """Return the rows (lists of cell texts) of each ``list-table`` of ``page`` of ``css_class``."""
    lines = page.read_text(encoding="utf-8").splitlines()
    tables = []
    index = 0
    while index < len(lines):
        match = _LIST_TABLE.match(lines[index])
        index += 1
        if match is None:
            continue
        indent = len(match["indent"])
        classes = ""
        rows: list[list[str]] = []
        while index < len(lines):
            text = lines[index]
            if text.strip() and _indent(text) <= indent:
                break
            index += 1
            stripped = text.strip()
            option = _OPTION.match(stripped)
            row = _ROW.match(text)
            cell = _CELL.match(text)
            if option is not None and not rows:
                if option["name"] == "class":
                    classes = option["value"] or ""
            elif row is not None:
                rows.append([row["text"]])
            elif cell is not None and rows:
                rows[-1].append(cell["text"])
            elif stripped and rows:
                rows[-1][-1] = f"{rows[-1][-1]} {stripped}".strip()
        if css_class in classes.split():
            tables.append(rows)
    return tables


def literals(text: str) -> list[str]:
    """Return the ``inline literals`` of a cell's text, in order."""
    return re.findall(r"``(.+?)``", text)
