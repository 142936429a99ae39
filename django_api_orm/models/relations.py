"""Load related objects of a page in batched requests: no request per row."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import FieldDoesNotExist

from django_api_orm.models.fields import ForeignKey

if TYPE_CHECKING:
    from django_api_orm.models.base import RemoteModel

__all__ = ["prefetch_related_objects"]

#: Concurrent detail GETs when the related provider has no ``__in`` filter.
DETAIL_CONCURRENCY = 10


async def prefetch_related_objects(
    objs: Sequence[RemoteModel], names: Iterable[str], *, using: str | None = None
) -> None:
    """Attach the related objects named by ``names`` to each of ``objs``."""
    model = type(objs[0])
    for name in dict.fromkeys(names):
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            raise ValueError(
                f"Cannot prefetch '{name}': {model.__name__} has no relation of that name."
            ) from None
        if not isinstance(field, ForeignKey):
            raise ValueError(f"Cannot prefetch '{name}': it is not a relation.")
        await _load_forward(objs, field, using)


async def _load_forward(objs: Sequence[RemoteModel], field: ForeignKey, using: str | None) -> None:
    pending = [
        obj
        for obj in objs
        if field.name not in (obj.__dict__.get("_relations") or {})
        and getattr(obj, field.attname) is not None
    ]
    # Reading the attname may have cached a nested object; skip those.
    pending = [o for o in pending if field.name not in (o.__dict__.get("_relations") or {})]
    pks = list(dict.fromkeys(getattr(o, field.attname) for o in pending))
    if not pks:
        return
    related = field.to
    manager = related._default_manager
    allowed = related._meta.filter_fields
    pk_name = related._meta.pk.name
    found: dict[Any, RemoteModel] = {}
    if allowed is None or "in" in allowed.get(pk_name, ()):
        found = await manager.ain_bulk(pks)
    else:
        semaphore = asyncio.Semaphore(DETAIL_CONCURRENCY)

        async def one(pk: Any) -> None:
            async with semaphore:
                with contextlib.suppress(related.DoesNotExist):
                    found[pk] = await manager.aget(pk=pk)

        await asyncio.gather(*(one(pk) for pk in pks))
    for obj in pending:
        pk = getattr(obj, field.attname)
        # A pk the server did not return stays unloaded: reading it raises, never None.
        if pk in found:
            obj.__dict__.setdefault("_relations", {})[field.name] = found[pk]
