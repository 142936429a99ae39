"""Wire dialects: how a Query becomes request parameters and how pages are read."""

from django_api_orm.dialects.base import BaseDialect, Page
from django_api_orm.dialects.drf import DRFDialect

__all__ = ["BaseDialect", "DRFDialect", "Page"]
