"""One attempt at a time: the gate, the deadline, the body cap, and the httpx pool behind them.

:class:`AsyncServiceClient` decides policy: which URL, whether to retry, whether
to follow a redirect, what an answer means. :class:`Connections` does the
sending: it lets ``max_connections`` attempts in at once, bounds each whole
attempt by ``timeout`` and by what is left of the call's deadline, reads the
body under the size cap, and owns the httpx pool, rebuilt when cancelled
requests wedge it (httpcore #1093).
"""

from __future__ import annotations

import asyncio
import importlib
import ipaddress
import logging
import os
import ssl
import urllib.request
from asyncio import timeout_at as _deadline_at
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from typing import Any, Final, NamedTuple, TypeAlias

import httpx

from ._body import ERROR_BODY_LIMIT, UndecodableBody, read_body
from ._call import Call
from ._log import logger
from ._urls import Origin

__all__ = [
    "CLOSED_MESSAGE",
    "REDIRECT_STATUSES",
    "CertTypes",
    "Connections",
    "Exchange",
    "PoolTransport",
    "ProxyTypes",
    "TransportTypes",
    "VerifyTypes",
    "environment_proxy",
]

#: ``True``/``False``, a CA bundle file or directory, or a ready ``ssl.SSLContext``.
VerifyTypes: TypeAlias = bool | str | os.PathLike[str] | ssl.SSLContext
_Path: TypeAlias = str | os.PathLike[str]
#: A PEM file with the certificate and its key, ``(certfile, keyfile)`` or
#: ``(certfile, keyfile, password)``.
CertTypes: TypeAlias = _Path | tuple[_Path, _Path | None] | tuple[_Path, _Path | None, str | None]
#: A proxy URL, or an ``httpx.Proxy`` (with its own headers or TLS context).
ProxyTypes: TypeAlias = str | httpx.URL | httpx.Proxy

REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})
#: The share of an attempt's limit that connecting may take.
CONNECT_SHARE: Final = 0.9
CLOSED_MESSAGE: Final = (
    "this AsyncServiceClient has been closed and cannot be reused; create a new one"
)


def require_h2() -> None:
    """Raise ``ImportError`` naming the package to install when ``h2`` cannot be imported.

    httpx's own message suggests ``httpx[http2]``; h2 is a dependency of this
    package, so its absence means a broken or trimmed install.
    """
    try:
        importlib.import_module("h2")
    except ImportError as error:
        raise ImportError(
            "http2=True needs the 'h2' package, a dependency of django-api-orm that "
            "cannot be imported here: install it (pip install h2, or reinstall "
            "django-api-orm), or pass http2=False"
        ) from error


def ssl_config(
    verify_ssl: VerifyTypes, *, cert: CertTypes | None = None, trust_env: bool = True
) -> ssl.SSLContext | bool:
    """Return what httpx's ``verify=`` takes for ``verify_ssl``, the CA bundle and ``cert`` loaded.

    With ``trust_env``, ``verify_ssl=True`` reads ``SSL_CERT_FILE`` and
    ``SSL_CERT_DIR`` as httpx does.
    """
    if isinstance(verify_ssl, ssl.SSLContext):
        if cert is not None:
            raise ValueError(
                "cert= cannot be loaded into an ssl.SSLContext given as verify_ssl: "
                "call context.load_cert_chain(...) on it yourself, or pass a CA bundle path"
            )
        return verify_ssl
    context: ssl.SSLContext | bool
    if verify_ssl is True:
        # Built once: loading the CA store costs milliseconds, and a rebuilt
        # transport reuses it.
        context = httpx.create_ssl_context(trust_env=trust_env)
    elif verify_ssl is False:
        if cert is None:
            return False
        context = httpx.create_ssl_context(verify=False)
    elif isinstance(verify_ssl, (str, os.PathLike)):
        path = os.fspath(verify_ssl)
        if os.path.isdir(path):
            context = ssl.create_default_context(capath=path)
        elif os.path.isfile(path):
            context = ssl.create_default_context(cafile=path)
        else:
            raise ValueError(f"verify_ssl names no CA bundle file or directory: {path!r}")
    else:
        raise TypeError(
            "verify_ssl must be True, False, a CA bundle path or an ssl.SSLContext, "
            f"not {type(verify_ssl).__name__}"
        )
    if cert is not None:
        load_cert(context, cert)
    return context


