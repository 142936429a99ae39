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
import os
import ssl
from asyncio import timeout_at as _deadline_at
from collections.abc import Mapping
from typing import Final, NamedTuple, TypeAlias

import httpx

from ._body import ERROR_BODY_LIMIT, UndecodableBody, read_body
from ._call import Call
from ._log import logger
from ._urls import Origin

__all__ = ["CLOSED_MESSAGE", "REDIRECT_STATUSES", "Connections", "Exchange", "VerifyTypes"]

#: ``True``/``False``, a CA bundle file or directory, or a ready ``ssl.SSLContext``.
VerifyTypes: TypeAlias = bool | str | os.PathLike[str] | ssl.SSLContext

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


def ssl_config(verify_ssl: VerifyTypes) -> ssl.SSLContext | bool:
    """Return what httpx's ``verify=`` takes for ``verify_ssl``, the CA bundle loaded."""
    if isinstance(verify_ssl, ssl.SSLContext):
        return verify_ssl
    if verify_ssl is True:
        # Built once: loading the CA store costs milliseconds, and a rebuilt
        # transport reuses it.
        return httpx.create_ssl_context()
    if verify_ssl is False:
        return False
    if isinstance(verify_ssl, (str, os.PathLike)):
        path = os.fspath(verify_ssl)
        if os.path.isdir(path):
            return ssl.create_default_context(capath=path)
        if os.path.isfile(path):
            return ssl.create_default_context(cafile=path)
        raise ValueError(f"verify_ssl names no CA bundle file or directory: {path!r}")
    raise TypeError(
        "verify_ssl must be True, False, a CA bundle path or an ssl.SSLContext, "
        f"not {type(verify_ssl).__name__}"
    )


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


class _Pool:
    """One httpx.AsyncClient, and how many of our requests it is serving."""

    __slots__ = ("client", "in_flight", "suspect", "transport")

    def __init__(self, client: httpx.AsyncClient, transport: httpx.AsyncHTTPTransport) -> None:
        self.client = client
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


class Connections:
    """A client's connections: the gate, the current httpx pool, and pools being retired.

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
    ) -> None:
        self._origin = origin
        self._timeout = timeout
        self._http2 = http2
        self._max_response_bytes = max_response_bytes
        # Built once: every pool reuses these objects.
        self._headers = headers
        self._httpx_timeout = httpx.Timeout(timeout)
        self._limits = httpx.Limits(
            max_connections=max_connections,
            max_keepalive_connections=max_keepalive_connections,
        )
        self._ssl = ssl_config(verify_ssl)
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

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` has been called."""
        return self._closed

    def build_request(
        self, method: str, url: str, *, content: bytes | None, headers: Mapping[str, str] | None
    ) -> httpx.Request:
        """Build a request with the pool's headers and cookies, to send with :meth:`attempt`."""
        return self._pool.client.build_request(method, url, content=content, headers=headers)

    async def aclose(self) -> None:
        """Close every pool; any later attempt raises ``RuntimeError``."""
        if self._closed:
            return
        self._closed = True
        pools = [self._pool, *self._retired]
        self._retired.clear()
        for pool in pools:
            await pool.client.aclose()
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
        pool = self._pool
        if pool.suspect:
            pool = self._check_pool(pool)
        pool.in_flight += 1
        completed = False
        # httpx's connect timeout ends just before the attempt's limit, so
        # a connection that cannot be made raises ConnectTimeout (the
        # request never left: any method may be retried), not our deadline.
        now = asyncio.get_running_loop().time()
        limit = min(self._timeout, call.ends - now)
        request.extensions["timeout"] = {
            "connect": limit * CONNECT_SHARE,
            "read": self._timeout,
            "write": self._timeout,
            "pool": self._timeout,
        }
        try:
            # The timer covers connect, send and the whole body, which httpx's
            # timeouts (each one socket operation) do not: a server trickling a
            # byte at a time would otherwise hold us forever. It ends at the
            # attempt's timeout or the call's deadline, whichever comes first.
            async with _deadline_at(now + limit):
                # Straight to the transport: redirects, retries, auth and the
                # deadline are this client's own, so httpx.AsyncClient.send's
                # auth flow, redirect loop and hooks would be pure cost.
                response = await pool.transport.handle_async_request(request)
                response.request = request
                if "set-cookie" in response.headers:
                    pool.client.cookies.extract_cookies(response)
                try:
                    exchange = await self._read(response, call=call, follow=follow)
                finally:
                    # Always release the connection, also for answers we
                    # discard (a retried 503, a redirect).
                    await response.aclose()
            completed = True
            return exchange
        finally:
            pool.in_flight -= 1
            if pool is not self._pool:
                if pool.in_flight == 0 and pool in self._retired:
                    self._close_retired(pool)  # the last request on a retired pool
            elif not completed:
                # Cancelled, timed out or failed: the moment httpcore may
                # have left a connection behind (see _check_pool).
                self._check_pool(pool)

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

    def _new_pool(self, cookies: httpx.Cookies | None = None) -> _Pool:
        transport = httpx.AsyncHTTPTransport(
            verify=self._ssl,
            http2=self._http2,
            limits=self._limits,
            retries=0,  # retries are our policy, not the transport's
        )
        client = httpx.AsyncClient(
            headers=self._headers,
            cookies=cookies,
            timeout=self._httpx_timeout,
            follow_redirects=False,  # the client's request() follows them, origin checked
            transport=transport,
            verify=self._ssl,
            http2=self._http2,
            limits=self._limits,
        )
        return _Pool(client, transport)

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
        self._pool = self._new_pool(cookies=pool.client.cookies)
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
        task = asyncio.get_running_loop().create_task(pool.client.aclose())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)
