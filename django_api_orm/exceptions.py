"""The exceptions django_api_orm raises, one hierarchy.

Our exception hierarchy::

    APIError
    ├── TransportError              the request got no HTTP answer
    │   ├── ConnectionError         (also the builtin ConnectionError)
    │   └── TimeoutError            (also the builtin TimeoutError)
    ├── HTTPStatusError             the server answered with a non-2xx status
    │   ├── BadRequestError         400 (also django.core.exceptions.ValidationError)
    │   ├── AuthenticationError     401
    │   ├── PermissionDeniedError   403
    │   ├── NotFoundError           404
    │   ├── RateLimitError          429, with ``retry_after``
    │   └── ServerError             5xx, with ``retry_after``
    │       └── ServiceUnavailableError  not sent: the circuit breaker is open
    ├── InvalidResponseError        a body that is not the JSON expected, too large,
    │                               or a pagination link to another origin
    └── NotSupportedError           a call the remote API cannot express

Every message names the HTTP method, the URL without credentials and, where
there is one, the status. The auth token never appears in a message or a repr.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

__all__ = [
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "ConnectionError",
    "HTTPStatusError",
    "InvalidResponseError",
    "NotFoundError",
    "NotSupportedError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
    "ServiceUnavailableError",
    "TimeoutError",
    "TransportError",
]

_BODY_IN_MESSAGE = 500  # characters of a server's body quoted in a message


def _describe(method: str | None, url: str | None) -> str:
    if method and url:
        return f"{method} {url}"
    return method or url or ""


def _summarise_body(body: Any) -> str:
    if body is None:
        return ""
    if isinstance(body, Mapping) and set(body) == {"detail"}:
        text = str(body["detail"])
    else:
        text = str(body)
    if len(text) > _BODY_IN_MESSAGE:
        text = text[:_BODY_IN_MESSAGE] + "…"
    return text


class APIError(Exception):
    """Base class of every error raised by django_api_orm."""

    def __init__(
        self,
        message: str = "",
        *,
        method: str | None = None,
        url: str | None = None,
        status_code: int | None = None,
        body: Any = None,
    ) -> None:
        self.message = message
        self.method = method
        self.url = url
        self.status_code = status_code
        self.body = body
        Exception.__init__(self, message)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class TransportError(APIError):
    """The request got no HTTP answer: connection refused or reset, timeout, protocol error."""

    def __init__(self, message: str = "", *, method: str | None = None, url: str | None = None):
        where = _describe(method, url)
        full = f"{where}: {message}" if where else message
        super().__init__(full, method=method, url=url)


class ConnectionError(TransportError, builtins.ConnectionError):
    """The connection could not be made, or was lost before an answer arrived."""


class TimeoutError(TransportError, builtins.TimeoutError):
    """An attempt outlasted the client's ``timeout``, or a call its ``deadline``."""


class HTTPStatusError(APIError):
    """The server answered with a non-2xx status; ``status_code`` and ``body`` say which."""

    def __init__(
        self,
        message: str = "",
        *,
        method: str | None = None,
        url: str | None = None,
        status_code: int | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        retry_after: float | None = None,
    ) -> None:
        #: Seconds the server asked to wait (``Retry-After``), if it said; set on a
        #: ``RateLimitError`` or ``ServerError`` whose wait was beyond the cap.
        self.retry_after = retry_after
        if not message:
            where = _describe(method, url)
            message = f"{where} answered {status_code}" if where else f"HTTP {status_code}"
            summary = _summarise_body(body)
            if summary:
                message = f"{message}: {summary}"
        self.headers: Mapping[str, str] = dict(headers or {})
        super().__init__(message, method=method, url=url, status_code=status_code, body=body)


