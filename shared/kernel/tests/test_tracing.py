"""When tracing is on (the standard OTEL_* variables), and that it costs nothing when off."""

import asyncio
import json
import os
import sys
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from opentelemetry.instrumentation.utils import is_instrumentation_enabled

from shared import tracing
from shared.events import make_event
from shared.events.users import UserFollowed
from shared.outbox import TRACE_FIELD, outbox_entry
from shared.testing import served_over_http
from shared.tracing import (
    UntracedPathsMiddleware,
    current_trace_id,
    instrument_app,
    trace_context,
    tracing_enabled,
    tracing_requested,
)


@pytest.mark.parametrize(
    ("environment", "requested"),
    [
        ({}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, True),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, True),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": ""}, False),
        ({"OTEL_TRACES_EXPORTER": "console"}, True),
        ({"OTEL_TRACES_EXPORTER": "otlp"}, True),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_EXPORTER": "none"}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SDK_DISABLED": "true"}, False),
        ({"OTEL_TRACES_EXPORTER": "console", "OTEL_SDK_DISABLED": "TRUE"}, False),
    ],
)
def test_tracing_is_requested_by_an_endpoint_or_an_exporter(
    environment: dict[str, str], requested: bool
) -> None:
    assert tracing_requested(environment) is requested


def test_when_off_nothing_is_instrumented_nor_stored() -> None:
    assert not tracing_enabled()
    app = FastAPI()
    instrument_app(app, "test")
    assert not getattr(app, "_is_instrumented_by_opentelemetry", False)
    assert trace_context() == {}
    assert current_trace_id() is None
    data = UserFollowed(follower_id="a", followee_id="b", followed_at=datetime.now(UTC))
    event = make_event(data, producer="test")
    assert TRACE_FIELD not in outbox_entry(event)


EXPORTING_PROCESS = """
from opentelemetry import trace
from shared.tracing import configure_tracing, traced

assert configure_tracing("probe")
with traced("probe work", {"copost.service": "probe"}):
    pass
trace.get_tracer_provider().shutdown()  # flushes the batch
"""


async def test_a_process_given_an_otlp_endpoint_exports_its_spans_there() -> None:
    received: list[dict[str, Any]] = []
    collector = FastAPI()

    @collector.post("/v1/traces")
    async def traces(request: Request) -> dict[str, str]:
        received.append(json.loads(await request.body()))
        return {}

    async with served_over_http(collector) as url:
        environment = {**os.environ, "OTEL_EXPORTER_OTLP_ENDPOINT": url}
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", EXPORTING_PROCESS, env=environment
        )
        assert await process.wait() == 0
    [export] = received
    [resource_spans] = export["resourceSpans"]
    attributes = {a["key"]: a["value"] for a in resource_spans["resource"]["attributes"]}
    assert attributes["service.name"] == {"stringValue": "probe"}
    [scope_spans] = resource_spans["scopeSpans"]
    assert [span["name"] for span in scope_spans["spans"]] == ["probe work"]


async def test_probes_scrapes_and_polls_are_served_with_every_instrumentation_quiet(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(tracing._state, "enabled", True)
    seen: dict[str, bool] = {}
    app = FastAPI()

    @app.get("/metrics")
    @app.get("/v1/posts")
    async def record(request: Request) -> dict[str, str]:
        seen[request.url.path] = is_instrumentation_enabled()
        return {}

    wrapped = UntracedPathsMiddleware(app)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=wrapped), base_url="http://test"
    ) as client:
        await client.get("/metrics")
        await client.get("/v1/posts")
    assert seen == {"/metrics": False, "/v1/posts": True}
