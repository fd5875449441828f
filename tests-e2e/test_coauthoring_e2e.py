"""Co-authoring through the gateway: posts, invitations and their whole lifecycle."""

from typing import Any

import pytest
from collaboration import (
    coauthor_statuses,
    create_post,
    invitation_status,
    post_as_seen_by,
    post_coauthors_become,
    received_invitation,
)
from conftest import E2EUser, NewUser

from shared.testing import wait_until


@pytest.fixture
async def eve(new_user: NewUser) -> E2EUser:
    """A third party who is neither author nor invitee."""
    return await new_user("eve", collab_policy="everyone")


async def test_an_accepted_coauthor_is_credited_on_the_post(ada: E2EUser, bob: E2EUser) -> None:
    post = await create_post(ada, "Made this with Bob", [bob])
    assert post["status"] == "published"
    assert coauthor_statuses(post) == {bob.handle: "invited"}

    invitation = await received_invitation(bob, post["id"])
    assert (invitation["inviter"]["handle"], invitation["status"]) == (ada.handle, "pending")
    accepted = await bob.client.post(f"/v1/invitations/{invitation['id']}/accept")

    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    await post_coauthors_become(ada, post["id"], {bob.handle: "accepted"})


async def test_accepting_twice_is_idempotent_and_declining_after_is_a_conflict(
    ada: E2EUser, bob: E2EUser
) -> None:
    post = await create_post(ada, "Twice", [bob])
    invitation = await received_invitation(bob, post["id"])

    first = await bob.client.post(f"/v1/invitations/{invitation['id']}/accept")
    second = await bob.client.post(f"/v1/invitations/{invitation['id']}/accept")
    declined = await bob.client.post(f"/v1/invitations/{invitation['id']}/decline")

    assert (first.status_code, second.status_code, declined.status_code) == (200, 200, 409)
    assert declined.headers["content-type"].startswith("application/problem+json")


async def test_a_declined_invitation_leaves_no_credit(ada: E2EUser, bob: E2EUser) -> None:
    post = await create_post(ada, "Declined", [bob])
    invitation = await received_invitation(bob, post["id"])

    declined = await bob.client.post(f"/v1/invitations/{invitation['id']}/decline")

    assert declined.json()["status"] == "declined"
    await post_coauthors_become(ada, post["id"], {})
    seen_by_ada = await invitation_status(ada, invitation["id"], "declined")
    assert seen_by_ada["responded_at"] is not None


async def test_the_author_revokes_a_pending_invitation(ada: E2EUser, bob: E2EUser) -> None:
    post = await create_post(ada, "Revoked", [bob])
    invitation = await received_invitation(bob, post["id"])

    removed = await ada.client.delete(f"/v1/posts/{post['id']}/coauthors/{bob.handle}")

    assert removed.status_code == 204
    await invitation_status(bob, invitation["id"], "revoked")
    accepted = await bob.client.post(f"/v1/invitations/{invitation['id']}/accept")
    assert accepted.status_code == 409
    await post_coauthors_become(ada, post["id"], {})


async def test_a_coauthor_leaves_and_the_author_removes_another(
    ada: E2EUser, bob: E2EUser, cat: E2EUser
) -> None:
    post = await create_post(ada, "Three of us", [bob, cat])
    for invitee in (bob, cat):
        invitation = await received_invitation(invitee, post["id"])
        await invitee.client.post(f"/v1/invitations/{invitation['id']}/accept")
    await post_coauthors_become(ada, post["id"], {bob.handle: "accepted", cat.handle: "accepted"})

    left = await bob.client.delete(f"/v1/posts/{post['id']}/coauthors/{bob.handle}")
    removed = await ada.client.delete(f"/v1/posts/{post['id']}/coauthors/{cat.handle}")

    assert (left.status_code, removed.status_code) == (204, 204)
    await post_coauthors_become(ada, post["id"], {})


async def test_a_coauthor_cannot_remove_another_coauthor(
    ada: E2EUser, bob: E2EUser, cat: E2EUser
) -> None:
    post = await create_post(ada, "Hands off", [bob, cat])
    for invitee in (bob, cat):
        invitation = await received_invitation(invitee, post["id"])
        await invitee.client.post(f"/v1/invitations/{invitation['id']}/accept")
    await post_coauthors_become(ada, post["id"], {bob.handle: "accepted", cat.handle: "accepted"})

    response = await bob.client.delete(f"/v1/posts/{post['id']}/coauthors/{cat.handle}")

    assert response.status_code == 403
    assert coauthor_statuses((await post_as_seen_by(ada, post["id"])).json()) == {
        bob.handle: "accepted",
        cat.handle: "accepted",
    }


