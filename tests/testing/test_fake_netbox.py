"""FakeService with an alias whose DIALECT is NetBoxDialect: served as NetBox serves it.

The models are the NetBox suite's own (tests/netbox/models.py: they only declare
RemoteModels on the ``netbox`` alias, no NetBox is needed to import them). Every
query goes through the ORM, NetBoxDialect and the real client (which checks the
rows against the filters it sent), and is answered by the fake from memory.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal as D
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from django.conf import settings
from django.test import override_settings

from django_api_orm import BadRequestError, NotSupportedError, RemoteModel, fields
from django_api_orm.dialects.netbox import NetBoxDialect
from django_api_orm.test import FakeService
from tests.netbox.models import Device, DeviceRole, DeviceType, Manufacturer, Site, Tenant

MODELS = [Tenant, Site, Manufacturer, DeviceType, DeviceRole, Device]
BASE_URL = "https://netbox.example.test/api/"
NETBOX = {
    "BASE_URL": BASE_URL,
    "AUTH_TOKEN": "nbt_fake.0123456789",
    "DIALECT": "django_api_orm.dialects.netbox.NetBoxDialect",
    "MAX_RETRIES": 0,
    "RETRY_DELAY": 0.0,
    # Pages of 3 rows: every list below spans several limit/offset pages.
    "PAGINATION": {"PAGE_SIZE": 3},
}


class LooseSite(RemoteModel):
    """Declares a filter and an ordering NetBox's sites (as the fake serves them) lack."""

    name = fields.CharField(max_length=100)
    asset_tag = fields.CharField(max_length=50, blank=True, default="")
    description = fields.CharField(max_length=200, blank=True, default="")

    class Meta:
        # Not "testapp": the system checks of that installed app would report the
        # "netbox" alias, which the test settings do not configure (as for
        # tests/netbox/models.py, whose label is "tests").
        app_label = "tests"
        service = "netbox"
        endpoint = "dcim/sites/"
        filter_fields = {"asset_tag": ["exact"], "name": ["exact"]}
        ordering_fields = ["description"]


@pytest.fixture
def fake() -> Iterator[FakeService]:
    entries = {**settings.API_ORM_SERVICES, "netbox": NETBOX}
    with override_settings(API_ORM_SERVICES=entries), FakeService("netbox", models=MODELS) as f:
        yield f


def seed(fake: FakeService) -> dict[str, Any]:
    """Two tenants, four sites (ids 1-4: hq, north, south, dc), devices at hq and dc."""
    acme = fake.add(Tenant, name="Acme", slug="acme")
    globex = fake.add(Tenant, name="Globex", slug="globex", description="Rival")
    for name, slug, status, tenant, facility, description in [
        ("HQ", "hq", "active", acme, "Building 1", "Head office"),
        ("Branch North", "north", "planned", globex, "", "North branch"),
        ("Branch South", "south", "retired", None, "", ""),
        ("Data Center", "dc", "active", acme, "DC-01", "Core datacenter"),
    ]:
        tenant_id = tenant["id"] if tenant else None
        fake.add(
            Site,
            name=name,
            slug=slug,
            status=status,
            tenant_id=tenant_id,
            facility=facility,
            description=description,
        )
    maker = fake.add(Manufacturer, name="Juniper", slug="juniper")
    kind = fake.add(DeviceType, manufacturer_id=maker["id"], model="MX204", slug="mx204")
    role = fake.add(DeviceRole, name="Router", slug="router")
    for number, site in [(1, 1), (2, 1), (3, 4), (4, 4), (5, 4), (6, 1), (7, 4)]:
        fake.add(
            Device,
            name=f"rtr{number}",
            device_type_id=kind["id"],
            role_id=role["id"],
            site_id=site,
            tenant_id=acme["id"] if number % 2 else None,
            status="active" if number < 6 else "offline",
            serial=f"SN{number:03}",
        )
    return {"acme": acme["id"], "globex": globex["id"]}


async def slugs(queryset: Any) -> list[str]:
    return sorted([site.slug async for site in queryset])


