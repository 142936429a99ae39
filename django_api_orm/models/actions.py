"""Actions: routes beyond CRUD, such as Django REST framework's ``@action``.

``await book.acall("publish", method="POST")`` sends ``POST books/3/publish/``;
``await Book.objects.acall("recent")`` sends ``GET books/recent/``. The name is
checked to be one path segment, the dialect builds the path (``action_path()``)
from the very list or detail path the ORM uses, and the compiler sends it through
the service's client: same errors, retries and URL safety as every other request.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django_api_orm.compiler import SAFE_METHODS, Compiler
from django_api_orm.exceptions import NotSupportedError
from django_api_orm.models.persistence import compiler_for
from django_api_orm.services import services

if TYPE_CHECKING:
    from django_api_orm.models.base import RemoteModel
    from django_api_orm.models.queryset import QuerySet

__all__ = ["METHODS", "QueryParams", "call_detail_action", "call_list_action", "check_action"]

#: Query parameters: a mapping, or ``(name, value)`` pairs (a list value repeats its name).
QueryParams = Mapping[str, Any] | Sequence[tuple[str, Any]]

#: The methods an action may be sent with.
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})

#: Characters an action name may not hold: they would end the path segment, start
#: the query or fragment, or make the name read as already percent-encoded.
_REFUSED = frozenset("/\\?#%")


def check_action(action: object, method: object, data: object) -> str:
    """Return ``method`` upper-cased; raise ``ValueError`` for a name that is not one
    plain path segment, an unknown method, or a body on a method that sends none."""
    if not isinstance(action, str):
        raise TypeError(f"An action name is a str, got {type(action).__name__}.")
    problem = None
    if not action:
        problem = "it is empty"
    elif ".." in action or action == ".":
        problem = "'.' and '..' name the current or parent path, not a route"
    elif _REFUSED & set(action):
        chars = " ".join(sorted(_REFUSED & set(action)))
        problem = f"it holds {chars}, which would take the URL out of one path segment"
    elif any(c.isspace() or unicodedata.category(c).startswith("C") for c in action):
        problem = "it holds whitespace or a control character"
    if problem is not None:
        raise ValueError(
            f"Invalid action name {action!r}: {problem}. An action name is one path "
            "segment, the route's url_path (e.g. 'publish' for books/3/publish/)."
        )
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise ValueError(
            f"Invalid action method {method!r}: use one of {', '.join(sorted(METHODS))}."
        )
    upper = method.upper()
    if data is not None and upper in SAFE_METHODS:
        raise ValueError(
            f"A {upper} action sends no body: pass params=... (the query string) instead "
            "of data=..., or use a method that sends one (POST, PUT, PATCH)."
        )
    return upper


async def call_detail_action(
    obj: RemoteModel,
    action: str,
    *,
    method: str,
    data: Any,
    params: QueryParams | None,
    as_instances: bool,
) -> Any:
    """Send ``action`` to ``obj``'s detail URL (``books/3/publish/``); see ``RemoteModel.acall``."""
    model = type(obj)
    method = check_action(action, method, data)
    if model._meta.embedded:
        raise TypeError(f"{model.__name__} is an embedded record and has no URL of its own.")
    if obj.pk is None:
        raise ValueError(
            f"{model._meta.object_name} object can't call the action {action!r} because its "
            f"{model._meta.pk.attname} attribute is set to None: save it first."
        )
    compiler = compiler_for(obj, None)
    base = compiler.detail_path(obj.pk, instance=obj)
    return await _send(compiler, base, action, method, data, params, as_instances)


async def call_list_action(
    queryset: QuerySet[Any],
    action: str,
    *,
    method: str,
    data: Any,
    params: QueryParams | None,
    as_instances: bool,
) -> Any:
    """Send ``action`` to the list endpoint of ``queryset``'s model (``books/recent/``).

    ``queryset`` is a manager's ``get_queryset()``: its only filters may be the
    parents of a nested endpoint (a related manager's); any other filter would be
    silently dropped, since an action route is not the list, and raises instead.
    """
    model = queryset.model
    method = check_action(action, method, data)
    query = queryset.query
    if query.unsendable is not None:
        raise query.unsendable
    opts = model._meta
    dropped = [
        lk.written
        for lk in query.where
        if not (lk.name == "exact" and lk.names in opts.path_parents)
    ] + [lk.written for lk in query.excludes]
    if dropped or query.search is not None or query.is_empty:
        what = ", ".join(dropped) or ("a search" if query.search is not None else "none()")
        raise NotSupportedError(
            f"Cannot call the action {action!r} through a manager whose queryset is "
            f"filtered ({what}): an action route does not read the list's filters. Call "
            f"{model.__name__}._default_manager.acall() and pass the provider's "
            "parameters as params=... ."
        )
    compiler = Compiler(services.service(queryset.db), model, opts)
    base = compiler.dialect.list_path(opts, compiler.parents(query=query))
    return await _send(compiler, base, action, method, data, params, as_instances)


async def _send(
    compiler: Compiler[Any],
    base: str,
    action: str,
    method: str,
    data: Any,
    params: QueryParams | None,
    as_instances: bool,
) -> Any:
    path = compiler.dialect.action_path(compiler.opts, base, action)
    response = await compiler.action(method, path, params=params, data=data)
    if as_instances:
        return compiler.action_instances(response, f"{method} {path}")
    return response.data
