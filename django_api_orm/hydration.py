"""Wire rows → instances, fast: one object per row; fields convert on first access."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from django_api_orm.exceptions import InvalidResponseError

if TYPE_CHECKING:
    from django_api_orm.models.base import RemoteModel

__all__ = ["hydrate"]

M = TypeVar("M", bound="RemoteModel")


def hydrate(
    model: type[M], rows: Iterable[Any], *, where: str, using: str | None = None
) -> list[M]:
    """Return an instance of ``model`` over each row; a row that is not an object raises.

    ``using`` (a service alias other than the model's) is remembered, so that
    saving the instance goes back to the service it came from.
    """
    new = object.__new__
    # object.__setattr__, not obj.__dict__[...]: CPython keeps the attributes inline
    # without a separate dict per instance, half the objects for the collector.
    setattr_ = object.__setattr__
    out: list[M] = []
    append = out.append
    for row in rows:
        if type(row) is not dict:
            raise InvalidResponseError(
                f"{where}: expected each {model.__name__} row to be a JSON object, got "
                f"{type(row).__name__}: {str(row)[:100]!r}."
            )
        obj = new(model)
        setattr_(obj, "_wire", row)
        if using is not None:
            setattr_(obj, "_db", using)
        append(obj)
    return out
