"""The storefront under other servers: a threaded WSGI server, and a provider on HTTP/2 + TLS.

Under WSGI every async view runs on an event loop of its own (``async_to_sync``)
and sync views call the sync twins: the per-loop clients and the sync bridge must
hold, without "Event loop is closed" or an unclosed-socket ``ResourceWarning``
(warnings are errors in this suite, in server threads too).
"""

from __future__ import annotations

import contextlib
import logging
import re
import socketserver
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx
import pytest
import trustme
from django.test import AsyncClient, override_settings

from django_api_orm import services
from tests.conftest import ASGI_APP, Provider
from tests.e2e.helpers import CLIENT_LOGGER, SQL, book_ids, count, ids, service_settings
from tests.servers import start_hypercorn

#: Seconds the WSGI server's thread may take to stop.
STOP_TIMEOUT = 10.0


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    """wsgiref's server, one thread per request; closing it waits for those threads."""

    daemon_threads = False
    block_on_close = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Log nothing: the test reads the responses."""


@contextlib.contextmanager
def serve_wsgi(app: Callable[..., Any]) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 from a thread; yield its URL; stop it and its threads."""
    server = make_server(
        "127.0.0.1", 0, app, server_class=ThreadingWSGIServer, handler_class=QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(STOP_TIMEOUT)
        server.server_close()  # joins the request threads
    assert not thread.is_alive()


@pytest.mark.usefixtures("storefront")
def test_storefront_under_a_threaded_wsgi_server(provider_db: SQL) -> None:
    """Serves 24 concurrent requests to async and sync views under WSGI, all successfully."""
    from example_project.wsgi import application

    (book_id, author_id) = provider_db("SELECT id, author_id FROM provider_book LIMIT 1")[0]
    pages = ["/", "/?page=2", "/?in_print=no", f"/books/{book_id}/", f"/authors/{author_id}/"]
    paths = [*pages * 4, *["/stats/"] * 4]
    with (
        serve_wsgi(application) as url,
        httpx.Client(base_url=url, timeout=30.0) as http,
        ThreadPoolExecutor(max_workers=6) as pool,
    ):
        responses = list(pool.map(http.get, paths))
    assert [r.status_code for r in responses] == [200] * len(paths)
    first_page = responses[0].content
    assert book_ids(first_page) == ids(provider_db)
    stats = [r.json() for r in responses if r.request.url.path == "/stats/"]
    assert {s["books"] for s in stats} == {count(provider_db)}


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """Return (CA, certificate, key) files of a private CA's certificate for 127.0.0.1."""
    directory = tmp_path_factory.mktemp("e2e-tls")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    paths = directory / "ca.pem", directory / "cert.pem", directory / "key.pem"
    ca.cert_pem.write_to_path(paths[0])
    for index, pem in enumerate(cert.cert_chain_pems):
        pem.write_to_path(paths[1], append=index > 0)
    cert.private_key_pem.write_to_path(paths[2])
    return paths


@pytest.fixture(scope="module")
def h2_provider(provider: Provider, tls_files: tuple[Path, Path, Path]) -> Iterator[str]:
    """Serve the provider's database with hypercorn over TLS; yield its API URL."""
    _, certfile, keyfile = tls_files
    with start_hypercorn(ASGI_APP, certfile=certfile, keyfile=keyfile, env=provider.env) as url:
        yield f"{url}api/"


async def test_storefront_over_http2(
    provider: Provider,
    provider_db: SQL,
    h2_provider: str,
    tls_files: tuple[Path, Path, Path],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Talks HTTP/2 over TLS to a provider signed by a private CA, and renders a page that way."""
    caplog.set_level(logging.DEBUG, logger=CLIENT_LOGGER)
    setting = service_settings(
        provider, base_url=h2_provider, HTTP2=True, VERIFY_SSL=str(tls_files[0])
    )
    with override_settings(API_ORM_SERVICES=setting):
        response = await services["default"].get("books/")
        assert response.http_version == "HTTP/2"
        assert response.data["count"] == count(provider_db)

        page = await AsyncClient().get("/")
    assert page.status_code == 200
    assert book_ids(page.content) == ids(provider_db)
    sent = [r.getMessage() for r in caplog.records if r.name == CLIENT_LOGGER]
    sent = [line for line in sent if " -> " in line]
    assert len(sent) == 5  # the direct get, then the page: count, rows, genres, authors
    assert all(line.startswith(f"GET {h2_provider}") for line in sent)
    assert all(re.search(r" HTTP/2 in \d+\.\d ms$", line) for line in sent)
