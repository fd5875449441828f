"""Test helpers every service's tests build on: real broker and database, waiting, stand-ins."""

import asyncio
import importlib.util
import inspect
import json
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby
from pathlib import Path
from types import ModuleType
from typing import Any, Literal, overload
from urllib.parse import urlsplit
from uuid import uuid4

import aio_pika
import httpx
import redis
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI, HTTPException, Response
from pydantic import SecretStr
from pymongo import AsyncMongoClient
from pymongo.monitoring import CommandListener, CommandStartedEvent

from shared.bus import EVENT_HANDLING, EventBus
from shared.eligibility import (
    BLOCKERS_PATH,
    ELIGIBILITY_PATH,
    FEATURES_PATH,
    REMIX_CONSENT_PATH,
    BlockersRequest,
    BlockersResponse,
    EligibilityRequest,
    EligibilityResponse,
    EligibilityResult,
    Features,
    FeaturesRequest,
    IneligibilityReason,
    RemixApproval,
    RemixConsent,
    RemixConsentRequest,
    RemixRefusal,
)
from shared.events import (
    PRODUCING_SERVICES,
    EventData,
    EventEnvelope,
    decode_envelope,
    make_event,
    producing_service,
)
from shared.events.federation import RemoteAccountSeen
from shared.events.users import UserRegistered
from shared.idempotency import PROCESSED_EVENTS
from shared.identity import (
    ASSERTION_HEADER,
    GATEWAY,
    REQUEST_ID_HEADER,
    AssertionSigner,
    encode_private_key,
    encode_public_key,
)
from shared.mongo import Database, Document
from shared.public_media import (
    ATTACH_PATH,
    PREVIEWS_PATH,
    AttachAnswer,
    AttachedMedia,
    AttachRequest,
    MediaOut,
    PreviewsAnswer,
    PreviewsRequest,
)
from shared.public_user import PublicUser
from shared.remote_accounts import (
    LOOKUP_PATH,
    RemoteAccountFound,
    RemoteAccountLookup,
    remote_domain,
    remote_handle,
    remote_user_id,
)
from shared.services import SERVICES
from shared.settings import ServiceSettings


@overload
async def wait_until[T](
    probe: Callable[[], Awaitable[T | None]], *, timeout: float = 10.0, interval: float = 0.05
) -> T: ...


@overload
async def wait_until[T](
    probe: Callable[[], T | None], *, timeout: float = 10.0, interval: float = 0.05
) -> T: ...


async def wait_until(
    probe: Callable[[], Any], *, timeout: float = 10.0, interval: float = 0.05
) -> Any:
    """Poll `probe` (sync or async) until it gives something truthy; fail on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        outcome = probe()
        result = await outcome if inspect.isawaitable(outcome) else outcome
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last: {result!r})")
        await asyncio.sleep(interval)


class CommandCounter(CommandListener):
    """Counts the database commands of a client by name and collection ("find follows")."""

    def __init__(self) -> None:
        self.commands: Counter[str] = Counter()

    def started(self, event: CommandStartedEvent) -> None:
        if event.command_name == "endSessions":  # the client closing, not the code under test
            return
        collection = event.command.get(event.command_name)
        self.commands[f"{event.command_name} {collection}"] += 1

    def succeeded(self, event: object) -> None:
        pass

    def failed(self, event: object) -> None:
        pass


@asynccontextmanager
async def counted_database(
    mongo_url: str, name: str
) -> AsyncIterator[tuple[Database, Counter[str]]]:
    """A database through a client of its own that counts every command it sends: pass it to
    the use case under test, then read the counter."""
    counter = CommandCounter()
    client: AsyncMongoClient[Document] = AsyncMongoClient(
        mongo_url, tz_aware=True, event_listeners=[counter]
    )
    try:
        yield client[name], counter.commands
    finally:
        await client.close()


@asynccontextmanager
async def own_database(
    mongo_url: str, namespace: str, name: str, *, connections: int = 100
) -> AsyncIterator[Database]:
    """The test's own database, `<namespace>-<name>`, through a client of its own, dropped
    afterwards. `connections`: the client's pool (pymongo's default 100); a test racing more
    writers than that sizes it to them, so that their commands reach the server together."""
    client: AsyncMongoClient[Document] = AsyncMongoClient(
        mongo_url, tz_aware=True, maxPoolSize=connections
    )
    database = f"{namespace.rstrip('.')}-{name}"
    try:
        yield client[database]
    finally:
        await client.drop_database(database)
        await client.close()


def load_script(path: Path) -> ModuleType:
    """A script of the repository (deploy/render.py, say), imported as a module for its tests."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Every AMQP namespace of this test process starts with it, so that the session can delete
