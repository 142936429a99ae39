"""AsyncServiceClient: the policy over httpx.

httpx sends one request and hands back one response; this module decides
everything around it: which URL (joined below ``base_url``, never another
origin), how many at once (a semaphore of ``max_connections``), how long (a
deadline over each whole attempt), whether to go again (the retry policy),
where to go next (redirects within the origin, for reads only), and what the
answer means (JSON under a size cap, or one of our exceptions).
"""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
import uuid
import zlib
from asyncio import timeout as _deadline
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import metadata
from json import dumps as _json_dumps
from json import loads as _json_loads
from types import TracebackType
from typing import Any, Final, NamedTuple, TypeAlias

import httpx

from ._body import ERROR_BODY_LIMIT, read_body
from ._errors import (
    TRANSPORT_ERRORS,
    invalid_response,
    redirect_error,
    status_error,
    transport_error,
)
from ._log import install_log_filters, logger
from ._response import APIResponse
from ._retry import IDEMPOTENT_METHODS, RetryPolicy, parse_retry_after
from ._urls import (
    Origin,
    add_query,
    join_url,
    normalise_base_url,
    origin_of,
    redact_url,
    resolve_redirect,
    strip_credentials,
)

__all__ = ["AsyncServiceClient", "QueryParams", "VerifyTypes"]

#: Query parameters: a mapping, or (key, value) pairs sent in their order.
QueryParams: TypeAlias = Mapping[str, Any] | Sequence[tuple[str, Any]]
#: ``True``/``False``, a CA bundle file or directory, or a ready ``ssl.SSLContext``.
VerifyTypes: TypeAlias = bool | str | os.PathLike[str] | ssl.SSLContext

_READ_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
_REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})
_MAX_REDIRECTS: Final = 10
_JSON_HEADERS: Final = {"Content-Type": "application/json"}
_ERROR_TEXT_LIMIT: Final = 2000  # characters of a non-JSON error body kept on the exception
_CLOSED_MESSAGE: Final = (
    "this AsyncServiceClient has been closed and cannot be reused; create a new one"
)


@cache
def _user_agent() -> str:
    try:
        version = metadata.version("django-api-orm")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        version = "0"
    return f"django-api-orm/{version} httpx/{httpx.__version__}"


def _dumps(data: Any) -> bytes:
    # The same encoding httpx uses for json=, done once per call rather than
    # once per attempt; NaN and Infinity are not JSON and raise here.
    return _json_dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def _check_header_value(name: str, value: str) -> None:
    # h11 echoes an illegal header value in its error message; refuse it here,
    # without quoting it, so a malformed token never reaches a message.
    if not value.isascii() or not value.isprintable() or value != value.strip():
        raise ValueError(
            f"{name} must be printable ASCII without surrounding whitespace "
            f"(the value is not shown: it may be a secret)"
        )


def _ssl_config(verify_ssl: VerifyTypes) -> ssl.SSLContext | bool:
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


class _Exchange(NamedTuple):
    """One attempt's answer, its connection already released."""

    status_code: int
    headers: httpx.Headers
    http_version: str
    url: str
    body: bytes
    complete: bool  # False: the body was longer than the limit it was read with
    retry_after: float | None
    wait: float | None  # set: retry after this many seconds; the body was not read
    undecodable: str | None  # why the Content-Encoding could not be decoded


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


