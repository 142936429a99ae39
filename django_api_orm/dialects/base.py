"""What a dialect must answer: parameters for a Query, paths, and the shape of pages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django_api_orm.exceptions import HTTPStatusError
    from django_api_orm.models.base import RemoteModel
    from django_api_orm.query import Query

__all__ = ["BaseDialect", "Page", "Params"]

#: Query parameters as ordered ``(name, value)`` pairs, values already strings.
Params = list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a list answer: its rows, the ``next`` link and the total, if sent."""

    rows: list[dict[str, Any]]
    next: str | None
    count: int | None


class BaseDialect:
    """The conventions of one kind of API. Subclass it and name it in ``DIALECT``."""

    def filter_params(self, query: Query) -> Params:
        """Return the parameters that express ``query``'s filters and exclusions."""
        raise NotImplementedError

    def ordering_params(self, query: Query, ordering: Sequence[str]) -> Params:
        """Return the parameters that ask for ``ordering`` (``-`` for descending)."""
        raise NotImplementedError

    def page_params(
        self, style: str, size_param: str, *, page: int, size: int, offset: int
    ) -> Params:
        """Return the parameters asking for one page in ``style``."""
        raise NotImplementedError

    def encode_query(self, params: Params) -> str:
        """Return ``params`` as a query string, byte for byte what is sent."""
        raise NotImplementedError

    def parse_page(self, data: Any, style: str, *, where: str) -> Page:
        """Read a list answer in ``style``; raise ``InvalidResponseError`` if it is not one."""
        raise NotImplementedError

    def is_page_out_of_range(self, error: HTTPStatusError) -> bool:
        """Tell whether ``error`` means "no such page" rather than a real failure."""
        return False

    def list_path(
        self,
        model: type[RemoteModel],
        query: Query | None = None,
        instance: RemoteModel | None = None,
    ) -> str:
        """Return the list endpoint of ``model``, relative to the service's BASE_URL.

        A nested endpoint (``"authors/{author}/books/"``) takes each parent pk from
        ``query``'s ``filter(author=...)`` or from ``instance``'s foreign key.
        """
        raise NotImplementedError

    def detail_path(
        self,
        model: type[RemoteModel],
        pk: Any,
        query: Query | None = None,
        instance: RemoteModel | None = None,
    ) -> str:
        """Return the detail endpoint of the ``model`` object whose primary key is ``pk``."""
        raise NotImplementedError
