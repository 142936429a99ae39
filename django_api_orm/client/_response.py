"""Answers: :class:`APIResponse`, what a successful request returns, and how one is made.

An attempt's :class:`~django_api_orm.client._pool.Exchange` means one of two
things: a 2xx becomes an APIResponse with its body parsed as JSON
(:func:`to_response`), anything else becomes an exception carrying the body
(:func:`error_body`: the parsed JSON if it is JSON, else text). Bodies are
parsed by :func:`django_api_orm.client._json.loads`: msgspec when installed,
with the results of ``json.loads``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Final

import httpx

from . import _json
from ._errors import invalid_response
from ._log import logger
from ._pool import Exchange
from ._urls import redact_url, strip_credentials

__all__ = ["APIResponse", "error_body", "to_response"]

_ERROR_TEXT_LIMIT: Final = 2000  # characters of a non-JSON error body kept on the exception


@dataclass(frozen=True, slots=True)
class APIResponse:
    """A 2xx answer, its body already parsed.

    Read its attributes (``response.data``, ``response.status_code``,
    ``response.headers``); the client builds it, and it cannot be changed.

    Attributes
    ----------
    data : Any
        The parsed JSON body: usually a ``dict`` or a ``list``; ``None`` for a
        204 answer or an empty body.
    status_code : int
        The HTTP status, 200 to 299.
    headers : httpx.Headers
        The response headers; lookups ignore case (``headers["content-type"]``).
    http_version : str
        ``"HTTP/1.1"`` or ``"HTTP/2"``.
    url : str
        The URL that answered, after any redirects, without credentials.
    content : bytes
        The body as received (after ``Content-Encoding``), before parsing; not
        compared, not in the ``repr``.
    """

    data: Any
    status_code: int
    headers: httpx.Headers
    http_version: str = "HTTP/1.1"
    url: str = ""
    content: bytes = field(default=b"", compare=False, repr=False)


def to_response(
    method: str,
    exchange: Exchange,
    *,
    max_response_bytes: int,
    secrets: tuple[str, ...],
    elapsed: float = 0.0,
) -> APIResponse:
    """Return the :class:`APIResponse` of a 2xx ``exchange``, its body parsed as JSON.

    ``elapsed`` (seconds, every attempt of the call) is written in the DEBUG line.

    Raise :class:`~django_api_orm.exceptions.InvalidResponseError` for a body
    that could not be decoded, is larger than ``max_response_bytes``, or is not
    JSON; ``secrets`` are scrubbed from its message.
    """
    if exchange.undecodable is not None:
        raise invalid_response(
            method=method,
            url=exchange.url,
            status_code=exchange.status_code,
            content_type=exchange.headers.get("content-type"),
            reason=f"the body could not be decoded ({exchange.undecodable})",
            secrets=secrets,
        )
    if not exchange.complete:
        raise invalid_response(
            method=method,
            url=exchange.url,
            status_code=exchange.status_code,
            content_type=exchange.headers.get("content-type"),
            reason=f"the body is larger than max_response_bytes ({max_response_bytes} bytes)",
            secrets=secrets,
        )
    body = exchange.body
    data: Any = None
    if body and not body.isspace() and exchange.status_code != 204:
        try:
            data = _json.loads(body)
        except (ValueError, RecursionError) as error:
            # ValueError: not JSON, cut short, or not UTF-8. RecursionError:
            # nested deeper than the parser can go.
            raise invalid_response(
                method=method,
                url=exchange.url,
                status_code=exchange.status_code,
                content_type=exchange.headers.get("content-type"),
                reason=f"the body is not valid JSON ({type(error).__name__}); it starts "
                f"{body[:80].decode('utf-8', 'replace')!r}",
                body=_text(body),
                secrets=secrets,
            ) from error
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug(
            "%s %s -> %d %s in %.1f ms",
            method,
            redact_url(exchange.url),
            exchange.status_code,
            exchange.http_version,
            elapsed * 1000,
        )
    return APIResponse(
        data=data,
        status_code=exchange.status_code,
        headers=exchange.headers,
        http_version=exchange.http_version,
        url=strip_credentials(exchange.url),
        content=body,
    )


def _text(body: bytes) -> str:
    text = body.decode("utf-8", "replace")
    if len(text) > _ERROR_TEXT_LIMIT:
        text = text[:_ERROR_TEXT_LIMIT] + "…"
    return text


def error_body(exchange: Exchange) -> Any:
    """Return a non-2xx body for the exception: parsed JSON if it is JSON, else text."""
    body = exchange.body
    if not body:
        return None
    content_type = exchange.headers.get("content-type", "")
    if exchange.complete and ("json" in content_type or body.lstrip()[:1] in (b"{", b"[")):
        try:
            return _json.loads(body)
        except (ValueError, RecursionError):
            pass
    return _text(body)
