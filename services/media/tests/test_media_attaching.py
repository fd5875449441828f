"""Media on posts: only one's own ready uploads, once; public with the post, gone with it."""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from media_support import MediaHarness, picture

from shared.events.posts import PostDeleted, PostEdited, PostEditEnded, PostPublished
from shared.events.users import UserDeleted
from shared.public_media import AttachedMedia, media_path
from shared.testing import EventRecorder, caller_headers, identity_headers, wait_until

ALICE = "6756f0c2a1b2c3d4e5f60711"
BOB = "6756f0c2a1b2c3d4e5f60712"
POST = "6756f0c2a1b2c3d4e5f60a01"
OTHER_POST = "6756f0c2a1b2c3d4e5f60a02"


async def upload(media: MediaHarness, owner: str = ALICE) -> str:
    return str((await media.upload(owner, picture((500, 300)), alt_text="A flag")).json()["id"])


async def test_attached_media_of_a_published_post_are_public_and_cached_for_good(
    media: MediaHarness,
) -> None:
    first, second = await upload(media), await upload(media)
    answer = await media.attach(ALICE, POST, [second, first])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["refusal"] is None
    assert [item["id"] for item in body["media"]] == [second, first]
    assert body["media"][0]["variants"] == ["small", "large", "original"]
    assert body["media"][0]["alt_text"] == "A flag"
    served = await media.fetch(media_path(first, "small"))
    assert served.status_code == 200
    assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
    seen_by_bob = await media.client.get(
        f"/v1/media/{first}", headers=identity_headers(BOB, "media")
    )
    assert seen_by_bob.status_code == 200
    assert urlsplit(seen_by_bob.json()["variants"]["small"]).query == ""


async def test_attaching_again_to_the_same_post_answers_the_same(media: MediaHarness) -> None:
    media_id = await upload(media)
    first = await media.attach(ALICE, POST, [media_id])
    again = await media.attach(ALICE, POST, [media_id])
    assert first.json() == again.json()


async def test_refusals_someone_elses_attached_elsewhere_too_many(media: MediaHarness) -> None:
    mine, bobs = await upload(media), await upload(media, BOB)
    refused = (await media.attach(ALICE, POST, [mine, bobs])).json()
    assert (refused["refusal"], refused["media_id"]) == ("unknown", bobs)
    assert (await media.attach(ALICE, POST, [mine])).json()["refusal"] is None
    taken = (await media.attach(ALICE, OTHER_POST, [mine])).json()
    assert (taken["refusal"], taken["media_id"]) == ("attached", mine)
    five = [await upload(media) for _ in range(5)]
    assert (await media.attach(ALICE, OTHER_POST, five)).json()["refusal"] == "composition"


async def test_only_the_posts_service_may_attach(media: MediaHarness) -> None:
    answer = await media.client.post(
        "/internal/media/attach",
        json={"owner_id": ALICE, "post_id": POST, "media_ids": [], "public": True},
        headers=caller_headers("timeline", "media"),
    )
    assert answer.status_code == 403


async def test_a_pending_posts_media_become_public_when_it_is_published(
    media: MediaHarness,
) -> None:
    media_id = await upload(media)
    await media.attach(ALICE, POST, [media_id], public=False)
    assert (await media.fetch(media_path(media_id, "small"))).status_code == 404
    now = datetime.now(UTC)
    await media.events.publish(
        PostPublished(
            post_id=POST,
            author_id=ALICE,
            text="",
            coauthor_ids=(),
            created_at=now,
            published_at=now,
        )
    )
    assert (await media.fetch(media_path(media_id, "small"))).status_code == 200


async def test_a_deleted_posts_media_are_gone_at_once_and_from_storage_soon(
    media: MediaHarness,
) -> None:
    media_id = await upload(media)
    await media.attach(ALICE, POST, [media_id])
    await media.events.publish(
        PostDeleted(post_id=POST, author_id=ALICE, coauthor_ids=(), deleted_at=datetime.now(UTC))
    )
    assert (await media.fetch(media_path(media_id, "small"))).status_code == 404
    files = media.app.state.runtime.db["blobs.files"]

    async def removed() -> bool:
        return await files.count_documents({"metadata.media_id": media_id}) == 0

    await wait_until(removed)


async def test_a_deleted_accounts_media_are_deleted(media: MediaHarness) -> None:
    media_id = await upload(media)
    await media.events.publish(UserDeleted(user_id=ALICE, deleted_at=datetime.now(UTC)))
    seen = await media.client.get(f"/v1/media/{media_id}", headers=identity_headers(ALICE, "media"))
    assert seen.status_code == 404


async def test_an_upload_on_no_post_expires(media: MediaHarness) -> None:
    media_id = await upload(media)
    db = media.app.state.runtime.db
    await db["media"].update_one(
        {"_id": media_id}, {"$set": {"expires_at": datetime.now(UTC) - timedelta(seconds=1)}}
    )

    async def gone() -> bool:
        return await db["media"].count_documents({"_id": media_id}) == 0

    await wait_until(gone)


