"""Checking ``AsyncServiceClient``'s numeric keywords, and its default deadline.

Each check raises ``ValueError`` naming the keyword, the value and what it
must be, before anything is built.
"""

from __future__ import annotations

from typing import Final

from ._retry import RetryPolicy

__all__ = ["DEADLINE_ATTEMPTS", "check_options", "default_deadline"]

#: The default deadline is this many whole attempts, plus the backoff schedule.
DEADLINE_ATTEMPTS: Final = 3


def _is_seconds(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_options(
    *,
    timeout: float,
    max_retries: int,
    retry_delay: float,
    max_connections: int,
    max_keepalive_connections: int,
    max_response_bytes: int,
    deadline: float | None,
    retry_budget: int | None,
) -> None:
    """Raise ``ValueError`` for the first keyword whose value is out of range."""
    if not _is_seconds(timeout) or timeout <= 0:
        raise ValueError(f"timeout must be a number of seconds > 0, got {timeout!r}")
    if not isinstance(max_retries, int) or max_retries < 0:
        raise ValueError(f"max_retries must be an int >= 0, got {max_retries!r}")
    if not isinstance(retry_delay, (int, float)) or retry_delay < 0:
        raise ValueError(f"retry_delay must be a number of seconds >= 0, got {retry_delay!r}")
    if not isinstance(max_connections, int) or max_connections < 1:
        raise ValueError(f"max_connections must be an int >= 1, got {max_connections!r}")
    if not isinstance(max_keepalive_connections, int) or max_keepalive_connections < 0:
        raise ValueError(
            f"max_keepalive_connections must be an int >= 0, got {max_keepalive_connections!r}"
        )
    if not isinstance(max_response_bytes, int) or max_response_bytes < 1:
        raise ValueError(f"max_response_bytes must be an int >= 1, got {max_response_bytes!r}")
    if deadline is not None and (not _is_seconds(deadline) or not 0 < deadline < float("inf")):
        raise ValueError(f"deadline must be None or a number of seconds > 0, got {deadline!r}")
    if retry_budget is not None and (
        not isinstance(retry_budget, int) or isinstance(retry_budget, bool) or retry_budget < 0
    ):
        raise ValueError(f"retry_budget must be None or an int >= 0, got {retry_budget!r}")


def default_deadline(timeout: float, policy: RetryPolicy) -> float:
    """Return the deadline of a call when none is given: three attempts and every backoff.

    With the defaults (``timeout=30``, ``retry_delay=1``, ``max_retries=3``)
    that is 3 * 30 + (1 + 2 + 4) = 97 seconds: the backoff schedule is never
    cut short, two attempts may time out and a third still be made, and one
    ``Retry-After`` up to the 60 s cap is honoured; a server asking for 59 s
    on every answer gets the call over within 97 s instead of about 3 minutes.
    """
    return DEADLINE_ATTEMPTS * timeout + policy.schedule()
