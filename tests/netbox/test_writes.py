"""Writes against a real NetBox: create, update, partial update, delete, choices, errors.

Each test makes its own objects (slugs unique to the test) and deletes them, so
the seeded rows the read checks count stay as they are.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from django.core.exceptions import ValidationError

from django_api_orm import BadRequestError, HTTPStatusError
from tests.netbox.data import NetBoxData, value
from tests.netbox.models import Device, DeviceRole, DeviceType, Site, Tenant


def _slug(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def site(araw: httpx.AsyncClient) -> AsyncIterator[Site]:
    """A site with a facility and a description, deleted after the test."""
    slug = _slug("w")
    obj = await Site.objects.acreate(
        name=slug, slug=slug, status="planned", facility="Building 7", description="before"
    )
    yield obj
    await araw.delete(f"dcim/sites/{obj.pk}/")


async def test_create_sends_the_bare_choice_and_reads_the_label(
    site: Site, araw: httpx.AsyncClient
) -> None:
    """Creates a site whose status NetBox stores as "planned"; the label comes back."""
    stored = (await araw.get(f"dcim/sites/{site.pk}/")).json()
    assert value(stored["status"]) == "planned"
    assert stored["facility"] == "Building 7"
    again = await Site.objects.aget(pk=site.pk)
    assert (again.status, again.get_status_display()) == ("planned", "Planned")


async def test_save_puts_every_field_of_a_whole_object(site: Site, araw: httpx.AsyncClient) -> None:
    """Saves a whole object with PUT; NetBox holds the new values."""
    loaded = await Site.objects.aget(pk=site.pk)
    loaded.description = "after"
    loaded.status = "active"
    await loaded.asave()
    stored = (await araw.get(f"dcim/sites/{site.pk}/")).json()
    assert (stored["description"], value(stored["status"])) == ("after", "active")
    assert stored["facility"] == "Building 7"


async def test_update_fields_patches_one_field(site: Site, araw: httpx.AsyncClient) -> None:
    """PATCHes only update_fields."""
    site.facility = "Building 8"
    site.description = "not sent"
    await site.asave(update_fields=["facility"])
    stored = (await araw.get(f"dcim/sites/{site.pk}/")).json()
    assert (stored["facility"], stored["description"]) == ("Building 8", "before")


async def test_saving_a_short_nested_site_keeps_its_facility(
    site: Site, araw: httpx.AsyncClient, data: NetBoxData
) -> None:
    """Saves device.site (a short nested object) without wiping what it did not carry."""
    device = await Device.objects.acreate(
        name=_slug("dev"),
        site_id=site.pk,
        role_id=data.role_ids[0],
        device_type_id=data.devices[0]["device_type"]["id"],
    )
    try:
        loaded = await Device.objects.aget(pk=device.pk)
        nested = loaded.site
        assert "facility" in nested.get_deferred_fields()
        nested.name = f"{site.name}-renamed"
        await nested.asave()
        stored = (await araw.get(f"dcim/sites/{site.pk}/")).json()
        assert stored["name"] == f"{site.name}-renamed"
        assert (stored["facility"], stored["description"]) == ("Building 7", "before")
        assert value(stored["status"]) == "planned"
        # The sync twin, from sync code, the same way.
        reloaded = await Device.objects.aget(pk=device.pk)
        reloaded.site.name = site.name
        await asyncio.to_thread(reloaded.site.save)
        stored = (await araw.get(f"dcim/sites/{site.pk}/")).json()
        assert (stored["name"], stored["facility"]) == (site.name, "Building 7")
    finally:
        await araw.delete(f"dcim/devices/{device.pk}/")


async def test_delete_removes_the_object(araw: httpx.AsyncClient) -> None:
    """DELETEs the tenant; NetBox answers 404 for it after."""
    slug = _slug("t")
    tenant = await Tenant.objects.acreate(name=slug, slug=slug)
    pk = tenant.pk
    await tenant.adelete()
    assert (await araw.get(f"tenancy/tenants/{pk}/")).status_code == 404
    with pytest.raises(Tenant.DoesNotExist):
        await Tenant.objects.aget(pk=pk)


async def test_queryset_update_and_delete(araw: httpx.AsyncClient) -> None:
    """Updates and deletes the tenants a filter selects, and only those."""
    slugs = [_slug("q") for _ in range(3)]
    for slug in slugs:
        await Tenant.objects.acreate(name=slug, slug=slug)
    chosen = Tenant.objects.filter(slug__in=slugs[:2])
    assert await chosen.aupdate(description="bulk") == 2
    stored = {
        r["slug"]: r["description"]
        for r in (await araw.get("tenancy/tenants/", params={"slug": slugs})).json()["results"]
    }
    assert stored == {slugs[0]: "bulk", slugs[1]: "bulk", slugs[2]: ""}
    deleted, _ = await Tenant.objects.filter(slug__in=slugs).adelete()
    assert deleted == 3
    assert (await araw.get("tenancy/tenants/", params={"slug": slugs})).json()["count"] == 0


async def test_field_errors_become_a_validation_error(site: Site) -> None:
    """Raises BadRequestError (a ValidationError) keyed by NetBox's field names."""
    with pytest.raises(BadRequestError) as raised:
        await Site.objects.acreate(name=site.name, slug=site.slug)
    assert isinstance(raised.value, ValidationError)
    assert {"name", "slug"} & set(raised.value.message_dict)


async def test_a_choice_netbox_does_not_know_is_refused(site: Site) -> None:
    """Refuses an unknown status: locally with full_clean(), else NetBox's 400 names it."""
    site.status = "bogus"
    with pytest.raises(ValidationError) as local:
        site.full_clean()
    assert "status" in local.value.message_dict
    with pytest.raises(BadRequestError) as remote:
        await site.asave(update_fields=["status"])
    assert "status" in remote.value.message_dict


async def test_wrong_token_is_refused_loudly() -> None:
    """Raises an HTTP 403 error on a wrong token, never an empty list."""
    with pytest.raises(HTTPStatusError) as raised:
        await Site.objects.using("netbox_wrong_token").acount()
    assert raised.value.status_code == 403


async def test_create_a_device_type_and_role() -> None:
    """Creates and deletes a role and a device type of an existing manufacturer."""
    role = await DeviceRole.objects.acreate(name=_slug("r"), slug=_slug("r"), color="ff0000")
    first = await DeviceType.objects.afirst()
    assert first is not None
    device_type = await DeviceType.objects.acreate(
        manufacturer_id=first.manufacturer_id, model=_slug("m"), slug=_slug("m")
    )
    try:
        assert (await DeviceType.objects.aget(pk=device_type.pk)).manufacturer_id == (
            first.manufacturer_id
        )
        assert (await DeviceRole.objects.aget(pk=role.pk)).color == "ff0000"
    finally:
        await device_type.adelete()
        await role.adelete()