def last_list_params(fake: FakeService) -> list[tuple[str, str]]:
    """The filter parameters of the last list request (pages and ordering left out)."""
    request = fake.requests[-1]
    return [
        (k, v)
        for k, v in parse_qsl(request.url.query.decode(), keep_blank_values=True)
        if k not in ("limit", "offset", "ordering")
    ]


ALL = ["dc", "hq", "north", "south"]
#: filter(...) of the dialect's table, the parameters it sends, and the sites it finds.
LOOKUPS: list[tuple[dict[str, Any], list[tuple[str, str]], list[str]]] = [
    ({"name": "HQ"}, [("name", "HQ")], ["hq"]),
    (
        {"name__in": ["HQ", "Data Center"]},
        [("name", "HQ"), ("name", "Data Center")],
        ["dc", "hq"],
    ),
    ({"name__iexact": "hq"}, [("name__ie", "hq")], ["hq"]),
    ({"name__icontains": "BRANCH"}, [("name__ic", "BRANCH")], ["north", "south"]),
    ({"name__istartswith": "data"}, [("name__isw", "data")], ["dc"]),
    ({"name__iendswith": "SOUTH"}, [("name__iew", "SOUTH")], ["south"]),
    ({"name__regex": "^Branch N"}, [("name__regex", "^Branch N")], ["north"]),
    ({"id__gt": 2}, [("id__gt", "2")], ["dc", "south"]),
    ({"id__gte": 2}, [("id__gte", "2")], ["dc", "north", "south"]),
    ({"id__lt": 2}, [("id__lt", "2")], ["hq"]),
    ({"id__lte": 2}, [("id__lte", "2")], ["hq", "north"]),
    ({"id__range": (2, 3)}, [("id__gte", "2"), ("id__lte", "3")], ["north", "south"]),
    ({"tenant": 1}, [("tenant_id", "1")], ["dc", "hq"]),
    ({"tenant__in": [1, 2]}, [("tenant_id", "1"), ("tenant_id", "2")], ["dc", "hq", "north"]),
    ({"tenant__slug": "globex"}, [("tenant", "globex")], ["north"]),
    ({"tenant": None}, [("tenant_id", "null")], ["south"]),
    ({"tenant__isnull": True}, [("tenant_id", "null")], ["south"]),
    ({"tenant__isnull": False}, [("tenant_id__n", "null")], ["dc", "hq", "north"]),
    ({"facility": ""}, [("facility__empty", "true")], ["north", "south"]),
    ({"status": "active"}, [("status", "active")], ["dc", "hq"]),
    (
        {"status__in": ["planned", "retired"]},
        [("status", "planned"), ("status", "retired")],
        ["north", "south"],
    ),
]
#: exclude(...): the negations NetBox reads (a null foreign key is kept, as in Django).
EXCLUSIONS: list[tuple[dict[str, Any], list[tuple[str, str]], list[str]]] = [
    ({"name": "HQ"}, [("name__n", "HQ")], ["dc", "north", "south"]),
    (
        {"name__in": ["HQ", "Data Center"]},
        [("name__n", "HQ"), ("name__n", "Data Center")],
        ["north", "south"],
    ),
    ({"name__iexact": "hq"}, [("name__nie", "hq")], ["dc", "north", "south"]),
    ({"name__icontains": "branch"}, [("name__nic", "branch")], ["dc", "hq"]),
    ({"name__istartswith": "DATA"}, [("name__nisw", "DATA")], ["hq", "north", "south"]),
    ({"name__iendswith": "north"}, [("name__niew", "north")], ["dc", "hq", "south"]),
    ({"id__gt": 2}, [("id__lte", "2")], ["hq", "north"]),
    ({"id__lte": 2}, [("id__gt", "2")], ["dc", "south"]),
    ({"tenant": 1}, [("tenant_id__n", "1")], ["north", "south"]),
    ({"tenant__slug": "acme"}, [("tenant__n", "acme")], ["north", "south"]),
    ({"tenant__isnull": True}, [("tenant_id__n", "null")], ["dc", "hq", "north"]),
    ({"facility": ""}, [("facility__empty", "false")], ["dc", "hq"]),
    ({"status": "active"}, [("status__n", "active")], ["north", "south"]),
]


def _ids(case: tuple[dict[str, Any], Any, Any]) -> str:
    return ",".join(f"{k}={v!r}" for k, v in case[0].items())


