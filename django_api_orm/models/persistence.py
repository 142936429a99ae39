"""Writes: what to send for instances and querysets; the compiler sends it.

``asave()`` POSTs a new instance (no pk) and PUTs a saved one with every
writable field; ``update_fields`` (or ``Meta.save_changed_only``) PATCHes only
some, and so does a partial object (a field the server's answer left out is
deferred, and never sent). After every write the instance holds the server's
answer. A 404 on a write raises the model's ``DoesNotExist``; a 400 raises
``BadRequestError``, which is also Django's ``ValidationError``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import FieldDoesNotExist

from django_api_orm.compiler import Compiler
from django_api_orm.hydration import load_row
from django_api_orm.models.fields import Field, ForeignKey
from django_api_orm.services import services
from django_api_orm.signals import (
    post_delete,
    post_save,
    pre_delete,
    pre_save,
    send_model_signal,
)

if TYPE_CHECKING:
    from django_api_orm.models.base import RemoteModel

__all__ = [
    "WRITE_CONCURRENCY",
    "alias_for",
    "changed_fields",
    "compiler_for",
    "delete_instance",
    "delete_row",
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
    wire = obj._state.wire
    local = vars(obj)  # the values read or assigned so far, as Django keeps them
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
        elif isinstance(sent, dict) and field.scalar and obj._state.dialect is not None:
            sent = obj._state.dialect.choice_value(sent)  # a wrapped choice
        if sent is _MISSING or current[field.source] != sent:
            out.append(field)
    return out


def alias_for(obj: RemoteModel, using: str | None) -> str:
    """Return the service alias ``obj`` is written to: ``using``, where it was loaded
    from (``using()``), or its model's."""
    return using or obj._state.db or type(obj)._meta.service


def compiler_for(obj: RemoteModel, using: str | None) -> Compiler[Any]:
    """Return the compiler of ``obj``'s service: ``using``, or where it was loaded from."""
    model = type(obj)
    if using is not None:
        obj._state.db = using
    # An instance goes back to the service it was loaded from (``using()``), as in Django.
    return Compiler(services.service(alias_for(obj, using)), model, model._meta)


async def save_instance(
    obj: RemoteModel,
    *,
    update_fields: Iterable[str] | None = None,
    force_insert: bool = False,
    using: str | None = None,
    signals: bool = True,
) -> None:
    """POST, PUT or PATCH ``obj`` and load the server's answer into it.

    With ``signals`` (``save()``, ``create()``; not the bulk writes, as in Django),
    send ``pre_save`` before anything is decided from the instance's values (a
    receiver may change them) and ``post_save`` after the server answered.
    """
    model = type(obj)
    if model._meta.embedded:
        raise TypeError(f"{model.__name__} is an embedded record; save the object holding it.")
    names = None if update_fields is None else list(update_fields)
    created = force_insert or obj.pk is None
    chosen: list[Field] | None = None
    if names is not None:
        if created:
            raise ValueError("Cannot force an update in save() with no primary key.")
        # Checked before pre_save, as Django's save() does.
        chosen = writable_fields(model, names, action="save(update_fields=...)")
        if not chosen:
            return  # Django: an empty update_fields saves nothing, and sends nothing
    alias = alias_for(obj, using)
    compiler = compiler_for(obj, using)
    frozen = None if names is None else frozenset(names)
    if signals:
        await send_model_signal(
            pre_save, model, instance=obj, raw=False, using=alias, update_fields=frozen
        )
    await _write(compiler, obj, chosen, created=created)
    if signals:
        await send_model_signal(
            post_save,
            model,
            instance=obj,
            created=created,
            update_fields=frozen,
            raw=False,
            using=alias,
        )


async def _write(
    compiler: Compiler[Any], obj: RemoteModel, chosen: list[Field] | None, *, created: bool
) -> None:
    """Send what ``obj`` needs: POST when ``created``, else PUT, or PATCH of some fields
    (``chosen``: those of ``update_fields``)."""
    model = type(obj)
    if created:
        await compiler.insert(obj, obj._to_wire_dict())
        return
    fields = chosen
    if fields is None and model._meta.save_changed_only:
        fields = changed_fields(obj)
        if not fields:
            return
    elif fields is None:
        deferred = obj.get_deferred_fields()
        if deferred:
            # A partial object (as Django saves one loaded with only()): PATCH only the
            # fields it holds. A PUT would send defaults over the server's real values.
            fields = [f for f in model._meta.writable_fields if f.attname not in deferred]
            if not fields:
                return
    await compiler.update(obj, obj._to_wire_dict(fields), partial=fields is not None)


async def delete_instance(
    obj: RemoteModel, *, using: str | None = None, origin: Any = None
) -> None:
    """Send ``pre_delete``, DELETE ``obj``, send ``post_delete``, then clear its pk, as
    Django does. ``origin`` is what ``delete()`` was called on (default: ``obj``)."""
    model = type(obj)
    check_deletable(obj)
    alias = alias_for(obj, using)
    origin = obj if origin is None else origin
    await send_model_signal(pre_delete, model, instance=obj, using=alias, origin=origin)
    await delete_row(obj, using=using)
    await send_model_signal(post_delete, model, instance=obj, using=alias, origin=origin)
    setattr(obj, model._meta.pk.attname, None)


def check_deletable(obj: RemoteModel) -> None:
    """Raise ``ValueError`` for an object without a pk, as Django's ``delete()``."""
    model = type(obj)
    if obj.pk is None:
        raise ValueError(
            f"{model._meta.object_name} object can't be deleted because its "
            f"{model._meta.pk.attname} attribute is set to None."
        )


async def delete_row(obj: RemoteModel, *, using: str | None = None) -> None:
    """DELETE ``obj``'s detail URL: the request alone, no signal, pk left as it is."""
    check_deletable(obj)
    await compiler_for(obj, using).delete(obj)


async def refresh_instance(
    obj: RemoteModel, *, fields: Sequence[str] | None = None, using: str | None = None
) -> None:
    """Reload ``obj`` (or only ``fields`` of it) from its detail URL."""
    model = type(obj)
    if obj.pk is None:
        raise ValueError(f"Cannot refresh a {model.__name__} without a primary key.")
    compiler = compiler_for(obj, using)
    chosen = None if fields is None else [model._meta.get_field(name) for name in fields]
    row = await compiler.fetch_row(obj)
    if chosen is None:
        load_row(obj, model._meta, row, dialect=compiler.dialect)
        return
    state = obj._state
    wire = dict(state.wire or {})
    local = vars(obj)
    for field in chosen:
        if field.source in row:
            wire[field.source] = row[field.source]
        local.pop(field.attname, None)
        state.forget_relation(field.name)
    state.wire = wire


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
