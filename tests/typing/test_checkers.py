"""mypy --strict and pyright on models declared with no annotations.

``make types`` checks tests/typing/typed_example.py (every inferred type, written
with ``assert_type``); these tests prove the checks can fail: each line of
tests/typing/wrong_types.py marked ``# wrong`` must be reported by both checkers,
and no other line. They also keep the Manager type checkers see (written out in
models/queryset.py) in step with the one ``from_queryset()`` builds at run time.
"""

from __future__ import annotations

import ast
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

from django_api_orm.models import queryset as queryset_module
from django_api_orm.models.manager import BaseManager
from django_api_orm.models.queryset import Manager

ROOT = Path(__file__).resolve().parents[2]
WRONG = ROOT / "tests" / "typing" / "wrong_types.py"
BIN = Path(sys.executable).parent


def _marked_lines(path: Path) -> set[int]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return {number for number, line in enumerate(lines, 1) if re.search(r"\S\s+# wrong", line)}


def _run(*args: str | Path, tmp_path: Path) -> str:
    env = {**os.environ, "PYRIGHT_PYTHON_IGNORE_WARNINGS": "1"}
    result = subprocess.run(
        [str(arg) for arg in args], cwd=ROOT, capture_output=True, text=True, env=env, timeout=300
    )
    assert result.returncode == 1, result.stdout + result.stderr  # 1: errors were found
    return result.stdout


def _error_lines(output: str) -> set[int]:
    name = re.escape(WRONG.name)
    return {int(n) for n in re.findall(rf"{name}:(\d+):(?:\d+ -)? error", output)}


def test_mypy_strict_reports_each_wrong_type(tmp_path: Path) -> None:
    """Reports every line of wrong_types.py marked wrong, and only those."""
    output = _run(
        BIN / "mypy", "--strict", "--cache-dir", tmp_path / "mypy", WRONG, tmp_path=tmp_path
    )
    assert _error_lines(output) == _marked_lines(WRONG), output


def test_pyright_reports_each_wrong_type(tmp_path: Path) -> None:
    """Reports every line of wrong_types.py marked wrong, and only those (strict mode)."""
    output = _run(BIN / "pyright", "--pythonpath", sys.executable, WRONG, tmp_path=tmp_path)
    assert _error_lines(output) == _marked_lines(WRONG), output


def _static_manager_names() -> set[str]:
    """Return the names the ``if TYPE_CHECKING:`` Manager of models/queryset.py declares."""
    tree = ast.parse(inspect.getsource(queryset_module))
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for item in node.body:
                if isinstance(item, ast.ClassDef) and item.name == "Manager":
                    names = set()
                    for member in item.body:
                        if isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef):
                            names.add(member.name)
                        elif isinstance(member, ast.Assign):
                            names.update(t.id for t in member.targets if isinstance(t, ast.Name))
                    return names
    raise AssertionError("no Manager under TYPE_CHECKING in models/queryset.py")


def test_the_static_manager_lists_the_run_time_managers_methods() -> None:
    """Declares for type checkers exactly the QuerySet methods the run-time Manager has."""
    run_time = {
        name
        for name in dir(Manager)
        if not name.startswith("_") and callable(getattr(Manager, name))
    }
    base = {name for name in dir(BaseManager) if not name.startswith("_")}
    static = _static_manager_names()
    # get_queryset, all and from_queryset are BaseManager's, retyped with the QuerySet class.
    assert run_time - base == static - base
    assert static & base == {"all", "from_queryset", "get_queryset"}
