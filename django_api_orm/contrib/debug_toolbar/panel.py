"""``RequestsPanel``: the remote API requests made while the toolbar recorded a page.

How a request finds its page: ``enable_instrumentation()`` puts the page's recorder in
a context variable, in the context that then runs the view. An ``async def`` view and
the tasks it starts see it; a sync view's sync twins (``Book.objects.get()``) run on
the bridge's background loop with a copy of the caller's context variables
(``django_api_orm.bridge``), so they see it too. One ``async def`` receiver of
``request_finished``, connected once when this module is imported, appends each
finished request to the recorder it finds there: requests of other pages served at
the same time, in other tasks or threads, go to their own recorders.
"""

from __future__ import annotations

import contextvars
import re
import time
from collections import Counter
from typing import Any

from debug_toolbar.panels import Panel
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from django_api_orm.signals import request_finished

__all__ = ["RequestsPanel", "record_request"]

TEMPLATE = "django_api_orm/debug_toolbar/requests.html"


class Recorder:
    """The requests one page made, in the order they finished."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.requests: list[dict[str, Any]] = []


#: The recorder of the page being rendered in this context, if the panel records it.
current_recorder: contextvars.ContextVar[Recorder | None] = contextvars.ContextVar(
    "django_api_orm_debug_toolbar_recorder", default=None
)


async def record_request(
    sender: str | None,
    *,
    method: str,
    url: str,
    status_code: int | None,
    elapsed: float,
    attempts: int,
    exception: BaseException | None,
    **kwargs: Any,
) -> None:
    """``request_finished`` receiver: add the request to the current page's recorder."""
    recorder = current_recorder.get()
    if recorder is None:
        return
    finished = time.perf_counter()
    recorder.requests.append(
        {
            "method": method,
            "url": url,
            "status_code": status_code,
            "exception": None if exception is None else type(exception).__name__,
            "message": None if exception is None else str(exception),
            "elapsed": elapsed,
            "attempts": attempts,
            "service": sender,
            # Seconds after the toolbar started recording the page.
            "start": max(finished - elapsed - recorder.started, 0.0),
        }
    )


# Connected once, for every page; it does nothing where no panel is recording.
request_finished.connect(record_request, dispatch_uid="django_api_orm.contrib.debug_toolbar")


class RequestsPanel(Panel):
    """The remote API requests of the page: method, URL, status, time, service, attempts."""

    is_async = True
    template = TEMPLATE
    nav_title = _("API requests")
    title = _("Remote API requests")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._recorder: Recorder | None = None
        self._token: contextvars.Token[Recorder | None] | None = None

    def _recorded(self) -> dict[str, Any]:
        """Return the stats recorded for the page (``get_stats()``, typed)."""
        stats: dict[str, Any] = self.get_stats()  # type: ignore[no-untyped-call]
        return stats

    @property
    def nav_subtitle(self) -> str:
        stats = self._recorded()
        count = stats.get("total_requests", 0)
        return ngettext(
            "%(count)d request in %(time).1f ms",
            "%(count)d requests in %(time).1f ms",
            count,
        ) % {"count": count, "time": stats.get("total_time", 0.0)}

    def enable_instrumentation(self) -> None:
        if self._token is None:
            self._recorder = Recorder()
            self._token = current_recorder.set(self._recorder)

    def disable_instrumentation(self) -> None:
        token, self._token = self._token, None
        if token is None:
            return
        try:
            current_recorder.reset(token)
        except ValueError:  # set in another context: forget this page's recorder there
            current_recorder.set(None)

    def generate_stats(self, request: HttpRequest, response: HttpResponse) -> None:
        found = [] if self._recorder is None else list(self._recorder.requests)
        self.record_stats(summarize(found))  # type: ignore[no-untyped-call]

    def generate_server_timing(self, request: HttpRequest, response: HttpResponse) -> None:
        stats = self._recorded()
        title = "API {} requests".format(stats.get("total_requests", 0))
        total = stats.get("total_time", 0.0)
        self.record_server_timing("total_time", title, total)  # type: ignore[no-untyped-call]


def summarize(found: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the panel's stats (JSON values: the toolbar's store serializes them)."""
    found = sorted(found, key=lambda row: row["start"])
    gets = Counter((row["service"], row["url"]) for row in found if row["method"] == "GET")
    span = max((row["start"] + row["elapsed"] for row in found), default=0.0) or 1.0
    rows = []
    services: dict[str, dict[str, Any]] = {}
    for row in found:
        time_ms = row["elapsed"] * 1000
        duplicates = gets[(row["service"], row["url"])] if row["method"] == "GET" else 0
        service = "" if row["service"] is None else str(row["service"])
        status = row["status_code"] if row["status_code"] is not None else row["exception"]
        rows.append(
            {
                **row,
                "service": service,
                "status": status,
                # Where a long URL may wrap: after its "?" and each "&".
                "url_parts": re.split(r"(?<=[?&])", row["url"]),
                "time": time_ms,
                "failed": row["exception"] is not None,
                "duplicate_count": duplicates if duplicates > 1 else 0,
                # The request's bar on the page's timeline, in percent.
                "start_offset": round(row["start"] / span * 100, 2),
                "width_ratio": max(round(row["elapsed"] / span * 100, 2), 0.5),
            }
        )
        summary = services.setdefault(service, {"service": service, "count": 0, "time": 0.0})
        summary["count"] += 1
        summary["time"] += time_ms
    return {
        "requests": rows,
        "total_requests": len(rows),
        "total_time": sum(row["time"] for row in rows),
        "duplicate_count": sum(count for count in gets.values() if count > 1),
        "failed_count": sum(1 for row in rows if row["failed"]),
        "services": list(services.values()),
    }
