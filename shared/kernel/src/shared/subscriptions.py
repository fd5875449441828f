"""Which events a service handles, and by what: `subscriptions.on(PostPublished, handler)`.

Registering names the event class, so mypy checks that the handler takes that event. An event
may have several handlers (a read model of shared/ and the service's own); they run in the
order they were registered, and the bus records the event as handled once all have run.
Handlers must be idempotent: a failure in any of them redelivers the event to all.
"""

from collections.abc import Awaitable, Callable, Iterable
from contextvars import ContextVar
from typing import Any
from uuid import UUID

from shared.events import EventData

type Handler[E: EventData] = Callable[[E], Awaitable[None]]

_delivered_event_id: ContextVar[UUID] = ContextVar("delivered_event_id")


def delivered_event_id() -> UUID:
    """The id of the event being handled, for a handler whose own writes are keyed by it."""
    return _delivered_event_id.get()


class Subscriptions:
    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler[Any]]] = {}

    def on[E: EventData](self, event: type[E], handler: Handler[E]) -> None:
        self._handlers.setdefault(event.event_type, []).append(handler)

    def on_each[E: EventData](self, events: Iterable[type[E]], handler: Handler[E]) -> None:
        for event in events:
            self.on(event, handler)

    def include(self, other: "Subscriptions") -> None:
        """Add another set's handlers (e.g. a read model's) after the ones already here."""
        for event_type, handlers in other._handlers.items():
            self._handlers.setdefault(event_type, []).extend(handlers)

    @property
    def event_types(self) -> list[str]:
        return list(self._handlers)

    def handles(self, event_type: str) -> bool:
        return event_type in self._handlers

    async def deliver(self, event_id: UUID, data: EventData) -> None:
        token = _delivered_event_id.set(event_id)
        try:
            for handler in self._handlers.get(data.event_type, ()):
                await handler(data)
        finally:
            _delivered_event_id.reset(token)
