"""Which header names and values are legal, and which configured values are secrets.

One place for the client (``headers=``, ``auth_token``) and for the settings
(``HEADERS``, ``AUTH_TOKEN``, read by ``conf_validation`` and ``conf``), so a
value the system checks accept is one the client accepts, and a value hidden
in one message is hidden in all of them.

**Legal.** A header name is an RFC 9110 token (letters, digits and
``!#$%&'*+-.^_`|~``); a value is printable ASCII without surrounding
whitespace, so no CR or LF. httpx's HTTP/1.1 layer (h11) would otherwise quote
the offending value in its error, and a value ending with a newline is a
classic of tokens read from files.

**Secret.** The auth token, and every configured header value except:

- the values of well-known headers that carry no credential
  (:data:`NOT_SECRET_HEADERS`: ``Accept``, ``User-Agent``, ``Content-Type``...);
- values shorter than :data:`MIN_SECRET_LENGTH` characters of a header whose
  name does not look like a credential: ``X-Version: 2`` or ``X-Env: prod``
  would otherwise be replaced inside every message that happens to contain
  ``2`` or ``prod``.

A header whose name looks like a credential (:func:`is_credential_header`:
``Authorization``, ``X-Api-Key``, ``Cookie``, ``X-Auth-Token``...) is a secret
whatever its length.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from typing import Any, Final
from urllib.parse import quote

__all__ = [
    "MASK",
    "MIN_SECRET_LENGTH",
    "NOT_SECRET_HEADERS",
    "REDACTED",
    "check_headers",
    "header_name_problem",
    "header_problems",
    "header_value_problem",
    "is_credential_header",
    "is_secret_header",
    "masked_headers",
    "scrub",
    "secret_values",
]

#: What replaces a secret in a message or a log line.
REDACTED: Final = "[secure]"
#: What replaces a secret in a repr.
MASK: Final = "********"
#: Values shorter than this, of headers not named like a credential, are not secrets.
MIN_SECRET_LENGTH: Final = 8

#: Headers whose values are never credentials; compared lower-cased.
NOT_SECRET_HEADERS: Final = frozenset(
    {
        "accept",
        "accept-charset",
        "accept-encoding",
        "accept-language",
        "cache-control",
        "content-language",
        "content-type",
        "pragma",
        "prefer",
        "user-agent",
        "x-requested-with",
    }
)

#: A header name containing one of these (lower-cased) names a credential.
_CREDENTIAL_WORDS: Final = (
    "auth",  # authorization, proxy-authorization, x-auth-token, x-authentication
    "cookie",
    "token",
    "secret",
    "key",  # x-api-key, apikey, ocp-apim-subscription-key, x-functions-key
    "password",
    "passwd",
    "signature",
    "session",
    "credential",
)

_TOKEN_CHARS: Final = frozenset(string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~")


def header_name_problem(name: object) -> str | None:
    """Return why ``name`` is not a legal header name, or ``None`` if it is one."""
    if not isinstance(name, str):
        return f"the name is a {type(name).__name__}, not a str"
    if not name:
        return "the name is empty"
    if not set(name) <= _TOKEN_CHARS:
        return (
            f"the name {name!r} is not a header name: letters, digits and "
            "!#$%&'*+-.^_`|~ only, no spaces, colons or line breaks"
        )
    return None


def header_value_problem(value: object) -> str | None:
    """Return why ``value`` is not a legal header value, never quoting it; ``None`` if legal."""
    if not isinstance(value, str):
        return f"the value is a {type(value).__name__}, not a str"
    if value.endswith("\n"):
        return "the value ends with a newline: strip() it"
    if "\r" in value or "\n" in value:
        return "the value contains a line break (CR or LF), which would split the header"
    if value != value.strip():
        return "the value starts or ends with whitespace: strip() it"
    if not value.isascii():
        return "the value has a character that is not ASCII"
    if not value.isprintable():
        return "the value has a control character (only printable ASCII is allowed)"
    return None


def header_problems(headers: Mapping[Any, Any]) -> list[tuple[str, str]]:
    """Return ``(how the header is named, why it is illegal)`` for each illegal header,
    never quoting a value."""
    problems = []
    for name, value in headers.items():
        problem = header_name_problem(name)
        if problem is None:
            problem = header_value_problem(value)
        if problem is not None:
            shown = repr(name) if isinstance(name, str) else f"a {type(name).__name__} name"
            problems.append((shown, problem))
    return problems


def check_headers(headers: Mapping[str, str]) -> None:
    """Raise ``ValueError`` naming the first illegal header, and why, without its value."""
    for shown, problem in header_problems(headers)[:1]:
        raise ValueError(
            f"headers: the header {shown} is not legal: {problem} "
            "(the value is not shown: it may be a secret)"
        )


def is_credential_header(name: str) -> bool:
    """Return whether ``name`` looks like the name of a header carrying a credential."""
    lowered = name.lower()
    return any(word in lowered for word in _CREDENTIAL_WORDS)


def is_secret_header(name: str, value: str) -> bool:
    """Return whether the value of header ``name`` is hidden from messages, reprs and logs."""
    if not value:
        return False
    if is_credential_header(name):
        return True
    return name.lower() not in NOT_SECRET_HEADERS and len(value) >= MIN_SECRET_LENGTH


def _quoted_forms(secret: str) -> set[str]:
    # How a message may quote it: as is, percent-encoded, or escaped by repr() or
    # JSON once or twice (httpcore's trace log quotes the repr of h11's error).
    forms = {secret}
    for _ in range(2):
        for form in list(forms):
            escaped = form.replace("\\", "\\\\")
            forms |= {escaped, escaped.replace("'", "\\'"), escaped.replace('"', '\\"')}
    forms.add(quote(secret, safe=""))
    return forms


def secret_values(auth_token: str | None, headers: Mapping[str, str] | None) -> tuple[str, ...]:
    """Return the secrets among a client's configuration, and how they may be quoted.

    Each secret comes as it is, escaped as ``repr()`` or JSON would escape it,
    and percent-encoded; longest first, so that a longer one is replaced whole.
    """
    found = {auth_token} if auth_token else set()
    for name, value in (headers or {}).items():
        if is_secret_header(name, value):
            found.add(value)
    forms = set().union(*(_quoted_forms(secret) for secret in found))
    return tuple(sorted(forms, key=lambda secret: (-len(secret), secret)))


def masked_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Return ``headers`` with every secret value replaced by :data:`MASK`."""
    return {
        name: MASK if not isinstance(value, str) or is_secret_header(name, value) else value
        for name, value in headers.items()
    }


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Return ``text`` with each secret replaced by ``[secure]``; pass ``secrets`` longest first."""
    for secret in secrets:
        if secret and secret in text:
            text = text.replace(secret, REDACTED)
    return text
