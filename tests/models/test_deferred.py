"""Partial objects: a field missing from a server's answer is deferred, never defaulted.

NetBox (and many providers) answer a foreign key with a short nested object. Read
as a whole object, its missing fields would take their defaults, and saving it
would PUT those defaults over the server's real values. Here they are deferred,
as Django's ``only()`` makes them: ``get_deferred_fields()`` names them, reading
one loads the object (sync) or raises naming ``arefresh_from_db`` (async), and
``save()`` PATCHes only what was loaded.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
import respx
from django.conf import settings
from django.core.exceptions import SynchronousOnlyOperation
from django.test import override_settings

from django_api_orm import InvalidResponseError, RemoteModel, fields
from tests.models.conftest import API, page


class Site(RemoteModel):
    name = fields.CharField(max_length=100)
    slug = fields.CharField(max_length=100)
    facility = fields.CharField(max_length=50, blank=True, default="")
    status = fields.CharField(
        choices=[("active", "Active"), ("planned", "Planned")], default="active"
    )

    class Meta:
        endpoint = "sites/"
        filter_fields = {"id": ["exact", "in"]}


class Device(RemoteModel):
    name = fields.CharField(max_length=100)
    site = fields.ForeignKey(Site, related_name="devices")
    serial = fields.CharField(blank=True, default="")

    class Meta:
        endpoint = "devices/"
        filter_fields = {"site": ["exact", "in"]}


SITE_1 = {"id": 1, "name": "HQ", "slug": "hq", "facility": "Building 7", "status": "planned"}
#: How a device names its site: a short nested object, no facility, no status.
SHORT_SITE_1 = {"id": 1, "url": f"{API}sites/1/", "display": "HQ", "name": "HQ", "slug": "hq"}
DEVICE_5 = {"id": 5, "name": "core-1", "site": SHORT_SITE_1, "serial": "X1"}


def sent(router: respx.MockRouter) -> list[tuple[str, str, Any]]:
    """Return every request as ``(method, path and query, JSON body)``."""
    return [
        (
            c.request.method,
            c.request.url.raw_path.decode(),
            json.loads(c.request.content) if c.request.content else None,
        )
        for c in router.calls
    ]


@pytest.fixture
def netbox_like() -> Iterator[None]:
    """Point the default service at the NetBox dialect (wrapped choices, nested objects)."""
    entry = {
        **settings.API_ORM_SERVICES["default"],
        "DIALECT": "django_api_orm.dialects.netbox.NetBoxDialect",
    }
    with override_settings(API_ORM_SERVICES={**settings.API_ORM_SERVICES, "default": entry}):
        yield


# --- reading ------------------------------------------------------------------------


async def test_short_nested_object_names_its_deferred_fields(api: respx.MockRouter) -> None:
    """Names the fields a nested object left out; its own fields read without a request."""
    api.get("devices/5/").respond(json=DEVICE_5)
    device = await Device.objects.aget(pk=5)
    site = device.site
    assert (site.pk, site.name, site.slug) == (1, "HQ", "hq")
    assert site.get_deferred_fields() == {"facility", "status"}
    assert len(api.calls) == 1


async def test_deferred_field_in_async_code_raises_naming_arefresh(
    api: respx.MockRouter,
) -> None:
    """Raises SynchronousOnlyOperation naming arefresh_from_db, never the default ''."""
    api.get("devices/5/").respond(json=DEVICE_5)
    device = await Device.objects.aget(pk=5)
    with pytest.raises(
        SynchronousOnlyOperation,
        match=r"Site\.facility is deferred.*"
        r"arefresh_from_db\(fields=\['facility', 'status'\]\)",
    ):
        _ = device.site.facility
    assert len(api.calls) == 1


async def test_arefresh_from_db_loads_deferred_fields(api: respx.MockRouter) -> None:
    """Loads the deferred fields with one detail GET; then they read the server's values."""
    api.get("devices/5/").respond(json=DEVICE_5)
    api.get("sites/1/").respond(json=SITE_1)
    device = await Device.objects.aget(pk=5)
    await device.site.arefresh_from_db(fields=["facility", "status"])
    assert (device.site.facility, device.site.status) == ("Building 7", "planned")
    assert device.site.get_deferred_fields() == set()
    assert sent(api)[-1] == ("GET", "/api/sites/1/", None)


def test_deferred_field_in_sync_code_loads_the_object_once(api: respx.MockRouter) -> None:
    """Loads every deferred field with one GET of the detail on the first read, as Django."""
    api.get("devices/5/").respond(json=DEVICE_5)
    detail = api.get("sites/1/").respond(json=SITE_1)
    site = Device.objects.get(pk=5).site
    assert site.facility == "Building 7"
    assert site.status == "planned"
    assert detail.call_count == 1


def test_field_missing_from_the_detail_too_takes_its_default(api: respx.MockRouter) -> None:
    """Takes the default only when the object's own detail leaves the field out as well."""
    api.get("devices/5/").respond(json={"id": 5, "name": "core-1", "site": 1})
    device = Device.objects.get(pk=5)
    assert device.serial == ""  # the detail has no serial key either
    assert len(api.calls) == 2


# --- writing ------------------------------------------------------------------------


