"""Edited posts on timelines and profiles: the highest version wins, whatever the order and
however often the posts service's post.edited arrives, and cards say when they were edited."""

from typing import Any

import pytest
from timeline_support import Events, TimelineApi, at

from shared.events import EventEnvelope, make_event
from shared.events.posts import PostEdited, PostHandedOver
from shared.events.users import UserDeleted
from shared.public_media import AttachedMedia
from shared.testing import identity_headers


def edited(version: int, text: str, media: tuple[AttachedMedia, ...] = ()) -> PostEdited:
    return PostEdited(
        post_id="p",
        edit_id=f"e{version}",
        proposer_id="ann",
        author_id="ann",
        coauthor_ids=("ben",),
        text=text,
        media=media,
        version=version,
        edited_at=at(100 + version),
    )


async def test_the_newest_version_shows_whatever_the_delivery_order(
    api: TimelineApi, events: Events
) -> None:
    await events.register("ann", "ben", "f1")
    await events.follow("f1", "ben")
    await events.publish("p", "ann", when=10)
    await events.add_coauthor("p", "ann", "ben", when=20)
    envelopes = [make_event(edited(v, f"text {v}"), producer="posts") for v in (2, 3)]
    later_first: list[EventEnvelope] = [envelopes[1], envelopes[0], envelopes[1]]
    await events.send(*later_first)

    home = (await api.home("f1")).json()["items"]
    profile = (await api.profile("ben", viewer="f1")).json()["items"]
    for post in (home[0], profile[0]):
        assert (post["text"], post["version"]) == ("text 3", 3)
        assert post["edited_at"] is not None


async def test_an_edit_swaps_the_cards_pictures_and_alt_texts(
    api: TimelineApi, events: Events
) -> None:
    await events.register("ann", "f1")
    await events.follow("f1", "ann")
    await events.publish("p", "ann", when=10)
    swapped = (
        AttachedMedia(id="bird", kind="image", variants=("small",)),
        AttachedMedia(id="dog", kind="image", alt_text="A dog", alt_text_version=2),
    )
    older = (AttachedMedia(id="cat", kind="image"),)
    await events.send(edited(3, "same", swapped), edited(2, "same", older))
    post = (await api.home("f1")).json()["items"][0]
    assert [(m["id"], m["alt_text"]) for m in post["media"]] == [("bird", None), ("dog", "A dog")]
    assert post["media"][0]["variants"] == {"small": "/media/bird/small"}


async def test_an_edit_heard_of_before_the_publication_keeps_its_text(
    api: TimelineApi, events: Events
) -> None:
    await events.register("ann", "f1")
    await events.follow("f1", "ann")
    await events.send(edited(2, "fixed"))
    await events.publish("p", "ann", when=10)
    post: dict[str, Any] = (
        await api.http.get("/v1/users/ann/posts", headers=identity_headers("f1", "timeline"))
    ).json()["items"][0]
    assert (post["text"], post["version"]) == ("fixed", 2)


@pytest.mark.parametrize("handed_over_first", [False, True])
async def test_a_post_handed_over_by_a_deleted_author_stays_under_its_first_coauthor(
    api: TimelineApi, events: Events, handed_over_first: bool
) -> None:
    await events.register("ann", "ben", "cy", "f1", "f2")
    await events.follow("f1", "ben")
    await events.follow("f2", "ann")
    await events.publish("p", "ann", when=10)
    await events.add_coauthor("p", "ann", "ben", when=20)
    await events.add_coauthor("p", "ann", "cy", when=21)
    deleted = UserDeleted(user_id="ann", deleted_at=at(30))
    handed = PostHandedOver(
        post_id="p",
        from_author_id="ann",
        to_author_id="ben",
        coauthor_ids=("cy",),
        reason="account_deleted",
        handed_over_at=at(30),
    )
    await events.send(*((handed, deleted) if handed_over_first else (deleted, handed)))
    await api.wait_for_home("f1", ["p"])
    await api.wait_for_home("f2", [])
    await api.wait_for_profile("ben", ["p"])
    await api.wait_for_profile("cy", ["p"])
    post = (await api.home("f1")).json()["items"][0]
    assert post["author"]["handle"] == "ben"
    assert [c["user"]["handle"] for c in post["coauthors"]] == ["cy"]
