"""Bad input: a clear message per item, the rest still generated; ``load_schema()``
reads JSON and YAML files and URLs of the service, and says what is wrong."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import respx
from django.core.exceptions import SynchronousOnlyOperation
from django.core.management import CommandError, call_command
from django.test import override_settings

from django_api_orm.inspectapi import SchemaError, aload_schema, generate, load_schema
from tests.inspectapi.support import provider_schema
from tests.servers import REPO_ROOT, free_port

BASE_URL = "https://api.example.test/api/"


def _write(tmp_path: Path, data: Any, name: str = "schema.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_json_file(tmp_path: Path) -> None:
    assert load_schema(str(_write(tmp_path, provider_schema()))) == provider_schema()


def test_yaml_file(tmp_path: Path) -> None:
    yaml = pytest.importorskip("yaml")
    path = tmp_path / "schema.yaml"
    path.write_text(yaml.safe_dump(provider_schema()), encoding="utf-8")
    assert load_schema(str(path)) == provider_schema()


def test_yaml_without_pyyaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "schema.yaml"
    path.write_text("openapi: 3.0.3\npaths: {}\n", encoding="utf-8")
    monkeypatch.setitem(sys.modules, "yaml", None)
    with pytest.raises(SchemaError, match="pip install pyyaml"):
        load_schema(str(path))


def test_not_json_nor_yaml(tmp_path: Path) -> None:
    path = tmp_path / "schema.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(SchemaError, match="not valid JSON"):
        load_schema(str(path))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"swagger": "2.0", "paths": {}}, r"not an OpenAPI 3 document \(swagger: '2.0'"),
        ({"openapi": "4.0.0"}, r"not an OpenAPI 3 document \(openapi: '4.0.0'\)"),
        ({"paths": {}}, r"not an OpenAPI 3 document \(no 'openapi' key\)"),
        ([1, 2], r"not an OpenAPI document \(a list\)"),
    ],
)
def test_not_openapi_3(tmp_path: Path, data: Any, message: str) -> None:
    with pytest.raises(SchemaError, match=message):
        load_schema(str(_write(tmp_path, data)))


def test_missing_file() -> None:
    with pytest.raises(SchemaError, match=r"no-such-schema\.json: no such file"):
        load_schema("no-such-schema.json")


def test_url_relative_to_the_service_with_its_credentials() -> None:
    with respx.mock(assert_all_called=True) as router:
        route = router.get(f"{BASE_URL}schema/").respond(json=provider_schema())
        assert load_schema("schema/") == provider_schema()
    assert route.calls.last.request.headers["authorization"] == "Bearer s3cret-token-value"


def test_url_that_answers_html() -> None:
    with respx.mock() as router:
        router.get(f"{BASE_URL}schema/").respond(text="<html>docs</html>")
        with pytest.raises(SchemaError, match="the answer is not a JSON schema"):
            load_schema(f"{BASE_URL}schema/")


def test_unreachable_url() -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/api/"
    services = {"default": {"BASE_URL": url, "MAX_RETRIES": 0}}
    with override_settings(API_ORM_SERVICES=services):
        with pytest.raises(SchemaError, match="the schema could not be fetched"):
            load_schema("schema/")
        with pytest.raises(SchemaError, match="the schema could not be fetched"):
            load_schema(f"http://127.0.0.1:{free_port()}/other/schema/")  # another origin


def _schema_with(paths: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    schema = provider_schema()
    schema["paths"].update(paths)
    schema["components"]["schemas"].update(components)
    return schema


def _get(answer: dict[str, Any]) -> dict[str, Any]:
    return {
        "get": {
            "responses": {"200": {"content": {"application/json": {"schema": answer}}}},
        }
    }


PROBLEMS = _schema_with(
    {
        # Only a detail route.
        "/api/things/{id}/": _get({"$ref": "#/components/schemas/Genre"}),
        # A polymorphic list.
        "/api/pets/": _get({"type": "array", "items": {"$ref": "#/components/schemas/Pet"}}),
        # Outside the service's BASE_URL.
        "/other/widgets/": _get({"type": "array", "items": {"$ref": "#/components/schemas/Genre"}}),
    },
    {
        "Pet": {
            "oneOf": [
                {"$ref": "#/components/schemas/Genre"},
                {"$ref": "#/components/schemas/Author"},
            ]
        }
    },
)


def test_problems_are_reported_and_the_rest_generated() -> None:
    inspection = generate(PROBLEMS)
    assert inspection.problems == [
        "/other/widgets/: outside the service's BASE_URL path '/api/'; skipped.",
        "pets/: the list items are a oneOf (a polymorphic body), which a RemoteModel cannot "
        "declare; skipped.",
        "things/{id}/: a detail route with no list route at 'things/'; skipped.",
    ]
    assert "Book" in inspection.models
    assert "class Pet" not in inspection.source


def test_command_prints_problems_as_comments_and_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("inspectapi", str(_write(tmp_path, PROBLEMS)))
    out, err = capsys.readouterr()
    assert "class Book(RemoteModel):" in out
    assert out.endswith(
        "# Problems met while reading the schema:\n"
        "# - /other/widgets/: outside the service's BASE_URL path '/api/'; skipped.\n"
        "# - pets/: the list items are a oneOf (a polymorphic body), which a RemoteModel "
        "cannot declare; skipped.\n"
        "# - things/{id}/: a detail route with no list route at 'things/'; skipped.\n"
    )
    assert "things/{id}/: a detail route with no list route" in err


def test_command_with_endpoint_prefixes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, provider_schema())
    call_command("inspectapi", str(path), endpoint=["genres/"])
    out = capsys.readouterr().out
    assert "class Genre(RemoteModel):" in out
    assert "class Book(" not in out


def test_command_fails_when_nothing_is_generated(tmp_path: Path) -> None:
    path = _write(tmp_path, {"openapi": "3.0.3", "paths": {"/api/things/{id}/": {}}})
    with pytest.raises(CommandError, match="No model could be generated"):
        call_command("inspectapi", str(path))


def _manage(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "django", "inspectapi", *args, "--settings", "tests.settings"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
        check=False,
    )


def test_exit_statuses(tmp_path: Path) -> None:
    run = _manage(str(_write(tmp_path, provider_schema())))
    assert run.returncode == 0, run.stderr
    assert "class Book(RemoteModel):" in run.stdout
    run = _manage(str(_write(tmp_path, {"swagger": "2.0"}, "swagger.json")))
    assert run.returncode == 1
    assert "not an OpenAPI 3 document (swagger: '2.0' (OpenAPI 2))" in run.stderr
    assert run.stdout == ""


def test_unknown_service(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="nope"):
        call_command("inspectapi", str(_write(tmp_path, provider_schema())), service="nope")


async def test_aload_schema_in_async_code() -> None:
    with respx.mock(assert_all_called=True) as router:
        router.get(f"{BASE_URL}schema/").respond(json=provider_schema())
        assert await aload_schema("schema/") == provider_schema()


async def test_load_schema_refuses_to_block_an_event_loop() -> None:
    with pytest.raises(SynchronousOnlyOperation, match=r"await aload_schema\(\.\.\.\)"):
        load_schema("schema/")