# what its tests left on the shared broker (queues, exchanges) and nothing of anyone else's.
SESSION_NAMESPACE_PREFIX = f"test-{uuid4().hex[:8]}-"


def unique_namespace() -> str:
    return f"{SESSION_NAMESPACE_PREFIX}{uuid4().hex[:8]}."


# -- Service identity: one key per process, for this test session ---------------------------

PROCESS_NAMES = SERVICES
TEST_SERVICE_KEYS = {name: Ed25519PrivateKey.generate() for name in PROCESS_NAMES}
TEST_SERVICE_PUBLIC_KEYS = {
    name: encode_public_key(key.public_key()) for name, key in TEST_SERVICE_KEYS.items()
}


def signer_for(caller: str) -> AssertionSigner:
    """Signs as `caller` would, with the key the services of a test trust for it."""
    return AssertionSigner(caller, TEST_SERVICE_KEYS[caller])


def identity_settings(name: str) -> dict[str, Any]:
    """The identity settings of process `name` in tests: its own key, every process's public one."""
    own = TEST_SERVICE_KEYS.get(name)
    return {
        "service_private_key": SecretStr(encode_private_key(own) if own else ""),
        "service_public_keys": TEST_SERVICE_PUBLIC_KEYS,
    }


# -- Broker users: one per service, for this test session (shared.broker_users) ---------------


@dataclass(frozen=True)
class TestBrokerUsers:
    """The session's broker users: `<prefix><service>`, each with its AMQP URL."""

    __test__ = False
    prefix: str
    urls: dict[str, str]

    def url(self, service: str, default: str) -> str:
        return self.urls.get(service, default)

    def settings(self, service: str, amqp_url: str) -> dict[str, Any]:
        """The broker settings of `service`: its own user, the session's user prefix."""
        return {
            "amqp_url": SecretStr(self.url(service, amqp_url)),
            "amqp_user_prefix": self.prefix,
        }


_session_broker_users: list[TestBrokerUsers] = []


def use_broker_users(users: TestBrokerUsers | None) -> None:
    """Set by the pytest plugin for the session; `None` once the users are deleted."""
    _session_broker_users.clear()
    if users is not None:
        _session_broker_users.append(users)


def broker_users() -> TestBrokerUsers:
    if not _session_broker_users:
        raise RuntimeError("no broker users: run the tests with `-p shared.testing.plugin`")
    return _session_broker_users[0]


DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_key_prefix(namespace: str) -> str:
    """The Redis keys of one test's services: its namespace's, deleted after the test."""
    return f"{namespace.rstrip('.')}:"


def delete_redis_keys(redis_url: str, namespace: str) -> None:
    """Delete the namespace's keys from the shared Redis (and nothing else); no Redis, no keys."""
    client = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
    try:
        keys = list(client.scan_iter(match=f"{redis_key_prefix(namespace)}*", count=500))
        if keys:
            client.unlink(*keys)
    except redis.exceptions.ConnectionError:
        pass
    finally:
        client.close()


def test_settings[S: ServiceSettings](
    settings_class: type[S], *, mongo_url: str, amqp_url: str, namespace: str, **overrides: Any
) -> S:
    """Settings isolating one test run: its own database and its own exchanges and queues.

    The service connects to the broker as its own user of the session (broker_users()).
    """
    name = overrides.pop("service_name", None) or settings_class().service_name
    return settings_class(
        service_name=name,
        mongo_url=SecretStr(mongo_url),
        mongo_database=f"{namespace.rstrip('.')}-{name}",
        **broker_users().settings(name, amqp_url),
        amqp_namespace=namespace,
        redis_key_prefix=redis_key_prefix(namespace),
        event_retry_delays_seconds=(0.1, 0.3),
        outbox_sweep_seconds=0.5,
        **(identity_settings(name) | overrides),
    )


