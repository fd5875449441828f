"""Operator tool for a service's dead-letter queue: count what is parked, send it back.

    python -m shared.dead_letters count users
    python -m shared.dead_letters redrive users [--limit N]

Redriving republishes each parked message to the service's own queue with its retry count
reset (as the service's own broker user: run it with the service's AMQP_URL), then
acknowledges it from the dead-letter queue, so nothing is lost if it stops
half-way (at worst a message is handled twice, which consumers tolerate).
"""

import argparse
import asyncio

import aio_pika

from shared.bus import ATTEMPT_HEADER, EventBus
from shared.settings import ServiceSettings


async def count_dead_letters(settings: ServiceSettings) -> int:
    bus = EventBus(settings)
    connection = await aio_pika.connect(settings.amqp_url.get_secret_value())
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(bus.dead_letter_queue_name, passive=True)
        return queue.declaration_result.message_count or 0


async def redrive_dead_letters(settings: ServiceSettings, limit: int | None = None) -> int:
    """Move up to `limit` parked messages back to the service's queue; returns how many."""
    bus = EventBus(settings)
    connection = await aio_pika.connect(settings.amqp_url.get_secret_value())
    moved = 0
    async with connection:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        parked = await channel.declare_queue(bus.dead_letter_queue_name, passive=True)
        while limit is None or moved < limit:
            message = await parked.get(fail=False, no_ack=False)
            if message is None:
                break
            headers = {k: v for k, v in message.headers.items() if k != ATTEMPT_HEADER}
            # Sent as this service's own broker user, the original publisher kept: an event
            # parked because a wrong publisher sent it is refused again, not let through.
            retry = bus.republished(message, headers)
            await channel.default_exchange.publish(retry, routing_key=bus.queue_name)
            await message.ack()
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
