"""Content-Encoding against a real socket: every stack of encodings is decoded under the cap."""

from __future__ import annotations

import gzip
import json
import tracemalloc
import zlib
from collections.abc import Sequence
from typing import Any

import pytest

from django_api_orm import APIResponse, AsyncServiceClient
from django_api_orm.exceptions import BadRequestError, InvalidResponseError, ServerError
from tests.client.raw_server import respond, serve, stacked_bomb

MIB = 2**20
DOCUMENT = {"items": list(range(200)), "name": "stacked"}
PAYLOAD = json.dumps(DOCUMENT).encode()


def _encode(data: bytes, coding: str) -> bytes:
    if coding in ("gzip", "x-gzip"):
        return gzip.compress(data)
    if coding == "deflate":
        return zlib.compress(data)
    if coding == "raw-deflate":
        raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        return raw.compress(data) + raw.flush()
    assert coding == "identity"
    return data


def _stack(data: bytes, codings: Sequence[str]) -> bytes:
    for coding in codings:
        data = _encode(data, coding)
    return data


async def fetch(body: bytes, headers: Sequence[tuple[str, str]], **options: Any) -> APIResponse:
    """GET from a server answering 200 with ``body`` and ``headers``."""
    async with (
        serve(respond(200, body, headers)) as server,
        AsyncServiceClient(server.url, **options) as client,
    ):
        return await client.get("doc")


@pytest.mark.parametrize(
    ("codings", "header"),
    [
        (["gzip", "gzip"], "gzip, gzip"),
        (["gzip", "deflate"], "gzip, deflate"),
        (["deflate", "gzip"], "deflate,gzip"),
        (["raw-deflate", "x-gzip"], "deflate, x-gzip"),
        (["gzip", "gzip", "gzip", "gzip"], "gzip, gzip, gzip, gzip"),
        (["gzip"], " GZIP "),
        (["x-gzip"], "X-Gzip"),
        (["deflate"], "Deflate"),
        (["gzip", "identity"], "gzip, identity"),
        (["identity"], "identity"),
        (["identity"], ""),
    ],
)
async def test_every_stack_of_gzip_and_deflate_is_decoded(codings: list[str], header: str) -> None:
    """Decodes gzip and deflate however stacked, spelled or cased, identity skipped."""
    body = _stack(PAYLOAD, codings)
    headers = [("Content-Encoding", header)] if header else []
    assert (await fetch(body, headers)).data == DOCUMENT


async def test_two_content_encoding_lines_are_one_stack() -> None:
    """Reads two Content-Encoding header lines as one list, in order."""
    body = _stack(PAYLOAD, ["gzip", "deflate"])
    headers = [("Content-Encoding", "gzip"), ("Content-Encoding", "deflate")]
    assert (await fetch(body, headers)).data == DOCUMENT


async def test_the_cap_counts_the_innermost_bytes_of_a_stack() -> None:
    """Accepts a double-gzipped body exactly at the cap, and refuses one byte more."""
    headers = [("Content-Encoding", "gzip, gzip")]
    exact = _stack(b'"' + b"x" * 998 + b'"', ["gzip", "gzip"])
    assert len((await fetch(exact, headers, max_response_bytes=1000)).data) == 998
    over = _stack(b'"' + b"x" * 999 + b'"', ["gzip", "gzip"])
    with pytest.raises(InvalidResponseError, match="larger than max_response_bytes"):
        await fetch(over, headers, max_response_bytes=1000)


async def _peak_of_get(url: str, error: type[Exception], match: str) -> int:
    """Return tracemalloc's peak while a GET to ``url`` raises ``error``, the cap 1 MiB."""
    async with AsyncServiceClient(url, max_response_bytes=MIB, max_retries=0) as client:
        tracemalloc.start()
        try:
            with pytest.raises(error, match=match):
                await client.get("bomb")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    return peak


@pytest.mark.parametrize(
    ("codings", "header"),
    [(("gzip", "gzip"), "gzip, gzip"), (("gzip", "deflate"), "gzip, deflate")],
)
async def test_a_stacked_bomb_stays_under_the_cap(codings: tuple[str, ...], header: str) -> None:
    """Inflates a 256 MiB stacked bomb (a few hundred bytes) no further than the 1 MiB cap."""
    body = stacked_bomb(codings, 256)
    assert len(body) < 4096
    async with serve(respond(200, body, [("Content-Encoding", header)])) as server:
        peak = await _peak_of_get(server.url, InvalidResponseError, "larger than max")
    assert peak < 8 * MIB


@pytest.mark.parametrize(("status", "error"), [(400, BadRequestError), (500, ServerError)])
async def test_a_stacked_bomb_as_an_error_body_stays_under_the_cap(
    status: int, error: type[Exception]
) -> None:
    """Reads a stacked bomb sent as an error body no further than the error body limit."""
    body = stacked_bomb(("gzip", "gzip"), 256)
    async with serve(respond(status, body, [("Content-Encoding", "gzip, gzip")])) as server:
        peak = await _peak_of_get(server.url, error, f"answered {status}")
    assert peak < 8 * MIB


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("br", "'br' is not an encoding this client asked for or decodes (gzip, deflate)"),
        ("zstd", "'zstd' is not an encoding"),
        ("gzip, br", "'br' is not an encoding"),
        ("compress", "'compress' is not an encoding"),
        ("gzip, gzip, gzip, gzip, gzip", "5 stacked encodings, more than the 4"),
    ],
)
async def test_an_encoding_not_asked_for_is_refused_unread(header: str, reason: str) -> None:
    """Refuses br, zstd, unknown codings and deep stacks with InvalidResponseError saying why."""
    body = stacked_bomb(("gzip", "gzip"), 64)
    async with serve(respond(200, body, [("Content-Encoding", header)])) as server:
        async with AsyncServiceClient(server.url) as client:
            with pytest.raises(InvalidResponseError, match="could not be decoded") as info:
                await client.get("doc")
        assert server.count("GET") == 1
    assert reason in str(info.value)
    assert f"Content-Encoding {header!r}" in str(info.value)


async def test_corrupt_inner_layer_is_an_invalid_response() -> None:
    """Raises InvalidResponseError when the inner layer of a stack is not gzip."""
    body = gzip.compress(b"not gzip at all")
    with pytest.raises(InvalidResponseError, match="could not be decoded") as info:
        await fetch(body, [("Content-Encoding", "gzip, gzip")])
    assert "Content-Encoding 'gzip, gzip'" in str(info.value)