@asynccontextmanager
async def running_app(
    app: FastAPI, base_url: str = "http://testserver"
) -> AsyncIterator[httpx.AsyncClient]:
    """Run an app's lifespan and give an in-process client for it."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with signing_client(transport=transport, base_url=base_url) as client:
            yield client


@asynccontextmanager
async def served_over_http(app: FastAPI) -> AsyncIterator[str]:
    """Serve `app` with uvicorn on a free loopback port, in this event loop; yields its URL.

    For what an in-process transport cannot show: streaming, connection reuse, real sockets.
    """
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        lifespan="on",
        log_level="warning",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    try:
        await wait_until(lambda: server.started or serving.done())
        if serving.done():
            serving.result()
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        await serving


@asynccontextmanager
async def served_with_its_queues(app: FastAPI) -> AsyncIterator[str]:
    """A service (`create_service_app`) over a real loopback socket; its queues and exchanges
    are deleted afterwards."""
    try:
        async with served_over_http(app) as url:
            yield url
    finally:
        await app.state.runtime.bus.delete_topology()


class EventRecorder:
    """Listens to the events exchange of a namespace and keeps every event it sees."""

    def __init__(self, amqp_url: str, namespace: str) -> None:
        self._amqp_url = amqp_url
        self._exchange_name = f"{namespace}copost.events"
        self.events: list[EventEnvelope] = []
        self._connection: aio_pika.abc.AbstractRobustConnection | None = None

    async def start(self) -> None:
        self._connection = await aio_pika.connect_robust(self._amqp_url)
        channel = await self._connection.channel()
        exchange = await channel.get_exchange(self._exchange_name, ensure=True)
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(exchange, routing_key="#")
        await queue.consume(self._record, no_ack=True)

    async def _record(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        self.events.append(decode_envelope(message.body))

    def of_type(self, event_type: str) -> list[EventEnvelope]:
        return [event for event in self.events if event.type == event_type]

    async def wait_for(
        self, event_type: str, *, count: int = 1, timeout: float = 10.0
    ) -> list[EventEnvelope]:
        async def enough() -> list[EventEnvelope] | None:
            found = self.of_type(event_type)
            return found if len(found) >= count else None

        return await wait_until(enough, timeout=timeout)

    async def stop(self) -> None:
        if self._connection is not None:
            await self._connection.close()


@asynccontextmanager
async def running_service(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Run a service built by `create_service_app`; delete its queues and exchanges afterwards."""
    try:
        async with running_app(app) as client:
            yield client
    finally:
        await app.state.runtime.bus.delete_topology()


class TcpProxy:
    """A loopback TCP proxy a test can cut, to give a client a real outage of a real server."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._flowing = asyncio.Event()
        self._flowing.set()
        self.port = 0

    async def start(self, port: int = 0) -> int:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def cut(self) -> None:
        """Drop every connection and refuse new ones until `start(port)` is called again."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()
        if server is not None:
            # Since Python 3.12 this waits for the handlers too, so close connections first.
            await server.wait_closed()

    async def restore(self) -> None:
        await self.start(self.port)

    def stall(self) -> None:
        """Keep connections open but pass no more bytes: a server that stopped answering."""
        self._flowing.clear()

    def resume(self) -> None:
        self._flowing.set()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.close()
            return
        self._writers.update({writer, upstream_writer})
        await asyncio.gather(
            _pipe(reader, upstream_writer, self._flowing),
            _pipe(upstream_reader, writer, self._flowing),
            return_exceptions=True,
        )
        self._writers.difference_update({writer, upstream_writer})

    async def close(self) -> None:
        await self.cut()


@asynccontextmanager
async def tcp_proxy_to(url: str, *, default_port: int) -> AsyncIterator[TcpProxy]:
    """A started TcpProxy to the host and port of `url`; closed afterwards."""
    target = urlsplit(url)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or default_port)
    await proxy.start()
    try:
        yield proxy
    finally:
        proxy.resume()  # a stalled pipe would keep its connection from closing
        await proxy.close()


async def _pipe(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, flowing: asyncio.Event
) -> None:
    try:
        while data := await reader.read(65536):
            await flowing.wait()
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()


# -- Calling a service as a signed-in user ----------------------------------------------------


