"""The NetBox dialect beyond the shared contract: every lookup it translates or refuses.

NetBox ignores a parameter it does not know and answers every row, so each
translation here is pinned byte for byte, and each lookup it cannot express
raises ``NotSupportedError`` naming what to send instead.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
import respx
from django.conf import settings
from django.test import override_settings

from django_api_orm import NotSupportedError, Q, QuerySet, RemoteModel, fields
from django_api_orm.dialects.netbox import NetBoxDialect
from tests.models.conftest import API

NETBOX = "django_api_orm.dialects.netbox.NetBoxDialect"


class NbTenant(RemoteModel):
    name = fields.CharField()
    slug = fields.CharField()

    class Meta:
        endpoint = "tenancy/tenants/"


class NbSite(RemoteModel):
    name = fields.CharField()
    slug = fields.CharField()
    facility = fields.CharField(blank=True, default="")
    description = fields.CharField(blank=True, null=True)
    latitude = fields.DecimalField(max_digits=8, decimal_places=6, null=True)
    tenant = fields.ForeignKey(NbTenant, null=True, related_name="sites")
    created = fields.DateTimeField(read_only=True, null=True)

    class Meta:
        endpoint = "dcim/sites/"


class NbDevice(RemoteModel):
    name = fields.CharField()
    site = fields.ForeignKey(NbSite, related_name="devices")
    position = fields.DecimalField(max_digits=4, decimal_places=1)

    class Meta:
        endpoint = "dcim/devices/"
        filter_fields = {"site": ["exact", "in"], "name": ["exact", "icontains"]}


@pytest.fixture(autouse=True)
def netbox_service() -> Iterator[None]:
    """Point the default service at the NetBox dialect."""
    entry = {**settings.API_ORM_SERVICES["default"], "DIALECT": NETBOX}
    with override_settings(API_ORM_SERVICES={**settings.API_ORM_SERVICES, "default": entry}):
        yield


def query_string(queryset: QuerySet[Any]) -> str:
    dialect = NetBoxDialect()
    return dialect.encode_query(dialect.filter_params(queryset.query))


SITES = NbSite.objects
TRANSLATED = [
    (lambda: SITES.filter(name="HQ"), "name=HQ"),
    (lambda: SITES.filter(name__in=["a", "b"]), "name=a&name=b"),
    (lambda: SITES.filter(Q(name="a") | Q(name="b")), "name=a&name=b"),
    (lambda: SITES.filter(name__iexact="hq"), "name__ie=hq"),
    (lambda: SITES.filter(name__icontains="1"), "name__ic=1"),
    (lambda: SITES.filter(name__istartswith="s"), "name__isw=s"),
    (lambda: SITES.filter(name__iendswith="1"), "name__iew=1"),
    (lambda: SITES.filter(name__regex="^S"), "name__regex=%5ES"),
    (lambda: SITES.filter(id__gt=5, id__lte=9), "id__gt=5&id__lte=9"),
    (lambda: SITES.filter(pk__in=[1, 3]), "id=1&id=3"),
    (lambda: SITES.filter(id__range=(2, 9)), "id__gte=2&id__lte=9"),
    (lambda: SITES.filter(tenant=3), "tenant_id=3"),
    (lambda: SITES.filter(tenant__id=3), "tenant_id=3"),
    (lambda: SITES.filter(tenant__in=[1, 3]), "tenant_id=1&tenant_id=3"),
    (lambda: SITES.filter(tenant__slug="acme"), "tenant=acme"),
    (lambda: SITES.filter(tenant=None), "tenant_id=null"),
    (lambda: SITES.filter(tenant__isnull=False), "tenant_id__n=null"),
    (lambda: SITES.exclude(tenant=None), "tenant_id__n=null"),
    (lambda: SITES.filter(facility=""), "facility__empty=true"),
    (lambda: SITES.exclude(facility=""), "facility__empty=false"),
    (lambda: SITES.exclude(name="HQ"), "name__n=HQ"),
    (lambda: SITES.exclude(name__in=["a", "b"]), "name__n=a&name__n=b"),
    (lambda: SITES.exclude(name__icontains="x"), "name__nic=x"),
    (lambda: SITES.exclude(name__iexact="x"), "name__nie=x"),
    (lambda: SITES.exclude(name__istartswith="x"), "name__nisw=x"),
    (lambda: SITES.exclude(name__iendswith="x"), "name__niew=x"),
    (lambda: SITES.exclude(tenant=2), "tenant_id__n=2"),
    (lambda: SITES.exclude(id__gt=5), "id__lte=5"),
    (lambda: SITES.exclude(id__lte=5), "id__gt=5"),
    # Repeated negations are ANDed by NetBox: both exclusions hold.
    (lambda: SITES.exclude(name="a").exclude(name="b"), "name__n=a&name__n=b"),
    (
        lambda: SITES.filter(tenant__isnull=False).exclude(tenant=2),
        "tenant_id__n=null&tenant_id__n=2",
    ),
    (
        lambda: SITES.filter(created__gte=datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)),
        "created__gte=2024-01-01T00:00:00%2B00:00",
    ),
    (lambda: SITES.search("core 1"), "q=core%201"),
    (lambda: SITES.filter(tenant=1).search("x"), "tenant_id=1&q=x"),
]


@pytest.mark.parametrize(("build", "expected"), TRANSLATED, ids=[t[1] for t in TRANSLATED])
def test_lookup_is_sent_as_netbox_spells_it(build: Any, expected: str) -> None:
    """Sends each Django lookup as NetBox's parameter: repeated keys, suffixes, <fk>_id."""
    assert query_string(build()) == expected


