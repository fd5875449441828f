"""Invitations driven by the posts' and users' events: opened, revoked, declined, cancelled."""

from datetime import UTC, datetime
from uuid import uuid4

from invitations_support import InvitationsHarness

from shared.events import make_event
from shared.events.posts import (
    InvitedCoauthor,
    PostCoauthorInvited,
    PostCoauthorRemoved,
    PostCreated,
    PostDeleted,
)
from shared.events.users import UserBlocked, UserDeleted
from shared.testing import ALICE, BOB, CAROL, wait_until


def post_created(post_id: str, invitations: dict[str, str]) -> PostCreated:
    """A post by Alice inviting {invitation id: invitee id}."""
    return PostCreated(
        post_id=post_id,
        author_id=ALICE,
        text="hello",
        publish_mode="when_accepted",
        created_at=datetime.now(UTC),
        invitations=tuple(
            InvitedCoauthor(invitation_id=i, invitee_id=invitee)
            for i, invitee in invitations.items()
        ),
    )


def post_deleted(post_id: str) -> PostDeleted:
    return PostDeleted(
        post_id=post_id, author_id=ALICE, coauthor_ids=(), deleted_at=datetime.now(UTC)
    )


def coauthor_removed(
    post_id: str, coauthor_id: str, reason: str, invitation_id: str | None = None
) -> PostCoauthorRemoved:
    """Posts dropping an invited (uncredited) entry; without an invitation id, as older
    producers sent it."""
    return PostCoauthorRemoved.model_validate(
        {
            "post_id": post_id,
            "author_id": ALICE,
            "coauthor_id": coauthor_id,
            "reason": reason,
            "removed_at": datetime.now(UTC),
            "was_credited": False,
            "invitation_id": invitation_id,
        }
    )


def coauthor_invited(post_id: str, invitation_id: str, invitee_id: str) -> PostCoauthorInvited:
    return PostCoauthorInvited(
        post_id=post_id,
        author_id=ALICE,
        invitation_id=invitation_id,
        invitee_id=invitee_id,
        invited_at=datetime.now(UTC),
    )


async def test_post_created_opens_one_pending_invitation_per_invitee(
    invitations: InvitationsHarness,
) -> None:
    post_id, ids = uuid4().hex, {uuid4().hex: BOB, uuid4().hex: CAROL}
    await invitations.events.publish(post_created(post_id, ids))

    created = await invitations.recorder.wait_for("invitation.created", count=2)

    assert {e.data["invitation_id"]: e.data["invitee_id"] for e in created} == ids
    for invitation_id, invitee_id in ids.items():
        body = (await invitations.get(invitation_id, invitee_id)).json()
        assert body["status"] == "pending"
        assert body["post_id"] == post_id
        assert body["inviter"]["handle"] == "alice"


async def test_a_redelivered_post_created_opens_each_invitation_once(
    invitations: InvitationsHarness,
) -> None:
    invitation_id = uuid4().hex
    data = post_created(uuid4().hex, {invitation_id: BOB})
    original = make_event(data, producer="posts")
    # The same envelope again, and the same data re-sent by a relay under a new envelope id.
    republished = make_event(data, producer="posts")
    await invitations.events.deliver(original, original, republished)
    await wait_until(invitations.outbox_drained)

    assert await invitations.db["invitations"].count_documents({}) == 1
    assert len(invitations.recorder.of_type("invitation.created")) == 1


async def test_an_invitation_to_an_existing_post_is_opened_from_coauthor_invited(
    invitations: InvitationsHarness,
) -> None:
    invitation_id = uuid4().hex
    await invitations.events.publish(
        PostCoauthorInvited(
            post_id=uuid4().hex,
            author_id=ALICE,
            invitation_id=invitation_id,
            invitee_id=CAROL,
            invited_at=datetime.now(UTC),
        )
    )

    assert (await invitations.get(invitation_id, CAROL)).json()["status"] == "pending"
    [created] = await invitations.recorder.wait_for("invitation.created")
    assert created.data["invitation_id"] == invitation_id


