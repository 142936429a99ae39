"""The one place where httpx's exceptions and HTTP statuses become ours.

Every message names the method and the URL without credentials; the auth token
and the configured header values that may be credentials (``_secrets``) are
scrubbed from every message, even one quoting a server that echoed them, and
from the messages of the httpx exception a transport error is raised from.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping
from typing import Any, Final

import httpx

from django_api_orm.exceptions import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConnectionError,
    HTTPStatusError,
    InvalidResponseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    TimeoutError,
    TransportError,
)

from ._secrets import scrub
from ._urls import redact_url

__all__ = [
    "TRANSPORT_ERRORS",
    "BudgetTimeoutError",
    "deadline_error",
    "invalid_response",
    "redirect_error",
    "status_error",
    "transport_error",
]

#: What an attempt may raise when it got no usable HTTP answer: httpx's
#: transport errors, and the builtin TimeoutError of the whole-attempt deadline.
TRANSPORT_ERRORS: Final = (httpx.TransportError, builtins.TimeoutError)

_BY_STATUS: Final[Mapping[int, type[HTTPStatusError]]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
}


class BudgetTimeoutError(TimeoutError):
    """No slot of the shared ``RATE_LIMIT`` comes before the call's deadline: nothing was sent."""


def _scrub(error: APIError, secrets: Iterable[str]) -> APIError:
    shown = scrub(error.message, secrets)
    if shown != error.message:
        error.message = shown
        error.args = (error.message,)
    return error


def _scrub_chain(error: BaseException, secrets: tuple[str, ...]) -> None:
    # A malformed answer can make h11 quote a header line the server echoed;
    # the chain (httpx's error, httpcore's, h11's) is printed in tracebacks.
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if any(isinstance(arg, str) and scrub(arg, secrets) != arg for arg in current.args):
            current.args = tuple(
                scrub(arg, secrets) if isinstance(arg, str) else arg for arg in current.args
            )
        current = current.__cause__ or current.__context__


def transport_error(
    error: httpx.TransportError | builtins.TimeoutError,
    *,
    method: str,
    url: str,
    attempts: int,
    timeout: float,
    not_retried: str | None = None,
    secrets: Iterable[str] = (),
) -> TransportError:
    """Return our ``ConnectionError`` or ``TimeoutError`` for an attempt that got no answer.

    ``not_retried`` says why the request was not sent again, if it could have been
    (a write that may have been processed, an error that would repeat).
    """
    tries = f" (after {attempts} attempts)" if attempts > 1 else ""
    cls: type[TransportError]
    if isinstance(error, (httpx.TimeoutException, builtins.TimeoutError)):
        cls = TimeoutError
        kind = "" if isinstance(error, httpx.TimeoutException) else "attempt deadline: "
        detail = f"{kind}no complete answer within {timeout:g} s"
        if isinstance(error, httpx.PoolTimeout):
            detail = f"no connection came free within {timeout:g} s"
    else:
        # Connection refused or reset, TLS failure, protocol violation, proxy
        # error: the request got no HTTP answer.
        cls = ConnectionError
        detail = str(error) or "connection failed"
    message = f"{type(error).__name__}: {detail}{tries}"
    if not_retried:
        message = f"{message.rstrip('.')}; not retried: {not_retried}"
    _scrub_chain(error, tuple(secrets))
    result = cls(message, method=method, url=redact_url(url))
    _scrub(result, secrets)
    return result


def status_error(
    *,
    method: str,
    url: str,
    status_code: int,
    headers: Mapping[str, str],
    body: Any,
    retry_after: float | None = None,
    not_retried: str | None = None,
    secrets: Iterable[str] = (),
) -> HTTPStatusError:
    """Return the exception for a non-2xx answer: 400, 401, 403, 404, 429, 5xx or other.

    ``not_retried`` says why a status that is retried as a rule was not this time.
    """
    shown = redact_url(url)
    error: HTTPStatusError
    if status_code == 429 or 500 <= status_code <= 599:
        cls = RateLimitError if status_code == 429 else ServerError
        error = cls(
            method=method,
            url=shown,
            status_code=status_code,
            body=body,
            headers=headers,
            retry_after=retry_after,
        )
        if retry_after is not None:
            error.message = f"{error.message} (Retry-After: {retry_after:g} s)"
            error.args = (error.message,)
    else:
        other = _BY_STATUS.get(status_code, HTTPStatusError)
        error = other(method=method, url=shown, status_code=status_code, body=body, headers=headers)
    if not_retried:
        error.message = f"{error.message}; not retried: {not_retried}"
        error.args = (error.message,)
    _scrub(error, secrets)
    return error


def deadline_error(
    *,
    method: str,
    url: str,
    deadline: float,
    attempts: int,
    timeout: float,
    secrets: Iterable[str] = (),
) -> TimeoutError:
    """Return the ``TimeoutError`` for a call whose deadline passed before an answer came."""
    made = f"{attempts} attempt{'s' if attempts != 1 else ''}"
    message = (
        f"deadline: no answer within the call's {deadline:g} s deadline "
        f"({made} made, each limited to {timeout:g} s)"
    )
    result = TimeoutError(message, method=method, url=redact_url(url))
    _scrub(result, secrets)
    return result


def redirect_error(
    *,
    method: str,
    url: str,
    status_code: int,
    headers: Mapping[str, str],
    location: str | None,
    reason: str,
    secrets: Iterable[str] = (),
) -> HTTPStatusError:
    """Return the error for a redirect that is not followed, naming where it pointed."""
    shown = redact_url(url)
    target = redact_url(location) if location else "nowhere (no Location header)"
    message = f"{method} {shown} answered {status_code} redirecting to {target}; {reason}"
    error = HTTPStatusError(
        message, method=method, url=shown, status_code=status_code, headers=headers
    )
    _scrub(error, secrets)
    return error


def invalid_response(
    *,
    method: str,
    url: str,
    status_code: int,
    content_type: str | None,
    reason: str,
    body: Any = None,
    secrets: Iterable[str] = (),
) -> InvalidResponseError:
    """Return the error for a 2xx answer whose body is not usable JSON."""
    shown = redact_url(url)
    kind = f"content type {content_type!r}" if content_type else "no content type"
    message = f"{method} {shown} answered {status_code} with {kind}: {reason}"
    error = InvalidResponseError(
        message, method=method, url=shown, status_code=status_code, body=body
    )
    _scrub(error, secrets)
    return error
