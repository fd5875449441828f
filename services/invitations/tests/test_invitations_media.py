"""A post's media on its invitations: the invitee sees the picture it is asked to approve,
through the URLs the media service gives (a stand-in here: its own tests cover signing)."""

from datetime import UTC, datetime
from uuid import uuid4

import httpx
from fastapi import FastAPI
from invitations_support import HarnessFactory, InvitationsHarness

from shared.events.posts import InvitedCoauthor, PostCreated
from shared.public_media import (
    PREVIEWS_PATH,
    AttachedMedia,
    MediaOut,
    PreviewsAnswer,
    PreviewsRequest,
)
from shared.testing import ALICE, BOB, identity_headers

PICTURE = "6756f1d3b2c3d4e5f6071830"


def media_stand_in(asked: list[PreviewsRequest]) -> httpx.ASGITransport:
    """Answers every medium asked for, with a URL that says it was signed."""
    app = FastAPI()

    @app.post(PREVIEWS_PATH)
    async def previews(body: PreviewsRequest) -> PreviewsAnswer:
        asked.append(body)
        return PreviewsAnswer(
            media=[
                MediaOut(
                    **AttachedMedia(id=media_id, kind="image", alt_text="A flag")
                    .out()
                    .model_dump(exclude={"variants"}),
                    variants={"small": f"/media/{media_id}/small?expires=1&signature=s"},
                )
                for wanted in body.posts
                for media_id in wanted.media_ids
            ]
        )

    return httpx.ASGITransport(app=app)


async def invite_with_picture(invitations: InvitationsHarness) -> tuple[str, str]:
    post_id, invitation_id = uuid4().hex, uuid4().hex
    await invitations.events.publish(
        PostCreated(
            post_id=post_id,
            author_id=ALICE,
            text="Painted by Bob",
            publish_mode="when_accepted",
            created_at=datetime.now(UTC),
            invitations=(InvitedCoauthor(invitation_id=invitation_id, invitee_id=BOB),),
            media=(AttachedMedia(id=PICTURE, kind="image", variants=("small",)),),
        )
    )
    return post_id, invitation_id


async def test_a_pending_invitation_shows_the_posts_media_and_a_declined_one_does_not(
    start_invitations: HarnessFactory,
) -> None:
    asked: list[PreviewsRequest] = []
    async with start_invitations(media_transport=media_stand_in(asked)) as invitations:
        post_id, invitation_id = await invite_with_picture(invitations)
        (shown,) = (await invitations.get(invitation_id, BOB)).json()["post_media"]
        assert shown["id"] == PICTURE
        assert shown["variants"]["small"].startswith(f"/media/{PICTURE}/small?expires=")
        assert [(p.post_id, p.media_ids) for p in asked[0].posts] == [(post_id, [PICTURE])]
        listed = await invitations.client.get(
            "/v1/invitations", headers=identity_headers(BOB, "invitations")
        )
        assert listed.json()["items"][0]["post_media"] == [shown]

        assert (await invitations.answer(invitation_id, BOB, "decline")).status_code == 200
        asked.clear()
        assert (await invitations.get(invitation_id, BOB)).json()["post_media"] == []
        assert asked == []


async def test_without_the_media_service_invitations_show_no_media_rather_than_fail(
    start_invitations: HarnessFactory,
) -> None:
    async with start_invitations(media_url="http://127.0.0.1:9") as invitations:
        _, invitation_id = await invite_with_picture(invitations)
        answer = await invitations.get(invitation_id, BOB)
        assert answer.status_code == 200
        assert answer.json()["post_media"] == []
