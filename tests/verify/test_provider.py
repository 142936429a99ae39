"""Against the real provider (DRF + django-filter): a filter it does not declare is
ignored by the server, and the ORM raises instead of returning every row."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from django_api_orm import InvalidResponseError, RemoteModel, fields

pytestmark = pytest.mark.usefixtures("provider_service")

SQL = Callable[..., list[tuple[Any, ...]]]


class LaxAuthor(RemoteModel):
    """The provider's authors, declared without Meta.filter_fields: any filter is sent.

    The provider's AuthorFilterSet has ``name`` exact, icontains and in, but no
    ``istartswith``.
    """

    name = fields.CharField(max_length=100)
    bio = fields.TextField(blank=True, default="")
    born = fields.DateField(null=True, blank=True)

    class Meta:
        app_label = "verify_tests"
        service = "provider"
        endpoint = "authors/"
        ordering_fields = ["id", "name", "born"]


class LaxGenre(RemoteModel):
    """The provider's genres: its view has no filters at all."""

    name = fields.CharField(max_length=50)

    class Meta:
        app_label = "verify_tests"
        service = "provider"
        endpoint = "genres/"


async def test_an_undeclared_filter_raises_instead_of_returning_every_row(
    provider_db: SQL,
) -> None:
    """name__istartswith is not one of the provider's filters: it answers every author."""
    names = [row[0] for row in provider_db("SELECT name FROM provider_author ORDER BY id")]
    # A prefix the first author lacks: count() reads one row, the first.
    prefix = next(name[:3] for name in reversed(names) if name[:3] != names[0][:3])
    queryset = LaxAuthor.objects.filter(name__istartswith=prefix)
    with pytest.raises(InvalidResponseError) as info:
        [a async for a in queryset]
    message = str(info.value)
    assert message.startswith("GET authors/: the provider ignored filter(name__istartswith=")
    assert "(sent as name__istartswith)" in message
    assert "DIALECT" in message
    with pytest.raises(InvalidResponseError, match="name__istartswith"):
        await queryset.acount()


async def test_a_declared_filter_passes(provider_db: SQL) -> None:
    """name__icontains is one of the provider's filters: its answer passes the check."""
    expected = provider_db("SELECT id FROM provider_author WHERE name LIKE '%an%' ORDER BY id")
    pks = [a.pk async for a in LaxAuthor.objects.filter(name__icontains="AN").order_by("id")]
    assert pks == [row[0] for row in expected]
    assert await LaxAuthor.objects.filter(name__icontains="AN").acount() == len(expected)


async def test_a_filter_on_an_unfiltered_endpoint_raises(provider_db: SQL) -> None:
    """The genres view has no filter backend for fields: pk__in is ignored, and caught."""
    (total,) = provider_db("SELECT COUNT(*) FROM provider_genre")[0]
    assert total > 2
    with pytest.raises(InvalidResponseError, match=r"pk__in=\(1, 2\).*pk 3 with"):
        await LaxGenre.objects.ain_bulk([1, 2])