async def test_deleting_the_post_cancels_its_pending_invitations_only(
    invitations: InvitationsHarness,
) -> None:
    post_id, [to_bob, to_carol] = await invitations.invite([BOB, CAROL])
    await invitations.answer(to_bob, BOB, "accept")

    await invitations.events.publish(post_deleted(post_id))

    assert await invitations.status_of(to_bob) == "accepted"
    assert await invitations.status_of(to_carol) == "cancelled"
    [cancelled] = await invitations.recorder.wait_for("invitation.cancelled")
    assert cancelled.data["invitation_id"] == to_carol
    assert cancelled.data["reason"] == "post_deleted"


async def test_post_deleted_before_post_created_leaves_no_pending_invitation(
    invitations: InvitationsHarness,
) -> None:
    post_id, invitation_id = uuid4().hex, uuid4().hex
    await invitations.events.publish(post_deleted(post_id))

    await invitations.events.publish(post_created(post_id, {invitation_id: BOB}))

    assert await invitations.status_of(invitation_id) == "cancelled"
    assert (await invitations.answer(invitation_id, BOB, "accept")).status_code == 409
    await wait_until(invitations.outbox_drained)
    assert invitations.recorder.of_type("invitation.created") == []


async def test_a_block_cancels_pending_invitations_between_the_two_either_way(
    invitations: InvitationsHarness,
) -> None:
    _, [alice_to_bob] = await invitations.invite([BOB], inviter_id=ALICE)
    _, [bob_to_alice] = await invitations.invite([ALICE], inviter_id=BOB)
    _, [alice_to_carol] = await invitations.invite([CAROL], inviter_id=ALICE)

    await invitations.events.publish(
        UserBlocked(blocker_id=BOB, blocked_id=ALICE, blocked_at=datetime.now(UTC))
    )

    assert await invitations.status_of(alice_to_bob) == "cancelled"
    assert await invitations.status_of(bob_to_alice) == "cancelled"
    assert await invitations.status_of(alice_to_carol) == "pending"
    cancelled = await invitations.recorder.wait_for("invitation.cancelled", count=2)
    assert {e.data["invitation_id"] for e in cancelled} == {alice_to_bob, bob_to_alice}
    assert {e.data["reason"] for e in cancelled} == {"blocked"}


async def test_a_deleted_account_cancels_the_pending_invitations_it_sent_or_received(
    invitations: InvitationsHarness,
) -> None:
    _, [received] = await invitations.invite([BOB], inviter_id=ALICE)
    _, [sent] = await invitations.invite([CAROL], inviter_id=BOB)
    _, [unrelated] = await invitations.invite([CAROL], inviter_id=ALICE)

    await invitations.events.publish(UserDeleted(user_id=BOB, deleted_at=datetime.now(UTC)))

    assert await invitations.status_of(received) == "cancelled"
    assert await invitations.status_of(sent) == "cancelled"
    assert await invitations.status_of(unrelated) == "pending"
    cancelled = await invitations.recorder.wait_for("invitation.cancelled", count=2)
    assert {e.data["reason"] for e in cancelled} == {"account_deleted"}


async def test_a_removed_invited_coauthor_closes_its_invitation_by_the_reason(
    invitations: InvitationsHarness,
) -> None:
    revoked_post, [revoked] = await invitations.invite([BOB])
    declined_post, [declined] = await invitations.invite([BOB])
    blocked_post, [blocked] = await invitations.invite([BOB])

    for post_id, reason in [
        (revoked_post, "revoked"),
        (declined_post, "declined"),
        (blocked_post, "blocked"),
    ]:
        await invitations.events.publish(coauthor_removed(post_id, BOB, reason))

    assert await invitations.status_of(revoked) == "revoked"
    assert await invitations.status_of(declined) == "declined"
    assert await invitations.status_of(blocked) == "cancelled"
    [revoked_event] = await invitations.recorder.wait_for("invitation.revoked")
    assert revoked_event.data["invitation_id"] == revoked
    [declined_event] = await invitations.recorder.wait_for("invitation.declined")
    assert declined_event.data["invitation_id"] == declined
    [cancelled_event] = await invitations.recorder.wait_for("invitation.cancelled")
    assert cancelled_event.data["reason"] == "blocked"