@pytest.mark.parametrize("case", LOOKUPS, ids=_ids)
async def test_filter_round_trips(fake: FakeService, case: Any) -> None:
    """Each lookup of NetBoxDialect's table is sent as NetBox spells it and finds its rows."""
    seed(fake)
    kwargs, params, expected = case
    assert await slugs(Site.objects.filter(**kwargs)) == expected
    assert last_list_params(fake) == params


@pytest.mark.parametrize("case", EXCLUSIONS, ids=_ids)
async def test_exclude_round_trips(fake: FakeService, case: Any) -> None:
    """Each negation (``__n``, ``__nic``..., the complementary comparison) finds the others."""
    seed(fake)
    kwargs, params, expected = case
    assert await slugs(Site.objects.exclude(**kwargs)) == expected
    assert last_list_params(fake) == params


async def test_both_conditions_on_one_negation_are_anded(fake: FakeService) -> None:
    seed(fake)
    found = Site.objects.exclude(name="HQ").exclude(name="Data Center")
    assert await slugs(found) == ["north", "south"]
    assert last_list_params(fake) == [("name__n", "HQ"), ("name__n", "Data Center")]


async def test_filter_and_exclude_combine(fake: FakeService) -> None:
    seed(fake)
    found = Site.objects.filter(name__icontains="a").exclude(tenant__isnull=True)
    assert await slugs(found) == ["dc", "north"]


async def test_reverse_relation_by_site_id(fake: FakeService) -> None:
    seed(fake)
    site = await Site.objects.aget(slug="dc")
    assert sorted([d.name async for d in site.devices.all()]) == ["rtr3", "rtr4", "rtr5", "rtr7"]
    assert ("site_id", "4") in last_list_params(fake)
    assert await Device.objects.filter(site__slug="hq").acount() == 3


async def test_choices_and_foreign_keys_are_answered_as_netbox_does(fake: FakeService) -> None:
    """A choice is ``{"value", "label"}``, a foreign key a short nested object."""
    seed(fake)
    row = fake.records(Site)[0]
    assert row["status"] == {"value": "active", "label": "Active"}
    assert row["tenant"] == {
        "id": 1,
        "url": f"{BASE_URL}tenancy/tenants/1/",
        "display": "Acme",
        "name": "Acme",
        "slug": "acme",
        "description": "",
    }
    assert (row["id"], row["url"], row["display"]) == (1, f"{BASE_URL}dcim/sites/1/", "HQ")
    assert fake.records(Site)[2]["tenant"] is None


async def test_choices_and_partial_instances_read_back(fake: FakeService) -> None:
    seed(fake)
    site = await Site.objects.aget(slug="north")
    assert site.status == "planned"
    assert site.get_status_display() == "Planned"
    assert site.tenant_id == 2
    tenant = site.tenant  # the short nested object: no request
    assert (tenant.pk, tenant.name, tenant.slug, tenant.description) == (
        2,
        "Globex",
        "globex",
        "Rival",
    )
    device = await Device.objects.aget(name="rtr3")
    assert (device.site.pk, device.site.name, device.site.slug) == (4, "Data Center", "dc")
    assert {"facility", "status", "tenant_id"} <= device.site.get_deferred_fields()
    assert device.device_type.model == "MX204"
    assert device.status == "active"
    assert device.tenant_id == 1


async def test_select_related_replaces_the_nested_objects(fake: FakeService) -> None:
    seed(fake)
    devices = [d async for d in Device.objects.select_related("site").order_by("id")]
    assert [d.site.facility for d in devices] == [
        "Building 1",
        "Building 1",
        "DC-01",
        "DC-01",
        "DC-01",
        "Building 1",
        "DC-01",
    ]


