"""The FastAPI factory every backend service is built with: one lifespan, one error format.

Start-up: logging, MongoDB (indexes created idempotently), RabbitMQ (exchanges), the
service's components (its composition root), its queues and consumers, the outbox relay.
Stop (shared.lifecycle): the consumers first, then the requests drain, then the rest in the
reverse order, each step bounded so the process ends within `shutdown_grace_seconds`.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from pydantic import SecretStr
from pymongo import AsyncMongoClient
from pymongo.errors import ConnectionFailure

from shared.bus import EventBus
from shared.idempotency import PROCESSED_EVENT_INDEXES, MongoProcessedEventLog
from shared.identity import AssertionVerifier
from shared.lifecycle import DrainMiddleware, Lifecycle
from shared.logging import configure_logging
from shared.mongo import Database, Document, IndexSpec, create_mongo_client, ensure_indexes, ping
from shared.observability import (
    MetricsRefresher,
    ReadinessCheck,
    RequestContextMiddleware,
    health_router,
)
from shared.openapi import install_truthful_openapi, operation_id
from shared.outbox import Outbox, OutboxRelay, mark_pending, outbox_indexes
from shared.personal_data import PersonalRecords, personal_data_router
from shared.problems import install_problem_handlers
from shared.settings import ServiceSettings
from shared.subscriptions import Subscriptions
from shared.tracing import configure_tracing, instrument_app

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Kernel[S: ServiceSettings]:
    """What the kernel hands a service's composition root: its settings, database and outbox."""

    settings: S
    db: Database
    outbox: Outbox


type Compose[S: ServiceSettings, C] = Callable[[Kernel[S]], AbstractAsyncContextManager[C]]


@dataclass(frozen=True)
class ServiceSpec[S: ServiceSettings, C]:
    """What a service declares about itself; `create_service_app` does the rest.

    `compose` is the service's composition root: at start-up it builds the one frozen set of
    components (`C`) that routes (through `components_dependency`) and event handlers
    (through `subscriptions`) use, and on shut-down it closes what it opened.
    """

    settings: S
    title: str
    compose: Compose[S, C]
    routers: Sequence[APIRouter]
    subscriptions: Callable[[C], Subscriptions] | None = None
    indexes: Sequence[IndexSpec] = ()
    outbox_collections: Sequence[str] = ()
    internal_routers: Sequence[APIRouter] = field(default=())
    # What the service holds about a person, for their export (shared.personal_data).
    personal_data: Sequence[PersonalRecords] = ()
    # Dependencies the service degrades without (e.g. a cache): named in /readyz, not required.
    degraded_checks: Mapping[str, Callable[[C], Awaitable[bool]]] = field(default_factory=dict)


@dataclass
class ServiceRuntime[S: ServiceSettings, C]:
    """A running service: its connections, its relay and its components."""

    kernel: Kernel[S]
    components: C
    mongo: AsyncMongoClient[Document]
    bus: EventBus
    relay: OutboxRelay

    @property
    def db(self) -> Database:
        return self.kernel.db


def create_service_app[S: ServiceSettings, C](spec: ServiceSpec[S, C]) -> FastAPI:
    settings = spec.settings
    lifecycle = Lifecycle(settings.shutdown_grace_seconds, service_name=settings.service_name)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.service_name, settings.log_level)
        async with lifecycle.serving(), _running(spec, lifecycle) as runtime:
            app.state.runtime = runtime
            lifecycle.started()
            log.info("service started")
            yield

    configure_tracing(settings.service_name)
    # No slash redirects: their Location would name this service's internal address.
    app = FastAPI(
        title=spec.title,
        lifespan=lifespan,
        redirect_slashes=False,
        generate_unique_id_function=operation_id,
    )
    install_truthful_openapi(app)
    instrument_app(app, settings.service_name)
    app.state.assertion_verifier = AssertionVerifier.from_settings(settings)
    app.state.spec = spec
    app.state.lifecycle = lifecycle
    app.add_middleware(RequestContextMiddleware, service_name=settings.service_name)
    app.add_middleware(DrainMiddleware, lifecycle=lifecycle)
    install_problem_handlers(app)
    app.include_router(
        health_router(
            _readiness_checks(app),
            degraded_checks={
                name: _component_check(app, check) for name, check in spec.degraded_checks.items()
            },
            service_name=settings.service_name,
            metrics_refreshers=_metrics_refreshers(app),
            lifecycle=lifecycle,
        )
    )
    for router in spec.routers:
        app.include_router(router)
    for router in spec.internal_routers:
        app.include_router(router, include_in_schema=False)
    if spec.personal_data:
        app.include_router(personal_data_router(spec.personal_data), include_in_schema=False)
    return app


