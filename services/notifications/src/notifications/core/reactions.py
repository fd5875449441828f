"""How events become notifications: a rule per event class, typed by it, and subscribed as such.

Each capability lists its rules (`REACTIONS` in its rules module); the service's handlers
subscribe every rule to its event, so each handler takes the delivery of that one class.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from notifications.core.rules import Reaction
from shared.events import EventData
from shared.subscriptions import Delivery, Subscriptions

type ApplyReaction = Callable[[UUID, Reaction], Awaitable[None]]


class Reacting(Protocol):
    """A reaction rule, whatever event class it is for."""

    def reaction_to(self, data: EventData) -> Reaction | None: ...

    def subscribe(self, subscriptions: Subscriptions, apply: ApplyReaction) -> None: ...


@dataclass(frozen=True, slots=True)
class ReactionRule[E: EventData]:
    event: type[E]
    react: Callable[[E], Reaction]
    # Its reaction is notifications only, each keyed by the event (a deterministic id), so a
    # redelivery fails its insert and changes nothing: no processed-event log (see
    # `NotificationCommands.apply`).
    replay_safe: bool = False

    def reaction_to(self, data: EventData) -> Reaction | None:
        """What the event does, if it is of this rule's class; nobody is ever notified of
        their own action."""
        if not isinstance(data, self.event):
            return None
        reaction = self.react(data)
        return Reaction(
            withdrawals=reaction.withdrawals,
            notifications=tuple(n for n in reaction.notifications if n.recipient_id != n.actor_id),
        )

    def subscribe(self, subscriptions: Subscriptions, apply: ApplyReaction) -> None:
        """Apply the reaction to each delivered event (its notifications' ids derive from the
        event's id)."""

        async def react(delivery: Delivery[E]) -> None:
            reaction = self.reaction_to(delivery.event)
            if reaction is not None:
                await apply(delivery.event_id, reaction)

        subscriptions.on(self.event, react, replay_safe=self.replay_safe)
