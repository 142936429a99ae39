"""The client's seams: proxy, trust_env, cert, auth, transport, per-call headers and timeout.

Each runs against a real server: the fault app under uvicorn, or under
hypercorn with a trustme certificate and, for mTLS, a CA it requires client
certificates from.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import AsyncGenerator, Generator, Iterator
from pathlib import Path

import httpx
import pytest
import trustme

from django_api_orm import AsyncServiceClient
from django_api_orm.client._pool import environment_proxy
from django_api_orm.exceptions import AuthenticationError, ConnectionError, TimeoutError
from django_api_orm.urls import origin_of
from tests.client.conftest import FAULT_APP, TLSFiles
from tests.integration.proxy import proxy as recording_proxy
from tests.servers import start_hypercorn

# --- transport= ------------------------------------------------------------------------


class Counting(httpx.AsyncBaseTransport):
    """Wraps a transport and counts the requests that pass through it."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.seen: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(f"{request.method} {request.url.path}")
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_a_transport_factory_wraps_the_default_transport(fault_server: str) -> None:
    """Is called once with the default transport; every request goes through its wrapper."""
    made: list[Counting] = []

    def wrap(default: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        made.append(Counting(default))
        return made[-1]

    async with AsyncServiceClient(fault_server, transport=wrap) as client:
        first = await client.get("ok")
        await client.post("echo", {"a": 1})
    assert first.data == {"ok": True}
    assert len(made) == 1
    assert made[0].seen == ["GET /ok", "POST /echo"]


async def test_a_transport_replaces_the_network() -> None:
    """A transport instance answers every request, through retries and error mapping."""
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        if len(calls) == 1:
            return httpx.Response(503, json={"detail": "busy"})
        return httpx.Response(200, json={"id": 1})

    client = AsyncServiceClient(
        "https://nowhere.invalid/api/", transport=httpx.MockTransport(handler), retry_delay=0
    )
    async with client:
        response = await client.get("books/1/")
    assert response.data == {"id": 1}
    assert calls == ["https://nowhere.invalid/api/books/1/"] * 2  # the 503 was retried


async def test_a_wrapping_transport_survives_a_rebuilt_pool(
    fault_server: str, key: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Cancelled requests may wedge httpx's pool; the pool beneath is rebuilt, the wrapper stays."""
    made: list[Counting] = []

    def wrap(default: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        made.append(Counting(default))
        return made[-1]

    caplog.set_level(logging.INFO, logger="django_api_orm.client")
    async with AsyncServiceClient(
        fault_server, max_connections=10, timeout=3.0, max_retries=0, transport=wrap
    ) as client:
        for step in range(10):
            tasks = [
                asyncio.create_task(client.get(f"slow/{key}", params={"delay": "0.2"}))
                for _ in range(10)
            ]
            for _ in range(step * 2):
                await asyncio.sleep(0)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        before = len(made[0].seen)
        responses = await asyncio.gather(*(client.get("ok") for _ in range(30)))
    assert [r.data for r in responses] == [{"ok": True}] * 30
    assert len(made) == 1  # built once, for the client's life
    assert len(made[0].seen) == before + 30


def test_a_transport_of_the_wrong_type_is_refused() -> None:
    """Neither a transport nor a callable: a TypeError naming what it must be."""
    with pytest.raises(TypeError, match="AsyncBaseTransport or a callable"):
        AsyncServiceClient("https://api.example.com/", transport="httpx")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"must return an httpx\.AsyncBaseTransport"):
        AsyncServiceClient("https://api.example.com/", transport=lambda default: None)  # type: ignore[arg-type]


# --- auth= -------------------------------------------------------------------------------


class RefreshingAuth(httpx.Auth):
    """A token that expires: a 401 fetches a new one and sends the request once more."""

    def __init__(self) -> None:
        self.token = "first"
        self.refreshes = 0

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        request.headers["Authorization"] = f"Bearer {self.token}"
        response = yield request
        if response.status_code == 401:
            self.refreshes += 1
            self.token = f"refreshed-{self.refreshes}"
            request.headers["Authorization"] = f"Bearer {self.token}"
            yield request

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        raise RuntimeError("the client is async")  # pragma: no cover


async def test_auth_sets_the_header(fault_server: str) -> None:
    """An httpx.Auth signs each request; the echo shows its header."""
    auth = RefreshingAuth()
    async with AsyncServiceClient(fault_server, auth=auth) as client:
        echoed = await client.get("echo")
    assert echoed.data["headers"]["authorization"] == "Bearer first"
    assert auth.refreshes == 0


async def test_a_401_runs_the_auth_flow_once_more(fault_server: str, key: str) -> None:
    """The first answer is a 401: the flow refreshes its token and the request succeeds."""
    auth = RefreshingAuth()
    async with AsyncServiceClient(fault_server, auth=auth, max_retries=0) as client:
        response = await client.get(f"hinted/{key}", params={"fail": "1", "status": "401"})
    assert response.status_code == 200
    assert response.data["attempts"] == 2
    assert auth.refreshes == 1
    assert auth.token == "refreshed-1"


async def test_a_401_after_the_refresh_raises(fault_server: str, key: str) -> None:
    """The flow sends once more only: a second 401 is the AuthenticationError."""
    auth = RefreshingAuth()
    async with AsyncServiceClient(fault_server, auth=auth, max_retries=0) as client:
        with pytest.raises(AuthenticationError):
            await client.get(f"hinted/{key}", params={"fail": "5", "status": "401"})
    assert auth.refreshes == 1


def test_auth_and_auth_token_together_are_refused() -> None:
    """Two sources for one Authorization header: a ValueError, the token not quoted."""
    with pytest.raises(ValueError, match="auth_token or auth, not both") as caught:
        AsyncServiceClient("https://api.example.com/", auth_token="s3cret", auth=RefreshingAuth())
    assert "s3cret" not in str(caught.value)


def test_auth_of_the_wrong_type_is_refused() -> None:
    """A tuple works for httpx, not here: one way to authenticate, an httpx.Auth."""
    with pytest.raises(TypeError, match=r"auth must be an httpx\.Auth"):
        AsyncServiceClient("https://api.example.com/", auth=("user", "pw"))  # type: ignore[arg-type]


# --- per-call headers and timeout ---------------------------------------------------------


async def test_per_call_headers_on_every_verb(fault_server: str) -> None:
    """headers= on get/post/put/patch/delete reach the server on that call only."""
    async with AsyncServiceClient(fault_server, headers={"X-Site": "shop"}) as client:
        seen = [
            (await client.get("echo", headers={"X-Call": "get"})).data,
            (await client.post("echo", {"a": 1}, headers={"X-Call": "post"})).data,
            (await client.put("echo", {"a": 1}, headers={"X-Call": "put"})).data,
            (await client.patch("echo", {"a": 1}, headers={"X-Call": "patch"})).data,
            (await client.delete("echo", headers={"X-Call": "delete"})).data,
            (await client.get("echo")).data,
        ]
    assert [s["headers"].get("x-call") for s in seen] == [
        "get",
        "post",
        "put",
        "patch",
        "delete",
        None,
    ]
    assert all(s["headers"]["x-site"] == "shop" for s in seen)


async def test_a_per_call_timeout_limits_that_call(fault_server: str, key: str) -> None:
    """timeout= on one call ends it early; the client's own timeout still serves the rest."""
    async with AsyncServiceClient(fault_server, timeout=10.0, max_retries=0) as client:
        started = asyncio.get_running_loop().time()
        with pytest.raises(TimeoutError):
            await client.get(f"slow/{key}", params={"delay": "2"}, timeout=0.3)
        assert asyncio.get_running_loop().time() - started < 1.5
        response = await client.get(f"slow/{key}", params={"delay": "0.5"})
    assert response.status_code == 200


async def test_a_per_call_timeout_may_exceed_the_client_default(
    fault_server: str, key: str
) -> None:
    """A slow report endpoint gets more than the client's timeout, and its deadline follows."""
    async with AsyncServiceClient(fault_server, timeout=0.3, max_retries=0) as client:
        with pytest.raises(TimeoutError):
            await client.get(f"slow/{key}", params={"delay": "0.8"})
        response = await client.get(f"slow/{key}", params={"delay": "0.8"}, timeout=3.0)
    assert response.status_code == 200


@pytest.mark.parametrize("bad", [0, -1, float("inf"), "3", True])
async def test_a_bad_per_call_timeout_is_refused(bad: object) -> None:
    """Refused before anything is sent, naming the value."""
    client = AsyncServiceClient("https://api.example.com/")
    async with client:
        with pytest.raises(ValueError, match="timeout must be a number of seconds > 0"):
            await client.get("x", timeout=bad)  # type: ignore[arg-type]


# --- proxy= and trust_env ------------------------------------------------------------------


async def test_an_explicit_proxy_carries_every_request(fault_server: str) -> None:
    """proxy= sends each request to the proxy, in absolute form."""
    async with (
        recording_proxy(fault_server) as (proxy_url, seen),
        AsyncServiceClient(fault_server, proxy=proxy_url) as client,
    ):
        response = await client.get("ok")
    assert response.data == {"ok": True}
    assert seen == [f"GET {fault_server}ok"]


async def test_http_proxy_from_the_environment(
    fault_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With trust_env (the default) HTTP_PROXY is honoured, as httpx honours it."""
    async with recording_proxy(fault_server) as (proxy_url, seen):
        monkeypatch.setenv("HTTP_PROXY", proxy_url)
        async with AsyncServiceClient(fault_server) as client:
            await client.get("ok")
        async with AsyncServiceClient(fault_server, trust_env=False) as client:
            await client.get("ok")  # straight to the server
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        async with AsyncServiceClient(fault_server) as client:
            await client.get("ok")  # NO_PROXY: straight to the server
    assert seen == [f"GET {fault_server}ok"]


@pytest.mark.parametrize(
    ("no_proxy", "url", "proxied"),
    [
        ("", "https://api.example.com/", True),
        ("*", "https://api.example.com/", False),
        ("example.com", "https://api.example.com/", False),
        ("example.com", "https://example.com/", False),
        (".example.com", "https://example.com/", True),
        (".example.com", "https://api.example.com/", False),
        ("ample.com", "https://api.example.com/", True),
        ("10.0.0.1", "https://10.0.0.1/", False),
        ("10.0.0.1", "https://10.0.0.2/", True),
        ("::1", "https://[::1]:8443/", False),
        ("localhost", "http://localhost:8000/", False),
        ("http://api.example.com", "https://api.example.com/", True),
        ("https://api.example.com", "https://api.example.com/", False),
        ("other.org, example.com", "https://api.example.com/", False),
    ],
)
def test_no_proxy_is_read_as_httpx_reads_it(
    monkeypatch: pytest.MonkeyPatch, no_proxy: str, url: str, proxied: bool
) -> None:
    """Our reading of NO_PROXY agrees with httpx's own mounts for the same environment."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("HTTP_PROXY", "proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", no_proxy)
    origin = origin_of(url)
    assert origin is not None
    ours = environment_proxy(origin)
    assert (ours is not None) is proxied
    if proxied:
        assert ours == "http://proxy.internal:3128"
    # httpx's own answer for the same environment: a proxy transport, or the default one.
    client = httpx.AsyncClient(trust_env=True)
    mounted = client._transport_for_url(httpx.URL(url))
    assert (mounted is not client._transport) is proxied


def test_ssl_cert_file_is_honoured_with_trust_env(
    tls: TLSFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SSL_CERT_FILE names the CA bundle when trust_env is on, and is ignored when off."""
    monkeypatch.setenv("SSL_CERT_FILE", str(tls.ca_path))
    trusting = AsyncServiceClient("https://127.0.0.1/", trust_env=True)
    ignoring = AsyncServiceClient("https://127.0.0.1/", trust_env=False)
    trusted = trusting._connections._ssl
    ignored = ignoring._connections._ssl
    assert isinstance(trusted, ssl.SSLContext) and isinstance(ignored, ssl.SSLContext)
    assert len(trusted.get_ca_certs()) == 1  # only the bundle SSL_CERT_FILE names
    assert len(ignored.get_ca_certs()) > 1  # the default store


async def test_ssl_cert_file_reaches_a_tls_server(
    tls: TLSFiles, h2_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With SSL_CERT_FILE naming the private CA, the default verify_ssl=True trusts it."""
    monkeypatch.setenv("SSL_CERT_FILE", str(tls.ca_path))
    async with AsyncServiceClient(h2_server) as client:
        assert (await client.get("ok")).data == {"ok": True}
    async with AsyncServiceClient(h2_server, trust_env=False, max_retries=0) as client:
        with pytest.raises(ConnectionError):
            await client.get("ok")


# --- cert= (mTLS) -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mtls(tls: TLSFiles, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """Hypercorn requiring a client certificate from a CA of its own; yield (URL, client PEM)."""
    directory = tmp_path_factory.mktemp("mtls")
    client_ca = trustme.CA()
    client_ca_path = directory / "client-ca.pem"
    client_ca.cert_pem.write_to_path(client_ca_path)
    client_pem = directory / "client.pem"
    issued = client_ca.issue_cert("storefront@example.com")
    issued.private_key_and_cert_chain_pem.write_to_path(client_pem)
    with start_hypercorn(
        FAULT_APP,
        certfile=tls.certfile,
        keyfile=tls.keyfile,
        extra_args=(
            "--ca-certs",
            str(client_ca_path),
            "--verify-mode",
            "CERT_REQUIRED",
        ),
    ) as url:
        yield url, client_pem


async def test_a_client_certificate_opens_an_mtls_server(
    mtls: tuple[str, Path], tls: TLSFiles
) -> None:
    """The server requires a certificate: with cert= the request succeeds, over HTTP/2 too."""
    url, client_pem = mtls
    async with AsyncServiceClient(
        url, verify_ssl=str(tls.ca_path), cert=str(client_pem), http2=True
    ) as client:
        response = await client.get("http-version")
    assert response.data == {"http_version": "2"}


async def test_without_a_client_certificate_the_mtls_server_refuses(
    mtls: tuple[str, Path], tls: TLSFiles
) -> None:
    """No cert=: the handshake fails, a ConnectionError, not an answer."""
    url, _ = mtls
    async with AsyncServiceClient(url, verify_ssl=str(tls.ca_path), max_retries=0) as client:
        with pytest.raises(ConnectionError):
            await client.get("ok")


def test_a_cert_that_cannot_be_loaded_says_which_file(tmp_path: Path) -> None:
    """A ValueError naming the file, never a password."""
    missing = tmp_path / "nope.pem"
    with pytest.raises(ValueError, match=r"nope\.pem") as caught:
        AsyncServiceClient("https://api.example.com/", cert=(str(missing), None, "hunter2"))
    assert "hunter2" not in str(caught.value)


def test_cert_with_an_ssl_context_is_refused(tls: TLSFiles) -> None:
    """A ready SSLContext is the user's: load the certificate into it there."""
    with pytest.raises(ValueError, match="load_cert_chain"):
        AsyncServiceClient(
            "https://api.example.com/", verify_ssl=tls.client_context(), cert=str(tls.certfile)
        )
