"""Relation fields: ``ForeignKey`` and ``ManyToManyField``.

On the wire a relation is the related pk (or a list of them), or a nested
object the service's dialect reads (``BaseDialect.related_pk``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar, Unpack, overload

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import capfirst

from django_api_orm.dialects.base import BaseDialect
from django_api_orm.hydration import hydrate_one
from django_api_orm.models.descriptors import ForwardRelationDescriptor, ManyRelatedDescriptor
from django_api_orm.models.fields.base import Field, FieldOptions, T, default_blank_choice
from django_api_orm.models.registry import resolve_model
from django_api_orm.state import ModelState

if TYPE_CHECKING:
    from django_api_orm.models.base import RemoteModel
    from django_api_orm.models.queryset import RelatedManager

__all__ = [
    "ForeignKey",
    "ForeignObjectRel",
    "ManyToManyField",
    "ManyToManyRel",
    "ManyToOneRel",
    "RelatedField",
]

#: The related model of a relation declared with its class (a name gives ``Any``).
R = TypeVar("R", bound="RemoteModel")

#: Reads nested objects of rows that came with no dialect (``Model.from_api`` on an embedded model).
_PLAIN = BaseDialect()


def _pk_of(value: Any) -> Any:
    """Return the pk of a model instance, or ``value`` itself (as Django accepts both)."""
    if isinstance(getattr(value, "_state", None), ModelState):
        return value.pk
    return value


class _ImplicitThroughOptions:
    auto_created = True


class _ImplicitThrough:
    """A many-to-many relation's ``through``: the provider's list of pks, no model.
    Django's code asks ``through._meta.auto_created`` (true: nothing to edit apart)."""

    _meta = _ImplicitThroughOptions()


class ForeignObjectRel:
    """The other side of a relation field, as Django's ``ForeignObjectRel``.

    It is the field's ``remote_field`` (``.model`` the target, ``.field`` the
    field) and, in the target's ``_meta.related_objects``, the reverse relation
    (``.related_model`` the model holding the field, ``get_accessor_name()`` the
    reverse manager's name, ``author.books``).
    """

    is_relation = True
    auto_created = True
    concrete = False
    editable = False
    null = True
    empty_strings_allowed = False
    parent_link = False
    on_delete = None
    symmetrical = False
    multiple = True
    through: Any = None

    def __init__(self, field: RelatedField) -> None:
        self.field = field
        #: Django's ``limit_choices_to``: a remote relation sets none.
        self.limit_choices_to: dict[str, Any] = {}

    @property
    def model(self) -> type[RemoteModel]:
        """The model the field points at."""
        return self.field.to

    @property
    def related_model(self) -> type[RemoteModel]:
        """The model holding the field (the reverse side's objects)."""
        return self.field.model

    @property
    def remote_field(self) -> RelatedField:
        return self.field

    @property
    def related_name(self) -> str | None:
        return self.field.related_name

    @property
    def related_query_name(self) -> str:
        return self.field.related_query_name()

    @property
    def name(self) -> str:
        """As Django: the reverse query name (``related_name`` or the model's name)."""
        return self.field.related_query_name()

    @property
    def hidden(self) -> bool:
        return self.is_hidden()

    def is_hidden(self) -> bool:
        """Whether the relation has no reverse accessor (``related_name`` ends in ``+``)."""
        return bool(self.related_name) and str(self.related_name).endswith("+")

    @property
    def many_to_many(self) -> bool | None:
        return self.field.many_to_many

    @property
    def many_to_one(self) -> bool | None:
        return self.field.one_to_many

    @property
    def one_to_many(self) -> bool | None:
        return self.field.many_to_one

    @property
    def one_to_one(self) -> bool | None:
        return self.field.one_to_one

    def get_accessor_name(self, model: type | None = None) -> str | None:
        """The reverse manager's name: ``related_name``, or ``<model_name>_set``."""
        if self.is_hidden():
            return None
        return self.related_name or f"{self.field.model._meta.model_name}_set"

    def get_related_field(self) -> Field:
        """The field of the target the relation stores: its primary key."""
        target: Field = self.field.target_field
        return target

    @property
    def target_field(self) -> Field:
        return self.get_related_field()

    @property
    def field_name(self) -> str:
        return self.get_related_field().name

    def get_internal_type(self) -> str:
        return self.field.get_internal_type()

    def __repr__(self) -> str:
        opts = self.field.model._meta
        return f"<{type(self).__name__}: {opts.app_label}.{opts.model_name}>"


