"""Steps the co-authoring end-to-end tests share: posting, finding and answering invitations."""

from typing import Any, Protocol

import httpx

from shared.testing import wait_until


class Account(Protocol):
    id: str
    handle: str
    client: httpx.AsyncClient


async def create_post(
    author: Account, text: str, coauthors: list[Account], mode: str = "now"
) -> dict[str, Any]:
    response = await author.client.post(
        "/v1/posts",
        json={"text": text, "coauthors": [c.handle for c in coauthors], "publish_mode": mode},
    )
    assert response.status_code == 201, response.text
    post: dict[str, Any] = response.json()
    return post


async def received_invitation(invitee: Account, post_id: str) -> dict[str, Any]:
    """The invitee's invitation to the post, once the invitations service has it."""

    async def find() -> dict[str, Any] | None:
        page = (await invitee.client.get("/v1/invitations", params={"limit": 100})).json()
        return next((i for i in page["items"] if i["post_id"] == post_id), None)

    return await wait_until(find)


async def invitation_status(account: Account, invitation_id: str, status: str) -> dict[str, Any]:
    """Wait until the invitation, as `account` reads it, has `status`."""

    async def read() -> dict[str, Any] | None:
        invitation: dict[str, Any] = (
            await account.client.get(f"/v1/invitations/{invitation_id}")
        ).json()
        return invitation if invitation.get("status") == status else None

    return await wait_until(read)


def coauthor_statuses(post: dict[str, Any]) -> dict[str, str]:
    return {entry["user"]["handle"]: entry["status"] for entry in post["coauthors"]}


async def post_as_seen_by(account: Account, post_id: str) -> httpx.Response:
    return await account.client.get(f"/v1/posts/{post_id}")


async def post_coauthors_become(
    account: Account, post_id: str, expected: dict[str, str]
) -> dict[str, Any]:
    """Wait until the post, as `account` reads it, credits exactly `expected`."""

    async def read() -> dict[str, Any] | None:
        post: dict[str, Any] = (await post_as_seen_by(account, post_id)).json()
        return post if coauthor_statuses(post) == expected else None

    return await wait_until(read)