async def test_a_third_user_can_neither_read_nor_answer_someone_elses_invitation(
    ada: E2EUser, bob: E2EUser, eve: E2EUser
) -> None:
    post = await create_post(ada, "Not for Eve", [bob])
    invitation = await received_invitation(bob, post["id"])

    for response in (
        await eve.client.get(f"/v1/invitations/{invitation['id']}"),
        await eve.client.post(f"/v1/invitations/{invitation['id']}/accept"),
        await eve.client.post(f"/v1/invitations/{invitation['id']}/decline"),
        await ada.client.post(f"/v1/invitations/{invitation['id']}/accept"),
    ):
        assert response.status_code == 404
    assert (await bob.client.get(f"/v1/invitations/{invitation['id']}")).json()["status"] == (
        "pending"
    )


async def test_sent_and_received_boxes(ada: E2EUser, bob: E2EUser) -> None:
    post = await create_post(ada, "Boxes", [bob])
    invitation = await received_invitation(bob, post["id"])

    sent = (await ada.client.get("/v1/invitations", params={"box": "sent"})).json()
    pending = (
        await bob.client.get("/v1/invitations", params={"box": "received", "status": "pending"})
    ).json()

    assert [i["id"] for i in sent["items"]] == [invitation["id"]]
    assert [i["id"] for i in pending["items"]] == [invitation["id"]]
    bad_box = await bob.client.get("/v1/invitations", params={"box": "spam"})
    assert bad_box.status_code == 422


@pytest.mark.parametrize(
    ("coauthors", "why"),
    [
        (["nobody_at_all_x1"], "unknown"),
        (["{self}"], "self"),
        (["{bob}", "{BOB}"], "duplicate"),
    ],
)
async def test_invalid_coauthor_lists_are_422(
    ada: E2EUser, bob: E2EUser, coauthors: list[str], why: str
) -> None:
    handles = [c.format(self=ada.handle, bob=bob.handle, BOB=bob.handle.upper()) for c in coauthors]

    response = await ada.client.post("/v1/posts", json={"text": why, "coauthors": handles})

    assert response.status_code == 422, response.text


async def test_five_coauthors_are_allowed_and_a_sixth_is_not(
    new_user: NewUser, ada: E2EUser
) -> None:
    invitees = [await new_user(f"co{n}", collab_policy="everyone") for n in range(6)]

    six = await ada.client.post(
        "/v1/posts", json={"text": "six", "coauthors": [i.handle for i in invitees]}
    )
    five = await ada.client.post(
        "/v1/posts", json={"text": "five", "coauthors": [i.handle for i in invitees[:5]]}
    )
    assert (six.status_code, five.status_code) == (422, 201)

    late = await ada.client.post(
        f"/v1/posts/{five.json()['id']}/coauthors", json={"handle": invitees[5].handle}
    )
    assert late.status_code == 422


@pytest.mark.parametrize("text", ["", "   ", "x" * 501])
async def test_post_text_must_be_1_to_500_characters(ada: E2EUser, text: str) -> None:
    response = await ada.client.post("/v1/posts", json={"text": text})

    assert response.status_code == 422


async def test_policy_following_admits_only_accounts_the_invitee_follows(
    new_user: NewUser, ada: E2EUser
) -> None:
    dan = await new_user("dan")  # default policy: following

    refused = await ada.client.post("/v1/posts", json={"text": "hi", "coauthors": [dan.handle]})
    assert refused.status_code == 403

    await dan.client.put(f"/v1/users/{ada.handle}/follow")
    allowed = await ada.client.post("/v1/posts", json={"text": "hi", "coauthors": [dan.handle]})
    assert allowed.status_code == 201


async def test_policy_nobody_refuses_everyone(new_user: NewUser, ada: E2EUser) -> None:
    dan = await new_user("dan", collab_policy="nobody")
    await dan.client.put(f"/v1/users/{ada.handle}/follow")

    response = await ada.client.post("/v1/posts", json={"text": "hi", "coauthors": [dan.handle]})

    assert response.status_code == 403


