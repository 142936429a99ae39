"""Model instances as lookup values, wherever Django accepts them: the exact query sent."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import respx
from django.conf import settings
from django.db.models import Q as DjangoQ
from django.test import override_settings

from django_api_orm import Q, QuerySet, RemoteModel, fields
from tests.models.conftest import page


class LkAuthor(RemoteModel):
    name = fields.CharField()

    class Meta:
        app_label = "testapp"
        endpoint = "lk-authors/"
        filter_fields = {"id": ["exact", "in"]}
        ordering_fields = ["id"]


class LkGenre(RemoteModel):
    name = fields.CharField()

    class Meta:
        app_label = "testapp"
        endpoint = "lk-genres/"
        filter_fields = {"id": ["exact", "in"]}
        ordering_fields = ["id"]


class LkBook(RemoteModel):
    title = fields.CharField()
    author = fields.ForeignKey(LkAuthor, related_name="lk_books", null=True)
    genres = fields.ManyToManyField(LkGenre, related_name="lk_books")

    class Meta:
        app_label = "testapp"
        endpoint = "lk-books/"
        filter_fields = {
            "id": ["exact", "in"],
            "author": ["exact", "in"],
            "genres": ["exact"],
            "title": ["exact"],
        }
        exclude_filters = {"author": "author__not", "author__in": "author__not_in"}
        ordering_fields = ["id"]


class LkSlugAuthor(RemoteModel):
    """An author whose primary key is its slug."""

    slug = fields.CharField(primary_key=True)

    class Meta:
        app_label = "testapp"
        endpoint = "lk-slug-authors/"
        filter_fields = {"slug": ["exact", "in"]}
        ordering_fields = ["slug"]


class LkSlugBook(RemoteModel):
    author = fields.ForeignKey(LkSlugAuthor, related_name="lk_slug_books")

    class Meta:
        app_label = "testapp"
        endpoint = "lk-slug-books/"
        filter_fields = {"author": ["exact", "in"]}
        ordering_fields = ["id"]


ANN = LkAuthor.from_api({"id": 2, "name": "Ann"})
BOB = LkAuthor.from_api({"id": 3, "name": "Bob"})
NOIR = LkGenre.from_api({"id": 5, "name": "Noir"})
BOOK = LkBook.from_api({"id": 9, "title": "x", "author": 2, "genres": []})
OTHER = LkBook.from_api({"id": 10, "title": "y", "author": 3, "genres": []})
BOOKS = LkBook.objects

DRF = [
    (lambda: BOOKS.filter(author=ANN), "author=2"),
    (lambda: BOOKS.filter(author__exact=ANN), "author=2"),
    (lambda: BOOKS.filter(author__in=[ANN, BOB]), "author__in=2,3"),
    (lambda: BOOKS.filter(author__in=(a for a in [ANN, BOB])), "author__in=2,3"),
    (lambda: BOOKS.filter(author__in=[ANN, 3]), "author__in=2,3"),
    (lambda: BOOKS.filter(Q(author=ANN) | Q(author=BOB)), "author__in=2,3"),
    (lambda: BOOKS.filter(DjangoQ(author=ANN) | DjangoQ(author=BOB)), "author__in=2,3"),
    (lambda: BOOKS.exclude(author=ANN), "author__not=2"),
    (lambda: BOOKS.exclude(author__in=[ANN, BOB]), "author__not_in=2,3"),
    (lambda: BOOKS.filter(pk=BOOK), "id=9"),
    (lambda: BOOKS.filter(id=BOOK), "id=9"),
    (lambda: BOOKS.filter(pk__in=[BOOK, OTHER]), "id__in=9,10"),
    (lambda: BOOKS.filter(genres=NOIR), "genres=5"),
    # Django's admin sends author__id__exact for a foreign key's list_filter.
    (lambda: BOOKS.filter(author__id__exact=3), "author=3"),
    (lambda: BOOKS.filter(author__id__exact="3"), "author=3"),
    (lambda: BOOKS.filter(author__id=3), "author=3"),
    (lambda: BOOKS.filter(author__pk=3), "author=3"),
    (lambda: BOOKS.filter(author__pk__in=[ANN, 3]), "author__in=2,3"),
    (lambda: BOOKS.filter(author__id=ANN), "author=2"),
    (lambda: LkSlugBook.objects.filter(author=LkSlugAuthor(slug="ann")), "author=ann"),
    (lambda: LkSlugBook.objects.filter(author__slug="ann"), "author=ann"),
]


async def sent_query(api: respx.MockRouter, queryset: QuerySet[Any]) -> str:
    """List ``queryset`` and return the query string of the request it sent."""
    endpoint = queryset.model._meta.endpoint
    route = api.get(endpoint).respond(json=page([]))
    assert [row async for row in queryset] == []
    return route.calls[-1].request.url.query.decode()


@pytest.mark.parametrize(("build", "expected"), DRF, ids=[str(i) for i in range(len(DRF))])
async def test_instances_are_sent_as_their_pk(
    api: respx.MockRouter, build: Callable[[], QuerySet[Any]], expected: str
) -> None:
    """Sends an instance (or a foreign key's author__id) as the foreign key's filter."""
    assert await sent_query(api, build()) == f"{expected}&page_size=100"


REFUSED = [
    (
        lambda: BOOKS.filter(author=NOIR),
        ValueError,
        'Cannot query "LkGenre object (5)": Must be "LkAuthor" instance',
    ),
    (lambda: BOOKS.filter(author__in=[ANN, NOIR]), ValueError, 'Must be "LkAuthor" instance'),
    (lambda: BOOKS.filter(genres=ANN), ValueError, 'Must be "LkGenre" instance'),
    (lambda: BOOKS.filter(pk=ANN), ValueError, 'Must be "LkBook" instance'),
    (lambda: BOOKS.filter(author__id=NOIR), ValueError, 'Must be "LkAuthor" instance'),
    (lambda: BOOKS.filter(author=LkAuthor(name="new")), ValueError, "must be saved"),
    (lambda: BOOKS.filter(author__in=[ANN, LkAuthor(name="new")]), ValueError, "must be saved"),
    (lambda: BOOKS.filter(pk__in=[LkBook(title="new")]), ValueError, "must be saved"),
]


@pytest.mark.parametrize(
    ("build", "error", "match"), REFUSED, ids=[str(i) for i in range(len(REFUSED))]
)
def test_wrong_or_unsaved_instances_are_refused(
    api: respx.MockRouter, build: Callable[[], Any], error: type[Exception], match: str
) -> None:
    """Raises ValueError, as Django, for an instance of another model or an unsaved one."""
    with pytest.raises(error, match=re.escape(match)):
        build()
    assert not api.calls


class LkJoinBook(RemoteModel):
    """A provider whose FilterSet declares the join ``author__id``, not ``author``."""

    author = fields.ForeignKey(LkAuthor, related_name="lk_join_books")

    class Meta:
        app_label = "testapp"
        endpoint = "lk-join-books/"
        filter_fields = {"author__id": ["exact", "in"]}
        ordering_fields = ["id"]


async def test_a_declared_join_filter_is_sent_as_written(api: respx.MockRouter) -> None:
    """Sends author__id as written when Meta.filter_fields declares it and not author."""
    queryset = LkJoinBook.objects.filter(author__id__in=[ANN, 3])
    assert await sent_query(api, queryset) == "author__id__in=2,3&page_size=100"


def test_the_error_names_the_lookup() -> None:
    """Names the lookup the wrong instance was given to."""
    with pytest.raises(ValueError, match=r"\(in author__in\)"):
        BOOKS.filter(author__in=[NOIR])


# --- NetBox ------------------------------------------------------------------


class LkTenant(RemoteModel):
    name = fields.CharField()

    class Meta:
        app_label = "testapp"
        endpoint = "tenancy/tenants/"
        filter_fields = {"id": ["exact", "in"]}
        ordering_fields = ["id"]


class LkSite(RemoteModel):
    name = fields.CharField()
    tenant = fields.ForeignKey(LkTenant, null=True, related_name="lk_sites")

    class Meta:
        app_label = "testapp"
        endpoint = "dcim/sites/"
        filter_fields = {"id": ["exact"], "tenant": ["exact", "in"]}
        exclude_filters = {"tenant": "tenant_id__n"}
        ordering_fields = ["id"]


ACME = LkTenant.from_api({"id": 4, "name": "Acme"})
INITECH = LkTenant.from_api({"id": 7, "name": "Initech"})
SITES = LkSite.objects

NETBOX = [
    (lambda: SITES.filter(tenant=ACME), "tenant_id=4"),
    (lambda: SITES.filter(tenant__exact=ACME), "tenant_id=4"),
    (lambda: SITES.filter(tenant__in=[ACME, INITECH]), "tenant_id=4&tenant_id=7"),
    (lambda: SITES.filter(Q(tenant=ACME) | Q(tenant=INITECH)), "tenant_id=4&tenant_id=7"),
    (lambda: SITES.exclude(tenant=ACME), "tenant_id__n=4"),
    (lambda: SITES.filter(tenant__id__exact=4), "tenant_id=4"),
    (lambda: SITES.filter(tenant__pk=4), "tenant_id=4"),
    (lambda: SITES.filter(pk=LkSite.from_api({"id": 8})), "id=8"),
]


@pytest.fixture
def netbox() -> Iterator[None]:
    """Point the default service at the NetBox dialect."""
    entry = {
        **settings.API_ORM_SERVICES["default"],
        "DIALECT": "django_api_orm.dialects.netbox.NetBoxDialect",
    }
    with override_settings(API_ORM_SERVICES={**settings.API_ORM_SERVICES, "default": entry}):
        yield


@pytest.mark.usefixtures("netbox")
@pytest.mark.parametrize(("build", "expected"), NETBOX, ids=[t[1] for t in NETBOX])
async def test_instances_are_sent_as_netbox_fk_id(
    api: respx.MockRouter, build: Callable[[], QuerySet[Any]], expected: str
) -> None:
    """Sends an instance of a foreign key's model as NetBox's <fk>_id filter."""
    endpoint = build().model._meta.endpoint
    route = api.get(endpoint).respond(
        json={"count": 0, "next": None, "previous": None, "results": []}
    )
    assert [row async for row in build()] == []
    assert route.calls[-1].request.url.query.decode() == f"{expected}&limit=100"
