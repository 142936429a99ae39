"""inspectapi against a real NetBox: its own ``/api/schema/`` (drf-spectacular, 300+ paths).

Models generated for tenants, sites, devices and what devices point at import, pass
the system checks, and list the same rows with the same values as the hand-written
models of ``tests/netbox/models.py``; filters generated through ``NetBoxDialect``
(``name__ic``...) are ones NetBox applies.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from django_api_orm.checks import check_models
from django_api_orm.inspectapi import drift, generate, load_schema
from tests.inspectapi.support import import_generated, models_by_endpoint
from tests.netbox import models as hand

ENDPOINTS = [
    "tenancy/tenants/",
    "dcim/sites/",
    "dcim/manufacturers/",
    "dcim/device-types/",
    "dcim/device-roles/",
    "dcim/devices/",
]
PAIRS = {
    "tenancy/tenants/": hand.Tenant,
    "dcim/sites/": hand.Site,
    "dcim/manufacturers/": hand.Manufacturer,
    "dcim/device-types/": hand.DeviceType,
    "dcim/device-roles/": hand.DeviceRole,
    "dcim/devices/": hand.Device,
}


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return load_schema("schema/", service="netbox")


@pytest.fixture(scope="module")
def generated(schema: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    inspection = generate(schema, service="netbox", endpoints=ENDPOINTS)
    assert set(inspection.endpoints) == set(ENDPOINTS), inspection.problems
    return import_generated(
        inspection.source, tmp_path_factory.mktemp("inspectapi"), prefix="inspected_netbox"
    )


def test_the_schema_is_netboxs(schema: dict[str, Any]) -> None:
    assert schema["openapi"].startswith("3.")
    assert "/api/dcim/sites/" in schema["paths"]


def test_generated_models_pass_the_checks(generated: ModuleType) -> None:
    """No error; the only warning is W003 (NetBox's schema does not list the fields
    ?ordering= accepts, so ordering_fields is left to the developer, as the header says)."""
    models = list(models_by_endpoint(generated).values())
    messages = [m for m in check_models(None) if m.obj in models]
    assert [m for m in messages if m.level >= 40] == []
    assert {m.id for m in messages} <= {"django_api_orm.W003"}
    assert "ordering_fields" in Path(generated.__file__ or "").read_text()


async def test_generated_models_list_the_same_rows(generated: ModuleType) -> None:
    models = models_by_endpoint(generated)
    for endpoint, written in PAIRS.items():
        model = models[endpoint]
        names = sorted(
            f.attname
            for f in written._meta.fields
            if f.name in {g.name for g in model._meta.fields}
        )
        # Every field the hand-written model declares is generated, under the same name.
        assert names == sorted(f.attname for f in written._meta.fields), (endpoint, names)
        ours = [{n: getattr(o, n) for n in names} async for o in model.objects.order_by("id")]
        theirs = [{n: getattr(o, n) for n in names} async for o in written.objects.order_by("id")]
        assert ours == theirs, endpoint
        assert ours, endpoint


async def test_generated_filters_are_applied_by_netbox(generated: ModuleType) -> None:
    site = models_by_endpoint(generated)["dcim/sites/"]
    device = models_by_endpoint(generated)["dcim/devices/"]
    for model, written, lookups in [
        (site, hand.Site, {"name__icontains": "1"}),
        (site, hand.Site, {"status": "active"}),
        (device, hand.Device, {"site__in": [1, 2]}),
        (device, hand.Device, {"name__istartswith": "dev"}),
    ]:
        ours = [o.pk async for o in model.objects.filter(**lookups).order_by("id")]
        theirs = [o.pk async for o in written.objects.filter(**lookups).order_by("id")]
        assert ours == theirs, lookups
    assert [o.pk async for o in site.objects.exclude(status="active").order_by("id")] == [
        o.pk async for o in hand.Site.objects.exclude(status="active").order_by("id")
    ]


def test_no_drift_against_its_own_schema(generated: ModuleType, schema: dict[str, Any]) -> None:
    assert drift(generated, schema, service="netbox") == []
