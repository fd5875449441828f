"""Test support for the invitations service: a harness driving it through its API and events.

The users service and other services' events come from shared.testing; this adds what is
particular to invitations: inviting through post.created and reading invitations back.
"""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import httpx
from fastapi import FastAPI

from shared.events.posts import InvitedCoauthor, PostCreated
from shared.mongo import Database
from shared.testing import ALICE, EligibilityStandIn, EventInjector, EventRecorder, identity_headers


@dataclass
class InvitationsHarness:
    """The running service, a client for its API, and an injector of posts' and users' events."""

    app: FastAPI
    client: httpx.AsyncClient
    events: EventInjector
    recorder: EventRecorder
    users: EligibilityStandIn

    @property
    def db(self) -> Database:
        db: Database = self.app.state.runtime.db
        return db

    async def invite(
        self,
        invitee_ids: list[str],
        *,
        inviter_id: str = ALICE,
        age: timedelta = timedelta(0),
        credit: str | None = None,
    ) -> tuple[str, list[str]]:
        """Publish a post.created inviting `invitee_ids` (each credited for `credit`); the post
        id and the invitation ids."""
        post_id = uuid4().hex
        invitations = [
            InvitedCoauthor(invitation_id=uuid4().hex, invitee_id=i, credit=credit)
            for i in invitee_ids
        ]
        await self.events.publish(
            PostCreated(
                post_id=post_id,
                author_id=inviter_id,
                text="a post",
                publish_mode="now",
                created_at=datetime.now(UTC) - age,
                invitations=tuple(invitations),
            )
        )
        return post_id, [i.invitation_id for i in invitations]

    async def get(self, invitation_id: str, user_id: str) -> httpx.Response:
        return await self.client.get(
            f"/v1/invitations/{invitation_id}", headers=identity_headers(user_id, "invitations")
        )

    async def answer(self, invitation_id: str, user_id: str, answer: str) -> httpx.Response:
        return await self.client.post(
            f"/v1/invitations/{invitation_id}/{answer}",
            headers=identity_headers(user_id, "invitations"),
        )

    async def status_of(self, invitation_id: str) -> str | None:
        doc = await self.db["invitations"].find_one({"_id": invitation_id}, {"status": 1})
        return doc["status"] if doc else None

    async def outbox_drained(self) -> bool:
        return not await self.db["invitations"].find_one({"outbox.id": {"$exists": True}})


type HarnessFactory = Callable[..., AbstractAsyncContextManager[InvitationsHarness]]
