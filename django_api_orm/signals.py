"""Signals the library sends, for code that watches the requests it makes.

``request_finished``
    Sent once per logical request of an :class:`~django_api_orm.AsyncServiceClient`
    (after its retries and redirects), with ``sender`` the service alias (``None``
    for a client built by hand) and the keyword arguments:

    - ``method``: ``"GET"``, ``"POST"`` …
    - ``url``: the URL of the request, with credentials and secret query values hidden
    - ``status_code``: the final status, or ``None`` when no answer came
    - ``elapsed``: seconds from the call to its outcome, every attempt and wait included
    - ``attempts``: requests sent, retries and redirects included (0: none was sent)
    - ``exception``: the exception the call raised, or ``None``

    It is sent with ``Signal.asend_robust()`` from the event loop of the call: an
    ``async def`` receiver runs on that loop, a plain one in a thread (Django's
    rules), and an exception in a receiver is logged (logger
    ``django_api_orm.client``), never raised into the request. With no receiver
    connected it costs nothing.
"""

from __future__ import annotations

from django.dispatch import Signal

__all__ = ["request_finished"]

#: Sent once per logical request of a client, after its retries and redirects.
request_finished = Signal()
