"""State shared by every process of a site: a response cache, a rate budget, a breaker.

Opt-in per service (``CACHE``, ``RATE_LIMIT``, ``CIRCUIT_BREAKER`` in
``API_ORM_SERVICES``), kept in a Django ``CACHES`` alias: Redis makes it shared by
every process; any other cache backend keeps it per process. See
``docs/topics/scaling.rst``.
"""

from django_api_orm.shared.cache import ResponseCache, credentials_hash
from django_api_orm.shared.guard import CircuitBreaker, RateLimiter, parse_rate
from django_api_orm.shared.store import Store, aclose_stores, store_for

__all__ = [
    "CircuitBreaker",
    "RateLimiter",
    "ResponseCache",
    "Store",
    "aclose_stores",
    "credentials_hash",
    "parse_rate",
    "store_for",
]
