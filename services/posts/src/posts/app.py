"""The posts service's FastAPI app: `uvicorn posts.app:create_app --factory`."""

from functools import partial

import httpx
from fastapi import FastAPI

from posts.authoring import api as authoring
from posts.coauthoring import api as coauthoring
from posts.coauthoring.repository import COAUTHORING_INDEXES
from posts.components import compose
from posts.core.repository import POST_INDEXES, POST_PERSONAL_DATA, POSTS
from posts.editing import api as editing
from posts.editing.repository import EDITING_INDEXES
from posts.engagement import api as engagement
from posts.engagement.repository import ENGAGEMENT_INDEXES, LIKE_PERSONAL_DATA
from posts.handlers import subscriptions
from posts.remixing import api as remixing
from posts.remixing.repository import REMIX_INDEXES
from posts.settings import PostsSettings
from posts.succession import api as succession
from shared.relations import BLOCK_REPLICA, MUTE_REPLICA, relation_replica_indexes
from shared.service_app import ServiceSpec, create_service_app


def create_app(
    settings: PostsSettings | None = None,
    *,
    users_transport: httpx.AsyncBaseTransport | None = None,
    media_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """The transports let tests serve the users and media services' APIs from in-process apps."""
    return create_service_app(
        ServiceSpec(
            settings=settings or PostsSettings(),
            title="CoPost posts",
            compose=partial(
                compose, users_transport=users_transport, media_transport=media_transport
            ),
            routers=[
                authoring.router,
                coauthoring.router,
                remixing.router,
                engagement.router,
                remixing.requests_router,
                editing.router,
                succession.router,
            ],
            subscriptions=subscriptions,
            indexes=[
                *POST_INDEXES,
                *COAUTHORING_INDEXES,
                *REMIX_INDEXES,
                *ENGAGEMENT_INDEXES,
                *EDITING_INDEXES,
                *relation_replica_indexes(BLOCK_REPLICA),
                *relation_replica_indexes(MUTE_REPLICA),
            ],
            outbox_collections=[POSTS],
            personal_data=[*POST_PERSONAL_DATA, *LIKE_PERSONAL_DATA],
        )
    )
