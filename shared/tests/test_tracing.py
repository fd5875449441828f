"""When tracing is on (the standard OTEL_* variables), and that it costs nothing when off."""

from datetime import UTC, datetime

import pytest
from fastapi import FastAPI

from shared.events import make_event
from shared.events.users import UserFollowed
from shared.outbox import TRACE_FIELD, outbox_entry
from shared.tracing import (
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
