"""AsyncServiceClient: the policy over httpx.

httpx sends one request and hands back one response; this module decides
everything around it: which URL (joined below ``base_url``, never another
origin), whether to go again (the retry policy), where to go next (redirects
within the origin, for reads only), and what the answer means (JSON under a
size cap, or one of our exceptions; read in ``_response``). Each attempt goes
through ``_pool``: how many at once (a semaphore of ``max_connections``), how
long (a deadline over each whole attempt), and the httpx pool, rebuilt if it
wedges. One call's attempts, waits and redirects share a ``_call.Call``: the
deadline over all of them, and the decisions to retry.
"""

from __future__ import annotations

import asyncio
import builtins
import uuid
from collections.abc import Mapping, Sequence
from json import dumps as _json_dumps
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, TypeAlias

import httpx

from django_api_orm.exceptions import HTTPStatusError, ServerError, TransportError
from django_api_orm.signals import request_finished

from ._budget import DEFAULT_RETRY_BUDGET, RetryBudget
from ._call import READ_METHODS, Call, log_retry, redirect_target
from ._errors import (
    TRANSPORT_ERRORS,
    BudgetTimeoutError,
    deadline_error,
    status_error,
    transport_error,
)
from ._headers import default_headers
from ._log import install_log_filters, logger, register_secrets
from ._options import check_options, default_deadline
from ._pool import (
    CLOSED_MESSAGE,
    REDIRECT_STATUSES,
    CertTypes,
    Connections,
    ProxyTypes,
    TransportTypes,
    VerifyTypes,
)
from ._response import APIResponse, error_body, to_response
from ._retry import IDEMPOTENT_METHODS, RetryPolicy
from ._secrets import secret_values
from ._urls import (
    Origin,
    add_query,
    join_url,
    normalise_base_url,
    origin_of,
    redact_url,
    strip_credentials,
)

if TYPE_CHECKING:
    from django_api_orm.shared.guard import CircuitBreaker, RateLimiter

__all__ = [
    "AsyncServiceClient",
    "CertTypes",
    "ProxyTypes",
    "QueryParams",
    "TransportTypes",
    "VerifyTypes",
]

#: Query parameters: a mapping, or (key, value) pairs sent in their order.
QueryParams: TypeAlias = Mapping[str, Any] | Sequence[tuple[str, Any]]

_JSON_HEADERS: Final = {"Content-Type": "application/json"}


