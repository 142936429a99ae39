"""Wire dialects: how a query becomes requests, and how answers are read.

``BaseDialect`` is the public extension point; ``DRFDialect`` (the default)
speaks Django REST framework + django-filter.
"""

from django_api_orm.dialects.base import BaseDialect, Page, Params
from django_api_orm.dialects.drf import DRFDialect

__all__ = ["BaseDialect", "DRFDialect", "Page", "Params"]
