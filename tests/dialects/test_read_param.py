"""``BaseDialect.read_param()``: a documented query parameter read back as a lookup."""

from __future__ import annotations

import pytest

from django_api_orm.dialects.base import BaseDialect
from django_api_orm.dialects.drf import DRFDialect
from django_api_orm.dialects.netbox import NetBoxDialect


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("title", ("title", "exact", False)),
        ("price__lt", ("price", "lt", False)),
        ("author__in", ("author", "in", False)),
        ("published__isnull", ("published", "isnull", False)),
        ("published__year", ("published", "year", False)),
        ("author__name__icontains", ("author__name", "icontains", False)),
        # DRF has no negation: an exclusion filter is a name of the provider's own.
        ("title__not", ("title__not", "exact", False)),
        ("page", None),
        ("page_size", None),
        ("limit", None),
        ("offset", None),
        ("cursor", None),
        ("ordering", None),
        ("search", None),
    ],
)
def test_drf_read_param(name: str, expected: tuple[str, str, bool] | None) -> None:
    assert DRFDialect().read_param(name) == expected


def test_base_dialect_reads_as_drf_does() -> None:
    assert BaseDialect().read_param("price__gte") == ("price", "gte", False)
    assert BaseDialect().read_param("ordering") is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("name", ("name", "exact", False)),
        ("name__ic", ("name", "icontains", False)),
        ("name__ie", ("name", "iexact", False)),
        ("name__isw", ("name", "istartswith", False)),
        ("name__iew", ("name", "iendswith", False)),
        ("name__regex", ("name", "regex", False)),
        ("name__n", ("name", "exact", True)),
        ("name__nic", ("name", "icontains", True)),
        ("id__gte", ("id", "gte", False)),
        ("region_id", ("region", "exact", False)),
        ("region_id__n", ("region", "exact", True)),
        ("tenant", ("tenant", "exact", False)),
        ("status__empty", None),
        ("q", None),
        ("limit", None),
        ("offset", None),
        ("ordering", None),
        ("brief", None),
        ("fields", None),
        ("omit", None),
        ("created_by_request", None),
    ],
)
def test_netbox_read_param(name: str, expected: tuple[str, str, bool] | None) -> None:
    assert NetBoxDialect().read_param(name) == expected
