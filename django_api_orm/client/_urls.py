"""URLs as the client needs them: joining endpoints to the base URL, and URLs safe to show.

Everything here is plain string work on ``urllib.parse``; nothing opens a
connection. :class:`Origin`, :func:`origin_of` and :func:`quote_segment` live
in :mod:`django_api_orm.urls`, the layer below the client, and are re-exported
here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote_plus, urlencode, urljoin, urlsplit, urlunsplit

from django_api_orm.urls import Origin, origin_of, quote_segment

__all__ = [
    "Origin",
    "add_query",
    "join_url",
    "normalise_base_url",
    "origin_of",
    "quote_segment",
    "redact_url",
    "resolve_redirect",
    "strip_credentials",
]

# An endpoint is absolute when it names a scheme and an authority ("https://…")
# or an authority alone ("//host/…"). Anything else is a path below base_url,
# so "books:archive/" stays a path, not a scheme.
_ABSOLUTE = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.\-]*:)?//")

# Query keys whose values are credentials more often than not. A key is split
# into words ("X-Amz-Signature" -> "x", "amz", "signature"); it is sensitive
# when a word is one of _SENSITIVE_WORDS or ends with one of _SENSITIVE_ENDINGS
# ("apikey", "access_token"). "author" or "keyword" stay visible; a false
# positive would only hide a value in a message.
_SENSITIVE_WORDS = frozenset({"auth", "authorization", "pwd", "session", "sessionid", "sig"})
_SENSITIVE_ENDINGS = (
    "token",
    "key",
    "secret",
    "password",
    "passwd",
    "signature",
    "credential",
    "credentials",
)
_WORD_SEPARATORS = re.compile(r"[^a-z0-9]+")
_REDACTED = "[redacted]"


def normalise_base_url(base_url: str) -> str:
    """Return ``base_url`` checked and ending with ``/``, so endpoints join below its path.

    Raises ``ValueError`` for anything but an absolute http(s) URL without a
    query string or fragment.
    """
    if not isinstance(base_url, str):
        raise TypeError(f"base_url must be a str, not {type(base_url).__name__}")
    base_url = base_url.strip()
    if origin_of(base_url) is None:
        raise ValueError(
            f"base_url must be an absolute http:// or https:// URL with a host, "
            f"got {strip_credentials(base_url)!r}"
        )
    parts = urlsplit(base_url)
    if parts.query or parts.fragment or base_url.endswith(("?", "#")):
        raise ValueError(
            f"base_url must not have a query string or fragment, "
            f"got {redact_url(base_url)!r}; pass query parameters per request"
        )
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc, path, "", ""))


def join_url(base_url: str, base_origin: Origin, endpoint: str) -> str:
    """Return the URL of ``endpoint`` below ``base_url``.

    A relative endpoint keeps the base path whether or not it starts with
    ``/`` (``https://h/api/`` + ``/books/`` is ``https://h/api/books/``). An
    absolute endpoint is allowed only on the base URL's origin; any other
    raises ``ValueError`` before a request is made.
    """
    if _ABSOLUTE.match(endpoint) is None:
        return base_url + endpoint.lstrip("/")
    absolute = urljoin(base_url, endpoint)  # fills in the scheme of "//host/…"
    if origin_of(absolute) != base_origin:
        raise ValueError(
            f"refusing to send a request to {redact_url(absolute)}: it is not on the "
            f"client's origin {base_origin}; pass an endpoint relative to base_url"
        )
    return absolute


def resolve_redirect(url: str, location: str) -> str:
    """Return the absolute URL a ``Location`` header points to from ``url``."""
    return urljoin(url, location.strip())


def strip_credentials(url: str) -> str:
    """Return ``url`` without a ``user:password@`` part."""
    if "@" not in url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _is_sensitive(raw_key: str) -> bool:
    words = _WORD_SEPARATORS.split(unquote_plus(raw_key).lower())
    return any(w in _SENSITIVE_WORDS or w.endswith(_SENSITIVE_ENDINGS) for w in words if w)


def redact_url(url: str) -> str:
    """Return ``url`` fit for a message or a log line.

    Strip credentials from the authority and hide the values of query
    parameters whose names look like credentials (``token``, ``api_key``,
    ``secret``, ``password``, ``signature``…).
    """
    url = strip_credentials(url)
    base, sep, rest = url.partition("?")
    if not sep:
        return url
    query, hash_sign, fragment = rest.partition("#")
    pairs = []
    for pair in query.split("&"):
        key, eq, _value = pair.partition("=")
        pairs.append(f"{key}={_REDACTED}" if eq and _is_sensitive(key) else pair)
    return f"{base}?{'&'.join(pairs)}{hash_sign}{fragment}"


def _primitive(value: Any) -> str:
    # httpx's spelling of query values: JSON-ish booleans, None as empty.
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return ""
    return str(value)


def add_query(url: str, params: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> str:
    """Return ``url`` with ``params`` appended to its query string, in their order.

    ``params`` is a mapping or (key, value) pairs; a list or tuple value
    repeats its key. Values are spelled as httpx spells them (``True`` is
    ``true``, ``None`` is empty) and encoded as httpx encodes them, but the
    pairs keep their order: httpx would group a repeated key together.
    """
    items = params.items() if isinstance(params, Mapping) else params
    pairs: list[tuple[str, str]] = []
    for key, value in items:
        if isinstance(value, (list, tuple)):
            pairs.extend((str(key), _primitive(item)) for item in value)
        else:
            pairs.append((str(key), _primitive(value)))
    if not pairs:
        return url
    query = urlencode(pairs)
    if "?" not in url:
        return f"{url}?{query}"
    return f"{url}{'' if url.endswith(('?', '&')) else '&'}{query}"