# Asks the test clients' request hook (`sign_test_identity`) to sign the request as a caller:
# an assertion is bound to its request's method, target and body, known only when it is sent.
TEST_IDENTITY_HEADER = "X-Test-Sign-As"


def identity_headers(user_id: str, service: str, *, country: str | None = None) -> dict[str, str]:
    """What the gateway sends `service` once it has verified `user_id`'s token (and, when a
    trusted proxy named it, the request's `country`): signed as the request is sent, by the
    hook of the clients of `running_app` (`sign_test_identity`)."""
    identity = {"iss": GATEWAY, "aud": service, "sub": user_id, "ctry": country}
    return {TEST_IDENTITY_HEADER: json.dumps(identity)}


def caller_headers(caller: str, service: str) -> dict[str, str]:
    """What the process `caller` sends with its own calls to `service` (`/internal/*`)."""
    return {TEST_IDENTITY_HEADER: json.dumps({"iss": caller, "aud": service})}


async def sign_test_identity(request: httpx.Request) -> None:
    """An httpx request hook: replaces `identity_headers`' or `caller_headers`' request for a
    signature by the assertion the caller would send with this very request."""
    asked = request.headers.pop(TEST_IDENTITY_HEADER, None)
    if asked is None:
        return
    identity = json.loads(asked)
    request_id = request.headers.get(REQUEST_ID_HEADER) or uuid4().hex
    request.headers[REQUEST_ID_HEADER] = request_id
    request.headers[ASSERTION_HEADER] = signer_for(identity["iss"]).sign(
        identity["aud"],
        request_id,
        identity.get("sub"),
        method=request.method,
        target=request.url.raw_path.decode("ascii"),
        body=request.content,
        country=identity.get("ctry"),
    )


def signing_client(**options: Any) -> httpx.AsyncClient:
    """An httpx client whose requests carry the assertions `identity_headers` ask for."""
    return httpx.AsyncClient(event_hooks={"request": [sign_test_identity]}, **options)


# -- Accounts as the users service knows them --------------------------------------------------

type CollabPolicy = Literal["everyone", "following", "nobody"]

JOINED = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class KnownUser:
    """An account of the users service: its public User and who may invite it to co-author."""

    id: str
    handle: str
    display_name: str
    created_at: datetime = JOINED
    collab_policy: CollabPolicy = "everyone"
    # A remote account's actor (its domain is this URL's host); None: an account of this instance.
    actor_url: str | None = None

    @classmethod
    def named(
        cls, handle: str, *, collab_policy: CollabPolicy = "everyone", created_at: datetime = JOINED
    ) -> "KnownUser":
        """The account `u-<handle>`, displayed as its handle title-cased."""
        return cls(f"u-{handle}", handle, handle.title(), created_at, collab_policy)

    @classmethod
    def remote(
        cls, actor_url: str, display_name: str, *, created_at: datetime = JOINED
    ) -> "KnownUser":
        """The account of the remote actor at `actor_url` (`…/users/<name>`), named as CoPost
        names remote accounts (shared.remote_accounts); `created_at` is when it was first seen."""
        username = actor_url.rstrip("/").rsplit("/", 1)[-1]
        return cls(
            remote_user_id(actor_url),
            remote_handle(username, actor_url),
            display_name,
            created_at,
            actor_url=actor_url,
        )

    @property
    def domain(self) -> str | None:
        return remote_domain(self.actor_url) if self.actor_url else None

    def public(self) -> PublicUser:
        return PublicUser(
            id=self.id,
            handle=self.handle,
            display_name=self.display_name,
            created_at=self.created_at,
        )

    def registered(self) -> UserRegistered:
        """The user.registered event the users service published for this account."""
        return UserRegistered(
            user_id=self.id,
            handle=self.handle,
            display_name=self.display_name,
            created_at=self.created_at,
            domain=self.domain,
        )

    def seen(
        self, at: datetime | None = None, *, avatar_url: str | None = None
    ) -> RemoteAccountSeen:
        """The federation service's sighting of this remote account's actor (at `at`, else
        when it was first seen), from which the users service makes or refreshes the account."""
        if self.actor_url is None:
            raise ValueError(f"{self.handle} is an account of this instance, never seen remotely")
        return RemoteAccountSeen(
            user_id=self.id,
            handle=self.handle,
            display_name=self.display_name,
            actor_url=self.actor_url,
            domain=remote_domain(self.actor_url),
            avatar_url=avatar_url,
            seen_at=at or self.created_at,
        )


