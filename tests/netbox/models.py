"""RemoteModels for NetBox's tenancy and DCIM resources, as a NetBox user declares them.

They name the ``netbox`` service (``tests/netbox/conftest.py`` points it at the
running NetBox with ``NetBoxDialect``); the same models are read through the
``netbox_drf`` alias (``using("netbox_drf")``), the plain DRF dialect against the
same NetBox, to show that a dialect that does not fit fails loudly.
"""

from __future__ import annotations

from django_api_orm import RemoteModel, fields

STATUS = [
    ("planned", "Planned"),
    ("staging", "Staging"),
    ("active", "Active"),
    ("decommissioning", "Decommissioning"),
    ("retired", "Retired"),
]
DEVICE_STATUS = [
    ("offline", "Offline"),
    ("active", "Active"),
    ("planned", "Planned"),
    ("staged", "Staged"),
    ("failed", "Failed"),
    ("inventory", "Inventory"),
    ("decommissioning", "Decommissioning"),
]
TEXT = ["exact", "iexact", "icontains", "istartswith", "iendswith", "in", "regex"]
NUMBER = ["exact", "in", "gt", "gte", "lt", "lte", "range"]
RELATION = ["exact", "in", "isnull"]


class Tenant(RemoteModel):
    name = fields.CharField(max_length=100)
    slug = fields.CharField(max_length=100)
    description = fields.CharField(max_length=200, blank=True, default="")

    class Meta:
        service = "netbox"
        endpoint = "tenancy/tenants/"
        ordering = ["name"]
        filter_fields = {"id": NUMBER, "name": TEXT, "slug": TEXT, "description": TEXT}
        ordering_fields = ["id", "name", "slug"]

    def __str__(self) -> str:
        return self.name


class Site(RemoteModel):
    name = fields.CharField(max_length=100)
    slug = fields.CharField(max_length=100)
    status = fields.CharField(max_length=50, choices=STATUS, default="active")
    tenant = fields.ForeignKey(Tenant, null=True, blank=True, related_name="sites")
    facility = fields.CharField(max_length=50, blank=True, default="")
    description = fields.CharField(max_length=200, blank=True, default="")
    created = fields.DateTimeField(read_only=True, null=True)

    class Meta:
        service = "netbox"
        endpoint = "dcim/sites/"
        ordering = ["name"]
        filter_fields = {
            "id": NUMBER,
            "name": TEXT,
            "slug": TEXT,
            "status": ["exact", "in"],
            "tenant": RELATION,
            "tenant__slug": ["exact", "in"],
            "facility": TEXT,
            "description": TEXT,
            "created": ["gt", "gte", "lt", "lte"],
        }
        ordering_fields = ["id", "name", "slug", "facility", "created"]

    def __str__(self) -> str:
        return self.name


class Manufacturer(RemoteModel):
    name = fields.CharField(max_length=100)
    slug = fields.CharField(max_length=100)

    class Meta:
        service = "netbox"
        endpoint = "dcim/manufacturers/"
        filter_fields = {"id": NUMBER, "name": TEXT, "slug": TEXT}
        ordering_fields = ["id", "name"]


class DeviceType(RemoteModel):
    manufacturer = fields.ForeignKey(Manufacturer, related_name="device_types")
    model = fields.CharField(max_length=100)
    slug = fields.CharField(max_length=100)
    u_height = fields.DecimalField(max_digits=4, decimal_places=1, default=1)

    class Meta:
        service = "netbox"
        endpoint = "dcim/device-types/"
        filter_fields = {
            "id": NUMBER,
            "model": TEXT,
            "slug": TEXT,
            "manufacturer": RELATION,
            "u_height": NUMBER,
        }
        ordering_fields = ["id", "model"]


class DeviceRole(RemoteModel):
    name = fields.CharField(max_length=100)
    slug = fields.CharField(max_length=100)
    color = fields.CharField(max_length=6, default="9e9e9e")

    class Meta:
        service = "netbox"
        endpoint = "dcim/device-roles/"
        filter_fields = {"id": NUMBER, "name": TEXT, "slug": TEXT}
        ordering_fields = ["id", "name"]


class Device(RemoteModel):
    name = fields.CharField(max_length=64, null=True, blank=True)
    device_type = fields.ForeignKey(DeviceType, related_name="devices")
    role = fields.ForeignKey(DeviceRole, related_name="devices")
    site = fields.ForeignKey(Site, related_name="devices")
    tenant = fields.ForeignKey(Tenant, null=True, blank=True, related_name="devices")
    status = fields.CharField(max_length=50, choices=DEVICE_STATUS, default="active")
    serial = fields.CharField(max_length=50, blank=True, default="")

    class Meta:
        service = "netbox"
        endpoint = "dcim/devices/"
        ordering = ["id"]
        filter_fields = {
            "id": NUMBER,
            "name": TEXT,
            "status": ["exact", "in"],
            "serial": TEXT,
            "site": RELATION,
            "site__slug": ["exact", "in"],
            "tenant": RELATION,
            "role": RELATION,
            "device_type": RELATION,
        }
        ordering_fields = ["id", "name", "serial"]

    def __str__(self) -> str:
        return self.name or f"Device {self.pk}"