def load_cert(context: ssl.SSLContext, cert: CertTypes) -> None:
    """Load the client certificate ``cert`` into ``context``, or raise ``ValueError`` saying why."""
    if isinstance(cert, (str, os.PathLike)):
        certfile, keyfile, password = os.fspath(cert), None, None
    elif isinstance(cert, tuple) and len(cert) in (2, 3):
        certfile, keyfile = os.fspath(cert[0]), (None if cert[1] is None else os.fspath(cert[1]))
        password = cert[2] if len(cert) == 3 else None
    else:
        raise TypeError(
            "cert must be a path to a PEM file holding the certificate and its key, "
            "or a tuple (certfile, keyfile) or (certfile, keyfile, password), "
            f"not {type(cert).__name__}"
        )
    try:
        context.load_cert_chain(certfile, keyfile, password)
    except (OSError, ssl.SSLError) as error:
        # The password is never quoted; the file names are configuration, not secrets.
        raise ValueError(
            f"cert could not be loaded from {certfile!r}"
            f"{'' if keyfile is None else f' and {keyfile!r}'}: {type(error).__name__}: "
            f"{getattr(error, 'strerror', None) or getattr(error, 'reason', None) or 'unreadable'}"
        ) from None


def environment_proxy(origin: Origin) -> str | None:
    """Return the proxy the environment names for ``origin``, as httpx reads it, or ``None``.

    ``HTTPS_PROXY``/``HTTP_PROXY``/``ALL_PROXY`` (either case) name the proxy of
    a scheme; ``NO_PROXY`` lists hosts reached directly: ``*`` for all, an
    address or ``localhost`` exactly, ``example.com`` for it and its subdomains,
    ``.example.com`` for its subdomains only, or ``scheme://host`` (curl's rules).
    """
    found = urllib.request.getproxies()
    host = origin.host.lower().strip("[]")
    for entry in (e.strip() for e in found.get("no", "").split(",")):
        if not entry:
            continue
        if entry == "*":
            return None
        if "://" in entry:
            scheme, _, rest = entry.partition("://")
            if scheme in (origin.scheme, "all") and _host_matches(rest.split("/")[0], origin):
                return None
        elif _bypassed(entry.lower(), host):
            return None
    for scheme in (origin.scheme, "all"):
        proxy = found.get(scheme)
        if proxy:
            return proxy if "://" in proxy else f"http://{proxy}"
    return None


def _host_matches(pattern: str, origin: Origin) -> bool:
    host, _, port = pattern.rpartition(":") if pattern.count(":") == 1 else (pattern, "", "")
    if port and port.isdigit() and int(port) != origin.port:
        return False
    return _bypassed(host.lower(), origin.host.lower().strip("[]"))


def _bypassed(entry: str, host: str) -> bool:
    entry = entry.split("/")[0].strip("[]")  # 10.0.0.0/8 is matched as 10.0.0.0, as httpx does
    if entry.startswith("*."):
        return host.endswith(entry[1:]) and host != entry[2:]
    if entry.startswith("."):
        return host.endswith(entry) and host != entry[1:]
    entry = entry.removeprefix("*")
    if _is_address(entry) or entry == "localhost":
        return host == entry
    return host == entry or host.endswith("." + entry)


def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


class Exchange(NamedTuple):
    """One attempt's answer, its connection already released."""

    status_code: int
    headers: httpx.Headers
    http_version: str
    url: str
    body: bytes
    complete: bool  # False: the body was longer than the limit it was read with
    retry_after: float | None
    wait: float | None  # set: retry after this many seconds; the body was not read
    undecodable: str | None  # why the body could not be decoded (its Content-Encoding)
    not_retried: str | None = None  # why a status retried as a rule is not this time


#: httpx's own ``AsyncClient.send``, to tell when an integration has replaced it.
_HTTPX_SEND: Final = httpx.AsyncClient.send
_httpx_logger: Final = logging.getLogger("httpx")


def _hooked() -> bool:
    """Tell whether ``httpx.AsyncClient.send`` must run: patched, or its log line wanted."""
    return httpx.AsyncClient.send is not _HTTPX_SEND or _httpx_logger.isEnabledFor(logging.INFO)


