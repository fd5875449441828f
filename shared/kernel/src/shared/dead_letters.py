"""Operator tool for a service's dead-letter queue: count what is parked, send it back.

    python -m shared.dead_letters count users
    python -m shared.dead_letters redrive users [--limit N]

Redriving rejects each parked message, and RabbitMQ moves it back to the service's own queue
(the dead-letter queue dead-letters there), retries afresh: the same message, never
republished, so it keeps the publisher RabbitMQ validated. Run it with the service's
AMQP_URL. Moved by the broker with at-least-once dead-lettering, nothing is lost if it stops
half-way.
"""

import argparse
import asyncio

import aio_pika

from shared.bus import EventBus
from shared.settings import ServiceSettings


async def count_dead_letters(settings: ServiceSettings) -> int:
    bus = EventBus(settings)
    connection = await aio_pika.connect(settings.amqp_url.get_secret_value())
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(bus.dead_letter_queue_name, passive=True)
        return queue.declaration_result.message_count or 0


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
    parser.add_argument("action", choices=["count", "redrive"])
    parser.add_argument("service", help="the service whose dead-letter queue to use")
    parser.add_argument("--limit", type=int, default=None, help="redrive at most this many")
    args = parser.parse_args()
    settings = ServiceSettings(service_name=args.service)
    if args.action == "count":
        print(asyncio.run(count_dead_letters(settings)))
    else:
        print(f"redriven: {asyncio.run(redrive_dead_letters(settings, args.limit))}")


if __name__ == "__main__":
    main()