DIRECTORY_USERS = tuple(KnownUser.named(handle) for handle in ("alice", "bob", "carol"))
"""The accounts most service tests start with: registered, open to invitations from anyone."""
ALICE, BOB, CAROL = (user.id for user in DIRECTORY_USERS)


class MediaStandIn:
    """The media service's attach and previews routes, for the posts service's tests (the
    media service's own tests cover its rules), over uploads it is told of: {media id: owner
    id}. Previews answer URLs that say they were signed, and are recorded; `down` makes them
    answer 503."""

    def __init__(self) -> None:
        self.uploads: dict[str, str] = {}
        self.on_post: dict[str, str] = {}
        self.previews_asked: list[PreviewsRequest] = []
        self.down = False

    @staticmethod
    def signed_url(media_id: str, variant: str) -> str:
        return f"/media/{media_id}/{variant}?expires=1&signature=stand-in"

    def upload(self, media_id: str, owner_id: str) -> str:
        self.uploads[media_id] = owner_id
        return media_id

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post(ATTACH_PATH)
        async def attach(body: AttachRequest) -> AttachAnswer:
            for media_id in body.media_ids:
                if self.uploads.get(media_id) != body.owner_id:
                    return AttachAnswer(refusal="unknown", media_id=media_id)
                if self.on_post.get(media_id, body.post_id) != body.post_id:
                    return AttachAnswer(refusal="attached", media_id=media_id)
            self.on_post.update(dict.fromkeys(body.media_ids, body.post_id))
            return AttachAnswer(
                media=[
                    AttachedMedia(
                        id=media_id,
                        kind="image",
                        width=640,
                        height=480,
                        blurhash="LEHV6nWB2yk8pyo0adR*.7kCMdnj",
                        variants=("small", "large", "original"),
                    )
                    for media_id in body.media_ids
                ]
            )

        @app.post(PREVIEWS_PATH, response_model=None)
        async def previews(body: PreviewsRequest) -> PreviewsAnswer | Response:
            if self.down:
                return Response(status_code=503)
            self.previews_asked.append(body)
            return PreviewsAnswer(
                media=[
                    MediaOut(
                        id=media_id,
                        kind="image",
                        status="ready",
                        alt_text=None,
                        width=640,
                        height=480,
                        blurhash="LEHV6nWB2yk8pyo0adR*.7kCMdnj",
                        variants={"small": self.signed_url(media_id, "small")},
                    )
                    for wanted in body.posts
                    for media_id in wanted.media_ids
                    if self.on_post.get(media_id) == wanted.post_id
                ]
            )

        return app


class FederationStandIn:
    """The federation service's lookup of remote accounts (the users service's tests), over
    the accounts it is given by handle; `retry_after_seconds` set: every lookup is over the
    per-host limit."""

    def __init__(self) -> None:
        self.accounts: dict[str, RemoteAccountSeen] = {}
        self.retry_after_seconds: int | None = None

    def transport(self) -> httpx.ASGITransport:
        app = FastAPI()

        @app.post(LOOKUP_PATH)
        async def look_up(body: RemoteAccountLookup) -> RemoteAccountFound:
            if self.retry_after_seconds is not None:
                return RemoteAccountFound(
                    account=None, retry_after_seconds=self.retry_after_seconds
                )
            return RemoteAccountFound(account=self.accounts.get(body.handle.lower()))

        return httpx.ASGITransport(app=app)


