"""``generate()`` on NetBox 4.7's schema (trimmed to sites, tenants, devices and what
they reference) with NetBoxDialect: foreign keys from the Brief components, choices
from ``{value, label}``, filters from NetBox's suffixes, limit/offset left implicit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from django_api_orm.inspectapi import Inspection, generate
from tests.inspectapi.support import (
    SERVICES,
    classes,
    django_check,
    netbox_schema,
    ruff_problems,
)
from tests.netbox import models as hand_written


@pytest.fixture(scope="module")
def inspection() -> Iterator[Inspection]:
    with override_settings(API_ORM_SERVICES=SERVICES):
        yield generate(netbox_schema(), service="netbox")


@pytest.fixture(scope="module")
def generated(inspection: Inspection) -> dict[str, dict[str, Any]]:
    return classes(inspection.source)


def test_models_and_endpoints(inspection: Inspection) -> None:
    assert sorted(zip(inspection.models, inspection.endpoints, strict=True)) == [
        ("Device", "dcim/devices/"),
        ("DeviceRole", "dcim/device-roles/"),
        ("DeviceType", "dcim/device-types/"),
        ("Manufacturer", "dcim/manufacturers/"),
        ("Region", "dcim/regions/"),
        ("Site", "dcim/sites/"),
        ("Tenant", "tenancy/tenants/"),
    ]
    assert inspection.problems == []
    order = inspection.models
    assert order.index("Tenant") < order.index("Site") < order.index("Device")
    assert order.index("DeviceType") < order.index("Device")


@pytest.mark.parametrize("name", ["Tenant", "Site", "Manufacturer", "DeviceType", "Device"])
def test_hand_written_fields_are_generated_alike(
    generated: dict[str, dict[str, Any]], name: str
) -> None:
    model = getattr(hand_written, name)
    fields = generated[name]["fields"]
    for field in model._meta.fields:
        if field.auto_created:
            continue
        if (name, field.name) == ("DeviceType", "u_height"):
            # The schema says number/double (with its default): a FloatField; the
            # hand-written model chose DecimalField. Both read NetBox's 1.0.
            assert fields["u_height"] == ("FloatField", [], {"blank": "True", "default": "1.0"})
            continue
        assert fields[field.name][0] == type(field).__name__, field.name
    meta = generated[name]["meta"]
    assert meta["endpoint"] == model._meta.endpoint
    assert meta["service"] == "netbox"
    assert "pagination" not in meta  # limit_offset: NetBoxDialect's default


def test_site(generated: dict[str, dict[str, Any]], inspection: Inspection) -> None:
    fields = generated["Site"]["fields"]
    assert fields["tenant"] == ("ForeignKey", ["Tenant"], {"null": "True", "blank": "True"})
    assert fields["region"] == ("ForeignKey", ["Region"], {"null": "True", "blank": "True"})
    assert fields["status"] == (
        "CharField",
        [],
        {"max_length": "15", "choices": "STATUS_CHOICES", "blank": "True"},
    )
    assert fields["facility"] == (
        "CharField",
        [],
        {"max_length": "50", "blank": "True", "default": "''"},
    )
    assert fields["created"][2] == {"null": "True", "blank": "True", "read_only": "True"}
    # A Brief component with no generated model: the nested object kept as JSON.
    assert fields["group"][0] == "JSONField"
    assert "# a nested BriefSiteGroup: no model was generated for it" in inspection.source
    assert "STATUS_CHOICES = (\n" in inspection.source
    assert '    ("decommissioning", "Decommissioning"),\n' in inspection.source


def test_site_filters(generated: dict[str, dict[str, Any]], inspection: Inspection) -> None:
    filters = generated["Site"]["meta"]["filter_fields"]
    opts = hand_written.Site._meta
    for key, lookups in opts.filter_fields.items():
        documented = set(filters[key])
        if {"gte", "lte"} <= documented:
            documented.add("range")  # NetBoxDialect sends range as __gte and __lte
        assert set(lookups) <= documented, key
    assert filters["name"] == [
        "exact",
        "iexact",
        "icontains",
        "istartswith",
        "iendswith",
        "regex",
        "iregex",
        "in",
    ]
    # Lists several filters repeat are module constants, as in tests/netbox/models.py.
    assert '            "name": TEXT_LOOKUPS,\n' in inspection.source
    assert '\nTEXT_LOOKUPS = ["exact", "iexact", "icontains",' in inspection.source
    assert filters["tenant"] == ["exact", "in", "isnull"]  # tenant_id, tenant_id=null
    assert filters["tenant__slug"] == ["exact", "in"]  # NetBox's ?tenant= takes the slug
    assert filters["id"] == ["exact", "in", "gt", "gte", "lt", "lte"]
    # Negations (name__n, name__nic) are NetBox's own: exclude() sends them.
    assert "exclude_filters" not in generated["Site"]["meta"]
    # A relation kept as JSON gets no filter: ?group_id= would need a foreign key.
    assert "group" not in filters


def test_device(generated: dict[str, dict[str, Any]], inspection: Inspection) -> None:
    fields = generated["Device"]["fields"]
    assert fields["site"] == ("ForeignKey", ["Site"], {})
    assert fields["device_type"] == ("ForeignKey", ["DeviceType"], {})
    assert fields["role"] == ("ForeignKey", ["DeviceRole"], {})
    assert fields["tenant"] == ("ForeignKey", ["Tenant"], {"null": "True", "blank": "True"})
    assert fields["parent_device"] == (
        "ForeignKey",
        ["'self'"],
        {"null": "True", "blank": "True", "read_only": "True"},
    )
    assert fields["name"] == (
        "CharField",
        [],
        {"max_length": "64", "null": "True", "blank": "True"},
    )
    assert fields["status"][2]["choices"] == "DEVICE_STATUS_CHOICES"
    filters = generated["Device"]["meta"]["filter_fields"]
    assert filters["site"] == ["exact", "in", "isnull"]
    assert filters["site__slug"] == ["exact", "in"]
    assert set(filters["serial"]) >= set(hand_written.TEXT)
    # ?local_context_data= is a "has data" flag on a JSON field: no lookup of the ORM.
    assert "local_context_data" not in filters
    assert "Searched with ?q= (QuerySet.search())." in inspection.source


def test_ruff_clean(inspection: Inspection, tmp_path: Path) -> None:
    assert ruff_problems(inspection.source, tmp_path) == ""


def test_manage_py_check_passes(inspection: Inspection, tmp_path: Path) -> None:
    run = django_check(inspection.source, tmp_path)
    assert run.returncode == 0, run.stderr
    assert "ERRORS" not in run.stderr
