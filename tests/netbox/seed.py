"""Seed a fresh NetBox through its own REST API, with deterministic data tests can count.

``seed(server)`` runs in the test process (httpx) against the instance ``server.start()``
returns. ``start()`` clones the database from an empty migrated template each time, so
primary keys start at 1 and the ids below are exact: the object created n-th of its kind has
id n (``seed()`` checks this and fails otherwise). Re-running ``seed()`` on an instance it
already seeded does nothing; on any other non-empty instance it fails.

The data (``i`` is a site's number 1..25, ``n`` a device's number 1..40):

* Tenants (3): "Tenant A" (id 1, slug tenant-a), "Tenant B" (2), "Tenant C" (3).
* Sites (25): name "Site i", slug "site-i", id i.

  - status: active if i % 3 == 1, planned if i % 3 == 2, retired if i % 3 == 0
    (9 active, 8 planned, 8 retired);
  - facility: "Facility i" for even i, "" for odd i (12 with, 13 without);
  - tenant: i % 5 == 1 -> Tenant A, 2 -> Tenant B, 3 -> Tenant C, otherwise none
    (5 each, 10 without);
  - description: "" when i % 4 == 0 (6 sites), else "Description of site i".

* Manufacturers (2): "Acme" (id 1, slug acme), "Globex" (2, globex).
* Device types (3): "Router X1" (id 1, Acme), "Switch S2" (2, Acme), "Firewall F3" (3, Globex);
  slugs router-x1, switch-s2, firewall-f3.
* Device roles (2): "Core" (id 1, slug core), "Access" (2, access).
* Devices (40): name "device-nn" (zero-padded, "device-01".."device-40"), id n, created in
  site order: Site 1 gets 10, Site 2 8, Site 3 6, Site 4 4, Site 5 2, Sites 6..15 one each,
  Sites 16..25 none (``DEVICES_PER_SITE``; ``site_id=1&site_id=3`` -> 16).

  - status: active if n % 4 == 1, offline if 2, planned if 3, staged if 0 (10 each);
  - serial: "SN000n" style ("SN%04d") for odd n, "" for even n (20 each);
  - tenant: Tenant B if n % 3 == 0 (13 devices), else none (27);
  - device type: id 1 + n % 3; role: Core for odd n, Access for even n.

Every truth a test needs is exported below (``SITES``, ``DEVICES_PER_SITE``, ...) or derivable
from ``SITE_SPECS`` / ``DEVICE_SPECS``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

__all__ = [
    "DEVICES",
    "DEVICES_PER_SITE",
    "DEVICE_ROLES",
    "DEVICE_SPECS",
    "DEVICE_TYPES",
    "MANUFACTURERS",
    "SITES",
    "SITE_SPECS",
    "TENANTS",
    "DeviceSpec",
    "SiteSpec",
    "seed",
]

TENANTS: list[dict[str, str]] = [
    {"name": "Tenant A", "slug": "tenant-a"},
    {"name": "Tenant B", "slug": "tenant-b"},
    {"name": "Tenant C", "slug": "tenant-c"},
]
MANUFACTURERS: list[dict[str, str]] = [
    {"name": "Acme", "slug": "acme"},
    {"name": "Globex", "slug": "globex"},
]
#: (model, slug, manufacturer id)
DEVICE_TYPES: list[tuple[str, str, int]] = [
    ("Router X1", "router-x1", 1),
    ("Switch S2", "switch-s2", 1),
    ("Firewall F3", "firewall-f3", 2),
]
DEVICE_ROLES: list[dict[str, str]] = [
    {"name": "Core", "slug": "core", "color": "0000ff"},
    {"name": "Access", "slug": "access", "color": "00ff00"},
]


@dataclass(frozen=True)
class SiteSpec:
    id: int
    name: str
    slug: str
    status: str
    facility: str
    tenant_id: int | None
    description: str


@dataclass(frozen=True)
class DeviceSpec:
    id: int
    name: str
    site_id: int
    status: str
    serial: str
    tenant_id: int | None
    device_type_id: int
    role_id: int


SITES = 25
DEVICES = 40
#: site id -> number of devices there (sites absent here have none)
DEVICES_PER_SITE: dict[int, int] = {1: 10, 2: 8, 3: 6, 4: 4, 5: 2, **dict.fromkeys(range(6, 16), 1)}
assert sum(DEVICES_PER_SITE.values()) == DEVICES

_SITE_STATUS = {1: "active", 2: "planned", 0: "retired"}
_DEVICE_STATUS = {1: "active", 2: "offline", 3: "planned", 0: "staged"}

SITE_SPECS: list[SiteSpec] = [
    SiteSpec(
        id=i,
        name=f"Site {i}",
        slug=f"site-{i}",
        status=_SITE_STATUS[i % 3],
        facility=f"Facility {i}" if i % 2 == 0 else "",
        tenant_id=i % 5 if i % 5 in (1, 2, 3) else None,
        description="" if i % 4 == 0 else f"Description of site {i}",
    )
    for i in range(1, SITES + 1)
]

_device_sites = [site for site, count in DEVICES_PER_SITE.items() for _ in range(count)]
DEVICE_SPECS: list[DeviceSpec] = [
    DeviceSpec(
        id=n,
        name=f"device-{n:02d}",
        site_id=site,
        status=_DEVICE_STATUS[n % 4],
        serial=f"SN{n:04d}" if n % 2 == 1 else "",
        tenant_id=2 if n % 3 == 0 else None,
        device_type_id=1 + n % 3,
        role_id=1 if n % 2 == 1 else 2,
    )
    for n, site in enumerate(_device_sites, start=1)
]

#: Handy counts derived from the specs.
SITES_BY_STATUS: dict[str, int] = dict(Counter(s.status for s in SITE_SPECS))
SITES_BY_TENANT: dict[int | None, int] = dict(Counter(s.tenant_id for s in SITE_SPECS))
SITES_WITH_FACILITY = sum(1 for s in SITE_SPECS if s.facility)
SITES_WITHOUT_DESCRIPTION = sum(1 for s in SITE_SPECS if not s.description)
DEVICES_BY_STATUS: dict[str, int] = dict(Counter(d.status for d in DEVICE_SPECS))
DEVICES_WITH_SERIAL = sum(1 for d in DEVICE_SPECS if d.serial)
DEVICES_WITH_TENANT = sum(1 for d in DEVICE_SPECS if d.tenant_id is not None)


class _Server(Protocol):
    url: str
    auth_header: str


def _post(client: httpx.Client, path: str, rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """Bulk-create ``rows`` (NetBox accepts a JSON list); return the new ids in order."""
    response = client.post(path, json=list(rows))
    if response.status_code != 201:
        raise RuntimeError(f"POST {path} -> {response.status_code}: {response.text[:2000]}")
    return [row["id"] for row in response.json()]


def _check_ids(path: str, ids: list[int], expected: Sequence[int]) -> None:
    if ids != list(expected):
        raise RuntimeError(
            f"{path}: NetBox gave ids {ids}, the seed expects {list(expected)}; "
            "seed only a fresh database (server.start() clones one)"
        )


def _count(client: httpx.Client, path: str) -> int:
    response = client.get(path, params={"limit": 1, "brief": "true"})
    response.raise_for_status()
    count: int = response.json()["count"]
    return count


def seed(server: _Server, *, timeout: float = 60.0) -> None:
    """Create the data described in this module's docstring (no-op if already there)."""
    headers = {"Authorization": server.auth_header, "Accept": "application/json"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=timeout) as client:
        sites, devices = _count(client, "dcim/sites/"), _count(client, "dcim/devices/")
        if (sites, devices) == (SITES, DEVICES):
            return
        if sites or devices or _count(client, "tenancy/tenants/"):
            raise RuntimeError(
                f"NetBox holds {sites} sites and {devices} devices: seed needs an empty one"
            )
        path = "tenancy/tenants/"
        _check_ids(path, _post(client, path, TENANTS), range(1, len(TENANTS) + 1))
        path = "dcim/sites/"
        site_rows = [
            {
                "name": s.name,
                "slug": s.slug,
                "status": s.status,
                "facility": s.facility,
                "tenant": s.tenant_id,
                "description": s.description,
            }
            for s in SITE_SPECS
        ]
        _check_ids(path, _post(client, path, site_rows), [s.id for s in SITE_SPECS])
        path = "dcim/manufacturers/"
        _check_ids(path, _post(client, path, MANUFACTURERS), range(1, len(MANUFACTURERS) + 1))
        path = "dcim/device-types/"
        type_rows = [
            {"model": model, "slug": slug, "manufacturer": manufacturer}
            for model, slug, manufacturer in DEVICE_TYPES
        ]
        _check_ids(path, _post(client, path, type_rows), range(1, len(DEVICE_TYPES) + 1))
        path = "dcim/device-roles/"
        _check_ids(path, _post(client, path, DEVICE_ROLES), range(1, len(DEVICE_ROLES) + 1))
        path = "dcim/devices/"
        device_rows = [
            {
                "name": d.name,
                "site": d.site_id,
                "status": d.status,
                "serial": d.serial,
                "tenant": d.tenant_id,
                "device_type": d.device_type_id,
                "role": d.role_id,
            }
            for d in DEVICE_SPECS
        ]
        _check_ids(path, _post(client, path, device_rows), [d.id for d in DEVICE_SPECS])
