"""Tools for testing code that uses remote models (docs/topics/testing.rst).

- :class:`CaptureRequestsContext`: record the requests made in a block, as
  Django's ``CaptureQueriesContext`` records queries;
- :class:`RemoteTestMixin`: ``assertNumRequests(num, using=None)``, as
  ``TestCase.assertNumQueries``;
- :class:`FakeService`: an in-memory provider serving one alias's models through
  the real client stack;
- the pytest plugin (``django_api_orm.test.plugin``): fixtures ``api_requests``
  and ``fake_service``.

The names are imported on first use, so that importing the plugin costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django_api_orm.test.capture import (
        CapturedRequest,
        CaptureRequestsContext,
        RemoteTestMixin,
    )
    from django_api_orm.test.fake import FakeService

__all__ = ["CaptureRequestsContext", "CapturedRequest", "FakeService", "RemoteTestMixin"]

_WHERE = {
    "CaptureRequestsContext": "capture",
    "CapturedRequest": "capture",
    "RemoteTestMixin": "capture",
    "FakeService": "fake",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
