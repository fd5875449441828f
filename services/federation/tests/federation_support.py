"""What the federation tests share: a remote server of their own (a small Starlette app on a
loopback port, with its own RSA key, signing as Mastodon or per RFC 9421) and a harness."""

import json
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from federation.core.signatures import (
    SignatureRefused,
    SignedRequest,
    claimed_key_id,
    sign_cavage,
    sign_rfc9421,
    verify,
)
from federation.settings import FederationSettings
from shared.clock import utc_now
from shared.events.posts import PostPublished
from shared.events.users import UserFollowed
from shared.remote_accounts import LOOKUP_PATH, remote_user_id
from shared.testing import ALICE, EventInjector, caller_headers, wait_until

type SettingsFactory = Callable[..., FederationSettings]
type Signer = Callable[..., dict[str, str]]
type StartFederation = Callable[..., AbstractAsyncContextManager["FederationHarness"]]

DOMAIN = "copost.test"
ACTIVITY_JSON = "application/activity+json"
PUBLISHED = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
DIALECTS: dict[str, Signer] = {"cavage": sign_cavage, "rfc9421": sign_rfc9421}


@dataclass
class RemotePeer:
    """A remote server with one actor, `/actor`, whose inbox keeps what it receives."""

    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    url: str = ""
    received: list[SignedRequest] = field(default_factory=list)
    inbox_status: int = 202
    actor_fetches: int = 0
    """What its inboxes answer (503: a server that is down, though it still records the try)."""
    name: str | None = None
    icon_url: str | None = None
    # What `/objects/{name}` answers (a consent stamp, ...): a status and a document.
    objects: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    also_known_as: list[str] = field(default_factory=list)
    gone: bool = False
    """Set: the actor was deleted, its server answers 410 for it."""
    fetcher_pem: str | None = None
    """Set: the server answers only GETs signed with this key (GoToSocial, Mastodon's secure
    mode), 401 to any other."""

    @property
    def actor_id(self) -> str:
        return f"{self.url}/actor"

    @property
    def host(self) -> str:
        return self.url.removeprefix("http://")

    @property
    def handle(self) -> str:
        """The actor's handle as CoPost names it: `remote@host:port`."""
        return f"remote@{self.host}"

    @property
    def key_id(self) -> str:
        return f"{self.actor_id}#main-key"

    def app(self) -> FastAPI:
        async def actor(request: Request) -> Response:
            if not self.signed_by_fetcher(request):
                return Response(status_code=401)
            self.actor_fetches += 1
            if self.gone:
                return Response(status_code=410)
            return JSONResponse(self.person(), media_type=ACTIVITY_JSON)

        async def inbox(request: Request) -> Response:
            body = await request.body()
            headers = dict(request.headers.items())
            self.received.append(SignedRequest("POST", str(request.url), headers, body))
            return Response(status_code=self.inbox_status)

        async def webfinger(request: Request) -> Response:
            if request.query_params.get("resource") != f"acct:remote@{self.host}":
                return Response(status_code=404)
            link = {"rel": "self", "type": ACTIVITY_JSON, "href": self.actor_id}
            jrd = {"subject": f"acct:remote@{self.host}", "links": [link]}
            return JSONResponse(jrd, media_type="application/jrd+json")

        async def served_object(request: Request) -> Response:
            status, document = self.objects.get(request.path_params["name"], (404, {}))
            return JSONResponse(document, status_code=status, media_type=ACTIVITY_JSON)

        return FastAPI(
            routes=[
                Route("/.well-known/webfinger", webfinger),
                Route("/objects/{name}", served_object),
                Route("/actor", actor),
                Route("/inbox", inbox, methods=["POST"]),
                Route("/actor/inbox", inbox, methods=["POST"]),
            ]
        )

    def signed_by_fetcher(self, request: Request) -> bool:
        """Whether a GET may be answered: any when the server is open, else one signed (as
        draft-cavage, by the instance actor of `copost.test`) with `fetcher_pem`."""
        if self.fetcher_pem is None:
            return True
        signed = SignedRequest("GET", str(request.url), dict(request.headers.items()), b"")
        try:
            assert claimed_key_id(signed) == f"http://{DOMAIN}/actor#main-key"
            key = serialization.load_pem_public_key(self.fetcher_pem.encode())
            assert isinstance(key, rsa.RSAPublicKey)
            verify(signed, key, now=utc_now(), max_age=timedelta(minutes=5))
        except (AssertionError, SignatureRefused):
            return False
        return True

    def person(self) -> dict[str, Any]:
        pem = self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": self.actor_id,
            "type": "Person",
            "preferredUsername": "remote",
            "inbox": f"{self.actor_id}/inbox",
            "endpoints": {"sharedInbox": f"{self.url}/inbox"},
            "publicKey": {"id": self.key_id, "owner": self.actor_id, "publicKeyPem": pem.decode()},
        } | self._profile()

    def _profile(self) -> dict[str, Any]:
        profile: dict[str, Any] = {"name": self.name} if self.name else {}
        if self.icon_url:
            profile["icon"] = {"type": "Image", "url": self.icon_url}
        if self.also_known_as:
            profile["alsoKnownAs"] = self.also_known_as
        return profile

    def object_url(self, name: str) -> str:
        return f"{self.url}/objects/{name}"

    def rotate_key(self) -> None:
        """A new key, as a server rotating it would: the next signature fails with the cached
        one, so the actor is fetched again."""
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def follow(self, handle: str) -> dict[str, Any]:
        return {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{self.url}/follows/{uuid.uuid4()}",
            "type": "Follow",
            "actor": self.actor_id,
            "object": f"http://{DOMAIN}/users/{handle}",
        }

    def like(self, post_id: str, kind: str = "Like") -> dict[str, Any]:
        """A Like (or an Announce) of one of this instance's posts."""
        return {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{self.url}/{kind.lower()}s/{uuid.uuid4()}",
            "type": kind,
            "actor": self.actor_id,
            "object": f"http://{DOMAIN}/posts/{post_id}",
        }

    def reply(self, post_id: str, content: str) -> dict[str, Any]:
        """The Create of a public Note replying to one of this instance's posts."""
        note_id = f"{self.url}/notes/{uuid.uuid4()}"
        return {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{note_id}/activity",
            "type": "Create",
            "actor": self.actor_id,
            "object": {
                "id": note_id,
                "type": "Note",
                "attributedTo": self.actor_id,
                "inReplyTo": f"http://{DOMAIN}/posts/{post_id}",
                "content": content,
                "to": ["https://www.w3.org/ns/activitystreams#Public"],
            },
        }

    def delete(self, object_id: str) -> dict[str, Any]:
        return {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{object_id}#delete",
            "type": "Delete",
            "actor": self.actor_id,
            "object": {"id": object_id, "type": "Tombstone"},
        }

    def undo(self, activity: dict[str, Any] | str) -> dict[str, Any]:
        return self.answer("Undo", activity)

    def answer(self, kind: str, activity: dict[str, Any] | str) -> dict[str, Any]:
        """The actor's Accept or Reject of `activity` (a Follow sent to it), or an Undo of it."""
        return {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{self.url}/{kind.lower()}s/{uuid.uuid4()}",
            "type": kind,
            "actor": self.actor_id,
            "object": activity,
        }

    def accepts(self) -> list[dict[str, Any]]:
        return self.activities("Accept")

    def activities(self, kind: str) -> list[dict[str, Any]]:
        """What the inboxes received of one type, in the order received."""
        found = [json.loads(request.body) for request in self.received]
        return [activity for activity in found if activity.get("type") == kind]


