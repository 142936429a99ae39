"""``ModelState``: what an instance knows about where it came from, as Django's ``_state``.

Converted field values live in the instance's attributes, as in Django, so a
read after the first costs a plain attribute lookup. Everything else an instance
carries lives here, in one small object: the row the server sent (converted
field by field on first access), the service alias it came from, the dialect
that row speaks, whether it is saved, and its loaded relations.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ModelState"]


class ModelState:
    """The state of one RemoteModel instance; ``instance._state``."""

    __slots__ = ("adding", "db", "dialect", "prefetched", "relations", "wire")

    #: The row as the server sent it (wire names), or ``None`` for an instance made here.
    wire: dict[str, Any] | None
    #: The service alias the instance was loaded from (``None``: the model's own).
    db: str | None
    #: The dialect that parses ``wire``'s nested objects (``None``: the service's).
    dialect: Any
    #: True until the instance is saved or loaded, as Django's ``_state.adding``.
    adding: bool
    #: Loaded related instances by field name (``book.author``), Django's ``fields_cache``.
    relations: dict[str, Any] | None
    #: Prefetched related lists by relation name (``author.books``).
    prefetched: dict[str, list[Any]] | None

    def __init__(
        self,
        wire: dict[str, Any] | None = None,
        *,
        db: str | None = None,
        adding: bool = True,
        dialect: Any = None,
    ) -> None:
        self.wire = wire
        self.db = db
        self.adding = adding
        self.dialect = dialect
        self.relations = None
        self.prefetched = None

    def copy(self) -> ModelState:
        """Return a copy that shares the row but not the relation caches."""
        clone = ModelState(self.wire, db=self.db, adding=self.adding, dialect=self.dialect)
        clone.relations = None if self.relations is None else dict(self.relations)
        clone.prefetched = None if self.prefetched is None else dict(self.prefetched)
        return clone

    def cached_relation(self, name: str) -> Any:
        """Return the loaded related instance ``name``; raise ``KeyError`` if not loaded."""
        if self.relations is None:
            raise KeyError(name)
        return self.relations[name]

    def cache_relation(self, name: str, value: Any) -> None:
        """Remember ``value`` as the loaded related instance ``name``."""
        if self.relations is None:
            self.relations = {}
        self.relations[name] = value

    def forget_relation(self, name: str) -> None:
        """Forget the loaded related instance ``name``, if any."""
        if self.relations is not None:
            self.relations.pop(name, None)

    def prefetch(self, name: str, objs: list[Any]) -> None:
        """Remember ``objs`` as the prefetched related objects of relation ``name``."""
        if self.prefetched is None:
            self.prefetched = {}
        self.prefetched[name] = objs

    def prefetched_for(self, name: str) -> list[Any] | None:
        """Return the prefetched objects of relation ``name``, or ``None``."""
        return None if self.prefetched is None else self.prefetched.get(name)

    def __repr__(self) -> str:
        return f"<ModelState db={self.db!r} adding={self.adding}>"
