"""Which events a service handles, and by what: `subscriptions.on(PostPublished, handler)`.

A handler receives the delivery: the event, typed by the class it is registered for (so mypy
checks that the handler takes that event), and the event's id, the same on every redelivery
(for a handler whose own writes are keyed by it).

An event may have several handlers (a read model of shared/ and the service's own). One that
needs another's effect first says so,

    subscriptions.on(UserDeleted, account_deleted, after=directory.user_deleted)

and runs after it whatever the order of registration; handlers with nothing declared between
them run in the order they were registered. An order that cannot be met (a cycle, or `after` a
handler not subscribed to that event) is refused by `check()`, which the bus calls before it
consumes: the service does not start. The bus records the event as handled once all have run.
Handlers must be idempotent: a failure in any of them redelivers the event to all.

A handler whose effect is one conditional write to one document says so,

    subscriptions.on(PostReplied, engagement.post_replied, single_write=True)

and makes that write with `shared.idempotency.write_once(..., delivery.event_id, ...)`, which
keeps the event's id in the document it writes (a second write in the same delivery, or a
`write_once` outside such a handler, raises). An event whose handlers are all single-write
is then consumed without the processed-event log (`needs_processed_log(event)`).

A handler whose effect is keyed by the event itself, so that running it again at any later
time (after any other event) changes nothing, says so with `replay_safe=True`: e.g. an insert
under an id derived from the event's id, which a redelivery fails. It is consumed without the
log like a single-write handler; it must then cope with a redelivery on its own.

A handler that only concerns some events of its class says which, with a pure predicate on
the event (the same answer on every redelivery):

    subscriptions.on(UserFollowed, followees.user_followed, when=local_follows_remote)

It is not run for the others; an event that concerns none of a service's handlers is
acknowledged without touching the database (no processed-event check or record).
"""

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from uuid import UUID

from shared.events import EventData
from shared.idempotency import single_write_delivery


@dataclass(frozen=True, slots=True)
class Delivery[E: EventData]:
    """One event handed to a handler: the event and its id."""

    event: E
    event_id: UUID


type Handler[E: EventData] = Callable[[Delivery[E]], Awaitable[None]]


class UnsatisfiableOrder(ValueError):
    """The handlers of an event declare an order no sequence of them can follow."""


@dataclass(frozen=True, slots=True)
class _Registration:
    # The handler as registered: what another registration's `after` names.
    handler: Callable[..., Awaitable[None]]
    after: tuple[Callable[..., Awaitable[None]], ...]
    run: Callable[[UUID, EventData], Awaitable[None]]
    # The handler's effect needs no processed-event log: single-write or replay-safe.
    keeps_own_ids: bool
    concerns: Callable[[EventData], bool]


class Subscriptions:
    def __init__(self) -> None:
        self._registrations: dict[str, list[_Registration]] = {}
        self._ordered: dict[str, list[_Registration]] | None = None

    def on[E: EventData](
        self,
        event: type[E],
        handler: Handler[E],
        *,
        after: Handler[E] | Sequence[Handler[E]] = (),
        single_write: bool = False,
        replay_safe: bool = False,
        when: Callable[[E], bool] | None = None,
    ) -> None:
        """Run `handler` for each `event` (for which `when` holds, if given); after the
        handlers named in `after`, if any.

        `single_write`: its effect is at most one `write_once`; `replay_safe`: running it
        again later changes nothing (see the module's docstring)."""

        def concerns(data: EventData) -> bool:
            return when is None or (isinstance(data, event) and when(data))

        async def run(event_id: UUID, data: EventData) -> None:
            if not isinstance(data, event):
                raise TypeError(f"{event.event_type} was delivered as {type(data).__name__}")
            if not single_write:
                await handler(Delivery(data, event_id))
                return
            with single_write_delivery():
                await handler(Delivery(data, event_id))

        dependencies = (after,) if callable(after) else tuple(after)
        registration = _Registration(
            handler, dependencies, run, single_write or replay_safe, concerns
        )
        self._add(event.event_type, [registration])

    def on_each[E: EventData](self, events: Iterable[type[E]], handler: Handler[E]) -> None:
        for event in events:
            self.on(event, handler)

    def include(self, other: "Subscriptions") -> None:
        """Add another set's handlers (e.g. a read model's or a capability's)."""
        for event_type, registrations in other._registrations.items():
            self._add(event_type, registrations)

    def _add(self, event_type: str, registrations: Sequence[_Registration]) -> None:
        self._registrations.setdefault(event_type, []).extend(registrations)
        self._ordered = None

    @property
    def event_types(self) -> list[str]:
        return list(self._registrations)

    def handles(self, event_type: str) -> bool:
        return event_type in self._registrations

    def concerns(self, data: EventData) -> bool:
        """Whether any handler takes this event (its `when`, if any, holds for it)."""
        return any(r.concerns(data) for r in self._registrations.get(data.event_type, ()))

    def needs_processed_log(self, data: EventData) -> bool:
        """Whether the bus must check and record the event's id: unless the handlers it
        concerns are all single-write or replay-safe (a redelivery changes nothing without
        the log), or it concerns none."""
        registrations = self._registrations.get(data.event_type, ())
        return any(r.concerns(data) and not r.keeps_own_ids for r in registrations)

    def check(self) -> None:
        """Raise UnsatisfiableOrder unless every event's handlers can run in the declared order."""
        if self._ordered is None:
            self._ordered = {
                event_type: _in_declared_order(event_type, registrations)
                for event_type, registrations in self._registrations.items()
            }

    def handlers_of(self, event_type: str) -> list[Callable[..., Awaitable[None]]]:
        """The handlers of an event type, in the order they run."""
        self.check()
        assert self._ordered is not None
        return [registration.handler for registration in self._ordered.get(event_type, ())]

    async def deliver(self, event_id: UUID, data: EventData) -> None:
        self.check()
        assert self._ordered is not None
        for registration in self._ordered.get(data.event_type, ()):
            if registration.concerns(data):
                await registration.run(event_id, data)


def _in_declared_order(event_type: str, registrations: list[_Registration]) -> list[_Registration]:
    """Each registration after those it names; otherwise in registration order."""
    handlers = [registration.handler for registration in registrations]
    for registration in registrations:
        for dependency in registration.after:
            if dependency not in handlers:
                raise UnsatisfiableOrder(
                    f"{_name(registration.handler)} handles {event_type} after "
                    f"{_name(dependency)}, which does not handle it"
                )
    ordered: list[_Registration] = []
    waiting = list(registrations)
    while waiting:
        ran = [done.handler for done in ordered]
        ready = next((r for r in waiting if all(d in ran for d in r.after)), None)
        if ready is None:
            names = ", ".join(_name(r.handler) for r in waiting)
            raise UnsatisfiableOrder(f"the handlers of {event_type} wait on each other: {names}")
        ordered.append(ready)
        waiting.remove(ready)
    return ordered


def _name(handler: Callable[..., Awaitable[None]]) -> str:
    return str(getattr(handler, "__qualname__", handler))
