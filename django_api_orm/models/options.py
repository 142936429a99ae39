"""``Options``: a RemoteModel's ``_meta``, built from its ``class Meta``."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import FieldDoesNotExist
from django.utils.text import camel_case_to_spaces

if TYPE_CHECKING:
    from django_api_orm.models.base import RemoteModel
    from django_api_orm.models.fields import Field
    from django_api_orm.models.manager import BaseManager

#: Every name ``class Meta`` may set; any other raises ``TypeError`` naming it.
META_OPTIONS = frozenset(
    {
        "abstract",
        "app_label",
        "cache_timeout",
        "embedded",
        "endpoint",
        "exclude_filters",
        "filter_fields",
        "get_latest_by",
        "ordering",
        "ordering_fields",
        "pagination",
        "save_changed_only",
        "service",
        "verbose_name",
        "verbose_name_plural",
    }
)

#: Options a concrete model passes to its subclasses when their Meta does not set them.
INHERITED_FROM_CONCRETE = ("service", "ordering", "get_latest_by")


def _cache_timeout(model_name: str, value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise TypeError(
            f"{model_name}.Meta.cache_timeout must be a number of seconds >= 0 (0: never "
            f"cached), not {value!r}."
        )
    return float(value)


def meta_attrs(meta: type | None) -> dict[str, Any]:
    """Return the options ``meta`` sets, with those of the Meta classes it subclasses.

    As in Django, ``abstract`` counts only where it is written: the child of an
    abstract model's ``class Meta(Base.Meta)`` is not abstract itself.
    """
    if meta is None:
        return {}
    attrs: dict[str, Any] = {}
    for klass in reversed(meta.__mro__):
        if klass is not object:
            attrs.update((k, v) for k, v in vars(klass).items() if not k.startswith("_"))
    if "abstract" not in vars(meta):
        attrs.pop("abstract", None)
    return attrs


class Options:
    """The metadata of one RemoteModel class, Django's ``_meta`` for remote resources."""

    def __init__(self, meta: type | None, *, model_name: str, module: str) -> None:
        attrs = meta_attrs(meta)
        unknown = sorted(set(attrs) - META_OPTIONS)
        if unknown:
            raise TypeError(
                f"'class Meta' of {model_name} got invalid attribute(s): {', '.join(unknown)}. "
                f"Valid options are: {', '.join(sorted(META_OPTIONS))}."
            )
        check = _Checker(model_name, attrs)
        #: The options ``class Meta`` set, as Django's ``original_attrs``.
        self.original_attrs = attrs
        self.model: type[RemoteModel]
        self.pk: Field
        self.object_name = model_name
        self.model_name = model_name.lower()
        self.module = module
        self.abstract: bool = check.boolean("abstract")
        self.embedded: bool = check.boolean("embedded")
        self._app_label: str | None = check.string("app_label")
        self.service: str = check.string("service") or "default"
        self.endpoint: str | None = check.string("endpoint")
        #: The ``{field}`` placeholders of a nested endpoint (``"authors/{author}/books/"``).
        self.path_parents: tuple[str, ...] = tuple(re.findall(r"{(\w+)}", self.endpoint or ""))
        self.ordering: tuple[str, ...] = check.strings("ordering") or ()
        ordering_fields = check.strings("ordering_fields")
        self.ordering_fields: frozenset[str] | None = (
            None if ordering_fields is None else frozenset(ordering_fields)
        )
        self.filter_fields: dict[str, frozenset[str]] | None = _filter_fields(
            model_name, attrs.get("filter_fields")
        )
        self.exclude_filters: dict[str, str] = check.string_map("exclude_filters")
        self.pagination: Mapping[str, Any] | None = check.mapping("pagination")
        latest = attrs.get("get_latest_by")
        self.get_latest_by: str | Sequence[str] | None = (
            latest if latest is None or isinstance(latest, str) else check.strings("get_latest_by")
        )
        self.save_changed_only: bool = check.boolean("save_changed_only")
        #: Seconds its answers stay fresh in the service's ``CACHE`` (``None``: the
        #: service's ``TIMEOUT``; ``0``: never cached).
        self.cache_timeout: float | None = _cache_timeout(model_name, attrs.get("cache_timeout"))
        self.verbose_name: str = check.string("verbose_name") or camel_case_to_spaces(model_name)
        self.verbose_name_plural: str = check.string("verbose_name_plural") or (
            self.verbose_name + "s"
        )
        self.fields: list[Field] = []
        self._by_name: dict[str, Field] = {}
        #: Managers declared on this class (Django's ``local_managers``), for subclasses.
        self.local_managers: list[BaseManager[Any]] = []
        #: Every manager of the model, the default one first (Django's ``managers``).
        self.managers: list[BaseManager[Any]] = []
        self._base_manager: BaseManager[Any] | None = None
        #: Django's generic relations and other private fields: a remote model has none.
        self.private_fields: list[Any] = []
        #: Multi-table inheritance parents: a remote model has none (each is one endpoint).
        self.parents: dict[type, Any] = {}

    # --- what Django's own code reads (forms, the admin, serializers, filters) ---

    #: A remote model is its own concrete model: no proxies, no swapping, no tables.
    proxy = False
    swapped = None
    managed = False
    auto_created = False
    #: Uniqueness is the provider's to check (a duplicate answers 400): nothing local.
    unique_together: tuple[tuple[str, ...], ...] = ()
    constraints: tuple[Any, ...] = ()
    total_unique_constraints: tuple[Any, ...] = ()
    indexes: tuple[Any, ...] = ()
    order_with_respect_to = None
    default_permissions = ("add", "change", "delete", "view")
    permissions: tuple[tuple[str, str], ...] = ()

    @property
    def concrete_model(self) -> type[RemoteModel]:
        """The model itself (Django's ``concrete_model``; a remote model is no proxy)."""
        return self.model

    @property
    def concrete_fields(self) -> list[Field]:
        """Every field but the many-to-many ones (Django keeps those apart)."""
        return [f for f in self.fields if not f.many_to_many]

    @property
    def local_fields(self) -> list[Field]:
        """As ``concrete_fields``: every field of a remote model is its own."""
        return self.concrete_fields

    @property
    def local_concrete_fields(self) -> list[Field]:
        return self.concrete_fields

    @property
    def many_to_many(self) -> list[Field]:
        """The ``ManyToManyField``s (also in ``fields``: a form saves them with the object)."""
        return [f for f in self.fields if f.many_to_many]

    @property
    def local_many_to_many(self) -> list[Field]:
        return self.many_to_many

    @property
    def related_objects(self) -> list[Any]:
        """The reverse relations: one ``ManyToOneRel`` (or ``ManyToManyRel``) for each
        foreign key (or many-to-many field) of a declared model pointing at this one.

        Each is the ``remote_field`` of that field, as in Django; hidden ones
        (``related_name`` ending in ``+``) are included, as Django's are.
        """
        from django_api_orm.models.registry import registered_models

        rels = []
        for model in registered_models():
            for field in model._meta.fields:
                if not field.is_relation or field.inherited:
                    continue
                try:
                    target = field.related_model
                except LookupError:
                    continue  # a lazy reference to a model not declared yet
                if target is self.model:
                    rels.append(field.remote_field)
        return rels

    def get_fields(
        self, include_parents: bool = True, include_hidden: bool = False
    ) -> tuple[Any, ...]:
        """Return the reverse relations, then every field, as Django's ``get_fields()``.

        Hidden reverse relations (``related_name="...+"``) only with
        ``include_hidden=True``. ``include_parents`` is accepted for Django's
        callers: a remote model has no parent tables.
        """
        reverse = [r for r in self.related_objects if include_hidden or not r.hidden]
        return (*reverse, *self.fields)

    @property
    def fields_map(self) -> dict[str, Any]:
        """Every field and reverse relation by name (fields also by attname)."""
        out: dict[str, Any] = {r.name: r for r in self.related_objects}
        for field in self.fields:
            out[field.name] = out[field.attname] = field
        return out

    @property
    def default_manager(self) -> BaseManager[Any] | None:
        """The model's default manager (the first declared; ``objects`` if none)."""
        return self.managers[0] if self.managers else None

    @property
    def base_manager(self) -> BaseManager[Any]:
        """A plain ``Manager`` of the model, as Django's ``_base_manager``: every
        object the provider lists, whatever the default manager filters out."""
        if self._base_manager is None:
            from django_api_orm.models.queryset import Manager

            manager: BaseManager[Any] = Manager()
            manager.name = "_base_manager"
            manager.model = self.model
            manager.auto_created = True  # type: ignore[attr-defined]
            self._base_manager = manager
        return self._base_manager

    @property
    def app_config(self) -> Any:
        """The ``AppConfig`` of ``app_label`` (``None`` if it is no installed app)."""
        from django.apps import apps

        return apps.app_configs.get(self.app_label)

    @property
    def verbose_name_raw(self) -> str:
        return str(self.verbose_name)

    @property
    def pk_name(self) -> str:
        return self.pk.name

    #: Django 5.2's ``AdminSite.register()`` refuses composite primary keys; a remote
    #: model has one ``pk`` field.
    is_composite_pk = False

    # --- fields -------------------------------------------------------------

    def add_field(self, field: Field) -> None:
        """Register ``field``, keeping declaration order, replacing an inherited one."""
        old = next((f for f in self.fields if f.name == field.name), None)
        if old is not None:
            self.fields.remove(old)
            self._by_name.pop(old.attname, None)
            if getattr(self, "pk", None) is old:
                del self.pk
        self.fields.append(field)
        self.fields.sort(key=lambda f: f.creation_counter)
        self._by_name[field.name] = field
        if field.attname != field.name:
            self._by_name[field.attname] = field
        if field.primary_key:
            self.pk = field

    def check_fields(self) -> None:
        """Raise ``TypeError`` for field names that cannot work: as Django's field checks."""
        attnames: dict[str, Field] = {}
        sources: dict[str, Field] = {}
        for field in self.fields:
            name = field.name
            if name == "pk" or "__" in name or name.endswith("_"):
                raise TypeError(
                    f"{self.object_name}.{name}: a field name cannot be 'pk', contain '__' "
                    "or end with '_' (lookups like 'title__in' are split on '__')."
                )
            for key, seen, what in (
                (field.attname, attnames, "attribute"),
                (field.source, sources, "wire key (source)"),
            ):
                other = seen.setdefault(key, field)
                if other is not field:
                    raise TypeError(
                        f"{self.object_name}.{name} and {self.object_name}.{other.name} "
                        f"both use the {what} {key!r}."
                    )
        names = {f.name for f in self.fields}
        clash = sorted(a for a in attnames if a in names and attnames[a].name != a)
        if clash:
            raise TypeError(
                f"{self.object_name}: the field {clash[0]!r} clashes with the attribute of "
                f"the foreign key {attnames[clash[0]].name!r}."
            )

    def get_field(self, name: str) -> Field:
        """Return the field called ``name`` (or its attname); ``pk`` names the primary key."""
        if name == "pk" and hasattr(self, "pk"):
            return self.pk
        try:
            return self._by_name[name]
        except KeyError:
            raise FieldDoesNotExist(
                f"{self.object_name} has no field named '{name}'. "
                f"Choices are: {', '.join(self.field_names)}."
            ) from None

    @property
    def field_names(self) -> list[str]:
        """The names of the fields, in declaration order."""
        return [f.name for f in self.fields]

    @property
    def writable_fields(self) -> list[Field]:
        """The fields a write sends (every field but the read-only ones)."""
        return [f for f in self.fields if not f.read_only]

    # --- names --------------------------------------------------------------

    @property
    def app_label(self) -> str:
        """The containing installed app's label; the module's package before apps load."""
        if self._app_label is not None:
            return self._app_label
        from django.apps import apps

        if not apps.apps_ready:
            return self.module.split(".")[0]  # not cached: the app registry knows better
        config = apps.get_containing_app_config(self.module)
        self._app_label = config.label if config else self.module.split(".")[0]
        return self._app_label

    @property
    def label(self) -> str:
        """``app_label.ObjectName``, as Django's ``_meta.label``."""
        return f"{self.app_label}.{self.object_name}"

    @property
    def label_lower(self) -> str:
        """``app_label.model_name``, as Django's ``_meta.label_lower``."""
        return f"{self.app_label}.{self.model_name}"

    def __repr__(self) -> str:
        return f"<Options for {self.object_name}>"

    def __str__(self) -> str:
        # As Django's: what django.core.serializers writes as "model".
        return self.label_lower


