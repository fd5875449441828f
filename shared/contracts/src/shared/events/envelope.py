"""The envelope every event travels in, and the base of every event's data."""

from datetime import UTC, datetime
from typing import Any, ClassVar
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field


class EventData(BaseModel):
    """The payload of one event type; frozen, named in the past tense, unknown fields ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_type: ClassVar[str]
    major_version: ClassVar[int] = 1
    minor_version: ClassVar[int] = 0


class EventEnvelope(BaseModel):
    """What goes on the wire. Consumers accept unknown fields for forward compatibility."""

    model_config = ConfigDict(frozen=True, extra="allow")

    id: UUID = Field(default_factory=uuid4)
    type: str
    version: str
    occurred_at: datetime
    producer: str
    correlation_id: str | None = None
    data: dict[str, Any]

    @property
    def major_version(self) -> int:
        return int(self.version.split(".", 1)[0])


class UnknownEventVersion(ValueError):
    """A major version this consumer was not written for: it goes to the dead-letter queue."""


def utc_now() -> datetime:
    return datetime.now(UTC)
