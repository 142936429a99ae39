"""What a REST API cannot do: QuerySet methods that raise ``NotSupportedError`` saying why."""

from __future__ import annotations

from typing import Any, NoReturn

from django_api_orm.exceptions import NotSupportedError

__all__ = ["UnsupportedMethods"]

_NO_AGGREGATES = (
    "a REST list has no aggregates. Iterate with aiterator() and aggregate in Python, "
    "or use acount() for counts."
)


class UnsupportedMethods:
    """Django's QuerySet methods that have no HTTP form; each raises naming the reason."""

    model: type[Any]

    def _unsupported(self, name: str, reason: str) -> NotSupportedError:
        return NotSupportedError(
            f"{self.model.__name__}.objects.{name}() is not supported: {reason}"
        )

    def annotate(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Not supported: a REST API computes no expressions per row."""
        raise self._unsupported("annotate", "a REST API computes no expressions per row.")

    def alias(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Not supported: a REST API computes no expressions per row."""
        raise self._unsupported("alias", "a REST API computes no expressions per row.")

    def aggregate(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Not supported: aggregate over ``aiterator()`` in Python instead."""
        raise self._unsupported("aggregate", _NO_AGGREGATES)

    async def aaggregate(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Not supported: aggregate over ``aiterator()`` in Python instead."""
        raise self._unsupported("aaggregate", _NO_AGGREGATES)

    def distinct(self, *fields: str) -> NoReturn:
        """Not supported: a REST list returns each resource once already."""
        raise self._unsupported("distinct", "a REST list has no DISTINCT; rows are resources.")

    def extra(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Not supported: there is no SQL."""
        raise self._unsupported("extra", "there is no SQL behind a REST API.")

    def raw(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Not supported: there is no SQL."""
        raise self._unsupported("raw", "there is no SQL behind a REST API.")

    def select_for_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Not supported: HTTP has no row locks."""
        raise self._unsupported("select_for_update", "HTTP has no row locks.")

    def union(self, *other: Any, **kwargs: Any) -> NoReturn:
        """Not supported: a filter API cannot combine queries."""
        raise self._unsupported("union", "a filter API cannot combine queries.")

    intersection = difference = union

    def dates(self, field_name: str, kind: str, order: str = "ASC") -> NoReturn:
        """Not supported: a REST list cannot truncate and group dates."""
        raise self._unsupported("dates", "a REST list cannot truncate and group dates.")

    def datetimes(self, field_name: str, kind: str, order: str = "ASC") -> NoReturn:
        """Not supported: a REST list cannot truncate and group datetimes."""
        raise self._unsupported("datetimes", "a REST list cannot truncate and group dates.")

    def explain(self, **options: Any) -> NoReturn:
        """Not supported: there is no query plan behind a REST API."""
        raise self._unsupported("explain", "there is no query plan behind a REST API.")

    async def aexplain(self, **options: Any) -> NoReturn:
        """Not supported: there is no query plan behind a REST API."""
        raise self._unsupported("aexplain", "there is no query plan behind a REST API.")
