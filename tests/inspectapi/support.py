"""Helpers of the inspectapi tests: the fixture schemas, a NetBox-like service, and the
checks every generated module must pass (ruff, and a real ``manage.py check``)."""

from __future__ import annotations

import ast
import copy
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import uuid
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from tests.servers import REPO_ROOT

HERE = Path(__file__).parent
RUFF = Path(sys.executable).with_name("ruff")
if not RUFF.exists():  # pragma: no cover - a ruff installed beside another Python
    RUFF = Path(shutil.which("ruff") or "ruff")

#: ``default`` as in tests/settings.py, plus a NetBox service read with NetBoxDialect.
SERVICES: dict[str, Any] = {
    # The storefront (installed by tests.settings) registers admins with search_fields:
    # its service needs the dialect that names the provider's search parameter.
    "default": {
        "BASE_URL": "https://api.example.test/api/",
        "DIALECT": "example_project.storefront.dialects.ProviderDialect",
        "MAX_RETRIES": 0,
    },
    "netbox": {
        "BASE_URL": "https://netbox.example.test/api/",
        "DIALECT": "django_api_orm.dialects.netbox.NetBoxDialect",
        "MAX_RETRIES": 0,
    },
}


@cache
def _load(name: str) -> str:
    return (HERE / name).read_text(encoding="utf-8")


def provider_schema() -> dict[str, Any]:
    """A fresh copy of the example provider's schema (drf-spectacular)."""
    return copy.deepcopy(json.loads(_load("provider_schema.json")))


def netbox_schema() -> dict[str, Any]:
    """A fresh copy of NetBox 4.7's schema, trimmed to sites, tenants and devices."""
    return copy.deepcopy(json.loads(_load("netbox_schema.json")))


def ruff_problems(source: str, tmp_path: Path) -> str:
    """Return what ``ruff check`` and ``ruff format --check`` say of ``source`` ("" if clean),
    with the project's configuration."""
    path = tmp_path / "generated_models.py"
    path.write_text(source, encoding="utf-8")
    out = []
    for args in (["check", "--no-cache"], ["format", "--check", "--diff", "--no-cache"]):
        run = subprocess.run(
            [str(RUFF), *args, "--config", str(REPO_ROOT / "pyproject.toml"), str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        if run.returncode:
            out.append(run.stdout + run.stderr)
    return "\n".join(out)


def django_check(source: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``manage.py check`` (or, given ``args``, that command) in a subprocess whose
    settings install an app, ``generatedapp``, holding ``source`` as its models."""
    app = tmp_path / "generatedapp"
    app.mkdir()
    (app / "__init__.py").write_text("", encoding="utf-8")
    (app / "models.py").write_text(source, encoding="utf-8")
    (tmp_path / "generated_settings.py").write_text(
        "from tests.settings import *  # noqa: F403\n\n"
        'INSTALLED_APPS = [*INSTALLED_APPS, "generatedapp"]  # noqa: F405\n'
        f"API_ORM_SERVICES = {SERVICES!r}\n",
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO_ROOT)]),
        "DJANGO_SETTINGS_MODULE": "generated_settings",
    }
    command = list(args) or ["check"]
    code = (
        "import sys, django; django.setup(); import generatedapp.models; "
        "from django.core.management import execute_from_command_line; "
        f"execute_from_command_line(['manage.py', *{command!r}])"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )


def classes(source: str) -> dict[str, dict[str, Any]]:
    """Read the generated classes back: ``{class: {"fields": {name: (kind, args,
    kwargs)}, "meta": {option: value}}}``, values as source text unless literal."""
    out: dict[str, dict[str, Any]] = {}
    constants: dict[str, Any] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            constants[node.targets[0].id] = ast.literal_eval(node.value)
        if not isinstance(node, ast.ClassDef):
            continue
        fields: dict[str, tuple[str, list[str], dict[str, str]]] = {}
        meta: dict[str, Any] = {}
        for item in node.body:
            if isinstance(item, ast.Assign) and isinstance(item.value, ast.Call):
                call = item.value
                assert isinstance(call.func, ast.Attribute)
                name = item.targets[0]
                assert isinstance(name, ast.Name)
                fields[name.id] = (
                    call.func.attr,
                    [ast.unparse(a) for a in call.args],
                    {str(k.arg): ast.unparse(k.value) for k in call.keywords},
                )
            elif isinstance(item, ast.ClassDef) and item.name == "Meta":
                for option in item.body:
                    if isinstance(option, ast.Assign):
                        target = option.targets[0]
                        assert isinstance(target, ast.Name)
                        # Literals, and the module's constants (TEXT_LOOKUPS...).
                        code = compile(ast.Expression(option.value), "<meta>", "eval")
                        meta[target.id] = eval(code, {"__builtins__": {}}, constants)
        out[node.name] = {"fields": fields, "meta": meta}
    return out


def import_generated(source: str, directory: Path, prefix: str = "inspected") -> ModuleType:
    """Import generated ``source`` as a new top-level module (its name is its app label),
    as a consumer's ``models.py`` would be imported."""
    name = f"{prefix}_{uuid.uuid4().hex}"
    path = directory / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def models_by_endpoint(module: ModuleType) -> dict[str, Any]:
    """Return the RemoteModels ``module`` itself defines, by ``Meta.endpoint``."""
    from django_api_orm import RemoteModel

    return {
        value._meta.endpoint: value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, RemoteModel)
        and value.__module__ == module.__name__
    }
