"""How ``FakeService`` speaks NetBox, for an alias whose ``DIALECT`` is ``NetBoxDialect``.

The inverse of ``NetBoxDialect``'s table. Filters are read as NetBox reads them:

- ``name=x`` (repeated: any of them), ``name__ie``, ``__ic``, ``__isw``, ``__iew``,
  ``__regex``, ``__iregex``; their negations ``name__n``, ``__nie``, ``__nic``,
  ``__nisw``, ``__niew`` (repeated: none of them); ``id__gt``, ``__gte``, ``__lt``,
  ``__lte``; ``facility__empty=true`` ('' or null) and ``=false``;
- a foreign key by pk, ``site_id=3`` (repeated), ``tenant_id=null``,
  ``tenant_id__n=null``, ``site_id__n=3``; by slug, ``site=hq`` (and ``site__n=hq``);
  a pk or slug that names no stored row answers 400, as NetBox's choice filters do;
- ``q=``: a case-insensitive "contains" over the model's text fields
  (``CharField``/``TextField`` without ``choices``): NetBox searches the name,
  description and such fields of each model, which ``Meta`` does not list;
- ``ordering=`` (within ``Meta.ordering_fields``), ``limit``/``offset``, ``brief``.

A parameter is accepted when ``Meta.filter_fields`` declares the Django lookup it
stands for (any lookup when ``filter_fields`` is not declared); any other parameter
answers 400 naming it (NetBox itself ignores some unknown parameters).

Rows are stored with bare values (as written) and answered as NetBox answers them:
``id``, ``url`` and ``display`` first, a choice field as ``{"value", "label"}``, a
foreign key as a short nested object (``id``, ``url``, ``display`` and the target's
``name``, ``slug``, ``model``, ``description`` where it has them). Writes take bare
values and ids; a foreign key may also be a dict of attributes naming one row, a
choice may not be a dict or list, and must be one of the field's choices.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from django_api_orm.test._fake_query import (
    Reply,
    decode,
    field_by_source,
    matcher,
    python_value,
)

if TYPE_CHECKING:
    from django_api_orm.models.base import RemoteModel
    from django_api_orm.models.fields import Field
    from django_api_orm.test.fake import FakeService, _Route

Test = Callable[[dict[str, Any]], bool]

#: NetBox's suffix → (Django lookup, negated).
SUFFIXES: dict[str, tuple[str, bool]] = {
    "": ("exact", False),
    "n": ("exact", True),
    "ie": ("iexact", False),
    "nie": ("iexact", True),
    "ic": ("icontains", False),
    "nic": ("icontains", True),
    "isw": ("istartswith", False),
    "nisw": ("istartswith", True),
    "iew": ("iendswith", False),
    "niew": ("iendswith", True),
    "regex": ("regex", False),
    "iregex": ("iregex", False),
    "gt": ("gt", False),
    "gte": ("gte", False),
    "lt": ("lt", False),
    "lte": ("lte", False),
    "empty": ("empty", False),
}
_COMPARISONS = frozenset({"gt", "gte", "lt", "lte", "range"})
#: The lookups of ``Meta.filter_fields`` that let each NetBox lookup through (the
#: dialect sends ``exclude(id__lt=5)`` as ``id__gte=5``, ``id__range`` as gte + lte).
_DECLARED_BY: dict[str, frozenset[str]] = {
    "exact": frozenset({"exact", "in"}),
    "empty": frozenset({"exact"}),
    **dict.fromkeys(("gt", "gte", "lt", "lte"), _COMPARISONS),
}
_RELATION = frozenset({"exact", "in", "isnull"})
_TEXT_TYPES = frozenset({"CharField", "TextField"})
#: The target's fields a short nested object carries (besides id, url and display).
BRIEF_FIELDS = ("name", "slug", "model", "description")
_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0"})
#: Parameters that are no filters.
_OTHER = frozenset({"limit", "offset", "ordering", "q", "brief", "format"})


def _is_fk(f: Field) -> bool:
    return f.get_internal_type() == "ForeignKey"


class NetBoxWire:
    """Reads NetBox's parameters and bodies, writes NetBox's answers, for ``fake``."""

    def __init__(self, fake: FakeService, base_url: str) -> None:
        self.fake = fake
        self.base_url = base_url if base_url.endswith("/") else f"{base_url}/"

    # --- lists ----------------------------------------------------------------

    def read_list(
        self, route: _Route, params: Mapping[str, list[str]]
    ) -> tuple[list[Test], list[str], bool]:
        """Return the row tests, the ordering and whether ``brief`` was asked for."""
        tests: list[Test] = []
        ordering: list[str] = []
        brief = False
        for name, values in params.items():
            if name in ("limit", "offset", "format"):
                continue
            if name == "ordering":
                ordering = self.fake._ordering(route, values[-1])
            elif name == "brief":
                brief = _flag(name, values[-1])
            elif name == "q":
                if values[-1].strip():
                    tests.append(self._search(route, values[-1].strip()))
            else:
                kept = [v for v in values if v != ""]  # an empty value is no filter
                if kept:
                    tests.append(self._filter(route, name, kept))
        return tests, ordering, brief

    def _search(self, route: _Route, term: str) -> Test:
        sources = {
            f.source
            for m in route.models
            for f in m._meta.fields
            if f.get_internal_type() in _TEXT_TYPES and f.choices is None
        }
        lowered = term.lower()

        def test(row: dict[str, Any]) -> bool:
            return any(isinstance(row.get(s), str) and lowered in row[s].lower() for s in sources)

        return test

    def _filter(self, route: _Route, param: str, values: list[str]) -> Test:
        for model in route.models:
            test = self._model_filter(model, param, values)
            if test is not None:
                return test
        known = sorted({p for m in route.models for p in known_params(m)})
        raise Reply(
            400,
            {
                param: [
                    "Unknown filter: NetBox's parameter for no lookup the model declares. "
                    f"This endpoint filters on: {', '.join(known) or 'nothing'}."
                ]
            },
        )

    def _model_filter(self, model: type[RemoteModel], param: str, values: list[str]) -> Test | None:
        base, sep, suffix = param.rpartition("__")
        if not sep or suffix not in SUFFIXES:
            base, suffix = param, ""
        lookup, negated = SUFFIXES[suffix]
        found = _base_field(model, base)
        if found is None:
            return None
        kind, f = found
        if kind != "field" and lookup != "exact":
            return None  # a foreign key: by pk or slug, exact or negated
        if not _declared(model, kind, f, lookup):
            return None
        if kind == "pk":
            return self._pk_filter(f, param, values, negated)
        if kind == "slug":
            return self._slug_filter(f, param, values, negated)
        if lookup == "empty":
            flag = _flag(param, values[-1])
            return lambda row: (row.get(f.source) in ("", None)) == flag
        if lookup in ("regex", "iregex"):
            for text in values:
                try:
                    re.compile(text)
                except re.error as error:
                    raise Reply(400, {param: [f"Invalid regular expression: {error}."]}) from None
        tests = [matcher(lookup, decode(f, lookup, v, param)) for v in values]

        def test(row: dict[str, Any]) -> bool:
            value = python_value(f, row.get(f.source))
            hit = any(match(value) for match in tests)
            return not hit if negated else hit

        return test

    def _pk_filter(self, f: Field, param: str, values: list[str], negated: bool) -> Test:
        target = self.fake._served(f)
        wanted: list[Any] = []
        for text in values:
            if text == "null":
                wanted.append(None)
                continue
            pk = decode(f, "exact", text, param)
            if target is not None and str(pk) not in target.rows:
                raise Reply(
                    400,
                    {
                        param: [
                            f"Select a valid choice. {text} is not one of the available choices."
                        ]
                    },
                )
            wanted.append(pk)

        def test(row: dict[str, Any]) -> bool:
            hit = python_value(f, row.get(f.source)) in wanted
            return not hit if negated else hit

        return test

    def _slug_filter(self, f: Field, param: str, values: list[str], negated: bool) -> Test:
        target = self.fake._served(f)
        if target is None:
            raise Reply(400, {param: ["FakeService does not serve this relation's target."]})
        by_slug = {str(row.get("slug")): pk for pk, row in target.rows.items()}
        for text in values:
            if text not in by_slug:
                raise Reply(
                    400,
                    {
                        param: [
                            f"Select a valid choice. {text} is not one of the available choices."
                        ]
                    },
                )
        wanted = {by_slug[text] for text in values}

        def test(row: dict[str, Any]) -> bool:
            hit = str(row.get(f.source)) in wanted
            return not hit if negated else hit

        return test

    # --- answers --------------------------------------------------------------

    def render(
        self, route: _Route, row: Mapping[str, Any], *, brief: bool = False
    ) -> dict[str, Any]:
        """Return ``row`` as NetBox answers it (``brief``: its short nested form)."""
        model = route.model
        if brief:
            return self.nested(model, row.get(model._meta.pk.source), row)
        pk_source = model._meta.pk.source
        out: dict[str, Any] = {pk_source: row.get(pk_source)}
        if "url" not in row:
            out["url"] = self._url(model, row.get(pk_source))
        if "display" not in row:
            out["display"] = _display(model, row)
        for key, value in row.items():
            f = next((x for m in route.models if (x := _by_source(m, key)) is not None), None)
            out[key] = value if f is None else self._value(f, value)
        return out

    def _value(self, f: Field, value: Any) -> Any:
        if value is None:
            return None
        if f.choices is not None:
            labels = {str(v): label for v, label in f.flatchoices}
            return {"value": value, "label": str(labels.get(str(value), value))}
        internal = f.get_internal_type()
        if internal == "ForeignKey":
            return self._nested_pk(f, value)
        if internal == "ManyToManyField" and isinstance(value, list):
            return [self._nested_pk(f, pk) for pk in value]
        return value

    def _nested_pk(self, f: Field, pk: Any) -> dict[str, Any]:
        to: type[RemoteModel] = f.to  # type: ignore[attr-defined]
        target = self.fake._served(f)
        row = None if target is None else target.rows.get(str(pk))
        return self.nested(to, pk, row)

    def nested(
        self, model: type[RemoteModel], pk: Any, row: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        """NetBox's short nested object of ``model``'s row ``pk`` (``row``: its values)."""
        out: dict[str, Any] = {
            model._meta.pk.source: pk,
            "url": self._url(model, pk),
            "display": _display(model, row) if row is not None else str(pk),
        }
        for name in BRIEF_FIELDS:
            if row is not None and name in row:
                out[name] = row[name]
        return out

    def _url(self, model: type[RemoteModel], pk: Any) -> str:
        return f"{self.base_url}{model._meta.endpoint}{pk}/"

    # --- writes ---------------------------------------------------------------

    def read_body(self, route: _Route, body: Mapping[str, Any]) -> dict[str, Any]:
        """Return ``body`` with bare values: a foreign key given as attributes becomes
        its pk; a choice must be given bare and be one of the field's values."""
        model = route.writer(body)
        out = dict(body)
        errors: dict[str, list[str]] = {}
        for key, value in body.items():
            f = _by_source(model, key)
            if f is None or value is None:
                continue
            if f.choices is not None:
                if isinstance(value, dict | list):
                    errors[key] = [
                        'Value must be passed directly (e.g. "foo": 123); do not use a '
                        "dictionary or list."
                    ]
                elif str(value) not in {str(v) for v, _ in f.flatchoices}:
                    errors[key] = [f'"{value}" is not a valid choice.']
            elif _is_fk(f) and isinstance(value, dict):
                try:
                    out[key] = self._pk_of(f, value)
                except ValueError as error:
                    errors[key] = [str(error)]
        if errors:
            raise Reply(400, errors)
        return out

    def _pk_of(self, f: Field, attrs: Mapping[str, Any]) -> Any:
        target = self.fake._served(f)
        pk_source = f.to._meta.pk.source  # type: ignore[attr-defined]
        if target is None:
            if set(attrs) == {pk_source}:
                return attrs[pk_source]
            raise ValueError(f"Related object not found using the provided attributes: {attrs}")
        found = [
            pk
            for pk, row in target.rows.items()
            if all(str(row.get(k)) == str(v) for k, v in attrs.items())
        ]
        if not found:
            raise ValueError(f"Related object not found using the provided attributes: {attrs}")
        if len(found) > 1:
            raise ValueError(f"Multiple objects match the provided attributes: {attrs}")
        return target.rows[found[0]][pk_source]


