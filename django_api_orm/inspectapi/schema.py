"""Reading an OpenAPI 3 document: ``$ref``s, list routes and their detail routes.

Nothing here knows about fields or dialects: it finds, for each path whose GET
answers a list, the component of its items, its query parameters, whether the
list is paginated, and the detail path that goes with it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Endpoint", "SchemaError", "find_endpoints", "resolve"]

_PARAM = re.compile(r"{([^{}]+)}")
_METHODS = ("get", "post", "put", "patch", "delete")


class SchemaError(Exception):
    """The schema cannot be read: unreachable, not JSON or YAML, or not OpenAPI 3."""


@dataclass
class Endpoint:
    """One list route of the schema, with what a model needs from it."""

    #: The list path relative to the service's BASE_URL (``books/``,
    #: ``authors/{author_pk}/books/``).
    path: str
    #: The name of the items' component (``Book``), or ``""`` for an inline schema.
    component: str
    #: The items' schema, ``$ref``s resolved at its top level.
    item: Mapping[str, Any]
    #: Whether the list answer is a bare array (else an object holding ``results``).
    bare: bool
    #: The list GET's query parameters, by name.
    params: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    #: The path parameters of the list path, in order (nested endpoints).
    parents: list[str] = field(default_factory=list)
    #: The detail path's own parameter (``id``), or ``None`` without a detail route.
    detail_param: str | None = None
    #: The schema of that parameter.
    detail_schema: Mapping[str, Any] = field(default_factory=dict)
    #: The request body schema of the create (POST) operation, when there is one.
    body: Mapping[str, Any] | None = None


def resolve(schema: Mapping[str, Any], node: Any) -> Any:
    """Return ``node`` with a top-level local ``$ref`` followed (repeatedly)."""
    seen = 0
    while isinstance(node, Mapping) and "$ref" in node and seen < 50:
        node = ref_target(schema, str(node["$ref"]))
        seen += 1
    return node


def ref_target(schema: Mapping[str, Any], ref: str) -> Any:
    """Return what a local ``#/...`` reference points to (``{}`` when it is absent)."""
    if not ref.startswith("#/"):
        return {}
    node: Any = schema
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, Mapping) or part not in node:
            return {}
        node = node[part]
    return node


def ref_name(node: Any) -> str | None:
    """Return the component a ``$ref`` (or an ``allOf`` of one ``$ref``) names."""
    if not isinstance(node, Mapping):
        return None
    if "$ref" in node:
        return str(node["$ref"]).rsplit("/", 1)[-1]
    all_of = node.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1:
        return ref_name(all_of[0])
    return None


def _json_schema(schema: Mapping[str, Any], response: Any) -> Any:
    response = resolve(schema, response)
    if not isinstance(response, Mapping):
        return None
    content = response.get("content")
    if not isinstance(content, Mapping):
        return None
    for media, body in content.items():
        if "json" in str(media) and isinstance(body, Mapping):
            return body.get("schema")
    return None


def _ok_schema(schema: Mapping[str, Any], operation: Mapping[str, Any]) -> Any:
    responses = operation.get("responses")
    if not isinstance(responses, Mapping):
        return None
    for status in ("200", "201", "2XX", 200):
        if status in responses:
            return _json_schema(schema, responses[status])
    return None


def _params(schema: Mapping[str, Any], item: Mapping[str, Any], op: Mapping[str, Any]) -> list[Any]:
    out: dict[tuple[str, str], Any] = {}
    for source in (item.get("parameters"), op.get("parameters")):
        for raw in source or ():
            param = resolve(schema, raw)
            if isinstance(param, Mapping) and "name" in param:
                out[(str(param.get("in")), str(param["name"]))] = param
    return list(out.values())


