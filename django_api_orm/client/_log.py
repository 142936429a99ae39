"""Keep credentials out of the log lines our HTTP stack writes.

httpx logs each request line at INFO with the full URL, which may carry
``user:password@`` from ``base_url`` or a secret query value, and the reason
phrase the server chose. httpcore logs, at DEBUG, the response headers it
received. hpack (HTTP/2) logs, at DEBUG, each header it encodes or decodes,
each header it evicts from its table, and each header block, Huffman-coded but
trivially decodable; only ``Authorization`` is marked sensitive there.

The filters below rewrite those records: the URL of httpx's line is redacted;
every header value and header block in hpack's records is replaced, whatever
the header; and every secret a client was configured with (``_secrets``) is
replaced by ``[secure]`` in the records of httpx, httpcore, hpack and our own
logger. They are installed once, the first time a client is built (never at
import time), and change nothing else. A logger's filters see only the records
of that very logger, so each logger is named.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import Any, Final

from ._secrets import scrub
from ._urls import redact_url

__all__ = ["install_log_filters", "logger", "register_secrets"]

#: The client's own logger: one DEBUG line per request, retries, pool rebuilds.
logger: Final = logging.getLogger("django_api_orm.client")

#: The loggers whose records may quote a configured secret.
_SCRUBBED_LOGGERS: Final = (
    "django_api_orm.client",
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
    "hpack.hpack",
    "hpack.table",
)
_HIDDEN: Final = "<not logged>"

_installed = False
_lock = threading.Lock()
#: Every secret of every client built so far, longest first; replaced whole, never mutated.
_secrets: tuple[str, ...] = ()


def register_secrets(secrets: Iterable[str]) -> None:
    """Add ``secrets`` to the values replaced in the records of our HTTP stack's loggers."""
    global _secrets
    new = {secret for secret in secrets if secret}
    if new <= set(_secrets):
        return
    with _lock:
        merged = new | set(_secrets)
        _secrets = tuple(sorted(merged, key=lambda secret: (-len(secret), secret)))


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


def _name_only(header: Any) -> Any:
    if isinstance(header, tuple) and len(header) >= 2:
        return f"{header[0]!r}: {_HIDDEN}"
    return _HIDDEN


class _HideHpackHeaders(logging.Filter):
    """Keep header values and header blocks out of hpack's DEBUG records; names stay.

    ``Adding %s=%s to the header table``, ``Evicting %s: %s from the header
    table`` and ``Decoded %s, ...`` keep the header's name; ``Encoded header
    block to %s``, ``Decoding %s`` and any other record lose every argument
    that is not a number.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if not isinstance(args, tuple) or not args:
            return True
        msg = record.msg if isinstance(record.msg, str) else ""
        if msg.startswith(("Adding ", "Evicting ")) and len(args) >= 2:
            record.args = (args[0], _HIDDEN, *args[2:])
        elif msg.startswith("Decoded ") and isinstance(args[0], tuple):
            record.args = (_name_only(args[0]), *args[1:])
        else:
            record.args = tuple(
                arg if isinstance(arg, int | float) and not isinstance(arg, bool) else _HIDDEN
                for arg in args
            )
        return True


class _ScrubSecrets(logging.Filter):
    """Replace every registered secret in a record's message by ``[secure]``."""

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = _secrets
        if not secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the handler's problem, not ours
            return True
        shown = scrub(message, secrets)
        if shown != message:
            record.msg = shown
            record.args = ()
        return True


def install_log_filters() -> None:
    """Attach the filters to the loggers of httpx, httpcore, hpack and ours, once."""
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    logging.getLogger("httpx").addFilter(_RedactHttpxURL())
    for name in ("hpack.hpack", "hpack.table"):
        logging.getLogger(name).addFilter(_HideHpackHeaders())
    scrubber = _ScrubSecrets()
    for name in _SCRUBBED_LOGGERS:
        logging.getLogger(name).addFilter(scrubber)
