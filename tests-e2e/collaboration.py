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


async def timeline_post_ids(account: Account, path: str = "/v1/timeline") -> list[str]:
    """Every post id of a timeline, following the cursors to the end."""
    ids: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 100}
        if cursor:
            params["cursor"] = cursor
        response = await account.client.get(path, params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        ids += [post["id"] for post in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            return ids


async def home_timeline_becomes(account: Account, expected: list[str]) -> list[str]:
    """Wait until `account`'s home timeline is exactly `expected` (post ids, newest first)."""

    async def read() -> bool:
        return await timeline_post_ids(account) == expected

    try:
        await wait_until(read)
        return expected
    except AssertionError as exc:
        raise AssertionError(f"{exc}; timeline is {await timeline_post_ids(account)}") from None


async def profile_becomes(viewer: Account, owner: Account, expected: list[str]) -> list[str]:
    path = f"/v1/users/{owner.handle}/posts"

    async def read() -> bool:
        return await timeline_post_ids(viewer, path) == expected

    await wait_until(read)
    return expected


async def accept_invitation(invitee: Account, post_id: str) -> None:
    invitation = await received_invitation(invitee, post_id)
    response = await invitee.client.post(f"/v1/invitations/{invitation['id']}/accept")
    assert response.status_code == 200, response.text
