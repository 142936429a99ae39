"""The retry budget: a token bucket per client, so a storm of errors cannot multiply the load.

As botocore's standard retry mode does: the bucket starts full; every retry
takes tokens (more for a timeout or a connection error, which hold a
connection and a slot for long); a call that succeeds gives back what its
retries took, or one token if it needed none. When a retry would take more
tokens than are left, the error at hand is raised instead. With the defaults,
100 retries in a row without a success empty the bucket: then each call makes
one attempt, until successes refill it.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "DEFAULT_RETRY_BUDGET",
    "RETRY_COST",
    "SUCCESS_REFILL",
    "TIMEOUT_RETRY_COST",
    "RetryBudget",
]

#: Tokens a client's bucket holds, and starts with: 100 status retries, or 50
#: after timeouts and connection errors, with no success in between.
DEFAULT_RETRY_BUDGET: Final = 500

#: Tokens one retry after a status (429, 503...) takes.
RETRY_COST: Final = 5
#: Tokens one retry after a timeout or a connection error takes.
TIMEOUT_RETRY_COST: Final = 10
#: Tokens a call that succeeded without retries gives back.
SUCCESS_REFILL: Final = 1


class RetryBudget:
    """A bucket of ``capacity`` tokens shared by every call of one client.

    One event loop uses a client, so no lock is needed: taking and giving
    tokens never awaits.
    """

    __slots__ = ("_tokens", "capacity")

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._tokens = capacity

    @property
    def tokens(self) -> int:
        """The tokens left."""
        return self._tokens

    def take(self, cost: int) -> bool:
        """Take ``cost`` tokens for a retry; ``False`` (and nothing taken) if too few are left."""
        if cost > self._tokens:
            return False
        self._tokens -= cost
        return True

    def succeeded(self, spent: int) -> None:
        """Refill after a successful call that took ``spent`` tokens for its retries."""
        self._tokens = min(self.capacity, self._tokens + (spent or SUCCESS_REFILL))
