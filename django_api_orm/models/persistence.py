"""Writes: POST, PUT, PATCH and DELETE for instances and querysets.

``asave()`` POSTs a new instance (no pk) and PUTs a saved one with every
writable field; ``update_fields`` (or ``Meta.save_changed_only``) PATCHes only
some. After every write the instance holds the server's answer. A 404 on a
write raises the model's ``DoesNotExist``; a 400 raises ``BadRequestError``,
which is also Django's ``ValidationError``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import FieldDoesNotExist

from django_api_orm.exceptions import InvalidResponseError, NotFoundError
from django_api_orm.models.fields import Field, ForeignKey

if TYPE_CHECKING:
    from django_api_orm.models.base import RemoteModel

__all__ = [
    "WRITE_CONCURRENCY",
    "changed_fields",
    "delete_instance",
    "gather_bounded",
    "refresh_instance",
    "save_instance",
    "writable_fields",
]

#: Concurrent writes of one bulk or queryset call (the client's own limit still applies).
WRITE_CONCURRENCY = 16

T = TypeVar("T")
_MISSING = object()


def writable_fields(model: type[RemoteModel], names: Iterable[str], *, action: str) -> list[Field]:
    """Return the fields named ``names``; raise ``ValueError`` for any that is not writable."""
    fields = []
    bad = []
    for name in names:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            bad.append(name)
            continue
        if field.read_only or field.primary_key:
            bad.append(name)
        else:
            fields.append(field)
    if bad:
        choices = ", ".join(f.name for f in model._meta.writable_fields if not f.primary_key)
        raise ValueError(
            f"{action} got {', '.join(map(repr, bad))}, which {'is' if len(bad) == 1 else 'are'} "
            f"not writable field(s) of {model.__name__}. Writable fields are: {choices}."
        )
    return fields


def changed_fields(obj: RemoteModel) -> list[Field]:
    """Return the writable fields whose value differs from what the server last sent."""
    wire = obj.__dict__.get("_wire")
    local = obj.__dict__
    touched = [f for f in obj._meta.writable_fields if f.attname in local]
    if wire is None:
        return touched
    # Fields never read nor assigned still hold the server's value. An invalid local
    # value raises a ValidationError keyed by its field, as the save itself would.
    current = obj._to_wire_dict(touched)
    out = []
    for field in touched:
        sent = wire.get(field.source, _MISSING)
        if isinstance(sent, dict) and isinstance(field, ForeignKey):
            sent = sent.get(field.target_field.source, _MISSING)  # a nested related object
        if sent is _MISSING or current[field.source] != sent:
            out.append(field)
    return out


def _reset(obj: RemoteModel, data: Any, where: str) -> None:
    """Make ``obj`` hold the server's row ``data``, forgetting converted values."""
    if not isinstance(data, dict):
        raise InvalidResponseError(
            f"{where}: expected the {type(obj).__name__} as a JSON object, got "
            f"{type(data).__name__}."
        )
    relations = obj.__dict__.get("_relations") or {}
    alias = obj.__dict__.get("_db")
    obj.__dict__.clear()
    obj.__dict__["_wire"] = data
    if alias is not None:
        obj.__dict__["_db"] = alias
    # Keep a loaded related instance while the foreign key still points at it.
    for name, related in relations.items():
        field = obj._meta.get_field(name)
        if related is not None and getattr(obj, field.attname) == related.pk:
            obj.__dict__.setdefault("_relations", {}).setdefault(name, related)


def _context(obj: RemoteModel, using: str | None) -> Any:
    from django_api_orm.models.queryset import service_context

    model = type(obj)
    if using is not None:
        obj.__dict__["_db"] = using
    # An instance goes back to the service it was loaded from (``using()``), as in Django.
    return service_context(model, using or obj.__dict__.get("_db") or model._meta.service)


def _does_not_exist(obj: RemoteModel, method: str, path: str) -> Exception:
    model = type(obj)
    return model.DoesNotExist(
        f"{model._meta.object_name} with pk {obj.pk!r} does not exist "
        f"({method} {path} answered 404)."
    )


