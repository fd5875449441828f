"""A minimal Server-Sent Events reader for the notifications stream, through the gateway."""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class StreamedEvent:
    id: str
    event: str
    data: dict[str, Any]


class NotificationStream:
    def __init__(self, response: httpx.Response) -> None:
        self._lines = response.aiter_lines()

    async def next_notification(self, within: float = 5.0) -> StreamedEvent:
        """The next `notification` event; keep-alive comments and `retry:` lines are skipped."""
        async with asyncio.timeout(within):
            fields: dict[str, str] = {}
            async for line in self._lines:
                if not line:
                    if fields.get("event") == "notification":
                        return StreamedEvent(
                            fields.get("id", ""), fields["event"], json.loads(fields["data"])
                        )
                    fields = {}
                elif not line.startswith(":"):
                    name, _, value = line.partition(":")
                    fields[name] = value.removeprefix(" ")
        raise AssertionError("the stream ended")


@asynccontextmanager
async def notification_stream(
    base_url: str, token: str, last_event_id: str | None = None
) -> AsyncIterator[NotificationStream]:
    """Open the stream as a browser's EventSource would: token in the query, no header."""
    headers = {"Accept": "text/event-stream"}
    if last_event_id is not None:
        headers["Last-Event-ID"] = last_event_id
    timeout = httpx.Timeout(10.0, read=None)
    async with (
        httpx.AsyncClient(base_url=base_url, timeout=timeout) as client,
        client.stream(
            "GET", "/v1/notifications/stream", params={"access_token": token}, headers=headers
        ) as response,
    ):
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        yield NotificationStream(response)
