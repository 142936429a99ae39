"""The HTTP layer: :class:`AsyncServiceClient` sends requests, :class:`APIResponse` holds answers.

The client is policy (URLs, retries, limits, errors); httpx's transport sends
one request at a time. Modules: ``_client`` (the client), ``_response`` (the
answer), ``_retry`` (what to retry, how long to wait), ``_errors`` (httpx
exceptions and statuses to ours), ``_urls`` (joining, origins, redaction,
:func:`~django_api_orm.client._urls.quote_segment`), ``_body`` (reading under
a size cap) and ``_log`` (keeping credentials out of log lines).
"""

from django_api_orm.client._client import AsyncServiceClient
from django_api_orm.client._response import APIResponse

__all__ = ["APIResponse", "AsyncServiceClient"]
