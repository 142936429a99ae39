"""Reading a response body under a size cap, decompressing as it streams.

The cap counts decoded bytes, and it holds while decompressing, whatever the
``Content-Encoding``: every layer is inflated here with zlib's
``max_length``, a bounded step at a time, so no network chunk can expand past
the cap, and neither can a stack of encodings (``gzip, gzip``: a few hundred
bytes that inflate to a few hundred KiB, then to gigabytes). httpx's own
decoders are never used: they inflate each chunk whole, so with a stack the
outer layer hands the inner one hundreds of KiB that become hundreds of MiB
before anyone can count them.

Only ``gzip`` (``x-gzip``) and ``deflate`` are decoded, the ones the client
asks for (``Accept-Encoding: gzip, deflate``), stacked up to
:data:`MAX_CODINGS` deep; ``identity`` layers are skipped. Any other coding
(``br``, ``zstd``, ``compress``) was not asked for and is refused with
:class:`UndecodableBody`, unread: decoding it would need a decoder whose
output we cannot bound.
"""

from __future__ import annotations

import zlib
from typing import Final

import httpx

__all__ = ["ERROR_BODY_LIMIT", "MAX_CODINGS", "UndecodableBody", "read_body"]

#: The most of a non-2xx body we read: enough for any error document.
ERROR_BODY_LIMIT: Final = 64 * 1024

#: The most content codings decoded in one body. One is the norm and two happen
#: (a proxy compressing an answer its application had compressed); each costs a
#: zlib window and a step buffer, and without a bound a long header would buy a
#: hostile server thousands of them.
MAX_CODINGS: Final = 4

#: The most one intermediate layer inflates per step, handed on to the next.
_STEP: Final = 64 * 1024

_GZIP_WBITS: Final = zlib.MAX_WBITS | 16
_ZLIB_WBITS: Final = zlib.MAX_WBITS
_RAW_DEFLATE_WBITS: Final = -zlib.MAX_WBITS
_WBITS: Final = {"gzip": _GZIP_WBITS, "x-gzip": _GZIP_WBITS, "deflate": _ZLIB_WBITS}


class UndecodableBody(Exception):
    """The body cannot be decoded: an encoding we do not decode, or corrupt data."""


def _content_length(response: httpx.Response) -> int | None:
    value = response.headers.get("content-length")
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def content_codings(value: str) -> list[str]:
    """Return the codings of a ``Content-Encoding`` value, in the order they were applied.

    Names are lower-cased and stripped; ``identity`` and empty items are
    dropped. Raise :class:`UndecodableBody` for a coding other than ``gzip``,
    ``x-gzip`` or ``deflate``, or for more than :data:`MAX_CODINGS` of them.
    """
    codings = [c for c in (item.strip().lower() for item in value.split(",")) if c]
    codings = [c for c in codings if c != "identity"]
    for coding in codings:
        if coding not in _WBITS:
            raise UndecodableBody(
                f"Content-Encoding {value.strip()!r}: {coding!r} is not an encoding this "
                "client asked for or decodes (gzip, deflate)"
            )
    if len(codings) > MAX_CODINGS:
        raise UndecodableBody(
            f"Content-Encoding {value.strip()!r}: {len(codings)} stacked encodings, "
            f"more than the {MAX_CODINGS} this client decodes"
        )
    return codings


