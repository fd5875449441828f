"""The notification rules, without I/O: which event notifies whom, withdrawals, stream order."""

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from notifications.core.rules import (
    NO_REACTION,
    NewNotification,
    NotificationType,
    Reaction,
    SubjectKind,
    Withdrawal,
    notification_id,
    preview_of,
    withdrawals_that_cover,
)
from notifications.following.rules import FOLLOWER_NOTIFICATION_WINDOW
from notifications.handlers import reaction_to
from notifications.streams.rules import InvalidLastEventId, StreamPosition, parse_last_event_id
from shared.events import EventData
from shared.events.invitations import (
    InvitationAccepted,
    InvitationCancelled,
    InvitationCreated,
    InvitationDeclined,
    InvitationExpired,
    InvitationRevoked,
)
from shared.events.posts import (
    CoauthorRemovalReason,
    PostCoauthorAdded,
    PostCoauthorRemoved,
    PostCreated,
    PostDeleted,
    PostPublished,
    PublishMode,
)
from shared.events.users import UserDeleted, UserFollowed, UserRegistered

T = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
INVITATION = {"invitation_id": "i1", "post_id": "p1", "inviter_id": "alice", "invitee_id": "bob"}


def removed(reason: CoauthorRemovalReason) -> PostCoauthorRemoved:
    return PostCoauthorRemoved(
        post_id="p1", author_id="alice", coauthor_id="bob", reason=reason, removed_at=T
    )


def published(mode: PublishMode, coauthors: tuple[str, ...] = ("bob", "carol")) -> PostPublished:
    return PostPublished(
        post_id="p1",
        author_id="alice",
        text="hi",
        coauthor_ids=coauthors,
        created_at=T,
        published_at=T,
        publish_mode=mode,
    )


def notice(
    recipient: str,
    kind: NotificationType,
    actor: str,
    *,
    post: str | None = "p1",
    invitation: str | None = None,
) -> NewNotification:
    return NewNotification(recipient, kind, actor, post_id=post, invitation_id=invitation)


POST_GONE = Withdrawal(SubjectKind.POST, "p1")

MAPPING: list[tuple[str, EventData, Reaction]] = [
    (
        "invitation created notifies the invitee",
        InvitationCreated(**INVITATION, created_at=T, expires_at=T),
        Reaction(
            notifications=(
                notice("bob", NotificationType.INVITATION_RECEIVED, "alice", invitation="i1"),
            )
        ),
    ),
    (
        "invitation accepted notifies the inviter",
        InvitationAccepted(**INVITATION, responded_at=T),
        Reaction(
            notifications=(
                notice("alice", NotificationType.INVITATION_ACCEPTED, "bob", invitation="i1"),
            )
        ),
    ),
    (
        "invitation declined notifies the inviter",
        InvitationDeclined(**INVITATION, responded_at=T),
        Reaction(
            notifications=(
                notice("alice", NotificationType.INVITATION_DECLINED, "bob", invitation="i1"),
            )
        ),
    ),
    (
        "invitation expired notifies the inviter",
        InvitationExpired(**INVITATION, expired_at=T),
        Reaction(
            notifications=(
                notice("alice", NotificationType.INVITATION_EXPIRED, "bob", invitation="i1"),
            )
        ),
    ),
    (
        "invitation cancelled withdraws what was said about it",
        InvitationCancelled(**INVITATION, reason="post_deleted", cancelled_at=T),
        Reaction(withdrawals=(Withdrawal(SubjectKind.INVITATION, "i1"),)),
    ),
    (
        "invitation revoked withdraws what was said about it",
        InvitationRevoked(**INVITATION, revoked_at=T),
        Reaction(withdrawals=(Withdrawal(SubjectKind.INVITATION, "i1"),)),
    ),
    (
        "a co-author leaving notifies the author",
        removed("left"),
        Reaction(notifications=(notice("alice", NotificationType.COAUTHOR_LEFT, "bob"),)),
    ),
    (
        "a co-author removed is told by the author",
        removed("removed"),
        Reaction(notifications=(notice("bob", NotificationType.COAUTHOR_REMOVED, "alice"),)),
    ),
    ("a revoked invitee is not told twice", removed("revoked"), NO_REACTION),
    ("a declining invitee is not told", removed("declined"), NO_REACTION),
    ("a block removal notifies nobody", removed("blocked"), NO_REACTION),
    ("an account deletion removal notifies nobody", removed("account_deleted"), NO_REACTION),
    (
        "a pending post published notifies each co-author",
        published("when_accepted"),
        Reaction(
            notifications=(
                notice("bob", NotificationType.POST_PUBLISHED, "alice"),
                notice("carol", NotificationType.POST_PUBLISHED, "alice"),
            )
        ),
    ),
    ("a post published at once notifies nobody", published("now"), NO_REACTION),
    (
        "a deleted post withdraws its notifications and tells its co-authors",
        PostDeleted(post_id="p1", author_id="alice", coauthor_ids=("bob", "bob"), deleted_at=T),
        Reaction(
            withdrawals=(POST_GONE,),
            notifications=(notice("bob", NotificationType.POST_DELETED, "alice"),),
        ),
    ),
    (
        "a follow notifies the followee",
        UserFollowed(follower_id="bob", followee_id="alice", followed_at=T),
        Reaction(
            notifications=(
                NewNotification(
                    "alice",
                    NotificationType.FOLLOWER_NEW,
                    "bob",
                    collapse_key=f"follower.new:alice:bob:{int(T.timestamp() // 86400)}",
                ),
            )
        ),
    ),
    (
        "a deleted account withdraws what it did and received",
        UserDeleted(user_id="bob", deleted_at=T),
        Reaction(withdrawals=(Withdrawal(SubjectKind.USER, "bob"),)),
    ),
    (
        "post created says nothing (the invitations service tells invitees)",
        PostCreated(post_id="p1", author_id="alice", text="x", publish_mode="now", created_at=T),
        NO_REACTION,
    ),
    (
        "a co-author added says nothing (the accept already did)",
        PostCoauthorAdded(
            post_id="p1", author_id="alice", coauthor_id="bob", invitation_id="i1", added_at=T
        ),
        NO_REACTION,
    ),
    (
        "a registration says nothing",
        UserRegistered(user_id="bob", handle="bob", display_name="Bob", created_at=T),
        NO_REACTION,
    ),
]


