"""Sentry's and OpenTelemetry's httpx integrations see every request the library makes.

Each SDK runs for real in a process of its own (``tests/client/instrumented.py``):
they patch httpx process-wide. The requests: an ``ok`` on a client built by hand,
one answered 503, 503, 200 (three attempts), a 404, and one through ``services``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def instrumented(mode: str, base_url: str, key: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run(
        [sys.executable, "-m", "tests.client.instrumented", mode, base_url, key],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def every_attempt(key: str) -> list[tuple[str, int]]:
    return [
        ("echo", 200),
        ("echo", 200),
        (f"flaky/{key}", 200),
        (f"flaky/{key}", 503),
        (f"flaky/{key}", 503),
        ("status/404", 404),
    ]


def paths(spans: list[dict[str, Any]], base_url: str) -> list[tuple[str, int]]:
    return sorted((s["url"].removeprefix(base_url).split("?")[0], s["status"]) for s in spans)


def test_sentry_sees_every_request(fault_server: str, key: str) -> None:
    """One http.client span per attempt (Sentry wraps httpx's send), and its trace headers."""
    result = instrumented("sentry", fault_server, key)
    assert paths(result["spans"], fault_server) == every_attempt(key)
    for headers in result["echoed"]:
        assert "sentry-trace" in headers
        assert "baggage" in headers


@pytest.mark.parametrize("mode", ["otel-global", "otel-client", "otel-transport"])
def test_opentelemetry_sees_every_attempt(mode: str, fault_server: str, key: str) -> None:
    """One CLIENT span per attempt, in each of OpenTelemetry's forms, and traceparent sent."""
    result = instrumented(mode, fault_server, key)
    assert paths(result["spans"], fault_server) == every_attempt(key)
    for headers in result["echoed"]:
        assert headers["traceparent"].startswith("00-")


def test_without_an_sdk_nothing_is_added(fault_server: str, key: str) -> None:
    """The control: the same requests send no tracing header."""
    result = instrumented("none", fault_server, key)
    assert result["spans"] == []
    for headers in result["echoed"]:
        assert "traceparent" not in headers
        assert "sentry-trace" not in headers
