"""Remote accounts: an actor fetched to verify its signature is announced to the rest of the
system (`federation.remote_account_seen`) when its profile is new or changed, and only then."""

from federation_support import RemotePeer, StartFederation

from federation.core.remote import RemoteActor, account_seen
from shared.clock import utc_now
from shared.remote_accounts import remote_user_id
from shared.testing import EventRecorder

SEEN = "federation.remote_account_seen"


def actor(**profile: str | None) -> RemoteActor:
    return RemoteActor(
        "https://Social.Example/users/ada",
        "https://Social.Example/users/ada#main-key",
        "",
        "",
        None,
        **profile,
    )


def test_an_actor_is_an_account_named_user_at_host() -> None:
    seen = account_seen(actor(preferred_username="Ada", name="Ada L.", icon_url=None), utc_now())

    assert seen is not None
    assert seen.handle == "ada@social.example"
    assert seen.domain == "social.example"
    assert seen.display_name == "Ada L."
    assert seen.user_id == remote_user_id("https://Social.Example/users/ada")


def test_an_actor_without_a_name_is_shown_by_its_username() -> None:
    seen = account_seen(actor(preferred_username="ada"), utc_now())

    assert seen is not None
    assert seen.display_name == "ada"


def test_an_actor_whose_username_can_be_no_handle_is_no_account() -> None:
    assert account_seen(actor(preferred_username="a b"), utc_now()) is None
    assert account_seen(actor(), utc_now()) is None


async def test_a_verified_actor_is_announced_once_until_its_profile_changes(
    event_recorder: EventRecorder, start_federation: StartFederation, peer: RemotePeer
) -> None:
    peer.name = "Remote One"
    peer.icon_url = f"{peer.url}/avatar.png"
    async with start_federation() as federation:
        assert (
            await federation.post_signed("/inbox", peer.follow("alice"), peer)
        ).status_code == 202
        (first,) = await event_recorder.wait_for(SEEN)
        assert first.producer == "federation"
        assert first.data["user_id"] == remote_user_id(peer.actor_id)
        assert first.data["handle"] == f"remote@{peer.url.removeprefix('http://')}"
        assert first.data["display_name"] == "Remote One"
        assert first.data["actor_url"] == peer.actor_id
        assert first.data["avatar_url"] == peer.icon_url

        peer.rotate_key()  # fetched again, the same profile: nothing to announce
        assert (await federation.post_signed("/inbox", peer.follow("bob"), peer)).status_code == 202
        assert peer.actor_fetches == 2
        peer.name = "Remote Renamed"
        peer.rotate_key()
        assert (
            await federation.post_signed("/inbox", peer.follow("carol"), peer)
        ).status_code == 202

        _, renamed = await event_recorder.wait_for(SEEN, count=2)
        assert renamed.data["display_name"] == "Remote Renamed"
        assert len(event_recorder.of_type(SEEN)) == 2