@pytest.mark.parametrize(
    ("event", "expected"), [(e, r) for _, e, r in MAPPING], ids=[name for name, _, _ in MAPPING]
)
def test_event_maps_to_its_reaction(event: EventData, expected: Reaction) -> None:
    assert reaction_to(event) == expected


def test_nobody_is_notified_of_their_own_action() -> None:
    assert reaction_to(published("when_accepted", ("alice",))) == NO_REACTION


def test_notification_id_is_the_same_for_a_redelivered_event_and_differs_by_recipient() -> None:
    event_id = uuid4()
    to_bob = notice("bob", NotificationType.INVITATION_RECEIVED, "alice")
    to_carol = notice("carol", NotificationType.INVITATION_RECEIVED, "alice")
    assert notification_id(event_id, to_bob) == notification_id(event_id, to_bob)
    assert notification_id(event_id, to_bob) != notification_id(event_id, to_carol)
    assert notification_id(event_id, to_bob) != notification_id(uuid4(), to_bob)


def follow_notification(follower: str, followee: str, at: datetime) -> NewNotification:
    (notification,) = reaction_to(
        UserFollowed(follower_id=follower, followee_id=followee, followed_at=at)
    ).notifications
    return notification


def test_follows_of_one_follower_on_one_day_are_one_notification_whatever_the_event() -> None:
    morning = follow_notification("bob", "alice", T.replace(hour=1))
    evening = follow_notification("bob", "alice", T.replace(hour=23))
    assert notification_id(uuid4(), morning) == notification_id(uuid4(), evening)


def test_follows_by_other_followers_or_on_other_days_are_notified_apart() -> None:
    first = notification_id(uuid4(), follow_notification("bob", "alice", T))
    assert first != notification_id(uuid4(), follow_notification("carol", "alice", T))
    assert first != notification_id(uuid4(), follow_notification("bob", "dave", T))
    next_day = T + FOLLOWER_NOTIFICATION_WINDOW
    assert first != notification_id(uuid4(), follow_notification("bob", "alice", next_day))


def test_an_invitation_notification_is_covered_by_its_invitation_post_and_both_users() -> None:
    received = notice("bob", NotificationType.INVITATION_RECEIVED, "alice", invitation="i1")
    assert set(withdrawals_that_cover(received)) == {
        Withdrawal(SubjectKind.USER, "bob"),
        Withdrawal(SubjectKind.USER, "alice"),
        Withdrawal(SubjectKind.INVITATION, "i1"),
        POST_GONE,
    }


def test_post_deleted_survives_its_post_and_its_authors_account() -> None:
    deleted = notice("bob", NotificationType.POST_DELETED, "alice")
    assert withdrawals_that_cover(deleted) == [Withdrawal(SubjectKind.USER, "bob")]


def test_the_stream_delivers_in_sequence_and_waits_for_a_gap() -> None:
    position = StreamPosition(last_seq=3, grace_seconds=1.0)
    assert position.advance([(4, "d"), (6, "f")], now=0.0) == ["d"]
    assert position.last_seq == 4
    assert position.advance([(6, "f")], now=0.5) == []
    assert position.advance([(5, "e"), (6, "f")], now=0.7) == ["e", "f"]
    assert position.last_seq == 6


def test_the_stream_skips_a_gap_nobody_fills_within_the_grace_period() -> None:
    position = StreamPosition(last_seq=0, grace_seconds=1.0)
    assert position.advance([(2, "b")], now=10.0) == []
    assert position.advance([(2, "b"), (4, "d")], now=11.0) == ["b"]
    assert position.advance([(4, "d")], now=11.5) == []
    assert position.advance([(4, "d")], now=12.0) == ["d"]


def test_the_stream_ignores_what_it_already_delivered() -> None:
    position = StreamPosition(last_seq=5, grace_seconds=1.0)
    assert position.advance([(5, "e"), (6, "f")], now=0.0) == ["f"]


@pytest.mark.parametrize(("header", "expected"), [(None, None), ("", None), (" 42 ", 42)])
def test_last_event_id_is_a_position(header: str | None, expected: int | None) -> None:
    assert parse_last_event_id(header) == expected


@pytest.mark.parametrize("header", ["abc", "-1", "1.5", "١٢", "9" * 19])
def test_a_last_event_id_this_service_never_sent_is_a_bad_request(header: str) -> None:
    with pytest.raises(InvalidLastEventId):
        parse_last_event_id(header)


@pytest.mark.parametrize(
    ("text", "preview"),
    [
        (None, None),
        ("", None),
        ("short", "short"),
        ("x" * 140, "x" * 140),
        ("x" * 141, "x" * 139 + "…"),
        ("word " * 40, ("word " * 28).rstrip() + "…"),
    ],
)
def test_a_preview_is_at_most_140_characters_of_the_text(
    text: str | None, preview: str | None
) -> None:
    assert preview_of(text) == preview