def _flag(param: str, text: str) -> bool:
    lowered = text.lower()
    if lowered not in _TRUE | _FALSE:
        raise Reply(400, {param: ["Enter true or false."]})
    return lowered in _TRUE


def _by_source(model: type[RemoteModel], source: str) -> Field | None:
    return next((f for f in model._meta.fields if f.source == source), None)


def _display(model: type[RemoteModel], row: Mapping[str, Any] | None) -> str:
    row = row or {}
    for name in ("name", "model", "slug"):
        if row.get(name):
            return str(row[name])
    return f"{model.__name__} {row.get(model._meta.pk.source)}"


def _base_field(model: type[RemoteModel], base: str) -> tuple[str, Field] | None:
    """``("field", f)`` for a plain field, ``("pk", fk)`` for ``<fk>_id``, ``("slug", fk)``
    for a bare foreign key (NetBox's slug filter), else ``None``."""
    f = _by_source(model, base)
    if f is None and base in ("id", "pk"):
        f = model._meta.pk
    if f is not None and not f.is_relation:
        return "field", f
    if f is not None and _is_fk(f):
        return ("slug", f) if field_by_source(f.to, "slug") is not None else None  # type: ignore[attr-defined]
    if base.endswith("_id"):
        f = _by_source(model, base.removesuffix("_id"))
        if f is not None and _is_fk(f):
            return "pk", f
    return None


