"""Test support for the invitations service: a users stand-in and a harness for the service.

The stand-in serves the users service's eligibility contract over HTTP from fixed accounts;
the harness drives the running service through its API and through published events.
"""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

from shared.bus import EventBus
from shared.events import EventData, EventEnvelope, make_event
from shared.events.posts import InvitedCoauthor, PostCreated
from shared.events.users import UserRegistered
from shared.idempotency import PROCESSED_EVENTS
from shared.identity import USER_ID_HEADER
from shared.mongo import Database
from shared.testing import EventRecorder, wait_until

ALICE, BOB, CAROL = "u-alice", "u-bob", "u-carol"
HANDLES = {ALICE: "alice", BOB: "bob", CAROL: "carol"}


class _EligibilityRequest(BaseModel):
    inviter_id: str
    invitee_ids: list[str]


@dataclass
class UsersStandIn:
    """The users service's eligibility contract over fixed in-test accounts and blocks."""

    user_ids: set[str] = field(default_factory=lambda: set(HANDLES))
    blocks: set[frozenset[str]] = field(default_factory=set)
    failing: bool = False

    def block(self, user_a: str, user_b: str) -> None:
        self.blocks.add(frozenset({user_a, user_b}))

    def verdict(self, inviter_id: str, invitee_id: str) -> dict[str, Any]:
        reason = None
        if inviter_id not in self.user_ids:
            reason = "inviter_unknown"
        elif invitee_id not in self.user_ids:
            reason = "unknown_user"
        elif invitee_id == inviter_id:
            reason = "self"
        elif frozenset({inviter_id, invitee_id}) in self.blocks:
            reason = "blocked"
        return {
            "handle": HANDLES.get(invitee_id),
            "user_id": invitee_id,
            "user": None,
            "eligible": reason is None,
            "reason": reason,
        }

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/internal/eligibility")
        async def eligibility(body: _EligibilityRequest) -> dict[str, Any]:
            if self.failing:
                raise HTTPException(500, "the users service is failing")
            return {"results": [self.verdict(body.inviter_id, i) for i in body.invitee_ids]}

        return app


@dataclass
class InvitationsHarness:
    """The running service, a client for its API, and a publisher of posts' and users' events."""

    app: FastAPI
    client: httpx.AsyncClient
    publisher: EventBus
    recorder: EventRecorder
    users: UsersStandIn

    @property
    def db(self) -> Database:
        db: Database = self.app.state.runtime.db
        return db

    async def publish(self, data: EventData) -> EventEnvelope:
        envelope = make_event(data, producer="test")
        await self.publish_envelope(envelope)
        return envelope

    async def publish_envelope(self, envelope: EventEnvelope) -> None:
        assert await self.publisher.publish([envelope]) == [envelope.id]

    async def wait_handled(self, envelope: EventEnvelope) -> None:
        async def handled() -> bool:
            found = await self.db[PROCESSED_EVENTS].find_one({"_id": str(envelope.id)})
            return found is not None

        # mypy cannot solve wait_until's T through `Awaitable[T] | T`; the probe is sound.
        await wait_until(handled)  # type: ignore[arg-type]

    async def invite(
        self, invitee_ids: list[str], *, inviter_id: str = ALICE, age: timedelta = timedelta(0)
    ) -> tuple[str, list[str]]:
        """Publish a post.created inviting `invitee_ids`; the post id and the invitation ids."""
        post_id = uuid4().hex
        invitations = [
            InvitedCoauthor(invitation_id=uuid4().hex, invitee_id=i) for i in invitee_ids
        ]
        event = await self.publish(
            PostCreated(
                post_id=post_id,
                author_id=inviter_id,
                text="a post",
                publish_mode="now",
                created_at=datetime.now(UTC) - age,
                invitations=tuple(invitations),
            )
        )
        await self.wait_handled(event)
        return post_id, [i.invitation_id for i in invitations]

    async def get(self, invitation_id: str, user_id: str) -> httpx.Response:
        return await self.client.get(f"/v1/invitations/{invitation_id}", headers=as_user(user_id))

    async def answer(self, invitation_id: str, user_id: str, answer: str) -> httpx.Response:
        return await self.client.post(
            f"/v1/invitations/{invitation_id}/{answer}", headers=as_user(user_id)
        )

    async def status_of(self, invitation_id: str) -> str | None:
        doc = await self.db["invitations"].find_one({"_id": invitation_id}, {"status": 1})
        return doc["status"] if doc else None

    async def outbox_drained(self) -> bool:
        return not await self.db["invitations"].find_one({"outbox.id": {"$exists": True}})


def as_user(user_id: str) -> dict[str, str]:
    return {USER_ID_HEADER: user_id}


async def register_users(harness: InvitationsHarness) -> None:
    for user_id, handle in HANDLES.items():
        event = await harness.publish(
            UserRegistered(
                user_id=user_id,
                handle=handle,
                display_name=handle.title(),
                created_at=datetime(2026, 1, 1, tzinfo=UTC),
            )
        )
        await harness.wait_handled(event)


type HarnessFactory = Callable[..., AbstractAsyncContextManager[InvitationsHarness]]
