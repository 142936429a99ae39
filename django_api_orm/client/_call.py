"""One logical call: its deadline, its retries, and why it stops retrying.

A call is every attempt, backoff, server-requested wait and redirect made for
one ``AsyncServiceClient.request()``. :class:`Call` holds what they share: the
deadline over all of them, the retries made so far and the tokens they took
from the client's retry budget. Its two decisions, :meth:`Call.status_wait`
(for a transient status, made before the body is read) and
:meth:`Call.error_wait` (for a failed attempt), each say how long to wait
before the next attempt, or why there is none.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping

import httpx

from django_api_orm.exceptions import HTTPStatusError

from ._budget import RETRY_COST, TIMEOUT_RETRY_COST, RetryBudget
from ._errors import redirect_error
from ._log import logger
from ._retry import RETRY_STATUSES, RetryPolicy, never_sent, server_wait, should_retry, will_repeat
from ._urls import Origin, origin_of, redact_url, resolve_redirect

__all__ = ["MAX_REDIRECTS", "READ_METHODS", "Call", "log_retry", "redirect_target"]

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_REDIRECTS = 10


class Call:
    """The state one call's attempts share.

    Parameters
    ----------
    method : str
        The request method, upper-case.
    replayable : bool
        Whether the request may be sent again after it may have arrived: an
        idempotent method, or a write carrying an idempotency key.
    policy : RetryPolicy
        How many retries, and the backoff before each.
    budget : RetryBudget or None
        The client's retry budget; ``None``: retries are not rationed.
    timeout : float
        Seconds one attempt may take.
    deadline : float
        Seconds the whole call may take, counted from now.
    """

    __slots__ = (
        "_budget",
        "_policy",
        "attempts",
        "deadline",
        "ends",
        "method",
        "replayable",
        "retry",
        "spent",
        "started",
        "timeout",
    )

    def __init__(
        self,
        *,
        method: str,
        replayable: bool,
        policy: RetryPolicy,
        budget: RetryBudget | None,
        timeout: float,
        deadline: float,
    ) -> None:
        self.method = method
        self.replayable = replayable
        self._policy = policy
        self._budget = budget
        self.timeout = timeout
        self.deadline = deadline
        #: The event loop's time when the call started, and when its deadline passes.
        self.started = asyncio.get_running_loop().time()
        self.ends = self.started + deadline
        self.retry = 0  # retries made so far
        self.attempts = 0  # requests sent so far, redirects included
        self.spent = 0  # tokens the retries took from the budget

    def remaining(self) -> float:
        """Return the seconds left before the deadline (negative once passed)."""
        return self.ends - asyncio.get_running_loop().time()

    def elapsed(self) -> float:
        """Return the seconds since the call started: every attempt, wait and redirect."""
        return asyncio.get_running_loop().time() - self.started

    def expired(self) -> bool:
        """Tell whether the deadline has passed."""
        return self.remaining() <= 0.0

    def succeeded(self) -> None:
        """Give back to the budget what this call's retries took (or one token)."""
        if self._budget is not None:
            self._budget.succeeded(self.spent)

    def status_wait(
        self, status_code: int, headers: Mapping[str, str]
    ) -> tuple[float | None, float | None, str | None]:
        """Decide about a non-2xx answer before its body is read.

        Returns ``(retry_after, wait, not_retried)``: the wait the server asked
        for (``retry-after-ms``, else ``Retry-After``), the wait before the
        retry (``None``: raise this answer's error), and why a status that is
        retried as a rule is not retried this time.
        """
        retry_after = server_wait(headers)
        if not self.replayable:
            return retry_after, None, None
        hint = should_retry(headers)
        wait = self._policy.status_wait(status_code, retry_after, self.retry, should_retry=hint)
        if wait is None:
            reason = None
            if self.retry < self._policy.max_retries and status_code in RETRY_STATUSES:
                if hint is False:
                    reason = "the server answered x-should-retry: false"
                elif retry_after is not None:
                    reason = f"the server asks for a wait over the {self._policy.max_wait:g} s cap"
            return retry_after, None, reason
        reason = self._admit(wait, RETRY_COST)
        return retry_after, (None if reason else wait), reason

    def error_wait(self, error: BaseException) -> tuple[float | None, str | None]:
        """Decide about an attempt that got no answer: ``(wait, not_retried)``."""
        reason = will_repeat(error)
        if reason is not None:
            return None, reason
        if not (self.replayable or never_sent(error)):
            return None, (
                f"{self.method} is not idempotent and may have been processed, so it was not "
                "sent again (an idempotency_header makes such requests retryable)"
            )
        if self.retry >= self._policy.max_retries:
            return None, None
        wait = self._policy.backoff(self.retry)
        reason = self._admit(wait, TIMEOUT_RETRY_COST)
        return (None if reason else wait), reason

    def _admit(self, wait: float, cost: int) -> str | None:
        """Count a retry after ``wait`` seconds, or say why it cannot be made."""
        if wait >= self.remaining():
            return (
                f"waiting {wait:.3g} s would pass the call's {self.deadline:g} s deadline "
                f"({max(0.0, self.remaining()):.3g} s left)"
            )
        if self._budget is not None and not self._budget.take(cost):
            return "the client's retry budget is spent (too many retries lately)"
        self.spent += cost
        self.retry += 1
        return None


def redirect_target(
    *,
    method: str,
    url: str,
    status_code: int,
    headers: Mapping[str, str],
    origin: Origin,
    follow: bool,
    hops: int,
    secrets: Iterable[str],
) -> str:
    """Return where to follow a redirect, or raise the error that says why not."""
    location = headers.get("location")
    reason = ""
    if not follow:
        reason = (
            "writes never follow redirects"
            if method not in READ_METHODS
            else "follow_redirects is off"
        )
    elif not location:
        reason = "there is no Location to follow"
    elif hops >= MAX_REDIRECTS:
        reason = f"more than {MAX_REDIRECTS} redirects"
    else:
        target = resolve_redirect(url, location)
        if origin_of(target) == origin:
            return target
        reason = f"redirects are followed only within {origin}"
    error: HTTPStatusError = redirect_error(
        method=method,
        url=url,
        status_code=status_code,
        headers=headers,
        location=resolve_redirect(url, location) if location else None,
        reason=reason,
        secrets=secrets,
    )
    raise error


def log_retry(request: httpx.Request, why: str, wait: float) -> None:
    """Log at DEBUG that ``request`` failed (``why``) and is retried after ``wait`` seconds."""
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug(
            "%s %s: %s, retrying in %.2f s",
            request.method,
            redact_url(str(request.url)),
            why,
            wait,
        )
