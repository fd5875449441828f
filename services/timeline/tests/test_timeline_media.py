"""Pictures on timeline cards: kept from post.published, rendered with no extra read."""

from timeline_support import Events, TimelineApi, published

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
