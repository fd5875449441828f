"""Operator tool for parked remote hosts (failing for longer than `DELIVERY_GIVE_UP_SECONDS`):
see what is held for them, send it again.

    python -m federation.delivery.parked count
    python -m federation.delivery.parked redrive [--host HOST]

Redriving forgets a parked host's failures, so the next sweep (`DELIVERY_SWEEP_SECONDS`)
attempts its held deliveries afresh, oldest first; a host still down is backed off and, failing
past the bound again, parked again. Like `shared.dead_letters`, nothing is republished: the
held deliveries are the ones that were requested. Run it with the service's MONGO_URL.
"""

import argparse
import asyncio

from federation.delivery.repository import HeldDeliveries, RemoteHosts
from federation.settings import FederationSettings
from shared.mongo import Database, create_mongo_client


async def count_parked(db: Database) -> dict[str, int]:
    """Each parked host, with how many deliveries are held for it."""
    held = HeldDeliveries(db)
    return {host: await held.count(host) for host in await RemoteHosts(db).parked()}


async def redrive_parked(db: Database, host: str | None = None) -> list[str]:
    """Un-parks `host` (every parked host, by default); the hosts un-parked."""
    hosts = RemoteHosts(db)
    parked = await hosts.parked()
    chosen = [each for each in parked if host is None or each == host]
    for each in chosen:
        await hosts.recovered(each)
    return chosen


async def _run(action: str, host: str | None) -> None:
    settings = FederationSettings()
    client = create_mongo_client(settings)
    try:
        db = client[settings.database_name]
        if action == "count":
            for parked, held in (await count_parked(db)).items():
                print(f"{parked}\t{held}")
        else:
            print(f"redriven: {' '.join(await redrive_parked(db, host)) or 'none'}")
    finally:
        await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("action", choices=["count", "redrive"])
    parser.add_argument("--host", default=None, help="redrive only this host (host[:port])")
    args = parser.parse_args()
    asyncio.run(_run(args.action, args.host))


if __name__ == "__main__":
    main()
