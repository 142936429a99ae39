"""The seed document's module path: ``django_api_orm.async_client.AsyncServiceClient``.

Code written for the seed's API imports the client from here::

    from django_api_orm.async_client import AsyncServiceClient

The names are the package's own objects, not copies: ``AsyncServiceClient``
and ``APIResponse`` are :class:`django_api_orm.AsyncServiceClient` and
:class:`django_api_orm.APIResponse`, and the exceptions are those of
:mod:`django_api_orm.exceptions`.

``DoesNotExist`` is :class:`~django_api_orm.exceptions.NotFoundError`. The
seed's client raised its ``DoesNotExist`` for one thing only, a 404 answer;
``NotFoundError`` is what this client raises for a 404, so ``except
DoesNotExist`` around a client call keeps meaning "the server answered 404".
It is not Django's ``ObjectDoesNotExist``: a model's ``Book.DoesNotExist``
(a query that matched nothing) is a different exception, as in Django.

Nothing here opens a connection or reads settings at import.
"""

from django_api_orm.client import APIResponse, AsyncServiceClient
from django_api_orm.exceptions import (
    APIError,
    AuthenticationError,
    ConnectionError,
    HTTPStatusError,
    NotFoundError,
    RateLimitError,
    TimeoutError,
)

#: The seed's name for a 404 answer: this client raises :class:`NotFoundError`.
DoesNotExist = NotFoundError

__all__ = [
    "APIError",
    "APIResponse",
    "AsyncServiceClient",
    "AuthenticationError",
    "ConnectionError",
    "DoesNotExist",
    "HTTPStatusError",
    "NotFoundError",
    "RateLimitError",
    "TimeoutError",
]
