"""Django's ORM for the REST APIs you don't own."""

from django_api_orm import exceptions
from django_api_orm.client import APIResponse, AsyncServiceClient
from django_api_orm.exceptions import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConnectionError,
    HTTPStatusError,
    InvalidResponseError,
    NotFoundError,
    NotSupportedError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ServiceUnavailableError,
    TimeoutError,
    TransportError,
)
from django_api_orm.models import Manager, Q, QuerySet, RemoteModel, fields
from django_api_orm.services import services

__version__ = "0.2.0"

__all__ = [
    "APIError",
    "APIResponse",
    "AsyncServiceClient",
    "AuthenticationError",
    "BadRequestError",
    "ConnectionError",
    "HTTPStatusError",
    "InvalidResponseError",
    "Manager",
    "NotFoundError",
    "NotSupportedError",
    "PermissionDeniedError",
    "Q",
    "QuerySet",
    "RateLimitError",
    "RemoteModel",
    "ServerError",
    "ServiceUnavailableError",
    "TimeoutError",
    "TransportError",
    "exceptions",
    "fields",
    "services",
]
