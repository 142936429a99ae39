"""Read ``settings.API_ORM_SERVICES`` lazily into a frozen ``ServiceConfig`` per alias.

``API_ORM_SERVICES`` is a dict of aliases to dicts, like ``DATABASES``. Every key of
a service but ``DIALECT`` and ``PAGINATION`` (which belong to the ORM) is an
``AsyncServiceClient`` keyword, upper-cased. ``SERVICE_KEYS`` and
``PAGINATION_KEYS`` below are the one table of keys and accepted values: the
system checks (``checks.py``) report what ``validate()`` finds, and
``get_config()`` refuses an alias the same table rejects, so the two can never
disagree.

Nothing here reads settings at import time. ``get_config()`` reads and caches one
alias on first use; the cache is dropped when ``setting_changed`` fires for
``API_ORM_SERVICES`` (``override_settings`` in tests), as Django's
``ConnectionHandler`` does for ``DATABASES``.
"""

from __future__ import annotations

import difflib
import math
import os
import ssl
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

__all__ = [
    "DEFAULT_DIALECT",
    "DEFAULT_PAGINATION",
    "PAGINATION_KEYS",
    "PAGINATION_STYLES",
    "SERVICE_KEYS",
    "Problem",
    "ServiceConfig",
    "ServiceDoesNotExist",
    "aliases",
    "get_config",
    "merge_pagination",
    "on_setting_changed",
    "reset",
    "validate",
    "validate_pagination",
]

SETTING = "API_ORM_SERVICES"
DEFAULT_DIALECT = "django_api_orm.dialects.DRFDialect"
PAGINATION_STYLES = ("page_number", "limit_offset", "cursor", "none")
DEFAULT_PAGINATION: Mapping[str, Any] = MappingProxyType(
    {"STYLE": "page_number", "PAGE_SIZE": 100, "PAGE_SIZE_PARAM": "page_size"}
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

_MASK = "********"
# Header names whose values are credentials: masked in reprs, never quoted in messages.
_SECRET_HEADER_WORDS = ("authorization", "cookie", "token", "secret", "api-key", "apikey")


class ServiceDoesNotExist(ImproperlyConfigured):
    """An alias that ``settings.API_ORM_SERVICES`` does not define."""


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


def _is_auth_scheme(value: object) -> bool:
    return isinstance(value, str) and _is_header_value(value) and " " not in value


def _is_headers(value: object) -> bool:
    return value is None or (
        isinstance(value, Mapping)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
    )


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
            Key("HTTP2", "http2", "True or False", lambda v: isinstance(v, bool)),
            Key("MAX_RETRIES", "max_retries", "an integer >= 0", _integer(at_least=0)),
            Key("RETRY_DELAY", "retry_delay", "a number of seconds >= 0", _number(at_least=0)),
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
                "one of " + ", ".join(repr(s) for s in PAGINATION_STYLES),
                lambda v: v in PAGINATION_STYLES,
            ),
            Key("PAGE_SIZE", None, "a positive integer", _integer(at_least=1)),
            Key(
                "PAGE_SIZE_PARAM",
                None,
                "the name of the provider's page size parameter (a non-empty str)",
                _is_nonempty_str,
            ),
        )
    }
)


# --- the config ------------------------------------------------------------------------


