"""Event schemas of every producer, the registry of their types, and (de)serialisation."""

from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from shared.events import federation, invitations, media, posts, users  # noqa: F401  (their classes register)
from shared.events.envelope import EVENT_TYPES, EventData, EventEnvelope, UnknownEventVersion

# The one service allowed to publish each family of event types (DESIGN.md's table): the
# broker lets it alone write these routing keys, and consumers check who published.
PRODUCING_SERVICES = {
    "user": "users",
    "post": "posts",
    "invitation": "invitations",
    "media": "media",
    "federation": "federation",
}


def producing_service(event_type: str) -> str | None:
    return PRODUCING_SERVICES.get(event_type.split(".", 1)[0])


def make_event(
    data: EventData, *, producer: str, correlation_id: str | None = None
) -> EventEnvelope:
    return EventEnvelope(
        type=data.event_type,
        version=f"{data.major_version}.{data.minor_version}",
        occurred_at=datetime.now(UTC),
        producer=producer,
        correlation_id=correlation_id,
        data=data.model_dump(mode="json"),
    )


def parse_event_data(envelope: EventEnvelope) -> EventData:
    """The typed payload; raises UnknownEventVersion or ValidationError for what cannot be read."""
    model = EVENT_TYPES.get(envelope.type)
    if model is None:
        raise UnknownEventVersion(f"unknown event type {envelope.type!r}")
    if envelope.major_version != model.major_version:
        raise UnknownEventVersion(
            f"{envelope.type} version {envelope.version} is not major {model.major_version}"
        )
    return model.model_validate(envelope.data)


def decode_envelope(body: bytes | str | dict[str, Any]) -> EventEnvelope:
    if isinstance(body, dict):
        return EventEnvelope.model_validate(body)
    return EventEnvelope.model_validate_json(body)


__all__ = [
    "EVENT_TYPES",
    "PRODUCING_SERVICES",
    "EventData",
    "EventEnvelope",
    "UnknownEventVersion",
    "ValidationError",
    "decode_envelope",
    "make_event",
    "parse_event_data",
    "producing_service",
]