def _declared(model: type[RemoteModel], kind: str, f: Field, lookup: str) -> bool:
    declared = model._meta.filter_fields
    if declared is None:
        return True
    if kind == "slug":
        return bool({"exact", "in"} & set(declared.get(f"{f.name}__slug", ())))
    keys = [f.name, f.attname]
    if f is model._meta.pk:
        keys.append("pk")
    if kind == "pk":
        keys.append(f"{f.name}__{f.to._meta.pk.name}")  # type: ignore[attr-defined]
    given = {lookup for key in keys for lookup in declared.get(key, ())}
    wanted = _RELATION if kind == "pk" else _DECLARED_BY.get(lookup, frozenset({lookup}))
    return bool(given & wanted)


def known_params(model: type[RemoteModel]) -> list[str]:
    """The NetBox parameters ``model``'s ``Meta.filter_fields`` accepts, for a 400's text."""
    known: set[str] = set()
    for key, lookups in (model._meta.filter_fields or {}).items():
        name, _, rest = key.partition("__")
        try:
            f = model._meta.get_field(name)
        except Exception:
            continue
        if f.is_relation:
            known.add(f"{f.source}_id" if rest in ("", "id", "pk") else f.source)
            continue
        for suffix, (lookup, _negated) in SUFFIXES.items():
            if _DECLARED_BY.get(lookup, frozenset({lookup})) & set(lookups):
                known.add(f"{f.source}__{suffix}" if suffix else f.source)
    return sorted(known)
