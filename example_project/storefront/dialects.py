"""The storefront's dialect of the provider: DRF's, with the provider's search parameter."""

from typing import ClassVar

from django_api_orm.dialects import DRFDialect


class ProviderDialect(DRFDialect):
    """DRF and django-filter, as ``DRFDialect``; ``QuerySet.search(term)`` sends
    ``search=term``, the parameter of DRF's ``SearchFilter`` (the provider's views
    search books by title and authors and genres by name)."""

    search_param: ClassVar[str | None] = "search"
