"""The envelope every event travels in, and the base of every event's data."""

from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field


class EventData(BaseModel):
    """The payload of one event type; frozen, named in the past tense, unknown fields ignored.

    A subclass that sets `event_type` is an event: defining it registers it in EVENT_TYPES.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_type: ClassVar[str]
    major_version: ClassVar[int] = 1
    minor_version: ClassVar[int] = 0

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if "event_type" not in cls.__dict__:
            return  # a base shared by several events (RemixEvent), or a part of one
        if cls.event_type in EVENT_TYPES:
            raise TypeError(f"two event classes for {cls.event_type!r}")
        EVENT_TYPES[cls.event_type] = cls


EVENT_TYPES: dict[str, type[EventData]] = {}
"""Every event class by its type, filled as the event modules are imported."""


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
