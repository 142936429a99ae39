"""Wire rows → instances, fast: one object per row; fields convert on first access.

The one path every incoming record takes: list rows, detail answers, answers
to writes (``load_row``) and nested related objects (``hydrate_one``).
"""

from __future__ import annotations

import gc
from collections.abc import Iterable
from typing import Any, TypeVar

from django_api_orm.exceptions import InvalidResponseError
from django_api_orm.protocols import InstanceLike, OptionsLike
from django_api_orm.state import ModelState

__all__ = ["hydrate", "hydrate_one", "load_row"]

M = TypeVar("M", bound=InstanceLike)


def hydrate(
    model: type[M],
    rows: Iterable[Any],
    *,
    where: str,
    using: str | None = None,
    dialect: Any = None,
) -> list[M]:
    """Return an instance of ``model`` over each row; a row that is not an object raises.

    ``using`` (a service alias other than the model's) is remembered, so that
    saving the instance goes back to the service it came from; ``dialect`` reads
    the row's nested objects.
    """
    new = object.__new__
    out: list[M] = []
    append = out.append
    # Why: two new objects a row (the instance and its state) made the cyclic garbage
    # collector run several full passes over the whole heap while a page hydrated,
    # five times the time of the loop itself. How: pause it for the loop; nothing here
    # makes a cycle, and the next collection looks at these objects once. Re-enabled
    # only if it was enabled, so a caller that disabled it keeps it disabled.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for row in rows:
            if type(row) is not dict:
                raise InvalidResponseError(
                    f"{where}: expected each {model.__name__} row to be a JSON object, got "
                    f"{type(row).__name__}: {str(row)[:100]!r}."
                )
            state = new(ModelState)
            state.wire = row
            state.db = using
            state.dialect = dialect
            state.adding = False
            state.relations = None
            state.prefetched = None
            obj = new(model)
            # A plain attribute store, not obj.__dict__[...]: CPython keeps the
            # attributes inline, without a dict per instance (fewer objects for the
            # collector), and specializes the store (cheaper than object.__setattr__).
            obj._state = state
            append(obj)
    finally:
        if collecting:
            gc.enable()
    return out


def hydrate_one(model: type[M], row: dict[str, Any], *, using: str | None, dialect: Any) -> M:
    """Return an instance of ``model`` over one row (a nested object, a detail)."""
    return hydrate(model, (row,), where=model.__name__, using=using, dialect=dialect)[0]


def load_row(obj: InstanceLike, opts: OptionsLike, row: dict[str, Any], *, dialect: Any) -> None:
    """Make ``obj`` hold the server's ``row``, forgetting values converted from the old one.

    A loaded related instance is kept while the foreign key still points at it.
    """
    old = obj._state
    state = ModelState(row, db=old.db, adding=False, dialect=dialect)
    # Converted values are the instance's attributes (as in Django); drop them all.
    attributes = vars(obj)
    attributes.clear()
    attributes["_state"] = state
    for name, related in (old.relations or {}).items():
        field = opts.get_field(name)
        if related is not None and getattr(obj, field.attname) == related.pk:
            state.cache_relation(name, related)
