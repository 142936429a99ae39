"""JSON decoding of response bodies: orjson when installed, with the stdlib's results.

:func:`loads` is what the client calls on every body. With orjson installed
(the package's ``fast`` extra) it parses with ``orjson.loads``; its
results are nonetheless exactly those of ``json.loads(body)``, value, types
and exceptions, by one rule:

* a body orjson refuses (any ``orjson.JSONDecodeError``) is parsed again by
  ``json.loads``, so its value or its exception is json's. That covers
  ``NaN``/``Infinity``/``-Infinity``, numbers that overflow a double
  (``1e400``: json gives ``inf``), a UTF-8 byte order mark, UTF-16/UTF-32
  bodies, lone surrogates (``"\\ud800"``, or encoded as bytes), invalid UTF-8
  (json raises ``UnicodeDecodeError``), integers of more than 4300 digits,
  nesting deeper than 1024, an empty or whitespace-only body, trailing data,
  and every syntax error (json's message, not orjson's);
* bodies orjson accepts but would decode differently go to ``json.loads``
  without trying orjson. One ``bytes.translate`` of the body (keeping its
  digits, ``-``, ``[`` and ``{``), one substring search and, on 3.11, one
  ``bytes.count`` of the result find them: the only work added to
  ``orjson.loads`` on the happy path, about 40 µs on a 35 kB page of records
  (orjson itself: about 150 µs; see the performance docs):

  - an integer beyond 64 bits (below ``-2**63`` or above ``2**64 - 1``):
    orjson returns a ``float``, json an exact ``int``. Twenty digits or ``-`` in a
    row (so ``-`` and nineteen digits) send the body to json: digits in a
    string or a fraction, or a run like ``"1-2-3..."``, too (json gives the
    same answer, only slower);
  - on Python 3.11 only, nesting that json may refuse: its C scanner there
    counts against ``sys.getrecursionlimit()`` together with the caller's
    frames (``[`` nested ~990 deep raises ``RecursionError`` at the top
    level, less from deep in a stack) where orjson accepts up to 1024. A body
    with at least half the recursion limit of ``[`` and ``{`` (500 by default,
    in strings too) goes to json, exact while the caller is fewer than that
    many frames deep. So on 3.11 large pages (500 objects and arrays or more)
    are decoded by json: measuring their nesting (outside strings) costs
    about as much as what orjson saves. From 3.12 json's limit is the C
    recursion limit (1500 and more), above orjson's 1024, and nothing is
    counted;
  - anything but ``bytes`` (a ``memoryview``: orjson parses it, json raises
    ``TypeError``; a ``str`` or ``bytearray``: json either way).

Checked to agree as they are: duplicate keys (the last wins, at the first
key's position), ``-0`` (``0``) and ``-0.0``, ``1.0`` against ``1``, float
rounding (100,000 random number strings on 3.11, 3.12 and 3.13, subnormals,
``1e-400`` to ``0.0``),
integers up to 64 bits, ``"\\u0000"``, surrogate pairs, long strings, nesting
under 1024 (3.12+), and whitespace: both accept only space, tab, CR and LF
(``\\x0c``, ``\\x0b``, NBSP and U+2028 are errors, so json's).

:func:`use` switches the decoder (``"orjson"`` or ``"json"``), for a benchmark
or a test; :func:`decoder` names the active one.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, Final

from django.core.exceptions import ImproperlyConfigured

__all__ = ["DECODER", "decoder", "loads", "use"]

_json_loads: Final = json.loads
_getrecursionlimit: Final = sys.getrecursionlimit

# The body's shape for the checks below, in one pass: each digit and "-"
# becomes "0", "[" and "{" become "[", and every other byte becomes ".".
_SHAPE: Final = bytes(
    48 if 48 <= i <= 57 or i == 45 else 91 if i in (91, 123) else 46 for i in range(256)
)
# 20 digits in a row, or "-" and 19: an integer that may not fit in 64 bits.
_LONG_INT: Final = b"0" * 20
# Python 3.11 only: json's scanner recurses within sys.getrecursionlimit().
_CHECK_DEPTH: Final = sys.version_info < (3, 12)

_orjson_loads: Callable[[bytes], Any] | None
try:
    import orjson
except ImportError:  # the stdlib path: ``pip install django-api-orm`` without [fast]
    _orjson_loads = None
else:
    _orjson_loads = orjson.loads


def _fast(parse: Callable[[bytes], Any], error: type[Exception]) -> Callable[[bytes], Any]:
    """Return the orjson decoder: ``parse``, or ``json.loads`` where they differ."""

    def loads(body: bytes) -> Any:
        """Parse ``body`` as ``json.loads(body)`` does, with orjson where it agrees."""
        if type(body) is not bytes:
            return _json_loads(body)
        shape = body.translate(_SHAPE)
        if _LONG_INT in shape:
            return _json_loads(body)
        if _CHECK_DEPTH and shape.count(b"[") >= _getrecursionlimit() // 2:
            return _json_loads(body)
        try:
            return parse(body)
        except error:
            return _json_loads(body)

    return loads


_orjson_decoder: Final = (
    None if _orjson_loads is None else _fast(_orjson_loads, orjson.JSONDecodeError)
)

#: The active decoder's name: ``"orjson"`` or ``"json"``.
DECODER: str = "json" if _orjson_decoder is None else "orjson"
#: Parse a response body; the same results as ``json.loads(body)``.
loads: Callable[[bytes], Any] = _json_loads if _orjson_decoder is None else _orjson_decoder


def use(name: str) -> None:
    """Decode with ``name``: ``"orjson"`` (needs the ``fast`` extra) or ``"json"``."""
    global DECODER, loads
    if name == "json":
        loads = _json_loads
    elif name == "orjson":
        if _orjson_decoder is None:
            raise ImproperlyConfigured(
                "The orjson decoder needs orjson: install the package's fast extra "
                "(pip install -e '.[fast]' in a checkout) or orjson itself."
            )
        loads = _orjson_decoder
    else:
        raise ValueError(f"Unknown JSON decoder {name!r}: use 'orjson' or 'json'.")
    DECODER = name


def decoder() -> str:
    """Return the active decoder's name: ``"orjson"`` or ``"json"``."""
    return DECODER