async def test_an_unregistered_user_is_rendered_as_unknown(
    invitations: InvitationsHarness,
) -> None:
    _, [invitation_id] = await invitations.invite(["u-newcomer"])

    body = (await invitations.get(invitation_id, "u-newcomer")).json()

    assert body["invitee"]["id"] == "u-newcomer"
    assert body["invitee"]["handle"] == "unknown"


async def test_the_authors_revocation_wins_over_an_acceptance_it_crossed(
    invitations: InvitationsHarness,
) -> None:
    post_id, [invitation_id] = await invitations.invite([BOB])
    # Bob accepts here while Alice revokes him on the post, which posts did first: it then
    # ignores the acceptance, so the invitation must not stay accepted.
    accepted = await invitations.answer(invitation_id, BOB, "accept")
    assert accepted.status_code == 200
    revocation = make_event(
        coauthor_removed(post_id, BOB, "revoked", invitation_id), producer="posts"
    )

    await invitations.events.deliver(revocation)
    await invitations.events.forget_processed(revocation)
    await invitations.events.deliver(revocation)  # redelivered after a crash: no second event

    assert await invitations.status_of(invitation_id) == "revoked"
    assert (await invitations.answer(invitation_id, BOB, "accept")).status_code == 409
    await wait_until(invitations.outbox_drained)
    [revoked] = await invitations.recorder.wait_for("invitation.revoked")
    assert revoked.data["invitation_id"] == invitation_id
    assert len(invitations.recorder.of_type("invitation.revoked")) == 1


async def test_a_credited_coauthors_removal_leaves_the_acceptance_alone(
    invitations: InvitationsHarness,
) -> None:
    post_id, [invitation_id] = await invitations.invite([BOB])
    await invitations.answer(invitation_id, BOB, "accept")

    removal = coauthor_removed(post_id, BOB, "removed", invitation_id)
    await invitations.events.publish(removal.model_copy(update={"was_credited": True}))

    assert await invitations.status_of(invitation_id) == "accepted"


async def test_a_removal_handled_before_its_invitation_leaves_it_closed_and_unannounced(
    invitations: InvitationsHarness,
) -> None:
    post_id, revoked, declined = uuid4().hex, uuid4().hex, uuid4().hex
    await invitations.events.publish(
        coauthor_removed(post_id, BOB, "revoked", revoked),
        coauthor_removed(post_id, CAROL, "declined", declined),
    )

    await invitations.events.publish(
        post_created(post_id, {revoked: BOB}), coauthor_invited(post_id, declined, CAROL)
    )

    assert await invitations.status_of(revoked) == "revoked"
    assert await invitations.status_of(declined) == "declined"
    assert await invitations.db["invitations"].count_documents({"status": "pending"}) == 0
    assert (await invitations.answer(revoked, BOB, "accept")).status_code == 409
    await wait_until(invitations.outbox_drained)
    assert invitations.recorder.of_type("invitation.created") == []


async def test_an_old_removal_does_not_close_a_newer_invitation_to_the_same_invitee(
    invitations: InvitationsHarness,
) -> None:
    post_id, [first] = await invitations.invite([BOB])
    assert (await invitations.answer(first, BOB, "decline")).status_code == 200
    second = uuid4().hex
    await invitations.events.publish(coauthor_invited(post_id, second, BOB))

    # The removal of the first invitation, arriving only now.
    await invitations.events.publish(coauthor_removed(post_id, BOB, "revoked", first))

    assert await invitations.status_of(first) == "declined"
    assert await invitations.status_of(second) == "pending"
