"""The retry policy: what may be sent again, and how long to wait first.

Nothing may be created twice, so a request is sent again only when that is
safe: its method is idempotent, or the service set an idempotency header (one
key for every attempt of a call), or the request provably never left (the
connection could not be made).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime

import httpx

__all__ = [
    "IDEMPOTENT_METHODS",
    "MAX_WAIT",
    "RETRY_STATUSES",
    "RetryPolicy",
    "never_sent",
    "parse_retry_after",
]

#: Methods that mean the same thing however many times they arrive (RFC 9110 §9.2.2).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})

#: Answers that say "not now" rather than "no": timeouts, rate limits, overload.
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})

#: The longest wait, in seconds, a retry may take. A server asking for more
#: gets its error raised at once, carrying ``retry_after``, instead of a
#: request that hangs for minutes.
MAX_WAIT = 60.0

# Errors raised before a byte of the request was written: the connection (TCP,
# TLS) could not be made, or no connection came free. Safe to retry any method.
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def never_sent(error: BaseException) -> bool:
    """Tell whether ``error`` proves the request never reached the server."""
    return isinstance(error, _NEVER_SENT)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Return the seconds a ``Retry-After`` header asks for, or ``None``.

    Both forms of RFC 9110 §10.2.3 are read: delay-seconds (``"120"``) and an
    HTTP-date (``"Wed, 21 Oct 2015 07:28:00 GMT"``). A date in the past means
    no wait. Anything unreadable is ignored.
    """
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        # float() also reads "nan" and "inf"; neither is a delay.
        return seconds if 0.0 <= seconds < float("inf") else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000": the date is in UTC (RFC 5322 §3.3)
        when = when.replace(tzinfo=UTC)
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many times to send a request again, and how long to wait before each.

    Parameters
    ----------
    max_retries : int
        Retries after the first attempt: at most ``1 + max_retries`` attempts.
    retry_delay : float
        The first backoff in seconds; it doubles for each further retry.
    max_wait : float
        The cap on any one wait, in seconds.
    """

    max_retries: int
    retry_delay: float
    max_wait: float = MAX_WAIT

    def backoff(self, retry: int) -> float:
        """Return the wait before retry number ``retry`` (counting from 0).

        Exponential from ``retry_delay`` with "equal jitter": a random point in
        the upper half of ``retry_delay * 2**retry``, so clients that failed
        together do not come back together. Never more than ``max_wait``.
        """
        ceiling = min(self.max_wait, self.retry_delay * 2.0**retry)
        return ceiling / 2.0 + random.uniform(0.0, ceiling / 2.0)

    def may_retry_error(self, error: BaseException, *, replayable: bool, retry: int) -> bool:
        """Tell whether a request that failed with ``error`` may be sent again."""
        return retry < self.max_retries and (replayable or never_sent(error))

    def status_wait(self, status_code: int, retry_after: float | None, retry: int) -> float | None:
        """Return the wait before retrying a replayable request answered ``status_code``.

        ``None`` means do not retry: the status is final, the retries are used
        up, or the server asked for a wait longer than ``max_wait``.
        """
        if status_code not in RETRY_STATUSES or retry >= self.max_retries:
            return None
        if retry_after is not None:
            return retry_after if retry_after <= self.max_wait else None
        return self.backoff(retry)
