"""``RemoteModel``: the metaclass that reads fields and ``class Meta``, and the instance API."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Self, TypeVar, overload

from django.core import exceptions as django_exceptions
from django.core.exceptions import SynchronousOnlyOperation, ValidationError
from django.utils.functional import classproperty

from django_api_orm.exceptions import InvalidResponseError
from django_api_orm.hydration import hydrate
from django_api_orm.models import actions, persistence
from django_api_orm.models.fields import Field, IntegerField
from django_api_orm.models.fields.base import EMPTY_VALUES
from django_api_orm.models.manager import BaseManager
from django_api_orm.models.options import INHERITED_FROM_CONCRETE, Options
from django_api_orm.models.queryset import Manager
from django_api_orm.models.registry import register, registered_models, resolve_model
from django_api_orm.models.relations import contribute_reverse_relations
from django_api_orm.models.sync import sync_twin
from django_api_orm.services import services
from django_api_orm.state import ModelState

__all__ = ["RemoteModel", "registered_models", "resolve_model"]

M = TypeVar("M", bound="RemoteModel")

if TYPE_CHECKING:

    class _DefaultManager:
        """What type checkers see of ``Model.objects`` when a model declares no manager:
        ``Book.objects`` is a ``Manager[Book]``; ``book.objects`` is an error, as at run
        time. A model that declares ``objects = BookManager()`` gets its own type."""

        def __get__(self, instance: None, owner: type[M]) -> Manager[M]: ...

    class _DefaultBaseManager:
        """``Model._default_manager``: a ``BaseManager`` of the model."""

        def __get__(self, instance: None, owner: type[M]) -> BaseManager[M]: ...


def _subclass_exception(
    name: str, bases: tuple[type[BaseException], ...], module: str, model: type
) -> type[BaseException]:
    return type(name, bases, {"__module__": module, "__qualname__": f"{model.__qualname__}.{name}"})


class RemoteModelBase(type):
    """Metaclass for RemoteModel: collects fields, builds ``_meta``, managers and exceptions."""

    def __iter__(cls) -> Iterator[Any]:
        """Yield the model class itself: ``admin.site.register(Book, RemoteModelAdmin)``.

        Django's ``AdminSite.register()`` takes "a model or an iterable of models" and
        tells them apart with ``isinstance(model, ModelBase)``, which a RemoteModel is
        not (it has no table); iterating a RemoteModel class gives the one model.
        """
        yield cls

    def __new__(
        mcs, name: str, bases: tuple[type, ...], attrs: dict[str, Any], **kwargs: Any
    ) -> RemoteModelBase:
        # RemoteModel itself has no _meta: only its subclasses are models.
        parents: list[Any] = [b for b in bases if hasattr(b, "_meta")]
        if not any(isinstance(b, RemoteModelBase) for b in bases):
            return super().__new__(mcs, name, bases, attrs, **kwargs)

        meta = attrs.pop("Meta", None)
        contributable = {
            key: value for key, value in attrs.items() if isinstance(value, Field | BaseManager)
        }
        plain = {key: value for key, value in attrs.items() if key not in contributable}
        cls: Any = super().__new__(mcs, name, bases, plain, **kwargs)

        if meta is None:
            # As Django: a model without Meta inherits an abstract parent's (not ``abstract``).
            abstract_meta = next(
                (p._meta_class for p in parents if p._meta.abstract and p._meta_class), None
            )
            if abstract_meta is not None:
                meta = type("Meta", (abstract_meta,), {})
        opts = Options(meta, model_name=name, module=attrs["__module__"])
        opts.model = cls
        cls._meta = opts
        cls._meta_class = meta
        if opts.abstract and meta is not None:
            cls.Meta = meta  # as Django: subclasses may write ``class Meta(Base.Meta)``
        if "embedded" not in opts.original_attrs:
            # The subclass of a record is a record (Meta.embedded may say otherwise).
            opts.embedded = any(p._meta.embedded for p in parents)
        concrete_parents = [p for p in parents if not p._meta.abstract and not p._meta.embedded]
        for option in INHERITED_FROM_CONCRETE:
            if option not in opts.original_attrs and concrete_parents:
                setattr(opts, option, getattr(concrete_parents[0]._meta, option))

        mcs._add_fields(cls, parents, attrs, contributable)
        if not opts.abstract and not opts.embedded:
            if not opts.endpoint:
                raise TypeError(
                    f"{name} must set Meta.endpoint (the list URL relative to the service's "
                    "BASE_URL, e.g. 'books/'), or Meta.abstract or Meta.embedded."
                )
            mcs._add_exceptions(cls, concrete_parents)
        mcs._add_managers(cls, contributable)
        for field in opts.fields:
            if field.choices:
                mcs._add_display(cls, field)
        if not opts.abstract and not opts.embedded:
            register(cls)
            # Reverse managers (``author.books``) for the foreign keys declared here;
            # inherited ones keep the reverse accessor of the class that declared them.
            contribute_reverse_relations(f for f in contributable.values() if isinstance(f, Field))
        return cls  # type: ignore[no-any-return]

    @staticmethod
    def _add_fields(
        cls: Any, parents: list[Any], attrs: dict[str, Any], contributable: dict[str, Any]
    ) -> None:
        opts: Options = cls._meta
        declared = {k: v for k, v in contributable.items() if isinstance(v, Field)}
        for parent in reversed(cls.__mro__[1:]):
            parent_opts = parent.__dict__.get("_meta")
            if parent_opts is None:
                continue
            for field in parent_opts.fields:
                # A name set in the class body (a field, or None) overrides the parent's field;
                # an implicit ``id`` is made afresh, so a subclass may declare its own pk.
                if field.name not in attrs and not field.auto_created:
                    field.clone().contribute_to_class(cls, field.name)
        for key, field in sorted(declared.items(), key=lambda kv: kv[1].creation_counter):
            field.contribute_to_class(cls, key)

        pk_fields = [f for f in opts.fields if f.primary_key]
        if len(pk_fields) > 1:
            names = ", ".join(f.name for f in pk_fields)
            raise TypeError(f"{cls.__name__} declares more than one primary key field: {names}.")
        if not pk_fields and not opts.abstract and not opts.embedded:
            if "id" in opts._by_name:
                raise TypeError(
                    f"{cls.__name__}.id is not the primary key, and a model without one "
                    "gets 'id' as its primary key. Mark a field primary_key=True."
                )
            auto = IntegerField(primary_key=True, read_only=True)
            auto.auto_created = True
            auto.creation_counter = -1
            auto.contribute_to_class(cls, "id")
        opts.check_fields()

    @staticmethod
    def _add_exceptions(cls: Any, concrete_parents: list[Any]) -> None:
        does_not_exist = tuple(p.DoesNotExist for p in concrete_parents) or (
            django_exceptions.ObjectDoesNotExist,
        )
        multiple = tuple(p.MultipleObjectsReturned for p in concrete_parents) or (
            django_exceptions.MultipleObjectsReturned,
        )
        cls.DoesNotExist = _subclass_exception("DoesNotExist", does_not_exist, cls.__module__, cls)
        cls.MultipleObjectsReturned = _subclass_exception(
            "MultipleObjectsReturned", multiple, cls.__module__, cls
        )

    @staticmethod
    def _add_managers(cls: Any, contributable: dict[str, Any]) -> None:
        """Attach declared managers, then inherited ones; ``objects`` if there are none.

        As in Django, the default manager is the first one declared on the class,
        else the first of its nearest parent that has one.
        """
        opts: Options = cls._meta
        declared = sorted(
            ((k, v) for k, v in contributable.items() if isinstance(v, BaseManager)),
            key=lambda kv: kv[1].creation_counter,
        )
        opts.local_managers = [manager for _, manager in declared]
        managers: list[tuple[str, BaseManager[Any]]] = list(declared)
        taken = {key for key, _ in declared}
        for parent in cls.__mro__[1:]:
            parent_opts = parent.__dict__.get("_meta")
            for manager in parent_opts.local_managers if parent_opts else ():
                name = manager.name
                if name is not None and name not in taken and name not in vars(cls):
                    taken.add(name)
                    managers.append((name, manager._copy()))
        if opts.abstract or opts.embedded:
            for key, manager in declared:
                manager.name = key  # for subclasses; an abstract model cannot be queried
            return
        if not managers:
            manager = Manager()
            opts.local_managers = [manager]
            managers = [("objects", manager)]
        for key, manager in managers:
            manager.contribute_to_class(cls, key)
        cls._default_manager = getattr(cls, managers[0][0])
        opts.managers = [getattr(cls, key) for key, _ in managers]

    @staticmethod
    def _add_display(cls: Any, field: Field) -> None:
        def display(self: RemoteModel, _field: Field = field) -> Any:
            value = getattr(self, _field.attname)
            # The provider's own label, when it sent one with this very value.
            label = _field.wire_label(self, value)
            if label is not None:
                return label
            for key, label in _field.flatchoices:
                if key == value:
                    return label
            return value

        display.__name__ = f"get_{field.name}_display"
        display.__qualname__ = f"{cls.__qualname__}.{display.__name__}"
        display.__doc__ = f"Return the human-readable label of {field.name}."
        if display.__name__ not in cls.__dict__:
            setattr(cls, display.__name__, display)


class RemoteModel(metaclass=RemoteModelBase):
    """A resource of a remote REST API, declared and queried like a Django model."""

    _meta: ClassVar[Options]
    _meta_class: ClassVar[type | None]
    DoesNotExist: ClassVar[type[django_exceptions.ObjectDoesNotExist]]
    MultipleObjectsReturned: ClassVar[type[django_exceptions.MultipleObjectsReturned]]

    if TYPE_CHECKING:
        # Set by the metaclass; typed by the model class they are read on.
        _default_manager = _DefaultBaseManager()
        objects = _DefaultManager()

        # What the metaclass and the fields add under names the class body does not
        # declare (``book.author_id``, ``book.genres_ids``, ``book.id`` when implicit,
        # ``book.get_status_display()``, reverse managers such as ``author.books``)
        # reads as ``Any``; a declared field keeps its type.
        def __getattr__(self, name: str) -> Any: ...

    #: Where the instance came from: its row, service alias, relations (Django's ``_state``).
    _state: ModelState

    @classproperty
    def _base_manager(cls) -> BaseManager[Any]:
        """A plain manager of the model, as Django's ``Model._base_manager``."""
        return cls._meta.base_manager

    def __init__(self, **kwargs: Any) -> None:
        opts = self._meta
        if opts.abstract:
            raise TypeError(f"{type(self).__name__} is abstract and cannot be instantiated.")
        self._state = ModelState()
        for field in opts.fields:
            if field.name in kwargs:
                setattr(self, field.name, kwargs.pop(field.name))
            elif field.attname in kwargs:
                setattr(self, field.attname, kwargs.pop(field.attname))
            else:
                setattr(self, field.attname, field.get_default())
        if "pk" in kwargs and not opts.embedded:
            self.pk = kwargs.pop("pk")
        if kwargs:
            raise TypeError(
                f"{type(self).__name__}() got unexpected keyword argument(s): "
                f"{', '.join(sorted(kwargs))}. Fields are: {', '.join(opts.field_names)}."
            )

    @classmethod
    def from_api(cls, data: dict[str, Any], *, using: str | None = None) -> Self:
        """Return an instance over one record the service sent, as the ORM makes them.

        ``data`` is one JSON object as the provider sends it: a detail answer, or
        one row of a list's results (wire names, nested objects and all). Use it
        for what the client returns from an endpoint the ORM does not map::

            response = await services["default"].get("books/featured/")
            book = Book.from_api(response.data)

        Nothing is converted or checked yet: each field converts on first access,
        and a value that does not fit its field raises ``InvalidResponseError``
        then, as with rows the ORM reads. The instance keeps ``data`` itself (no
        copy); do not change it afterwards. ``using`` names the service alias the
        record came from (default: the model's own); saving the instance goes
        back to it, and its dialect reads the record's nested objects and
        choices.
        """
        return cls.from_api_list((data,), using=using)[0]

    @classmethod
    def from_api_list(
        cls, data: Iterable[dict[str, Any]], *, using: str | None = None
    ) -> list[Self]:
        """Return an instance over each record of ``data``, in order: :meth:`from_api`
        for many records at once, at the ORM's own speed.

        ``data`` is a list (or any iterable) of JSON objects, e.g. a page's rows
        (``response.data["results"]`` for Django REST framework's pagination).
        A record that is not a JSON object raises ``InvalidResponseError``.
        """
        opts = cls._meta
        if opts.abstract:
            raise TypeError(f"{cls.__name__} is abstract and cannot be instantiated.")
        if isinstance(data, Mapping | str | bytes | bytearray):
            raise TypeError(
                f"{cls.__name__}.from_api_list() takes a list of records, got a "
                f"{type(data).__name__}. Pass one record to {cls.__name__}.from_api(), or "
                "a page's rows (for Django REST framework: data['results'])."
            )
        db = dialect = None
        if opts.embedded:
            if using is not None:
                raise TypeError(f"{cls.__name__} is an embedded record and has no service.")
        else:
            alias = opts.service if using is None else using
            dialect = services.dialect(alias)  # an unknown alias raises ImproperlyConfigured
            db = None if alias == opts.service else alias  # as the ORM's own rows
        return hydrate(cls, data, where=f"{cls.__name__}.from_api", using=db, dialect=dialect)

    def get_deferred_fields(self) -> set[str]:
        """Return the attnames of the fields neither in the server's row nor set here."""
        wire = self._state.wire
        if wire is None:
            return set()
        local = vars(self)
        return {
            f.attname for f in self._meta.fields if f.source not in wire and f.attname not in local
        }

    # --- identity -----------------------------------------------------------

    @property
    def pk(self) -> Any:
        """The primary key's value, whatever the pk field is called."""
        return getattr(self, self._pk_field().attname)

    @pk.setter
    def pk(self, value: Any) -> None:
        setattr(self, self._pk_field().attname, value)

    def _get_pk_val(self, meta: Options | None = None) -> Any:
        """The primary key's value (Django's name, which its forms call)."""
        return self.pk

    def _is_pk_set(self, meta: Options | None = None) -> bool:
        """Whether the primary key has a value (Django's name, which its forms call)."""
        return self.pk is not None

    @classmethod
    def _pk_field(cls) -> Field:
        try:
            return cls._meta.pk
        except AttributeError:
            raise AttributeError(
                f"{cls.__name__} is an embedded record and has no primary key."
            ) from None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RemoteModel):
            return NotImplemented
        if type(self) is not type(other):
            return False
        if self._meta.embedded:
            # A record has no identity: equal when every value is.
            return self is other or all(
                getattr(self, f.attname) == getattr(other, f.attname) for f in self._meta.fields
            )
        pk = self.pk
        if pk is None:
            return self is other
        return bool(pk == other.pk)

    def __hash__(self) -> int:
        if self._meta.embedded:
            raise TypeError(f"{type(self).__name__} is an embedded record and is unhashable.")
        pk = self.pk
        if pk is None:
            raise TypeError("RemoteModel instances without primary key value are unhashable")
        return hash((type(self), pk))

    def __repr__(self) -> str:
        """``<Book: {str(book)}>`` as Django's; a record without its own ``__str__``
        shows its values."""
        name = type(self).__name__
        try:
            if self._meta.embedded and type(self).__str__ is RemoteModel.__str__:
                values = {f.name: getattr(self, f.attname) for f in self._meta.fields}
                return f"<{name}: {values!r}>"
            return f"<{name}: {self}>"
        except InvalidResponseError:
            # A repr must not raise: show what the server sent instead.
            return f"<{name}: invalid row {self._state.wire!r}>"
        except SynchronousOnlyOperation:
            # A __str__ reading a deferred field in async code: no request from a repr.
            return f"<{name}: {RemoteModel.__str__(self)}>"

    def __str__(self) -> str:
        if self._meta.embedded:
            return f"{type(self).__name__} record"
        return f"{type(self).__name__} object ({self.pk})"

    def __reduce__(self) -> Any:
        values = dict(vars(self))
        # A copy must not share its loaded relations with the original.
        values["_state"] = self._state.copy()
        return (_unpickle, (type(self), values))

    # --- wire ---------------------------------------------------------------

    def _to_wire_dict(self, fields: Iterable[Field] | None = None) -> dict[str, Any]:
        """Return the JSON body of ``fields`` (default: every writable field).

        A value that cannot be converted raises ``ValidationError`` keyed by its field.
        """
        chosen = self._meta.writable_fields if fields is None else fields
        body: dict[str, Any] = {}
        errors: dict[str, list[ValidationError]] = {}
        for field in chosen:
            try:
                body[field.source] = field.to_wire(getattr(self, field.attname))
            except ValidationError as exc:
                errors[field.name] = _error_list(exc)
        if errors:
            raise ValidationError(errors)
        return body

    def serializable_value(self, field_name: str) -> Any:
        """Return the value of ``field_name``; a foreign key's is the related pk."""
        try:
            field = self._meta.get_field(field_name)
        except django_exceptions.FieldDoesNotExist:
            return getattr(self, field_name)
        return getattr(self, field.attname)

    # --- writes -------------------------------------------------------------

    async def asave(
        self,
        *,
        update_fields: Iterable[str] | None = None,
        force_insert: bool = False,
        using: str | None = None,
    ) -> None:
        """Save to the service: POST when new, PUT when saved, PATCH with ``update_fields``.

        With ``Meta.save_changed_only``, a saved instance PATCHes only the fields
        changed since it was loaded (nothing changed: no request). The instance
        then holds the server's answer.
        """
        await persistence.save_instance(
            self, update_fields=update_fields, force_insert=force_insert, using=using
        )

    async def adelete(self, *, using: str | None = None) -> tuple[int, dict[str, int]]:
        """DELETE this object; its pk is then None. Return ``(1, {label: 1})`` as Django."""
        await persistence.delete_instance(self, using=using)
        return 1, {self._meta.label: 1}

    async def arefresh_from_db(
        self, *, using: str | None = None, fields: Sequence[str] | None = None
    ) -> None:
        """Reload this object (or only ``fields``) from its detail URL."""
        await persistence.refresh_instance(self, fields=fields, using=using)

    @overload
    async def acall(
        self,
        action: str,
        *,
        method: str = ...,
        data: Any = ...,
        params: actions.QueryParams | None = ...,
        as_instances: Literal[False] = ...,
    ) -> Any: ...
    @overload
    async def acall(
        self,
        action: str,
        *,
        method: str = ...,
        data: Any = ...,
        params: actions.QueryParams | None = ...,
        as_instances: Literal[True],
    ) -> Self | list[Self] | None: ...
    async def acall(
        self,
        action: str,
        *,
        method: str = "GET",
        data: Any = None,
        params: actions.QueryParams | None = None,
        as_instances: bool = False,
    ) -> Any:
        """Call the route ``action`` of this object: ``POST books/3/publish/``.

        For the routes beyond CRUD (Django REST framework's ``@action(detail=True)``),
        below the detail URL ``aget()`` and ``asave()`` use. ``data`` is the JSON
        body, ``params`` the query string. Return the parsed answer, or with
        ``as_instances=True`` instances of this model (one for an object, a list
        for a list or a page, ``None`` for an empty answer); this instance itself
        is left as it was. Any method but GET, HEAD and OPTIONS invalidates the
        model's cached answers.
        """
        return await actions.call_detail_action(
            self, action, method=method, data=data, params=params, as_instances=as_instances
        )

    save = sync_twin(asave, receiver="obj")
    delete = sync_twin(adelete, receiver="obj")
    refresh_from_db = sync_twin(arefresh_from_db, receiver="obj")

    if TYPE_CHECKING:
        # The twin of each overload of acall() (sync_twin() keeps one signature only).
        @overload
        def call(
            self,
            action: str,
            *,
            method: str = ...,
            data: Any = ...,
            params: actions.QueryParams | None = ...,
            as_instances: Literal[False] = ...,
        ) -> Any: ...
        @overload
        def call(
            self,
            action: str,
            *,
            method: str = ...,
            data: Any = ...,
            params: actions.QueryParams | None = ...,
            as_instances: Literal[True],
        ) -> Self | list[Self] | None: ...
        def call(self, *args: Any, **kwargs: Any) -> Any: ...
    else:
        call = sync_twin(acall, receiver="obj")

    # --- validation ---------------------------------------------------------

    def clean_fields(self, exclude: Iterable[str] | None = None) -> None:
        """Clean every writable field; raise ``ValidationError`` keyed by field name."""
        skip = set(exclude or ())
        errors: dict[str, list[ValidationError]] = {}
        for field in self._meta.fields:
            if field.name in skip or field.read_only:
                continue
            raw = getattr(self, field.attname)
            if field.blank and raw in EMPTY_VALUES:
                continue
            try:
                setattr(self, field.attname, field.clean(raw, self))
            except ValidationError as exc:
                errors[field.name] = _error_list(exc)
        if errors:
            raise ValidationError(errors)

    def clean(self) -> None:
        """Hook for cross-field validation; raise ``ValidationError``."""

    def full_clean(
        self,
        exclude: Iterable[str] | None = None,
        validate_unique: bool = True,
        validate_constraints: bool = True,
    ) -> None:
        """Call ``clean_fields()`` and ``clean()``; raise one ``ValidationError`` of all errors.

        ``validate_unique`` and ``validate_constraints`` are accepted for Django's
        callers; uniqueness lives on the server, which answers 400 (``BadRequestError``).
        """
        exclude = set(exclude or ())
        errors: dict[str, list[ValidationError]] = {}
        try:
            self.clean_fields(exclude)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        try:
            self.clean()
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def validate_unique(self, exclude: Iterable[str] | None = None) -> None:
        """Do nothing: uniqueness is the provider's to check, when the object is saved.

        Django's ``ModelForm`` calls this after ``full_clean()``. A remote model
        declares no unique fields: asking the provider here would cost a request
        per field and still race with other writers. A duplicate is refused by
        the provider's 400 on save (``BadRequestError``, a ``ValidationError``
        keyed by field): ``form.add_error(None, error)`` shows it on its field.
        """

    def validate_constraints(self, exclude: Iterable[str] | None = None) -> None:
        """Do nothing: a remote model's constraints are the provider's (see
        :meth:`validate_unique`)."""

    def _get_unique_checks(
        self, exclude: Iterable[str] | None = None, include_meta_constraints: bool = False
    ) -> tuple[list[Any], list[Any]]:
        """No unique checks, nor date checks: Django's model formsets ask for them."""
        return [], []


def _error_list(error: ValidationError) -> list[ValidationError]:
    """Return ``error``'s messages as a list, flattening a dict of them (a nested record's)."""
    if hasattr(error, "error_dict"):
        return [
            ValidationError(f"{name}: {message}")
            for name, messages in error.message_dict.items()
            for message in messages
        ]
    return error.error_list


def _unpickle(model: type[RemoteModel], state: dict[str, Any]) -> RemoteModel:
    obj = model.__new__(model)
    vars(obj).update(state)
    return obj
