"""Each documented activity (fixtures/README.md) through the shared inbox, signed by the
tests' peer standing in for its sender: a Follow is accepted, its Undo removes the follower,
a Move is taken once its target confirms it, an activity CoPost does not take yet is
acknowledged (202) and changes nothing, and an
expanded JSON-LD document is a bad request — never a 5xx."""

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from federation_support import DOMAIN, FederationHarness, RemotePeer, instance_actor_pem
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from federation.core.signatures import sign_cavage
from federation.inbox.repository import RECEIVED_ACTIVITIES
from shared.clock import utc_now
from shared.remote_accounts import remote_user_id
from shared.testing import EventRecorder, served_over_http, wait_until

FIXTURES = Path(__file__).parent / "fixtures"
TAKEN_AS_IS = [
    "gotosocial/accept-reply.json",
    "gotosocial/announce-approved.json",
    "gotosocial/delete-direct.json",
    "gotosocial/delete-public.json",
    "gotosocial/poll-votes.json",
    "mastodon/block.json",
    "mastodon/create-reply.json",
    "mastodon/create-without-id.json",
    "mastodon/flag.json",
    "mastodon/poll-vote.json",
    "misskey/create-note.json",
    "misskey/like-custom-emoji.json",
    "misskey/like-reaction.json",
]
ALICE_ACTOR = f"http://{DOMAIN}/users/alice"


def sent_by(peer: RemotePeer, name: str, followed: str | None = None) -> dict[str, Any]:
    """The fixture as the peer sends it: its actor is the peer's, CoPost's URLs are this test
    instance's, and the account a Follow names is `followed`."""
    text = (FIXTURES / name).read_text()
    document = json.loads(text)
    text = text.replace(document["actor"], peer.actor_id)
    text = text.replace("https://copost.test/", f"http://{DOMAIN}/")
    if followed is not None:
        text = text.replace("https://mastodon.social/users/Mastodon", followed)
    return json.loads(text)  # type: ignore[no-any-return]


async def total_followers(federation: FederationHarness) -> int:
    answer = await federation.get("/users/alice/followers")
    return answer.json()["totalItems"]  # type: ignore[no-any-return]


def test_every_activity_fixture_is_covered() -> None:
    activities = {
        path.relative_to(FIXTURES).as_posix()
        for path in FIXTURES.glob("*/*.json")
        if "actor" not in path.name and "key" not in path.name
    }
    covered = set(TAKEN_AS_IS) | {
        "mastodon/follow.json",
        "mastodon/undo-follow.json",
        "mastodon/move.json",
    }
    assert activities == covered | {"expanded/follow.json"}


@pytest.mark.parametrize("name", TAKEN_AS_IS)
async def test_an_activity_not_taken_yet_is_acknowledged_and_changes_nothing(
    federation: FederationHarness, peer: RemotePeer, name: str
) -> None:
    activity = sent_by(peer, name)

    answer = await federation.post_signed("/inbox", activity, peer)

    assert answer.status_code == 202, answer.text
    assert peer.received == []
    assert await total_followers(federation) == 0
    received = federation.app.state.runtime.db[RECEIVED_ACTIVITIES]
    assert await received.count_documents({"actor_id": peer.actor_id}) == (
        1 if "id" in activity else 0
    )


async def test_the_documented_follow_and_its_undo(
    federation: FederationHarness, peer: RemotePeer
) -> None:
    follow = sent_by(peer, "mastodon/follow.json", followed=ALICE_ACTOR)
    assert (await federation.post_signed("/inbox", follow, peer)).status_code == 202
    (accept,) = await wait_until(lambda: peer.accepts() or None)
    assert accept["object"]["id"] == follow["id"]
    assert await total_followers(federation) == 1

    undo = sent_by(peer, "mastodon/undo-follow.json", followed=ALICE_ACTOR)
    assert (await federation.post_signed("/inbox", undo, peer)).status_code == 202
    assert await total_followers(federation) == 0


async def test_a_documented_move_is_taken_once_its_target_confirms_it(
    federation: FederationHarness, peer: RemotePeer, event_recorder: EventRecorder
) -> None:
    new = RemotePeer(also_known_as=[peer.actor_id])
    async with served_over_http(new.app()) as url:
        new.url = url
        activity = sent_by(peer, "mastodon/move.json") | {"target": new.actor_id}
        answer = await federation.post_signed("/inbox", activity, peer)

        assert answer.status_code == 202, answer.text
        (moved,) = await event_recorder.wait_for("federation.remote_account_moved")
    assert moved.data["to_user_id"] == remote_user_id(new.actor_id)


async def test_an_expanded_json_ld_activity_is_a_bad_request(
    federation: FederationHarness, peer: RemotePeer
) -> None:
    body = (FIXTURES / "expanded/follow.json").read_bytes()
    url = f"http://{DOMAIN}/inbox"
    headers = sign_cavage("POST", url, body, key_id=peer.key_id, key=peer.key, now=utc_now())
    answer = await federation.post("/inbox", body, headers)
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/problem+json"


class GoToSocialPeer(RemotePeer):
    """A peer keyed as GoToSocial is: its key id is `<actor>/main-key`, where a stub of the
    actor (its key, no inbox) is served, as fixtures/gotosocial/key-stub.json shows; like
    GoToSocial, it answers only signed GETs once `fetcher_pem` is set."""

    @property
    def key_id(self) -> str:
        return f"{self.actor_id}/main-key"

    def app(self) -> FastAPI:
        async def stub(request: Request) -> Response:
            if not self.signed_by_fetcher(request):
                return Response(status_code=401)
            person = self.person()
            document = json.loads((FIXTURES / "gotosocial/key-stub.json").read_text())
            document |= {key: person[key] for key in ("id", "preferredUsername", "publicKey")}
            return JSONResponse(document, media_type="application/activity+json")

        app = super().app()
        app.router.routes.append(Route("/actor/main-key", stub))
        return app


async def test_a_key_served_as_gotosocial_stubs_it_leads_to_its_actor(
    federation: FederationHarness,
) -> None:
    gotosocial = GoToSocialPeer(fetcher_pem=await instance_actor_pem(federation))
    async with served_over_http(gotosocial.app()) as url:
        gotosocial.url = url
        follow = gotosocial.follow("alice")
        answer = await federation.post_signed("/inbox", follow, gotosocial)
        assert answer.status_code == 202, answer.text
        (accept,) = await wait_until(lambda: gotosocial.accepts() or None)
    assert accept["object"]["id"] == follow["id"]