async def test_create_update_delete(fake: FakeService) -> None:
    """Writes send bare values and ids; answers come back wrapped and are read back."""
    ids = seed(fake)
    acme = await Tenant.objects.aget(pk=ids["acme"])
    site = await Site.objects.acreate(
        name="Edge", slug="edge", status="staging", tenant=acme, facility="E1"
    )
    sent = json.loads(fake.requests[-1].content)
    assert (sent["status"], sent["tenant"]) == ("staging", ids["acme"])
    assert (site.pk, site.status, site.tenant_id) == (5, "staging", ids["acme"])
    assert site.created is not None
    assert fake.records(Site)[4]["status"] == {"value": "staging", "label": "Staging"}

    site.status = "active"
    site.tenant_id = ids["globex"]
    await site.asave()
    assert fake.requests[-1].method == "PUT"
    assert json.loads(fake.requests[-1].content)["tenant"] == ids["globex"]
    again = await Site.objects.aget(pk=5)
    assert (again.status, again.tenant_id, again.tenant.name) == ("active", 2, "Globex")

    again.description = "Edge POP"
    await again.asave(update_fields=["description"])
    assert fake.requests[-1].method == "PATCH"
    assert fake.records(Site)[4]["description"] == "Edge POP"
    assert await Site.objects.filter(description__icontains="pop").acount() == 1

    await again.adelete()
    assert fake.requests[-1].method == "DELETE"
    assert await Site.objects.filter(slug="edge").acount() == 0
    assert len(fake.records(Site)) == 4


async def test_writes_are_checked_as_netbox_checks_them(fake: FakeService) -> None:
    seed(fake)
    with pytest.raises(BadRequestError) as caught:
        await Site.objects.acreate(name="X", slug="x", status="bogus")
    assert caught.value.message_dict == {"status": ['"bogus" is not a valid choice.']}
    with pytest.raises(BadRequestError) as caught:
        await Site.objects.acreate(name="X", slug="x", tenant_id=99)
    assert "tenant" in caught.value.message_dict
    assert len(fake.records(Site)) == 4


async def test_pages_are_read_with_limit_and_offset(fake: FakeService) -> None:
    """Seven devices in pages of 3: three requests, NetBox's envelope each time."""
    seed(fake)
    start = len(fake.requests)
    names = [d.name async for d in Device.objects.order_by("id")]
    assert names == [f"rtr{n}" for n in range(1, 8)]
    pages = [dict(parse_qsl(r.url.query.decode())) for r in fake.requests[start:]]
    assert [(p.get("limit"), p.get("offset")) for p in pages] == [
        ("3", None),
        ("3", "3"),
        ("3", "6"),
    ]
    assert await Device.objects.acount() == 7
    assert [d.name async for d in Device.objects.order_by("-name")[2:5]] == [
        "rtr5",
        "rtr4",
        "rtr3",
    ]


async def test_search_is_q_over_the_text_fields(fake: FakeService) -> None:
    """``search()`` sends ``q=``: case-insensitive, over name, slug, facility, description..."""
    seed(fake)
    assert await slugs(Site.objects.search("core")) == ["dc"]  # its description
    assert last_list_params(fake) == [("q", "core")]
    assert await slugs(Site.objects.search("BRANCH")) == ["north", "south"]
    assert await slugs(Site.objects.search("dc-01")) == ["dc"]  # its facility
    assert await slugs(Site.objects.search("active")) == []  # choices are not searched
    assert await slugs(Site.objects.search("branch").filter(tenant__isnull=True)) == ["south"]
    assert [d.name async for d in Device.objects.search("sn007")] == ["rtr7"]


async def test_an_unknown_filter_answers_400(fake: FakeService) -> None:
    """A parameter no served model declares is refused, naming it (never ignored)."""
    seed(fake)
    with pytest.raises(BadRequestError) as caught:
        await LooseSite.objects.filter(asset_tag="A1").acount()
    assert caught.value.status_code == 400
    assert list(caught.value.message_dict) == ["asset_tag"]
    assert "Unknown filter" in caught.value.message_dict["asset_tag"][0]
    assert "name__ic" in caught.value.message_dict["asset_tag"][0]
    # A declared one is read: the same model, a filter NetBox's sites have.
    assert await LooseSite.objects.filter(name="HQ").acount() == 1


async def test_an_unknown_ordering_answers_400(fake: FakeService) -> None:
    seed(fake)
    with pytest.raises(BadRequestError) as caught:
        [s async for s in LooseSite.objects.order_by("description")]
    assert "ordering" in caught.value.message_dict


