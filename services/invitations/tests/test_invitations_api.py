"""The invitations API: seeing, listing and answering invitations, against the real stack."""

from datetime import UTC, datetime, timedelta

from invitations_support import InvitationsHarness

from shared.events.posts import PostEdited
from shared.testing import ALICE, BOB, CAROL, identity_headers, wait_until


async def test_an_invitation_is_shown_to_its_inviter_and_invitee_with_both_users(
    invitations: InvitationsHarness,
) -> None:
    post_id, [invitation_id] = await invitations.invite([BOB], credit="photo")

    response = await invitations.get(invitation_id, BOB)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "id",
        "post_id",
        "inviter",
        "invitee",
        "status",
        "created_at",
        "expires_at",
        "responded_at",
        "credit",
        "post_text",
        "post_media",
    }
    assert (body["credit"], body["post_text"], body["post_media"]) == ("photo", "a post", [])
    assert body["id"] == invitation_id
    assert body["post_id"] == post_id
    assert body["status"] == "pending"
    assert body["responded_at"] is None
    assert body["inviter"] == {
        "id": ALICE,
        "handle": "alice",
        "display_name": "Alice",
        "created_at": "2026-01-01T00:00:00Z",
        "avatar": None,
    }
    assert body["invitee"]["handle"] == "bob"
    assert (await invitations.get(invitation_id, ALICE)).json() == body


async def test_a_third_user_is_told_the_invitation_does_not_exist(
    invitations: InvitationsHarness,
) -> None:
    _, [invitation_id] = await invitations.invite([BOB])

    response = await invitations.get(invitation_id, CAROL)

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert (await invitations.get("no-such-invitation", BOB)).status_code == 404


async def test_a_call_without_a_user_is_unauthorized(invitations: InvitationsHarness) -> None:
    response = await invitations.client.get("/v1/invitations")
    assert response.status_code == 401


async def test_the_invitee_accepts_and_accepting_again_answers_the_same(
    invitations: InvitationsHarness,
) -> None:
    _, [invitation_id] = await invitations.invite([BOB])

    first = await invitations.answer(invitation_id, BOB, "accept")
    again = await invitations.answer(invitation_id, BOB, "accept")

    assert first.status_code == 200
    assert first.json()["status"] == "accepted"
    assert first.json()["responded_at"] is not None
    assert again.status_code == 200
    assert again.json() == first.json()
    [accepted] = await invitations.recorder.wait_for("invitation.accepted")
    assert accepted.data["invitation_id"] == invitation_id
    assert accepted.data["invitee_id"] == BOB
    await wait_until(invitations.outbox_drained)
    assert len(invitations.recorder.of_type("invitation.accepted")) == 1


async def test_decline_after_accept_is_a_conflict(invitations: InvitationsHarness) -> None:
    _, [invitation_id] = await invitations.invite([BOB])
    await invitations.answer(invitation_id, BOB, "accept")

    response = await invitations.answer(invitation_id, BOB, "decline")

    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 409
    assert await invitations.status_of(invitation_id) == "accepted"


async def test_the_invitee_declines_idempotently_and_cannot_accept_afterwards(
    invitations: InvitationsHarness,
) -> None:
    _, [invitation_id] = await invitations.invite([BOB])

    first = await invitations.answer(invitation_id, BOB, "decline")
    again = await invitations.answer(invitation_id, BOB, "decline")
    accept = await invitations.answer(invitation_id, BOB, "accept")

    assert first.status_code == again.status_code == 200
    assert first.json()["status"] == "declined"
    assert accept.status_code == 409
    [declined] = await invitations.recorder.wait_for("invitation.declined")
    assert declined.data["invitation_id"] == invitation_id


async def test_nobody_but_the_invitee_can_answer_and_the_invitation_stays_pending(
    invitations: InvitationsHarness,
) -> None:
    _, [invitation_id] = await invitations.invite([BOB])

    for user_id in (CAROL, ALICE):
        for answer in ("accept", "decline"):
            response = await invitations.answer(invitation_id, user_id, answer)
            assert response.status_code == 404, (user_id, answer)

    assert await invitations.status_of(invitation_id) == "pending"


