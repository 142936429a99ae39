"""The JSON decoder: msgspec when installed, with exactly the results of ``json.loads``.

Every test runs with each decoder available (``json``, and ``msgspec`` where it
is installed): the corpus compares ``_json.loads(body)`` with
``json.loads(body)`` value by value and type by type, or exception type and
message; the client tests go through the whole stack with respx.
"""

from __future__ import annotations

import importlib.util
import json
import math
import random
import struct
from collections.abc import Iterator
from typing import Any

import pytest
import respx
from django.core.exceptions import ImproperlyConfigured

from benchmarks.server import make_records
from django_api_orm import AsyncServiceClient
from django_api_orm.client import _json
from django_api_orm.exceptions import InvalidResponseError

API = "https://api.example.com/"
HAS_MSGSPEC = importlib.util.find_spec("msgspec") is not None
DECODERS = ["json", "msgspec"] if HAS_MSGSPEC else ["json"]


@pytest.fixture(params=DECODERS, autouse=True)
def decoder(request: pytest.FixtureRequest) -> Iterator[str]:
    """Decode with each available decoder in turn, restoring the previous one after."""
    previous = _json.decoder()
    _json.use(request.param)
    yield request.param
    _json.use(previous)


def same(expected: Any, actual: Any) -> bool:
    """Whether two decoded values are equal with the same type at every level.

    ``1 == 1.0 == True`` and ``nan != nan``; floats compare by value and sign
    (``-0.0``); dicts by key order too. Iterative: a value may be nested 1000 deep.
    """
    stack = [(expected, actual)]
    while stack:
        a, b = stack.pop()
        if type(a) is not type(b):
            return False
        if isinstance(a, float):
            if math.isnan(a):
                if not math.isnan(b):
                    return False
            elif a != b or math.copysign(1, a) != math.copysign(1, b):
                return False
        elif isinstance(a, list):
            if len(a) != len(b):
                return False
            stack.extend(zip(a, b, strict=True))
        elif isinstance(a, dict):
            if list(a) != list(b):
                return False
            stack.extend((a[key], b[key]) for key in a)
        elif a != b:
            return False
    return True


def outcome(body: Any, loads: Any) -> tuple[str, Any]:
    try:
        return "value", loads(body)
    except (ValueError, RecursionError, TypeError) as error:
        return type(error).__name__, str(error)


def _random_numbers() -> list[Any]:
    """Seeded random number strings: floats of every shape, ints up to 70 bits."""
    rng = random.Random(19)
    cases = []
    for i in range(20):
        value = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
        text = repr(value) if math.isfinite(value) else repr(rng.random())
        cases.append(pytest.param(text.encode(), id=f"random-double-{i}"))
    for i in range(10):
        text = f"{rng.randrange(1, 10)}.{rng.getrandbits(60)}e{rng.randrange(-340, 320)}"
        cases.append(pytest.param(text.encode(), id=f"random-exponent-{i}"))
    for i in range(10):
        text = f"-{rng.randrange(10**15)}.{rng.randrange(10**25)}E+{rng.randrange(300)}"
        cases.append(pytest.param(text.encode(), id=f"random-negative-float-{i}"))
    for i in range(20):
        text = str(rng.randrange(-(2**70), 2**70))
        cases.append(pytest.param(text.encode(), id=f"random-int-{i}"))
    floats = [rng.uniform(-1e6, 1e6) for _ in range(2000)] + [rng.random() for _ in range(2000)]
    cases.append(pytest.param(json.dumps(floats).encode(), id="random-floats-array"))
    ints = [rng.randrange(-(2**64), 2**64) for _ in range(500)]
    cases.append(pytest.param(json.dumps(ints).encode(), id="random-ints-array"))
    return cases


def _page(size: int = 100, text: str = "") -> bytes:
    """A page of the benchmark: ``size`` records as DRF sends them, ``text`` in each."""
    results = [
        {**record, "tags": [text], "extra": {"note": text}} for record in make_records(1, size + 1)
    ]
    page = {"count": 10_000, "next": "http://t/api/records/?page=2", "previous": None}
    return json.dumps({**page, "results": results}).encode()


