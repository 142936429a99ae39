"""Declaring remote resources: RemoteModel, fields, managers and querysets."""

from django_api_orm.models import fields
from django_api_orm.models.base import RemoteModel
from django_api_orm.models.lookups import Q
from django_api_orm.models.manager import BaseManager
from django_api_orm.models.queryset import Manager, QuerySet
from django_api_orm.models.relations import (
    Prefetch,
    aprefetch_related_objects,
    prefetch_related_objects,
)

__all__ = [
    "BaseManager",
    "Manager",
    "Prefetch",
    "Q",
    "QuerySet",
    "RemoteModel",
    "aprefetch_related_objects",
    "fields",
    "prefetch_related_objects",
]
