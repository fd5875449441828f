"""How the posts service's events change a post as remote servers see it, in any order: the
newest word on each co-author wins, a deleted post stays deleted, and only a change to what
the Note shows is sent."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from federation_support import PUBLISHED, published

from federation.publishing.rules import (
    LocalPost,
    Outgoing,
    coauthor_removed,
    credit,
    delete,
    handed_over,
    outgoing,
    publish,
)
from shared.events.posts import PostCoauthorRemoved, PostHandedOver

BEFORE, AFTER = PUBLISHED - timedelta(minutes=1), PUBLISHED + timedelta(minutes=1)
type Change = Callable[[LocalPost], LocalPost]


def published_with_bob(post: LocalPost) -> LocalPost:
    return publish(post, published("p", "alice", "bob", credits={"bob": "photo"}))


def bob_left(at: timedelta) -> Change:
    def change(post: LocalPost) -> LocalPost:
        removed = PostCoauthorRemoved(
            post_id="p",
            author_id="alice",
            coauthor_id="bob",
            reason="left",
            removed_at=PUBLISHED + at,
        )
        return coauthor_removed(post, removed)

    return change


@pytest.mark.parametrize(
    ("changes", "credited"),
    [
        ([published_with_bob], ["bob"]),
        ([published_with_bob, bob_left(timedelta(minutes=1))], []),
        # The removal came first: the publication, older, does not bring Bob back.
        ([bob_left(timedelta(minutes=1)), published_with_bob], []),
        # A removal older than the credit it follows is stale.
        ([published_with_bob, bob_left(-timedelta(minutes=1))], ["bob"]),
        # At one instant a removal wins, whichever came first.
        ([bob_left(timedelta(0)), published_with_bob], []),
        ([published_with_bob, bob_left(timedelta(0))], []),
        # Back again, later: credited.
        (
            [
                published_with_bob,
                bob_left(timedelta(minutes=1)),
                lambda p: credit(p, "bob", True, AFTER + timedelta(minutes=1)),
            ],
            ["bob"],
        ),
    ],
)
def test_the_newest_word_on_a_coauthor_wins(changes: list[Change], credited: list[str]) -> None:
    post = LocalPost("p")
    for change in changes:
        post = change(post)

    assert post.coauthor_ids == credited


def test_a_deleted_post_is_not_published_or_credited_again() -> None:
    deleted = delete(published_with_bob(LocalPost("p")), AFTER)

    assert published_with_bob(deleted) == deleted
    assert credit(deleted, "carol", True, AFTER) == deleted


@pytest.mark.parametrize(
    ("change", "sent"),
    [
        (lambda p: p, None),
        (published_with_bob, None),
        (bob_left(timedelta(minutes=1)), "Update"),
        (bob_left(-timedelta(minutes=1)), None),
        (lambda p: credit(p, "bob", True, AFTER, "words"), "Update"),
        (lambda p: credit(p, "carol", True, AFTER), "Update"),
        (lambda p: delete(p, AFTER), "Delete"),
    ],
)
def test_only_a_change_to_what_the_note_shows_is_sent(
    change: Change, sent: Outgoing | None
) -> None:
    before = published_with_bob(LocalPost("p"))

    assert outgoing(before, change(before)) == sent


def test_the_first_publication_is_a_create_and_a_removal_before_it_sends_nothing() -> None:
    unknown = LocalPost("p")

    assert outgoing(unknown, published_with_bob(unknown)) == "Create"
    assert outgoing(unknown, bob_left(timedelta(0))(unknown)) is None


def hand_over(post: LocalPost, source: str, to: str, minutes: int) -> LocalPost:
    event = PostHandedOver(
        post_id="p",
        from_author_id=source,
        to_author_id=to,
        coauthor_ids=(source,),
        reason="accepted",
        handed_over_at=PUBLISHED + timedelta(minutes=minutes),
    )
    return handed_over(post, event)


def test_a_hand_over_applies_once_and_a_late_one_changes_nothing() -> None:
    post = published_with_bob(LocalPost("p"))

    to_bob = hand_over(post, "alice", "bob", 1)
    back_to_alice = hand_over(to_bob, "bob", "alice", 2)

    assert (to_bob.author_id, to_bob.coauthor_ids, to_bob.publisher_id) == (
        "bob",
        ["alice"],
        "alice",
    )
    assert outgoing(post, to_bob) == "Update"
    assert hand_over(to_bob, "alice", "bob", 1) == to_bob  # repeated
    assert (back_to_alice.author_id, back_to_alice.coauthor_ids) == ("alice", ["bob"])
    assert hand_over(back_to_alice, "alice", "bob", 1) == back_to_alice  # older than the last
    assert hand_over(post, "carol", "bob", 1) == post  # not the author's
    assert hand_over(LocalPost("p"), "alice", "bob", 1) == LocalPost("p")  # not published yet