CORPUS = [
    # Agree as they are.
    pytest.param(b'{"a": 1, "b": [true, false, null], "c": "x"}', id="plain"),
    pytest.param(b'{"a":1,"b":2,"a":3}', id="duplicate-keys"),
    pytest.param(b'{"a":{"x":1},"a":[1]}', id="duplicate-keys-other-type"),
    pytest.param(b"-0", id="minus-zero-int"),
    pytest.param(b"-0.0", id="minus-zero-float"),
    pytest.param(b"-0e5", id="minus-zero-exponent"),
    pytest.param(b"[1.0, 1, 1e0, 1E+2, 100]", id="float-vs-int"),
    pytest.param(b"1e308", id="large-float"),
    pytest.param(b"1e-400", id="underflow"),
    pytest.param(b"5e-324", id="subnormal"),
    pytest.param(b"1.7976931348623158e308", id="max-double"),
    pytest.param(b"9007199254740993", id="int-above-2**53"),
    pytest.param(b"9007199254740993.0", id="float-above-2**53"),
    pytest.param(b"-9223372036854775808", id="int64-min"),
    pytest.param(b"18446744073709551615", id="uint64-max"),
    pytest.param(b"9999999999999999999", id="19-digits"),
    pytest.param(b'["12345678901234567890", "-1234567890123456789"]', id="digits-in-strings"),
    pytest.param(b"0.12345678901234567890123", id="long-fraction-digits"),
    pytest.param(b'["1-2-3-4-5-6-7-8-9-0-1", -1234567890123456789]', id="digits-and-minus"),
    pytest.param(b"0." + b"1" * 5000, id="long-fraction"),
    pytest.param(b'"\\u0000"', id="escaped-nul"),
    pytest.param(b'{"\\u0000": 1}', id="escaped-nul-key"),
    pytest.param(b'"\\ud834\\udd1e"', id="surrogate-pair"),
    pytest.param('"é😀"'.encode(), id="utf-8"),
    pytest.param(b'"' + b"a" * 1_000_000 + b'"', id="long-string"),
    pytest.param(b"[" * 500 + b"]" * 500, id="nested-500"),
    pytest.param(b" \t\r\n[1] \r\n", id="json-whitespace"),
    pytest.param(_page(), id="benchmark-page"),
    # Integers beyond 64 bits (orjson would make them floats), deep nesting, pages.
    pytest.param(b"-9223372036854775809", id="int-below-int64"),
    pytest.param(b"18446744073709551616", id="int-above-uint64"),
    pytest.param(b"[" + b"1" * 400 + b"]", id="int-400-digits"),
    pytest.param(b"[" * 1000 + b"]" * 1000, id="nested-1000"),
    pytest.param(b"[" * 1024 + b"]" * 1024, id="nested-1024"),
    pytest.param(b'{"a":' * 1000 + b"1" + b"}" * 1000, id="nested-objects-1000"),
    pytest.param(b'["' + b"]" * 999 + b'", ' + b"[" * 999 + b"]" * 999 + b"]", id="hidden-nesting"),
    pytest.param(b"[" + b",".join([b"[" * 40 + b"]" * 40] * 20) + b"]", id="many-nested-41"),
    pytest.param(b"[" + b",".join([b"[" * 30 + b"]" * 30] * 20) + b"]", id="many-nested-31"),
    pytest.param(_page(600, '[x] "quoted" \\ ]}'), id="big-page"),
    # msgspec refuses these: json's answer.
    pytest.param(b"[NaN, Infinity, -Infinity]", id="nan-infinity"),
    pytest.param(b"1e400", id="float-overflow"),
    pytest.param(b"-1e400", id="float-overflow-negative"),
    pytest.param(b"1" * 4301, id="int-over-4300-digits"),
    pytest.param(b"\xef\xbb\xbf[1]", id="utf-8-bom"),
    pytest.param('{"a": "é"}'.encode("utf-16"), id="utf-16"),
    pytest.param("[1]".encode("utf-32"), id="utf-32"),
    pytest.param('"é"'.encode("utf-16-le"), id="utf-16-le"),
    pytest.param(b'"\\ud800"', id="lone-surrogate"),
    pytest.param(b'"\\udc00\\ud800"', id="reversed-surrogates"),
    pytest.param(b'"\xed\xa0\x80"', id="encoded-surrogate"),
    pytest.param(b'"\xff"', id="invalid-utf-8"),
    pytest.param(b'"\xc0\xaf"', id="overlong-utf-8"),
    pytest.param(b"[" * 1025 + b"]" * 1025, id="nested-1025"),
    pytest.param(b"[" * 100_000, id="nested-100000"),
    pytest.param(b"", id="empty"),
    pytest.param(b" \n", id="whitespace-only"),
    pytest.param(b"\x0c[1]", id="form-feed"),
    pytest.param(b"[1,\x0b2]", id="vertical-tab"),
    pytest.param(b"\xc2\xa0[1]", id="nbsp"),
    pytest.param(b"\xe2\x80\xa8[1]", id="line-separator"),
    pytest.param(b'{"a":1}{}', id="trailing-data"),
    pytest.param(b"1\x00", id="trailing-nul"),
    pytest.param(b"[1,]", id="trailing-comma"),
    pytest.param(b'{"a":1,}', id="trailing-comma-object"),
    pytest.param(b"01", id="leading-zero"),
    pytest.param(b"1.", id="bare-point"),
    pytest.param(b'"\t"', id="raw-tab-in-string"),
    pytest.param(b'"\\x41"', id="bad-escape"),
    pytest.param(b'"\\u12"', id="short-unicode-escape"),
    pytest.param(b"{1: 2}", id="unquoted-key"),
    pytest.param(b"<html>Sign in</html>", id="html"),
    pytest.param(b'{"results": [1, 2', id="cut-short"),
    pytest.param(b"True", id="python-literal"),
    *_random_numbers(),
]


