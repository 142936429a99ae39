"""Every row of the seeded NetBox, fetched raw (no filter sent): the truth checks compare with."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

import httpx

Row = dict[str, Any]


def fk(row: Row, name: str) -> Any:
    """Return the pk a row's foreign key names (NetBox nests it), or ``None``."""
    related = row.get(name)
    return related["id"] if isinstance(related, dict) else related


def value(choice: Any) -> Any:
    """Return a choice's value (NetBox sends ``{"value", "label"}``)."""
    return choice["value"] if isinstance(choice, dict) else choice


def fetch_all(client: httpx.Client, endpoint: str) -> list[Row]:
    """Return every row of ``endpoint``, following ``next``, ordered by id."""
    rows: list[Row] = []
    url: str | None = f"{endpoint}?limit=1000"
    while url:
        answer = client.get(url)
        answer.raise_for_status()
        body = answer.json()
        rows.extend(body["results"])
        url = body["next"]
    return sorted(rows, key=lambda r: r["id"])


@dataclass
class NetBoxData:
    """The seeded rows, and values checks pick from them."""

    sites: list[Row]
    devices: list[Row]
    tenants: list[Row]
    roles: list[Row]
    site_ids: list[int] = field(init=False)
    tenant_ids: list[int] = field(init=False)
    tenant_slugs: list[str] = field(init=False)
    role_ids: list[int] = field(init=False)
    site_by_slug: dict[str, int] = field(init=False)
    facility_part: str = field(init=False)
    site_created_median: datetime.datetime = field(init=False)

    def __post_init__(self) -> None:
        self.site_ids = [r["id"] for r in self.sites]
        self.tenant_ids = [r["id"] for r in self.tenants]
        self.tenant_slugs = [r["slug"] for r in self.tenants]
        self.role_ids = [r["id"] for r in self.roles]
        self.site_by_slug = {r["slug"]: r["id"] for r in self.sites}
        facilities = sorted(r["facility"] for r in self.sites if r["facility"])
        self.facility_part = facilities[0][:3].upper()
        created = sorted(self.parse_time(r["created"]) for r in self.sites)
        self.site_created_median = created[len(created) // 2]

    @staticmethod
    def parse_time(text: str) -> datetime.datetime:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))

    @classmethod
    def fetch(cls, client: httpx.Client) -> NetBoxData:
        return cls(
            sites=fetch_all(client, "dcim/sites/"),
            devices=fetch_all(client, "dcim/devices/"),
            tenants=fetch_all(client, "tenancy/tenants/"),
            roles=fetch_all(client, "dcim/device-roles/"),
        )