class ManyToOneRel(ForeignObjectRel):
    """The other side of a ``ForeignKey``."""


class ManyToManyRel(ForeignObjectRel):
    """The other side of a ``ManyToManyField``."""

    through = _ImplicitThrough()


class RelatedField(Field[T]):
    """A field naming another RemoteModel (``to``: a class, ``"Name"`` or ``"self"``)."""

    scalar = False

    is_relation = True
    rel_class: ClassVar[type[ForeignObjectRel]] = ForeignObjectRel

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

    @property
    def related_model(self) -> type[RemoteModel]:
        """The model this field points at."""
        return self.to

    @property
    def remote_field(self) -> ForeignObjectRel:
        """The relation object (Django's ``remote_field``): ``.model`` is the target;
        the same object is the target's reverse relation (``_meta.related_objects``)."""
        rel: ForeignObjectRel | None = self.__dict__.get("_rel")
        if rel is None or rel.field is not self:  # a clone has its own
            rel = self.rel_class(self)
            self.__dict__["_rel"] = rel
        return rel

    def related_query_name(self) -> str:
        return self.related_name or self.model._meta.model_name

    def get_limit_choices_to(self) -> dict[str, Any]:
        """Django's ``limit_choices_to``: a remote relation sets none."""
        return self.remote_field.limit_choices_to

    def get_choices(
        self,
        include_blank: bool = True,
        blank_choice: Sequence[tuple[Any, Any]] | None = None,
        limit_choices_to: Any = None,
        ordering: Sequence[str] = (),
    ) -> list[tuple[Any, Any]]:
        """Return ``(pk, str(obj))`` of the related objects (a request, in sync code),
        the blank choice first if asked: Django's admin list filters call it."""
        if self.choices is not None:
            return super().get_choices(include_blank, blank_choice, limit_choices_to, ordering)
        from django_api_orm.models.lookups import Q

        queryset: Any = self.to._default_manager.all()
        if isinstance(limit_choices_to, Q):
            queryset = queryset.filter(limit_choices_to)
        elif limit_choices_to:
            queryset = queryset.filter(**limit_choices_to)
        if ordering:
            queryset = queryset.order_by(*ordering)
        attname = self.target_field.attname
        blank = list(default_blank_choice() if blank_choice is None else blank_choice)
        choices = [(getattr(obj, attname), str(obj)) for obj in queryset]
        return [*blank, *choices] if include_blank else choices

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


class ForeignKey(RelatedField[T]):
    """A reference to another RemoteModel: the related pk on the wire (or a nested object).

    ``book.author_id`` is always the related pk; ``book.author`` is the related
    instance once loaded. A nested object on the wire (``"author": {"id": 7, ...}``)
    is hydrated as ``book.author`` without a request.
    """

    internal_type = "ForeignKey"
    many_to_one = True
    one_to_many = False
    one_to_one = False
    many_to_many = False
    rel_class = ManyToOneRel

    if TYPE_CHECKING:

        @overload
        def __init__(
            self: ForeignKey[R],
            to: type[R],
            *,
            related_name: str | None = ...,
            null: Literal[False] = ...,
            **options: Unpack[FieldOptions],
        ) -> None: ...
        @overload
        def __init__(
            self: ForeignKey[R | None],
            to: type[R],
            *,
            related_name: str | None = ...,
            null: bool,
            **options: Unpack[FieldOptions],
        ) -> None: ...
        @overload
        def __init__(
            self: ForeignKey[Any],
            to: str,
            *,
            related_name: str | None = ...,
            null: bool = ...,
            **options: Unpack[FieldOptions],
        ) -> None: ...
        def __init__(self, *args: Any, **kwargs: Any) -> None: ...

    def get_attname(self) -> str:
        return f"{self.name}_id"

    def formfield(
        self,
        form_class: type[forms.Field] | None = None,
        choices_form_class: type[forms.Field] | None = None,
        **kwargs: Any,
    ) -> forms.Field | None:
        """A ``ModelChoiceField`` over the related model's default manager (lazy: the
        choices are listed when the form renders, in sync code); the one of
        ``django_api_orm.forms``, which names the async recipe in async code."""
        from django_api_orm.forms import ModelChoiceField

        return super().formfield(
            form_class or ModelChoiceField,
            choices_form_class,
            **{"queryset": self.to._default_manager.all(), "blank": self.blank, **kwargs},
        )

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