@pytest.mark.parametrize("body", CORPUS)
def test_same_as_json(body: bytes) -> None:
    """Decodes every body as json.loads does: equal values of equal types, or its error."""
    expected = outcome(body, json.loads)
    actual = outcome(body, _json.loads)
    assert expected[0] == actual[0], (expected, actual)
    if expected[0] == "value":
        assert same(expected[1], actual[1])
    else:
        assert expected[1] == actual[1]


@pytest.mark.parametrize(
    "body",
    [memoryview(b"[1, 2]"), bytearray(b"[1, 2]"), "[1, 2]", "[NaN]"],
    ids=["memoryview", "bytearray", "str", "str-nan"],
)
def test_other_types_as_json(body: Any) -> None:
    """Takes what json.loads takes: a memoryview raises json's TypeError, as it does."""
    expected = outcome(body, json.loads)
    actual = outcome(body, _json.loads)
    assert expected[0] == actual[0]
    assert same(expected[1], actual[1])


def test_msgspec_is_the_default_when_installed() -> None:
    """Decodes with msgspec whenever it is importable, and only then."""
    # The fixture chose a decoder for this test; the import-time choice is the module's.
    spec = importlib.util.find_spec(_json.__name__)
    assert spec is not None and spec.loader is not None
    fresh = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fresh)
    assert fresh.decoder() == ("msgspec" if HAS_MSGSPEC else "json")


def test_use(decoder: str) -> None:
    """Switches the decoder by name; refuses an unknown name, or msgspec when it is missing."""
    assert _json.decoder() == decoder == _json.DECODER
    with pytest.raises(ValueError, match=r"Unknown JSON decoder 'ujson'"):
        _json.use("ujson")
    assert _json.decoder() == decoder
    if HAS_MSGSPEC:
        _json.use("msgspec")
        assert _json.decoder() == "msgspec"
    else:
        with pytest.raises(ImproperlyConfigured, match=r"fast extra"):
            _json.use("msgspec")
    _json.use("json")
    assert _json.decoder() == "json"
    assert _json.loads is json.loads


@pytest.mark.parametrize(
    "body",
    [
        b'{"score": NaN, "limit": Infinity}',
        b'{"id": 123456789012345678901234567890, "neg": -9223372036854775809}',
        b'{"a": 1, "a": 2.0, "b": 1e400}',
    ],
    ids=["nan", "big-int", "duplicate-keys"],
)
async def test_client_decodes_as_json(body: bytes) -> None:
    """A 200 body comes out of the client as json.loads gives it."""
    with respx.mock(base_url=API) as router:
        router.get("x/").respond(200, content=body, headers={"Content-Type": "application/json"})
        async with AsyncServiceClient(API) as client:
            response = await client.get("x/")
    assert same(json.loads(body), response.data)


async def test_client_error_body_decodes_as_json() -> None:
    """A 4xx JSON body on the exception is json's value too."""
    body = b'{"detail": "no", "id": 18446744073709551616, "x": NaN}'
    with respx.mock(base_url=API) as router:
        router.get("x/").respond(400, content=body, headers={"Content-Type": "application/json"})
        async with AsyncServiceClient(API, max_retries=0) as client:
            with pytest.raises(Exception) as info:
                await client.get("x/")
    assert same(json.loads(body), info.value.body)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<html>Sign in</html>", "JSONDecodeError"),
        (b"[1,]", "JSONDecodeError"),
        (b"\xff\xfe\xfa", "UnicodeDecodeError"),
        (b"[" * 100_000 + b"]" * 100_000, "RecursionError"),
    ],
    ids=["html", "trailing-comma", "not-utf-8", "too-deep"],
)
async def test_client_not_json(body: bytes, reason: str) -> None:
    """A 2xx body that is not JSON raises InvalidResponseError, its message as before."""
    with respx.mock(base_url=API) as router:
        router.get("x/").respond(200, content=body, headers={"Content-Type": "text/html"})
        async with AsyncServiceClient(API) as client:
            with pytest.raises(InvalidResponseError) as info:
                await client.get("x/")
    start = body[:80].decode("utf-8", "replace")
    assert str(info.value).startswith(
        f"GET {API}x/ answered 200 with content type 'text/html': the body is not valid "
        f"JSON ({reason}); it starts {start!r}"
    )