def _flatten_messages(value: Any, prefix: str = "") -> list[str]:
    """Return the messages for one field as plain strings.

    Nested errors (a list item's ``{"0": [...]}``, a nested object's
    ``{"city": [...]}``) are flattened with where they apply in front.
    """
    if isinstance(value, Mapping):
        out: list[str] = []
        for key, inner in value.items():
            where = f"item {int(key) + 1}" if str(key).isdigit() else str(key)
            out.extend(_flatten_messages(inner, f"{prefix}{where}: "))
        return out
    if isinstance(value, list):
        if all(isinstance(m, str) for m in value):
            return [f"{prefix}{m}" for m in value]
        out = []
        for index, inner in enumerate(value, 1):
            if inner in ({}, [], None):
                continue  # a placeholder for a list item without errors
            out.extend(_flatten_messages(inner, f"{prefix}item {index}: "))
        return out
    return [f"{prefix}{value}"]


#: The keys of an error body that hold messages about no one field, when no
#: dialect says otherwise: Django REST framework's, the shape the seed client reads.
NON_FIELD_KEYS = ("non_field_errors", "detail")


def errors_from_body(
    body: Any, non_field_keys: Sequence[str] = NON_FIELD_KEYS
) -> dict[str, list[str]] | list[str]:
    """Return an error body ``{"field": ["msg"], ...}`` as ``ValidationError`` takes it.

    Messages under ``non_field_keys`` go under ``NON_FIELD_ERRORS``; nested
    errors are flattened into readable messages. A dialect decides the keys
    (``BaseDialect.error_messages``).
    """
    if isinstance(body, Mapping):
        errors: dict[str, list[str]] = {}
        for key, value in body.items():
            field = NON_FIELD_ERRORS if key in non_field_keys else str(key)
            errors.setdefault(field, []).extend(_flatten_messages(value))
        if errors:
            return errors
    if isinstance(body, list) and body:
        return _flatten_messages(body)
    return {NON_FIELD_ERRORS: [str(body) if body else "Bad request."]}


class BadRequestError(HTTPStatusError, ValidationError):  # type: ignore[misc]
    """400: the server rejected the request's data.

    Also a ``django.core.exceptions.ValidationError``: ``errors`` (as the
    service's dialect read the body) becomes ``message_dict``; without it, DRF's
    ``{"field": ["msg"]}`` does, ``non_field_errors`` or a bare ``detail`` going
    under ``NON_FIELD_ERRORS``, so ``form.add_error(None, error)`` shows each
    message on its field.
    """

    def __init__(
        self,
        message: str = "",
        *,
        method: str | None = None,
        url: str | None = None,
        status_code: int | None = 400,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        errors: dict[str, list[str]] | list[str] | None = None,
    ) -> None:
        HTTPStatusError.__init__(
            self,
            message,
            method=method,
            url=url,
            status_code=status_code,
            body=body,
            headers=headers,
        )
        ValidationError.__init__(self, errors_from_body(body) if errors is None else errors)
        # ValidationError.__init__ resets ``args``; keep the readable message.
        self.args = (self.message,)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class AuthenticationError(HTTPStatusError):
    """401: the credentials are missing or wrong."""


class PermissionDeniedError(HTTPStatusError):
    """403: the credentials are valid but not allowed to do this."""


class NotFoundError(HTTPStatusError):
    """404: there is nothing at this URL."""


class RateLimitError(HTTPStatusError):
    """429: too many requests; ``retry_after`` holds the server's wait in seconds."""


class ServerError(HTTPStatusError):
    """5xx: the server failed; ``retry_after`` holds its ``Retry-After`` in seconds."""


class ServiceUnavailableError(ServerError):
    """Not sent: the service's circuit breaker is open (``CIRCUIT_BREAKER``).

    The provider failed that many times in a row, as seen by every process of the
    site; ``retry_after`` holds the seconds until a trial request is allowed, or
    ``None`` while another process sends it. ``status_code`` is ``None``: no
    request was made.
    """


class InvalidResponseError(APIError):
    """The answer is not what was expected.

    A body that is not JSON (or not the JSON a model expects), a body larger
    than ``max_response_bytes``, or a pagination link to another origin.
    """


class NotSupportedError(APIError):
    """The call cannot be expressed over this HTTP API; the message says what to do instead."""