def find_endpoints(schema: Mapping[str, Any], base_path: str) -> tuple[list[Endpoint], list[str]]:
    """Return the list routes under ``base_path`` (sorted by path) and the problems met."""
    problems: list[str] = []
    paths = schema.get("paths")
    if not isinstance(paths, Mapping):
        return [], ["The schema has no 'paths'."]
    relative: dict[str, Mapping[str, Any]] = {}
    for raw_path, item in sorted(paths.items()):
        if not isinstance(item, Mapping):
            continue
        path = str(raw_path)
        if not path.startswith(base_path):
            problems.append(f"{path}: outside the service's BASE_URL path {base_path!r}; skipped.")
            continue
        relative[path[len(base_path) :]] = item
    endpoints: list[Endpoint] = []
    lists: set[str] = set()
    for path, item in relative.items():
        endpoint = _list_endpoint(schema, path, item, problems)
        if endpoint is not None:
            endpoints.append(endpoint)
            lists.add(path)
    for endpoint in endpoints:
        _pair_detail(schema, endpoint, relative)
    paired = {_detail_of(e) for e in endpoints if e.detail_param is not None}
    for path, item in relative.items():
        if path in lists or path in paired or not _PARAM.search(path):
            continue
        if not any(isinstance(item.get(m), Mapping) for m in _METHODS):
            continue
        if not path.endswith(("}/", "}")):
            continue  # an action under a detail route, not a resource
        parent = path[: path.rfind("{")]
        if parent not in lists:
            problems.append(f"{path}: a detail route with no list route at {parent!r}; skipped.")
    return endpoints, problems


def _detail_of(endpoint: Endpoint) -> str:
    return f"{endpoint.path}{{{endpoint.detail_param}}}/"


def _list_endpoint(
    schema: Mapping[str, Any], path: str, item: Mapping[str, Any], problems: list[str]
) -> Endpoint | None:
    get = item.get("get")
    if not isinstance(get, Mapping):
        return None
    answer = resolve(schema, _ok_schema(schema, get))
    if not isinstance(answer, Mapping):
        return None
    bare = answer.get("type") == "array"
    if bare:
        items_node = answer.get("items")
    else:
        results = answer.get("properties", {}).get("results")
        results = resolve(schema, results)
        if not isinstance(results, Mapping) or results.get("type") != "array":
            return None  # a detail answer, or an object that is no list page
        items_node = results.get("items")
    if path.endswith(("}/", "}")):
        return None  # a list under a detail path's own parameter: an action, not a resource
    component = ref_name(items_node) or ""
    resolved = resolve(schema, items_node)
    if not isinstance(resolved, Mapping):
        resolved = {}
    for keyword in ("oneOf", "anyOf", "discriminator"):
        if keyword in resolved:
            problems.append(
                f"{path}: the list items are a {keyword} (a polymorphic body), which a "
                "RemoteModel cannot declare; skipped."
            )
            return None
    if resolved.get("type", "object") != "object" or not isinstance(
        resolved.get("properties"), Mapping
    ):
        problems.append(f"{path}: the list items are not objects with properties; skipped.")
        return None
    endpoint = Endpoint(path=path, component=component, item=resolved, bare=bare)
    for param in _params(schema, item, get):
        if param.get("in") == "query":
            endpoint.params[str(param["name"])] = param
    endpoint.parents = _PARAM.findall(path)
    post = item.get("post")
    if isinstance(post, Mapping):
        body = post.get("requestBody")
        node = _json_schema(schema, body) if body is not None else None
        node = resolve(schema, node)
        if isinstance(node, Mapping):
            endpoint.body = node
    return endpoint


def _pair_detail(
    schema: Mapping[str, Any], endpoint: Endpoint, relative: Mapping[str, Mapping[str, Any]]
) -> None:
    prefix = endpoint.path if endpoint.path.endswith("/") else f"{endpoint.path}/"
    for path, item in relative.items():
        if not path.startswith(prefix):
            continue
        rest = path[len(prefix) :]
        match = re.fullmatch(r"{([^{}/]+)}/?", rest)
        if match is None or not isinstance(item.get("get"), Mapping):
            continue
        name = match.group(1)
        endpoint.detail_param = name
        for param in _params(schema, item, item["get"]):
            if param.get("in") == "path" and param.get("name") == name:
                endpoint.detail_schema = resolve(schema, param.get("schema")) or {}
        return
