"""Test helpers for the posts service: its routes as a test calls them, and the remote accounts
and posts the federation service reports, named once for every test module and the conftest."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import Any

import httpx

from shared.events.federation import RemotePostReceived
from shared.events.invitations import InvitationAccepted
from shared.remote_accounts import remote_post_id
from shared.testing import EventRecorder, KnownUser, wait_until

type Headers = Callable[[str], dict[str, str]]
type Ids = Callable[[str], str]
type PostsServiceStarter = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]

# Remote accounts the users service knows (as once the federation service saw their actors).
RITA = KnownUser.remote("https://social.example/users/rita", "Rita")
ZOE = KnownUser.remote("https://remote.example/users/zoe", "Zoe")
REMOTE_USERS = (RITA, ZOE)


def remote_post_received(
    author: KnownUser, note_id: str, text: str, published_at: datetime
) -> RemotePostReceived:
    """The federation service's word that `author`'s Note `note_id` (served at its id) came."""
    return RemotePostReceived(
        activity_id=f"{note_id}/activity",
        post_id=remote_post_id(note_id),
        note_id=note_id,
        url=note_id,
        author_id=author.id,
        text=text,
        published_at=published_at,
    )


async def created_post(
    client: httpx.AsyncClient, headers: dict[str, str], **fields: Any
) -> dict[str, Any]:
    """A post made through the API (its 201 checked), as the API answered it."""
    response = await client.post("/v1/posts", json={"text": "a take", **fields}, headers=headers)
    assert response.status_code == 201, response.text
    post: dict[str, Any] = response.json()
    return post


async def get_json(client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> dict[str, Any]:
    """The body of a GET that answered 200 (checked)."""
    response = await client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def invitation_accepted(
    recorder: EventRecorder, post_id: str, invitee_id: str
) -> InvitationAccepted:
    """The invitation.accepted the invitations service sends when `invitee_id` accepts their
    invitation to the post, as the post's post.created announced that invitation."""
    (created,) = await wait_until(
        lambda: [e for e in recorder.of_type("post.created") if e.data["post_id"] == post_id]
    )
    (invitation_id,) = [
        invitation["invitation_id"]
        for invitation in created.data["invitations"]
        if invitation["invitee_id"] == invitee_id
    ]
    return InvitationAccepted(
        invitation_id=invitation_id,
        post_id=post_id,
        inviter_id=created.data["author_id"],
        invitee_id=invitee_id,
        responded_at=datetime.now(UTC),
    )