class EligibilityStandIn:
    """The users service's internal API (eligibility, remix consent, features, blockers),
    answered over in-test accounts.

    A real FastAPI app, served in process through `transport()` (pass it to a service's
    `users_transport`). Its facts may change mid-test: `block`, `follow`, or `failing = True`
    to have it answer 500 as a broken users service would.
    """

    def __init__(
        self,
        users: Iterable[KnownUser],
        *,
        follows: Iterable[tuple[str, str]] = (),
        blocks: Iterable[tuple[str, str]] = (),
    ) -> None:
        self.users = {user.id: user for user in users}
        self.follows = set(follows)  # (follower id, followee id)
        self.blocks = set(blocks)  # (blocker id, blocked id)
        self.failing = False
        # Remixes: user id -> (remix policy, approval); (feature, user id) withheld.
        self.remix_settings: dict[str, tuple[str, RemixApproval]] = {}
        self.withheld: set[tuple[str, str]] = set()

    def set_remix_policy(
        self, user_id: str, policy: str = "everyone", approval: RemixApproval = "automatic"
    ) -> None:
        self.remix_settings[user_id] = (policy, approval)

    def remix_consent(self, request: RemixConsentRequest) -> RemixConsent:
        """The users service's remix rules (users.eligibility.rules), in its order."""
        remixer, author = request.remixer_id, request.original_author_id
        policy, approval = self.remix_settings.get(author, ("everyone", "automatic"))
        others = {author, *request.original_coauthor_ids} - {remixer}
        blocked = any({(remixer, o), (o, remixer)} & self.blocks for o in others)
        reason = None
        if remixer not in self.users:
            reason = RemixRefusal.REMIXER_UNKNOWN
        elif author not in self.users:
            reason = RemixRefusal.ORIGINAL_AUTHOR_UNKNOWN
        elif blocked:
            reason = RemixRefusal.BLOCKED
        elif remixer == author:
            approval = "automatic"
        elif policy == "nobody":
            reason = RemixRefusal.POLICY_NOBODY
        elif policy == "following" and (author, remixer) not in self.follows:
            reason = RemixRefusal.POLICY_FOLLOWING
        return RemixConsent(
            allowed=reason is None, approval=None if reason else approval, reason=reason
        )

    def features(self, user_id: str) -> Features:
        return Features(
            coauthoring=("coauthoring", user_id) not in self.withheld,
            remix=("remix", user_id) not in self.withheld,
        )

    def follow(self, follower_id: str, followee_id: str) -> None:
        self.follows.add((follower_id, followee_id))

    def block(self, blocker_id: str, blocked_id: str) -> None:
        self.blocks.add((blocker_id, blocked_id))

    def results(
        self,
        inviter_id: str,
        *,
        invitee_handles: Sequence[str] | None = None,
        invitee_ids: Sequence[str] | None = None,
    ) -> list[EligibilityResult]:
        """The answers in input order, by handle (any case) or by id."""
        if invitee_handles is not None:
            by_handle = {user.handle: user for user in self.users.values()}
            return [
                self._result(inviter_id, by_handle.get(handle.lower()), handle)
                for handle in invitee_handles
            ]
        return [self._result(inviter_id, self.users.get(i), None) for i in invitee_ids or []]

    def _result(
        self, inviter_id: str, invitee: KnownUser | None, asked_handle: str | None
    ) -> EligibilityResult:
        reason = self._refusal(inviter_id, invitee)
        return EligibilityResult(
            handle=invitee.handle if invitee else asked_handle,
            user_id=invitee.id if invitee else None,
            user=invitee.public() if invitee else None,
            eligible=reason is None,
            reason=reason,
        )

    def _refusal(self, inviter_id: str, invitee: KnownUser | None) -> IneligibilityReason | None:
        """The users service's rules, in its order: the first failing one is the reason."""
        if invitee is None:
            return IneligibilityReason.UNKNOWN_USER
        if invitee.id == inviter_id:
            return IneligibilityReason.SELF
        if inviter_id not in self.users:
            return IneligibilityReason.INVITER_UNKNOWN
        if {(inviter_id, invitee.id), (invitee.id, inviter_id)} & self.blocks:
            return IneligibilityReason.BLOCKED
        match invitee.collab_policy:
            case "everyone":
                return None
            case "following":
                return (
                    None
                    if (invitee.id, inviter_id) in self.follows
                    else IneligibilityReason.POLICY_FOLLOWING
                )
            case "nobody":
                return IneligibilityReason.POLICY_NOBODY

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post(ELIGIBILITY_PATH)
        async def eligibility(body: EligibilityRequest) -> EligibilityResponse:
            if self.failing:
                raise HTTPException(500, "the users service is failing")
            results = self.results(
                body.inviter_id, invitee_handles=body.invitee_handles, invitee_ids=body.invitee_ids
            )
            return EligibilityResponse(results=results)

        @app.post(REMIX_CONSENT_PATH)
        async def remix_consent(body: RemixConsentRequest) -> RemixConsent:
            return self.remix_consent(body)

        @app.post(FEATURES_PATH)
        async def features(body: FeaturesRequest) -> Features:
            return self.features(body.user_id)

        @app.post(BLOCKERS_PATH)
        async def blockers(body: BlockersRequest) -> BlockersResponse:
            if self.failing:
                raise HTTPException(500, "the users service is failing")
            blocker_ids = [other for other in body.among if (other, body.user_id) in self.blocks]
            return BlockersResponse(blocker_ids=blocker_ids)

        return app

    def transport(self) -> httpx.ASGITransport:
        return httpx.ASGITransport(app=self.app())


