"""What the lower layers need to know of models, fields and queries, as protocols.

Dialects, pagination, hydration and the compiler work on these shapes instead of
importing ``RemoteModel``, ``Options`` or ``Query``: imports point down, and a
dialect can be tested with any object of this shape.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Protocol

from django.core.exceptions import ObjectDoesNotExist

from django_api_orm.state import ModelState

__all__ = ["FieldLike", "InstanceLike", "LookupLike", "OptionsLike", "QueryLike"]


class FieldLike(Protocol):
    """A field: its names and its conversions."""

    @property
    def name(self) -> str: ...
    @property
    def attname(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def primary_key(self) -> bool: ...
    @property
    def is_relation(self) -> bool: ...

    def to_python(self, value: Any) -> Any: ...
    def to_wire(self, value: Any) -> Any: ...
    def get_prep_value(self, value: Any) -> Any: ...


class OptionsLike(Protocol):
    """A model's ``_meta``: names, endpoint and the provider's declared filters."""

    @property
    def object_name(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def service(self) -> str: ...
    @property
    def endpoint(self) -> str | None: ...
    @property
    def path_parents(self) -> tuple[str, ...]: ...
    @property
    def exclude_filters(self) -> Mapping[str, str]: ...
    @property
    def pagination(self) -> Mapping[str, Any] | None: ...
    @property
    def pk(self) -> FieldLike: ...
    @property
    def writable_fields(self) -> Sequence[FieldLike]: ...

    def get_field(self, name: str) -> FieldLike: ...


class InstanceLike(Protocol):
    """A model instance: its state and its attribute values."""

    _state: ModelState
    DoesNotExist: ClassVar[type[ObjectDoesNotExist]]

    @property
    def pk(self) -> Any: ...


class LookupLike(Protocol):
    """One parsed filter condition (see ``django_api_orm.models.lookups.Lookup``)."""

    @property
    def path(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def value(self) -> Any: ...
    @property
    def field(self) -> FieldLike: ...
    @property
    def written(self) -> str: ...
    @property
    def names(self) -> str: ...
    @property
    def key(self) -> str: ...
    @property
    def param(self) -> str: ...


class QueryLike(Protocol):
    """A query's filters, as ``django_api_orm.models.query.Query`` holds them."""

    @property
    def opts(self) -> OptionsLike: ...
    @property
    def where(self) -> Sequence[LookupLike]: ...
    @property
    def excludes(self) -> Sequence[LookupLike]: ...
    @property
    def effective_ordering(self) -> tuple[str, ...]: ...

    def wire_ordering_name(self, name: str) -> str: ...
