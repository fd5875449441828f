"""Invitations expire when left unanswered (on a stack whose invitations live 3 seconds)."""

from collaboration import (
    create_post,
    invitation_status,
    post_coauthors_become,
    received_invitation,
)
from conftest import NewUser

from shared.testing import wait_until


async def test_an_unanswered_invitation_expires_and_can_no_longer_be_accepted(
    new_user_on_expiring_stack: NewUser,
) -> None:
    ada = await new_user_on_expiring_stack("ada")
    bob = await new_user_on_expiring_stack("bob", collab_policy="everyone")
    post = await create_post(ada, "Answer soon", [bob])
    invitation = await received_invitation(bob, post["id"])

    expired = await invitation_status(bob, invitation["id"], "expired")

    assert expired["responded_at"] is None
    accepted = await bob.client.post(f"/v1/invitations/{invitation['id']}/accept")
    assert accepted.status_code == 409
    await post_coauthors_become(ada, post["id"], {})


async def test_a_when_accepted_post_is_published_once_its_invitations_expire(
    new_user_on_expiring_stack: NewUser,
) -> None:
    ada = await new_user_on_expiring_stack("ada")
    bob = await new_user_on_expiring_stack("bob", collab_policy="everyone")
    post = await create_post(ada, "Waiting for Bob", [bob], mode="when_accepted")
    invitation = await received_invitation(bob, post["id"])

    await invitation_status(bob, invitation["id"], "expired")

    async def published_alone() -> dict[str, object] | None:
        current = (await ada.client.get(f"/v1/posts/{post['id']}")).json()
        return current if current["status"] == "published" else None

    final = await wait_until(published_alone)
    assert final["coauthors"] == []
