"""Operator tool for a service's dead-letter queue: count what is parked, say what it is, send
it back.

    python -m shared.dead_letters count users
    python -m shared.dead_letters list users [--limit N]      (a JSON object a line)
    python -m shared.dead_letters redrive users [--limit N]

Redriving rejects each parked message, and RabbitMQ moves it back to the service's own queue
(the dead-letter queue dead-letters there), retries afresh: the same message, never
republished, so it keeps the publisher RabbitMQ validated. Run it with the service's
AMQP_URL. Moved by the broker with at-least-once dead-lettering, nothing is lost if it stops
half-way.
"""

import argparse
import asyncio
import json
from dataclasses import asdict, dataclass
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage

from shared.bus import REFUSED_HEADER, EventBus
from shared.settings import ServiceSettings


async def count_dead_letters(settings: ServiceSettings) -> int:
    bus = EventBus(settings)
    connection = await aio_pika.connect(settings.amqp_url.get_secret_value())
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(bus.dead_letter_queue_name, passive=True)
        return queue.declaration_result.message_count or 0


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A parked message as the operator needs it: which event, where it failed, and why.

    `deaths`: RabbitMQ's x-death history, "<reason> in <queue>" with how often (a handler's
    failures are `rejected` in the consumed queues, the waits `expired` in the retry queues).
    `refused`: why the consumer refused it unhandled (a wrong publisher, unreadable), if so."""

    event_id: str
    event_type: str
    first_queue: str
    first_reason: str
    deaths: dict[str, int]
    refused: str | None


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def dead_letter_of(message: AbstractIncomingMessage) -> DeadLetter:
    headers = message.headers
    history = headers.get("x-death")
    deaths = {
        f"{_text(death.get('reason'))} in {_text(death.get('queue'))}": int(str(death["count"]))
        for death in (history if isinstance(history, list) else [])
        if isinstance(death, dict) and "count" in death
    }
    refused = headers.get(REFUSED_HEADER)
    return DeadLetter(
        event_id=message.message_id or "",
        event_type=message.type or "",
        first_queue=_text(headers.get("x-first-death-queue", "")),
        first_reason=_text(headers.get("x-first-death-reason", "")),
        deaths=deaths,
        refused=None if refused is None else _text(refused),
    )


async def list_dead_letters(settings: ServiceSettings, limit: int = 100) -> list[DeadLetter]:
    """The first `limit` parked messages, left where they are.

    Each is taken unacknowledged and returned when the channel closes: on a quorum queue that
    counts as a delivery of it, nothing more."""
    bus = EventBus(settings)
    connection = await aio_pika.connect(settings.amqp_url.get_secret_value())
    found: list[DeadLetter] = []
    async with connection:
        channel = await connection.channel()
        parked = await channel.declare_queue(bus.dead_letter_queue_name, passive=True)
        while len(found) < limit:
            message = await parked.get(fail=False, no_ack=False)
            if message is None:
                break
            found.append(dead_letter_of(message))
    return found


async def redrive_dead_letters(settings: ServiceSettings, limit: int | None = None) -> int:
    """Send up to `limit` parked messages (all those parked now, by default) back to the
    service's queue; returns how many.

    Each is rejected from the dead-letter queue, and RabbitMQ's dead-lettering moves it to the
    service's queue: the very message, with the `user_id` RabbitMQ validated when its publisher
    sent it, so a message parked because the wrong publisher sent it is refused again."""
    bus = EventBus(settings)
    connection = await aio_pika.connect(settings.amqp_url.get_secret_value())
    moved = 0
    async with connection:
        channel = await connection.channel()
        parked = await channel.declare_queue(bus.dead_letter_queue_name, passive=True)
        # Those refused again come back: counted at the start, the loop ends.
        waiting = parked.declaration_result.message_count or 0
        limit = waiting if limit is None else min(limit, waiting)
        while moved < limit:
            message = await parked.get(fail=False, no_ack=False)
            if message is None:
                break
            await message.reject(requeue=False)
            moved += 1
    return moved


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("action", choices=["count", "list", "redrive"])
    parser.add_argument("service", help="the service whose dead-letter queue to use")
    parser.add_argument("--limit", type=int, default=None, help="list or redrive at most this many")
    args = parser.parse_args()
    settings = ServiceSettings(service_name=args.service)
    if args.action == "count":
        print(asyncio.run(count_dead_letters(settings)))
    elif args.action == "list":
        listed = asyncio.run(list_dead_letters(settings, 100 if args.limit is None else args.limit))
        for dead_letter in listed:
            print(json.dumps(asdict(dead_letter)))
    else:
        print(f"redriven: {asyncio.run(redrive_dead_letters(settings, args.limit))}")


if __name__ == "__main__":
    main()