# -- Other services' events, injected ----------------------------------------------------------


class EventInjector:
    """Publishes other services' events to the service under test and waits until it handled them.

    Each event is published as the broker user of the service that produces it, as the real
    producer would. Handled means the service's bus has handled every delivery and acked it
    (its count of handled events grew by as many of each type; an event only single-write
    handlers handle leaves no processed-event record to wait on), so once `publish` returns a
    test may also assert that something did NOT happen.
    """

    def __init__(self, buses: Mapping[str, EventBus], service_db: Database, service: str) -> None:
        self._buses = buses
        self._processed = service_db[PROCESSED_EVENTS]
        self._service = service

    async def publish(self, *events: EventData) -> list[EventEnvelope]:
        """Publish each event in a new envelope; wait until every one of them was handled."""
        envelopes = [make_event(data, producer="test") for data in events]
        await self.deliver(*envelopes)
        return envelopes

    async def deliver(self, *envelopes: EventEnvelope) -> None:
        """Publish these very envelopes (the same one twice is a redelivery) and wait for them."""
        before = self._handled_counts(envelopes)
        # In the given order; consecutive events of one producer are published together.
        for producer, run in groupby(envelopes, lambda e: producing_service(e.type) or "users"):
            batch = list(run)
            confirmed = await self._buses[producer].publish(batch)
            assert confirmed == [envelope.id for envelope in batch]
        expected = Counter(envelope.type for envelope in envelopes)

        def all_handled() -> bool:
            now = self._handled_counts(envelopes)
            return all(now[t] - before[t] >= count for t, count in expected.items())

        await wait_until(all_handled)

    def _handled_counts(self, envelopes: Iterable[EventEnvelope]) -> Counter[str]:
        """How many events of these types the service's bus has handled so far (from the bus's
        own histogram only: collecting the whole registry at each poll starves the service)."""
        types = {envelope.type for envelope in envelopes}
        counts: Counter[str] = Counter()
        for metric in EVENT_HANDLING.collect():
            for sample in metric.samples:
                labels = sample.labels
                if (
                    sample.name.endswith("_count")
                    and labels["service"] == self._service
                    and labels["outcome"] == "handled"
                    and labels["event_type"] in types
                ):
                    counts[labels["event_type"]] += int(sample.value)
        return counts

    async def register(self, *users: KnownUser) -> list[EventEnvelope]:
        """Announce accounts as the users service would, so the service's directory has them."""
        return await self.publish(*(user.registered() for user in users))

    async def forget_processed(self, envelope: EventEnvelope) -> None:
        """As if the service crashed after its write and before recording the event."""
        await self._processed.delete_one({"_id": str(envelope.id)})


@asynccontextmanager
async def event_injector(
    service_db: Database, *, amqp_url: str, namespace: str
) -> AsyncIterator[EventInjector]:
    """An EventInjector on connections to `namespace` as each producer, watching the service
    whose database is `service_db` (named `<namespace>-<service>`, as `test_settings` does)."""
    users = broker_users()
    buses = {
        producer: EventBus(
            ServiceSettings(
                service_name=producer,
                amqp_namespace=namespace,
                **users.settings(producer, amqp_url),
            )
        )
        for producer in set(PRODUCING_SERVICES.values())
    }
    try:
        for bus in buses.values():
            await bus.connect()
        yield EventInjector(
            buses, service_db, service=service_db.name.removeprefix(f"{namespace.rstrip('.')}-")
        )
    finally:
        for bus in buses.values():
            await bus.close()


def process_runs(pid: int) -> bool:
    """Whether the process runs (a zombie, dead but not yet reaped by init, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"
