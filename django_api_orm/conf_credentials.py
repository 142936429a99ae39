"""What ``conf_validation`` checks about a service's credentials: ``HEADERS`` and plain http.

Each header of ``HEADERS`` must be one the client accepts (the rules are in
``django_api_orm.client._secrets``, shared with the client); a problem names the
service, the header and why, never the value. A service that sends a credential
(``AUTH_TOKEN``, a header named like one, or a password in ``BASE_URL``) to a
plain ``http://`` URL whose host is not loopback gets a warning: the credential
would travel in clear.

Nothing here reads settings: every function is given the value to check.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from django_api_orm.client._secrets import header_problems, is_credential_header

__all__ = ["W_CLEARTEXT_CREDENTIALS", "cleartext_credentials", "header_problems", "is_loopback"]

#: Check id of the plain-http warning, documented in checks.py's docstring.
W_CLEARTEXT_CREDENTIALS = "django_api_orm.W004"

HEADERS_HINT = (
    "Header names are letters, digits and !#$%&'*+-.^_`|~; values are printable ASCII "
    "without surrounding whitespace or line breaks. A value read from a file or an "
    "environment variable often ends with a newline: strip() it. (The value is not "
    "shown: it may be a secret.)"
)


def is_loopback(host: str) -> bool:
    """Return whether ``host`` is ``localhost``, a ``*.localhost`` name, 127.0.0.0/8 or ::1."""
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def cleartext_credentials(entry: Mapping[str, Any]) -> tuple[str, list[str]] | None:
    """Return ``(host, credentials)`` if ``entry`` sends credentials in clear to another host.

    ``credentials`` names each one (``AUTH_TOKEN``, ``HEADERS['X-Api-Key']``, ``the
    password in BASE_URL``), never its value; ``None`` when the ``BASE_URL`` is not
    a valid plain ``http://`` URL, its host is loopback, or nothing is a credential.
    """
    base_url = entry.get("BASE_URL")
    if not isinstance(base_url, str):
        return None
    try:
        parts = urlsplit(base_url.strip())
        host = parts.hostname
        password = parts.password
    except ValueError:
        return None
    if parts.scheme != "http" or not host or is_loopback(host):
        return None
    found = []
    token = entry.get("AUTH_TOKEN")
    if isinstance(token, str) and token:
        found.append("AUTH_TOKEN")
    headers = entry.get("HEADERS")
    if isinstance(headers, Mapping):
        found.extend(
            f"HEADERS[{name!r}]"
            for name, value in headers.items()
            if isinstance(name, str)
            and isinstance(value, str)
            and value
            and is_credential_header(name)
        )
    if password:
        found.append("the password in BASE_URL")
    return (host, found) if found else None
