"""Test support for the notifications service: drive it with events, read it through its API.

Events come through shared.testing's EventInjector, which waits until the service recorded
each one as processed, so a test can also assert that something did NOT happen. Streams are
read over a real HTTP server, as in-process transports buffer them.
"""

import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI

from shared.mongo import Database
from shared.testing import EventInjector, identity_headers


@dataclass
class NotificationsHarness:
    """The running service, a client for its API, and an injector of other services' events."""

    app: FastAPI
    client: httpx.AsyncClient
    events: EventInjector

    @property
    def db(self) -> Database:
        database: Database = self.app.state.runtime.db
        return database

    async def notifications(self, user_id: str, **params: Any) -> dict[str, Any]:
        response = await self.client.get(
            "/v1/notifications", params=params, headers=identity_headers(user_id, "notifications")
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def types(self, user_id: str) -> list[str]:
        return [item["type"] for item in (await self.notifications(user_id))["items"]]

    async def mark_read(self, user_id: str, body: dict[str, Any]) -> httpx.Response:
        return await self.client.post(
            "/v1/notifications/read", json=body, headers=identity_headers(user_id, "notifications")
        )


# The `served_harness` fixture: `async with served_harness(**settings) as (harness, url)`.
type ServedHarness = Callable[
    ..., contextlib.AbstractAsyncContextManager[tuple[NotificationsHarness, str]]
]


@dataclass
class ServerSentEvent:
    id: str | None
    event: str | None
    data: str

    def json(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.data)
        return parsed


class EventStreamReader:
    """Parses a text/event-stream body into events (and counts the comments it skips)."""

    def __init__(self, response: httpx.Response) -> None:
        self._lines = response.aiter_lines()
        self.comments: list[str] = []

    async def next_event(self) -> ServerSentEvent:
        fields: dict[str, list[str]] = {}
        async for line in self._lines:
            if line.startswith(":"):
                self.comments.append(line[1:].strip())
                continue
            if not line:
                if "data" in fields:
                    return ServerSentEvent(
                        id=fields.get("id", [None])[-1],
                        event=fields.get("event", [None])[-1],
                        data="\n".join(fields["data"]),
                    )
                fields.clear()
                continue
            name, _, value = line.partition(":")
            fields.setdefault(name, []).append(value.removeprefix(" "))
        raise AssertionError("the stream ended")

    async def next_comment(self, text: str) -> None:
        async for line in self._lines:
            if line.startswith(":") and line[1:].strip() == text:
                return
        raise AssertionError("the stream ended")
