"""Operator tool for domain blocks: block a remote domain (and its subdomains), lift a block,
list them. Every replica of the service takes a change within `DOMAIN_BLOCKS_REFRESH_SECONDS`,
without a restart.

    python -m federation.domain_blocks.admin list
    python -m federation.domain_blocks.admin block spam.example [--reason "spam wave"]
    python -m federation.domain_blocks.admin unblock spam.example

Blocks named in `FEDERATION_BLOCKED_DOMAINS` are the deployment's: listed here, lifted only by
changing that setting. Run it with the service's MONGO_URL, like `federation.delivery.parked`.
"""

import argparse
import asyncio
import re

from federation.domain_blocks.repository import DomainBlockList
from federation.settings import FederationSettings
from shared.clock import utc_now
from shared.mongo import Database, create_mongo_client

# A host name (or IPv4 address): labels of letters, digits and hyphens, dot-separated.
DOMAIN = re.compile(
    r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\Z"
)


def domain_named(value: str) -> str:
    """The domain as blocks are kept (lower case, no trailing dot); ValueError for a URL,
    a handle or anything else that is not a host name."""
    domain = value.strip().lower().rstrip(".")
    if not DOMAIN.match(domain):
        raise ValueError(f"{value!r} is not a domain name (spam.example)")
    return domain


async def block_domain(db: Database, value: str, reason: str | None = None) -> bool:
    """Blocks the domain; False when it was blocked already."""
    return await DomainBlockList(db).block(domain_named(value), reason, utc_now())


async def unblock_domain(db: Database, value: str) -> bool:
    """Lifts the operator's block of the domain; False when there was none."""
    return await DomainBlockList(db).unblock(domain_named(value))


async def _run(action: str, domain: str | None, reason: str | None) -> None:
    settings = FederationSettings()
    client = create_mongo_client(settings)
    try:
        db = client[settings.database_name]
        if action == "list":
            for fixed in settings.federation_blocked_domains:
                print(f"{fixed}\t(FEDERATION_BLOCKED_DOMAINS)")
            for block in await DomainBlockList(db).all():
                print(
                    f"{block['_id']}\t{block['blocked_at']:%Y-%m-%d %H:%M}\t{block['reason'] or ''}"
                )
        elif action == "block":
            done = await block_domain(db, domain or "", reason)
            print(f"blocked: {domain}" if done else f"already blocked: {domain}")
        else:
            done = await unblock_domain(db, domain or "")
            print(f"unblocked: {domain}" if done else f"not blocked here: {domain}")
    finally:
        await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("action", choices=["list", "block", "unblock"])
    parser.add_argument("domain", nargs="?", help="the domain to block or unblock")
    parser.add_argument("--reason", default=None, help="why (kept beside the block)")
    args = parser.parse_args()
    if args.action != "list":
        if args.domain is None:
            parser.error(f"{args.action} needs a domain")
        try:
            domain_named(args.domain)
        except ValueError as error:
            parser.error(str(error))
    asyncio.run(_run(args.action, args.domain, args.reason))


if __name__ == "__main__":
    main()
