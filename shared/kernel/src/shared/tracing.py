"""OpenTelemetry tracing: off unless configured, then one trace per user action across
HTTP (FastAPI, httpx, aiohttp), MongoDB and RabbitMQ.

Configured by the standard variables: tracing is on when `OTEL_EXPORTER_OTLP_ENDPOINT` or
`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set, or `OTEL_TRACES_EXPORTER` is `otlp` or
`console`; `OTEL_SDK_DISABLED=true` turns it off whatever else is set. Spans go over OTLP/HTTP
in JSON (`OTEL_EXPORTER_OTLP_*` as the SDK reads them); `OTEL_SERVICE_NAME` and
`OTEL_RESOURCE_ATTRIBUTES` name the process. When off, nothing is instrumented: no
request, query or message does any tracing work.

The outbox keeps the trace context of the write with each event (`trace_context`), and the
relay publishes it inside that context (`continued`), so the consumers' spans join the trace
of the request that caused the event.
"""

import logging
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI
from opentelemetry import context, propagate, trace
from opentelemetry.instrumentation.aio_pika import AioPikaInstrumentor
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.pymongo import PymongoInstrumentor
from opentelemetry.instrumentation.utils import is_instrumentation_enabled, suppress_instrumentation
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SpanExporter,
)
from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)

# Set on the server span of each request and on each event handler's span: which process it was.
SERVICE_ATTRIBUTE = "copost.service"
# Probes, scrapes and polls are not worth a trace; a live stream would be one span for hours.
UNTRACED_PATHS = frozenset(
    {
        "/healthz",
        "/readyz",
        "/metrics",
        "/internal/deleted-users",
        "/.well-known/jwks.json",
        "/v1/notifications/stream",
    }
)

tracer = trace.get_tracer("copost")
_state: dict[str, bool] = {"enabled": False}


def tracing_enabled() -> bool:
    return _state["enabled"]


def tracing_requested(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether the standard OTEL_* variables ask for traces to be exported."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    if environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or environ.get(
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
    ):
        return environ.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower() != "none"
    return environ.get("OTEL_TRACES_EXPORTER", "").strip().lower() in ("otlp", "console")


def configure_tracing(service_name: str) -> bool:
    """Start exporting traces if the environment asks for it (once per process)."""
    if tracing_enabled() or not tracing_requested():
        return tracing_enabled()
    name = os.environ.get("OTEL_SERVICE_NAME") or service_name
    resource = Resource.create({SERVICE_NAME: name})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(_exporter()))
    enable_tracing(provider)
    log.info("tracing enabled")
    return True


def _exporter() -> SpanExporter:
    if os.environ.get("OTEL_TRACES_EXPORTER", "").strip().lower() == "console":
        return ConsoleSpanExporter()
    from opentelemetry.exporter.otlp.json.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()


def enable_tracing(provider: TracerProvider) -> None:
    """Use `provider` and instrument the libraries (before any client is created: the MongoDB
    client takes its command listeners when it is built)."""
    trace.set_tracer_provider(provider)
    for instrumentor in _library_instrumentors():
        instrumentor.instrument(tracer_provider=provider)
    _state["enabled"] = True


def disable_tracing() -> None:
    """Stop instrumenting (tests that enabled tracing restore the default this way)."""
    for instrumentor in _library_instrumentors():
        instrumentor.uninstrument()
    _state["enabled"] = False


def _library_instrumentors() -> list[Any]:
    instrumentors: list[Any] = [
        PymongoInstrumentor(),
        HTTPXClientInstrumentor(),
        AioPikaInstrumentor(),
    ]
    try:  # Only the gateway has aiohttp (its proxy).
        from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor
    except ImportError:
        return instrumentors
    return [*instrumentors, AioHttpClientInstrumentor()]


def instrument_app(app: FastAPI, service_name: str) -> None:
    """Trace every request `app` serves (a no-op when tracing is off)."""
    if not tracing_enabled():
        return

    def name_service(span: trace.Span, _scope: dict[str, Any]) -> None:
        if span.is_recording():
            span.set_attribute(SERVICE_ATTRIBUTE, service_name)

    app.add_middleware(UntracedPathsMiddleware)
    FastAPIInstrumentor.instrument_app(
        app,
        server_request_hook=name_service,
        excluded_urls=",".join(re.escape(path) for path in UNTRACED_PATHS),
        # One span per request, not one more per ASGI message sent or received.
        exclude_spans=["receive", "send"],
    )


class UntracedPathsMiddleware:
    """No span at all while serving an untraced path: neither the request's nor its queries'."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in UNTRACED_PATHS:
            with untraced():
                await self._app(scope, receive, send)
            return
        await self._app(scope, receive, send)


def trace_context() -> dict[str, str]:
    """The current trace context as W3C headers (`traceparent`), to store with an event."""
    carrier: dict[str, str] = {}
    if tracing_enabled():
        propagate.inject(carrier)
    return carrier


@contextmanager
def continued(carrier: Mapping[str, str] | None) -> Iterator[None]:
    """Run the block inside the trace context stored in `carrier` (if any), whatever the
    current one is: the relay's sweep is untraced, the events it publishes are not."""
    if not carrier or not tracing_enabled():
        yield
        return
    token = context.attach(propagate.extract(carrier, context=context.Context()))
    try:
        yield
    finally:
        context.detach(token)


@contextmanager
def traced(name: str, attributes: Mapping[str, str]) -> Iterator[None]:
    """A span around the block, a child of the current one (nothing when tracing is off)."""
    if not tracing_enabled() or not is_instrumentation_enabled():
        yield
        return
    with tracer.start_as_current_span(name, attributes=attributes):
        yield


@contextmanager
def untraced() -> Iterator[None]:
    """No spans in the block: background passes and polls would make a trace each, every few
    seconds, and drown the traces of what users do."""
    if not tracing_enabled():
        yield
        return
    with suppress_instrumentation():
        yield


def current_trace_id() -> str | None:
    """The id of the sampled trace the current work belongs to, for metric exemplars."""
    if not tracing_enabled():
        return None
    span_context = trace.get_current_span().get_span_context()
    if not span_context.is_valid or not span_context.trace_flags.sampled:
        return None
    return trace.format_trace_id(span_context.trace_id)


def exemplar() -> dict[str, str] | None:
    trace_id = current_trace_id()
    return None if trace_id is None else {"trace_id": trace_id}
