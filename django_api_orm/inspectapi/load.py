"""``load_schema()``: an OpenAPI 3 document from a URL of the service or a file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django_api_orm.inspectapi.schema import SchemaError

__all__ = ["aload_schema", "check_openapi", "load_schema"]

_FILE_SUFFIXES = (".json", ".yaml", ".yml")


def load_schema(source: str, *, service: str = "default") -> dict[str, Any]:
    """Return the OpenAPI 3 document at ``source``: a URL (absolute, or relative to the
    service's BASE_URL, fetched with the service's client and credentials) or a JSON
    or YAML file. Raise ``SchemaError`` saying what is wrong. In async code, use
    ``await aload_schema(...)``."""
    from django_api_orm.bridge import run_sync

    if _is_url(source):
        return run_sync(
            lambda: aload_schema(source, service=service),
            hint="await aload_schema(...)",
        )
    return check_openapi(_read_file(source), source)


async def aload_schema(source: str, *, service: str = "default") -> dict[str, Any]:
    """The async twin of ``load_schema()``."""
    if _is_url(source):
        return check_openapi(await _fetch(source, service), source)
    return check_openapi(_read_file(source), source)


def _is_url(source: str) -> bool:
    """Tell whether ``source`` names a URL (else a file): ``http(s)://``, or a path
    that is no existing file and does not look like one (``schema/``)."""
    path = Path(source)
    if urlsplit(source).scheme in ("http", "https"):
        return True
    if path.is_file():
        return False
    return not (path.is_absolute() or source.startswith(".") or path.suffix in _FILE_SUFFIXES)


def _read_file(source: str) -> Any:
    path = Path(source)
    if not path.is_file():
        raise SchemaError(f"{source}: no such file.")
    return _parse(path.read_text(encoding="utf-8"), source)


def check_openapi(data: Any, source: str) -> dict[str, Any]:
    """Return ``data`` if it is an OpenAPI 3 document; else raise ``SchemaError``."""
    if not isinstance(data, dict):
        raise SchemaError(f"{source}: not an OpenAPI document (a {type(data).__name__}).")
    version = str(data.get("openapi", ""))
    if not version.startswith("3."):
        found = f"openapi: {version!r}" if version else "no 'openapi' key"
        if "swagger" in data:
            found = f"swagger: {data['swagger']!r} (OpenAPI 2)"
        raise SchemaError(f"{source}: not an OpenAPI 3 document ({found}).")
    return data


def _parse(text: str, source: str) -> Any:
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            return json.loads(text)
        except ValueError as error:
            raise SchemaError(f"{source}: not valid JSON ({error}).") from error
    try:
        import yaml
    except ImportError as error:
        raise SchemaError(
            f"{source} is not JSON; reading YAML needs PyYAML: pip install pyyaml"
        ) from error
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise SchemaError(f"{source}: neither JSON nor valid YAML ({error}).") from error


async def _fetch(url: str, service: str) -> Any:
    from django_api_orm import conf
    from django_api_orm.client import AsyncServiceClient
    from django_api_orm.exceptions import APIError, InvalidResponseError
    from django_api_orm.services import services

    config = conf.get_config(service)
    try:
        if urlsplit(url).netloc in ("", urlsplit(config.base_url).netloc):
            # The service's client, with its credentials.
            return (await services[service].get(url)).data
        # Another origin: no credentials of the service travel there.
        async with AsyncServiceClient(url, max_retries=0) as client:
            return (await client.get(url)).data
    except InvalidResponseError as error:
        raise SchemaError(
            f"{url}: the answer is not a JSON schema ({error}). Save the schema to a file "
            "(JSON or YAML) and pass its path."
        ) from error
    except (APIError, OSError, ValueError) as error:
        raise SchemaError(f"{url}: the schema could not be fetched: {error}") from error
