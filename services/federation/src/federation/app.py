"""The federation service's FastAPI app: `uvicorn federation.app:create_app --factory`."""

from functools import partial

from fastapi import FastAPI

from federation.accounts import api as accounts
from federation.coauthoring.repository import REMOTE_INVITATIONS, REMOTE_INVITATIONS_INDEXES
from federation.components import compose
from federation.consent import api as consent
from federation.core.remote import REMOTE_ACTORS
from federation.delivery.repository import HELD_DELIVERIES_INDEXES
from federation.discovery import api as discovery
from federation.engagement.repository import REMOTE_ENGAGEMENTS, REMOTE_ENGAGEMENTS_INDEXES
from federation.followees.repository import FOLLOWEES_INDEXES, REMOTE_FOLLOWEES
from federation.following import api as following
from federation.following.repository import REMOTE_FOLLOWERS, REMOTE_FOLLOWERS_INDEXES
from federation.handlers import subscriptions
from federation.inbox import api as inbox
from federation.inbox.repository import UNDONE_ACTIVITIES_INDEXES
from federation.outbound_engagement.repository import SENT_ENGAGEMENTS, SENT_ENGAGEMENTS_INDEXES
from federation.publishing import api as publishing
from federation.publishing.repository import PUBLISHED_NOTES, PUBLISHED_NOTES_INDEXES
from federation.quotes import api as quotes
from federation.quotes.repository import QUOTES, QUOTES_INDEXES
from federation.remote_posts.repository import REMOTE_NOTES, REMOTE_NOTES_INDEXES
from federation.settings import FederationSettings
from shared.clock import Clock, utc_now
from shared.mongo import IndexSpec
from shared.relations import BLOCK_REPLICA, relation_replica_indexes
from shared.service_app import ServiceSpec, create_service_app
from shared.user_directory import USER_DIRECTORY_INDEXES

INDEXES = [
    *USER_DIRECTORY_INDEXES,
    *REMOTE_FOLLOWERS_INDEXES,
    *HELD_DELIVERIES_INDEXES,
    *REMOTE_ENGAGEMENTS_INDEXES,
    IndexSpec(REMOTE_ACTORS, [("key_id", 1)]),
    IndexSpec(REMOTE_ACTORS, [("user_id", 1)]),
    *FOLLOWEES_INDEXES,
    *PUBLISHED_NOTES_INDEXES,
    *REMOTE_NOTES_INDEXES,
    *QUOTES_INDEXES,
    *SENT_ENGAGEMENTS_INDEXES,
    *REMOTE_INVITATIONS_INDEXES,
    *UNDONE_ACTIVITIES_INDEXES,
    *relation_replica_indexes(BLOCK_REPLICA),
]


def create_app(settings: FederationSettings | None = None, *, clock: Clock = utc_now) -> FastAPI:
    """The clock lets tests move time through delivery back-offs."""
    return create_service_app(
        ServiceSpec(
            settings=settings or FederationSettings(),
            title="CoPost federation",
            compose=partial(compose, clock=clock),
            routers=[
                discovery.router,
                following.router,
                inbox.router,
                publishing.router,
                consent.router,
                quotes.router,
            ],
            internal_routers=[accounts.internal_router],
            subscriptions=subscriptions,
            indexes=INDEXES,
            # Actors first: a relay pass announces an account before the follows naming it.
            outbox_collections=[
                REMOTE_ACTORS,
                REMOTE_FOLLOWERS,
                REMOTE_FOLLOWEES,
                REMOTE_NOTES,
                PUBLISHED_NOTES,
                REMOTE_ENGAGEMENTS,
                QUOTES,
                SENT_ENGAGEMENTS,
                REMOTE_INVITATIONS,
            ],
        )
    )