@dataclass
class MovableClock:
    """The service's clock in tests that go through back-offs: time moves when told."""

    now: datetime = PUBLISHED

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class FederationHarness:
    app: FastAPI
    client: httpx.AsyncClient
    events: EventInjector

    async def get(self, path: str, **params: str) -> httpx.Response:
        return await self.client.get(
            path, params=params, headers=caller_headers("gateway", "federation")
        )

    async def fetch(self, url: str) -> httpx.Response:
        """GETs one of this instance's ActivityPub URLs as a remote server would."""
        path = url.removeprefix(f"http://{DOMAIN}")
        assert path != url, f"{url} is not on this instance"
        return await self.client.get(
            path, headers={"accept": ACTIVITY_JSON} | caller_headers("gateway", "federation")
        )

    async def post_signed(
        self,
        path: str,
        activity: dict[str, Any],
        peer: RemotePeer,
        *,
        dialect: str = "cavage",
        body: bytes | None = None,
    ) -> httpx.Response:
        """POSTs `activity` as the peer would send it to this instance, signed."""
        content = json.dumps(activity).encode()
        headers = DIALECTS[dialect](
            "POST",
            f"http://{DOMAIN}{path}",
            content,
            key_id=peer.key_id,
            key=peer.key,
            now=utc_now(),
        )
        return await self.post(path, body if body is not None else content, headers)

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
        headers = {name: value for name, value in headers.items() if name != "host"}
        return await self.client.post(
            path,
            content=body,
            headers=headers
            | {"content-type": ACTIVITY_JSON}
            | caller_headers("gateway", "federation"),
        )


def published(
    post_id: str,
    author: str,
    *coauthors: str,
    text: str = "Hi <you>",
    credits: dict[str, str] | None = None,
) -> PostPublished:
    return PostPublished(
        post_id=post_id,
        author_id=author,
        text=text,
        coauthor_ids=coauthors,
        created_at=PUBLISHED,
        published_at=PUBLISHED,
        coauthor_credits=credits or {},
    )


async def instance_actor_pem(federation: FederationHarness) -> str:
    """The key this instance signs its fetches with, as its instance actor serves it."""
    answer = await federation.fetch(f"http://{DOMAIN}/actor")
    assert answer.status_code == 200, answer.text
    pem: str = answer.json()["publicKey"]["publicKeyPem"]
    return pem


async def followed_by_peer(federation: FederationHarness, peer: RemotePeer, *handles: str) -> None:
    for handle in handles:
        answer = await federation.post_signed("/inbox", peer.follow(handle), peer)
        assert answer.status_code == 202
    await wait_until(lambda: len(peer.accepts()) == len(handles) or None)


async def look_up(federation: FederationHarness, handle: str) -> dict[str, Any] | None:
    answer = await federation.client.post(
        LOOKUP_PATH, json={"handle": handle}, headers=caller_headers("users", "federation")
    )
    assert answer.status_code == 200, answer.text
    account: dict[str, Any] | None = answer.json()["account"]
    return account


async def alice_follows_peer(federation: FederationHarness, peer: RemotePeer) -> dict[str, Any]:
    """The Follow the peer received once the users service said alice follows it."""
    assert await look_up(federation, peer.handle) is not None
    await federation.events.publish(alice_followed(peer))
    (follow,) = await wait_until(lambda: peer.activities("Follow") or None)
    return follow


def alice_followed(peer: RemotePeer) -> UserFollowed:
    """The users service's word that alice follows the peer's actor."""
    return UserFollowed(
        follower_id=ALICE, followee_id=remote_user_id(peer.actor_id), followed_at=utc_now()
    )
