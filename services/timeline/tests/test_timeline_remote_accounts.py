"""Remote accounts in the timeline: one following a local author has no home timeline here,
so nothing is fanned out to it, while local followers get the post as ever; a remote
account's posts reach its local followers like any author's, and muting or blocking it takes
them out."""

from timeline_support import Events, Feeds, TimelineApi, at

from shared.events.federation import RemoteAttachment, RemotePostEdited, RemotePostReceived
from shared.events.users import UserBlocked, UserMuted
from shared.testing import KnownUser
from timeline.fanout.repository import FOLLOWS

RITA = KnownUser.remote("https://social.example/users/rita", "Rita", created_at=at(0))


async def test_a_remote_follower_gets_no_home_timeline_while_local_followers_get_the_post(
    events: Events, api: TimelineApi, feeds: Feeds
) -> None:
    await events.register("ann", "x")
    await events.follow(RITA.id, "ann")
    await events.follow("x", "ann")

    await events.publish("p1", "ann", when=10)

    await api.wait_for_home("x", ["p1"])
    assert await feeds.posts("home", RITA.id) is None
    assert await api.db[FOLLOWS].count_documents({"_id": {"$regex": f"^{RITA.id}"}}) == 0


async def remote_post_followed_by_x(events: Events, api: TimelineApi) -> None:
    """x follows the remote account rita, whose post (taken in by the posts service) it sees."""
    await events.register("x")
    await events.send(RITA.registered())
    await events.follow("x", RITA.id, when=1)
    await events.publish("remote-post", RITA.id, when=10)
    await api.wait_for_home("x", ["remote-post"])
    (post,) = (await api.home("x")).json()["items"]
    assert post["author"]["handle"] == "rita@social.example"


async def test_muting_a_remote_account_takes_its_posts_out_of_the_home_timeline(
    events: Events, api: TimelineApi
) -> None:
    await remote_post_followed_by_x(events, api)

    await events.send(UserMuted(muter_id="x", muted_id=RITA.id, muted_at=at(20)))

    await api.wait_for_home("x", [])


async def test_blocking_a_remote_account_takes_its_posts_out_of_the_home_timeline(
    events: Events, api: TimelineApi
) -> None:
    await remote_post_followed_by_x(events, api)

    await events.send(UserBlocked(blocker_id="x", blocked_id=RITA.id, blocked_at=at(20)))

    await api.wait_for_home("x", [])
    await events.publish("later", RITA.id, when=30)
    assert await api.home_ids("x") == []


def ritas_note(summary: str, *attachments: RemoteAttachment) -> RemotePostReceived:
    """The federation service's fact of Rita's remote post, first published at minute 10."""
    return RemotePostReceived(
        activity_id="https://social.example/activities/1",
        post_id="remote-post",
        note_id="https://social.example/notes/1",
        url="https://social.example/@rita/1",
        author_id=RITA.id,
        text="Look",
        published_at=at(10),
        summary=summary,
        attachments=attachments,
    )


async def test_a_remote_posts_content_warning_and_web_media_show_in_the_home_timeline(
    events: Events, api: TimelineApi
) -> None:
    picture = RemoteAttachment(
        kind="Image", url="https://social.example/1.png", media_type="image/png", name="Boats"
    )
    elsewhere = RemoteAttachment(kind="Image", url="javascript:alert(1)")
    # The federation service's fact may come before or after the posts service's events.
    await events.send(ritas_note("Sea", picture, elsewhere))

    await remote_post_followed_by_x(events, api)

    (post,) = (await api.home("x")).json()["items"]
    assert post["content_warning"] == "Sea"
    assert post["remote_media"] == [
        {"url": "https://social.example/1.png", "media_type": "image/png", "description": "Boats"}
    ]


async def test_a_newer_update_changes_a_remote_posts_content_warning_and_media_and_an_older_not(
    events: Events, api: TimelineApi
) -> None:
    picture = RemoteAttachment(kind="Image", url="https://social.example/1.png", name="Boats")
    drawing = RemoteAttachment(kind="Image", url="https://social.example/2.png")

    def edit(minutes: float, summary: str | None, *media: RemoteAttachment) -> RemotePostEdited:
        return RemotePostEdited(
            activity_id=f"https://social.example/activities/update-{minutes}",
            post_id="remote-post",
            author_id=RITA.id,
            text="Look",
            edited_at=at(minutes),
            summary=summary,
            attachments=media,
        )

    await remote_post_followed_by_x(events, api)
    # An Update may be handled before the Create's fact: the newer Note's version wins.
    await events.send(edit(30, None, drawing))
    await events.send(ritas_note("Sea", picture))
    await events.send(edit(20, "Stale", picture))

    (post,) = (await api.home("x")).json()["items"]
    assert post["content_warning"] is None
    assert post["remote_media"] == [
        {"url": "https://social.example/2.png", "media_type": None, "description": None}
    ]
