"""JSON decoding of response bodies: msgspec when installed, with the stdlib's results.

:func:`loads` is what the client calls on every body. With msgspec installed
(the package's ``fast`` extra) it parses with ``msgspec.json.Decoder().decode``,
about twice as fast as ``json.loads`` on pages of records; its results are
nonetheless those of ``json.loads(body)``, value, types and exceptions, by one
rule: a body msgspec refuses (a ``msgspec.DecodeError``, a number out of range,
a ``RecursionError``) is parsed again by ``json.loads``, so its value or its
exception is json's. That covers ``NaN``/``Infinity``/``-Infinity``, numbers
that overflow a double (``1e400``: json gives ``inf``), a UTF-8 byte order
mark, UTF-16/UTF-32 bodies, lone surrogates (``"\\ud800"``, or encoded as
bytes), invalid UTF-8 (json raises ``UnicodeDecodeError``), integers of more
than 4300 digits, an empty or whitespace-only body, trailing data, and every
syntax error (json's message, not msgspec's).

Anything but ``bytes`` goes to json directly (a ``memoryview``: msgspec parses
it, json raises ``TypeError``).

Checked to agree as they are (``tests/client/test_json_decoding.py``): integers
of any size (msgspec, unlike orjson, keeps integers beyond 64 bits exact),
duplicate keys (the last wins, at the first key's position), ``-0`` (``0``) and
``-0.0``, ``1.0`` against ``1``, float rounding (100,000 random number strings,
subnormals, ``1e-400`` to ``0.0``), ``"\\u0000"``, surrogate pairs, long
strings, deep nesting, and whitespace: both accept only space, tab, CR and LF.

One band is left, and it is the interpreter's, not the input's: both parsers
stop at the interpreter's recursion limit, counted from where they are called,
so whether ``json.loads`` raises ``RecursionError`` for a body nested about
990 levels deep (Python 3.11; 1,500 on 3.12) depends on how deep the calling
code is; msgspec's limit is within three levels of json's called from the same
place. The client reports either error as ``InvalidResponseError``.

:func:`use` switches the decoder (``"msgspec"`` or ``"json"``), for a benchmark
or a test; :func:`decoder` names the active one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final

from django.core.exceptions import ImproperlyConfigured

__all__ = ["DECODER", "decoder", "loads", "use"]

_json_loads: Final = json.loads

_fast_decoder: Callable[[bytes], Any] | None
try:
    import msgspec
except ImportError:  # the stdlib path: installed without the fast extra
    _fast_decoder = None
else:
    _decode: Final = msgspec.json.Decoder().decode
    # MsgspecError: a DecodeError (not JSON, or not what json reads alike) or a
    # ValidationError (a number out of a double's range).
    _refused: Final = (msgspec.MsgspecError, RecursionError)

    def _msgspec_loads(body: bytes) -> Any:
        """Parse ``body`` as ``json.loads(body)`` does, with msgspec where it agrees."""
        if type(body) is not bytes:
            return _json_loads(body)
        try:
            return _decode(body)
        except _refused:
            return _json_loads(body)

    _fast_decoder = _msgspec_loads

#: The active decoder's name: ``"msgspec"`` or ``"json"``.
DECODER: str = "json" if _fast_decoder is None else "msgspec"
#: Parse a response body; the same results as ``json.loads(body)``.
loads: Callable[[bytes], Any] = _json_loads if _fast_decoder is None else _fast_decoder


def use(name: str) -> None:
    """Decode with ``name``: ``"msgspec"`` (needs the ``fast`` extra) or ``"json"``."""
    global DECODER, loads
    if name == "json":
        loads = _json_loads
    elif name == "msgspec":
        if _fast_decoder is None:
            raise ImproperlyConfigured(
                "The msgspec decoder needs msgspec: install the package's fast extra "
                "(pip install -e '.[fast]' in a checkout) or msgspec itself."
            )
        loads = _fast_decoder
    else:
        raise ValueError(f"Unknown JSON decoder {name!r}: use 'msgspec' or 'json'.")
    DECODER = name


def decoder() -> str:
    """Return the active decoder's name: ``"msgspec"`` or ``"json"``."""
    return DECODER