async def test_a_policy_change_before_accepting_wins(ada: E2EUser, bob: E2EUser) -> None:
    post = await create_post(ada, "Changed my mind", [bob])
    invitation = await received_invitation(bob, post["id"])

    await bob.client.patch("/v1/me", json={"collab_policy": "nobody"})
    accepted = await bob.client.post(f"/v1/invitations/{invitation['id']}/accept")

    assert accepted.status_code == 403
    await invitation_status(bob, invitation["id"], "cancelled")
    await post_coauthors_become(ada, post["id"], {})


async def test_a_block_mid_invitation_cancels_it(ada: E2EUser, bob: E2EUser) -> None:
    post = await create_post(ada, "Then a block", [bob])
    invitation = await received_invitation(bob, post["id"])

    assert (await bob.client.put(f"/v1/users/{ada.handle}/block")).status_code == 204

    await invitation_status(bob, invitation["id"], "cancelled")
    accepted = await bob.client.post(f"/v1/invitations/{invitation['id']}/accept")
    assert accepted.status_code == 409
    await post_coauthors_become(ada, post["id"], {})


async def test_a_block_removes_an_existing_credit(ada: E2EUser, bob: E2EUser) -> None:
    post = await create_post(ada, "Credited, then blocked", [bob])
    invitation = await received_invitation(bob, post["id"])
    await bob.client.post(f"/v1/invitations/{invitation['id']}/accept")
    await post_coauthors_become(ada, post["id"], {bob.handle: "accepted"})

    await ada.client.put(f"/v1/users/{bob.handle}/block")

    await post_coauthors_become(ada, post["id"], {})


async def test_when_accepted_posts_wait_for_every_answer_then_publish_with_who_accepted(
    ada: E2EUser, bob: E2EUser, cat: E2EUser, eve: E2EUser
) -> None:
    post = await create_post(ada, "CoTweet style", [bob, cat], mode="when_accepted")
    assert post["status"] == "pending"
    assert post["published_at"] is None
    assert (await post_as_seen_by(eve, post["id"])).status_code == 404
    assert (await post_as_seen_by(bob, post["id"])).status_code == 200

    bob_invitation = await received_invitation(bob, post["id"])
    cat_invitation = await received_invitation(cat, post["id"])
    await bob.client.post(f"/v1/invitations/{bob_invitation['id']}/accept")
    assert (await post_as_seen_by(ada, post["id"])).json()["status"] == "pending"
    await cat.client.post(f"/v1/invitations/{cat_invitation['id']}/decline")

    async def published() -> bool:
        response = await post_as_seen_by(eve, post["id"])
        return response.status_code == 200 and response.json()["status"] == "published"

    await wait_until(published)
    final = (await post_as_seen_by(eve, post["id"])).json()
    assert coauthor_statuses(final) == {bob.handle: "accepted"}
    assert final["published_at"] is not None


async def test_the_author_publishes_a_pending_post_early_and_invitations_stay_open(
    ada: E2EUser, bob: E2EUser, eve: E2EUser
) -> None:
    post = await create_post(ada, "Cannot wait", [bob], mode="when_accepted")
    invitation = await received_invitation(bob, post["id"])

    assert (await bob.client.post(f"/v1/posts/{post['id']}/publish")).status_code in (403, 404)
    published = await ada.client.post(f"/v1/posts/{post['id']}/publish")

    assert published.status_code == 200
    assert published.json()["status"] == "published"
    assert (await post_as_seen_by(eve, post["id"])).status_code == 200
    await bob.client.post(f"/v1/invitations/{invitation['id']}/accept")
    await post_coauthors_become(eve, post["id"], {bob.handle: "accepted"})


async def test_inviting_after_creation_answers_with_an_invitation_the_invitee_can_accept(
    ada: E2EUser, bob: E2EUser, cat: E2EUser
) -> None:
    post = await create_post(ada, "Adding later", [])

    response = await ada.client.post(
        f"/v1/posts/{post['id']}/coauthors", json={"handle": cat.handle}
    )
    assert response.status_code == 201, response.text
    invitation = response.json()
    assert (invitation["invitee"]["handle"], invitation["status"]) == (cat.handle, "pending")

    async def accepted() -> bool:
        answer = await cat.client.post(f"/v1/invitations/{invitation['id']}/accept")
        return answer.status_code == 200

    await wait_until(accepted)
    await post_coauthors_become(ada, post["id"], {cat.handle: "accepted"})
    again = await ada.client.post(f"/v1/posts/{post['id']}/coauthors", json={"handle": cat.handle})
    assert again.status_code == 422
    by_other = await bob.client.post(
        f"/v1/posts/{post['id']}/coauthors", json={"handle": bob.handle}
    )
    assert by_other.status_code in (403, 404)


