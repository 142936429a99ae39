"""Run a documentation page's code blocks as a reader would, one block after another.

A block with a top-level ``await`` runs in the caller's event loop (as in
``python -m asyncio``); any other block runs in a thread with no event loop (as
in a sync view, a management command or ``manage.py shell``). A page's blocks
share one module. Project files (blocks captioned ``books/models.py``...) are
written to a directory on ``sys.path``; a ``urls.py`` among them becomes the
``ROOT_URLCONF``, and the template blocks (``books/templates/...``) are the
templates, from memory; the admin is installed, as in a project made by
``startproject``. Every page
starts from the tutorial's project files and templates.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import importlib
import inspect
import re
import sys
import types
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from django.test import modify_settings, override_settings

from django_api_orm import conf
from tests.docs.rst import DOCS, Block, read_blocks

__all__ = [
    "TUTORIAL",
    "PageRun",
    "compile_block",
    "defined_tests",
    "project_files",
    "run_code",
]

#: The page whose project files (``books/models.py``...) every other page builds on.
TUTORIAL = DOCS / "tutorial.rst"


def project_files(blocks: list[Block]) -> dict[str, str]:
    """Return the last version of each project file the blocks write."""
    return {b.caption: b.code for b in blocks if b.kind == "file" and b.caption}


def defined_tests(page: Path) -> list[str]:
    """Return the names of the ``test_*`` functions the page's code blocks define, in order."""
    return [
        name
        for block in read_blocks(page)
        if block.kind == "run"
        for name in re.findall(r"^(?:async )?def (test_\w+)", block.code, re.MULTILINE)
    ]


def _module_name(page: Path) -> str:
    slug = page.relative_to(DOCS).with_suffix("").as_posix()
    return "docs_example_" + slug.replace("/", "_").replace("-", "_")


class PageRun:
    """One page's run: its module, its project directory and the settings it uses.

    ``services`` is the ``API_ORM_SERVICES`` the page starts with; ``names`` are
    put in the page's module before its first block (``BASE_URL``, ``TOKEN``).
    """

    def __init__(
        self,
        page: Path,
        project: Path,
        *,
        services: Mapping[str, Any] | None = None,
        names: Mapping[str, Any] | None = None,
        live_base_url: str | None = None,
    ) -> None:
        self.page = page
        self.project = project
        self.live_base_url = live_base_url
        self.stack = contextlib.ExitStack()
        self.module = types.ModuleType(_module_name(page))
        self.module.__dict__.update(names or {})
        self.namespace = self.module.__dict__
        self.services = dict(services) if services is not None else None

    @contextlib.contextmanager
    def activated(self) -> Iterator[PageRun]:
        """Put the page's module and project on the import path, and its settings in place."""
        blocks = read_blocks(TUTORIAL) + read_blocks(self.page)
        templates = {b.template_name: b.code for b in blocks if b.kind == "template"}
        sys.modules[self.module.__name__] = self.module
        self.project.mkdir(parents=True, exist_ok=True)
        sys.path.insert(0, str(self.project))
        try:
            with self.stack:
                # The tutorial's project, made by startproject, routes admin/ to the admin.
                self.stack.enter_context(
                    modify_settings(INSTALLED_APPS={"append": "django.contrib.admin"})
                )
                self.override(
                    TEMPLATES=[
                        {
                            "BACKEND": "django.template.backends.django.DjangoTemplates",
                            "OPTIONS": {
                                "loaders": [("django.template.loaders.locmem.Loader", templates)]
                            },
                        }
                    ]
                )
                if self.services is not None:
                    self.override(API_ORM_SERVICES=self.services)
                if self.page != TUTORIAL:
                    for path, code in project_files(read_blocks(TUTORIAL)).items():
                        self.write(path, code)
                yield self
        finally:
            sys.path.remove(str(self.project))
            sys.modules.pop(self.module.__name__, None)
            self.forget_project_modules()

    def override(self, **settings: Any) -> None:
        """Override Django settings until the page's run ends."""
        self.stack.enter_context(override_settings(**settings))

    def forget_project_modules(self) -> None:
        """Drop the project's modules from ``sys.modules``, so the next import reads the files."""
        root = str(self.project)
        for name, module in list(sys.modules.items()):
            if (getattr(module, "__file__", None) or "").startswith(root):
                del sys.modules[name]
        importlib.invalidate_caches()

    def write(self, path: str, code: str) -> None:
        """Write a project file, making its directories packages."""
        target = self.project / path
        target.parent.mkdir(parents=True, exist_ok=True)
        for parent in target.relative_to(self.project).parents:
            init = self.project / parent / "__init__.py"
            if parent != Path(".") and not init.exists():
                init.write_text("")
        target.write_text(code)
        self.forget_project_modules()
        if target.name == "urls.py":
            module = ".".join(target.relative_to(self.project).with_suffix("").parts)
            self.override(ROOT_URLCONF=module)

    def apply_settings(self, block: Block) -> None:
        """Check a settings.py block; use its aliases whose BASE_URL is the live provider's."""
        namespace: dict[str, Any] = {"__name__": "settings"}
        exec(compile_block(block), namespace)
        value = namespace.get("API_ORM_SERVICES")
        assert value is not None, f"{block}: a settings.py block sets API_ORM_SERVICES"
        # W001 (a CA bundle path missing on this machine) is about the machine, not the block.
        problems = [
            f"{p.id} {p.msg}" for p in conf.validate(value) if p.id != conf.W_CA_BUNDLE_MISSING
        ]
        assert problems == [], f"{block}: {problems}"
        live = {
            alias: entry
            for alias, entry in value.items()
            if self.live_base_url is not None and entry.get("BASE_URL") == self.live_base_url
        }
        if live:
            self.services = {**(self.services or {}), **live}
            self.override(API_ORM_SERVICES=self.services)

    async def run(self, block: Block) -> None:
        """Run one block: in the event loop if it awaits, else in a thread without one."""
        await run_code(compile_block(block), self.namespace)

    async def run_page(self) -> list[str]:
        """Run the page's blocks in order, then the ``test_*`` functions it defined.

        Return the names of the ``test_*`` functions called.
        """
        for block in read_blocks(self.page):
            try:
                if block.kind == "file":
                    assert block.caption is not None
                    self.write(block.caption, block.code)
                elif block.kind == "settings":
                    self.apply_settings(block)
                elif block.kind == "run":
                    await self.run(block)
            except Exception as error:
                error.add_note(f"in the code block at {block}")
                raise
        return await self.call_tests()

    async def call_tests(self) -> list[str]:
        """Call the ``test_*`` functions the page defined, as pytest would; return their names."""
        called = []
        for name, value in list(self.namespace.items()):
            if not name.startswith("test_") or not inspect.isfunction(value):
                continue
            if value.__module__ != self.module.__name__:
                continue
            if inspect.iscoroutinefunction(value):
                await value()
            else:
                await asyncio.to_thread(value)
            called.append(name)
        return called


def compile_block(block: Block) -> types.CodeType:
    """Compile a block, allowing a top-level ``await``; tracebacks name the page's lines."""
    source = "\n" * (block.line - 1) + block.code
    return compile(
        source, str(block.page), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True
    )


async def run_code(code: types.CodeType, namespace: dict[str, Any]) -> Any:
    """Evaluate ``code``: awaited in this loop if it awaits, else in a thread without a loop."""
    if code.co_flags & inspect.CO_COROUTINE:
        return await eval(code, namespace)
    return await asyncio.to_thread(eval, code, namespace)
