"""The headers every request of a client carries, built once.

``Accept: application/json``, only the encodings ``_body`` inflates under the
size cap, a ``User-Agent`` naming us and httpx, the caller's extra headers,
and ``Authorization``. Every name and value is checked first (``_secrets``)
so that a malformed secret never reaches an error message.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import metadata

import httpx

from ._secrets import check_headers

__all__ = ["default_headers"]


@cache
def _user_agent() -> str:
    try:
        version = metadata.version("django-api-orm")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        version = "0"
    return f"django-api-orm/{version} httpx/{httpx.__version__}"


def _check_header_value(name: str, value: str) -> None:
    # h11 echoes an illegal header value in its error message; refuse it here,
    # without quoting it, so a malformed token never reaches a message.
    if not value.isascii() or not value.isprintable() or value != value.strip():
        raise ValueError(
            f"{name} must be printable ASCII without surrounding whitespace "
            f"(the value is not shown: it may be a secret)"
        )


def default_headers(
    headers: Mapping[str, str] | None, *, auth_token: str | None, auth_scheme: str
) -> httpx.Headers:
    """Return our headers, updated with ``headers``, then ``Authorization`` if there is a token.

    Raise ``ValueError``, without quoting the value, when ``auth_token``,
    ``auth_scheme`` or a value of ``headers`` is not printable ASCII without
    surrounding whitespace, or a name of ``headers`` is not a header name.
    """
    if headers:
        check_headers(headers)
    result = httpx.Headers(
        {
            "Accept": "application/json",
            # Only what _body.read_body inflates under the size cap.
            "Accept-Encoding": "gzip, deflate",
            "User-Agent": _user_agent(),
        }
    )
    if headers:
        result.update(headers)
    if auth_token:
        _check_header_value("auth_token", auth_token)
        _check_header_value("auth_scheme", auth_scheme)
        result["Authorization"] = f"{auth_scheme} {auth_token}"
    return result
