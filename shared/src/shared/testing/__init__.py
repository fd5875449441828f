"""Test helpers every service's tests build on: real RabbitMQ, an embedded MongoDB, waiting."""

import asyncio
import inspect
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, overload
from uuid import uuid4

import aio_pika
import httpx
from fastapi import FastAPI
from pydantic import SecretStr

from shared.events import EventEnvelope, decode_envelope
from shared.settings import ServiceSettings


@overload
async def wait_until[T](
    probe: Callable[[], Awaitable[T | None]], *, timeout: float = 10.0, interval: float = 0.05
) -> T: ...


@overload
async def wait_until[T](
    probe: Callable[[], T | None], *, timeout: float = 10.0, interval: float = 0.05
) -> T: ...


async def wait_until(
    probe: Callable[[], Any], *, timeout: float = 10.0, interval: float = 0.05
) -> Any:
    """Poll `probe` (sync or async) until it gives something truthy; fail on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        outcome = probe()
        result = await outcome if inspect.isawaitable(outcome) else outcome
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last: {result!r})")
        await asyncio.sleep(interval)


def unique_namespace() -> str:
    return f"test-{uuid4().hex[:10]}."


def test_settings[S: ServiceSettings](
    settings_class: type[S], *, mongo_url: str, amqp_url: str, namespace: str, **overrides: Any
) -> S:
    """Settings isolating one test run: its own database and its own exchanges and queues."""
    name = overrides.pop("service_name", None) or settings_class().service_name
    return settings_class(
        service_name=name,
        mongo_url=SecretStr(mongo_url),
        mongo_database=f"{namespace.rstrip('.')}-{name}",
        amqp_url=SecretStr(amqp_url),
        amqp_namespace=namespace,
        event_retry_delays_seconds=(0.1, 0.3),
        outbox_sweep_seconds=0.5,
        **overrides,
    )


@asynccontextmanager
async def running_app(
    app: FastAPI, base_url: str = "http://testserver"
) -> AsyncIterator[httpx.AsyncClient]:
    """Run an app's lifespan and give an in-process client for it."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield client


class EventRecorder:
    """Listens to the events exchange of a namespace and keeps every event it sees."""

    def __init__(self, amqp_url: str, namespace: str) -> None:
        self._amqp_url = amqp_url
        self._exchange_name = f"{namespace}copost.events"
        self.events: list[EventEnvelope] = []
        self._connection: aio_pika.abc.AbstractRobustConnection | None = None

    async def start(self) -> None:
        self._connection = await aio_pika.connect_robust(self._amqp_url)
        channel = await self._connection.channel()
        exchange = await channel.get_exchange(self._exchange_name, ensure=True)
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(exchange, routing_key="#")
        await queue.consume(self._record, no_ack=True)

    async def _record(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        self.events.append(decode_envelope(message.body))

    def of_type(self, event_type: str) -> list[EventEnvelope]:
        return [event for event in self.events if event.type == event_type]

    async def wait_for(
        self, event_type: str, *, count: int = 1, timeout: float = 10.0
    ) -> list[EventEnvelope]:
        async def enough() -> list[EventEnvelope] | None:
            found = self.of_type(event_type)
            return found if len(found) >= count else None

        return await wait_until(enough, timeout=timeout)

    async def stop(self) -> None:
        if self._connection is not None:
            await self._connection.close()


@asynccontextmanager
async def running_service(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Run a service built by `create_service_app`; delete its queues and exchanges afterwards."""
    async with running_app(app) as client:
        try:
            yield client
        finally:
            await app.state.runtime.bus.delete_topology()


class TcpProxy:
    """A loopback TCP proxy a test can cut, to give a client a real outage of a real server."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0

    async def start(self, port: int = 0) -> int:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def cut(self) -> None:
        """Drop every connection and refuse new ones until `start(port)` is called again."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()
        if server is not None:
            # Since Python 3.12 this waits for the handlers too, so close connections first.
            await server.wait_closed()

    async def restore(self) -> None:
        await self.start(self.port)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.close()
            return
        self._writers.update({writer, upstream_writer})
        await asyncio.gather(
            _pipe(reader, upstream_writer), _pipe(upstream_reader, writer), return_exceptions=True
        )
        self._writers.difference_update({writer, upstream_writer})

    async def close(self) -> None:
        await self.cut()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()
