"""Keep credentials out of the log lines our HTTP stack writes.

httpx logs each request line at INFO with the full URL, which may carry
``user:password@`` from ``base_url`` or a secret query value. hpack (HTTP/2)
logs each encoded header block at DEBUG, and the ``authorization`` header is
in it, Huffman-coded but trivially decodable. The filters below rewrite those
two records; they are installed once, the first time a client is built (never
at import time), and change nothing else.
"""

from __future__ import annotations

import logging
from typing import Final

from ._urls import redact_url

__all__ = ["install_log_filters", "logger"]

#: The client's own logger: one DEBUG line per request, retries, pool rebuilds.
logger: Final = logging.getLogger("django_api_orm.client")

_installed = False


class _RedactHttpxURL(logging.Filter):
    """Redact the URL in httpx's ``HTTP Request: GET <url> …`` line."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 2:
            url = str(args[1])
            shown = redact_url(url)
            if shown != url:
                record.args = (args[0], shown, *args[2:])
        return True


class _HideHpackHeaderBlocks(logging.Filter):
    """Replace the encoded header block in hpack's DEBUG record; it holds the token."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith("Encoded header block"):
            record.args = ("<not logged: it holds the authorization header>",)
        return True


def install_log_filters() -> None:
    """Attach the filters to the ``httpx`` and ``hpack.hpack`` loggers, once."""
    global _installed
    if _installed:
        return
    _installed = True
    logging.getLogger("httpx").addFilter(_RedactHttpxURL())
    logging.getLogger("hpack.hpack").addFilter(_HideHpackHeaderBlocks())