class AsyncServiceClient:
    """Asynchronous client for one REST API, over httpx.

    Every request goes to a URL below ``base_url``, carries the auth header and
    ``Accept: application/json``, and returns an :class:`APIResponse` with the
    parsed JSON body, or raises an exception from
    :mod:`django_api_orm.exceptions`. Connections are pooled; up to
    ``max_connections`` requests run at once and the rest wait their turn.

    Parameters
    ----------
    base_url : str
        Base URL of the API, e.g. ``"https://catalog.internal/api/"``. Endpoints
        are joined below its path; a ``/`` is added at the end if missing.
    auth_token : str or None
        Token sent as ``Authorization: {auth_scheme} {auth_token}``; ``None``
        (or ``""``) sends no ``Authorization`` header. Never shown in a
        message, a ``repr`` or a log line.
    timeout : float
        Seconds one attempt may take as a whole: connecting, sending and
        reading the entire body (default: 30.0). Also httpx's per-operation
        timeout.
    verify_ssl : bool or str or os.PathLike or ssl.SSLContext
        ``True`` verifies certificates against the default CA store, ``False``
        does not verify, a path names a CA bundle file (or directory) to
        trust, and an ``ssl.SSLContext`` is used as it is (default: True).
    follow_redirects : bool
        Follow redirects of GET, HEAD and OPTIONS requests, within
        ``base_url``'s origin only, up to 10 hops (default: True). Writes
        never follow redirects.
    max_retries : int
        Retries after the first attempt, so at most ``1 + max_retries``
        attempts (default: 3). See *Retries* below.
    http2 : bool
        Offer HTTP/2 (ALPN ``h2``) and use it where the server agrees
        (default: False).
    retry_delay : float
        The first backoff in seconds; it doubles for each retry, with jitter
        (default: 1.0). A server's ``Retry-After`` takes precedence.
    max_connections : int
        The most requests in flight at once, and the size of the connection
        pool (default: 100).
    max_keepalive_connections : int
        The most idle connections kept open for reuse (default: 20).
    headers : Mapping[str, str] or None
        Extra headers sent with every request; they override the defaults
        except ``Authorization`` when ``auth_token`` is given.
    auth_scheme : str
        The scheme before the token: ``"Bearer"`` (default) or ``"Token"`` for
        Django REST framework's TokenAuthentication.
    idempotency_header : str or None
        A header name, e.g. ``"Idempotency-Key"``, for providers that honour
        one: POST and PATCH then carry a fresh UUID4 per call, the same on
        every attempt, and are retried like idempotent requests (default:
        None, no header, no such retries).
    max_response_bytes : int
        The largest body accepted, counted after decompression and enforced
        while decompressing (default: 50 MiB). A larger 2xx body raises
        :class:`~django_api_orm.exceptions.InvalidResponseError`.

    Notes
    -----
    **Retries.** GET, HEAD, PUT, DELETE and OPTIONS are retried on connection
    errors, timeouts and the statuses 408, 429, 500, 502, 503 and 504, after
    an exponential backoff from ``retry_delay`` or the server's
    ``Retry-After`` (seconds or an HTTP date). A ``Retry-After`` over 60
    seconds raises at once, with ``retry_after`` on the exception. POST and
    PATCH are retried only when the connection could not be made (the request
    never left), or when ``idempotency_header`` is set.

    **Event loops.** A client belongs to the event loop it is first used on;
    ``django_api_orm.services`` keeps one per loop. A closed client cannot be
    used again.

    Examples
    --------
    >>> async with AsyncServiceClient(base_url="https://api.example.com") as client:
    ...     response = await client.get("/api/v1/users/")
    ...     print(response.data)
    """

    def __init__(
        self,
        base_url: str,
        auth_token: str | None = None,
        timeout: float = 30.0,
        verify_ssl: VerifyTypes = True,
        follow_redirects: bool = True,
        max_retries: int = 3,
        http2: bool = False,
        *,
        retry_delay: float = 1.0,
        max_connections: int = 100,
        max_keepalive_connections: int = 20,
        headers: Mapping[str, str] | None = None,
        auth_scheme: str = "Bearer",
        idempotency_header: str | None = None,
        max_response_bytes: int = 50 * 2**20,
    ) -> None:
        self._base_url = normalise_base_url(base_url)
        origin = origin_of(self._base_url)
        assert origin is not None  # normalise_base_url checked it
        self._origin: Origin = origin
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
            raise ValueError(f"timeout must be a number of seconds > 0, got {timeout!r}")
        if not isinstance(max_retries, int) or max_retries < 0:
            raise ValueError(f"max_retries must be an int >= 0, got {max_retries!r}")
        if not isinstance(retry_delay, (int, float)) or retry_delay < 0:
            raise ValueError(f"retry_delay must be a number of seconds >= 0, got {retry_delay!r}")
        if not isinstance(max_connections, int) or max_connections < 1:
            raise ValueError(f"max_connections must be an int >= 1, got {max_connections!r}")
        if not isinstance(max_keepalive_connections, int) or max_keepalive_connections < 0:
            raise ValueError(
                f"max_keepalive_connections must be an int >= 0, got {max_keepalive_connections!r}"
            )
        if not isinstance(max_response_bytes, int) or max_response_bytes < 1:
            raise ValueError(f"max_response_bytes must be an int >= 1, got {max_response_bytes!r}")
        self._timeout = float(timeout)
        self._http2 = bool(http2)
        self._follow_redirects = bool(follow_redirects)
        self._max_retries = max_retries
        self._max_connections = max_connections
        self._max_response_bytes = max_response_bytes
        self._retry = RetryPolicy(max_retries=max_retries, retry_delay=float(retry_delay))
        self._idempotency_header = idempotency_header or None

        # Built once: every request reuses these objects.
        default_headers = httpx.Headers(
            {
                "Accept": "application/json",
                # Only what _body.read_body inflates under the size cap.
                "Accept-Encoding": "gzip, deflate",
                "User-Agent": _user_agent(),
            }
        )
        if headers:
            default_headers.update(headers)
        self._secrets: tuple[str, ...] = ()
        if auth_token:
            _check_header_value("auth_token", auth_token)
            _check_header_value("auth_scheme", auth_scheme)
            default_headers["Authorization"] = f"{auth_scheme} {auth_token}"
            self._secrets = (auth_token,)
        self._auth_scheme = auth_scheme if auth_token else None
        self._headers = default_headers
        self._httpx_timeout = httpx.Timeout(self._timeout)
        self._limits = httpx.Limits(
            max_connections=max_connections,
            max_keepalive_connections=max_keepalive_connections,
        )
        self._ssl = _ssl_config(verify_ssl)

        # Our own gate in front of httpx's pool: waiting here is cheap and
        # fair, while many requests waiting inside httpx's pool degrade it into
        # PoolTimeout storms. asyncio primitives bind to the running loop on
        # first use, so building it outside a loop is fine.
        self._semaphore = asyncio.Semaphore(max_connections)
        self._pool = self._new_pool()
        self._retired: set[_Pool] = set()
        self._closing: set[asyncio.Task[None]] = set()
        self._closed = False
        install_log_filters()

    # -- properties -------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The base URL, ending with ``/``; endpoints are joined below it."""
        return self._base_url

    @property
    def origin(self) -> str:
        """The base URL's origin, ``scheme://host[:port]``, the only one requests go to."""
        return str(self._origin)

    @property
    def is_closed(self) -> bool:
        """Whether :meth:`close` has been called."""
        return self._closed

    def __repr__(self) -> str:
        auth = f", auth_scheme={self._auth_scheme!r}" if self._auth_scheme else ""
        return (
            f"<{type(self).__name__} base_url={strip_credentials(self._base_url)!r}, "
            f"http2={self._http2}, timeout={self._timeout:g}, max_retries={self._max_retries}, "
            f"max_connections={self._max_connections}{auth}"
            f"{', closed' if self._closed else ''}>"
        )

    # -- lifecycle ----------------------------------------------------------

    async def __aenter__(self) -> AsyncServiceClient:
        """Return the client; ``async with`` closes it on exit."""
        if self._closed:
            raise RuntimeError(_CLOSED_MESSAGE)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        """Close the client."""
        await self.close()

    async def close(self) -> None:
        """Close the client and its connections; any later request raises ``RuntimeError``."""
        if self._closed:
            return
        self._closed = True
        pools = [self._pool, *self._retired]
        self._retired.clear()
        for pool in pools:
            await pool.client.aclose()
        if self._closing:
            await asyncio.gather(*self._closing)

    # -- the verbs --------------------------------------------------------

    async def get(self, endpoint: str, params: QueryParams | None = None) -> APIResponse:
        """Send a GET request.

        Parameters
        ----------
        endpoint : str
            Path below ``base_url`` (a leading ``/`` is allowed), or an
            absolute URL on the same origin.
        params : Mapping[str, Any] or Sequence[tuple[str, Any]] or None
            Query parameters; pairs are sent in their order.

        Returns
        -------
        APIResponse
            The parsed JSON body, status code and headers.
        """
        return await self.request("GET", endpoint, params=params)

    async def post(self, endpoint: str, data: Any = None) -> APIResponse:
        """Send a POST request with ``data`` as its JSON body.

        Parameters
        ----------
        endpoint : str
            Path below ``base_url``, or an absolute URL on the same origin.
        data : dict[str, Any] or list or None
            The body, sent as JSON; ``None`` sends no body.

        Returns
        -------
        APIResponse
            The parsed JSON body, status code and headers.
        """
        return await self.request("POST", endpoint, json=data)

    async def put(self, endpoint: str, data: Any = None) -> APIResponse:
        """Send a PUT request with ``data`` as its JSON body.

        Parameters
        ----------
        endpoint : str
            Path below ``base_url``, or an absolute URL on the same origin.
        data : dict[str, Any] or list or None
            The body, sent as JSON; ``None`` sends no body.

        Returns
        -------
        APIResponse
            The parsed JSON body, status code and headers.
        """
        return await self.request("PUT", endpoint, json=data)

    async def patch(self, endpoint: str, data: Any = None) -> APIResponse:
        """Send a PATCH request with ``data`` as its JSON body.

        Parameters
        ----------
        endpoint : str
            Path below ``base_url``, or an absolute URL on the same origin.
        data : dict[str, Any] or list or None
            The body, sent as JSON; ``None`` sends no body.

        Returns
        -------
        APIResponse
            The parsed JSON body, status code and headers.
        """
        return await self.request("PATCH", endpoint, json=data)

    async def delete(self, endpoint: str) -> APIResponse:
        """Send a DELETE request.

        Parameters
        ----------
        endpoint : str
            Path below ``base_url``, or an absolute URL on the same origin.

        Returns
        -------
        APIResponse
            The parsed JSON body (``None`` for the usual 204), status code and headers.
        """
        return await self.request("DELETE", endpoint)

    async def request(
        self,
        method: str,
        endpoint: str,
        *,
        params: QueryParams | None = None,
        json: Any = None,
    ) -> APIResponse:
        """Send one request, with retries and redirects, and return its parsed answer.

        Parameters
        ----------
        method : str
            The HTTP method, e.g. ``"GET"``; case does not matter.
        endpoint : str
            Path below ``base_url`` (a leading ``/`` is allowed), or an
            absolute URL on the same origin; any other origin raises
            ``ValueError`` before anything is sent.
        params : Mapping[str, Any] or Sequence[tuple[str, Any]] or None
            Query parameters, appended to any query string in ``endpoint``;
            pairs are sent in their order, a list value repeats its key, and
            values are spelled as httpx spells them (``True`` is ``true``,
            ``None`` is empty).
        json : Any
            The body, encoded as JSON; ``None`` sends no body.

        Returns
        -------
        APIResponse
            ``data`` is the parsed JSON body, ``None`` for 204 or an empty body.

        Raises
        ------
        HTTPStatusError
            Or a subclass, for a non-2xx answer after retries.
        InvalidResponseError
            For a 2xx body that is not JSON, or is over ``max_response_bytes``.
        ConnectionError, TimeoutError
            When no answer came after retries.
        """
        if self._closed:
            raise RuntimeError(_CLOSED_MESSAGE)
        method = method.upper()
        url = join_url(self._base_url, self._origin, endpoint)
        content = None if json is None else _dumps(json)
        headers: Mapping[str, str] | None = None if content is None else _JSON_HEADERS
        replayable = method in IDEMPOTENT_METHODS
        if not replayable and self._idempotency_header is not None:
            key = str(uuid.uuid4())
            headers = {**(headers or {}), self._idempotency_header: key}
            replayable = True
        if params:
            url = add_query(url, params)
        follow = self._follow_redirects and method in _READ_METHODS

        retry = 0
        hops = 0
        while True:
            # Built once per URL: a retry resends the same request, with the
            # same body and the same idempotency key.
            request = self._pool.client.build_request(method, url, content=content, headers=headers)
            while True:
                try:
                    exchange = await self._attempt(
                        request, retry=retry if replayable else None, follow=follow
                    )
                except TRANSPORT_ERRORS as error:
                    if self._retry.may_retry_error(error, replayable=replayable, retry=retry):
                        wait = self._retry.backoff(retry)
                        self._log_retry(request, type(error).__name__, wait)
                        retry += 1
                        await asyncio.sleep(wait)
                        continue
                    raise transport_error(
                        error,
                        method=method,
                        url=str(request.url),
                        attempts=retry + 1,
                        timeout=self._timeout,
                        secrets=self._secrets,
                    ) from error
                if exchange.wait is not None:
                    self._log_retry(request, str(exchange.status_code), exchange.wait)
                    retry += 1
                    await asyncio.sleep(exchange.wait)
                    continue
                break

            status = exchange.status_code
            if 200 <= status < 300:
                return self._success(method, exchange)
            if status in _REDIRECT_STATUSES:
                url = self._redirect_target(method, exchange, follow=follow, hops=hops)
                hops += 1
                continue
            raise status_error(
                method=method,
                url=exchange.url,
                status_code=status,
                headers=exchange.headers,
                body=_error_body(exchange),
                retry_after=exchange.retry_after,
                secrets=self._secrets,
            )

    # -- one attempt ----------------------------------------------------------

    async def _attempt(
        self, request: httpx.Request, *, retry: int | None, follow: bool
    ) -> _Exchange:
        """Send ``request`` once and read its answer, within one ``timeout``.

        ``retry`` is the number of retries made so far, or ``None`` when a
        transient status must not be retried (a write without an idempotency
        key): it decides whether the body of a 503 is worth reading.
        """
        async with self._semaphore:
            if self._closed:
                raise RuntimeError(_CLOSED_MESSAGE)
            pool = self._pool
            if pool.suspect:
                pool = self._check_pool(pool)
            pool.in_flight += 1
            completed = False
            try:
                # The deadline covers connect, send and the whole body, which
                # httpx's timeouts (each one socket operation) do not: a server
                # trickling a byte at a time would otherwise hold us forever.
                async with _deadline(self._timeout):
                    # Straight to the transport: redirects, retries, auth and the
                    # deadline are this client's own, so httpx.AsyncClient.send's
                    # auth flow, redirect loop and hooks would be pure cost.
                    response = await pool.transport.handle_async_request(request)
                    response.request = request
                    if "set-cookie" in response.headers:
                        pool.client.cookies.extract_cookies(response)
                    try:
                        exchange = await self._read(response, retry=retry, follow=follow)
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

    async def _read(
        self, response: httpx.Response, *, retry: int | None, follow: bool
    ) -> _Exchange:
        status = response.status_code
        headers = response.headers
        retry_after = None
        wait = None
        limit = 0  # 0: do not read the body
        if 200 <= status < 300:
            limit = self._max_response_bytes
        elif not (follow and status in _REDIRECT_STATUSES):
            retry_after = parse_retry_after(headers.get("retry-after"))
            if retry is not None:
                wait = self._retry.status_wait(status, retry_after, retry)
            if wait is None:
                limit = min(self._max_response_bytes, ERROR_BODY_LIMIT)
        body, complete, undecodable = b"", True, None
        if limit:
            try:
                body, complete = await read_body(response, limit)
            except zlib.error as error:
                undecodable = f"{headers.get('content-encoding')}: {error}"
        return _Exchange(
            status_code=status,
            headers=headers,
            http_version=response.http_version,
            url=str(response.url),
            body=body,
            complete=complete,
            retry_after=retry_after,
            wait=wait,
            undecodable=undecodable,
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
            follow_redirects=False,  # followed by request(), checking the origin each hop
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

    # -- answers ----------------------------------------------------------

    def _success(self, method: str, exchange: _Exchange) -> APIResponse:
        if exchange.undecodable is not None:
            raise invalid_response(
                method=method,
                url=exchange.url,
                status_code=exchange.status_code,
                content_type=exchange.headers.get("content-type"),
                reason=f"the body could not be decoded ({exchange.undecodable})",
                secrets=self._secrets,
            )
        if not exchange.complete:
            raise invalid_response(
                method=method,
                url=exchange.url,
                status_code=exchange.status_code,
                content_type=exchange.headers.get("content-type"),
                reason=f"the body is larger than max_response_bytes "
                f"({self._max_response_bytes} bytes)",
                secrets=self._secrets,
            )
        body = exchange.body
        data: Any = None
        if body and not body.isspace() and exchange.status_code != 204:
            try:
                data = _json_loads(body)
            except (ValueError, RecursionError) as error:
                # ValueError: not JSON, cut short, or not UTF-8. RecursionError:
                # nested deeper than the parser can go.
                raise invalid_response(
                    method=method,
                    url=exchange.url,
                    status_code=exchange.status_code,
                    content_type=exchange.headers.get("content-type"),
                    reason=f"the body is not valid JSON ({type(error).__name__}); it starts "
                    f"{body[:80].decode('utf-8', 'replace')!r}",
                    body=_text(body),
                    secrets=self._secrets,
                ) from error
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s -> %d %s",
                method,
                redact_url(exchange.url),
                exchange.status_code,
                exchange.http_version,
            )
        return APIResponse(
            data=data,
            status_code=exchange.status_code,
            headers=exchange.headers,
            http_version=exchange.http_version,
            url=strip_credentials(exchange.url),
        )

    def _redirect_target(self, method: str, exchange: _Exchange, *, follow: bool, hops: int) -> str:
        location = exchange.headers.get("location")
        reason = ""
        if not follow:
            reason = (
                "writes never follow redirects"
                if method not in _READ_METHODS
                else "follow_redirects is off"
            )
        elif not location:
            reason = "there is no Location to follow"
        elif hops >= _MAX_REDIRECTS:
            reason = f"more than {_MAX_REDIRECTS} redirects"
        else:
            target = resolve_redirect(exchange.url, location)
            if origin_of(target) == self._origin:
                return target
            reason = f"redirects are followed only within {self._origin}"
        raise redirect_error(
            method=method,
            url=exchange.url,
            status_code=exchange.status_code,
            headers=exchange.headers,
            location=resolve_redirect(exchange.url, location) if location else None,
            reason=reason,
            secrets=self._secrets,
        )

    def _log_retry(self, request: httpx.Request, why: str, wait: float) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s: %s, retrying in %.2f s",
                request.method,
                redact_url(str(request.url)),
                why,
                wait,
            )


def _text(body: bytes) -> str:
    text = body.decode("utf-8", "replace")
    if len(text) > _ERROR_TEXT_LIMIT:
        text = text[:_ERROR_TEXT_LIMIT] + "…"
    return text


def _error_body(exchange: _Exchange) -> Any:
    """Return a non-2xx body for the exception: parsed JSON if it is JSON, else text."""
    body = exchange.body
    if not body:
        return None
    content_type = exchange.headers.get("content-type", "")
    if exchange.complete and ("json" in content_type or body.lstrip()[:1] in (b"{", b"[")):
        try:
            return _json_loads(body)
        except (ValueError, RecursionError):
            pass
    return _text(body)
