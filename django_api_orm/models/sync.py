"""Sync twins: ``count()`` from ``acount()``, generated, never a second copy of the logic."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar, cast

from django_api_orm.bridge import run_sync

__all__ = ["sync_twin"]

T = TypeVar("T")
P = ParamSpec("P")


def sync_twin(
    async_method: Callable[P, Coroutine[Any, Any, T]], *, receiver: str = "queryset"
) -> Callable[P, T]:
    """Return the sync twin of ``async_method``: the same coroutine run on the sync bridge.

    Called from a running event loop, the twin raises ``SynchronousOnlyOperation``
    naming the async method to await instead (``receiver`` names what it is called on).
    The twin's static type is the async method's, returning what it awaits to: ``get``
    of a ``QuerySet[Book]`` takes ``aget``'s arguments and returns a ``Book``.
    """
    async_name = async_method.__name__

    @functools.wraps(async_method)
    def method(self: Any, *args: Any, **kwargs: Any) -> T:
        result: T = run_sync(
            lambda: getattr(self, async_name)(*args, **kwargs),
            hint=f"await {receiver}.{async_name}()",
        )
        return result

    method.__name__ = async_name[1:]
    method.__qualname__ = async_method.__qualname__.replace(async_name, async_name[1:])
    method.__doc__ = f"Sync twin of :meth:`{async_name}`. {async_method.__doc__ or ''}".strip()
    del method.__wrapped__
    method.__signature__ = inspect.signature(async_method)  # type: ignore[attr-defined]
    # ``method`` takes anything: its static type is ``async_method``'s, awaited.
    return cast("Callable[P, T]", method)
