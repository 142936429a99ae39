"""HTTP/2 and certificate verification against hypercorn over TLS with a private CA."""

from __future__ import annotations

import asyncio
import logging

import pytest

from django_api_orm import AsyncServiceClient
from django_api_orm.exceptions import ConnectionError
from tests.client.conftest import TLSFiles

TOKEN = "s3cret-t0ken-value"


async def test_http2_with_a_ca_bundle_path(h2_server: str, tls: TLSFiles) -> None:
    """Speaks HTTP/2 with http2=True, trusting the CA given as a file path."""
    async with AsyncServiceClient(h2_server, http2=True, verify_ssl=str(tls.ca_path)) as client:
        response = await client.get("http-version")
    assert response.http_version == "HTTP/2"
    assert response.data == {"http_version": "2"}


async def test_http2_with_an_ssl_context(h2_server: str, tls: TLSFiles) -> None:
    """Speaks HTTP/2 with an ssl.SSLContext that trusts the CA."""
    async with AsyncServiceClient(h2_server, http2=True, verify_ssl=tls.client_context()) as client:
        response = await client.get("http-version")
    assert response.http_version == "HTTP/2"


async def test_http1_when_http2_is_off(h2_server: str, tls: TLSFiles) -> None:
    """Speaks HTTP/1.1 to the same server when http2 is False."""
    async with AsyncServiceClient(h2_server, verify_ssl=tls.ca_path) as client:
        response = await client.get("http-version")
    assert response.http_version == "HTTP/1.1"
    assert response.data == {"http_version": "1.1"}


async def test_unknown_ca_fails_verification(h2_server: str) -> None:
    """Raises our ConnectionError when the default CA store cannot verify the certificate."""
    async with AsyncServiceClient(h2_server, http2=True, max_retries=0) as client:
        with pytest.raises(ConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
            await client.get("http-version")


async def test_verify_ssl_false_skips_verification(h2_server: str) -> None:
    """Connects without verifying the certificate when verify_ssl is False."""
    async with AsyncServiceClient(h2_server, http2=True, verify_ssl=False) as client:
        response = await client.get("http-version")
    assert response.http_version == "HTTP/2"


async def test_many_requests_share_http2(h2_server: str, tls: TLSFiles) -> None:
    """Runs 200 concurrent requests over HTTP/2, all answered."""
    async with AsyncServiceClient(
        h2_server, http2=True, verify_ssl=tls.ca_path, max_connections=20
    ) as client:
        responses = await asyncio.gather(*(client.get("ok") for _ in range(200)))
    assert {r.http_version for r in responses} == {"HTTP/2"}
    assert [r.data for r in responses] == [{"ok": True}] * 200


async def test_token_never_in_log_records_over_http2(
    h2_server: str, tls: TLSFiles, caplog: pytest.LogCaptureFixture
) -> None:
    """Keeps the token out of every DEBUG record over HTTP/2, hpack's header blocks included."""
    caplog.set_level(logging.DEBUG)
    async with AsyncServiceClient(
        h2_server, auth_token=TOKEN, http2=True, verify_ssl=tls.ca_path
    ) as client:
        await client.post("echo", {"a": 1})
        await client.get("echo", params={"x": "1"})
    names = {record.name for record in caplog.records}
    assert {"httpcore.http2", "hpack.hpack", "django_api_orm.client"} <= names
    for record in caplog.records:
        text = record.getMessage() + repr(record.args)
        assert TOKEN not in text
        # hpack Huffman-codes header values; the encoded block must not be logged either.
        assert not record.getMessage().startswith("Encoded header block to b")