async def test_an_alt_text_edited_on_a_post_is_announced_with_its_version(
    media: MediaHarness, event_recorder: EventRecorder
) -> None:
    loose, posted = await upload(media), await upload(media)
    await media.attach(ALICE, POST, [posted])

    async def edit(media_id: str, alt_text: str) -> dict[str, object]:
        answer = await media.client.patch(
            f"/v1/media/{media_id}",
            json={"alt_text": alt_text},
            headers=identity_headers(ALICE, "media"),
        )
        assert answer.status_code == 200, answer.text
        body: dict[str, object] = answer.json()
        return body

    assert (await edit(loose, "Not on a post"))["alt_text"] == "Not on a post"
    await edit(posted, "Two boats")
    await edit(posted, "Three boats")
    first, second = await event_recorder.wait_for("media.alt_text_changed", count=2)
    assert [event.data["medium"]["alt_text"] for event in (first, second)] == [
        "Two boats",
        "Three boats",
    ]
    assert [event.data["medium"]["alt_text_version"] for event in (first, second)] == [2, 3]
    assert {event.data["post_id"] for event in (first, second)} == {POST}
    assert {
        event.data["media_id"] for event in event_recorder.of_type("media.alt_text_changed")
    } == {posted}
    not_hers = await media.client.patch(
        f"/v1/media/{posted}", json={"alt_text": "x"}, headers=identity_headers(BOB, "media")
    )
    assert not_hers.status_code == 404


async def alive(media: MediaHarness, media_id: str) -> dict[str, object] | None:
    found: dict[str, object] | None = await media.app.state.runtime.db["media"].find_one(
        {"_id": media_id, "deleted_at": None}
    )
    return found


async def test_a_refused_attachment_gives_back_only_what_it_took(media: MediaHarness) -> None:
    on_post, mine = await upload(media), await upload(media)
    await media.attach(ALICE, POST, [on_post])
    await media.attach(ALICE, OTHER_POST, [mine])
    retaken = await upload(media)
    refused = (await media.attach(ALICE, POST, [retaken, mine], edit_id="e1")).json()
    assert (refused["refusal"], refused["media_id"]) == ("attached", mine)
    assert (await alive(media, on_post) or {}).get("post_id") == POST
    assert (await alive(media, retaken) or {}).get("post_id") is None


async def test_an_applied_edit_deletes_the_media_it_removed_and_takes_its_alt_texts(
    media: MediaHarness,
) -> None:
    removed, kept = await upload(media), await upload(media)
    await media.attach(ALICE, POST, [removed, kept])
    now = datetime.now(UTC)
    edited = PostEdited(
        post_id=POST,
        edit_id="e1",
        proposer_id=BOB,
        author_id=ALICE,
        coauthor_ids=(BOB,),
        text="",
        media=(AttachedMedia(id=kept, kind="image", alt_text="A dog", alt_text_version=2),),
        version=2,
        edited_at=now,
        removed_media_ids=(removed,),
    )
    await media.events.publish(edited, edited)
    assert (await media.fetch(media_path(removed, "small"))).status_code == 404
    seen = await media.client.get(f"/v1/media/{kept}", headers=identity_headers(ALICE, "media"))
    assert seen.json()["alt_text"] == "A dog"
    # The owner's own edit after it is a newer version still.
    patched = await media.client.patch(
        f"/v1/media/{kept}", json={"alt_text": "A puppy"}, headers=identity_headers(ALICE, "media")
    )
    assert patched.json()["alt_text"] == "A puppy"
    await media.events.publish(edited)
    assert (await alive(media, kept) or {}).get("alt_text") == "A puppy"
    assert (await alive(media, kept) or {}).get("alt_text_version") == 3


async def test_an_edit_that_did_not_apply_frees_its_uploads_unless_another_took_them(
    media: MediaHarness,
) -> None:
    first, second = await upload(media, BOB), await upload(media, BOB)
    await media.attach(BOB, POST, [first, second], edit_id="e1")

    def ended(edit_id: str, released: tuple[str, ...]) -> PostEditEnded:
        return PostEditEnded(
            post_id=POST,
            edit_id=edit_id,
            proposer_id=BOB,
            status="rejected",
            author_ids=(ALICE, BOB),
            ended_at=datetime.now(UTC),
            released_media_ids=released,
        )

    await media.attach(BOB, POST, [second], edit_id="e2")
    await media.events.publish(ended("e1", (first, second)))
    assert (await alive(media, first) or {}).get("post_id") is None
    assert (await alive(media, second) or {}).get("post_id") == POST
    await media.events.publish(ended("e2", (second,)))
    assert (await alive(media, second) or {}).get("post_id") is None
