"""Remote servers, reached safely: actor documents fetched (and their keys and profiles kept)
and activities posted, never to an address inside this network (SSRF) unless tests allow it.
An actor whose profile is new or changed is announced (`federation.remote_account_seen`) in
the same write that keeps it."""

import asyncio
import ipaddress
import json
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from federation.core.instance_actor import InstanceActor
from federation.settings import FederationSettings
from shared.clock import utc_now
from shared.events import EventEnvelope
from shared.events.federation import RemoteAccountSeen
from shared.mongo import Database, Document
from shared.outbox import Outbox, with_events
from shared.remote_accounts import remote_domain, remote_handle, remote_user_id

REMOTE_ACTORS = "remote_actors"
ACTIVITY_JSON = "application/activity+json"
ACTIVITY_ACCEPT = (
    f'{ACTIVITY_JSON}, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
)


class RemoteRefused(Exception):
    """A remote URL this service will not fetch or post to, or a document it cannot use."""


class RemoteGone(RemoteRefused):
    """The remote server says the document is gone (410) or not there (404)."""


@dataclass(frozen=True, slots=True)
class RemoteActor:
    id: str
    key_id: str
    public_pem: str
    inbox: str
    shared_inbox: str | None
    # The profile, as the actor's document gives it (None: not given, or unusable).
    preferred_username: str | None = None
    name: str | None = None
    icon_url: str | None = None
    # The actor's other ids (`alsoKnownAs`), as fetched: what a Move to it is checked against.
    also_known_as: tuple[str, ...] = ()

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        key = serialization.load_pem_public_key(self.public_pem.encode())
        if not isinstance(key, rsa.RSAPublicKey):
            raise RemoteRefused("Only RSA keys are accepted.")
        return key

    @property
    def delivery_inbox(self) -> str:
        """Where this actor's server takes activities for all its accounts at once."""
        return self.shared_inbox or self.inbox