async def test_deleting_a_post_removes_it_and_cancels_its_invitations(
    ada: E2EUser, bob: E2EUser
) -> None:
    post = await create_post(ada, "Short-lived", [bob])
    invitation = await received_invitation(bob, post["id"])

    assert (await bob.client.delete(f"/v1/posts/{post['id']}")).status_code == 403
    assert (await ada.client.delete(f"/v1/posts/{post['id']}")).status_code == 204

    assert (await post_as_seen_by(ada, post["id"])).status_code == 404
    await invitation_status(bob, invitation["id"], "cancelled")


async def test_deleting_an_account_deletes_its_posts_and_its_credits_elsewhere(
    ada: E2EUser, bob: E2EUser, cat: E2EUser
) -> None:
    bobs_post = await create_post(bob, "Bob's own", [])
    adas_post = await create_post(ada, "Credits Bob", [bob])
    invitation = await received_invitation(bob, adas_post["id"])
    await bob.client.post(f"/v1/invitations/{invitation['id']}/accept")
    await post_coauthors_become(ada, adas_post["id"], {bob.handle: "accepted"})

    assert (await bob.client.delete("/v1/me")).status_code == 204

    async def bobs_post_gone() -> bool:
        return (await post_as_seen_by(cat, bobs_post["id"])).status_code == 404

    await wait_until(bobs_post_gone)
    await post_coauthors_become(ada, adas_post["id"], {})


async def test_a_coauthor_credited_for_a_photo_is_shown_so_on_the_post_and_in_timelines(
    ada: E2EUser, bob: E2EUser, cat: E2EUser, eve: E2EUser
) -> None:
    followed = await eve.client.put(f"/v1/users/{bob.handle}/follow")
    assert followed.status_code in (200, 204), followed.text
    created = await ada.client.post(
        "/v1/posts",
        json={"text": "Bob's picture", "coauthors": [{"handle": bob.handle, "credit": "photo"}]},
    )
    assert created.status_code == 201, created.text
    post = created.json()
    assert [(c["user"]["handle"], c["credit"]) for c in post["coauthors"]] == [
        (bob.handle, "photo")
    ]
    invited = await ada.client.post(
        f"/v1/posts/{post['id']}/coauthors", json={"handle": cat.handle, "credit": "music"}
    )
    assert invited.status_code == 201, invited.text

    invitation = await received_invitation(bob, post["id"])
    assert (invitation["credit"], invitation["post_text"]) == ("photo", "Bob's picture")
    assert invitation["post_media"] == []
    assert (await received_invitation(cat, post["id"]))["credit"] == "music"

    async def invitation_notification() -> dict[str, Any] | None:
        page = (await bob.client.get("/v1/notifications")).json()
        return next((n for n in page["items"] if n["type"] == "invitation.received"), None)

    assert (await wait_until(invitation_notification))["preview"] == "Bob's picture"
    accepted = await bob.client.post(f"/v1/invitations/{invitation['id']}/accept")
    assert accepted.status_code == 200, accepted.text

    await post_coauthors_become(ada, post["id"], {bob.handle: "accepted", cat.handle: "invited"})

    async def card_in_eves_home() -> dict[str, Any] | None:
        page = (await eve.client.get("/v1/timeline", params={"limit": 20})).json()
        return next((p for p in page["items"] if p["id"] == post["id"]), None)

    card = await wait_until(card_in_eves_home)
    assert [(c["user"]["handle"], c["credit"]) for c in card["coauthors"]] == [
        (bob.handle, "photo")
    ]


@pytest.mark.parametrize("credit", ["\u3164", "\u2800\u115f", "ph\u200boto", "x" * 31, ""])
async def test_a_credit_nobody_could_read_is_refused(
    ada: E2EUser, bob: E2EUser, credit: str
) -> None:
    created = await ada.client.post(
        "/v1/posts", json={"text": "hi", "coauthors": [{"handle": bob.handle, "credit": credit}]}
    )
    assert created.status_code == 422, created.text
    post = await create_post(ada, "credited later", [])
    invited = await ada.client.post(
        f"/v1/posts/{post['id']}/coauthors", json={"handle": bob.handle, "credit": credit}
    )
    assert invited.status_code == 422, invited.text
    assert invited.headers["content-type"].startswith("application/problem+json")
