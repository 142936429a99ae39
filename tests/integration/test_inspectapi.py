"""inspectapi against the running example provider (its drf-spectacular ``/api/schema/``).

The schema is fetched through the library's own client with the service's token;
the generated module is imported as a consumer would import it, and each generated
model lists the same rows, with the same values, as the hand-written model of the
same endpoint (``tests/integration/remote_models.py``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from django_api_orm import RemoteModel
from django_api_orm.inspectapi import drift, generate, load_schema
from tests.inspectapi.support import import_generated, models_by_endpoint
from tests.integration import remote_models as hand
from tests.servers import REPO_ROOT

pytestmark = pytest.mark.usefixtures("provider_service")

#: Hand-written model of each endpoint, to compare with the generated one.
PAIRS = {
    "authors/": hand.Author,
    "genres/": hand.Genre,
    "books/": hand.Book,
    "books-lo/": hand.LimitOffsetBook,
    "books-cursor/": hand.CursorBook,
    "books-plain/": hand.PlainBook,
}


def values(obj: RemoteModel, names: list[str]) -> dict[str, Any]:
    return {name: getattr(obj, obj._meta.get_field(name).attname) for name in names}


@pytest.fixture(scope="module")
def schema(provider: Any) -> dict[str, Any]:
    from django.conf import settings
    from django.test import override_settings

    with override_settings(
        API_ORM_SERVICES={**settings.API_ORM_SERVICES, "provider": provider.service()}
    ):
        return load_schema("schema/", service="provider")


def test_every_endpoint_is_generated(schema: dict[str, Any]) -> None:
    inspection = generate(schema, service="provider")
    assert set(PAIRS) | {"books-links/"} <= set(inspection.endpoints)
    assert len(inspection.models) == len(inspection.endpoints)


async def test_generated_models_list_the_same_rows(schema: dict[str, Any], tmp_path: Path) -> None:
    module = import_generated(generate(schema, service="provider").source, tmp_path)
    generated = models_by_endpoint(module)
    for endpoint, written in PAIRS.items():
        model = generated[endpoint]
        names = sorted(
            f.name for f in written._meta.fields if f.name in {g.name for g in model._meta.fields}
        )
        # Every field the hand-written model declares is generated, under the same name.
        assert names == sorted(f.name for f in written._meta.fields), (endpoint, names)
        ours = [values(o, names) async for o in model.objects.order_by("id")]
        theirs = [values(o, names) async for o in written.objects.order_by("id")]
        assert ours == theirs, endpoint
        assert len(ours) > 0, endpoint


async def test_generated_filters_are_sent_and_answered(
    schema: dict[str, Any], tmp_path: Path
) -> None:
    """Every filter the generated Book declares is one the provider applies: a filtered
    list equals the hand-written model's, and the rows are checked against the filters."""
    book = models_by_endpoint(
        import_generated(generate(schema, service="provider").source, tmp_path)
    )["books/"]
    queries = [
        {"price__lt": 20},
        {"title__icontains": "the"},
        {"published__isnull": True},
        {"author__in": [1, 2]},
        {"in_print": False},
    ]
    for lookups in queries:
        ours = [b.pk async for b in book.objects.filter(**lookups).order_by("id")]
        theirs = [b.pk async for b in hand.Book.objects.filter(**lookups).order_by("id")]
        assert ours == theirs, lookups


def test_no_drift_against_its_own_schema(schema: dict[str, Any], tmp_path: Path) -> None:
    module = import_generated(generate(schema, service="provider").source, tmp_path)
    assert drift(module, schema, service="provider") == []


def test_hand_written_models_checked_for_drift(schema: dict[str, Any]) -> None:
    """The hand-written models declare nothing the schema does not document."""
    assert drift(hand, schema, service="provider") == []


def test_the_command_prints_a_module_that_passes_ruff(
    provider: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("inspectapi", "schema/", "--service", "provider")
    source = capsys.readouterr().out
    assert "class Book(RemoteModel):" in source
    path = tmp_path / "models.py"
    path.write_text(source)
    ruff = Path(sys.executable).parent / "ruff"
    for args in (["check", str(path)], ["format", "--check", str(path)]):
        result = subprocess.run(
            [str(ruff), *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stdout + result.stderr
