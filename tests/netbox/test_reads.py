"""Reads against a real NetBox, each compared with the truth computed here from every row.

Every check is one ORM call a NetBox user would write. Its truth is computed in
Python from all rows fetched raw (no filter sent), so it does not depend on
NetBox's filters. Each check runs twice: on the ``netbox`` alias (NetBoxDialect),
where it must return exactly the truth, and on ``netbox_drf`` (the plain DRF
dialect against the same NetBox), where it must return the truth or fail loudly,
never return anything else. ``outcomes.py`` counts works / loud / silent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from django_api_orm import APIError, Q, QuerySet
from tests.netbox.data import NetBoxData, fk, value
from tests.netbox.models import Device, Site, Tenant
from tests.netbox.outcomes import OUTCOMES

Row = dict[str, Any]


@dataclass(frozen=True)
class Check:
    """One call: ``build`` makes the queryset; ``truth`` picks the rows it must return."""

    name: str
    rows: str  # "sites", "devices" or "tenants": which rows ``truth`` looks at
    build: Callable[[NetBoxData], QuerySet[Any]]
    truth: Callable[[NetBoxData, Row], bool]
    #: "ids" (the set of pks), "count" (acount()), "ordered" (pks in order), "first".
    kind: str = "ids"
    #: For "ordered"/"first": the key sorting the truth's rows.
    order: Callable[[Row], Any] | None = None
    #: Set for the few calls NetBox has no filter for: they must raise, on both dialects.
    refused: bool = False
    #: For a sliced queryset ("ordered"): the same slice of the ordered truth.
    window: slice | None = None


def _s(r: Row) -> str:
    return str(r["name"]).lower()


CHECKS = [
    # --- sites: text lookups ---------------------------------------------------------
    Check(
        "site name exact",
        "sites",
        lambda d: Site.objects.filter(name="Site 7"),
        lambda d, r: r["name"] == "Site 7",
    ),
    Check(
        "site name iexact",
        "sites",
        lambda d: Site.objects.filter(name__iexact="site 7"),
        lambda d, r: _s(r) == "site 7",
    ),
    Check(
        "site name icontains",
        "sites",
        lambda d: Site.objects.filter(name__icontains="1"),
        lambda d, r: "1" in _s(r),
    ),
    Check(
        "site name istartswith",
        "sites",
        lambda d: Site.objects.filter(name__istartswith="site 2"),
        lambda d, r: _s(r).startswith("site 2"),
    ),
    Check(
        "site name iendswith",
        "sites",
        lambda d: Site.objects.filter(name__iendswith="5"),
        lambda d, r: _s(r).endswith("5"),
    ),
    Check(
        "site name in",
        "sites",
        lambda d: Site.objects.filter(name__in=["Site 1", "Site 3"]),
        lambda d, r: r["name"] in ("Site 1", "Site 3"),
    ),
    Check(
        "site name regex",
        "sites",
        lambda d: Site.objects.filter(name__regex=r"^Site 1\d$"),
        lambda d, r: r["name"] in {f"Site 1{i}" for i in range(10)},
    ),
    Check(
        "site name Q OR",
        "sites",
        lambda d: Site.objects.filter(Q(name="Site 2") | Q(name="Site 4")),
        lambda d, r: r["name"] in ("Site 2", "Site 4"),
    ),
    Check(
        "site facility empty",
        "sites",
        lambda d: Site.objects.filter(facility=""),
        lambda d, r: r["facility"] == "",
    ),
    Check(
        "site facility icontains",
        "sites",
        lambda d: Site.objects.filter(facility__icontains=d.facility_part),
        lambda d, r: d.facility_part.lower() in r["facility"].lower(),
    ),
    Check(
        "site name contains (case-sensitive)",
        "sites",
        lambda d: Site.objects.filter(name__contains="Site 1"),
        lambda d, r: "Site 1" in r["name"],
        refused=True,
    ),
    # --- numbers, dates ----------------------------------------------------------------
    Check(
        "site id gt",
        "sites",
        lambda d: Site.objects.filter(id__gt=d.site_ids[19]),
        lambda d, r: r["id"] > d.site_ids[19],
    ),
    Check(
        "site id gte",
        "sites",
        lambda d: Site.objects.filter(id__gte=d.site_ids[19]),
        lambda d, r: r["id"] >= d.site_ids[19],
    ),
    Check(
        "site id lt",
        "sites",
        lambda d: Site.objects.filter(id__lt=d.site_ids[4]),
        lambda d, r: r["id"] < d.site_ids[4],
    ),
    Check(
        "site id lte",
        "sites",
        lambda d: Site.objects.filter(id__lte=d.site_ids[4]),
        lambda d, r: r["id"] <= d.site_ids[4],
    ),
    Check(
        "site id range",
        "sites",
        lambda d: Site.objects.filter(id__range=(d.site_ids[4], d.site_ids[8])),
        lambda d, r: d.site_ids[4] <= r["id"] <= d.site_ids[8],
    ),
    Check(
        "site pk in",
        "sites",
        lambda d: Site.objects.filter(pk__in=d.site_ids[2:7:2]),
        lambda d, r: r["id"] in d.site_ids[2:7:2],
    ),
    Check(
        "site created gte",
        "sites",
        lambda d: Site.objects.filter(created__gte=d.site_created_median),
        lambda d, r: d.parse_time(r["created"]) >= d.site_created_median,
    ),
    # --- choices ------------------------------------------------------------------------
    Check(
        "site status",
        "sites",
        lambda d: Site.objects.filter(status="planned"),
        lambda d, r: value(r["status"]) == "planned",
    ),
    Check(
        "site status in",
        "sites",
        lambda d: Site.objects.filter(status__in=["planned", "retired"]),
        lambda d, r: value(r["status"]) in ("planned", "retired"),
    ),
    Check(
        "site status Q OR",
        "sites",
        lambda d: Site.objects.filter(Q(status="planned") | Q(status="retired")),
        lambda d, r: value(r["status"]) in ("planned", "retired"),
    ),
    # --- foreign keys ---------------------------------------------------------------------
    Check(
        "site tenant",
        "sites",
        lambda d: Site.objects.filter(tenant=d.tenant_ids[0]),
        lambda d, r: fk(r, "tenant") == d.tenant_ids[0],
    ),
    Check(
        "site tenant in",
        "sites",
        lambda d: Site.objects.filter(tenant__in=d.tenant_ids[:2]),
        lambda d, r: fk(r, "tenant") in d.tenant_ids[:2],
    ),
    Check(
        "site tenant None",
        "sites",
        lambda d: Site.objects.filter(tenant=None),
        lambda d, r: fk(r, "tenant") is None,
    ),
    Check(
        "site tenant isnull False",
        "sites",
        lambda d: Site.objects.filter(tenant__isnull=False),
        lambda d, r: fk(r, "tenant") is not None,
    ),
    Check(
        "site tenant slug",
        "sites",
        lambda d: Site.objects.filter(tenant__slug=d.tenant_slugs[1]),
        lambda d, r: fk(r, "tenant") == d.tenant_ids[1],
    ),
    # --- exclude ----------------------------------------------------------------------------
    Check(
        "exclude site name",
        "sites",
        lambda d: Site.objects.exclude(name="Site 1"),
        lambda d, r: r["name"] != "Site 1",
    ),
    Check(
        "exclude site name icontains",
        "sites",
        lambda d: Site.objects.exclude(name__icontains="1"),
        lambda d, r: "1" not in _s(r),
    ),
    Check(
        "exclude site status in",
        "sites",
        lambda d: Site.objects.exclude(status__in=["active", "planned"]),
        lambda d, r: value(r["status"]) not in ("active", "planned"),
    ),
    Check(
        "exclude site tenant",
        "sites",
        lambda d: Site.objects.exclude(tenant=d.tenant_ids[0]),
        lambda d, r: fk(r, "tenant") != d.tenant_ids[0],
    ),
    Check(
        "exclude site tenant None",
        "sites",
        lambda d: Site.objects.exclude(tenant=None),
        lambda d, r: fk(r, "tenant") is not None,
    ),
    Check(
        "exclude site id gt",
        "sites",
        lambda d: Site.objects.exclude(id__gt=d.site_ids[9]),
        lambda d, r: r["id"] <= d.site_ids[9],
    ),
    Check(
        "exclude site facility empty",
        "sites",
        lambda d: Site.objects.exclude(facility=""),
        lambda d, r: r["facility"] != "",
    ),
    Check(
        "exclude two site names",
        "sites",
        lambda d: Site.objects.exclude(name="Site 1").exclude(name="Site 2"),
        lambda d, r: r["name"] not in ("Site 1", "Site 2"),
    ),
    Check(
        "site has a tenant, not the first",
        "sites",
        lambda d: Site.objects.filter(tenant__isnull=False).exclude(tenant=d.tenant_ids[0]),
        lambda d, r: fk(r, "tenant") not in (None, d.tenant_ids[0]),
    ),
    # --- counts, order, slices, first -------------------------------------------------------
    Check("count sites", "sites", lambda d: Site.objects.all(), lambda d, r: True, kind="count"),
    Check(
        "count sites icontains",
        "sites",
        lambda d: Site.objects.filter(name__icontains="1"),
        lambda d, r: "1" in _s(r),
        kind="count",
    ),
    Check(
        "count sites tenant in",
        "sites",
        lambda d: Site.objects.filter(tenant__in=d.tenant_ids[1:]),
        lambda d, r: fk(r, "tenant") in d.tenant_ids[1:],
        kind="count",
    ),
    Check(
        "sites order_by -id",
        "sites",
        lambda d: Site.objects.order_by("-id"),
        lambda d, r: True,
        kind="ordered",
        order=lambda r: -r["id"],
    ),
    Check(
        "sites slice",
        "sites",
        lambda d: Site.objects.order_by("id")[5:15],
        lambda d, r: True,
        kind="ordered",
        order=lambda r: r["id"],
        window=slice(5, 15),
    ),
    Check(
        "first site of a tenant",
        "sites",
        lambda d: Site.objects.filter(tenant=d.tenant_ids[1]).order_by("id"),
        lambda d, r: fk(r, "tenant") == d.tenant_ids[1],
        kind="first",
        order=lambda r: r["id"],
    ),
    # --- devices ------------------------------------------------------------------------------
    Check(
        "devices of a site",
        "devices",
        lambda d: Device.objects.filter(site=d.site_ids[0]),
        lambda d, r: fk(r, "site") == d.site_ids[0],
    ),
    Check(
        "devices of two sites",
        "devices",
        lambda d: Device.objects.filter(site__in=[d.site_ids[0], d.site_ids[2]]),
        lambda d, r: fk(r, "site") in (d.site_ids[0], d.site_ids[2]),
    ),
    Check(
        "count devices of two sites",
        "devices",
        lambda d: Device.objects.filter(site__in=[d.site_ids[0], d.site_ids[2]]),
        lambda d, r: fk(r, "site") in (d.site_ids[0], d.site_ids[2]),
        kind="count",
    ),
    Check(
        "devices of two sites, Q OR",
        "devices",
        lambda d: Device.objects.filter(Q(site=d.site_ids[0]) | Q(site=d.site_ids[2])),
        lambda d, r: fk(r, "site") in (d.site_ids[0], d.site_ids[2]),
    ),
    Check(
        "devices by site slug",
        "devices",
        lambda d: Device.objects.filter(site__slug="site-2"),
        lambda d, r: fk(r, "site") == d.site_by_slug["site-2"],
    ),
    Check(
        "devices without tenant",
        "devices",
        lambda d: Device.objects.filter(tenant=None),
        lambda d, r: fk(r, "tenant") is None,
    ),
    Check(
        "devices of a role",
        "devices",
        lambda d: Device.objects.filter(role=d.role_ids[0]),
        lambda d, r: fk(r, "role") == d.role_ids[0],
    ),
    Check(
        "devices with a serial",
        "devices",
        lambda d: Device.objects.exclude(serial=""),
        lambda d, r: r["serial"] != "",
    ),
    Check(
        "devices status",
        "devices",
        lambda d: Device.objects.filter(status="active"),
        lambda d, r: value(r["status"]) == "active",
    ),
    Check(
        "exclude devices of a site",
        "devices",
        lambda d: Device.objects.exclude(site=d.site_ids[0]),
        lambda d, r: fk(r, "site") != d.site_ids[0],
    ),
    Check(
        "devices of a site, name istartswith",
        "devices",
        lambda d: Device.objects.filter(site=d.site_ids[1], name__istartswith="dev"),
        lambda d, r: (
            fk(r, "site") == d.site_ids[1] and str(r["name"] or "").lower().startswith("dev")
        ),
    ),
    # --- tenants --------------------------------------------------------------------------
    Check(
        "tenants slug in",
        "tenants",
        lambda d: Tenant.objects.filter(slug__in=d.tenant_slugs[:2]),
        lambda d, r: r["slug"] in d.tenant_slugs[:2],
    ),
]

ALIASES = {"netbox": "NetBoxDialect", "netbox_drf": "DRFDialect"}


async def run_check(check: Check, data: NetBoxData, alias: str) -> tuple[str, str]:
    """Return ``("works" | "loud" | "silent", detail)`` of ``check`` on ``alias``."""
    rows = [r for r in getattr(data, check.rows) if check.truth(data, r)]
    if check.order is not None:
        rows.sort(key=check.order)
    try:
        queryset = check.build(data).using(alias)
        if check.kind == "count":
            got: Any = await queryset.acount()
            want: Any = len(rows)
        elif check.kind == "first":
            obj = await queryset.afirst()
            got, want = (None if obj is None else obj.pk), (rows[0]["id"] if rows else None)
        elif check.kind == "ordered":
            got = [obj.pk async for obj in queryset]
            if check.window is not None:
                rows = rows[check.window]
            want = [r["id"] for r in rows]
        else:
            got = sorted([obj.pk async for obj in queryset])
            want = sorted(r["id"] for r in rows)
    except (APIError, ValueError) as exc:
        return "loud", f"{type(exc).__name__}: {exc}"
    if got == want:
        return "works", f"{len(want) if isinstance(want, list) else want!r}"
    return "silent", f"got {got!r}, the truth is {want!r}"


@pytest.mark.parametrize("check", CHECKS, ids=[c.name for c in CHECKS])
async def test_netbox_dialect_returns_the_truth(check: Check, data: NetBoxData) -> None:
    """Returns exactly the truth on the NetBox dialect (or refuses what NetBox cannot send)."""
    result, detail = await run_check(check, data, "netbox")
    OUTCOMES.record("NetBoxDialect", check.name, result, detail)
    assert result == ("loud" if check.refused else "works"), detail


@pytest.mark.parametrize("check", CHECKS, ids=[c.name for c in CHECKS])
async def test_drf_dialect_is_right_or_loud(check: Check, data: NetBoxData) -> None:
    """Returns the truth or raises on the DRF dialect against NetBox; never anything else."""
    result, detail = await run_check(check, data, "netbox_drf")
    OUTCOMES.record("DRFDialect", check.name, result, detail)
    assert result != "silent", detail
