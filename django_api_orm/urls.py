"""URL strings: origins, and a value quoted into one path segment.

The bottom layer: plain string work on ``urllib.parse``, importing nothing
from the package, so the client, the dialects and pagination can all use it.
Nothing here opens a connection.

- :class:`Origin` and :func:`origin_of`: the scheme, host and port a URL
  talks to, with the scheme's default port filled in, so
  ``https://h/`` and ``https://h:443/`` are one origin.
- :func:`quote_segment`: a primary key (or any value) as exactly one path
  segment, which ``/``, ``?``, ``#`` or ``%`` in it cannot escape.
"""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import quote, urlsplit

__all__ = ["Origin", "origin_of", "quote_segment"]

_DEFAULT_PORTS = {"http": 80, "https": 443}


class Origin(NamedTuple):
    """A URL's origin: scheme, host and port, with the scheme's default port filled in."""

    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        if _DEFAULT_PORTS.get(self.scheme) == self.port:
            return f"{self.scheme}://{host}"
        return f"{self.scheme}://{host}:{self.port}"


def origin_of(url: str) -> Origin | None:
    """Return the origin of an absolute http(s) URL, or ``None`` if it has none."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    return Origin(scheme, host, port if port is not None else _DEFAULT_PORTS[scheme])


def quote_segment(value: object) -> str:
    """Return ``value`` as exactly one percent-encoded URL path segment.

    ``str(value)`` is quoted with nothing kept safe, so ``/``, ``?``, ``#``
    and ``%`` cannot change which resource the URL names. ``""``, ``"."`` and
    ``".."`` raise ``ValueError``: as a path segment they name the collection
    itself or its parent, never one object.
    """
    text = str(value)
    if text in ("", ".", ".."):
        raise ValueError(
            f"{text!r} cannot be used as a primary key in a URL: it would name the "
            f"collection or its parent instead of one object"
        )
    return quote(text, safe="")