class RemoteAddresses:
    """Refuses URLs whose host resolves to loopback, private, link-local or other non-public
    addresses (cloud metadata, the cluster's own services), and non-HTTPS URLs outside tests."""

    def __init__(self, settings: FederationSettings) -> None:
        self._allow_private = settings.allow_private_addresses
        self._test_hosts = frozenset(settings.federation_test_hosts)
        self._schemes = {"https", settings.federation_scheme}

    async def check(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in self._schemes or not parts.hostname:
            raise RemoteRefused(f"Not a URL this service fetches: {url!r}.")
        if self._allow_private or parts.hostname in self._test_hosts:
            return
        try:
            found = await asyncio.get_running_loop().getaddrinfo(
                parts.hostname, parts.port or 443, type=socket.SOCK_STREAM
            )
        except OSError as exc:
            raise RemoteRefused(f"{parts.hostname} does not resolve.") from exc
        for *_, address in found:
            if not ipaddress.ip_address(address[0]).is_global:
                raise RemoteRefused(f"{parts.hostname} resolves to a non-public address.")


def remote_client(settings: FederationSettings, user_agent: str) -> httpx.AsyncClient:
    """The one client for other servers: no proxies from the environment, bounded waits, the
    operator's CA file if any, the test hosts at their fixed addresses."""
    verify: ssl.SSLContext | bool = True
    if settings.remote_ca_file:
        verify = ssl.create_default_context(cafile=settings.remote_ca_file)
    transport = httpx.AsyncHTTPTransport(verify=verify, trust_env=False)
    return httpx.AsyncClient(
        timeout=settings.remote_fetch_timeout_seconds,
        trust_env=False,
        headers={"User-Agent": user_agent},
        transport=FixedAddresses(transport, settings.federation_test_hosts)
        if settings.federation_test_hosts
        else transport,
    )


class FixedAddresses(httpx.AsyncBaseTransport):
    """Sends requests for the named hosts to fixed addresses (tests without DNS): the URL's
    host and port become the address, the `Host` header stays, and TLS still checks the
    certificate against the name (httpcore's `sni_hostname`)."""

    def __init__(self, transport: httpx.AsyncBaseTransport, addresses: dict[str, str]) -> None:
        self._transport = transport
        self._addresses = addresses

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        address = self._addresses.get(request.url.host)
        if address is not None:
            host, _, port = address.rpartition(":")
            request.extensions = {**request.extensions, "sni_hostname": request.url.host}
            request.url = request.url.copy_with(host=host, port=int(port))
        return await self._transport.handle_async_request(request)

    async def aclose(self) -> None:
        await self._transport.aclose()


class RemoteActors:
    """Remote actors by key id, fetched when unknown or stale and kept in this database."""

    def __init__(
        self,
        db: Database,
        settings: FederationSettings,
        http: httpx.AsyncClient,
        outbox: Outbox,
        instance: InstanceActor,
    ) -> None:
        self._actors = db[REMOTE_ACTORS]
        self._instance = instance
        self._outbox = outbox
        self._addresses = RemoteAddresses(settings)
        self._http = http
        self._max_bytes = settings.remote_fetch_max_bytes
        self._fresh_for = timedelta(seconds=settings.remote_key_cache_seconds)

    async def by_key_id(
        self, key_id: str, *, refresh: bool = False, kept_if_gone: bool = False
    ) -> RemoteActor:
        """`kept_if_gone`: an actor its server says is gone is the one kept here, however old
        (what verifies a deleted actor's own Delete, signed with the key it had)."""
        stored = await self._actors.find_one({"key_id": key_id})
        fresh = stored is not None and utc_now() - stored["fetched_at"] < self._fresh_for
        if stored is not None and fresh and not refresh:
            return _actor(stored)
        try:
            document = await self.fetch(_without_fragment(key_id))
        except RemoteGone:
            if kept_if_gone and stored is not None:
                return _actor(stored)
            raise
        if not isinstance(document.get("inbox"), str) and (owner := _owner_of(document, key_id)):
            document = await self.fetch(owner)
        actor = actor_of(document, key_id)
        await self._keep(actor)
        return actor

    async def by_actor_url(self, url: str) -> RemoteActor:
        """The actor at `url`, fetched now and kept (its account announced if new or changed);
        an actor claiming to live on another server than the one that served it is refused."""
        document = await self.fetch(url)
        key = document.get("publicKey")
        key_id = key.get("id") if isinstance(key, dict) else None
        if not isinstance(key_id, str):
            raise RemoteRefused("The document is not an actor with a key.")
        actor = actor_of(document, key_id)
        if urlsplit(actor.id).netloc != urlsplit(url).netloc:
            raise RemoteRefused("The actor is not on the server that served it.")
        await self._keep(actor)
        return actor

    async def gone(self, actor_id: str, at: datetime, events: list[EventEnvelope]) -> None:
        """Marks a remote actor as deleted or moved, with the events that announce it."""
        update = {"$set": {"gone_at": at}}
        await self._actors.update_one({"_id": actor_id}, with_events(update, events))

    async def by_user_id(self, user_id: str) -> RemoteActor | None:
        """The stored actor of a remote account (shared.remote_accounts.remote_user_id)."""
        stored = await self._actors.find_one({"user_id": user_id})
        return _actor(stored) if stored else None

    async def _keep(self, actor: RemoteActor) -> None:
        """Stores the actor as fetched now, announcing its account when its profile is new or
        changed (two replicas fetching at once may announce it twice: the users service's
        upsert takes it once)."""
        stored = await self._actors.find_one({"_id": actor.id}, {"account": 1})
        now = utc_now()
        seen = account_seen(actor, now)
        account = seen.model_dump(exclude={"seen_at"}) if seen else None
        announced = [seen] if seen and (stored or {}).get("account") != account else []
        update = {"$set": {**_stored(actor), "account": account, "fetched_at": now}}
        with self._outbox.publishing(*announced) as events:
            await self._actors.update_one(
                {"_id": actor.id}, with_events(update, events), upsert=True
            )

    async def fetch(self, url: str, *, accept: str = ACTIVITY_ACCEPT) -> dict[str, Any]:
        """The JSON object at `url`, fetched signed as this instance (see `instance_actor`)."""
        await self._addresses.check(url)
        headers = await self._instance.signed_get(url, now=utc_now()) | {"Accept": accept}
        try:
            async with self._http.stream(
                "GET", url, headers=headers, follow_redirects=False
            ) as answer:
                if answer.status_code in {404, 410}:
                    raise RemoteGone(f"{url} answered {answer.status_code}.")
                if answer.status_code != 200:
                    raise RemoteRefused(f"{url} answered {answer.status_code}.")
                body = bytearray()
                async for chunk in answer.aiter_bytes():
                    body += chunk
                    if len(body) > self._max_bytes:
                        raise RemoteRefused(f"{url} answered more than {self._max_bytes} bytes.")
        except httpx.HTTPError as exc:
            raise RemoteRefused(f"{url} could not be fetched: {exc}") from exc
        try:
            document = json.loads(body)
        except ValueError as exc:
            raise RemoteRefused(f"{url} answered no JSON.") from exc
        if not isinstance(document, dict):
            raise RemoteRefused(f"{url} answered no JSON object.")
        return document

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
        await self._addresses.check(url)
        return await self._http.post(url, content=body, headers=headers, follow_redirects=False)


def actor_of(document: dict[str, Any], key_id: str) -> RemoteActor:
    """The actor a fetched document describes, if its key is the one a signature named."""
    key = _key_of(document, key_id)
    inbox = document.get("inbox")
    actor_id = document.get("id")
    if not (isinstance(key, dict) and isinstance(inbox, str) and isinstance(actor_id, str)):
        raise RemoteRefused("The document is not an actor with a key and an inbox.")
    if key.get("id") != key_id or key.get("owner") != actor_id:
        raise RemoteRefused("The actor does not own the key the request was signed with.")
    if urlsplit(key_id).netloc != urlsplit(actor_id).netloc:
        raise RemoteRefused("The key and its actor are not on one server.")
    pem = key.get("publicKeyPem")
    endpoints = document.get("endpoints")
    shared = endpoints.get("sharedInbox") if isinstance(endpoints, dict) else None
    if not isinstance(pem, str):
        raise RemoteRefused("The actor's key has no PEM.")
    actor = RemoteActor(
        actor_id,
        key_id,
        pem,
        inbox,
        shared if isinstance(shared, str) else None,
        preferred_username=_text(document.get("preferredUsername")),
        name=_text(document.get("name")),
        icon_url=_icon_url(document.get("icon")),
        also_known_as=_urls(document.get("alsoKnownAs")),
    )
    try:
        _ = actor.public_key
    except ValueError as exc:
        raise RemoteRefused("The actor's key cannot be read.") from exc
    return actor


def _key_of(document: dict[str, Any], key_id: str) -> dict[str, Any] | None:
    """The actor's key a signature named: `publicKey` is one key or, on servers that publish
    several (a rotation under way), a list of them."""
    keys = document.get("publicKey")
    for key in keys if isinstance(keys, list) else [keys]:
        if isinstance(key, dict) and key.get("id") == key_id:
            return key
    return keys if isinstance(keys, dict) else None


def _owner_of(document: dict[str, Any], key_id: str) -> str | None:
    """Who owns a key whose document is not the actor's: a bare Key, or GoToSocial's stub at
    `/main-key` (the key and the actor's id, but no inbox: the actor is fetched from there)."""
    key = _key_of(document, key_id) or document
    owner = key.get("owner")
    return owner if isinstance(owner, str) and owner != _without_fragment(key_id) else None


def account_seen(actor: RemoteActor, now: datetime) -> RemoteAccountSeen | None:
    """The account a remote actor is here; None when its username can be no handle."""
    try:
        handle = remote_handle(actor.preferred_username or "", actor.id)
    except ValueError:
        return None
    return RemoteAccountSeen(
        user_id=remote_user_id(actor.id),
        handle=handle,
        display_name=actor.name or actor.preferred_username or handle,
        actor_url=actor.id,
        domain=remote_domain(actor.id),
        avatar_url=actor.icon_url,
        seen_at=now,
    )


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _urls(value: Any) -> tuple[str, ...]:
    """One URL or a list of them, as JSON-LD allows."""
    values = value if isinstance(value, list) else [value]
    return tuple(url for url in values if isinstance(url, str))


def _icon_url(icon: Any) -> str | None:
    """`icon` is an Image (or a list of them, the first taken) whose `url` is a web URL."""
    if isinstance(icon, list):
        icon = icon[0] if icon else None
    url = icon.get("url") if isinstance(icon, dict) else None
    if isinstance(url, dict):  # a Link
        url = url.get("href")
    if isinstance(url, str) and urlsplit(url).scheme in {"https", "http"}:
        return url
    return None


def _stored(actor: RemoteActor) -> Document:
    return {
        "user_id": remote_user_id(actor.id),
        "key_id": actor.key_id,
        "public_pem": actor.public_pem,
        "inbox": actor.inbox,
        "shared_inbox": actor.shared_inbox,
        "preferred_username": actor.preferred_username,
        "name": actor.name,
        "icon_url": actor.icon_url,
    }


def _actor(document: Document) -> RemoteActor:
    return RemoteActor(
        document["_id"],
        document["key_id"],
        document["public_pem"],
        document["inbox"],
        document.get("shared_inbox"),
        preferred_username=document.get("preferred_username"),
        name=document.get("name"),
        icon_url=document.get("icon_url"),
    )


def _without_fragment(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(fragment=""))
