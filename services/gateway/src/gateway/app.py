"""The gateway's FastAPI factory: middleware, routes and start-up (`create_app`)."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles

from gateway.api import API_TITLE, PublicApiMiddleware, docs_router
from gateway.components import components_of, compose
from gateway.cors import ALLOWED_HEADERS, EXPOSED_HEADERS, ProblemCorsMiddleware
from gateway.domain import parse_networks
from gateway.openapi import OpenApiDocument
from gateway.rate_limit import ClientAddressMiddleware, ClientIpRateLimitMiddleware
from gateway.settings import GatewaySettings
from shared.logging import configure_logging
from shared.observability import ReadinessCheck, RequestContextMiddleware, health_router
from shared.problems import install_problem_handlers
from shared.tracing import configure_tracing, instrument_app

log = logging.getLogger(__name__)

API_VERSION = "1.0.0"
API_DESCRIPTION = "Co-authored posts: one public API in front of the CoPost services."


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    configure_tracing(settings.service_name)
    app = FastAPI(
        title=API_TITLE,
        lifespan=partial(_lifespan, settings),
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,
    )
    install_problem_handlers(app)
    app.include_router(health_router(_readiness_checks(app), service_name=settings.service_name))
    app.include_router(docs_router)
    if settings.static_dir is not None:
        app.mount("/", StaticFiles(directory=settings.static_dir, html=True), name="web-client")
    # Added innermost first: request ids wrap everything, CORS headers reach even refusals.
    app.add_middleware(PublicApiMiddleware)
    app.add_middleware(
        ClientIpRateLimitMiddleware, limiter_of=lambda a: components_of(a).ip_limiter
    )
    app.add_middleware(ClientAddressMiddleware, trusted=parse_networks(settings.trusted_proxies))
    app.add_middleware(
        ProblemCorsMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["*"],
        allow_headers=ALLOWED_HEADERS,
        expose_headers=EXPOSED_HEADERS,
        max_age=600,
    )
    app.add_middleware(RequestContextMiddleware, service_name=settings.service_name)
    instrument_app(app, settings.service_name)
    return app


@asynccontextmanager
async def _lifespan(settings: GatewaySettings, app: FastAPI) -> AsyncIterator[None]:
    configure_logging(settings.service_name, settings.log_level)
    async with compose(settings, partial(_own_openapi, app)) as gateway:
        app.state.components = gateway
        log.info("gateway started")
        yield


def _own_openapi(app: FastAPI) -> OpenApiDocument:
    return get_openapi(
        title=API_TITLE, version=API_VERSION, description=API_DESCRIPTION, routes=app.routes
    )


def _readiness_checks(app: FastAPI) -> dict[str, ReadinessCheck]:
    async def users() -> bool:
        return await components_of(app).users_answers()

    async def jwks() -> bool:
        return await components_of(app).jwks.ensure_loaded()

    return {"users": users, "jwks": jwks}