class _Checker:
    """Read one Meta option, raising ``TypeError`` naming it when its type is wrong."""

    def __init__(self, model_name: str, attrs: Mapping[str, Any]) -> None:
        self.model_name = model_name
        self.attrs = attrs

    def _error(self, name: str, expected: str) -> TypeError:
        value = self.attrs[name]
        return TypeError(f"{self.model_name}.Meta.{name} must be {expected}, not {value!r}.")

    def boolean(self, name: str) -> bool:
        value = self.attrs.get(name, False)
        if not isinstance(value, bool):
            raise self._error(name, "True or False")
        return value

    def string(self, name: str) -> str | None:
        value = self.attrs.get(name)
        if value is not None and (not isinstance(value, str) or not value):
            raise self._error(name, "a non-empty string")
        return value

    def strings(self, name: str) -> tuple[str, ...] | None:
        value = self.attrs.get(name)
        if value is None:
            return None
        # A bare string would be read as its letters: ordering = "name" is a mistake.
        if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence | set):
            raise self._error(name, "a list or tuple of names")
        if not all(isinstance(item, str) and item for item in value):
            raise self._error(name, "a list or tuple of names")
        return tuple(value)

    def mapping(self, name: str) -> Mapping[str, Any] | None:
        value = self.attrs.get(name)
        if value is not None and not isinstance(value, Mapping):
            raise self._error(name, "a dict")
        return value

    def string_map(self, name: str) -> dict[str, str]:
        value = self.mapping(name) or {}
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            raise self._error(name, "a dict of names to names")
        return dict(value)


def _filter_fields(
    model_name: str, value: Mapping[str, Sequence[str]] | Sequence[str] | None
) -> dict[str, frozenset[str]] | None:
    """Normalise django-filter's ``fields`` (a dict of lookups or a list meaning exact)."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        out: dict[str, frozenset[str]] = {}
        for name, lookups in value.items():
            if isinstance(lookups, str):
                raise TypeError(
                    f"{model_name}.Meta.filter_fields[{name!r}] must be a list of lookups, "
                    f"not the string {lookups!r}."
                )
            out[name] = frozenset(lookups)
        return out
    if isinstance(value, str):
        raise TypeError(f"{model_name}.Meta.filter_fields must be a dict or a list of names.")
    return {name: frozenset({"exact"}) for name in value}
