"""Declaring remote resources: RemoteModel, fields, managers and querysets."""

from django_api_orm.models import fields
from django_api_orm.models.base import RemoteModel
from django_api_orm.models.lookups import Q
from django_api_orm.models.manager import BaseManager
from django_api_orm.models.queryset import Manager, QuerySet

__all__ = ["BaseManager", "Manager", "Q", "QuerySet", "RemoteModel", "fields"]
