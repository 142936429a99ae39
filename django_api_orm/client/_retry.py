"""The retry policy: what may be sent again, and how long to wait first.

Nothing may be created twice, so a request is sent again only when that is
safe: its method is idempotent, or the service set an idempotency header (one
key for every attempt of a call), or the request provably never left (the
connection could not be made). Nor is anything sent again that would fail the
same way: a certificate that does not verify, a malformed or oversized answer
(:func:`will_repeat`).
"""

from __future__ import annotations

import random
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Final

import httpx

__all__ = [
    "IDEMPOTENT_METHODS",
    "MAX_WAIT",
    "RETRY_STATUSES",
    "RetryPolicy",
    "never_sent",
    "parse_retry_after",
    "parse_retry_after_ms",
    "server_wait",
    "should_retry",
    "will_repeat",
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


# TLS failures that are configuration, not luck: the server speaks plain HTTP
# on an https port, or offers no protocol version or cipher we accept.
_TLS_MISMATCH: Final = frozenset(
    {
        "WRONG_VERSION_NUMBER",
        "UNSUPPORTED_PROTOCOL",
        "NO_PROTOCOLS_AVAILABLE",
        "TLSV1_ALERT_PROTOCOL_VERSION",
        "NO_SHARED_CIPHER",
        "SSLV3_ALERT_HANDSHAKE_FAILURE",
    }
)

# Messages of a RemoteProtocolError for an answer that is malformed or too
# large (h11's parser): sent again, it would be again. Any other protocol
# error, such as "Server disconnected without sending a response." (a
# keep-alive connection the server closed as we reused it) or an HTTP/2 stream
# the server reset, may not happen on a fresh connection, and is retried.
_MALFORMED: Final = (
    "illegal ",
    "malformed ",
    "conflicting content-length",
    "bad content-length",
    "too much data for declared content-length",
    "multiple transfer-encoding",
    "only transfer-encoding",
    "continuation line at start of headers",
    "status_code should be in range",
    "status code must be integer",
)

# httpcore's h11 connections refuse a header block over 100 KiB with this message.
_HEADERS_TOO_LONG: Final = "Receive buffer too long"


def _causes(error: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain and len(chain) < 16:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def will_repeat(error: BaseException) -> str | None:
    """Return why sending again would fail the same way, or ``None`` if it might not.

    A certificate that does not verify, a TLS handshake that cannot agree, a
    request we could not encode (``LocalProtocolError``), and an answer that
    is malformed or whose header block is too large will all fail again.
    """
    if isinstance(error, httpx.LocalProtocolError):
        return "the request could not be sent as HTTP, and could not be again"
    if isinstance(error, httpx.RemoteProtocolError):
        text = str(error)
        if text == _HEADERS_TOO_LONG:
            return (
                "the answer's header block is larger than the 100 KiB the HTTP/1.1 "
                "parser accepts, and would be again"
            )
        if any(marker in text.lower() for marker in _MALFORMED):
            return "the answer is malformed, and would be again"
    if isinstance(error, httpx.ConnectError):
        for cause in _causes(error):
            if isinstance(cause, ssl.SSLCertVerificationError):
                return "the server's certificate failed verification, and would fail again"
            if type(cause) is ssl.SSLError and getattr(cause, "reason", None) in _TLS_MISMATCH:
                return "the TLS handshake cannot succeed with this server, and would fail again"
    return None


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


def parse_retry_after_ms(value: str | None) -> float | None:
    """Return the seconds a ``retry-after-ms`` header (milliseconds) asks for, or ``None``."""
    if not value:
        return None
    try:
        millis = float(value.strip())
    except ValueError:
        return None
    return millis / 1000.0 if 0.0 <= millis < float("inf") else None


def server_wait(headers: Mapping[str, str]) -> float | None:
    """Return the wait the server asked for: ``retry-after-ms`` first, else ``Retry-After``."""
    millis = parse_retry_after_ms(headers.get("retry-after-ms"))
    if millis is not None:
        return millis
    return parse_retry_after(headers.get("retry-after"))


def should_retry(headers: Mapping[str, str]) -> bool | None:
    """Read ``x-should-retry``: ``True``, ``False``, or ``None`` when absent or unreadable."""
    value = (headers.get("x-should-retry") or "").strip().lower()
    return {"true": True, "false": False}.get(value)


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

    def schedule(self) -> float:
        """Return the longest the backoff waits of one call can add up to, in seconds."""
        return sum(min(self.max_wait, self.retry_delay * 2.0**n) for n in range(self.max_retries))

    def status_wait(
        self,
        status_code: int,
        retry_after: float | None,
        retry: int,
        *,
        should_retry: bool | None = None,
    ) -> float | None:
        """Return the wait before retrying a replayable request answered ``status_code``.

        ``None`` means do not retry: the status is final (or the server said
        ``x-should-retry: false``), the retries are used up, or the server
        asked for a wait longer than ``max_wait``. ``x-should-retry: true``
        makes any 4xx or 5xx status retryable.
        """
        if should_retry is False or retry >= self.max_retries:
            return None
        if status_code not in RETRY_STATUSES and not (should_retry and status_code >= 400):
            return None
        if retry_after is not None:
            return retry_after if retry_after <= self.max_wait else None
        return self.backoff(retry)
