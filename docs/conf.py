"""Sphinx configuration for the django_api_orm documentation.

Build with ``make docs`` (``sphinx-build -W``: every warning fails the build).
The code examples in these pages are run by ``tests/docs/test_examples.py``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# autodoc imports the package, whose models need configured Django settings.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402 - needs sys.path and the settings module above

django.setup()

from django_api_orm import __version__  # noqa: E402 - needs django.setup()

project = "django_api_orm"
author = "django_api_orm developers"
copyright = "django_api_orm developers"
release = __version__
version = ".".join(__version__.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",  # the package's docstrings use numpy-style sections
    "sphinx.ext.viewcode",
]
# No sphinx.ext.intersphinx: the build runs without network access.

root_doc = "index"
exclude_patterns = ["_build"]
templates_path: list[str] = []
html_static_path = ["_static"]
html_theme = "furo"
html_css_files = ["wide-code.css"]  # furo's column, widened where the window has room
html_title = f"django_api_orm {release}"

# Python in these pages is written as ``.. code-block:: python`` (and tested); a bare
# ``::`` block is plain text.
highlight_language = "text"
# No pygments_style: furo's own pair (light and dark) follows the reader's colour scheme.

# --- autodoc ------------------------------------------------------------------------
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True  # show "50 * 2**20", not 52428800
autodoc_inherit_docstrings = True
autodoc_class_signature = "mixed"
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False

# --- warnings ---------------------------------------------------------------------------
# Every cross-reference must resolve: a broken :ref:, :doc:, :class: or :meth: to this
# project fails the build. Without intersphinx, names of other projects (Django, httpx,
# the standard library) cannot resolve, so only those are ignored.
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(?!django_api_orm\b).*"),
    # Private helpers and type variables in signatures and base lists: not API.
    (r"py:.*", r"django_api_orm\..*\._\w+"),
    (r"py:class", r"django_api_orm\.models\.(queryset|manager)\.M"),
    (r"py:(class|obj)", r"django_api_orm\.models\.fields\.\w+\.[TCER]"),
    # The options every field takes, typed for type checkers (listed on Field).
    (r"py:class", r"django_api_orm\.models\.fields\.base\.FieldOptions"),
    (r"py:class", r"django_api_orm\.models\.query\.Query"),
    # The shapes lower layers are typed against (protocols.py): typing, not API.
    (r"py:class", r"django_api_orm\.protocols\.\w+"),
    # Where the shared state lives (a CACHES alias's Redis, or this process): not API.
    (r"py:class", r"django_api_orm\.shared\.store\.\w+"),
    # Documented where they are imported from (django_api_orm.pagination).
    (r"py:class", r"django_api_orm\.pagination\.styles\.\w+"),
]


def _every_document(
    app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    """Re-read every page on each build, so that -W reports every warning every time.

    An incremental build re-reads only changed pages and repeats no warning of the
    others: a page whose :ref: target was removed elsewhere would pass unnoticed.
    """
    return sorted(env.found_docs)


def setup(app: Sphinx) -> None:
    app.connect("env-get-outdated", _every_document)
