"""The federation service's composition root: each capability's use cases, built once."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends

from federation.accounts.commands import AccountLookup
from federation.accounts.lifecycle import RemoteAccountLifecycle
from federation.coauthoring.commands import CoauthoringCommands
from federation.coauthoring.repository import RemoteInvitations
from federation.consent.queries import ConsentQueries
from federation.core.instance_actor import InstanceActor
from federation.core.keys import ActorKeys
from federation.core.remote import RemoteActors, remote_client
from federation.core.urls import LocalUrls
from federation.delivery.commands import Deliveries
from federation.delivery.repository import HeldDeliveries, RemoteHosts
from federation.delivery.rules import DeliveryPolicy
from federation.discovery.queries import DiscoveryQueries
from federation.domain_blocks.queries import DomainBlocks
from federation.domain_blocks.repository import DomainBlockList
from federation.engagement.commands import EngagementCommands
from federation.engagement.repository import RemoteEngagements
from federation.followees.commands import FolloweeCommands
from federation.followees.repository import RemoteFollowees
from federation.following.commands import FollowingCommands
from federation.following.queries import FollowingQueries
from federation.following.repository import RemoteFollowers
from federation.inbox.commands import InboxCommands
from federation.inbox.repository import ReceivedActivities, UndoneActivities
from federation.outbound_engagement.commands import OutboundEngagementCommands
from federation.outbound_engagement.repository import SentEngagements
from federation.publishing.commands import PublishingCommands
from federation.publishing.queries import NoteQueries
from federation.publishing.repository import PublishedNotes
from federation.quotes.commands import QuoteCommands
from federation.quotes.policies import QuotePolicies
from federation.quotes.queries import QuoteQueries
from federation.quotes.repository import Quotes
from federation.remote_credits.commands import RemoteCredits
from federation.remote_posts.commands import RemotePostCommands
from federation.remote_posts.repository import RemoteNotes
from federation.settings import FederationSettings
from shared.clock import Clock, utc_now
from shared.periodic import PeriodicTask, running
from shared.rate_limits import BucketPolicy, SharedRateLimiter
from shared.redis_store import RedisClient, create_redis
from shared.relations import BLOCK_REPLICA, RelationReplica
from shared.service_app import Kernel, components_dependency
from shared.tracing import untraced
from shared.user_directory import UserDirectory


@dataclass(frozen=True, slots=True)
class FederationComponents:
    settings: FederationSettings
    urls: LocalUrls
    directory: UserDirectory
    keys: ActorKeys
    followers: RemoteFollowers
    blocks: RelationReplica
    discovery: DiscoveryQueries
    following: FollowingCommands
    followees: FolloweeCommands
    accounts: AccountLookup
    following_queries: FollowingQueries
    inbox: InboxCommands
    deliveries: Deliveries
    publishing: PublishingCommands
    notes: NoteQueries
    consent: ConsentQueries
    quotes: QuoteCommands
    quote_queries: QuoteQueries
    quote_policies: QuotePolicies
    outbound_engagement: OutboundEngagementCommands
    coauthoring: CoauthoringCommands
    domain_blocks: DomainBlocks


@asynccontextmanager
async def compose(
    kernel: Kernel[FederationSettings], *, clock: Clock = utc_now
) -> AsyncIterator[FederationComponents]:
    """The clock lets tests move time through back-offs."""
    settings = kernel.settings
    urls = LocalUrls.from_settings(settings)
    # Remote accounts are remote_actors here: none may be served as an actor of this instance.
    directory = UserDirectory(kernel.db, local_only=True)
    keys = ActorKeys(kernel.db)
    instance = InstanceActor(urls, keys)
    followers = RemoteFollowers(kernel.db)
    blocks = RelationReplica(kernel.db, BLOCK_REPLICA)
    notes = PublishedNotes(kernel.db)
    remote_invitations = RemoteInvitations(kernel.db)
    domain_blocks = DomainBlocks(settings.federation_blocked_domains, DomainBlockList(kernel.db))
    # In effect from the first request on; then re-read, so an operator's change needs no restart.
    # Untraced, like the periodic re-reads: no request is behind it.
    with untraced():
        await domain_blocks.refresh()
    domain_blocks_refresh = PeriodicTask(
        "federation-domain-blocks-refresh",
        domain_blocks.refresh,
        interval_seconds=settings.domain_blocks_refresh_seconds,
    )
    async with (
        remote_client(settings, f"CoPost (+{urls.base})") as http,
        _redis(settings) as redis,
    ):
        remote = RemoteActors(kernel.db, settings, http, kernel.outbox, instance)
        deliveries = Deliveries(
            keys,
            remote,
            RemoteHosts(kernel.db),
            HeldDeliveries(kernel.db),
            _delivery_policy(settings),
            domain_blocks,
            clock,
        )
        sweep = PeriodicTask(
            "federation-delivery-sweep",
            deliveries.sweep,
            interval_seconds=settings.delivery_sweep_seconds,
        )
        following = FollowingCommands(urls, directory, keys, followers, blocks, kernel.outbox)
        remote_followees = RemoteFollowees(kernel.db)
        followees = FolloweeCommands(urls, directory, remote, remote_followees, kernel.outbox)
        remote_notes = RemoteNotes(kernel.db)
        remote_posts = RemotePostCommands(
            urls, remote_followees, remote_notes, RemoteCredits(urls, remote), kernel.outbox
        )
        quotes = Quotes(kernel.db)
        quote_policies = QuotePolicies(kernel.db)
        quote_queries = QuoteQueries(urls, directory, quotes, remote_notes, quote_policies)
        quote_commands = QuoteCommands(
            urls, directory, remote, quotes, notes, remote_notes, followers, kernel.outbox
        )
        coauthoring = CoauthoringCommands(
            settings.federating,
            urls,
            directory,
            remote,
            remote_invitations,
            remote_posts,
            kernel.outbox,
        )
        async with running(sweep), running(domain_blocks_refresh):
            yield FederationComponents(
                settings=settings,
                urls=urls,
                directory=directory,
                keys=keys,
                followers=followers,
                blocks=blocks,
                discovery=DiscoveryQueries(urls, directory, keys, instance),
                following=following,
                followees=followees,
                accounts=AccountLookup(
                    settings.federating,
                    urls,
                    remote,
                    domain_blocks,
                    _per_host_limits(
                        redis,
                        settings,
                        "remote lookup",
                        settings.remote_lookup_rate_limit_per_minute,
                        settings.remote_lookup_rate_limit_burst,
                    ),
                ),
                following_queries=FollowingQueries(
                    urls,
                    directory,
                    followers,
                    remote_followees,
                    domain_blocks,
                ),
                inbox=InboxCommands(
                    remote,
                    ReceivedActivities(kernel.db),
                    following,
                    EngagementCommands(urls, RemoteEngagements(kernel.db), kernel.outbox),
                    followees,
                    remote_posts,
                    quote_commands,
                    coauthoring,
                    deliveries,
                    domain_blocks,
                    _per_host_limits(
                        redis,
                        settings,
                        "remote host",
                        settings.inbox_rate_limit_per_minute,
                        settings.inbox_rate_limit_burst,
                    ),
                    timedelta(seconds=settings.signature_max_age_seconds),
                    RemoteAccountLifecycle(remote, followers, kernel.outbox, domain_blocks),
                    UndoneActivities(kernel.db),
                ),
                deliveries=deliveries,
                publishing=PublishingCommands(
                    settings.federating,
                    urls,
                    directory,
                    followers,
                    notes,
                    remote_invitations,
                    kernel.outbox,
                    quote_queries,
                ),
                notes=NoteQueries(urls, directory, notes, quote_queries, remote_invitations),
                consent=ConsentQueries(urls, directory, notes, remote_invitations),
                quotes=quote_commands,
                quote_queries=quote_queries,
                quote_policies=quote_policies,
                coauthoring=coauthoring,
                domain_blocks=domain_blocks,
                outbound_engagement=OutboundEngagementCommands(
                    settings.federating,
                    urls,
                    directory,
                    remote,
                    remote_notes,
                    SentEngagements(kernel.db),
                    kernel.outbox,
                ),
            )


@asynccontextmanager
async def _redis(settings: FederationSettings) -> AsyncIterator[RedisClient | None]:
    redis = create_redis(settings)
    try:
        yield redis
    finally:
        if redis is not None:
            await redis.aclose()


def _per_host_limits(
    redis: RedisClient | None,
    settings: FederationSettings,
    scope_name: str,
    per_minute: float,
    burst: int,
) -> SharedRateLimiter:
    """Counted across replicas in Redis (each replica's own while it is down)."""
    return SharedRateLimiter(
        BucketPolicy(per_minute, burst),
        scope_name=scope_name,
        redis=redis,
        key_prefix=settings.redis_key_prefix + "federation:",
    )


def _delivery_policy(settings: FederationSettings) -> DeliveryPolicy:
    return DeliveryPolicy(
        backoff_base=timedelta(seconds=settings.delivery_backoff_base_seconds),
        backoff_max=timedelta(seconds=settings.delivery_backoff_max_seconds),
        give_up_after=timedelta(seconds=settings.delivery_give_up_seconds),
    )


Components = Annotated[FederationComponents, Depends(components_dependency(FederationComponents))]