async def test_a_related_row_that_does_not_exist_answers_400(fake: FakeService) -> None:
    seed(fake)
    with pytest.raises(BadRequestError) as caught:
        await Site.objects.filter(tenant=99).acount()
    assert list(caught.value.message_dict) == ["tenant_id"]
    with pytest.raises(BadRequestError) as caught:
        await Site.objects.filter(tenant__slug="nobody").acount()
    assert list(caught.value.message_dict) == ["tenant"]


async def test_a_lookup_netbox_lacks_is_refused_before_any_request(fake: FakeService) -> None:
    seed(fake)
    before = len(fake.requests)
    with pytest.raises(NotSupportedError):
        await Site.objects.filter(name__contains="HQ").acount()
    assert len(fake.requests) == before


async def test_decimal_comparisons(fake: FakeService) -> None:
    seed(fake)
    await DeviceType.objects.acreate(
        manufacturer_id=1, model="QFX5120", slug="qfx5120", u_height=D("2")
    )
    assert [t.model async for t in DeviceType.objects.filter(u_height__gt=1)] == ["QFX5120"]
    assert [t.model async for t in DeviceType.objects.exclude(u_height__gt=1)] == ["MX204"]


def test_a_subclass_that_changes_the_wire_is_refused() -> None:
    entries = {
        **settings.API_ORM_SERVICES,
        "netbox": {**NETBOX, "DIALECT": "tests.testing.test_fake_netbox.OtherNetBox"},
    }
    with (
        override_settings(API_ORM_SERVICES=entries),
        pytest.raises(NotSupportedError, match=r"OtherNetBox.*lookup_param"),
    ):
        FakeService("netbox", models=MODELS).start()


class OtherNetBox(NetBoxDialect):
    def lookup_param(self, lookup: Any) -> str:
        return super().lookup_param(lookup)


@pytest.fixture
async def raw(fake: FakeService) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client on the fake's transport (the alias's TRANSPORT): NetBox's raw wire."""
    transport = settings.API_ORM_SERVICES["netbox"]["TRANSPORT"]
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        yield client


async def test_the_raw_envelope_and_brief(fake: FakeService, raw: httpx.AsyncClient) -> None:
    """NetBox's limit/offset envelope; ``brief=true`` answers the short nested form."""
    seed(fake)
    page = (await raw.get("dcim/sites/", params={"limit": 2, "offset": 2})).json()
    assert page["count"] == 4
    assert page["next"] is None
    assert page["previous"] == f"{BASE_URL}dcim/sites/?limit=2"
    assert [r["slug"] for r in page["results"]] == ["south", "dc"]
    first = (await raw.get("dcim/sites/", params={"limit": 2})).json()
    assert first["next"] == f"{BASE_URL}dcim/sites/?limit=2&offset=2"
    brief = (await raw.get("dcim/sites/", params={"brief": "true", "limit": 1})).json()
    assert brief["results"] == [
        {
            "id": 1,
            "url": f"{BASE_URL}dcim/sites/1/",
            "display": "HQ",
            "name": "HQ",
            "slug": "hq",
            "description": "Head office",
        }
    ]
    bad = await raw.get("dcim/sites/", params={"name__regex": "("})
    assert bad.status_code == 400
    assert list(bad.json()) == ["name__regex"]


async def test_raw_writes_take_attributes_but_no_wrapped_choice(
    fake: FakeService, raw: httpx.AsyncClient
) -> None:
    """A foreign key may name its row by attributes; a choice must be sent bare."""
    seed(fake)
    made = await raw.post(
        "dcim/sites/", json={"name": "Lab", "slug": "lab", "tenant": {"slug": "globex"}}
    )
    assert made.status_code == 201
    assert made.json()["tenant"]["id"] == 2
    assert made.json()["status"] == {"value": "active", "label": "Active"}  # the default
    wrapped = await raw.patch("dcim/sites/5/", json={"status": {"value": "planned"}})
    assert wrapped.status_code == 400
    assert "do not use a dictionary" in wrapped.json()["status"][0]
    missing = await raw.post(
        "dcim/sites/", json={"name": "X", "slug": "x", "tenant": {"slug": "nobody"}}
    )
    assert missing.status_code == 400
    assert list(missing.json()) == ["tenant"]