class ClientKwargs(Mapping[str, Any]):
    """A read-only mapping of client keywords whose repr masks the credentials."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = dict(data)

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        shown = dict(self._data)
        if shown.get("auth_token") is not None:
            shown["auth_token"] = _MASK
        if shown.get("headers"):
            shown["headers"] = {
                name: _MASK if _is_secret_header(name) else value
                for name, value in shown["headers"].items()
            }
        return repr(shown)


@dataclass(frozen=True)
class ServiceConfig:
    """The validated settings of one service alias.

    ``client_kwargs`` are the ``AsyncServiceClient`` keywords given in settings
    (``base_url`` always; the others only when set, so the client's own defaults
    apply). ``dialect`` is the dotted path of the wire dialect; ``pagination`` is
    ``PAGINATION`` merged over ``DEFAULT_PAGINATION``. The repr masks the token.
    """

    alias: str
    client_kwargs: Mapping[str, Any]
    dialect: str = DEFAULT_DIALECT
    pagination: Mapping[str, Any] = field(default_factory=lambda: DEFAULT_PAGINATION)

    def __post_init__(self) -> None:
        # Read-only views, and a repr that masks the token, however it was built.
        if not isinstance(self.client_kwargs, ClientKwargs):
            object.__setattr__(self, "client_kwargs", ClientKwargs(self.client_kwargs))
        if not isinstance(self.pagination, MappingProxyType):
            object.__setattr__(self, "pagination", MappingProxyType(dict(self.pagination)))

    @property
    def base_url(self) -> str:
        """The service's ``BASE_URL``."""
        return str(self.client_kwargs["base_url"])


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the settings: a system check message before it is one."""

    id: str
    msg: str
    hint: str
    level: Literal["error", "warning"] = "error"


# --- validation ------------------------------------------------------------------------


def _is_secret_header(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in _SECRET_HEADER_WORDS)


def _where(alias: object, key: str | None = None) -> str:
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
    where = _where(alias, "BASE_URL")
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
                    "parameter that carries it.",
                )
            )
    return problems


def _validate_service(
    alias: str, entry: Mapping[str, Any], *, check_environment: bool
) -> list[Problem]:
    problems: list[Problem] = []
    if "BASE_URL" not in entry:
        problems.append(
            Problem(
                E_BASE_URL_MISSING,
                f"{_where(alias)} has no BASE_URL.",
                "Set BASE_URL to the root of the API, such as 'https://catalog.internal/api/'.",
            )
        )
    for name, value in entry.items():
        key = SERVICE_KEYS.get(name) if isinstance(name, str) else None
        if key is None:
            problems.append(
                Problem(
                    E_UNKNOWN_KEY,
                    f"{_where(alias)} has an unknown key {name!r}.",
                    _unknown_key_hint(name, SERVICE_KEYS),
                )
            )
        elif name == "BASE_URL":
            problem = _base_url_problem(alias, value)
            if problem is not None:
                problems.append(problem)
        elif name == "PAGINATION":
            problems.extend(validate_pagination(value, where=_where(alias, name)))
        elif not key.accepts(value):
            problems.append(
                Problem(
                    E_DIALECT if name == "DIALECT" else E_BAD_VALUE,
                    f"{_where(alias, name)} must be {key.expected}, not {_shown(key, value)}.",
                    key.hint or f"Remove {name} to use the default, or give it {key.expected}.",
                )
            )
        elif name == "VERIFY_SSL" and check_environment and isinstance(value, str | os.PathLike):
            if not os.path.exists(value):
                problems.append(
                    Problem(
                        W_CA_BUNDLE_MISSING,
                        f"{_where(alias, name)} names no CA bundle file or directory: "
                        f"{os.fspath(value)!r}.",
                        "The client will refuse to start without it. Give the path of the "
                        "CA bundle (PEM file) or of a directory of certificates.",
                        level="warning",
                    )
                )
        elif name == "DIALECT" and check_environment:
            try:
                import_string(value)
            except ImportError as exc:
                problems.append(
                    Problem(
                        E_DIALECT,
                        f"{_where(alias, name)} = {value!r} cannot be imported: {exc}",
                        f"Give the dotted path of a dialect class, such as {DEFAULT_DIALECT!r}.",
                    )
                )
    return problems


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
                _shape_problem(f"{_where(alias)} must be a dict, not {type(entry).__name__}.")
            )
        else:
            problems.extend(_validate_service(alias, entry, check_environment=True))
    return problems


# --- reading settings ----------------------------------------------------------------

_cache: dict[str, ServiceConfig] = {}
_cache_lock = threading.Lock()


def _services_setting() -> Mapping[Any, Any]:
    value = getattr(settings, SETTING, {})
    if not isinstance(value, Mapping):
        raise ImproperlyConfigured(
            f"{SETTING} must be a dict of aliases to dicts, not {type(value).__name__}."
        )
    return value


def aliases() -> list[str]:
    """Return the configured service aliases, in settings order."""
    return [alias for alias in _services_setting() if isinstance(alias, str)]


def _build(alias: str, entry: Mapping[str, Any]) -> ServiceConfig:
    kwargs: dict[str, Any] = {}
    for name, value in entry.items():
        keyword = SERVICE_KEYS[name].keyword
        if keyword == "headers" and value is not None:
            value = MappingProxyType(dict(value))
        if keyword is not None:
            kwargs[keyword] = value
    pagination = MappingProxyType({**DEFAULT_PAGINATION, **entry.get("PAGINATION", {})})
    return ServiceConfig(
        alias=alias,
        client_kwargs=kwargs,
        dialect=entry.get("DIALECT", DEFAULT_DIALECT),
        pagination=pagination,
    )


def get_config(alias: str) -> ServiceConfig:
    """Return the config of ``alias``, reading settings on first use.

    Raise ``ServiceDoesNotExist`` (an ``ImproperlyConfigured``) naming the configured
    aliases for an unknown alias, and ``ImproperlyConfigured`` listing the problems
    for a service the system checks would reject.
    """
    config = _cache.get(alias)
    if config is not None:
        return config
    services = _services_setting()
    entry = services.get(alias)
    if entry is None:
        configured = ", ".join(repr(a) for a in services) or "none"
        raise ServiceDoesNotExist(
            f"The service alias {alias!r} is not in settings.{SETTING} "
            f"(configured aliases: {configured})."
        )
    if not isinstance(entry, Mapping):
        raise ImproperlyConfigured(f"{_where(alias)} must be a dict, not {type(entry).__name__}.")
    problems = _validate_service(alias, entry, check_environment=False)
    if problems:
        raise ImproperlyConfigured(" ".join(f"{p.msg} {p.hint} ({p.id})" for p in problems))
    with _cache_lock:
        # Another thread may have built it meanwhile: keep one object per alias.
        return _cache.setdefault(alias, _build(alias, entry))


def reset() -> None:
    """Forget every config read so far; the next ``get_config()`` reads settings again."""
    with _cache_lock:
        _cache.clear()


def on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    """Receive Django's ``setting_changed``: reset when ``API_ORM_SERVICES`` changes."""
    if setting == SETTING:
        reset()


def merge_pagination(
    service_pagination: Mapping[str, Any],
    model_override: Mapping[str, Any] | None,
    *,
    where: str = "Meta.pagination",
) -> Mapping[str, Any]:
    """Return a model's ``Meta.pagination`` merged over its service's ``PAGINATION``.

    The override is validated with the same table as ``PAGINATION``: an unknown key
    or a bad value raises ``ImproperlyConfigured`` naming it. ``where`` names the
    override in that message, such as ``"Book.Meta.pagination"``.
    """
    if model_override is None:
        return service_pagination
    problems = validate_pagination(model_override, where=where)
    if problems:
        raise ImproperlyConfigured(" ".join(f"{p.msg} {p.hint}" for p in problems))
    return MappingProxyType({**service_pagination, **model_override})
