"""The table of ``API_ORM_SERVICES`` keys, and the validation both its readers apply.

``API_ORM_SERVICES`` is a dict of aliases to dicts, like ``DATABASES``. Every key of
a service but ``DIALECT`` and ``PAGINATION`` (which belong to the ORM) is an
``AsyncServiceClient`` keyword, upper-cased. ``SERVICE_KEYS`` and
``PAGINATION_KEYS`` below are the one table of keys and accepted values: the
system checks (``checks.py``) report what ``validate()`` finds, and
``conf.get_config()`` refuses an alias that ``validate_service()`` rejects, so
the two can never disagree.

What is checked about credentials (each header of ``HEADERS``, a credential sent
over plain http) lives in ``conf_credentials``; ``validate_service()`` applies it.

Nothing here reads settings, but ``check_environment``'s look at ``CACHES`` (the
alias ``CACHE``, ``RATE_LIMIT`` and ``CIRCUIT_BREAKER`` keep their state in):
every function is given the value to check.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx
from django.utils.module_loading import import_string

from django_api_orm.conf_credentials import (
    HEADERS_HINT,
    W_CLEARTEXT_CREDENTIALS,
    cleartext_credentials,
    header_problems,
)
from django_api_orm.dialects.base import BaseDialect
from django_api_orm.pagination.styles import MAX_PAGES, STYLES, get_style

__all__ = [
    "CACHE_DEFAULTS",
    "CIRCUIT_BREAKER_DEFAULTS",
    "DEFAULT_DIALECT",
    "DEFAULT_PAGINATION",
    "E_BAD_VALUE",
    "E_BASE_URL_INVALID",
    "E_BASE_URL_MISSING",
    "E_DIALECT",
    "E_PAGINATION",
    "E_SERVICES_SHAPE",
    "E_UNKNOWN_KEY",
    "PAGINATION_KEYS",
    "PAGINATION_STYLES",
    "SERVICE_KEYS",
    "SETTING",
    "W_CA_BUNDLE_MISSING",
    "W_CLEARTEXT_CREDENTIALS",
    "Key",
    "Problem",
    "parse_rate",
    "setting_name",
    "validate",
    "validate_pagination",
    "validate_service",
]

SETTING = "API_ORM_SERVICES"
DEFAULT_DIALECT = "django_api_orm.dialects.DRFDialect"
#: The styles this package ships; a registered style or a dotted path also works.
PAGINATION_STYLES = tuple(STYLES)
DEFAULT_PAGINATION: Mapping[str, Any] = MappingProxyType(
    {
        "STYLE": "page_number",
        "PAGE_SIZE": 100,
        "PAGE_SIZE_PARAM": "page_size",
        "MAX_PAGES": MAX_PAGES,
        "PREFETCH": 0,
    }
)

# Check ids, documented in checks.py's docstring. They live here because each
# Problem that validate() finds carries the id its system check reports.
E_SERVICES_SHAPE = "django_api_orm.E001"
E_BASE_URL_MISSING = "django_api_orm.E002"
E_BASE_URL_INVALID = "django_api_orm.E003"
E_UNKNOWN_KEY = "django_api_orm.E004"
E_BAD_VALUE = "django_api_orm.E005"
E_PAGINATION = "django_api_orm.E006"
E_DIALECT = "django_api_orm.E007"
W_CA_BUNDLE_MISSING = "django_api_orm.W001"
# W_CLEARTEXT_CREDENTIALS ("django_api_orm.W004") comes from conf_credentials.


# --- the table -----------------------------------------------------------------------


def _number(
    *, above: float | None = None, at_least: float | None = None
) -> Callable[[object], bool]:
    def accepts(value: object) -> bool:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if not math.isfinite(value):
            return False
        return (above is None or value > above) and (at_least is None or value >= at_least)

    return accepts


def _integer(*, at_least: int) -> Callable[[object], bool]:
    def accepts(value: object) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and value >= at_least

    return accepts


def _is_style(value: object) -> bool:
    if not isinstance(value, str) or not value:
        return False
    try:
        get_style(value)
    except LookupError:
        return False
    return True


def _is_nonempty_str(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _is_header_value(value: object) -> bool:
    # The client refuses these too (h11 would quote a bad value in its error).
    return (
        isinstance(value, str)
        and bool(value)
        and value.isascii()
        and value.isprintable()
        and value == value.strip()
    )


_RATE = re.compile(
    r"^\s*(\d+(?:\.\d+)?)\s*/\s*(s|sec|second|m|min|minute|h|hour)\s*$", re.IGNORECASE
)
_RATE_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0}


def parse_rate(value: object) -> float | None:
    """Return ``"50/s"`` (``/m``, ``/h``, or the words) as requests per second, or ``None``."""
    if not isinstance(value, str):
        return None
    match = _RATE.match(value)
    if match is None:
        return None
    count = float(match.group(1))
    if count <= 0:
        return None
    return count / _RATE_UNITS[match.group(2)[0].lower()]


def _is_options(**accepted: Callable[[object], bool]) -> Callable[[object], bool]:
    """A dict whose keys are among ``accepted``, each value accepted by its test."""

    def accepts(value: object) -> bool:
        if value is None:
            return True
        if not isinstance(value, Mapping):
            return False
        return all(k in accepted and accepted[k](v) for k, v in value.items())

    return accepts


#: The keys of ``CACHE`` and of ``CIRCUIT_BREAKER``, with their defaults.
CACHE_DEFAULTS: Mapping[str, Any] = MappingProxyType(
    {"ALIAS": "default", "TIMEOUT": 60, "STALE_IF_ERROR": 0}
)
CIRCUIT_BREAKER_DEFAULTS: Mapping[str, Any] = MappingProxyType({"FAILURES": 5, "RESET": 30})


def _is_auth_scheme(value: object) -> bool:
    return isinstance(value, str) and _is_header_value(value) and " " not in value


def _is_headers(value: object) -> bool:
    return value is None or (
        isinstance(value, Mapping)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
    )


def _is_proxy(value: object) -> bool:
    if value is None or isinstance(value, httpx.Proxy | httpx.URL):
        return True
    if not _is_nonempty_str(value):
        return False
    assert isinstance(value, str)
    return urlsplit(value).scheme in ("http", "https", "socks5", "socks5h")


def _is_cert(value: object) -> bool:
    def path(v: object) -> bool:
        return isinstance(v, os.PathLike) or _is_nonempty_str(v)

    if value is None or path(value):
        return True
    return (
        isinstance(value, tuple)
        and len(value) in (2, 3)
        and path(value[0])
        and (value[1] is None or path(value[1]))
        and (len(value) == 2 or value[2] is None or isinstance(value[2], str))
    )


def _is_factory(value: object) -> bool:
    """A callable, or the dotted path of one (imported when the client is built)."""
    if isinstance(value, str):
        return "." in value and value == value.strip() and " " not in value
    return callable(value) and not isinstance(value, httpx.Auth)


@dataclass(frozen=True)
class Key:
    """One settings key: the client keyword it becomes and the values it accepts."""

    name: str
    keyword: str | None  # the AsyncServiceClient keyword; None for keys the ORM reads
    expected: str  # finishes "... must be <expected>"
    accepts: Callable[[object], bool]
    secret: bool = False  # never quote the value in a message
    hint: str | None = None


SERVICE_KEYS: Mapping[str, Key] = MappingProxyType(
    {
        key.name: key
        for key in (
            Key("BASE_URL", "base_url", "an http:// or https:// URL", _is_nonempty_str),
            Key(
                "AUTH_TOKEN",
                "auth_token",
                "None or a string of printable ASCII without surrounding whitespace",
                lambda v: v is None or _is_header_value(v),
                secret=True,
                hint="A token read from a file or an environment variable often ends "
                "with a newline: strip() it.",
            ),
            Key(
                "AUTH_SCHEME",
                "auth_scheme",
                "a word such as 'Bearer' or 'Token'",
                _is_auth_scheme,
            ),
            Key("TIMEOUT", "timeout", "a positive number of seconds", _number(above=0)),
            Key(
                "DEADLINE",
                "deadline",
                "None or a positive number of seconds",
                lambda v: v is None or _number(above=0)(v),
            ),
            Key("HTTP2", "http2", "True or False", lambda v: isinstance(v, bool)),
            Key("MAX_RETRIES", "max_retries", "an integer >= 0", _integer(at_least=0)),
            Key("RETRY_DELAY", "retry_delay", "a number of seconds >= 0", _number(at_least=0)),
            Key(
                "RETRY_BUDGET",
                "retry_budget",
                "None or an integer >= 0 (tokens)",
                lambda v: v is None or _integer(at_least=0)(v),
            ),
            Key("MAX_CONNECTIONS", "max_connections", "an integer >= 1", _integer(at_least=1)),
            Key(
                "MAX_KEEPALIVE_CONNECTIONS",
                "max_keepalive_connections",
                "an integer >= 0",
                _integer(at_least=0),
            ),
            Key(
                "VERIFY_SSL",
                "verify_ssl",
                "True, False, the path of a CA bundle (str) or an ssl.SSLContext",
                lambda v: isinstance(v, bool | ssl.SSLContext | os.PathLike) or _is_nonempty_str(v),
            ),
            Key(
                "FOLLOW_REDIRECTS",
                "follow_redirects",
                "True or False",
                lambda v: isinstance(v, bool),
            ),
            Key(
                "HEADERS",
                "headers",
                "a dict of header names (str) to values (str)",
                _is_headers,
                secret=True,
                hint=HEADERS_HINT,
            ),
            Key(
                "IDEMPOTENCY_HEADER",
                "idempotency_header",
                "None or a header name such as 'Idempotency-Key'",
                lambda v: v is None or _is_nonempty_str(v),
            ),
            Key(
                "MAX_RESPONSE_BYTES",
                "max_response_bytes",
                "a positive integer (bytes)",
                _integer(at_least=1),
            ),
            Key(
                "PROXY",
                "proxy",
                "None, a proxy URL (http://, https://, socks5://) or an httpx.Proxy",
                _is_proxy,
                secret=True,  # a proxy URL may carry user:password@
                hint="Give the URL of the proxy, such as 'http://proxy.internal:3128'; "
                "with TRUST_ENV (the default) HTTPS_PROXY/HTTP_PROXY/NO_PROXY are read.",
            ),
            Key("TRUST_ENV", "trust_env", "True or False", lambda v: isinstance(v, bool)),
            Key(
                "CERT",
                "cert",
                "None, the path of a PEM file holding the client certificate and its key, or "
                "a tuple (certfile, keyfile) or (certfile, keyfile, password)",
                _is_cert,
                secret=True,  # the tuple may hold the key's password
            ),
            Key(
                "AUTH",
                "auth",
                "None, an httpx.Auth, or a callable (or its dotted path) returning one",
                lambda v: v is None or isinstance(v, httpx.Auth) or _is_factory(v),
                secret=True,  # an Auth may hold credentials in its repr
            ),
            Key(
                "TRANSPORT",
                "transport",
                "None, an httpx.AsyncBaseTransport, or a callable (or its dotted path) "
                "given the default transport and returning the one to use",
                lambda v: v is None or isinstance(v, httpx.AsyncBaseTransport) or _is_factory(v),
            ),
            Key(
                "CACHE",
                None,
                "None or a dict with ALIAS (a CACHES alias), TIMEOUT (seconds > 0) and "
                "STALE_IF_ERROR (seconds >= 0), such as {'ALIAS': 'default', 'TIMEOUT': 60}",
                _is_options(
                    ALIAS=_is_nonempty_str,
                    TIMEOUT=_number(above=0),
                    STALE_IF_ERROR=_number(at_least=0),
                ),
            ),
            Key(
                "RATE_LIMIT",
                None,
                "None or requests per second, minute or hour, such as '50/s' or '600/m'",
                lambda v: v is None or parse_rate(v) is not None,
            ),
            Key(
                "CIRCUIT_BREAKER",
                None,
                "None or a dict with FAILURES (an integer >= 1) and RESET (seconds > 0), "
                "such as {'FAILURES': 5, 'RESET': 30}",
                _is_options(FAILURES=_integer(at_least=1), RESET=_number(above=0)),
            ),
            Key("DIALECT", None, "a dotted path to a dialect class", _is_nonempty_str),
            Key("PAGINATION", None, "a dict", lambda v: isinstance(v, Mapping)),
        )
    }
)

PAGINATION_KEYS: Mapping[str, Key] = MappingProxyType(
    {
        key.name: key
        for key in (
            Key(
                "STYLE",
                None,
                "one of "
                + ", ".join(repr(s) for s in PAGINATION_STYLES)
                + ", another registered style, or the dotted path of a PaginationStyle class",
                _is_style,
            ),
            Key("PAGE_SIZE", None, "a positive integer", _integer(at_least=1)),
            Key(
                "PAGE_SIZE_PARAM",
                None,
                "the name of the provider's page size parameter (a non-empty str)",
                _is_nonempty_str,
            ),
            Key("MAX_PAGES", None, "a positive integer", _integer(at_least=1)),
            Key(
                "PREFETCH",
                None,
                "an integer >= 0 (pages requested ahead; 0 is off)",
                _integer(at_least=0),
            ),
        )
    }
)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the settings: a system check message before it is one."""

    id: str
    msg: str
    hint: str
    level: Literal["error", "warning"] = "error"