class _Pool:
    """One httpx transport (one httpcore pool), and how many of our requests it is serving."""

    __slots__ = ("in_flight", "suspect", "transport")

    def __init__(self, transport: httpx.AsyncHTTPTransport) -> None:
        self.transport = transport
        self.in_flight = 0
        self.suspect = False

    def busy_connections(self) -> int:
        """Count connections in httpcore's pool that are neither idle nor closed."""
        # httpx keeps its httpcore pool in a private attribute; httpcore's
        # `connections` and the connection predicates are public. If either
        # changes shape, this counts nothing and only the rebuild is lost.
        pool = getattr(self.transport, "_pool", None)
        connections = getattr(pool, "connections", ())
        return sum(1 for c in connections if not c.is_idle() and not c.is_closed())


class _Counted(httpx.AsyncByteStream):
    """A response body that tells its pool when it is closed: the request is then done."""

    __slots__ = ("_done", "_pool", "_release", "_stream")

    def __init__(
        self, stream: httpx.AsyncByteStream, pool: _Pool, release: Callable[[_Pool], None]
    ) -> None:
        self._stream = stream
        self._pool = pool
        self._release = release
        self._done = False

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._stream.__aiter__()  # the body's own iterator: no layer per chunk

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            if not self._done:
                self._done = True
                self._release(self._pool)


class PoolTransport(httpx.AsyncBaseTransport):
    """The default transport of a client: httpx's, rebuilt under it when it wedges.

    It is the one transport the client's ``httpx.AsyncClient`` holds for the
    client's whole life, so what wraps it (a ``transport=`` factory,
    OpenTelemetry's ``instrument_client()``) stays in place when the httpcore
    pool beneath is replaced.
    """

    def __init__(self, connections: Connections) -> None:
        self._connections = connections

    def handle_async_request(self, request: httpx.Request) -> Coroutine[Any, Any, httpx.Response]:
        """Send ``request`` on the current pool (the coroutine of ``Connections.handle``)."""
        # Not a coroutine of its own: one frame less for every suspension of the request.
        return self._connections.handle(request)

    async def aclose(self) -> None:
        """Close every pool beneath."""
        await self._connections.close_pools()


#: ``transport=``: a transport used as it is, or a factory given the default transport.
TransportTypes: TypeAlias = (
    httpx.AsyncBaseTransport | Callable[[httpx.AsyncBaseTransport], httpx.AsyncBaseTransport]
)


