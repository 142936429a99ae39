"""The HTTP layer: :class:`AsyncServiceClient` sends requests, :class:`APIResponse` holds answers.

The client is policy (URLs, retries, limits, errors); httpx's transport sends
one request at a time. Modules: ``_client`` (the client: its arguments, verbs,
retries and redirects), ``_pool`` (one attempt: the ``max_connections`` gate,
the deadline, the body read, and the httpx pool, rebuilt when it wedges),
``_response`` (the answer, and what an attempt's answer means), ``_headers``
(the headers every request carries), ``_secrets`` (legal header names and
values, and which configured values are secrets, shared with the settings),
``_retry`` (what to retry, how long to wait), ``_errors`` (httpx exceptions
and statuses to ours), ``_urls`` (joining, redaction; origins and
:func:`~django_api_orm.urls.quote_segment` come from
:mod:`django_api_orm.urls`), ``_body`` (reading under a size cap) and ``_log``
(keeping credentials out of log lines).
"""

from django_api_orm.client._client import AsyncServiceClient
from django_api_orm.client._response import APIResponse

__all__ = ["APIResponse", "AsyncServiceClient"]