async def save_instance(
    obj: RemoteModel,
    *,
    update_fields: Iterable[str] | None = None,
    force_insert: bool = False,
    using: str | None = None,
) -> None:
    """POST, PUT or PATCH ``obj`` and load the server's answer into it."""
    model = type(obj)
    if model._meta.embedded:
        raise TypeError(f"{model.__name__} is an embedded record; save the object holding it.")
    client, dialect, _ = _context(obj, using)
    if force_insert or obj.pk is None:
        if update_fields is not None:
            raise ValueError("Cannot force an update in save() with no primary key.")
        path = dialect.list_path(model, instance=obj)
        response = await client.post(path, data=obj._to_wire_dict())
        _reset(obj, response.data, f"POST {path}")
        return
    fields: list[Field] | None = None
    if update_fields is not None:
        fields = writable_fields(model, update_fields, action="save(update_fields=...)")
        if not fields:
            return  # Django: an empty update_fields saves nothing
    elif model._meta.save_changed_only:
        fields = changed_fields(obj)
        if not fields:
            return
    path = dialect.detail_path(model, obj.pk, instance=obj)
    method = "PUT" if fields is None else "PATCH"
    body = obj._to_wire_dict(fields)
    try:
        if fields is None:
            response = await client.put(path, data=body)
        else:
            response = await client.patch(path, data=body)
    except NotFoundError:
        raise _does_not_exist(obj, method, path) from None
    if response.data is None:
        # 204 or an empty body: the server accepted what was sent.
        merged = dict(obj.__dict__.get("_wire") or {})
        merged.update(obj._to_wire_dict())
        _reset(obj, merged, f"{method} {path}")
    else:
        _reset(obj, response.data, f"{method} {path}")


async def delete_instance(obj: RemoteModel, *, using: str | None = None) -> None:
    """DELETE ``obj`` and clear its primary key, as Django does."""
    model = type(obj)
    if obj.pk is None:
        raise ValueError(
            f"{model._meta.object_name} object can't be deleted because its "
            f"{model._meta.pk.attname} attribute is set to None."
        )
    client, dialect, _ = _context(obj, using)
    path = dialect.detail_path(model, obj.pk, instance=obj)
    try:
        await client.delete(path)
    except NotFoundError:
        raise _does_not_exist(obj, "DELETE", path) from None
    obj.__dict__[model._meta.pk.attname] = None


async def refresh_instance(
    obj: RemoteModel, *, fields: Sequence[str] | None = None, using: str | None = None
) -> None:
    """Reload ``obj`` (or only ``fields`` of it) from its detail URL."""
    model = type(obj)
    if obj.pk is None:
        raise ValueError(f"Cannot refresh a {model.__name__} without a primary key.")
    client, dialect, _ = _context(obj, using)
    path = dialect.detail_path(model, obj.pk, instance=obj)
    try:
        response = await client.get(path)
    except NotFoundError:
        raise _does_not_exist(obj, "GET", path) from None
    data = response.data
    if fields is None:
        _reset(obj, data, f"GET {path}")
        return
    if not isinstance(data, dict):
        raise InvalidResponseError(f"GET {path}: expected a JSON object.")
    chosen = [model._meta.get_field(name) for name in fields]
    wire = dict(obj.__dict__.get("_wire") or {})
    for field in chosen:
        if field.source in data:
            wire[field.source] = data[field.source]
        obj.__dict__.pop(field.attname, None)
        (obj.__dict__.get("_relations") or {}).pop(field.name, None)
    obj.__dict__["_wire"] = wire


async def gather_bounded(
    calls: Iterable[Callable[[], Awaitable[T]]], limit: int = WRITE_CONCURRENCY
) -> list[T]:
    """Run ``calls`` with at most ``limit`` at once; wait for all, then raise the first error.

    Waiting for every call before raising means no write is abandoned half-way:
    what succeeded is visible on the objects (a pk set, new values).
    """
    semaphore = asyncio.Semaphore(limit)

    async def run(call: Callable[[], Awaitable[T]]) -> T:
        async with semaphore:
            return await call()

    results = await asyncio.gather(*(run(c) for c in calls), return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results  # type: ignore[return-value]
