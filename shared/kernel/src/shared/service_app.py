"""The FastAPI factory every backend service is built with: one lifespan, one error format.

Start-up: logging, MongoDB (indexes created idempotently), RabbitMQ (exchanges, this
service's queues and its consumers), the outbox relay, then the service's own hook.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from pymongo import AsyncMongoClient

from shared.bus import EventBus, EventHandler
from shared.idempotency import PROCESSED_EVENT_INDEXES, MongoProcessedEventLog
from shared.identity import AssertionVerifier
from shared.logging import configure_logging
from shared.mongo import Database, Document, IndexSpec, create_mongo_client, ensure_indexes, ping
from shared.observability import MetricsRefresher, RequestContextMiddleware, health_router
from shared.outbox import OutboxRelay, outbox_index
from shared.problems import install_problem_handlers
from shared.settings import ServiceSettings
from shared.tracing import configure_tracing, instrument_app

log = logging.getLogger(__name__)


@dataclass
class ServiceRuntime:
    """The connections a running service holds; routes and handlers get them from here."""

    settings: ServiceSettings
    mongo: AsyncMongoClient[Document]
    db: Database
    bus: EventBus
    relay: OutboxRelay


type RuntimeHook = Callable[[FastAPI, ServiceRuntime], AbstractAsyncContextManager[None]]


@dataclass(frozen=True)
class ServiceSpec:
    """What a service declares about itself; `create_service_app` does the rest."""

    settings: ServiceSettings
    title: str
    routers: Sequence[APIRouter]
    indexes: Sequence[IndexSpec] = ()
    outbox_collections: Sequence[str] = ()
    event_handlers: Callable[[ServiceRuntime], Mapping[str, EventHandler]] | None = None
    # Extra start-up and shut-down work (schedulers, clients), run inside the lifespan.
    hook: RuntimeHook | None = None
    internal_routers: Sequence[APIRouter] = field(default=())


def create_service_app(spec: ServiceSpec) -> FastAPI:
    settings = spec.settings

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.service_name, settings.log_level)
        runtime = await _start_runtime(spec)
        app.state.runtime = runtime
        hook = spec.hook(app, runtime) if spec.hook else nullcontext()
        try:
            async with hook:
                log.info("service started")
                yield
        finally:
            await _stop_runtime(runtime)

    configure_tracing(settings.service_name)
    # No slash redirects: their Location would name this service's internal address.
    app = FastAPI(title=spec.title, lifespan=lifespan, redirect_slashes=False)
    instrument_app(app, settings.service_name)
    app.state.assertion_verifier = AssertionVerifier.from_settings(settings)
    app.add_middleware(RequestContextMiddleware, service_name=settings.service_name)
    install_problem_handlers(app)
    app.include_router(
        health_router(
            _readiness_checks(app),
            service_name=settings.service_name,
            metrics_refreshers=_metrics_refreshers(app),
        )
    )
    for router in spec.routers:
        app.include_router(router)
    for router in spec.internal_routers:
        app.include_router(router, include_in_schema=False)
    return app


async def _start_runtime(spec: ServiceSpec) -> ServiceRuntime:
    settings = spec.settings
    mongo = create_mongo_client(settings)
    db = mongo[settings.database_name]
    indexes = [*spec.indexes, *PROCESSED_EVENT_INDEXES]
    indexes += [outbox_index(name) for name in spec.outbox_collections]
    await ensure_indexes(db, indexes)
    bus = EventBus(settings)
    await _connect_with_retry(bus)
    relay = OutboxRelay(
        db,
        spec.outbox_collections,
        bus,
        service_name=settings.service_name,
        sweep_seconds=settings.outbox_sweep_seconds,
    )
    runtime = ServiceRuntime(settings=settings, mongo=mongo, db=db, bus=bus, relay=relay)
    if spec.event_handlers is not None:
        await bus.consume(spec.event_handlers(runtime), MongoProcessedEventLog(db))
    relay.start()
    relay.wake()
    return runtime


async def _connect_with_retry(bus: EventBus, attempts: int = 30) -> None:
    """The broker may come up after the service (compose, Kubernetes): wait for it a while."""
    for attempt in range(1, attempts + 1):
        try:
            await bus.connect()
        except (ConnectionError, OSError) as exc:
            if attempt == attempts:
                raise
            log.warning("RabbitMQ not reachable yet", extra={"error": str(exc)})
            await asyncio.sleep(min(2.0, 0.2 * attempt))
        else:
            return


async def _stop_runtime(runtime: ServiceRuntime) -> None:
    await runtime.relay.stop()
    await runtime.bus.stop_consuming()
    await runtime.bus.close()
    await runtime.mongo.close()


def _readiness_checks(app: FastAPI) -> dict[str, Callable[[], Any]]:
    async def mongodb() -> bool:
        runtime: ServiceRuntime | None = getattr(app.state, "runtime", None)
        return runtime is not None and await ping(runtime.db)

    async def rabbitmq() -> bool:
        runtime: ServiceRuntime | None = getattr(app.state, "runtime", None)
        return runtime is not None and runtime.bus.is_connected

    return {"mongodb": mongodb, "rabbitmq": rabbitmq}


def _metrics_refreshers(app: FastAPI) -> list[MetricsRefresher]:
    """The outbox backlog (the database) and the queue depths (the broker), read at a scrape."""

    async def outbox() -> None:
        runtime: ServiceRuntime | None = getattr(app.state, "runtime", None)
        if runtime is not None:
            await runtime.relay.measure_backlog()

    async def queues() -> None:
        runtime: ServiceRuntime | None = getattr(app.state, "runtime", None)
        if runtime is not None:
            await runtime.bus.measure_queues()

    return [outbox, queues]


async def get_runtime(request: Request) -> ServiceRuntime:
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


Runtime = Annotated[ServiceRuntime, Depends(get_runtime)]