def _dumps(data: Any) -> bytes:
    # The same encoding httpx uses for json=, done once per call rather than
    # once per attempt; NaN and Infinity are not JSON and raise here.
    return _json_dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


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
        timeout; connecting may take 90% of it (see *Retries*).
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
        except ``Authorization`` when ``auth_token`` is given. An illegal one
        raises ``ValueError``; values that may be credentials are hidden like the token.
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
    deadline : float or None
        Seconds one call may take in all: every attempt, backoff, server-asked
        wait and redirect (default: None, meaning ``3 * timeout`` plus the
        backoff schedule, 97 s with the defaults). See *Deadline* below.
    retry_budget : int or None
        Tokens in the client's retry budget (default: 500); ``None`` rations
        no retries, ``0`` makes none. See *Retries* below.
    rate_limiter : django_api_orm.shared.RateLimiter or None
        Every attempt waits for its slot of this budget, which every process of
        the site shares (``RATE_LIMIT``); a ``Retry-After`` moves it for all of
        them (default: None).
    circuit_breaker : django_api_orm.shared.CircuitBreaker or None
        Counts the calls that end in a transport error or a 5xx; while it is open,
        calls raise :class:`~django_api_orm.exceptions.ServiceUnavailableError`
        without sending (``CIRCUIT_BREAKER``; default: None).
    proxy : str or httpx.Proxy or None
        Send every request through this proxy (``http://``, ``https://`` or
        ``socks5://``; an ``httpx.Proxy`` for proxy headers or TLS); it wins
        over the environment (default: None).
    trust_env : bool
        Read ``HTTPS_PROXY``/``HTTP_PROXY``/``ALL_PROXY`` and ``NO_PROXY`` for
        the base URL's origin, and ``SSL_CERT_FILE``/``SSL_CERT_DIR`` when
        ``verify_ssl`` is True, as httpx does (default: True).
    cert : str or os.PathLike or tuple or None
        A client certificate for mutual TLS: a PEM file holding the certificate
        and its key, ``(certfile, keyfile)`` or ``(certfile, keyfile,
        password)`` (default: None).
    auth : httpx.Auth or None
        An httpx authentication flow, run for every attempt instead of
        ``auth_token``: it sets its own headers, and may answer a 401 by
        sending the request once more (to refresh a token, say; default: None).
    transport : httpx.AsyncBaseTransport or callable or None
        A transport that replaces the network (every request goes to it,
        through the whole client: retries, errors, redirects), or a callable
        that is given the default transport once and returns the transport to
        use, usually a wrapper around it. The default transport stays for the
        client's life while the connection pool beneath it is rebuilt, so a
        wrapper never loses it (default: None).
    alias : str or None
        The service alias the client serves: the sender of
        :data:`~django_api_orm.signals.request_finished`; ``services`` sets it
        (default: None).

    Notes
    -----
    **Retries.** GET, HEAD, PUT, DELETE and OPTIONS are retried on connection
    errors, timeouts and the statuses 408, 429, 500, 502, 503 and 504, after
    an exponential backoff from ``retry_delay`` or the wait the server asks
    for: ``retry-after-ms`` (milliseconds), else ``Retry-After`` (seconds or
    an HTTP date). A wait over 60 seconds raises at once, with
    ``retry_after`` on the exception. ``x-should-retry: true`` makes any
    4xx or 5xx retryable, ``false`` stops even a 503. POST and PATCH are retried
    only when the connection could not be made (a connect error, or a
    connect timeout: connecting may take 90% of an attempt's limit, so that
    it is told apart from a read timeout), or when ``idempotency_header`` is
    set. Errors that would repeat are never retried: a certificate that fails
    verification, a TLS handshake that cannot agree, a malformed answer or a
    header block over 100 KiB. Retries spend the client's budget, a token
    bucket: 5 tokens per retry after a status, 10 after a timeout or
    connection error; a call that succeeds gives back what its retries took,
    or 1. When a retry would overspend it, or should not be made, the error
    raised says ``not retried`` and why.

    **Deadline.** Each attempt is limited to ``timeout`` or what is left of
    the call's ``deadline``, whichever is less. A wait that would end past
    the deadline is not started: the error at hand is raised at once. When
    the deadline passes during an attempt,
    :class:`~django_api_orm.exceptions.TimeoutError` names it and the
    attempts made.

    **Watching.** Each logical request (after its retries) sends
    :data:`django_api_orm.signals.request_finished`, and a DEBUG line on the
    ``django_api_orm.client`` logger with the time it took. Every attempt goes
    through :attr:`httpx_client`'s transport, and through
    ``httpx.AsyncClient.send`` whenever anything hooks it (an ``auth`` flow,
    an integration that patches it, httpx's own INFO log line): Sentry's and
    OpenTelemetry's httpx integrations see every attempt.

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
        deadline: float | None = None,
        retry_budget: int | None = DEFAULT_RETRY_BUDGET,
        rate_limiter: RateLimiter | None = None,
        circuit_breaker: CircuitBreaker | None = None,
        proxy: ProxyTypes | None = None,
        trust_env: bool = True,
        cert: CertTypes | None = None,
        auth: httpx.Auth | None = None,
        transport: TransportTypes | None = None,
        alias: str | None = None,
    ) -> None:
        """Initialize the async service client; the parameters are described on the class."""
        self._base_url = normalise_base_url(base_url)
        origin = origin_of(self._base_url)
        assert origin is not None  # normalise_base_url checked it
        self._origin: Origin = origin
        check_options(
            timeout=timeout,
            max_retries=max_retries,
            retry_delay=retry_delay,
            max_connections=max_connections,
            max_keepalive_connections=max_keepalive_connections,
            max_response_bytes=max_response_bytes,
            deadline=deadline,
            retry_budget=retry_budget,
        )
        self._timeout = float(timeout)
        self._http2 = bool(http2)
        self._follow_redirects = bool(follow_redirects)
        self._max_retries = max_retries
        self._max_connections = max_connections
        self._max_response_bytes = max_response_bytes
        self._retry = RetryPolicy(max_retries=max_retries, retry_delay=float(retry_delay))
        self._idempotency_header = idempotency_header or None
        self._deadline_given = float(deadline) if deadline else None
        self._deadline = self._deadline_given or default_deadline(self._timeout, self._retry)
        self._alias = alias
        self._budget = RetryBudget(retry_budget) if retry_budget is not None else None
        self._rate_limiter = rate_limiter
        self._breaker = circuit_breaker

        if auth is not None and auth_token:
            raise ValueError(
                "give auth_token or auth, not both: an httpx.Auth sets the Authorization "
                "header itself"
            )
        # Built once: every request reuses these objects.
        common_headers = default_headers(headers, auth_token=auth_token, auth_scheme=auth_scheme)
        # The token and the header values that may be credentials (see _secrets).
        self._secrets: tuple[str, ...] = secret_values(auth_token, headers)
        self._auth_scheme = auth_scheme if auth_token else None
        self._connections = Connections(
            origin=self._origin,
            headers=common_headers,
            timeout=self._timeout,
            verify_ssl=verify_ssl,
            http2=self._http2,
            max_connections=max_connections,
            max_keepalive_connections=max_keepalive_connections,
            max_response_bytes=max_response_bytes,
            cert=cert,
            proxy=proxy,
            trust_env=trust_env,
            auth=auth,
            transport=transport,
        )
        install_log_filters()
        register_secrets(self._secrets)

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
    def timeout(self) -> float:
        """Seconds one attempt may take."""
        return self._timeout

    @property
    def alias(self) -> str | None:
        """The service alias this client serves (``request_finished``'s sender), or ``None``."""
        return self._alias

    @property
    def httpx_client(self) -> httpx.AsyncClient:
        """The ``httpx.AsyncClient`` every request goes through, for the client's whole life.

        For instrumentation that attaches to a client, such as OpenTelemetry's
        ``HTTPXClientInstrumentor.instrument_client()``: its transport stays
        in place when the connection pool beneath is rebuilt. Send requests
        through this client's methods, not through it.
        """
        return self._connections.client

    @property
    def is_closed(self) -> bool:
        """Whether :meth:`close` has been called."""
        return self._connections.closed

    def __repr__(self) -> str:
        auth = f", auth_scheme={self._auth_scheme!r}" if self._auth_scheme else ""
        return (
            f"<{type(self).__name__} base_url={strip_credentials(self._base_url)!r}, "
            f"http2={self._http2}, timeout={self._timeout:g}, deadline={self._deadline:g}, "
            f"max_retries={self._max_retries}, "
            f"max_connections={self._max_connections}{auth}"
            f"{', closed' if self._connections.closed else ''}>"
        )

    # -- lifecycle ----------------------------------------------------------

    async def __aenter__(self) -> AsyncServiceClient:
        """Return the client; ``async with`` closes it on exit."""
        if self._connections.closed:
            raise RuntimeError(CLOSED_MESSAGE)
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
        await self._connections.aclose()

    # -- the verbs --------------------------------------------------------

    async def get(
        self,
        endpoint: str,
        params: QueryParams | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> APIResponse:
        """Send a GET request.

        Parameters
        ----------
        endpoint : str
            Path below ``base_url`` (a leading ``/`` is allowed), or an
            absolute URL on the same origin.
        params : Mapping[str, Any] or Sequence[tuple[str, Any]] or None
            Query parameters; pairs are sent in their order.
        headers, timeout
            As :meth:`request` takes them.

        Returns
        -------
        APIResponse
            The parsed JSON body, status code and headers.
        """
        return await self.request("GET", endpoint, params=params, headers=headers, timeout=timeout)

    async def post(
        self,
        endpoint: str,
        data: Any = None,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> APIResponse:
        """Send a POST request with ``data`` as its JSON body.

        Parameters
        ----------
        endpoint : str
            Path below ``base_url``, or an absolute URL on the same origin.
        data : dict[str, Any] or list or None
            The body, sent as JSON; ``None`` sends no body.
        headers, timeout
            As :meth:`request` takes them.

        Returns
        -------
        APIResponse
            The parsed JSON body, status code and headers.
        """
        return await self.request("POST", endpoint, json=data, headers=headers, timeout=timeout)

    async def put(
        self,
        endpoint: str,
        data: Any = None,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> APIResponse:
        """Send a PUT request with ``data`` as its JSON body.

        Parameters
        ----------
        endpoint : str
            Path below ``base_url``, or an absolute URL on the same origin.
        data : dict[str, Any] or list or None
            The body, sent as JSON; ``None`` sends no body.
        headers, timeout
            As :meth:`request` takes them.

        Returns
        -------
        APIResponse
            The parsed JSON body, status code and headers.
        """
        return await self.request("PUT", endpoint, json=data, headers=headers, timeout=timeout)

    async def patch(
        self,
        endpoint: str,
        data: Any = None,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> APIResponse:
        """Send a PATCH request with ``data`` as its JSON body.

        Parameters
        ----------
        endpoint : str
            Path below ``base_url``, or an absolute URL on the same origin.
        data : dict[str, Any] or list or None
            The body, sent as JSON; ``None`` sends no body.
        headers, timeout
            As :meth:`request` takes them.

        Returns
        -------
        APIResponse
            The parsed JSON body, status code and headers.
        """
        return await self.request("PATCH", endpoint, json=data, headers=headers, timeout=timeout)

    async def delete(
        self,
        endpoint: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> APIResponse:
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
        return await self.request("DELETE", endpoint, headers=headers, timeout=timeout)

    async def request(
        self,
        method: str,
        endpoint: str,
        *,
        params: QueryParams | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
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
        headers : Mapping[str, str] or None
            Headers of this call only, over the client's. When they hold
            ``If-None-Match`` or ``If-Modified-Since``, a 304 answer is returned
            (``data`` is ``None``) rather than raised.
        timeout : float or None
            Seconds each attempt of this call may take, in place of the client's
            ``timeout``; unless the client was given a ``deadline``, the call's
            deadline follows it (three attempts and the backoff schedule).

        Returns
        -------
        APIResponse
            ``data`` is the parsed JSON body, ``None`` for 204, 304 or an empty body.

        Raises
        ------
        HTTPStatusError
            Or a subclass, for a non-2xx answer after retries.
        InvalidResponseError
            For a 2xx body that is not JSON, or is over ``max_response_bytes``.
        ConnectionError, TimeoutError
            When no answer came after retries, or within the ``deadline``.
        ServiceUnavailableError
            Before sending, while the ``circuit_breaker`` is open.
        """
        if self._connections.closed:
            raise RuntimeError(CLOSED_MESSAGE)
        method = method.upper()
        url = join_url(self._base_url, self._origin, endpoint)
        if params:
            url = add_query(url, params)
        call = self._call(method, timeout)
        if not request_finished.receivers:
            if self._breaker is None:  # the plain path: no frame more than needed
                return await self._send(method, url, json, headers, call)
            return await self._guarded(method, url, json, headers, call)
        try:
            response = await self._guarded(method, url, json, headers, call)
        except Exception as error:
            status = error.status_code if isinstance(error, HTTPStatusError) else None
            await self._finished(method, url, call, status, error)
            raise
        await self._finished(method, url, call, response.status_code, None)
        return response

    def _call(self, method: str, timeout: float | None) -> Call:
        if timeout is None:
            timeout, deadline = self._timeout, self._deadline
        else:
            if (
                isinstance(timeout, bool)
                or not isinstance(timeout, int | float)
                or not (0 < timeout < float("inf"))
            ):
                raise ValueError(f"timeout must be a number of seconds > 0, got {timeout!r}")
            timeout = float(timeout)
            deadline = self._deadline_given or default_deadline(timeout, self._retry)
        return Call(
            method=method,
            replayable=method in IDEMPOTENT_METHODS,
            policy=self._retry,
            budget=self._budget,
            timeout=timeout,
            deadline=deadline,
        )

    async def _finished(
        self, method: str, url: str, call: Call, status: int | None, error: Exception | None
    ) -> None:
        """Send ``request_finished`` for one logical request; a receiver's error is logged."""
        results = await request_finished.asend_robust(
            sender=self._alias,
            method=method,
            url=redact_url(url),
            status_code=status,
            elapsed=call.elapsed(),
            attempts=call.attempts,
            exception=error,
        )
        for receiver, result in results:
            if isinstance(result, Exception):
                logger.error(
                    "request_finished receiver %r raised %s",
                    receiver,
                    type(result).__name__,
                    exc_info=result,
                )

    async def _guarded(
        self, method: str, url: str, json: Any, headers: Mapping[str, str] | None, call: Call
    ) -> APIResponse:
        """Send through the circuit breaker, when the client has one."""
        breaker = self._breaker
        if breaker is None:
            return await self._send(method, url, json, headers, call)
        trial = await breaker.before(method, strip_credentials(url))
        try:
            response = await self._send(method, url, json, headers, call)
        except BudgetTimeoutError:
            if trial:
                await breaker.abandon_trial()  # nothing was sent: the next call is the trial
            raise
        except asyncio.CancelledError:
            if trial:
                await breaker.abandon_trial()  # no answer came to decide on
            raise
        except (TransportError, ServerError):
            await breaker.failed()
            raise
        except HTTPStatusError:
            await breaker.succeeded(trial=trial)  # the provider answered
            raise
        await breaker.succeeded(trial=trial)
        return response

    async def _send(
        self,
        method: str,
        url: str,
        json: Any,
        call_headers: Mapping[str, str] | None,
        call: Call,
    ) -> APIResponse:
        content = None if json is None else _dumps(json)
        headers: Mapping[str, str] | None = None if content is None else _JSON_HEADERS
        conditional = False
        if call_headers:
            headers = {**(headers or {}), **call_headers}
            conditional = any(
                name.lower() in ("if-none-match", "if-modified-since") for name in call_headers
            )
        if not call.replayable and self._idempotency_header is not None:
            key = str(uuid.uuid4())
            headers = {**(headers or {}), self._idempotency_header: key}
            call.replayable = True
        follow = self._follow_redirects and method in READ_METHODS
        hops = 0
        while True:
            # Built once per URL: a retry resends the same request, with the
            # same body and the same idempotency key.
            request = self._connections.build_request(method, url, content=content, headers=headers)
            while True:
                if self._rate_limiter is not None:
                    # Outside the try: a slot past the deadline raises, not retried.
                    await self._rate_limiter.acquire(
                        call.remaining(), method=method, url=strip_credentials(url)
                    )
                try:
                    if call.expired():
                        raise builtins.TimeoutError  # before a redirect or a retry
                    call.attempts += 1
                    exchange = await self._connections.attempt(request, call=call, follow=follow)
                except TRANSPORT_ERRORS as error:
                    timed_out = isinstance(error, (httpx.TimeoutException, builtins.TimeoutError))
                    if timed_out and call.expired():
                        raise deadline_error(
                            method=method,
                            url=str(request.url),
                            deadline=call.deadline,
                            attempts=call.attempts,
                            timeout=call.timeout,
                            secrets=self._secrets,
                        ) from error
                    wait, not_retried = call.error_wait(error)
                    if wait is not None:
                        log_retry(request, type(error).__name__, wait)
                        await asyncio.sleep(wait)
                        continue
                    raise transport_error(
                        error,
                        method=method,
                        url=str(request.url),
                        attempts=call.retry + 1,
                        timeout=call.timeout,
                        not_retried=not_retried,
                        secrets=self._secrets,
                    ) from error
                if exchange.retry_after is not None and self._rate_limiter is not None:
                    await self._rate_limiter.block(exchange.retry_after)
                if exchange.wait is not None:
                    log_retry(request, str(exchange.status_code), exchange.wait)
                    await asyncio.sleep(exchange.wait)
                    continue
                break

            status = exchange.status_code
            if 200 <= status < 300:
                call.succeeded()
                return to_response(
                    method,
                    exchange,
                    max_response_bytes=self._max_response_bytes,
                    secrets=self._secrets,
                    elapsed=call.elapsed(),
                )
            if status == 304 and conditional:
                call.succeeded()
                return APIResponse(
                    data=None,
                    status_code=304,
                    headers=exchange.headers,
                    http_version=exchange.http_version,
                    url=strip_credentials(exchange.url),
                )
            if status in REDIRECT_STATUSES:
                url = redirect_target(
                    method=method,
                    url=exchange.url,
                    status_code=status,
                    headers=exchange.headers,
                    origin=self._origin,
                    follow=follow,
                    hops=hops,
                    secrets=self._secrets,
                )
                hops += 1
                continue
            raise status_error(
                method=method,
                url=exchange.url,
                status_code=status,
                headers=exchange.headers,
                body=error_body(exchange),
                retry_after=exchange.retry_after,
                not_retried=exchange.not_retried,
                secrets=self._secrets,
            )
