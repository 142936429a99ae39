"""Reading a response body under a size cap, decompressing as it streams.

The cap counts decoded bytes, and it holds while decompressing: gzip and
deflate are inflated here with zlib's ``max_length``, so no single network
chunk can expand past the cap either. (httpx's own decoders inflate each
chunk whole: a 64 KiB chunk of a gzip bomb becomes ~64 MiB before anyone can
count it.) An encoding we do not inflate ourselves (``br``, ``zstd``, a
chain) goes through httpx's decoders, checked chunk by chunk.
"""

from __future__ import annotations

import zlib
from typing import Final

import httpx

__all__ = ["ERROR_BODY_LIMIT", "read_body"]

#: The most of a non-2xx body we read: enough for any error document.
ERROR_BODY_LIMIT: Final = 64 * 1024

_GZIP_WBITS: Final = zlib.MAX_WBITS | 16
_ZLIB_WBITS: Final = zlib.MAX_WBITS
_RAW_DEFLATE_WBITS: Final = -zlib.MAX_WBITS


def _content_length(response: httpx.Response) -> int | None:
    value = response.headers.get("content-length")
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


async def read_body(response: httpx.Response, limit: int) -> tuple[bytes, bool]:
    """Read and decode the body of a streamed ``response``, up to ``limit`` bytes.

    Return ``(body, complete)``. When the decoded body is longer than
    ``limit``, reading stops as soon as that is known and ``complete`` is
    false; ``body`` then holds the first ``limit`` bytes at most. Raise
    ``zlib.error`` for a body that is not valid gzip or deflate.
    """
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if encoding in ("", "identity"):
        length = _content_length(response)
        if length is not None and length > limit:
            return b"", False
        return await _read_plain(response, limit)
    if encoding in ("gzip", "x-gzip"):
        return await _read_inflated(response, limit, _GZIP_WBITS)
    if encoding == "deflate":
        return await _read_inflated(response, limit, _ZLIB_WBITS)
    return await _read_decoded_by_httpx(response, limit)


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


async def _read_inflated(response: httpx.Response, limit: int, wbits: int) -> tuple[bytes, bool]:
    inflater = zlib.decompressobj(wbits)
    parts: list[bytes] = []
    total = 0
    started = False
    async for chunk in response.aiter_raw():
        data = chunk
        while data and not inflater.eof:
            try:
                # max_length bounds what one call may produce: one past the
                # room left, enough to know the cap is passed. It is never 0
                # (which zlib reads as "no limit") because total <= limit here.
                out = inflater.decompress(data, limit - total + 1)
            except zlib.error:
                if started or wbits != _ZLIB_WBITS:
                    raise
                # "deflate" sent as a raw deflate stream without the zlib
                # header, as some servers do; httpx accepts it too.
                inflater = zlib.decompressobj(_RAW_DEFLATE_WBITS)
                wbits = _RAW_DEFLATE_WBITS
                continue
            started = True
            total += len(out)
            parts.append(out)
            if total > limit:
                return b"".join(parts)[:limit], False
            data = inflater.unconsumed_tail
    tail = inflater.flush()
    total += len(tail)
    parts.append(tail)
    if total > limit:
        return b"".join(parts)[:limit], False
    return b"".join(parts), True


async def _read_decoded_by_httpx(response: httpx.Response, limit: int) -> tuple[bytes, bool]:
    parts: list[bytes] = []
    total = 0
    async for chunk in response.aiter_bytes():
        total += len(chunk)
        parts.append(chunk)
        if total > limit:
            return b"".join(parts)[:limit], False
    return b"".join(parts), True