async def test_saving_a_partial_object_patches_only_loaded_fields(api: respx.MockRouter) -> None:
    """PATCHes the fields the short object holds, never defaults over facility and status."""
    api.get("devices/5/").respond(json=DEVICE_5)
    api.patch("sites/1/").respond(json={**SITE_1, "name": "Head office"})
    device = await Device.objects.aget(pk=5)
    site = device.site
    site.name = "Head office"
    await site.asave()
    assert sent(api)[-1] == ("PATCH", "/api/sites/1/", {"name": "Head office", "slug": "hq"})
    # The answer is whole: nothing is deferred any more.
    assert site.facility == "Building 7"


async def test_whole_object_is_still_put(api: respx.MockRouter) -> None:
    """PUTs every writable field of an object the server sent whole."""
    api.get("sites/1/").respond(json=SITE_1)
    api.put("sites/1/").respond(json=SITE_1)
    site = await Site.objects.aget(pk=1)
    await site.asave()
    body = {k: v for k, v in SITE_1.items() if k != "id"}
    assert sent(api)[-1] == ("PUT", "/api/sites/1/", body)


async def test_assigned_deferred_field_is_sent(api: respx.MockRouter) -> None:
    """Sends a deferred field once it is assigned: it is then known, not deferred."""
    api.get("devices/5/").respond(json=DEVICE_5)
    api.patch("sites/1/").respond(json={**SITE_1, "facility": "B8"})
    device = await Device.objects.aget(pk=5)
    device.site.facility = "B8"
    await device.site.asave()
    assert sent(api)[-1][2] == {"name": "HQ", "slug": "hq", "facility": "B8"}


# --- select_related -----------------------------------------------------------------


async def test_select_related_fetches_whole_objects_for_short_nested_ones(
    api: respx.MockRouter,
) -> None:
    """Fetches the whole sites in one batched request instead of keeping the short ones."""
    devices = [DEVICE_5, {**DEVICE_5, "id": 6, "name": "core-2"}]
    api.get("devices/").respond(json=page(devices))
    api.get("sites/").respond(json=page([SITE_1]))
    got = [d async for d in Device.objects.select_related("site")]
    assert [d.site.facility for d in got] == ["Building 7", "Building 7"]
    assert sent(api)[-1] == ("GET", "/api/sites/?id__in=1&page_size=100", None)


async def test_select_related_keeps_whole_nested_objects(api: respx.MockRouter) -> None:
    """Sends no request for a nested object that carries every field."""
    api.get("devices/").respond(json=page([{**DEVICE_5, "site": SITE_1}]))
    got = [d async for d in Device.objects.select_related("site")]
    assert got[0].site.facility == "Building 7"
    assert len(api.calls) == 1


# --- choices ------------------------------------------------------------------------


@pytest.mark.usefixtures("netbox_like")
async def test_wrapped_choice_reads_value_and_label(api: respx.MockRouter) -> None:
    """Reads {"value", "label"} as the value; get_FOO_display() gives the provider's label."""
    api.get("sites/1/").respond(
        json={**SITE_1, "status": {"value": "planned", "label": "Planned (phase 2)"}}
    )
    site = await Site.objects.aget(pk=1)
    assert site.status == "planned"
    assert site.get_status_display() == "Planned (phase 2)"
    site.status = "active"  # changed here: the declared label, not the stale one
    assert site.get_status_display() == "Active"


@pytest.mark.usefixtures("netbox_like")
async def test_wrapped_choice_is_written_back_bare(api: respx.MockRouter) -> None:
    """Writes the bare value back, and counts an unchanged wrapped choice as unchanged."""
    api.get("sites/1/").respond(json={**SITE_1, "status": {"value": "planned", "label": "P"}})
    api.put("sites/1/").respond(json=SITE_1)
    site = await Site.objects.aget(pk=1)
    await site.asave()
    assert sent(api)[-1][2]["status"] == "planned"


@pytest.mark.usefixtures("netbox_like")
async def test_wrapped_value_reads_on_a_field_without_choices(api: respx.MockRouter) -> None:
    """Reads a wrapped value into a plain CharField too (no choices declared)."""
    api.get("devices/5/").respond(json={**DEVICE_5, "serial": {"value": "X1", "label": "X1"}})
    device = await Device.objects.aget(pk=5)
    assert device.serial == "X1"


async def test_wrapped_choice_is_refused_by_a_dialect_that_does_not_wrap(
    api: respx.MockRouter,
) -> None:
    """Raises naming the field when the DRF dialect meets a wrapped value it does not know."""
    api.get("sites/1/").respond(json={**SITE_1, "status": {"value": "planned", "label": "P"}})
    site = await Site.objects.aget(pk=1)
    with pytest.raises(InvalidResponseError, match=r"Site\.status"):
        _ = site.status


async def test_sync_read_from_a_thread_is_allowed(api: respx.MockRouter) -> None:
    """Loads a deferred field from sync code run in a thread by async code."""
    api.get("devices/5/").respond(json=DEVICE_5)
    api.get("sites/1/").respond(json=SITE_1)
    device = await Device.objects.aget(pk=5)
    assert await asyncio.to_thread(lambda: device.site.facility) == "Building 7"
