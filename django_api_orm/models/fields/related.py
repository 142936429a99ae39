"""Relation fields: ``ForeignKey`` and ``ManyToManyField``.

On the wire a relation is the related pk (or a list of them), or a nested
object the service's dialect reads (``BaseDialect.related_pk``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError

from django_api_orm.dialects.base import BaseDialect
from django_api_orm.hydration import hydrate_one
from django_api_orm.models.descriptors import ForwardRelationDescriptor, ManyRelatedDescriptor
from django_api_orm.models.fields.base import Field
from django_api_orm.models.registry import resolve_model
from django_api_orm.state import ModelState

if TYPE_CHECKING:
    from django_api_orm.models.base import RemoteModel

__all__ = ["ForeignKey", "ManyToManyField", "RelatedField"]

#: Reads nested objects of rows that came with no dialect (``Model.from_api`` on an embedded model).
_PLAIN = BaseDialect()


def _pk_of(value: Any) -> Any:
    """Return the pk of a model instance, or ``value`` itself (as Django accepts both)."""
    if isinstance(getattr(value, "_state", None), ModelState):
        return value.pk
    return value


class RelatedField(Field):
    """A field naming another RemoteModel (``to``: a class, ``"Name"`` or ``"self"``)."""

    scalar = False

    is_relation = True

    def __init__(
        self,
        to: type[RemoteModel] | str,
        *,
        related_name: str | None = None,
        **kwargs: Any,
    ) -> None:
        self._to = to
        self.related_name = related_name
        super().__init__(**kwargs)

    @property
    def to(self) -> type[RemoteModel]:
        if isinstance(self._to, str):
            if self._to == "self":
                return self.model
            self._to = resolve_model(self._to, relative_to=self.model)
        return self._to

    @property
    def target_field(self) -> Field:
        return self.to._meta.pk

    def parse_pk(self, value: Any, dialect: BaseDialect = _PLAIN) -> Any:
        """Return the related pk of a wire value: the pk itself or a nested object."""
        return self._parse_related(value, dialect)[0]

    def _parse_related(self, value: Any, dialect: BaseDialect) -> tuple[Any, Any]:
        target: Field = self.target_field
        pk, nested = dialect.related_pk(value, target)
        # The target's own parser: an error names this field, not the related pk.
        return target.parse_wire(pk), nested

    def _read(self, instance: RemoteModel, raw: Any, items: bool = False) -> Any:
        """Return ``(pk, nested row)`` of a wire value (with ``items``, a list of them),
        raising ``InvalidResponseError`` that quotes the whole value."""
        dialect = instance._state.dialect or _PLAIN
        try:
            if items:
                return [self._parse_related(item, dialect) for item in raw]
            return self._parse_related(raw, dialect)
        except (TypeError, ValueError, ArithmeticError, ValidationError) as exc:
            raise self._invalid_wire(raw, str(exc) or type(exc).__name__) from exc


class ForeignKey(RelatedField):
    """A reference to another RemoteModel: the related pk on the wire (or a nested object).

    ``book.author_id`` is always the related pk; ``book.author`` is the related
    instance once loaded. A nested object on the wire (``"author": {"id": 7, ...}``)
    is hydrated as ``book.author`` without a request.
    """

    internal_type = "ForeignKey"

    def get_attname(self) -> str:
        return f"{self.name}_id"

    def contribute_to_class(self, cls: type[RemoteModel], name: str) -> None:
        super().contribute_to_class(cls, name)
        setattr(cls, name, ForwardRelationDescriptor(self))

    def parse_wire(self, value: Any) -> Any:
        return self.parse_pk(value)

    def value_from_wire(self, instance: RemoteModel) -> Any:
        state = instance._state
        wire = state.wire
        raw = None if wire is None else wire.get(self.source)
        if raw is None:
            return super().value_from_wire(instance)  # missing or null: default or error
        pk, nested = self._read(instance, raw)
        if nested is not None:
            related = hydrate_one(self.to, nested, using=state.db, dialect=state.dialect)
            state.cache_relation(self.name, related)
        return pk

    def to_python(self, value: Any) -> Any:
        return self.target_field.to_python(_pk_of(value))

    def to_wire(self, value: Any) -> Any:
        return self.target_field.to_wire(self.to_python(value))


class ManyToManyField(RelatedField):
    """Related objects sent as a list of their pks (``"genres": [1, 2]``).

    ``book.genres_ids`` is the list of pks (assign it and save to change the
    relation); ``book.genres`` is a manager of the related objects
    (``GET genres/?id__in=1,2``), loaded for a whole page with
    ``prefetch_related("genres")``.
    """

    internal_type = "ManyToManyField"

    wire_types = (list,)

    def __init__(
        self,
        to: type[RemoteModel] | str,
        *,
        related_name: str | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("default", list)
        kwargs.setdefault("blank", True)
        super().__init__(to, related_name=related_name, **kwargs)

    def get_attname(self) -> str:
        return f"{self.name}_ids"

    def contribute_to_class(self, cls: type[RemoteModel], name: str) -> None:
        super().contribute_to_class(cls, name)
        setattr(cls, name, ManyRelatedDescriptor(self))

    def parse_wire(self, value: Any) -> Any:
        super().parse_wire(value)
        return [self.parse_pk(item) for item in value]

    def value_from_wire(self, instance: RemoteModel) -> Any:
        wire = instance._state.wire
        raw = None if wire is None else wire.get(self.source)
        if not isinstance(raw, list):
            return super().value_from_wire(instance)
        return [pk for pk, _ in self._read(instance, raw, items=True)]

    def to_python(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
            raise ValidationError("Enter a list of primary keys.", code="invalid")
        target = self.target_field
        return [target.to_python(_pk_of(item)) for item in value]

    def to_wire(self, value: Any) -> Any:
        if value is None:
            return None
        target = self.target_field
        return [target.to_wire(pk) for pk in self.to_python(value)]
