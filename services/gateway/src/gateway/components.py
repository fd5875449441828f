"""The gateway's composition root: its HTTP clients, key cache, revocations, limits and proxy,
built once at start-up by `compose` and found by routes and middleware through `components_of`.
"""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

import httpx
from fastapi import Depends, Request
from starlette.applications import Starlette

from gateway.auth import DeletedUsersPoller, JwksCache, RevokedUsers, TokenVerifier
from gateway.export import DataExport
from gateway.openapi import OpenApiAggregator
from gateway.proxy import Proxy
from gateway.settings import GatewaySettings
from gateway.shared_limits import SharedRevocations, StreamCaps, StreamSlots
from shared.identity import AssertionSigner
from shared.internal_http import create_internal_client
from shared.openapi import OpenApiDocument
from shared.periodic import BackgroundWork, running
from shared.rate_limits import BucketPolicy, SharedRateLimiter
from shared.redis_store import RedisClient, create_redis
from shared.services import Backend

# Side requests (health, key set, documents) must not hold a request up for long.
SIDE_REQUEST_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class GatewayComponents:
    settings: GatewaySettings
    clients: dict[Backend, httpx.AsyncClient]
    jwks: JwksCache
    revoked: RevokedUsers
    revocations: SharedRevocations
    poller: DeletedUsersPoller
    verifier: TokenVerifier
    user_limiter: SharedRateLimiter
    ip_limiter: SharedRateLimiter
    login_limiter: SharedRateLimiter
    export_limiter: SharedRateLimiter
    export: DataExport
    search_limiter: SharedRateLimiter
    stream_slots: StreamSlots
    proxy: Proxy
    # Limits and stream slots shared by every gateway; None when no Redis is configured.
    redis: RedisClient | None
    openapi: OpenApiAggregator

    async def users_answers(self) -> bool:
        try:
            response = await self.clients[Backend.USERS].get(
                "/healthz", timeout=SIDE_REQUEST_TIMEOUT_SECONDS
            )
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def aclose(self) -> None:
        await self.proxy.aclose()
        if self.redis is not None:
            await self.redis.aclose()
        for client in self.clients.values():
            await client.aclose()


@asynccontextmanager
async def compose(
    settings: GatewaySettings, own_openapi: Callable[[], OpenApiDocument]
) -> AsyncIterator[GatewayComponents]:
    """Build the gateway's components and run its background tasks; close it all on the way out."""
    gateway = _build(settings, own_openapi)
    # Not fatal: a gateway started before the users service fetches the keys on demand.
    await gateway.jwks.refresh()
    try:
        background: list[BackgroundWork] = [
            gateway.jwks,
            gateway.poller,
            gateway.stream_slots.renewer,
        ]
        if gateway.redis is not None:
            background.append(gateway.revocations.listener)
        async with running(*background):
            yield gateway
    finally:
        await gateway.aclose()


def _build(
    settings: GatewaySettings, own_openapi: Callable[[], OpenApiDocument]
) -> GatewayComponents:
    signer = AssertionSigner.from_settings(settings)
    clients = {
        upstream: create_internal_client(
            url,
            signer=signer,
            audience=upstream,
            timeout_seconds=settings.upstream_timeout_seconds,
        )
        for upstream, url in settings.backend_urls().items()
    }
    users = clients[Backend.USERS]
    jwks = JwksCache(
        users,
        settings.effective_jwks_url,
        refetch_min_seconds=settings.jwks_refetch_min_seconds,
        refresh_seconds=settings.jwks_refresh_seconds,
    )
    revoked = RevokedUsers(settings.max_token_lifetime_seconds)
    redis = create_redis(settings)
    prefix = settings.redis_key_prefix

    def limiter(per_minute: float, burst: int, scope_name: str) -> SharedRateLimiter:
        policy = BucketPolicy(per_minute, burst)
        return SharedRateLimiter(policy, scope_name=scope_name, redis=redis, key_prefix=prefix)

    stream_slots = StreamSlots(
        StreamCaps(
            settings.stream_max_total,
            settings.stream_max_per_account,
            settings.stream_max_per_address,
        ),
        redis=redis,
        key_prefix=prefix,
        lease_seconds=settings.stream_slot_lease_seconds,
    )
    return GatewayComponents(
        settings=settings,
        clients=clients,
        jwks=jwks,
        revoked=revoked,
        revocations=SharedRevocations(
            revoked,
            redis=redis,
            key_prefix=prefix,
            retention_seconds=settings.max_token_lifetime_seconds,
        ),
        poller=DeletedUsersPoller(
            users,
            revoked,
            interval_seconds=settings.deleted_users_poll_seconds,
            lookback_seconds=settings.max_token_lifetime_seconds,
        ),
        verifier=TokenVerifier(
            jwks,
            revoked,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            leeway_seconds=settings.jwt_leeway_seconds,
            max_lifetime_seconds=settings.max_token_lifetime_seconds,
        ),
        user_limiter=limiter(
            settings.user_rate_limit_per_minute, settings.user_rate_limit_burst, "user"
        ),
        ip_limiter=limiter(
            settings.ip_rate_limit_per_minute, settings.ip_rate_limit_burst, "client address"
        ),
        login_limiter=limiter(
            settings.login_rate_limit_per_minute,
            settings.login_rate_limit_burst,
            "client address's sign-ins",
        ),
        export_limiter=limiter(60.0 / settings.export_interval_seconds, 1, "account's exports"),
        export=DataExport(clients, signer),
        search_limiter=limiter(
            settings.search_rate_limit_per_minute,
            settings.search_rate_limit_burst,
            "user's searches",
        ),
        stream_slots=stream_slots,
        proxy=Proxy(
            settings.backend_urls(),
            signer,
            timeout_seconds=settings.upstream_timeout_seconds,
            stream_max_connections=settings.stream_max_connections,
            stream_shares=stream_slots,
        ),
        redis=redis,
        openapi=OpenApiAggregator(
            clients,
            own_openapi,
            cache_seconds=settings.openapi_cache_seconds,
            fetch_timeout_seconds=SIDE_REQUEST_TIMEOUT_SECONDS,
        ),
    )


def components_of(app: Starlette) -> GatewayComponents:
    """The running gateway: the one thing the app keeps in its state, set at start-up."""
    gateway: GatewayComponents = app.state.components
    return gateway


async def _components(request: Request) -> GatewayComponents:
    return components_of(request.app)


Components = Annotated[GatewayComponents, Depends(_components)]