class Connections:
    """A client's connections: the gate, the httpx client, and the pools beneath it.

    Parameters
    ----------
    origin : Origin
        The client's origin, named in log lines.
    headers : httpx.Headers
        The headers every request carries.
    timeout : float
        Seconds one attempt may take as a whole; also httpx's per-operation timeout.
    verify_ssl, http2, max_connections, max_keepalive_connections
        As :class:`~django_api_orm.client.AsyncServiceClient` takes them.
    max_response_bytes : int
        The largest 2xx body read.
    cert, proxy, trust_env, auth, transport
        As :class:`~django_api_orm.client.AsyncServiceClient` takes them.
    """

    def __init__(
        self,
        *,
        origin: Origin,
        headers: httpx.Headers,
        timeout: float,
        verify_ssl: VerifyTypes,
        http2: bool,
        max_connections: int,
        max_keepalive_connections: int,
        max_response_bytes: int,
        cert: CertTypes | None = None,
        proxy: ProxyTypes | None = None,
        trust_env: bool = True,
        auth: httpx.Auth | None = None,
        transport: TransportTypes | None = None,
    ) -> None:
        self._origin = origin
        self._timeout = timeout
        self._http2 = http2
        self._max_response_bytes = max_response_bytes
        # Built once: every pool reuses these objects.
        self._limits = httpx.Limits(
            max_connections=max_connections,
            max_keepalive_connections=max_keepalive_connections,
        )
        self._ssl = ssl_config(verify_ssl, cert=cert, trust_env=trust_env)
        self._proxy = (
            proxy if proxy is not None else (environment_proxy(origin) if trust_env else None)
        )
        if http2:
            require_h2()  # here, when the client is made, rather than at the first request

        # Our own gate in front of httpx's pool: waiting here is cheap and
        # fair, while many requests waiting inside httpx's pool degrade it into
        # PoolTimeout storms. asyncio primitives bind to the running loop on
        # first use, so building it outside a loop is fine.
        self._semaphore = asyncio.Semaphore(max_connections)
        self._pool = self._new_pool()
        self._retired: set[_Pool] = set()
        self._closing: set[asyncio.Task[None]] = set()
        self._closed = False
        self._pools_closed = False
        default = PoolTransport(self)
        sending: httpx.AsyncBaseTransport
        if transport is None:
            sending = default
        elif isinstance(transport, httpx.AsyncBaseTransport):
            sending = transport
        elif callable(transport):
            sending = transport(default)
            if not isinstance(sending, httpx.AsyncBaseTransport):
                raise TypeError(
                    "transport= was called with the default transport and must return an "
                    f"httpx.AsyncBaseTransport, not {type(sending).__name__}"
                )
        else:
            raise TypeError(
                "transport must be an httpx.AsyncBaseTransport or a callable taking the "
                f"default transport and returning one, not {type(transport).__name__}"
            )
        if auth is not None and not isinstance(auth, httpx.Auth):
            raise TypeError(f"auth must be an httpx.Auth, not {type(auth).__name__}")
        self._auth = auth
        self._sending = sending
        #: The one httpx client every request is sent through, for the client's life.
        self.client = httpx.AsyncClient(
            auth=auth,
            headers=headers,
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,  # the client's request() follows them, origin checked
            transport=sending,
            trust_env=False,  # the proxy and the CA bundle were read above, as httpx would
        )

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` has been called."""
        return self._closed

    def build_request(
        self, method: str, url: str, *, content: bytes | None, headers: Mapping[str, str] | None
    ) -> httpx.Request:
        """Build a request with the client's headers and cookies, to send with :meth:`attempt`."""
        return self.client.build_request(method, url, content=content, headers=headers)

    async def aclose(self) -> None:
        """Close the httpx client and every pool; any later attempt raises ``RuntimeError``."""
        if self._closed:
            return
        self._closed = True
        await self.client.aclose()
        await self.close_pools()

    async def close_pools(self) -> None:
        """Close the current pool and the retired ones (the default transport's ``aclose``).

        Called by the httpx client closing its transport and again by :meth:`aclose`
        (a ``transport=`` that replaced the default one never closes it): once is enough.
        """
        if self._pools_closed:
            return
        self._pools_closed = True
        pools = [self._pool, *self._retired]
        self._retired.clear()
        for pool in pools:
            await pool.transport.aclose()
        if self._closing:
            await asyncio.gather(*self._closing)

    # -- one attempt ----------------------------------------------------------

    async def attempt(self, request: httpx.Request, *, call: Call, follow: bool) -> Exchange:
        """Send ``request`` once and read its answer, within ``timeout`` and ``call``'s deadline.

        ``call`` decides whether a transient status is retried, so whether the
        body of a 503 is worth reading. Waiting for a free slot counts against
        the call's deadline; when it passes, the builtin ``TimeoutError`` is raised.
        """
        # The call's deadline bounds the wait for a slot (a free slot is taken at
        # once, with no timer); then one timer ends the attempt at the call's
        # deadline or the attempt's own timeout, whichever comes first.
        semaphore = self._semaphore
        if semaphore.locked():
            async with _deadline_at(call.ends):
                await semaphore.acquire()
        else:
            await semaphore.acquire()  # returns at once: a slot is free
        try:
            return await self._attempt(request, call=call, follow=follow)
        finally:
            semaphore.release()

    async def _attempt(self, request: httpx.Request, *, call: Call, follow: bool) -> Exchange:
        """:meth:`attempt`, holding a slot."""
        if self._closed:
            raise RuntimeError(CLOSED_MESSAGE)
        completed = False
        # httpx's connect timeout ends just before the attempt's limit, so
        # a connection that cannot be made raises ConnectTimeout (the
        # request never left: any method may be retried), not our deadline.
        now = asyncio.get_running_loop().time()
        timeout = call.timeout
        limit = min(timeout, call.ends - now)
        request.extensions["timeout"] = {
            "connect": limit * CONNECT_SHARE,
            "read": timeout,
            "write": timeout,
            "pool": timeout,
        }
        try:
            # The timer covers connect, send and the whole body, which httpx's
            # timeouts (each one socket operation) do not: a server trickling a
            # byte at a time would otherwise hold us forever. It ends at the
            # attempt's timeout or the call's deadline, whichever comes first.
            async with _deadline_at(now + limit):
                if self._auth is not None or _hooked():
                    # Through httpx.AsyncClient.send, for what hooks there: an
                    # auth flow, an integration that patches it (Sentry's),
                    # httpx's own log line. Redirects, retries and the deadline
                    # stay this client's own.
                    response = await self.client.send(request, stream=True)
                else:
                    # Nothing hooks send(): straight to the client's transport,
                    # which is what send() would call, without its per-request cost.
                    response = await self._sending.handle_async_request(request)
                    response.request = request
                    if "set-cookie" in response.headers:
                        self.client.cookies.extract_cookies(response)
                try:
                    exchange = await self._read(response, call=call, follow=follow)
                finally:
                    # Always release the connection, also for answers we
                    # discard (a retried 503, a redirect).
                    await response.aclose()
            completed = True
            return exchange
        finally:
            if not completed:
                # Cancelled, timed out or failed: the moment httpcore may
                # have left a connection behind (see _check_pool).
                self._check_pool(self._pool)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` on the current pool, counted until its body is closed."""
        if self._closed:
            raise RuntimeError(CLOSED_MESSAGE)
        pool = self._pool
        if pool.suspect:
            pool = self._check_pool(pool)
        pool.in_flight += 1
        try:
            response = await pool.transport.handle_async_request(request)
        except BaseException:
            self._release(pool)
            raise
        stream = response.stream
        assert isinstance(stream, httpx.AsyncByteStream)  # an async transport's answer
        response.stream = _Counted(stream, pool, self._release)
        return response

    def _release(self, pool: _Pool) -> None:
        pool.in_flight -= 1
        if pool is not self._pool and pool.in_flight == 0 and pool in self._retired:
            self._close_retired(pool)  # the last request on a retired pool

    async def _read(self, response: httpx.Response, *, call: Call, follow: bool) -> Exchange:
        status = response.status_code
        headers = response.headers
        retry_after = wait = None
        not_retried = None
        limit = 0  # 0: do not read the body
        if 200 <= status < 300:
            limit = self._max_response_bytes
        elif not (follow and status in REDIRECT_STATUSES):
            retry_after, wait, not_retried = call.status_wait(status, headers)
            if wait is None:
                limit = min(self._max_response_bytes, ERROR_BODY_LIMIT)
        body, complete, undecodable = b"", True, None
        if limit:
            try:
                body, complete = await read_body(response, limit)
            except UndecodableBody as error:
                undecodable = str(error)
        return Exchange(
            status_code=status,
            headers=headers,
            http_version=response.http_version,
            url=str(response.url),
            body=body,
            complete=complete,
            retry_after=retry_after,
            wait=wait,
            undecodable=undecodable,
            not_retried=not_retried,
        )

    # -- the pool that may wedge ---------------------------------------------

    def _new_pool(self) -> _Pool:
        return _Pool(
            httpx.AsyncHTTPTransport(
                verify=self._ssl,
                http2=self._http2,
                limits=self._limits,
                proxy=self._proxy,
                retries=0,  # retries are our policy, not the transport's
            )
        )

    def _check_pool(self, pool: _Pool) -> _Pool:
        """Replace the current pool if cancelled requests left connections stuck in it.

        Why: httpx 0.28 / httpcore 1.0 can orphan a connection when a request
        is cancelled between the pool assigning it a connection and the
        request starting on it (httpcore issue #1093): the connection stays
        NEW or CONNECTING, neither idle nor closed, owned by nobody, and its
        slot is never given back. Enough of them and every request waits for
        a PoolTimeout against a healthy server, until the pool is rebuilt.

        How: every connection that is not idle or closed must be serving one
        of our in-flight requests, so more busy connections than requests in
        flight proves orphans; then we swap in a fresh pool and close the old
        one once its last request is done. Fewer proves nothing while
        requests are in flight, so the pool stays suspect and is checked
        again as each request starts, until it is idle or rebuilt. Only
        failed, cancelled or timed-out attempts start this; the normal path
        pays nothing.
        """
        if pool is not self._pool or self._closed:
            return self._pool
        busy = pool.busy_connections()
        if busy <= pool.in_flight:
            pool.suspect = busy > 0
            return pool
        logger.info(
            "Rebuilding the connection pool for %s: %d connections busy but %d requests "
            "in flight (connections orphaned by cancelled requests, httpcore #1093)",
            self._origin,
            busy,
            pool.in_flight,
        )
        self._pool = self._new_pool()
        self._retire(pool)
        return self._pool

    def _retire(self, pool: _Pool) -> None:
        self._retired.add(pool)
        if pool.in_flight == 0:
            self._close_retired(pool)
        else:
            # Requests still on it finish first; the last one closes it.
            pool.suspect = False

    def _close_retired(self, pool: _Pool) -> None:
        self._retired.discard(pool)
        task = asyncio.get_running_loop().create_task(pool.transport.aclose())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)
