"""``manage.py inspectapi``: RemoteModel source from an OpenAPI 3 schema, and drift.

``load_schema()`` reads the schema (a URL of the service, or a JSON or YAML file),
``generate()`` writes the models it describes, as ``inspectdb`` does for a database,
and ``drift()`` compares hand-written models with it. Filters, exclusions and
pagination are read through the service's dialect (``BaseDialect.read_param()``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django_api_orm.inspectapi.drift import drift
from django_api_orm.inspectapi.load import aload_schema, load_schema
from django_api_orm.inspectapi.schema import SchemaError

__all__ = ["Inspection", "SchemaError", "aload_schema", "drift", "generate", "load_schema"]


@dataclass(frozen=True)
class Inspection:
    """What ``generate()`` wrote."""

    #: The whole module's text.
    source: str
    #: The class names, in output order.
    models: list[str]
    #: Each model's endpoint as the schema spells it, relative to BASE_URL, in the
    #: order of ``models`` (``Meta.endpoint`` names a nested endpoint's foreign key
    #: instead of the schema's path parameter).
    endpoints: list[str]
    #: One message per route skipped or not fully understood.
    problems: list[str]


def generate(
    schema: Mapping[str, Any], *, service: str = "default", endpoints: Sequence[str] = ()
) -> Inspection:
    """Return the RemoteModel module ``schema`` describes for ``service``.

    ``endpoints`` keeps only the list routes starting with one of these prefixes
    (relative to the service's BASE_URL).
    """
    from django_api_orm.inspectapi.build import build_models
    from django_api_orm.inspectapi.render import order_models, render_module

    models, problems = build_models(schema, service=service, endpoints=endpoints)
    ordered = order_models(models)
    return Inspection(
        source=render_module(ordered, service),
        models=[m.name for m in ordered],
        endpoints=[m.endpoint.path for m in ordered],
        problems=problems,
    )
