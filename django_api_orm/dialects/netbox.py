"""NetBox's REST API: DRF underneath, with NetBox's own filter conventions.

Name it in the service's settings::

    API_ORM_SERVICES = {
        "netbox": {
            "BASE_URL": "https://netbox.example.com/api/",
            "TOKEN": "nbt_...",  # a v2 token; for a v1 token add "AUTH_SCHEME": "Token"
            "DIALECT": "django_api_orm.dialects.netbox.NetBoxDialect",
        }
    }

What it sends, for Django's own lookups:

========================================  =====================================
``filter(...)``                           NetBox parameters
========================================  =====================================
``name="x"`` / ``name__in=["x", "y"]``    ``name=x`` / ``name=x&name=y``
``name__iexact``, ``__icontains``,        ``name__ie``, ``name__ic``,
``__istartswith``, ``__iendswith``        ``name__isw``, ``name__iew``
``id__gt=5`` (``gte``, ``lt``, ``lte``)   ``id__gt=5``
``id__range=(2, 9)``                      ``id__gte=2&id__lte=9``
``site=3`` / ``site__in=[1, 3]``          ``site_id=3`` / ``site_id=1&site_id=3``
``site__slug="hq"``                       ``site=hq``
``tenant=None``, ``tenant__isnull=False`` ``tenant_id=null``, ``tenant_id__n=null``
``facility=""``                           ``facility__empty=true``
``exclude(name="x")``, ``exclude(name__   ``name__n=x``, ``name__nic=x``, ...
icontains="x")``
``search("core")``                        ``q=core``
========================================  =====================================

Several values of one parameter repeat it (NetBox ignores ``site_id=1,3`` and
would return every row). Lookups NetBox has no filter for (case-sensitive
``contains``/``startswith``/``endswith``, date parts, ``isnull`` on a plain field)
raise ``NotSupportedError`` naming what to send instead. Lists are read with
limit/offset pages; choice fields arrive as ``{"value": ..., "label": ...}`` and
are written back as the bare value; foreign keys arrive as short nested objects,
read as partial instances whose missing fields are deferred.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from django_api_orm.dialects.drf import DRFDialect
from django_api_orm.exceptions import NotSupportedError
from django_api_orm.protocols import LookupLike, OptionsLike

__all__ = ["NetBoxDialect"]

#: Django's lookup → NetBox's suffix ("" for the bare parameter), and its negation.
_TEXT_SUFFIXES: dict[str, tuple[str, str | None]] = {
    "exact": ("", "n"),
    "in": ("", "n"),
    "iexact": ("ie", "nie"),
    "icontains": ("ic", "nic"),
    "istartswith": ("isw", "nisw"),
    "iendswith": ("iew", "niew"),
    "regex": ("regex", None),
    "iregex": ("iregex", None),
}
#: The comparisons, and the comparison that negates each (on a non-null field).
_COMPARISONS: dict[str, str] = {"gt": "lte", "gte": "lt", "lt": "gte", "lte": "gt"}
#: Django lookups NetBox has no filter for, and what to use instead.
_INSTEAD: dict[str, str] = {
    "contains": "icontains (NetBox's __ic)",
    "startswith": "istartswith (NetBox's __isw)",
    "endswith": "iendswith (NetBox's __iew)",
}


#: NetBox's negating suffixes.
_NEGATIONS = frozenset(n for _, n in _TEXT_SUFFIXES.values() if n is not None)


class NetBoxDialect(DRFDialect):
    """NetBox 4: repeated keys, its lookup suffixes, ``<fk>_id``, ``q=``, limit/offset."""

    repeat_multiple_values = True
    negates_filters = True
    search_param: ClassVar[str | None] = "q"
    default_pagination: ClassVar[Mapping[str, Any]] = {"STYLE": "limit_offset", "PAGE_SIZE": 100}
    non_filter_params: ClassVar[frozenset[str]] = frozenset(
        {
            *DRFDialect.non_filter_params,
            "brief",
            "fields",
            "omit",
            "exclude",
            "created_by_request",
            "updated_by_request",
            "modified_by_request",
        }
    )

    # --- filters ------------------------------------------------------------

    def check_exclusion(self, lookup: LookupLike, opts: OptionsLike) -> None:
        # NetBox negates its filters itself: building the parameters checks the lookup.
        self.lookup_params(lookup, opts, negated=True)

    def ands_repeated_values(self, param: str) -> bool:
        # NetBox ANDs the repeated values of a negation (measured): name__n=a&name__n=b.
        return param.rpartition("__")[2] in _NEGATIONS

    def lookup_params(
        self, lookup: LookupLike, opts: OptionsLike, *, negated: bool
    ) -> list[tuple[str, list[str]]]:
        """Return the ``(parameter, values)`` pairs expressing ``lookup`` (or its negation)."""
        name, field = lookup.name, lookup.field
        base, related = self._base_param(lookup, opts)
        written = f"exclude({lookup.written}=...)" if negated else lookup.written

        def refuse(why: str) -> NotSupportedError:
            return NotSupportedError(f"{opts.object_name}: cannot send {written}: {why}")

        if name == "isnull":
            if not related:
                raise refuse(
                    "NetBox has no isnull filter on a plain field (its __empty also matches "
                    "''). Filter on a foreign key's isnull, or on field='' (sent as "
                    "__empty=true) for a text field."
                )
            # NetBox spells "no related object" as the value null on <fk>_id.
            wants_null = bool(lookup.value) != negated
            return [(base if wants_null else f"{base}__n", ["null"])]
        if name in _INSTEAD:
            raise refuse(f"NetBox has no case-sensitive {name} filter. Use {_INSTEAD[name]}.")
        if name == "exact" and lookup.value == "" and not related:
            if getattr(field, "null", False):
                raise refuse(
                    "NetBox's __empty matches both '' and null, and this field is null=True."
                )
            return [(f"{base}__empty", ["false" if negated else "true"])]
        if name in _TEXT_SUFFIXES:
            suffix, negation = _TEXT_SUFFIXES[name]
            if related and name not in ("exact", "in"):
                raise refuse("a foreign key is filtered by its primary key (exact or in).")
            if negated:
                if negation is None:
                    raise refuse(f"NetBox has no negation of __{name}.")
                suffix = negation
            values = self.lookup_values(lookup)
            return [(f"{base}__{suffix}" if suffix else base, values)]
        if name in _COMPARISONS:
            if related:
                raise refuse("a foreign key is filtered by its primary key (exact or in).")
            if negated:
                if getattr(field, "null", False):
                    raise refuse(
                        "its negation would leave out the rows where the field is null, "
                        "which exclude() keeps."
                    )
                name = _COMPARISONS[name]
            return [(f"{base}__{name}", self.lookup_values(lookup))]
        if name == "range" and not related:
            if negated:
                raise refuse("NOT (a <= x <= b) is an OR, which NetBox's filters cannot send.")
            low, high = (self.encode_value(value, lookup) for value in lookup.value)
            return [(f"{base}__gte", [low]), (f"{base}__lte", [high])]
        raise refuse(f"NetBox has no filter for Django's __{name} lookup.")

    def _base_param(self, lookup: LookupLike, opts: OptionsLike) -> tuple[str, bool]:
        """Return the parameter name before any suffix, and whether it names a relation."""
        parts = lookup.path.split("__")
        names = lookup.names.split("__")
        first = opts.get_field(names[0])
        if not first.is_relation:
            if len(parts) > 1:
                raise NotSupportedError(f"Cannot send {lookup.written}: not a NetBox filter.")
            return parts[0], False
        if getattr(first, "many_to_many", False) or first.attname.endswith("_ids"):
            raise NotSupportedError(
                f"{opts.object_name}: cannot send {lookup.written}: NetBox names its "
                "many-to-many filters per relation; filter on a foreign key or a field."
            )
        if len(parts) == 1 or (len(parts) == 2 and lookup.field.primary_key):
            return f"{parts[0]}_id", True  # site=3, site__id=3: NetBox's site_id
        if len(parts) == 2 and parts[1] == "slug":
            return parts[0], False  # NetBox's site= takes the slug
        raise NotSupportedError(
            f"{opts.object_name}: cannot send {lookup.written}: NetBox filters a foreign "
            f"key by its primary key ({names[0]}=..., sent as {parts[0]}_id) or its slug "
            f"({names[0]}__slug=..., sent as {parts[0]}=...), not by other fields."
        )

    def read_param(self, name: str) -> tuple[str, str, bool] | None:
        """Read a NetBox filter parameter: ``name__ic`` is ``("name", "icontains", False)``,
        ``name__nic`` its negation, ``site_id`` is ``("site", "exact", False)``. A bare
        foreign key parameter (``site``, NetBox's slug filter) reads as ``("site",
        "exact", False)``: ``inspectapi`` tells the two apart by the field. ``__empty``
        filters, NetBox's ``brief``, ``fields``, ``omit`` and the request-tracking
        parameters are no lookups the ORM sends as such: ``None``."""
        if name in self.non_filter_params or name in (self.ordering_param, self.search_param):
            return None
        base, sep, suffix = name.rpartition("__")
        if not sep:
            base, suffix = name, ""
        if suffix == "empty":
            return None
        lookup: str | None = suffix if suffix in _COMPARISONS else None
        if lookup is None:
            for django, (plain, negation) in _TEXT_SUFFIXES.items():
                if suffix in (plain, negation) and django != "in":
                    lookup = django
                    break
        if lookup is None:
            return name, "exact", False  # a "__" that is part of the parameter's name
        if base.endswith("_id") and len(base) > len("_id"):
            base = base.removesuffix("_id")
        return base, lookup, suffix in _NEGATIONS

    # --- answers ------------------------------------------------------------

    def choice_value(self, value: Any) -> Any:
        """NetBox sends a choice as ``{"value": "active", "label": "Active"}``."""
        if isinstance(value, dict) and "value" in value and "label" in value:
            return value["value"]
        return value

    def choice_label(self, value: Any) -> str | None:
        if isinstance(value, dict) and "value" in value and "label" in value:
            return str(value["label"])
        return None
