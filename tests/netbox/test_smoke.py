"""Raw-httpx checks that the NetBox fixture is up, authenticated and seeded as seed.py says."""

from __future__ import annotations

import httpx
import pytest

from tests.netbox import seed
from tests.netbox.server import NetBoxServer


def test_status_answers_200(netbox_api: httpx.Client) -> None:
    response = netbox_api.get("status/")
    assert response.status_code == 200
    assert response.json()["netbox-version"].startswith("4.7.3")


def test_sites_are_seeded(netbox_api: httpx.Client) -> None:
    response = netbox_api.get("dcim/sites/", params={"limit": 1})
    assert response.status_code == 200
    assert response.json()["count"] == seed.SITES == 25


@pytest.mark.parametrize("header", ["auth_header", "v1_auth_header"])
def test_both_token_formats_are_accepted(netbox: NetBoxServer, header: str) -> None:
    response = httpx.get(
        f"{netbox.url}dcim/devices/",
        params={"limit": 1},
        headers={"Authorization": getattr(netbox, header)},
        timeout=30.0,
    )
    assert response.status_code == 200
    assert response.json()["count"] == seed.DEVICES


@pytest.mark.parametrize(
    "authorization", ["Token 0123456789abcdef0123456789abcdef01234567", "Bearer nbt_x.y", None]
)
def test_a_wrong_or_missing_token_gives_403(
    netbox: NetBoxServer, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = httpx.get(f"{netbox.url}dcim/sites/", headers=headers, timeout=30.0)
    assert response.status_code == 403
    assert set(response.json()) == {"detail"}


def test_devices_filtered_by_two_sites(netbox_api: httpx.Client) -> None:
    response = netbox_api.get("dcim/devices/?site_id=1&site_id=3")
    assert response.status_code == 200
    expected = seed.DEVICES_PER_SITE[1] + seed.DEVICES_PER_SITE[3]
    assert response.json()["count"] == expected == 16
    assert {row["site"]["id"] for row in response.json()["results"]} == {1, 3}


def test_seeded_rows_match_the_specs(netbox_api: httpx.Client) -> None:
    sites = netbox_api.get("dcim/sites/", params={"limit": 100, "ordering": "id"}).json()
    assert [
        (r["id"], r["name"], r["status"]["value"], r["facility"], (r["tenant"] or {}).get("id"))
        for r in sites["results"]
    ] == [(s.id, s.name, s.status, s.facility, s.tenant_id) for s in seed.SITE_SPECS]
    devices = netbox_api.get("dcim/devices/", params={"limit": 100, "ordering": "id"}).json()
    assert [
        (r["id"], r["name"], r["site"]["id"], r["status"]["value"], r["serial"])
        for r in devices["results"]
    ] == [(d.id, d.name, d.site_id, d.status, d.serial) for d in seed.DEVICE_SPECS]
