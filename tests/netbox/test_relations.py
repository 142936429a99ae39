"""Relations against a real NetBox: short nested objects, reverse managers, batched loads."""

from __future__ import annotations

import asyncio
import collections

import pytest
from django.core.exceptions import SynchronousOnlyOperation

from tests.netbox.data import NetBoxData, fk
from tests.netbox.models import Device, Site, Tenant


async def test_nested_site_is_partial_and_deferred(data: NetBoxData) -> None:
    """Reads a device's site as NetBox nests it: its own fields, the rest deferred."""
    row = next(r for r in data.devices if fk(r, "site") is not None)
    device = await Device.objects.aget(pk=row["id"])
    site = device.site
    assert (site.pk, site.name) == (row["site"]["id"], row["site"]["name"])
    assert {"facility", "status", "tenant_id"} <= site.get_deferred_fields()
    with pytest.raises(SynchronousOnlyOperation, match="arefresh_from_db"):
        _ = site.facility


async def test_deferred_field_loads_the_truth_in_sync_code(data: NetBoxData) -> None:
    """Loads the real facility (not the default '') when sync code reads it."""
    row = next(r for r in data.devices if fk(r, "site") is not None)
    truth = next(s for s in data.sites if s["id"] == fk(row, "site"))
    device = await Device.objects.aget(pk=row["id"])
    assert await asyncio.to_thread(lambda: device.site.facility) == truth["facility"]


async def test_select_related_loads_whole_sites(data: NetBoxData) -> None:
    """Replaces every short nested site with the whole one, batched per page."""
    facility = {s["id"]: s["facility"] for s in data.sites}
    devices = [d async for d in Device.objects.select_related("site", "tenant")]
    assert len(devices) == len(data.devices)
    for device in devices:
        assert device.site.get_deferred_fields() == set()
        assert device.site.facility == facility[device.site_id]
        if device.tenant_id is not None:
            assert device.tenant.get_deferred_fields() == set()


async def test_reverse_manager_lists_a_sites_devices(data: NetBoxData) -> None:
    """Lists site.devices through NetBox's site_id filter."""
    per_site = collections.Counter(fk(r, "site") for r in data.devices)
    for site_id in data.site_ids[:6]:
        site = await Site.objects.aget(pk=site_id)
        assert await site.devices.acount() == per_site[site_id]
        assert sorted([d.pk async for d in site.devices.all()]) == sorted(
            r["id"] for r in data.devices if fk(r, "site") == site_id
        )


async def test_prefetch_related_groups_devices_by_site(data: NetBoxData) -> None:
    """Prefetches every site's devices in batched site_id requests."""
    per_site = collections.Counter(fk(r, "site") for r in data.devices)
    sites = [s async for s in Site.objects.prefetch_related("devices")]
    assert {s.pk: len(s.devices.all()) for s in sites} == {s: per_site[s] for s in data.site_ids}


async def test_prefetch_related_of_a_tenants_sites(data: NetBoxData) -> None:
    """Prefetches each tenant's sites (tenant_id=1&tenant_id=2...)."""
    per_tenant = collections.Counter(fk(r, "tenant") for r in data.sites)
    tenants = [t async for t in Tenant.objects.prefetch_related("sites")]
    assert {t.pk: len(t.sites.all()) for t in tenants} == {
        t: per_tenant[t] for t in data.tenant_ids
    }


async def test_in_bulk_returns_exactly_those_sites(data: NetBoxData) -> None:
    """Returns the asked sites only, sent as repeated id= keys."""
    wanted = data.site_ids[3:9]
    found = await Site.objects.ain_bulk(wanted)
    assert sorted(found) == sorted(wanted)
    assert all(found[pk].pk == pk for pk in wanted)