class ManyToManyField(RelatedField[T]):
    """Related objects sent as a list of their pks (``"genres": [1, 2]``).

    ``book.genres_ids`` is the list of pks (assign it and save to change the
    relation); ``book.genres`` is a manager of the related objects
    (``GET genres/?id__in=1,2``), loaded for a whole page with
    ``prefetch_related("genres")``.
    """

    internal_type = "ManyToManyField"
    many_to_one = False
    one_to_many = False
    one_to_one = False
    many_to_many = True
    rel_class = ManyToManyRel

    wire_types = (list,)

    if TYPE_CHECKING:
        # ``book.genres = [genre, 2]`` sets the list of pks (instances or pks).
        def __set__(  # type: ignore[override]
            self, instance: RemoteModel, value: Iterable[Any] | None
        ) -> None: ...

    if TYPE_CHECKING:

        @overload
        def __init__(
            self: ManyToManyField[RelatedManager[R]],
            to: type[R],
            *,
            related_name: str | None = ...,
            null: bool = ...,
            **options: Unpack[FieldOptions],
        ) -> None: ...
        @overload
        def __init__(
            self: ManyToManyField[RelatedManager[Any]],
            to: str,
            *,
            related_name: str | None = ...,
            null: bool = ...,
            **options: Unpack[FieldOptions],
        ) -> None: ...

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

    def formfield(
        self,
        form_class: type[forms.Field] | None = None,
        choices_form_class: type[forms.Field] | None = None,
        **kwargs: Any,
    ) -> forms.Field | None:
        """A ``ModelMultipleChoiceField`` over the related model's default manager: the
        one of ``django_api_orm.forms``, which checks the chosen pks with one
        ``pk__in`` request, or detail GETs where the provider has no ``__in``."""
        from django_api_orm.forms import ModelMultipleChoiceField

        defaults: dict[str, Any] = {
            "queryset": self.to._default_manager.all(),
            "required": not self.blank,
            "label": capfirst(self.verbose_name),
            "help_text": self.help_text,
            **kwargs,
        }
        return (form_class or ModelMultipleChoiceField)(**defaults)

    def m2m_target_field_name(self) -> str:
        """The related model's field the relation holds (its pk), as Django's: the admin's
        ``to_field_allowed()`` asks it."""
        return str(self.target_field.name)

    def value_from_object(self, obj: RemoteModel) -> Any:
        """The list of related pks (no request; a form's choices take pks)."""
        return list(getattr(obj, self.attname) or ())

    def value_to_string(self, obj: RemoteModel) -> str:
        return str(self.to_wire(self.value_from_object(obj)))

    def save_form_data(self, instance: RemoteModel, data: Any) -> None:
        """Set the related pks from what a form cleaned (objects or pks).

        The relation is saved *with* the object, in its one write: Django's
        ``construct_instance()`` calls this before ``save()`` (a many-to-many
        field is in ``_meta.fields``). Django's ``save_m2m()`` calls it again
        after the save: the same pks then change nothing (no request, nothing
        left to save).
        """
        pks = self.to_python([] if data is None else _without_request(data))
        current = getattr(instance, self.attname)
        if current is not None and len(current) == len(pks) and set(current) == set(pks):
            return  # the same relation (in whatever order the provider keeps it)
        setattr(instance, self.attname, pks)
        if instance._state.prefetched:
            instance._state.prefetched.pop(self.name, None)  # stale now

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


def _without_request(data: Any) -> Any:
    """Return ``data``; an empty queryset (``none()``) as ``[]`` without evaluating it."""
    query = getattr(data, "_query", None)
    if query is not None and getattr(query, "is_empty", False):
        return []
    return data
