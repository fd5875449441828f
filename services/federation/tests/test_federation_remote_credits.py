"""Remote co-authors of remote posts: a Note crediting others besides its author is told to the
posts service with each co-author whose consent stamp, fetched from their own server, names
them and this Note (their account announced like any remote account); an Update whose stamp is
gone (410) or that no longer lists them leaves them out. A stamp on another server, naming
someone else or another Note, missing, or not answering credits no one, and the Note is still
taken (202)."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest
from federation_support import FederationHarness, RemotePeer, alice_follows_peer
from test_federation_remote_posts import activity, note, send

from federation.core.urls import LocalUrls
from federation.remote_credits.rules import claimed_coauthors
from shared.remote_accounts import remote_user_id
from shared.testing import EventRecorder, served_over_http

RECEIVED = "federation.remote_post_received"
EDITED = "federation.remote_post_edited"


@pytest.fixture
async def coauthor() -> AsyncIterator[RemotePeer]:
    """The co-author's own server, another host than the author's."""
    remote = RemotePeer()
    async with served_over_http(remote.app()) as url:
        remote.url = url
        yield remote


@pytest.fixture
async def silent_host() -> AsyncIterator[str]:
    """A server that takes connections and never answers (`host:port`)."""

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # until the client gives up and closes
        writer.close()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    host, port = server.sockets[0].getsockname()[:2]
    async with server:
        yield f"{host}:{port}"


def stamp(link: str, coauthor_actor: str, note_id: str) -> dict[str, Any]:
    """A consent stamp as CoPost serves one (docs/federation.md, "consent stamps")."""
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": link,
        "type": "CoauthorAuthorization",
        "attributedTo": coauthor_actor,
        "interactingObject": note_id,
        "interactionTarget": coauthor_actor,
    }


def coauthored_note(
    peer: RemotePeer, coauthors: list[str], links: list[str], **fields: Any
) -> dict[str, Any]:
    posted = note(peer, "<p>Made together</p>", **fields)
    return posted | {
        "id": f"{peer.url}/notes/{uuid.uuid4()}",
        "attributedTo": [peer.actor_id, *coauthors],
        "coauthorAuthorization": links,
    }


def test_the_claimed_coauthors_are_the_remote_actors_after_the_author_once_each() -> None:
    urls = LocalUrls("https", "copost.test")
    local = urls.actor("alice")
    author, sam = "https://a.example/users/rita", "https://b.example/users/sam"
    claimed = {"attributedTo": [author, sam, {"id": sam}, local, author, 7]}

    assert claimed_coauthors(claimed, urls) == [sam]
    assert claimed_coauthors({"attributedTo": author}, urls) == []


async def test_a_coauthor_whose_stamp_checks_out_is_credited_until_the_stamp_is_gone(
    event_recorder: EventRecorder,
    federation: FederationHarness,
    peer: RemotePeer,
    coauthor: RemotePeer,
) -> None:
    await alice_follows_peer(federation, peer)
    link = coauthor.object_url("stamp")
    posted = coauthored_note(peer, [coauthor.actor_id], [link])
    coauthor.objects["stamp"] = (200, stamp(link, coauthor.actor_id, posted["id"]))

    await send(federation, peer, activity(peer, "Create", posted))

    (received,) = await event_recorder.wait_for(RECEIVED)
    sam = remote_user_id(coauthor.actor_id)
    assert received.data["coauthor_ids"] == [sam]
    seen = await event_recorder.wait_for("federation.remote_account_seen", count=2)
    assert sam in {account.data["user_id"] for account in seen}

    # The co-author left on their server: the stamp answers 410 and the Update still lists
    # them (a server that did not drop them yet); they are not credited any more.
    coauthor.objects["stamp"] = (410, {"type": "Tombstone", "id": link})
    update = posted | {"updated": "2026-12-07T04:00:00Z"}
    await send(federation, peer, activity(peer, "Update", update))

    (edited,) = await event_recorder.wait_for(EDITED)
    assert edited.data["coauthor_ids"] == []


async def test_unverifiable_stamps_credit_no_one_and_the_note_is_still_taken(
    event_recorder: EventRecorder,
    start_federation: Callable[..., AbstractAsyncContextManager[FederationHarness]],
    peer: RemotePeer,
    coauthor: RemotePeer,
    silent_host: str,
) -> None:
    mallory, ghost, other = (f"{coauthor.url}/users/{name}" for name in ("m", "g", "o"))
    slow = f"http://{silent_host}/users/slow"
    links = [
        peer.object_url("on-the-authors-server"),  # names sam, but not served by sam's server
        coauthor.object_url("names-sam"),  # sam's, offered for mallory
        coauthor.object_url("missing"),  # 404
        coauthor.object_url("another-note"),
        f"http://{silent_host}/objects/slow",  # never answers
    ]
    posted = coauthored_note(peer, [coauthor.actor_id, mallory, ghost, other, slow], links)
    peer.objects["on-the-authors-server"] = (200, stamp(links[0], coauthor.actor_id, posted["id"]))
    coauthor.objects["names-sam"] = (200, stamp(links[1], coauthor.actor_id, "https://x/n"))
    coauthor.objects["another-note"] = (200, stamp(links[3], other, f"{peer.url}/notes/else"))

    async with start_federation(remote_fetch_timeout_seconds=0.5) as federation:
        await alice_follows_peer(federation, peer)
        await send(federation, peer, activity(peer, "Create", posted))

        (received,) = await event_recorder.wait_for(RECEIVED)
        assert received.data["coauthor_ids"] == []
        assert coauthor.actor_fetches == 0
