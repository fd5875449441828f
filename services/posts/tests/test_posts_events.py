"""The posts service's event handlers, driven by synthetic invitation.* and user.* events."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from posts_support import Headers, Ids, PostsServiceStarter

from shared.events import EventEnvelope
from shared.events.federation import RemoteCoauthorLeft
from shared.events.invitations import (
    InvitationAccepted,
    InvitationCancelled,
    InvitationDeclined,
    InvitationExpired,
    InvitationRevoked,
)
from shared.events.users import UserBlocked, UserDeleted, UserRegistered
from shared.mongo import Database
from shared.outbox import WITHOUT_OUTBOX
from shared.testing import (
    EligibilityStandIn,
    EventInjector,
    EventRecorder,
    identity_headers,
    wait_until,
)


def now() -> datetime:
    return datetime.now(UTC)


class PostUnderTest:
    """A post created through the API, and the invitation ids its post.created announced."""

    def __init__(self, post: dict[str, Any], invitations: dict[str, str], author_id: str) -> None:
        self.id: str = post["id"]
        self.author_id = author_id
        self.invitations = invitations

    def invitation_of(self, user_id: str) -> dict[str, str]:
        return {
            "invitation_id": self.invitations[user_id],
            "post_id": self.id,
            "inviter_id": self.author_id,
            "invitee_id": user_id,
        }

    def accepted_by(self, user_id: str) -> InvitationAccepted:
        """The invitation.accepted the invitations service sends when `user_id` accepts."""
        return InvitationAccepted(**self.invitation_of(user_id), responded_at=now())


async def create_post(
    client: httpx.AsyncClient,
    recorder: EventRecorder,
    headers: dict[str, str],
    coauthors: list[str],
    mode: str = "now",
) -> PostUnderTest:
    response = await client.post(
        "/v1/posts",
        json={"text": "together", "coauthors": coauthors, "publish_mode": mode},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    post = response.json()

    async def announced() -> EventEnvelope | None:
        created = [e for e in recorder.of_type("post.created") if e.data["post_id"] == post["id"]]
        return created[0] if created else None

    created = await wait_until(announced)
    invitations = {i["invitee_id"]: i["invitation_id"] for i in created.data["invitations"]}
    return PostUnderTest(post, invitations, created.data["author_id"])


async def coauthors_shown(
    client: httpx.AsyncClient, post_id: str, headers: dict[str, str]
) -> list[tuple[str, str]]:
    post = (await client.get(f"/v1/posts/{post_id}", headers=headers)).json()
    return [(c["user"]["handle"], c["status"]) for c in post["coauthors"]]


def of_post(recorder: EventRecorder, event_type: str, post_id: str) -> list[dict[str, Any]]:
    return [e.data for e in recorder.of_type(event_type) if e.data["post_id"] == post_id]


async def test_acceptance_credits_the_coauthor_once_however_often_it_arrives(
    client: httpx.AsyncClient,
    events: EventInjector,
    posts_db: Database,
    as_user: Headers,
    uid: Ids,
    event_recorder: EventRecorder,
) -> None:
    post = await create_post(client, event_recorder, as_user("alice"), ["bob", "carol"])
    accepted = post.accepted_by(uid("bob"))

    states = []
    for _ in range(2):  # two deliveries of the same fact, as distinct events
        await events.publish(accepted)
        states.append(await posts_db["posts"].find_one({"_id": post.id}, WITHOUT_OUTBOX))

    assert states[0] == states[1]

    assert await coauthors_shown(client, post.id, as_user("dave")) == [
        ("bob", "accepted"),
        ("carol", "invited"),
    ]
    (added,) = await event_recorder.wait_for("post.coauthor_added")
    assert added.data["coauthor_id"] == uid("bob")
    assert added.data["invitation_id"] == post.invitations[uid("bob")]
    assert len(event_recorder.of_type("post.coauthor_added")) == 1


async def test_acceptance_for_a_deleted_post_is_ignored(
    client: httpx.AsyncClient,
    events: EventInjector,
    posts_db: Database,
    as_user: Headers,
    uid: Ids,
    event_recorder: EventRecorder,
) -> None:
    post = await create_post(client, event_recorder, as_user("alice"), ["bob"])
    await client.delete(f"/v1/posts/{post.id}", headers=as_user("alice"))

    accepted = post.accepted_by(uid("bob"))
    await events.publish(accepted)

    stored = await posts_db["posts"].find_one({"_id": post.id})
    assert stored is not None
    assert stored["status"] == "deleted"
    assert [c["status"] for c in stored["coauthors"]] == ["invited"]
    assert event_recorder.of_type("post.coauthor_added") == []


async def test_when_accepted_post_is_published_after_the_last_answer(
    client: httpx.AsyncClient,
    events: EventInjector,
    as_user: Headers,
    uid: Ids,
    event_recorder: EventRecorder,
) -> None:
    post = await create_post(
        client, event_recorder, as_user("alice"), ["bob", "carol"], mode="when_accepted"
    )
    accepted = post.accepted_by(uid("bob"))
    await events.publish(accepted)
    still_pending = (await client.get(f"/v1/posts/{post.id}", headers=as_user("alice"))).json()
    assert still_pending["status"] == "pending"

    declined = InvitationDeclined(**post.invitation_of(uid("carol")), responded_at=now())
    await events.publish(declined)

    shown = (await client.get(f"/v1/posts/{post.id}", headers=as_user("dave"))).json()
    assert shown["status"] == "published"
    assert [(c["user"]["handle"], c["status"]) for c in shown["coauthors"]] == [("bob", "accepted")]
    (published,) = await event_recorder.wait_for("post.published")
    assert published.data["coauthor_ids"] == [uid("bob")]
    assert published.data["publish_mode"] == "when_accepted"
    # A pending post reached no one: the credit travels in post.published alone.
    assert event_recorder.of_type("post.coauthor_added") == []


async def test_expired_revoked_and_cancelled_invitations_drop_the_invitee_silently(
    client: httpx.AsyncClient,
    events: EventInjector,
    as_user: Headers,
    uid: Ids,
    event_recorder: EventRecorder,
) -> None:
    post = await create_post(client, event_recorder, as_user("alice"), ["bob", "carol", "dave"])
    endings = [
        InvitationExpired(**post.invitation_of(uid("bob")), expired_at=now()),
        InvitationRevoked(**post.invitation_of(uid("carol")), revoked_at=now()),
        InvitationCancelled(
            **post.invitation_of(uid("dave")), reason="ineligible", cancelled_at=now()
        ),
    ]
    for ending in endings:
        await events.publish(ending)

    assert await coauthors_shown(client, post.id, as_user("alice")) == []
    assert event_recorder.of_type("post.coauthor_removed") == []


async def test_removing_and_leaving_take_back_a_credit(
    client: httpx.AsyncClient,
    events: EventInjector,
    as_user: Headers,
    uid: Ids,
    event_recorder: EventRecorder,
) -> None:
    post = await create_post(client, event_recorder, as_user("alice"), ["bob", "carol"])
    for handle in ["bob", "carol"]:
        accepted = post.accepted_by(uid(handle))
        await events.publish(accepted)
    path = f"/v1/posts/{post.id}/coauthors"

    removed = await client.delete(f"{path}/bob", headers=as_user("alice"))
    left = await client.delete(f"{path}/carol", headers=as_user("carol"))

    assert removed.status_code == left.status_code == 204
    exits = await event_recorder.wait_for("post.coauthor_removed", count=2)
    assert [(e.data["coauthor_id"], e.data["reason"], e.data["was_credited"]) for e in exits] == [
        (uid("bob"), "removed", True),
        (uid("carol"), "left", True),
    ]


async def test_deleted_account_loses_its_posts_and_credits_once(
    client: httpx.AsyncClient,
    events: EventInjector,
    posts_db: Database,
    as_user: Headers,
    uid: Ids,
    event_recorder: EventRecorder,
) -> None:
    by_alice = await create_post(client, event_recorder, as_user("alice"), ["bob"])
    by_bob = await create_post(client, event_recorder, as_user("bob"), ["alice", "carol"])
    accepted = by_bob.accepted_by(uid("alice"))
    await events.publish(accepted)

    gone = UserDeleted(user_id=uid("alice"), deleted_at=now())
    states = []
    for _ in range(2):
        await events.publish(gone)
        states.append(await posts_db["posts"].find({}, WITHOUT_OUTBOX).to_list())

    assert states[0] == states[1]

    assert (await client.get(f"/v1/posts/{by_alice.id}", headers=as_user("bob"))).status_code == 404
    assert await coauthors_shown(client, by_bob.id, as_user("bob")) == [("carol", "invited")]
    await event_recorder.wait_for("post.deleted")
    await event_recorder.wait_for("post.coauthor_removed")
    assert [e["post_id"] for e in of_post(event_recorder, "post.deleted", by_alice.id)] == [
        by_alice.id
    ]
    (removed,) = of_post(event_recorder, "post.coauthor_removed", by_bob.id)
    assert (removed["coauthor_id"], removed["reason"], removed["was_credited"]) == (
        uid("alice"),
        "account_deleted",
        True,
    )


async def test_block_removes_the_credit_between_author_and_coauthor(
    client: httpx.AsyncClient,
    events: EventInjector,
    as_user: Headers,
    uid: Ids,
    event_recorder: EventRecorder,
) -> None:
    post = await create_post(client, event_recorder, as_user("alice"), ["bob", "carol"])
    accepted = post.accepted_by(uid("bob"))
    await events.publish(accepted)

    block = UserBlocked(blocker_id=uid("bob"), blocked_id=uid("alice"), blocked_at=now())
    await events.publish(block)

    assert await coauthors_shown(client, post.id, as_user("alice")) == [("carol", "invited")]
    (removed,) = await event_recorder.wait_for("post.coauthor_removed")
    assert (removed.data["coauthor_id"], removed.data["reason"]) == (uid("bob"), "blocked")


async def test_users_are_rendered_from_the_directory_once_it_knows_them(
    client: httpx.AsyncClient,
    events: EventInjector,
    as_user: Headers,
    uid: Ids,
    event_recorder: EventRecorder,
) -> None:
    post = await create_post(client, event_recorder, as_user("alice"), ["bob"])
    registered = UserRegistered(
        user_id=uid("bob"),
        handle="bob",
        display_name="Bobby Tables",
        created_at=datetime(2025, 1, 1, tzinfo=UTC),
    )
    await events.publish(registered)

    shown = (await client.get(f"/v1/posts/{post.id}", headers=as_user("alice"))).json()
    assert shown["coauthors"][0]["user"]["display_name"] == "Bobby Tables"
    assert shown["author"]["display_name"] == "Alice"  # from the snapshot taken at creation


async def test_an_acceptance_that_lost_to_the_authors_revocation_never_credits(
    client: httpx.AsyncClient,
    events: EventInjector,
    as_user: Headers,
    uid: Ids,
    event_recorder: EventRecorder,
) -> None:
    post = await create_post(client, event_recorder, as_user("alice"), ["bob"])
    revoked = await client.delete(f"/v1/posts/{post.id}/coauthors/bob", headers=as_user("alice"))
    assert revoked.status_code == 204

    # Bob accepted at the same time; invitations then revokes the acceptance, and a
    # redelivered acceptance may come last.
    accepted = post.accepted_by(uid("bob"))
    await events.publish(
        accepted, InvitationRevoked(**post.invitation_of(uid("bob")), revoked_at=now()), accepted
    )

    assert await coauthors_shown(client, post.id, as_user("alice")) == []
    assert event_recorder.of_type("post.coauthor_added") == []


async def test_leaving_twice_is_one_departure(
    client: httpx.AsyncClient,
    events: EventInjector,
    as_user: Headers,
    uid: Ids,
    event_recorder: EventRecorder,
) -> None:
    post = await create_post(client, event_recorder, as_user("alice"), ["carol"])
    await events.publish(post.accepted_by(uid("carol")))
    path = f"/v1/posts/{post.id}/coauthors/carol"

    first = await client.delete(path, headers=as_user("carol"))
    again = await client.delete(path, headers=as_user("carol"))

    assert (first.status_code, again.status_code) == (204, 204)
    # The post's events go out in order: once its deletion is seen, any second exit would be.
    await client.delete(f"/v1/posts/{post.id}", headers=as_user("alice"))
    await event_recorder.wait_for("post.deleted")
    assert len(of_post(event_recorder, "post.coauthor_removed", post.id)) == 1


# -- deleted accounts whose tokens still work ---------------------------------------------


def assert_account_gone(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "The account of this token no longer exists."


async def test_a_deleted_account_can_no_longer_create_invite_or_publish(
    client: httpx.AsyncClient,
    events: EventInjector,
    as_user: Headers,
    uid: Ids,
    event_recorder: EventRecorder,
) -> None:
    pending = await create_post(client, event_recorder, as_user("alice"), ["bob"], "when_accepted")
    await events.publish(UserDeleted(user_id=uid("alice"), deleted_at=now()))

    created = await client.post("/v1/posts", json={"text": "still here?"}, headers=as_user("alice"))
    invited = await client.post(
        f"/v1/posts/{pending.id}/coauthors", json={"handle": "carol"}, headers=as_user("alice")
    )
    published = await client.post(f"/v1/posts/{pending.id}/publish", headers=as_user("alice"))

    for response in (created, invited, published):
        assert_account_gone(response)
    assert [e.data["post_id"] for e in event_recorder.of_type("post.created")] == [pending.id]


async def test_an_author_the_users_service_does_not_know_cannot_create(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/v1/posts",
        json={"text": "who am I"},
        headers=identity_headers("u-deleted-long-ago", "posts"),
    )
    assert_account_gone(response)


class UsersWithSomethingFirst(httpx.AsyncBaseTransport):
    """The users service, with `first` happening just before it answers its first call."""

    def __init__(
        self, users: httpx.AsyncBaseTransport, first: Callable[[], Awaitable[object]]
    ) -> None:
        self._users = users
        self._first: Callable[[], Awaitable[object]] | None = first

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._first is not None:
            first, self._first = self._first, None
            await first()
        return await self._users.handle_async_request(request)


async def test_a_post_written_while_its_author_was_being_deleted_is_deleted_too(
    start_posts: PostsServiceStarter,
    users: EligibilityStandIn,
    events: EventInjector,
    as_user: Headers,
    uid: Ids,
    event_recorder: EventRecorder,
) -> None:
    # user.deleted is handled after the author was found alive and before the post is
    # written, so the handler's search for the author's posts comes too early to find it.
    deleted = UserDeleted(user_id=uid("alice"), deleted_at=now())
    deleting_alice = UsersWithSomethingFirst(users.transport(), lambda: events.publish(deleted))

    async with start_posts(users=deleting_alice) as client:
        response = await client.post(
            "/v1/posts", json={"text": "last words", "coauthors": ["bob"]}, headers=as_user("alice")
        )
        assert_account_gone(response)
        (created,) = await event_recorder.wait_for("post.created")
        (gone,) = await event_recorder.wait_for("post.deleted")
        assert gone.data["post_id"] == created.data["post_id"]
        shown = await client.get(f"/v1/posts/{gone.data['post_id']}", headers=as_user("bob"))
        assert shown.status_code == 404


async def test_a_remote_coauthors_withdrawn_consent_is_their_leaving_once(
    client: httpx.AsyncClient,
    events: EventInjector,
    as_user: Headers,
    uid: Ids,
    event_recorder: EventRecorder,
) -> None:
    """To the posts service a remote co-author is a co-author like another (bob here)."""
    post = await create_post(client, event_recorder, as_user("alice"), ["bob"])
    await events.publish(post.accepted_by(uid("bob")))
    left = RemoteCoauthorLeft(
        activity_id="https://remote.test/stamps/1#delete",
        post_id=post.id,
        coauthor_id=uid("bob"),
        left_at=now(),
    )

    await events.publish(left, left)
    # Someone never on the post withdrawing changes nothing (and is not retried).
    await events.publish(left.model_copy(update={"coauthor_id": uid("carol")}))

    assert await coauthors_shown(client, post.id, as_user("dave")) == []
    (removed,) = await event_recorder.wait_for("post.coauthor_removed")
    assert (removed.data["coauthor_id"], removed.data["reason"]) == (uid("bob"), "left")
    assert removed.data["was_credited"] is True
    await wait_until(lambda: len(of_post(event_recorder, "post.coauthor_removed", post.id)) == 1)
