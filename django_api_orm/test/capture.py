"""``CaptureRequestsContext`` and ``RemoteTestMixin.assertNumRequests``: Django's
``CaptureQueriesContext`` and ``assertNumQueries``, for the requests of remote models.

Both listen to :data:`django_api_orm.signals.request_finished`, sent once per
logical request (after its retries), with an ``async def`` receiver: it runs on the
loop of the request, which for a sync twin (``Book.objects.count()``) is the
package's background loop, in another thread. Appends are made under a lock.
"""

from __future__ import annotations

import itertools
import threading
import unittest
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any, overload

from django_api_orm.signals import request_finished

__all__ = ["CaptureRequestsContext", "CapturedRequest", "RemoteTestMixin"]

_uids = itertools.count()


@dataclass(frozen=True)
class CapturedRequest:
    """One logical request, as ``request_finished`` reported it."""

    #: ``"GET"``, ``"POST"`` …
    method: str
    #: The URL, credentials and secret query values hidden.
    url: str
    #: The final status, or ``None`` when no answer came (a transport error).
    status_code: int | None
    #: Seconds from the call to its outcome, every attempt and wait included.
    elapsed: float
    #: The service alias (``None`` for a client built by hand).
    service: str | None
    #: Requests sent, retries and redirects included.
    attempts: int
    #: The exception the call raised, or ``None``.
    exception: BaseException | None = None

    def __str__(self) -> str:
        outcome = (
            str(self.status_code)
            if self.status_code is not None
            else type(self.exception).__name__
            if self.exception is not None
            else "no answer"
        )
        plural = "" if self.attempts == 1 else "s"
        return (
            f"{self.method} {self.url} -> {outcome} "
            f"({self.elapsed * 1000:.1f} ms, {self.attempts} attempt{plural})"
        )


class CaptureRequestsContext:
    """Record the requests made while it is active, as Django's ``CaptureQueriesContext``.

    ``with CaptureRequestsContext() as ctx:`` (or ``async with``) then
    ``ctx.captured_requests``, ``len(ctx)``, ``ctx[0]``, ``for r in ctx``. ``using``
    names the one service alias to record; ``None`` records every alias. Every
    context active at the same time (nested, or in concurrent tasks) records every
    request of its alias finished while it is active, whoever made it.
    """

    def __init__(self, using: str | None = None) -> None:
        self.using = using
        self.captured_requests: list[CapturedRequest] = []
        self._lock = threading.Lock()
        self._uid = f"django_api_orm.test.CaptureRequestsContext.{next(_uids)}"
        self._active = False

    async def _receive(
        self,
        sender: str | None,
        *,
        method: str,
        url: str,
        status_code: int | None,
        elapsed: float,
        attempts: int,
        exception: BaseException | None = None,
        **kwargs: Any,
    ) -> None:
        if self.using is not None and sender != self.using:
            return
        record = CapturedRequest(
            method=method,
            url=url,
            status_code=status_code,
            elapsed=elapsed,
            service=sender,
            attempts=attempts,
            exception=exception,
        )
        with self._lock:
            self.captured_requests.append(record)

    # --- entering and leaving ----------------------------------------------

    def start(self) -> None:
        """Start recording (what ``with`` does); the list is emptied."""
        with self._lock:
            self.captured_requests = []
        request_finished.connect(self._receive, weak=False, dispatch_uid=self._uid)
        self._active = True

    def stop(self) -> None:
        """Stop recording; what was recorded stays in ``captured_requests``."""
        request_finished.disconnect(dispatch_uid=self._uid)
        self._active = False

    def __enter__(self) -> CaptureRequestsContext:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> CaptureRequestsContext:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc_val, exc_tb)

    # --- reading ------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.captured_requests)

    def __iter__(self) -> Iterator[CapturedRequest]:
        return iter(list(self.captured_requests))

    @overload
    def __getitem__(self, index: int) -> CapturedRequest: ...

    @overload
    def __getitem__(self, index: slice) -> list[CapturedRequest]: ...

    def __getitem__(self, index: int | slice) -> CapturedRequest | list[CapturedRequest]:
        return self.captured_requests[index]

    def describe(self) -> str:
        """Return the requests as numbered lines, as a failure message lists them."""
        return "\n".join(f"{n}. {r}" for n, r in enumerate(self.captured_requests, start=1))

    def __repr__(self) -> str:
        state = "active" if self._active else "stopped"
        return f"<CaptureRequestsContext using={self.using!r} {state}, {len(self)} requests>"


class _AssertNumRequestsContext(CaptureRequestsContext):
    """The context ``assertNumRequests`` returns: fails the test on exit if the count differs."""

    def __init__(self, test_case: unittest.TestCase, num: int, using: str | None) -> None:
        super().__init__(using=using)
        self.test_case = test_case
        self.num = num

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        super().__exit__(exc_type, exc_val, exc_tb)
        if exc_type is not None:
            return
        made = len(self)
        where = "" if self.using is None else f" to {self.using!r}"
        self.test_case.assertEqual(  # noqa: PT009 (fails as assertNumQueries does)
            made,
            self.num,
            f"{made} requests{where} were made, {self.num} expected\n"
            f"Captured requests were:\n{self.describe() or '(none)'}",
        )


class RemoteTestMixin:
    """Add ``assertNumRequests`` to a ``unittest.TestCase`` (or Django's ``SimpleTestCase``).

    ``class BookTests(RemoteTestMixin, SimpleTestCase): ...``
    """

    def assertNumRequests(self, num: int, using: str | None = None) -> _AssertNumRequestsContext:
        """Return a context manager failing the test unless ``num`` requests are made in it.

        As ``TestCase.assertNumQueries``: the message lists each request. ``using``
        counts only that service alias's requests. Usable as ``with`` and ``async with``.
        """
        if not isinstance(self, unittest.TestCase):
            raise TypeError("RemoteTestMixin must be mixed into a unittest.TestCase subclass.")
        return _AssertNumRequestsContext(self, num, using)
