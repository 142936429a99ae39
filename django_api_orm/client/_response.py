"""APIResponse: what a successful request returns, a plain value."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

__all__ = ["APIResponse"]


@dataclass(frozen=True, slots=True)
class APIResponse:
    """A 2xx answer, its body already parsed.

    Parameters
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
    """

    data: Any
    status_code: int
    headers: httpx.Headers
    http_version: str = "HTTP/1.1"
    url: str = ""
