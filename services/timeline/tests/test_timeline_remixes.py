"""Remix cards in timelines: the original shows only while approved, counts stay right."""

from typing import Any

from timeline_support import Events, TimelineApi, at, published

from shared.events.posts import (
    PostPublished,
    PostRemixApproved,
    PostRemixRemoved,
    PostRemixRevoked,
    RemixEvent,
    RemixStatus,
)
from shared.testing import identity_headers
from timeline.core import rules as domain
from timeline.core.rules import PostCard


def remix_published(post: str, author: str, original: str, status: RemixStatus) -> PostPublished:
    return published(post, author, when=20).model_copy(
        update={"remix_of_post_id": original, "remix_status": status}
    )


def remix_event[E: RemixEvent](kind: type[E], status: RemixStatus, when: float) -> E:
    return kind(
        remix_id="remix",
        remix_author_id="rex",
        original_id="orig",
        original_author_id="ann",
        status=status,
        at=at(when),
    )


async def card_in_home(api: TimelineApi, user: str, post_id: str) -> dict[str, Any]:
    response = await api.home(user, limit=100)
    (post,) = [p for p in response.json()["items"] if p["id"] == post_id]
    return post


async def original_insights(api: TimelineApi) -> dict[str, Any]:
    """The original's insights as its author sees them: remixes count while approved."""
    response = await api.http.get(
        "/v1/posts/orig/insights", headers=identity_headers("ann", "timeline")
    )
    assert response.status_code == 200, response.text
    insights: dict[str, Any] = response.json()
    return insights


def test_remix_statuses_only_move_forward_whatever_the_order_of_events() -> None:
    card = PostCard("remix")
    statuses: tuple[RemixStatus, ...] = ("approved", "pending", "revoked", "approved", "pending")
    for status in statuses:
        card = domain.record_remix_status(card, "orig", status)
    assert card.remix_status == "revoked"
    assert domain.shows_original(card) is None
    assert domain.record_remix_status(card, "another", "approved") == card
    approved = domain.record_remix_status(PostCard("r2"), "orig", "approved")
    assert domain.shows_original(approved) == "orig"


async def test_revocation_is_visible_on_the_remixers_followers_timelines(
    events: Events, api: TimelineApi
) -> None:
    await events.register("ann", "rex", "fan")
    await events.follow("fan", "rex")
    await events.publish("orig", "ann", when=10)
    await events.send(remix_published("remix", "rex", "orig", "approved"))
    await api.wait_for_home("fan", ["remix"])

    shown = await card_in_home(api, "fan", "remix")
    assert shown["remix_of"]["status"] == "approved"
    assert shown["remix_of"]["post"]["id"] == "orig"
    assert shown["remix_of"]["post"]["author"]["handle"] == "ann"
    assert (await api.profile("ann")).json()["items"][0]["remix_count"] == 1
    assert (await original_insights(api))["remixes"] == 1

    await events.send(remix_event(PostRemixRevoked, "revoked", when=30))
    revoked = await card_in_home(api, "fan", "remix")
    assert revoked["remix_of"] == {"post_id": "orig", "status": "revoked", "post": None}
    profile = (await api.profile("rex")).json()["items"]
    assert profile[0]["remix_of"]["post"] is None
    assert (await api.profile("ann")).json()["items"][0]["remix_count"] == 0
    assert (await original_insights(api))["remixes"] == 0


async def test_a_late_approval_never_brings_back_a_revoked_or_removed_original(
    events: Events, api: TimelineApi
) -> None:
    await events.register("ann", "rex", "fan")
    await events.follow("fan", "rex")
    await events.publish("orig", "ann", when=10)
    await events.send(remix_event(PostRemixRemoved, "removed", when=40))
    await events.send(remix_published("remix", "rex", "orig", "pending"))
    await events.send(remix_event(PostRemixApproved, "approved", when=30))
    await api.wait_for_home("fan", ["remix"])

    shown = await card_in_home(api, "fan", "remix")
    assert shown["remix_of"] == {"post_id": "orig", "status": "removed", "post": None}
    assert (await api.profile("ann")).json()["items"][0]["remix_count"] == 0


async def test_a_deleted_remix_no_longer_counts(events: Events, api: TimelineApi) -> None:
    await events.register("ann", "rex")
    await events.publish("orig", "ann", when=10)
    await events.send(remix_published("remix", "rex", "orig", "approved"))
    await api.wait_for_profile("rex", ["remix"])
    assert (await api.profile("ann")).json()["items"][0]["remix_count"] == 1
    await events.delete_post("remix", "rex", when=50)
    await api.wait_for_profile("rex", [])
    assert (await api.profile("ann")).json()["items"][0]["remix_count"] == 0