REFUSED = [
    (lambda: SITES.filter(name__contains="1"), "Use icontains"),
    (lambda: SITES.filter(name__startswith="S"), "Use istartswith"),
    (lambda: SITES.filter(name__endswith="1"), "Use iendswith"),
    (lambda: SITES.filter(created__year=2024), "no filter for Django's __year"),
    (lambda: SITES.filter(latitude__isnull=True), "no isnull filter on a plain field"),
    (lambda: SITES.filter(description=""), "matches both '' and null"),
    (lambda: SITES.exclude(name__regex="x"), "no negation of __regex"),
    (lambda: SITES.exclude(id__range=(1, 2)), "is an OR"),
    (lambda: SITES.exclude(latitude__gt=1), "field is null"),
    (lambda: SITES.filter(tenant__name="Acme"), "by its primary key"),
    (lambda: SITES.filter(tenant__gt=1), "by its primary key"),
    (lambda: SITES.filter(name="a").filter(name="b"), "same parameter 'name'"),
]


@pytest.mark.parametrize(("build", "message"), REFUSED, ids=[r[1] for r in REFUSED])
def test_lookup_netbox_cannot_express_is_refused(build: Any, message: str) -> None:
    """Raises NotSupportedError naming what to send instead, before any request."""
    with pytest.raises(NotSupportedError, match=message):
        query_string(build())


def test_exclude_needs_no_exclusion_filter_but_a_filter() -> None:
    """Negates with __n, without Meta.exclude_filters, yet only filters the model declares."""
    assert query_string(NbDevice.objects.exclude(name="x")) == "name__n=x"
    with pytest.raises(NotSupportedError, match=r"Meta\.filter_fields"):
        NbDevice.objects.exclude(position__gt=1)


async def test_lists_with_limit_offset_pages_by_default() -> None:
    """Reads NetBox's limit/offset pages without any PAGINATION setting."""
    with respx.mock(base_url=API, assert_all_mocked=True) as router:
        router.get("dcim/sites/").respond(
            json={"count": 1, "next": None, "previous": None, "results": [{"id": 1}]}
        )
        await NbSite.objects.filter(tenant=2).afirst()
        await NbSite.objects.filter(tenant=2).acount()
        assert [c.request.url.raw_path.decode() for c in router.calls] == [
            "/api/dcim/sites/?tenant_id=2&ordering=id&limit=1",
            "/api/dcim/sites/?tenant_id=2&limit=1",
        ]


async def test_pagination_setting_wins_over_the_dialect() -> None:
    """Takes the service's own PAGINATION keys over the dialect's defaults."""
    entry = {
        **settings.API_ORM_SERVICES["default"],
        "DIALECT": NETBOX,
        "PAGINATION": {"PAGE_SIZE": 250},
    }
    with (
        override_settings(API_ORM_SERVICES={**settings.API_ORM_SERVICES, "default": entry}),
        respx.mock(base_url=API, assert_all_mocked=True) as router,
    ):
        router.get("dcim/sites/").respond(
            json={"count": 0, "next": None, "previous": None, "results": []}
        )
        assert [s async for s in NbSite.objects.all()] == []
        assert router.calls[0].request.url.raw_path.decode() == "/api/dcim/sites/?limit=250"


def test_drf_dialect_has_no_search_unless_told() -> None:
    """Refuses search() on the DRF dialect: a provider without SearchFilter ignores it."""
    from django_api_orm.dialects import DRFDialect

    with pytest.raises(NotSupportedError, match="no search parameter"):
        DRFDialect().filter_params(NbSite.objects.search("x").query)


def test_search_takes_a_non_empty_string() -> None:
    """Raises ValueError for an empty search, which a provider reads as no search at all."""
    with pytest.raises(ValueError, match="non-empty string"):
        NbSite.objects.search("")


def test_search_twice_is_refused() -> None:
    """Raises for a second, different search term: the provider would read only one."""
    with pytest.raises(NotSupportedError, match="call search"):
        NbSite.objects.search("a").search("b")
    assert query_string(NbSite.objects.search("a").search("a")) == "q=a"