async def read_body(response: httpx.Response, limit: int) -> tuple[bytes, bool]:
    """Read and decode the body of a streamed ``response``, up to ``limit`` bytes.

    Return ``(body, complete)``. When the decoded body is longer than
    ``limit``, reading stops as soon as that is known and ``complete`` is
    false; ``body`` then holds the first ``limit`` bytes at most. Raise
    :class:`UndecodableBody`, before reading, for an encoding not decoded
    here (see :func:`content_codings`), and for a body that is not valid gzip
    or deflate.

    A response whose body was read already (a transport that answers from
    memory, such as ``httpx.MockTransport``) gives its decoded content.
    """
    if response.is_stream_consumed:
        body = response.content  # read whole by whoever made it: httpx decoded it
        return (body, True) if len(body) <= limit else (body[:limit], False)
    encoding = response.headers.get("content-encoding", "")
    codings = content_codings(encoding) if encoding else []
    if not codings:
        length = _content_length(response)
        if length is not None and length > limit:
            return b"", False
        return await _read_plain(response, limit)
    # Decoding undoes the last coding applied first.
    inflater = _Inflater([_Layer(coding) for coding in reversed(codings)], limit)
    try:
        async for chunk in response.aiter_raw():
            if not inflater.feed(chunk):
                return inflater.body(), False
        complete = inflater.finish()
    except zlib.error as error:
        raise UndecodableBody(f"Content-Encoding {encoding.strip()!r}: {error}") from error
    return inflater.body(), complete


async def _read_plain(response: httpx.Response, limit: int) -> tuple[bytes, bool]:
    parts: list[bytes] = []
    total = 0
    async for chunk in response.aiter_raw():
        total += len(chunk)
        if total > limit:
            parts.append(chunk[: len(chunk) - (total - limit)])
            return b"".join(parts), False
        parts.append(chunk)
    return b"".join(parts), True


class _Layer:
    """One coding being undone: a zlib stream that inflates at most ``max_length`` per step."""

    __slots__ = ("inflater", "started", "wbits")

    def __init__(self, coding: str) -> None:
        self.wbits = _WBITS[coding]
        self.inflater = zlib.decompressobj(self.wbits)
        self.started = False

    def step(self, data: bytes, max_length: int) -> tuple[bytes, bytes]:
        """Inflate some of ``data``: return at most ``max_length`` bytes out, and the input left."""
        if self.inflater.eof:
            return b"", b""  # anything after the end of the stream is ignored, as httpx does
        try:
            out = self.inflater.decompress(data, max_length)
        except zlib.error:
            if self.started or self.wbits != _ZLIB_WBITS:
                raise
            # "deflate" sent as a raw deflate stream without the zlib header,
            # as some servers do; httpx accepts it too.
            self.wbits = _RAW_DEFLATE_WBITS
            self.inflater = zlib.decompressobj(self.wbits)
            out = self.inflater.decompress(data, max_length)
        self.started = True
        return out, self.inflater.unconsumed_tail


class _Inflater:
    """A stack of layers, outermost first, whose last output is counted against ``limit``.

    Each intermediate layer hands on at most ``_STEP`` bytes at a time and the
    last one at most one byte past the room left, so what is held at once is
    the body so far (at most ``limit + 1`` bytes) and a step per layer.
    """

    __slots__ = ("layers", "limit", "parts", "total")

    def __init__(self, layers: list[_Layer], limit: int) -> None:
        self.layers = layers
        self.limit = limit
        self.parts: list[bytes] = []
        self.total = 0

    def feed(self, data: bytes) -> bool:
        """Decode ``data`` through every layer; return false once the output passes ``limit``."""
        return self._push(0, data)

    def finish(self) -> bool:
        """Drain what each layer still holds at the end of the body; false past ``limit``."""
        return all(self._push(index, b"") for index in range(len(self.layers)))

    def body(self) -> bytes:
        """Return the decoded body, cut at ``limit``."""
        body = b"".join(self.parts)
        return body[: self.limit] if len(body) > self.limit else body

    def _push(self, index: int, data: bytes) -> bool:
        layer = self.layers[index]
        last = index == len(self.layers) - 1
        while True:
            # max_length is never 0 (which zlib reads as "no limit"): total <= limit here.
            room = self.limit - self.total + 1 if last else _STEP
            out, data = layer.step(data, room)
            if not out:
                # No output: the input is all taken in (zlib leaves none
                # unconsumed unless max_length stopped it), or the stream ended.
                return True
            if not last:
                if not self._push(index + 1, out):
                    return False
                continue
            self.total += len(out)
            self.parts.append(out)
            if self.total > self.limit:
                return False