async def test_accepting_when_no_longer_eligible_is_forbidden_and_cancels_the_invitation(
    invitations: InvitationsHarness,
) -> None:
    _, [invitation_id] = await invitations.invite([BOB])
    invitations.users.block(BOB, ALICE)

    response = await invitations.answer(invitation_id, BOB, "accept")

    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert await invitations.status_of(invitation_id) == "cancelled"
    [cancelled] = await invitations.recorder.wait_for("invitation.cancelled")
    assert cancelled.data["reason"] == "ineligible"
    assert invitations.recorder.of_type("invitation.accepted") == []


async def test_accepting_while_the_users_service_fails_is_a_gateway_error_and_changes_nothing(
    invitations: InvitationsHarness,
) -> None:
    _, [invitation_id] = await invitations.invite([BOB])
    invitations.users.failing = True

    response = await invitations.answer(invitation_id, BOB, "accept")

    assert response.status_code == 502
    assert response.headers["content-type"] == "application/problem+json"
    assert await invitations.status_of(invitation_id) == "pending"


async def test_lists_are_per_box_newest_first_filtered_by_status_and_paged(
    invitations: InvitationsHarness,
) -> None:
    oldest = (await invitations.invite([BOB], age=timedelta(minutes=3)))[1][0]
    middle = (await invitations.invite([BOB], age=timedelta(minutes=2)))[1][0]
    newest = (await invitations.invite([BOB], age=timedelta(minutes=1)))[1][0]
    to_carol = (await invitations.invite([CAROL]))[1][0]
    await invitations.answer(middle, BOB, "accept")

    async def listing(user_id: str, **params: str | int) -> dict:
        response = await invitations.client.get(
            "/v1/invitations", params=params, headers=identity_headers(user_id, "invitations")
        )
        assert response.status_code == 200, response.text
        return response.json()

    first = await listing(BOB, limit=2)
    assert [i["id"] for i in first["items"]] == [newest, middle]
    assert first["next_cursor"]
    # A newer invitation arriving between pages does not shift the next page.
    _, [arrived_between_pages] = await invitations.invite([BOB])
    second = await listing(BOB, limit=2, cursor=first["next_cursor"])
    assert [i["id"] for i in second["items"]] == [oldest]
    assert second["next_cursor"] is None

    sent = await listing(ALICE, box="sent")
    assert [i["id"] for i in sent["items"]] == [
        arrived_between_pages,
        to_carol,
        newest,
        middle,
        oldest,
    ]
    assert (await listing(ALICE))["items"] == []
    accepted = await listing(BOB, status="accepted")
    assert [i["id"] for i in accepted["items"]] == [middle]
    pending_sent = await listing(ALICE, box="sent", status="pending")
    assert middle not in [i["id"] for i in pending_sent["items"]]


async def test_a_bad_box_status_limit_or_cursor_is_a_client_error(
    invitations: InvitationsHarness,
) -> None:
    for params, status in [
        ({"box": "trash"}, 422),
        ({"status": "maybe"}, 422),
        ({"limit": 0}, 422),
        ({"limit": 101}, 422),
        ({"cursor": "not-a-cursor"}, 400),
        ({"cursor": "eyJhIjoxfQ"}, 400),
    ]:
        response = await invitations.client.get(
            "/v1/invitations", params=params, headers=identity_headers(BOB, "invitations")
        )
        assert response.status_code == status, params
        assert response.headers["content-type"] == "application/problem+json"


async def test_an_invitation_shows_the_posts_newest_text_whatever_the_order_of_edits(
    invitations: InvitationsHarness,
) -> None:
    post_id, [invitation_id] = await invitations.invite([BOB])

    def edited(version: int) -> PostEdited:
        return PostEdited(
            post_id=post_id,
            edit_id=f"e{version}",
            proposer_id=ALICE,
            author_id=ALICE,
            coauthor_ids=(),
            text=f"a post, version {version}",
            version=version,
            edited_at=datetime.now(UTC),
        )

    await invitations.events.publish(edited(3), edited(2))
    shown = (await invitations.get(invitation_id, BOB)).json()
    assert shown["post_text"] == "a post, version 3"
