"""Read ``settings.API_ORM_SERVICES`` lazily into a frozen ``ServiceConfig`` per alias.

``API_ORM_SERVICES`` is a dict of aliases to dicts, like ``DATABASES``. The table
of its keys and the validation live in ``conf_validation``, re-exported here:
``get_config()`` refuses an alias that the system checks would reject, with the
same table, so the two can never disagree.

Nothing here reads settings at import time. ``get_config()`` reads and caches one
alias on first use; the cache is dropped when ``setting_changed`` fires for
``API_ORM_SERVICES`` (``override_settings`` in tests), as Django's
``ConnectionHandler`` does for ``DATABASES``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from django_api_orm.client._secrets import MASK, masked_headers
from django_api_orm.conf_validation import (
    CACHE_DEFAULTS,
    CIRCUIT_BREAKER_DEFAULTS,
    DEFAULT_DIALECT,
    DEFAULT_PAGINATION,
    PAGINATION_KEYS,
    PAGINATION_STYLES,
    SERVICE_KEYS,
    SETTING,
    W_CA_BUNDLE_MISSING,
    W_CLEARTEXT_CREDENTIALS,
    Problem,
    setting_name,
    validate,
    validate_pagination,
    validate_service,
)

# The names from conf_validation are re-exported: the table's constants,
# W_CA_BUNDLE_MISSING, W_CLEARTEXT_CREDENTIALS, Problem, validate() and
# validate_pagination().
__all__ = [
    "DEFAULT_DIALECT",
    "DEFAULT_PAGINATION",
    "PAGINATION_KEYS",
    "PAGINATION_STYLES",
    "SERVICE_KEYS",
    "SETTING",
    "W_CA_BUNDLE_MISSING",
    "W_CLEARTEXT_CREDENTIALS",
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


class ServiceDoesNotExist(ImproperlyConfigured):
    """An alias that ``settings.API_ORM_SERVICES`` does not define."""


# --- the config ------------------------------------------------------------------------


class ClientKwargs(Mapping[str, Any]):
    """A read-only mapping of client keywords whose repr masks the credentials.

    The token, and the header values the client hides from its messages
    (``django_api_orm.client._secrets``: every value but those of well-known
    headers like ``Accept`` and short values under names that are not credentials).
    """

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
            shown["auth_token"] = MASK
        if shown.get("headers"):
            shown["headers"] = masked_headers(shown["headers"])
        for key in ("auth", "cert", "proxy"):
            # An Auth's state, a key's password, a proxy's user:password@.
            if shown.get(key) is not None:
                shown[key] = MASK
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
    #: The keys ``PAGINATION`` itself sets (they win over the dialect's defaults).
    pagination_given: Mapping[str, Any] = field(default_factory=dict)
    #: ``CACHE`` over its defaults, or ``None`` when the service caches nothing.
    cache: Mapping[str, Any] | None = None
    #: ``RATE_LIMIT``, such as ``"50/s"``, or ``None``.
    rate_limit: str | None = None
    #: ``CIRCUIT_BREAKER`` over its defaults, or ``None``.
    circuit_breaker: Mapping[str, Any] | None = None

    @property
    def state_alias(self) -> str:
        """The ``CACHES`` alias of the shared state: ``CACHE['ALIAS']``, else ``"default"``."""
        return str((self.cache or {}).get("ALIAS", "default"))

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
    cache = entry.get("CACHE")
    breaker = entry.get("CIRCUIT_BREAKER")
    return ServiceConfig(
        alias=alias,
        client_kwargs=kwargs,
        dialect=entry.get("DIALECT", DEFAULT_DIALECT),
        pagination=pagination,
        pagination_given=MappingProxyType(dict(entry.get("PAGINATION", {}))),
        cache=None if cache is None else MappingProxyType({**CACHE_DEFAULTS, **cache}),
        rate_limit=entry.get("RATE_LIMIT"),
        circuit_breaker=(
            None if breaker is None else MappingProxyType({**CIRCUIT_BREAKER_DEFAULTS, **breaker})
        ),
    )


def get_config(alias: str) -> ServiceConfig:
    """Return the config of ``alias``, reading settings on first use.

    Raise ``ServiceDoesNotExist`` (an ``ImproperlyConfigured``) naming the configured
    aliases for an unknown alias, and ``ImproperlyConfigured`` listing the problems
    for a service the system checks would reject with an error (a warning passes).
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
        raise ImproperlyConfigured(
            f"{setting_name(alias)} must be a dict, not {type(entry).__name__}."
        )
    problems = [
        p for p in validate_service(alias, entry, check_environment=False) if p.level == "error"
    ]
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
