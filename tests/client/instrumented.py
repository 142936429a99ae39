"""Run requests under Sentry's or OpenTelemetry's real SDK, in a process of their own.

``python -m tests.client.instrumented MODE BASE_URL KEY`` makes four logical requests
through the library (an ``ok``, one retried twice after 503s, a 404, and one through
``services``) and prints, as JSON, what the SDK recorded: the HTTP client spans'
URLs and statuses, and the tracing headers the server received. MODE is ``sentry``,
``otel-global`` (``HTTPXClientInstrumentor().instrument()``), ``otel-client``
(``instrument_client()`` on the client's ``httpx_client``) or ``otel-transport``
(``AsyncOpenTelemetryTransport`` through the ``TRANSPORT`` setting). The SDKs patch
httpx process-wide, hence a process of their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from typing import Any

import django
import httpx
from django.conf import settings

MODES = ("sentry", "otel-global", "otel-client", "otel-transport", "none")


def otel_transport(default: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
    """The TRANSPORT factory of ``otel-transport``: OpenTelemetry's wrapping transport."""
    from opentelemetry.instrumentation.httpx import AsyncOpenTelemetryTransport

    return AsyncOpenTelemetryTransport(default)


async def make_requests(base_url: str, key: str, mode: str) -> list[dict[str, Any]]:
    from django_api_orm import AsyncServiceClient
    from django_api_orm.exceptions import NotFoundError
    from django_api_orm.services import services

    echoed: list[dict[str, Any]] = []
    transport = otel_transport if mode == "otel-transport" else None
    client = AsyncServiceClient(base_url, retry_delay=0, transport=transport)
    if mode == "otel-client":
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

        HTTPXClientInstrumentor.instrument_client(client.httpx_client)
    async with client:
        echoed.append((await client.get("echo")).data["headers"])
        await client.get(f"flaky/{key}", params={"fail": "2", "status": "503"})
        with contextlib.suppress(NotFoundError):
            await client.get("status/404")
    service = services["default"]
    if mode == "otel-client":
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

        HTTPXClientInstrumentor.instrument_client(service.httpx_client)
    echoed.append((await service.get("echo")).data["headers"])
    await services.aclose_all()
    return echoed


def run(mode: str, base_url: str, key: str) -> dict[str, Any]:
    services: dict[str, Any] = {"BASE_URL": base_url}
    if mode == "otel-transport":
        services["TRANSPORT"] = "tests.client.instrumented.otel_transport"
    settings.configure(
        INSTALLED_APPS=["django_api_orm"],
        API_ORM_SERVICES={"default": services},
        USE_TZ=True,
    )
    django.setup()
    spans: list[dict[str, Any]] = []
    if mode == "sentry":
        import sentry_sdk
        from sentry_sdk.integrations.httpx import HttpxIntegration
        from sentry_sdk.transport import Transport

        class Collect(Transport):
            def capture_envelope(self, envelope: Any) -> None:
                for item in envelope.items:
                    if item.type == "transaction":
                        payload = item.payload.json
                        spans.extend(
                            {
                                "url": s["data"].get("url"),
                                "status": s["data"].get("http.response.status_code"),
                            }
                            for s in payload["spans"]
                            if s["op"] == "http.client"
                        )

        sentry_sdk.init(
            dsn="https://public@sentry.invalid/1",
            transport=Collect,
            default_integrations=False,
            integrations=[HttpxIntegration()],
            traces_sample_rate=1.0,
        )
        with sentry_sdk.start_transaction(name="page"):
            echoed = asyncio.run(make_requests(base_url, key, mode))
        sentry_sdk.flush()
    elif mode.startswith("otel"):
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
        if mode == "otel-global":
            from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

            HTTPXClientInstrumentor().instrument()
        tracer = trace.get_tracer("tests")
        with tracer.start_as_current_span("page"):
            echoed = asyncio.run(make_requests(base_url, key, mode))
        for span in exporter.get_finished_spans():
            if span.kind == trace.SpanKind.CLIENT:
                attributes = dict(span.attributes or {})
                spans.append(
                    {
                        "url": attributes.get("url.full", attributes.get("http.url")),
                        "status": attributes.get(
                            "http.response.status_code", attributes.get("http.status_code")
                        ),
                    }
                )
    else:
        echoed = asyncio.run(make_requests(base_url, key, mode))
    return {"spans": spans, "echoed": echoed}


if __name__ == "__main__":
    mode, base_url, key = sys.argv[1:4]
    if mode not in MODES:
        raise SystemExit(f"MODE must be one of {MODES}")
    print(json.dumps(run(mode, base_url, key)))