# --- validation ------------------------------------------------------------------------


def setting_name(alias: object, key: str | None = None) -> str:
    """Return how a message names a service, or one of its keys: ``API_ORM_SERVICES['default']``."""
    where = f"{SETTING}[{alias!r}]"
    return f"{where}[{key!r}]" if key is not None else where


def _shown(key: Key, value: object) -> str:
    if key.secret:
        return f"a value of type {type(value).__name__}"
    return f"{value!r} ({type(value).__name__})"


def _unknown_key_hint(name: object, valid: Mapping[str, Key]) -> str:
    names = ", ".join(sorted(valid))
    if isinstance(name, str):
        if name.upper() in valid:
            return f"Keys are upper-case: use {name.upper()!r}. Valid keys: {names}."
        close = difflib.get_close_matches(name, list(valid), n=1)
        if close:
            return f"Did you mean {close[0]!r}? Valid keys: {names}."
    return f"Valid keys: {names}."


def _sanitized_url(url: str) -> str:
    """Return ``url`` without the user and password it may carry."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "a malformed URL"
    if "@" not in parts.netloc:
        return repr(url)
    return repr(parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl())


def _base_url_problem(alias: str, value: object) -> Problem | None:
    where = setting_name(alias, "BASE_URL")
    hint = "Set it to the root of the API, such as 'https://catalog.internal/api/'."
    if not isinstance(value, str):
        return Problem(
            E_BASE_URL_INVALID,
            f"{where} must be an http:// or https:// URL, not {type(value).__name__}.",
            hint,
        )
    try:
        parts = urlsplit(value.strip())
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        valid = False
    if not valid:
        return Problem(
            E_BASE_URL_INVALID,
            f"{where} must be an http:// or https:// URL with a host, not {_sanitized_url(value)}.",
            hint,
        )
    if parts.query or parts.fragment or value.strip().endswith(("?", "#")):
        return Problem(
            E_BASE_URL_INVALID,
            f"{where} must not have a query string or fragment: {_sanitized_url(value)}.",
            "Remove them: the ORM builds each request's query string.",
        )
    return None


def validate_pagination(value: object, *, where: str) -> list[Problem]:
    """Return what is wrong with a ``PAGINATION`` dict (or a ``Meta.pagination``)."""
    if not isinstance(value, Mapping):
        return [
            Problem(
                E_PAGINATION,
                f"{where} must be a dict, not {type(value).__name__}.",
                'Use a dict such as {"STYLE": "page_number", "PAGE_SIZE": 100}.',
            )
        ]
    problems = []
    for name, setting in value.items():
        key = PAGINATION_KEYS.get(name) if isinstance(name, str) else None
        if key is None:
            problems.append(
                Problem(
                    E_PAGINATION,
                    f"{where} has an unknown key {name!r}.",
                    _unknown_key_hint(name, PAGINATION_KEYS),
                )
            )
        elif not key.accepts(setting):
            problems.append(
                Problem(
                    E_PAGINATION,
                    f"{where}[{name!r}] must be {key.expected}, not {_shown(key, setting)}.",
                    "STYLE is how the provider pages its lists ('none': a bare JSON array); "
                    "PAGE_SIZE the rows asked per page; PAGE_SIZE_PARAM the query "
                    "parameter that carries it; MAX_PAGES the most pages one walk reads; "
                    "PREFETCH how many following pages a walk requests ahead (0: none).",
                )
            )
    return problems


def validate_service(
    alias: str, entry: Mapping[str, Any], *, check_environment: bool
) -> list[Problem]:
    """Return what is wrong with one service's dict of settings.

    With ``check_environment``, also import its ``DIALECT`` and look for its
    ``VERIFY_SSL`` path, which ``get_config()`` leaves to first use.
    """
    problems: list[Problem] = []
    if "BASE_URL" not in entry:
        problems.append(
            Problem(
                E_BASE_URL_MISSING,
                f"{setting_name(alias)} has no BASE_URL.",
                "Set BASE_URL to the root of the API, such as 'https://catalog.internal/api/'.",
            )
        )
    for name, value in entry.items():
        key = SERVICE_KEYS.get(name) if isinstance(name, str) else None
        if key is None:
            problems.append(
                Problem(
                    E_UNKNOWN_KEY,
                    f"{setting_name(alias)} has an unknown key {name!r}.",
                    _unknown_key_hint(name, SERVICE_KEYS),
                )
            )
        elif name == "BASE_URL":
            problem = _base_url_problem(alias, value)
            if problem is not None:
                problems.append(problem)
        elif name == "PAGINATION":
            problems.extend(validate_pagination(value, where=setting_name(alias, name)))
        elif not key.accepts(value):
            problems.append(
                Problem(
                    E_DIALECT if name == "DIALECT" else E_BAD_VALUE,
                    f"{setting_name(alias, name)} must be {key.expected}, "
                    f"not {_shown(key, value)}.",
                    key.hint or f"Remove {name} to use the default, or give it {key.expected}.",
                )
            )
        elif name == "HEADERS" and value is not None:
            problems.extend(
                Problem(E_BAD_VALUE, f"{setting_name(alias, name)}[{header}]: {why}.", HEADERS_HINT)
                for header, why in header_problems(value)
            )
        elif name == "VERIFY_SSL" and check_environment and isinstance(value, str | os.PathLike):
            if not os.path.exists(value):
                problems.append(
                    Problem(
                        W_CA_BUNDLE_MISSING,
                        f"{setting_name(alias, name)} names no CA bundle file or directory: "
                        f"{os.fspath(value)!r}.",
                        "The client will refuse to start without it. Give the path of the "
                        "CA bundle (PEM file) or of a directory of certificates.",
                        level="warning",
                    )
                )
        elif name in ("AUTH", "TRANSPORT") and check_environment and isinstance(value, str):
            try:
                import_string(value)
            except ImportError as exc:
                problems.append(
                    Problem(
                        E_BAD_VALUE,
                        f"{setting_name(alias, name)} = {value!r} cannot be imported: {exc}",
                        f"Give the dotted path of {SERVICE_KEYS[name].expected[6:]}.",
                    )
                )
        elif name == "DIALECT" and check_environment:
            try:
                dialect = import_string(value)
            except ImportError as exc:
                problems.append(
                    Problem(
                        E_DIALECT,
                        f"{setting_name(alias, name)} = {value!r} cannot be imported: {exc}",
                        f"Give the dotted path of a dialect class, such as {DEFAULT_DIALECT!r}.",
                    )
                )
            else:
                if not (isinstance(dialect, type) and issubclass(dialect, BaseDialect)):
                    problems.append(
                        Problem(
                            E_DIALECT,
                            f"{setting_name(alias, name)} = {value!r} is not a dialect class.",
                            "Give the dotted path of a subclass of "
                            "django_api_orm.dialects.BaseDialect, such as "
                            f"{DEFAULT_DIALECT!r}.",
                        )
                    )
    if entry.get("AUTH") is not None and entry.get("AUTH_TOKEN"):
        problems.append(
            Problem(
                E_BAD_VALUE,
                f"{setting_name(alias)} sets both AUTH_TOKEN and AUTH.",
                "Keep one: AUTH (an httpx.Auth) sets the Authorization header itself.",
            )
        )
    shared = [k for k in ("CACHE", "RATE_LIMIT", "CIRCUIT_BREAKER") if k in entry]
    # Only for values that are right otherwise: a bad one is reported above, once.
    if check_environment and shared and all(SERVICE_KEYS[k].accepts(entry[k]) for k in shared):
        problem = _caches_problem(alias, entry)
        if problem is not None:
            problems.append(problem)
    cleartext = cleartext_credentials(entry)
    if cleartext is not None:
        host, credentials = cleartext
        problems.append(
            Problem(
                W_CLEARTEXT_CREDENTIALS,
                f"{setting_name(alias)} sends {', '.join(credentials)} over plain http:// to "
                f"{host!r}, which is not a loopback host: the credential travels in clear.",
                "Use an https:// BASE_URL. Plain http:// is safe only to localhost, "
                "127.0.0.0/8 or ::1.",
                level="warning",
            )
        )
    return problems


def _caches_problem(alias: str, entry: Mapping[str, Any]) -> Problem | None:
    """The CACHES alias the shared state needs, when it is not configured."""
    from django.conf import settings

    cache = entry.get("CACHE")
    cache_alias = (cache or {}).get("ALIAS", "default") if isinstance(cache, Mapping) else "default"
    if cache_alias in getattr(settings, "CACHES", {}):
        return None
    return Problem(
        E_BAD_VALUE,
        f"{setting_name(alias)} keeps its CACHE, RATE_LIMIT and CIRCUIT_BREAKER state in "
        f"CACHES[{cache_alias!r}], which settings.CACHES does not define.",
        "Add it to CACHES (django.core.cache.backends.redis.RedisCache shares it with every "
        "process), or name another alias in CACHE['ALIAS'].",
    )


def _shape_problem(msg: str) -> Problem:
    return Problem(
        E_SERVICES_SHAPE,
        msg,
        f'Set {SETTING} = {{"default": {{"BASE_URL": "https://catalog.internal/api/"}}}}: '
        "a dict of aliases to dicts of settings, like DATABASES.",
    )


def validate(settings_value: object) -> list[Problem]:
    """Return every problem in a value of ``API_ORM_SERVICES``; an empty list if none.

    Besides the types and values, import each ``DIALECT`` and look for each
    ``VERIFY_SSL`` path, which ``get_config()`` leaves to first use.
    """
    if not isinstance(settings_value, Mapping):
        return [_shape_problem(f"{SETTING} must be a dict, not {type(settings_value).__name__}.")]
    problems: list[Problem] = []
    for alias, entry in settings_value.items():
        if not isinstance(alias, str):
            problems.append(_shape_problem(f"{SETTING} has the alias {alias!r}: not a str."))
        elif not isinstance(entry, Mapping):
            problems.append(
                _shape_problem(f"{setting_name(alias)} must be a dict, not {type(entry).__name__}.")
            )
        else:
            problems.extend(validate_service(alias, entry, check_environment=True))
    return problems
