"""Posts with pictures: media_ids are attached through the media service (a stand-in here: its
own tests cover its rules), carried by the post, its events and its answers; a pending post's
media are shown to those who may see it with URLs the media service signs."""

from datetime import UTC, datetime
from typing import Any

import httpx
from posts_support import Headers, Ids, PostsServiceStarter

from shared.events.media import MediaAltTextChanged
from shared.public_media import AttachedMedia
from shared.testing import EventInjector, EventRecorder, MediaStandIn

signed_url = MediaStandIn.signed_url


async def create(posts: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> httpx.Response:
    return await posts.post("/v1/posts", json=body, headers=headers)


async def test_a_post_carries_its_pictures_in_order_and_announces_them(
    posts: httpx.AsyncClient,
    media_stand_in: MediaStandIn,
    uid: Ids,
    as_user: Headers,
    event_recorder: EventRecorder,
) -> None:
    first = media_stand_in.upload("m1", uid("alice"))
    second = media_stand_in.upload("m2", uid("alice"))
    created = await create(posts, as_user("alice"), text="", media_ids=[second, first])
    assert created.status_code == 201, created.text
    post = created.json()
    assert post["text"] == ""
    assert [item["id"] for item in post["media"]] == [second, first]
    assert post["media"][0]["variants"]["small"] == f"/media/{second}/small"
    assert post["media"][0]["status"] == "ready"
    (published,) = await event_recorder.wait_for("post.published")
    assert [item["id"] for item in published.data["media"]] == [second, first]
    (announced,) = event_recorder.of_type("post.created")
    assert [item["id"] for item in announced.data["media"]] == [second, first]
    seen = await posts.get(f"/v1/posts/{post['id']}", headers=as_user("bob"))
    assert seen.json()["media"] == post["media"]


async def test_a_post_without_media_has_an_empty_list(
    posts: httpx.AsyncClient, as_user: Headers
) -> None:
    created = await create(posts, as_user("alice"), text="Words only")
    assert created.json()["media"] == []


async def test_someone_elses_upload_is_not_found_and_one_on_a_post_is_a_conflict(
    posts: httpx.AsyncClient,
    media_stand_in: MediaStandIn,
    uid: Ids,
    as_user: Headers,
) -> None:
    bobs = media_stand_in.upload("bobs", uid("bob"))
    assert (await create(posts, as_user("alice"), text="x", media_ids=[bobs])).status_code == 404
    mine = media_stand_in.upload("mine", uid("alice"))
    assert (await create(posts, as_user("alice"), text="1", media_ids=[mine])).status_code == 201
    assert (await create(posts, as_user("alice"), text="2", media_ids=[mine])).status_code == 409


async def test_more_than_four_media_or_neither_text_nor_media_is_invalid(
    posts: httpx.AsyncClient, as_user: Headers
) -> None:
    five = [f"m{index}" for index in range(5)]
    assert (await create(posts, as_user("alice"), text="x", media_ids=five)).status_code == 422
    assert (await create(posts, as_user("alice"), text="", media_ids=[])).status_code == 422


async def test_a_reply_may_carry_a_picture(
    posts: httpx.AsyncClient,
    media_stand_in: MediaStandIn,
    uid: Ids,
    as_user: Headers,
) -> None:
    parent = await create(posts, as_user("alice"), text="Show me")
    picture = media_stand_in.upload("reply-picture", uid("bob"))
    reply = await posts.post(
        f"/v1/posts/{parent.json()['id']}/replies",
        json={"text": "", "media_ids": [picture]},
        headers=as_user("bob"),
    )
    assert reply.status_code == 201, reply.text
    assert [item["id"] for item in reply.json()["media"]] == [picture]


async def test_the_media_service_down_is_a_503_not_a_500(
    start_posts: PostsServiceStarter, as_user: Headers
) -> None:
    async with start_posts(media_url="http://127.0.0.1:9") as posts:
        answer = await create(posts, as_user("alice"), text="x", media_ids=["m1"])
    assert answer.status_code == 503


async def test_an_edited_alt_text_reaches_the_post_and_an_older_or_repeated_one_does_not(
    posts: httpx.AsyncClient,
    media_stand_in: MediaStandIn,
    uid: Ids,
    as_user: Headers,
    events: EventInjector,
) -> None:
    picture = media_stand_in.upload("edited", uid("alice"))
    post = (await create(posts, as_user("alice"), text="", media_ids=[picture])).json()

    def edit(alt_text: str, version: int) -> MediaAltTextChanged:
        medium = AttachedMedia(
            id=picture, kind="image", alt_text=alt_text, alt_text_version=version
        )
        return MediaAltTextChanged(
            media_id=picture,
            owner_id=uid("alice"),
            post_id=post["id"],
            medium=medium.model_copy(update={"variants": ("small", "large", "original")}),
            changed_at=datetime.now(UTC),
        )

    await events.publish(edit("Three boats", 3), edit("Two boats", 2), edit("Three boats", 3))
    seen = (await posts.get(f"/v1/posts/{post['id']}", headers=as_user("bob"))).json()
    assert seen["media"][0]["alt_text"] == "Three boats"
    assert seen["media"][0]["variants"]["small"] == f"/media/{picture}/small"


async def test_a_pending_posts_pictures_are_signed_for_its_author_and_invitee_in_one_call(
    posts: httpx.AsyncClient,
    media_stand_in: MediaStandIn,
    uid: Ids,
    as_user: Headers,
) -> None:
    first = media_stand_in.upload("p1", uid("alice"))
    second = media_stand_in.upload("p2", uid("alice"))
    created = await create(
        posts,
        as_user("alice"),
        text="Painted by Bob",
        media_ids=[first, second],
        coauthors=["bob"],
        publish_mode="when_accepted",
    )
    assert created.status_code == 201, created.text
    post_id = created.json()["id"]
    signed = {"small": signed_url(first, "small")}
    assert created.json()["media"][0]["variants"] == signed
    media_stand_in.previews_asked.clear()
    for reader in ("alice", "bob"):
        seen = await posts.get(f"/v1/posts/{post_id}", headers=as_user(reader))
        assert seen.status_code == 200, seen.text
        assert [item["variants"] for item in seen.json()["media"]] == [
            signed,
            {"small": signed_url(second, "small")},
        ]
    assert [asked.model_dump() for asked in media_stand_in.previews_asked] == [
        {"posts": [{"post_id": post_id, "media_ids": [first, second]}]}
    ] * 2
    stranger = await posts.get(f"/v1/posts/{post_id}", headers=as_user("carol"))
    assert stranger.status_code == 404
    assert len(media_stand_in.previews_asked) == 2


async def test_a_published_posts_pictures_have_public_paths_and_ask_the_media_service_nothing(
    posts: httpx.AsyncClient,
    media_stand_in: MediaStandIn,
    uid: Ids,
    as_user: Headers,
) -> None:
    picture = media_stand_in.upload("pub", uid("alice"))
    created = await create(posts, as_user("alice"), text="", media_ids=[picture])
    seen = await posts.get(f"/v1/posts/{created.json()['id']}", headers=as_user("bob"))
    assert seen.json()["media"][0]["variants"]["small"] == f"/media/{picture}/small"
    assert media_stand_in.previews_asked == []


async def test_without_the_media_service_a_pending_post_is_answered_with_unlinked_media(
    posts: httpx.AsyncClient,
    media_stand_in: MediaStandIn,
    uid: Ids,
    as_user: Headers,
) -> None:
    picture = media_stand_in.upload("down", uid("alice"))
    created = await create(
        posts,
        as_user("alice"),
        text="Painted by Bob",
        media_ids=[picture],
        coauthors=["bob"],
        publish_mode="when_accepted",
    )
    media_stand_in.down = True
    seen = await posts.get(f"/v1/posts/{created.json()['id']}", headers=as_user("bob"))
    assert seen.status_code == 200, seen.text
    (shown,) = seen.json()["media"]
    assert shown["id"] == picture
    assert shown["blurhash"] == "LEHV6nWB2yk8pyo0adR*.7kCMdnj"
    assert (shown["width"], shown["height"]) == (640, 480)
    assert shown["variants"] == {}


async def test_once_published_a_pending_posts_pictures_have_public_paths_again(
    posts: httpx.AsyncClient,
    media_stand_in: MediaStandIn,
    uid: Ids,
    as_user: Headers,
) -> None:
    picture = media_stand_in.upload("later", uid("alice"))
    created = await create(
        posts,
        as_user("alice"),
        text="Painted by Bob",
        media_ids=[picture],
        coauthors=["bob"],
        publish_mode="when_accepted",
    )
    post_id = created.json()["id"]
    published = await posts.post(f"/v1/posts/{post_id}/publish", headers=as_user("alice"))
    assert published.status_code == 200, published.text
    media_stand_in.previews_asked.clear()
    seen = await posts.get(f"/v1/posts/{post_id}", headers=as_user("bob"))
    assert seen.json()["media"][0]["variants"]["small"] == f"/media/{picture}/small"
    assert media_stand_in.previews_asked == []