@asynccontextmanager
async def _running[S: ServiceSettings, C](
    spec: ServiceSpec[S, C], lifecycle: Lifecycle
) -> AsyncIterator[ServiceRuntime[S, C]]:
    """Connect, compose the service, start consuming and relaying; undo it all on the way out,
    each step bounded (a broker or database that does not answer cannot hold the stop)."""
    settings = spec.settings
    async with AsyncExitStack() as undo:
        mongo = create_mongo_client(settings)
        undo.push_async_callback(lifecycle.bounded, "closing the MongoDB client", mongo.close)
        db = mongo[settings.database_name]
        indexes = [*spec.indexes, *PROCESSED_EVENT_INDEXES]
        indexes += [index for name in spec.outbox_collections for index in outbox_indexes(name)]
        await _until_answered("MongoDB", partial(ensure_indexes, db, indexes), ConnectionFailure)
        await _until_answered(
            "MongoDB", partial(mark_pending, db, spec.outbox_collections), ConnectionFailure
        )
        bus = EventBus(settings)
        undo.push_async_callback(lifecycle.bounded, "closing the broker connection", bus.close)
        await _until_answered("RabbitMQ", bus.connect, ConnectionError, OSError)
        relay = OutboxRelay(
            db,
            spec.outbox_collections,
            bus,
            service_name=settings.service_name,
            sweep_seconds=settings.outbox_sweep_seconds,
        )
        kernel = Kernel(settings, db, Outbox(relay, producer=settings.service_name))
        components = await undo.enter_async_context(
            lifecycle.exits_within("closing the components", spec.compose(kernel))
        )
        runtime = ServiceRuntime(kernel, components, mongo, bus, relay)
        if spec.subscriptions is not None:
            # Consumers stop first, as soon as the stop begins; again here for a stop without
            # a signal (tests), a no-op after the first.
            undo.push_async_callback(
                lifecycle.bounded, "stopping the consumers", bus.stop_consuming
            )
            await bus.consume(spec.subscriptions(components), MongoProcessedEventLog(db))
            lifecycle.on_drain("stopping the consumers", bus.stop_consuming)
        relay.start()
        undo.push_async_callback(lifecycle.bounded, "stopping the outbox relay", relay.stop)
        relay.wake()
        yield runtime


async def _until_answered(
    dependency: str,
    step: Callable[[], Awaitable[None]],
    *unavailable: type[Exception],
    attempts: int = 30,
) -> None:
    """A start-up step on a dependency that may not answer yet, or not in time: the broker
    may come up after the service (compose, Kubernetes), a busy database may answer after the
    driver's timeout. Tried again a while: failing would have the process started again, its
    imports and all, which on a busy machine takes longer than the wait.

    A stop signal meanwhile cancels the wait (shared.lifecycle)."""
    for attempt in range(1, attempts + 1):
        try:
            await step()
        except unavailable as exc:
            if attempt == attempts:
                raise
            log.warning(f"{dependency} not reachable yet", extra={"error": str(exc)})
            await asyncio.sleep(min(2.0, 0.2 * attempt))
        else:
            return


async def subscribed_event_types(app: FastAPI, mongo_url: str) -> list[str]:
    """The event types a service app consumes, read from its composed subscriptions.

    Composed on the MongoDB at `mongo_url` (a start-up migration may read it) with a broker
    never connected: for the documents that list who consumes what (docs/asyncapi.py).
    """
    spec: ServiceSpec[Any, Any] = app.state.spec
    if spec.subscriptions is None:
        return []
    settings = spec.settings.model_copy(update={"mongo_url": SecretStr(mongo_url)})
    mongo = create_mongo_client(settings)
    try:
        db = mongo[settings.database_name]
        relay = OutboxRelay(db, (), EventBus(settings), service_name=settings.service_name)
        kernel = Kernel(settings, db, Outbox(relay, producer=settings.service_name))
        async with spec.compose(kernel) as components:
            return sorted(spec.subscriptions(components).event_types)
    finally:
        await mongo.close()


def _readiness_checks(app: FastAPI) -> dict[str, Callable[[], Any]]:
    async def mongodb() -> bool:
        runtime: ServiceRuntime[Any, Any] | None = getattr(app.state, "runtime", None)
        return runtime is not None and await ping(runtime.db)

    async def rabbitmq() -> bool:
        runtime: ServiceRuntime[Any, Any] | None = getattr(app.state, "runtime", None)
        return runtime is not None and runtime.bus.is_connected

    return {"mongodb": mongodb, "rabbitmq": rabbitmq}


def _component_check[C](app: FastAPI, check: Callable[[C], Awaitable[bool]]) -> ReadinessCheck:
    async def run() -> bool:
        runtime: ServiceRuntime[Any, C] | None = getattr(app.state, "runtime", None)
        return runtime is not None and await check(runtime.components)

    return run


def _metrics_refreshers(app: FastAPI) -> list[MetricsRefresher]:
    """The outbox backlog (the database) and the queue depths (the broker), read at a scrape."""

    async def outbox() -> None:
        runtime: ServiceRuntime[Any, Any] | None = getattr(app.state, "runtime", None)
        if runtime is not None:
            await runtime.relay.measure_backlog()

    async def queues() -> None:
        runtime: ServiceRuntime[Any, Any] | None = getattr(app.state, "runtime", None)
        if runtime is not None:
            await runtime.bus.measure_queues()

    return [outbox, queues]


def components_dependency[C](components_type: type[C]) -> Callable[[Request], Awaitable[C]]:
    """The FastAPI dependency that hands routes the components composed at start-up.

    Services declare it once: `Components = Annotated[X, Depends(components_dependency(X))]`.
    """

    async def components(request: Request) -> C:
        found = request.app.state.runtime.components
        if not isinstance(found, components_type):
            raise TypeError(f"this app composes {type(found).__name__}, not {components_type}")
        return found

    return components
