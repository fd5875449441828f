"""Pictures on timeline cards: kept from post.published, rendered with no extra read."""

from datetime import UTC, datetime

from timeline_support import Events, TimelineApi, published

from shared.events.media import MediaAltTextChanged
from shared.public_media import AttachedMedia

PICTURE = AttachedMedia(
    id="6756f1d3b2c3d4e5f6071830",
    kind="image",
    alt_text="The harbour at dusk",
    width=1600,
    height=1067,
    blurhash="LEHV6nWB2yk8pyo0adR*.7kCMdnj",
    variants=("small", "large", "original"),
)


async def test_a_followers_home_card_shows_the_posts_pictures(
    events: Events, api: TimelineApi
) -> None:
    await events.register("ann", "x")
    await events.follow("x", "ann")
    await api.wait_for_profile("ann", [])
    await events.send(published("p1", "ann", when=10).model_copy(update={"media": (PICTURE,)}))
    await api.wait_for_home("x", ["p1"])
    (card,) = (await api.home("x")).json()["items"]
    (media,) = card["media"]
    assert media["id"] == PICTURE.id
    assert media["alt_text"] == "The harbour at dusk"
    assert media["blurhash"] == PICTURE.blurhash
    assert media["variants"] == {
        name: f"/media/{PICTURE.id}/{name}" for name in ("small", "large", "original")
    }
    (profile_card,) = (await api.profile("ann")).json()["items"]
    assert profile_card["media"] == card["media"]


def alt_text_changed(post: str, alt_text: str, version: int) -> MediaAltTextChanged:
    return MediaAltTextChanged(
        media_id=PICTURE.id,
        owner_id="ann",
        post_id=post,
        medium=PICTURE.model_copy(update={"alt_text": alt_text, "alt_text_version": version}),
        changed_at=datetime(2026, 12, 6, tzinfo=UTC),
    )


async def card_alt_text(api: TimelineApi) -> str:
    (card,) = (await api.profile("ann")).json()["items"]
    return str(card["media"][0]["alt_text"])


async def test_an_edited_alt_text_reaches_the_card_and_an_older_or_repeated_one_does_not(
    events: Events, api: TimelineApi
) -> None:
    await events.register("ann")
    await events.send(published("p1", "ann", when=10).model_copy(update={"media": (PICTURE,)}))
    await api.wait_for_profile("ann", ["p1"])
    await events.send(alt_text_changed("p1", "Three boats", 3))
    assert await card_alt_text(api) == "Three boats"
    await events.send(
        alt_text_changed("p1", "Two boats", 2), alt_text_changed("p1", "Three boats", 3)
    )
    assert await card_alt_text(api) == "Three boats"


async def test_an_edit_handled_before_the_post_is_published_is_not_undone_by_it(
    events: Events, api: TimelineApi
) -> None:
    await events.register("ann")
    await events.send(alt_text_changed("p1", "Two boats", 2))
    await events.send(published("p1", "ann", when=10).model_copy(update={"media": (PICTURE,)}))
    await api.wait_for_profile("ann", ["p1"])
    assert await card_alt_text(api) == "Two boats"
