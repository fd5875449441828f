"""Soak: a constant-rate social workload through the gateway while faults hit the stack, then a
check of every acknowledged write against the ledger the load generator kept.

Open loop: RATE arrivals a second whatever the answers (an arrival finding MAX_IN_FLIGHT
requests still open is counted as shed, never queued). The mix: home reads, profile reads,
posts (some with co-authors), invitations answered (accept or decline), likes, replies and
follows, over USERS generated accounts, a few of them celebrities (more followers than the
stack's CELEBRITY_FOLLOWER_THRESHOLD: merged into homes at read time).

The ledger holds every write answered 2xx, and every write attempted (an unanswered one may
have been applied). After the load, once quiet (the stack's queues empty, every process
ready; awaited, never slept), the check (retried until it passes or SETTLE_SECONDS):
- every acknowledged post is on its author's and each accepting co-author's profile once;
- every acknowledged invitation answer stands; every acknowledged follow holds and no follow
  counts twice; every acknowledged like and reply is there once;
- every home timeline holds, once, each post of an account it followed (acknowledged) before
  the post was sent or before that co-author's acceptance was sent, and nothing of accounts it
  never tried to follow;
- every expected notification exists once: follower.new, invitation.received,
  invitation.accepted/declined, and one grouped post.liked / post.replied per post;
- each listener (LISTENERS accounts keeping their live notification stream open through the
  gateway, resuming from their last event id whenever it ends) received every notification
  stored for it, no event id twice;
- no queue of the stack holds a message; each message in a dead-letter queue is reported
  (event, queue, x-death, the handler's last error) and must be a fault's doing: parked by
  RabbitMQ's delivery limit (consumers killed holding it), or after its handler failed on an
  unavailable dependency (UNAVAILABLE_DEPENDENCY).

The faults (bench/faults.py): one every FAULT_INTERVAL seconds, from a schedule (SIGKILL of a
random process, SIGTERM of one, a rolling SIGTERM restart of them all, the embedded MongoDB
restarted). Reported per fault: error rate and p99 of the requests sent while it lasted, the
time until the target served again; per process: memory and sockets at start and end.

    .venv/bin/python bench/soak.py [--duration 1800] [--rate 15] [--users 40] [--output FILE]

Starts its own local stack on free ports (its own AMQP namespace; RabbitMQ itself is never
stopped: it is shared). Exit 1 when the ledger check fails.
"""

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from benchlib import RESULTS_DIR, machine, percentile
from compose_stack import compose_stack
from faults import (
    BROKER_STOP,
    INFRASTRUCTURE_TARGETS,
    KILL,
    PARTITION,
    RESTART_CACHE,
    RESTART_DB,
    ROLLING,
    TERM,
    ContainerFaults,
    FaultInjector,
    LocalProcessFaults,
    ParkedEvent,
    ProcessStats,
    replica_of,
)
from live_stream import notification_stream
from stack import DEFAULT_AMQP_URL, LocalStack, find_free_base_port

from shared.testing import DEFAULT_REDIS_URL, delete_redis_keys

PASSWORD = "correct horse battery staple"  # noqa: S105 -- a soak account's
MIX = (
    ("home", 0.30),
    ("profile", 0.18),
    ("post", 0.14),
    ("answer", 0.08),
    ("like", 0.11),
    ("reply", 0.08),
    ("follow", 0.11),
)
COAUTHORED_SHARE = 0.35
ACCEPT_SHARE = 0.7
CELEBRITIES = 2
INITIAL_FOLLOWS = 3
# The celebrities, who get the most notifications, listen on their live streams all along.
LISTENERS = CELEBRITIES
# A stream quiet for this long (no notification) is opened again: a keep-alive comes every
# 15 s, so a stream whose gateway was cut off is not waited on for ever.
STREAM_READ_SECONDS = 45.0
REQUEST_TIMEOUT = 15.0
SET_UP_ATTEMPTS = 5
MAX_IN_FLIGHT = 200
SETTLE_SECONDS = 300.0
RECOVERY_TIMEOUT = 180.0
# A long soak's faults, in turn (a random target where none is named).
LONG_SCHEDULE = (
    f"{KILL}:consumer",
    RESTART_DB,
    f"{TERM}:service",
    f"{KILL}:gateway",
    ROLLING,
    f"{KILL}:any",
    f"{TERM}:gateway",
)
# The replicated stack in containers (--stack docker): a random replica of a service or a
# gateway killed or stopped, then started again; the broker stopped for a while; MongoDB and
# Redis restarted; a replica cut off the network for a while; every replica (gateways too)
# stopped gracefully and started again in turn, the next once the last is ready (a rolling
# update: several minutes, which delay the next fault).
CONTAINER_SCHEDULE = (
    f"{KILL}:consumer",
    BROKER_STOP,
    f"{KILL}:gateway",
    RESTART_DB,
    f"{PARTITION}:consumer",
    f"{TERM}:service",
    RESTART_CACHE,
    f"{PARTITION}:gateway",
    f"{KILL}:any",
    ROLLING,
)
# What a handler's last error says when a dependency a fault took away did not answer (the
# database, the broker, another service): a dead letter with such an error is the fault's.
UNAVAILABLE_DEPENDENCY = (
    "AutoReconnect",
    "NetworkTimeout",
    "ServerSelectionTimeoutError",
    "ConnectionFailure",
    "OperationCancelled",
    "NotPrimaryError",
    "ConnectError",
    "ConnectTimeout",
    "ReadTimeout",
    "RemoteProtocolError",
    "TimeoutError",
    "ChannelInvalidStateError",
    "ConnectionClosed",
    "503 Service Unavailable",
    "502 Bad Gateway",
    "504 Gateway Timeout",
)
# After a fault's target is ready again, connections the restart broke and retries under way
# may still fail a request for this long: still the fault's, not the steady state's.
FAULT_MARGIN_SECONDS = 5.0
# A fault a minute, or closer in a short soak so that it goes through the schedule once.
FAULT_INTERVAL = 60.0
# The stack's settings for a soak: no client limits (one address, a few accounts), cheap
# password hashing, tokens for the whole run, homes long enough to hold every post.
SOAK_ENVIRONMENT = {
    "USER_RATE_LIMIT_PER_MINUTE": "1e12",
    "USER_RATE_LIMIT_BURST": "1000000000",
    "IP_RATE_LIMIT_PER_MINUTE": "1e12",
    "IP_RATE_LIMIT_BURST": "1000000000",
    "LOGIN_RATE_LIMIT_PER_MINUTE": "1e9",
    "LOGIN_RATE_LIMIT_BURST": "1000000000",
    "STREAM_MAX_PER_ADDRESS": "10000",
    "ACCESS_TOKEN_TTL_SECONDS": "86400",
    "MAX_TOKEN_LIFETIME_SECONDS": "86400",
    "PASSWORD_HASHING_MEMORY_MIB": "32",
    "PASSWORD_HASH_TIME_COST": "1",
    "INVITES_PER_HOUR": "1000000",
    "HOME_TIMELINE_CAP": "100000",
    "CELEBRITY_FOLLOWER_THRESHOLD": "12",
    "OUTBOX_SWEEP_SECONDS": "1",
    # The default retries (36 s in all): a database stalled by a fault delays events, no
    # shorter schedule of a test's parks them.
    "EVENT_RETRY_DELAYS_SECONDS": "[1.0, 5.0, 30.0]",
}


@dataclass(eq=False)
class Account:
    id: str
    handle: str
    client: httpx.AsyncClient


@dataclass
class PostRecord:
    author: str  # account id
    invitees: list[str]
    sent_at: float


@dataclass
class Answer:
    invitation_id: str
    post_id: str
    invitee: str
    accept: bool
    sent_at: float


@dataclass
class Ledger:
    """Every write acknowledged (2xx), with when it was sent; every write attempted."""

    posts: dict[str, PostRecord] = field(default_factory=dict)
    answers: dict[str, Answer] = field(default_factory=dict)  # by invitation id
    answers_tried: set[tuple[str, str]] = field(default_factory=set)  # (post, invitee)
    follows: dict[tuple[str, str], float] = field(default_factory=dict)  # (follower, followee)
    follows_tried: set[tuple[str, str]] = field(default_factory=set)
    likes: set[tuple[str, str]] = field(default_factory=set)  # (post, liker)
    likes_tried: set[tuple[str, str]] = field(default_factory=set)
    replies: dict[str, tuple[str, str]] = field(default_factory=dict)  # id: (post, replier)
    replies_tried: Counter[str] = field(default_factory=Counter)  # by post
    unanswered: list[tuple[str, str]] = field(default_factory=list)  # (post, invitee)


@dataclass
class StreamLog:
    """What a listener's live stream delivered: (event id, notification id) in order, and how
    often it was opened (the first time, then each resumption)."""

    delivered: list[tuple[str, str]] = field(default_factory=list)
    opened: int = 0


@dataclass(frozen=True)
class Sample:
    op: str
    started: float
    seconds: float
    outcome: str  # ok, error (5xx, no answer), refused (4xx)
    status: int  # 0: no answer


@dataclass
class FaultRecord:
    kind: str
    target: str
    started: float
    recovered: float | None = None
    note: str = ""


@dataclass
class SoakConfig:
    duration: float = 1800.0
    rate: float = 15.0
    users: int = 40
    fault_interval: float = FAULT_INTERVAL
    schedule: tuple[str, ...] = LONG_SCHEDULE
    seed: int = 26
    settle_seconds: float = SETTLE_SECONDS
    stack: str = "local"  # or "docker": the replicated stack in containers


@dataclass
class SoakResult:
    config: SoakConfig
    samples: list[Sample]
    faults: list[FaultRecord]
    problems: list[str]
    queues: dict[str, tuple[int, int]]
    stats_start: dict[str, ProcessStats]
    stats_end: dict[str, ProcessStats]
    shed: int
    ledger: Ledger
    notes: list[str]
    settled_seconds: float
    load_started: float
    parked: list[ParkedEvent] = field(default_factory=list)
    streams: dict[str, StreamLog] = field(default_factory=dict)  # by listener handle

    @property
    def passed(self) -> bool:
        return not self.problems

    def error_rate(self, since: float = 0.0, until: float = float("inf")) -> float:
        window = [s for s in self.samples if since <= s.started <= until]
        return sum(s.outcome == "error" for s in window) / max(1, len(window))

    def outside_faults(self) -> list[Sample]:
        """The requests sent outside every fault (and FAULT_MARGIN_SECONDS after it)."""
        windows = [
            (f.started, (f.recovered or f.started) + FAULT_MARGIN_SECONDS) for f in self.faults
        ]
        return [s for s in self.samples if not any(a <= s.started <= b for a, b in windows)]

    def error_rate_outside(self) -> float:
        outside = self.outside_faults()
        return sum(s.outcome == "error" for s in outside) / max(1, len(outside))


async def set_up_step(
    send: Callable[[], Awaitable[httpx.Response]], expected: frozenset[int] = frozenset({200})
) -> httpx.Response:
    """A request of the set-up, sent again (up to SET_UP_ATTEMPTS times) while the answer is
    a 5xx or none; any other unexpected answer fails the soak."""
    for attempt in range(1, SET_UP_ATTEMPTS + 1):
        try:
            response = await send()
        except httpx.HTTPError:
            if attempt == SET_UP_ATTEMPTS:
                raise
            continue
        if response.status_code < 500 or attempt == SET_UP_ATTEMPTS:
            assert response.status_code in expected, response.text
            return response
        await asyncio.sleep(1.0)
    raise AssertionError("unreachable")


class Workload:
    def __init__(self, gateway_url: str, config: SoakConfig) -> None:
        self.gateway_url = gateway_url
        self.config = config
        self.rng = random.Random(config.seed)  # noqa: S311 -- a reproducible workload
        self.accounts: list[Account] = []
        self.by_id: dict[str, Account] = {}
        self.ledger = Ledger()
        self.samples: list[Sample] = []
        self.shed = 0
        self.in_flight: set[asyncio.Task[None]] = set()
        self._post_number = 0
        self.streams: dict[str, StreamLog] = {}  # by listener id

    async def set_up(self) -> None:
        limit = asyncio.Semaphore(4)
        run = uuid.uuid4().hex[:6]

        async def sign_up(number: int) -> Account:
            async with limit:
                return await self._sign_up(f"s{run}u{number}")

        self.accounts = list(await asyncio.gather(*(sign_up(n) for n in range(self.config.users))))
        self.by_id = {a.id: a for a in self.accounts}
        # Celebrities: followed by everyone; then a few random follows each.
        for account in self.accounts:
            followees = set(self.accounts[:CELEBRITIES]) - {account}
            others = [a for a in self.accounts if a is not account]
            followees |= set(self.rng.sample(others, INITIAL_FOLLOWS))
            for followee in followees:
                attempts = 1
                while not await self._follow(account, followee):  # a PUT: sent again safely
                    assert attempts < SET_UP_ATTEMPTS, f"{account.handle} could not follow"
                    attempts += 1

    async def close(self) -> None:
        for account in self.accounts:
            await account.client.aclose()

    def listeners(self) -> list[Account]:
        return self.accounts[:LISTENERS]

    async def listen(self, account: Account) -> None:
        """Keep the account's live notification stream open through the gateway until
        cancelled, as a browser's EventSource does: opened again whenever it ends (a gateway
        or a notifications replica stopped), from the last event id; the first time from the
        start, so every notification stored for the account is due."""
        log = self.streams.setdefault(account.id, StreamLog())
        token = str(account.client.headers["Authorization"]).removeprefix("Bearer ")
        last_event_id = "0"
        while True:
            try:
                async with notification_stream(self.gateway_url, token, last_event_id) as stream:
                    log.opened += 1
                    while True:
                        event = await stream.next_notification(within=STREAM_READ_SECONDS)
                        log.delivered.append((event.id, event.data["id"]))
                        last_event_id = event.id
            except (AssertionError, TimeoutError, httpx.HTTPError):
                await asyncio.sleep(1.0)  # the stream's `retry:` is 3 s; sooner here

    async def _sign_up(self, handle: str) -> Account:
        """The account, its token and its policy; each step tried again while the stack is too
        busy to answer (the set-up is not what a soak measures)."""
        body = {"handle": handle, "password": PASSWORD, "display_name": handle}
        async with httpx.AsyncClient(base_url=self.gateway_url, timeout=60) as anonymous:
            # A 409 after an unanswered attempt: that attempt created it.
            await set_up_step(lambda: anonymous.post("/v1/users", json=body), frozenset({201, 409}))
            credentials = {"handle": handle, "password": PASSWORD}
            issued = await set_up_step(lambda: anonymous.post("/v1/auth/token", json=credentials))
        client = httpx.AsyncClient(
            base_url=self.gateway_url,
            timeout=REQUEST_TIMEOUT,
            headers={"Authorization": f"Bearer {issued.json()['access_token']}"},
            limits=httpx.Limits(max_connections=20, max_keepalive_connections=4),
        )
        policy = {"collab_policy": "everyone"}
        me = await set_up_step(lambda: client.patch("/v1/me", json=policy))
        return Account(me.json()["id"], handle, client)

    # -- the load ------------------------------------------------------------------------

    async def run(self, duration: float) -> None:
        """RATE arrivals a second for `duration` seconds (open loop), then wait for the last."""
        ops = [name for name, _ in MIX]
        weights = [weight for _, weight in MIX]
        interval = 1.0 / self.config.rate
        started = time.monotonic()
        arrival = 0
        while (due := started + arrival * interval) < started + duration:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            arrival += 1
            if len(self.in_flight) >= MAX_IN_FLIGHT:
                self.shed += 1
                continue
            op = self.rng.choices(ops, weights)[0]
            task = asyncio.create_task(getattr(self, f"_op_{op}")())
            self.in_flight.add(task)
            task.add_done_callback(self.in_flight.discard)
        if self.in_flight:
            await asyncio.wait(set(self.in_flight))

    async def _request(
        self, op: str, send: Callable[[], Awaitable[httpx.Response]]
    ) -> httpx.Response | None:
        started = time.monotonic()
        try:
            response: httpx.Response | None = await send()
        except httpx.HTTPError:
            response = None
        seconds = time.monotonic() - started
        if response is None or response.status_code >= 500:
            outcome = "error"
        elif response.status_code >= 400:
            outcome = "refused"
        else:
            outcome = "ok"
        status = 0 if response is None else response.status_code
        self.samples.append(Sample(op, started, seconds, outcome, status))
        return response if outcome == "ok" else None

    def _anyone(self) -> Account:
        return self.rng.choice(self.accounts)

    async def _op_home(self) -> None:
        reader = self._anyone()
        await self._request("home", lambda: reader.client.get("/v1/timeline", params={"limit": 20}))

    async def _op_profile(self) -> None:
        reader, owner = self._anyone(), self._anyone()
        path = f"/v1/users/{owner.handle}/posts"
        await self._request("profile", lambda: reader.client.get(path, params={"limit": 20}))

    async def _op_post(self) -> None:
        author = self._anyone()
        invitees: list[Account] = []
        if self.rng.random() < COAUTHORED_SHARE:
            others = [a for a in self.accounts if a is not author]
            invitees = self.rng.sample(others, self.rng.randint(1, 2))
        self._post_number += 1
        body = {
            "text": f"soak post {self._post_number} by {author.handle}",
            "coauthors": [i.handle for i in invitees],
        }
        sent_at = time.monotonic()
        response = await self._request("post", lambda: author.client.post("/v1/posts", json=body))
        if response is None:
            return
        post_id = response.json()["id"]
        self.ledger.posts[post_id] = PostRecord(author.id, [i.id for i in invitees], sent_at)
        self.ledger.unanswered += [(post_id, i.id) for i in invitees]

    async def _op_answer(self) -> None:
        if not self.ledger.unanswered:
            await self._op_home()
            return
        post_id, invitee_id = self.ledger.unanswered.pop(
            self.rng.randrange(len(self.ledger.unanswered))
        )
        invitee = self.by_id[invitee_id]
        found = await self._request(
            "answer",
            lambda: invitee.client.get(
                "/v1/invitations", params={"status": "pending", "limit": 100}
            ),
        )
        invitation = next(
            (i for i in (found.json()["items"] if found else []) if i["post_id"] == post_id), None
        )
        if invitation is None:  # not there yet (or the read failed): answer it later
            self.ledger.unanswered.append((post_id, invitee_id))
            return
        accept = self.rng.random() < ACCEPT_SHARE
        path = f"/v1/invitations/{invitation['id']}/{'accept' if accept else 'decline'}"
        sent_at = time.monotonic()
        self.ledger.answers_tried.add((post_id, invitee_id))
        if await self._request("answer", lambda: invitee.client.post(path)) is not None:
            self.ledger.answers[invitation["id"]] = Answer(
                invitation["id"], post_id, invitee_id, accept, sent_at
            )

    def _a_post(self) -> tuple[str, PostRecord] | None:
        if not self.ledger.posts:
            return None
        post_id = self.rng.choice(list(self.ledger.posts))
        return post_id, self.ledger.posts[post_id]

    def _outsider(self, record: PostRecord) -> Account:
        """Someone neither the author nor invited (their likes and replies notify the author)."""
        insiders = {record.author, *record.invitees}
        return self.rng.choice([a for a in self.accounts if a.id not in insiders])

    async def _op_like(self) -> None:
        picked = self._a_post()
        if picked is None:
            await self._op_home()
            return
        post_id, record = picked
        liker = self._outsider(record)
        if (post_id, liker.id) in self.ledger.likes_tried:
            await self._op_profile()
            return
        self.ledger.likes_tried.add((post_id, liker.id))
        path = f"/v1/posts/{post_id}/like"
        if await self._request("like", lambda: liker.client.put(path)) is not None:
            self.ledger.likes.add((post_id, liker.id))

    async def _op_reply(self) -> None:
        picked = self._a_post()
        if picked is None:
            await self._op_home()
            return
        post_id, record = picked
        replier = self._outsider(record)
        self.ledger.replies_tried[post_id] += 1
        body = {"text": f"soak reply by {replier.handle}"}
        response = await self._request(
            "reply", lambda: replier.client.post(f"/v1/posts/{post_id}/replies", json=body)
        )
        if response is not None:
            self.ledger.replies[response.json()["id"]] = (post_id, replier.id)

    async def _op_follow(self) -> None:
        follower = self._anyone()
        candidates = [
            a
            for a in self.accounts
            if a is not follower and (follower.id, a.id) not in self.ledger.follows_tried
        ]
        if not candidates:
            await self._op_home()
            return
        await self._follow(follower, self.rng.choice(candidates))

    async def _follow(self, follower: Account, followee: Account) -> bool:
        self.ledger.follows_tried.add((follower.id, followee.id))
        path = f"/v1/users/{followee.handle}/follow"
        if await self._request("follow", lambda: follower.client.put(path)) is None:
            return False
        self.ledger.follows[(follower.id, followee.id)] = time.monotonic()
        return True


# -- the check ---------------------------------------------------------------------------


async def all_items(
    client: httpx.AsyncClient, path: str, **params: str
) -> list[dict[str, Any]] | None:
    """Every item of a paginated list; None when a page could not be read."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query: dict[str, str | int] = {
            "limit": 100,
            **params,
            **({"cursor": cursor} if cursor else {}),
        }
        try:
            response = await client.get(path, params=query)
        except httpx.HTTPError:
            return None
        if response.status_code != 200:
            return None
        page = response.json()
        items += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return items


def doubled(ids: list[str]) -> set[str]:
    return {key for key, count in Counter(ids).items() if count > 1}


class LedgerCheck:
    def __init__(self, workload: Workload) -> None:
        self.w = workload
        self.ledger = workload.ledger
        self.limit = asyncio.Semaphore(8)
        # Each post's author and the co-authors whose acceptance was acknowledged, or who
        # answered at all (an unacknowledged acceptance may have been applied).
        self.credited: dict[str, set[str]] = {p: {r.author} for p, r in self.ledger.posts.items()}
        self.maybe_credited = {p: set(authors) for p, authors in self.credited.items()}
        for answer in self.ledger.answers.values():
            if answer.accept:
                self.credited[answer.post_id].add(answer.invitee)
        for post_id, invitee in self.ledger.answers_tried:
            self.maybe_credited[post_id].add(invitee)

    async def problems(self) -> list[str]:
        checks = [self._account(account) for account in self.w.accounts]
        checks += [self._stream(account) for account in self.w.listeners()]
        checks += [self._likes(post_id) for post_id in {p for p, _ in self.ledger.likes_tried}]
        checks += [self._replies(post_id) for post_id in self.ledger.replies_tried]
        found: list[str] = []
        for part in await asyncio.gather(*checks):
            found += part
        return found

    async def _read(
        self, client: httpx.AsyncClient, path: str, **params: str
    ) -> list[dict[str, Any]]:
        async with self.limit:
            items = await all_items(client, path, **params)
        if items is None:
            raise LookupError(f"could not read {path}")
        return items

    async def _account(self, account: Account) -> list[str]:
        try:
            return [
                *await self._profile(account),
                *await self._home(account),
                *await self._invitations(account),
                *await self._follow_counts(account),
                *await self._notifications(account),
            ]
        except LookupError as error:
            return [f"{account.handle}: {error}"]

    async def _profile(self, account: Account) -> list[str]:
        ids = [
            p["id"] for p in await self._read(account.client, f"/v1/users/{account.handle}/posts")
        ]
        seen = Counter(ids)
        problems = [f"{account.handle}'s profile lists {post} twice" for post in doubled(ids)]
        for post_id in self.ledger.posts:
            if account.id in self.credited[post_id] and not seen[post_id]:
                problems.append(f"{account.handle}'s profile lacks its post {post_id}")
        for answer in self.ledger.answers.values():
            if answer.invitee == account.id and not answer.accept and seen[answer.post_id]:
                problems.append(f"{account.handle}'s profile has {answer.post_id} it declined")
        return problems

    def _must_reach(self, reader: str) -> set[str]:
        """Posts the reader's home must hold: its own and those of accounts it followed
        (acknowledged) before the post was sent, or before that co-author's acceptance."""
        followed = {e: t for (f, e), t in self.ledger.follows.items() if f == reader}
        must = set()
        for post_id, record in self.ledger.posts.items():
            if (
                record.author == reader
                or followed.get(record.author, float("inf")) < record.sent_at
            ):
                must.add(post_id)
        for answer in self.ledger.answers.values():
            if not answer.accept:
                continue
            if (
                answer.invitee == reader
                or followed.get(answer.invitee, float("inf")) < answer.sent_at
            ):
                must.add(answer.post_id)
        return must

    async def _home(self, account: Account) -> list[str]:
        ids = [p["id"] for p in await self._read(account.client, "/v1/timeline")]
        problems = [f"{account.handle}'s home holds {post} twice" for post in doubled(ids)]
        missing = self._must_reach(account.id) - set(ids)
        if missing:
            problems.append(
                f"{account.handle}'s home lacks {len(missing)} posts: {sorted(missing)[:5]}"
            )
        reachable = {e for f, e in self.ledger.follows_tried if f == account.id} | {account.id}
        for post_id in set(ids) & set(self.ledger.posts):
            if not self.maybe_credited[post_id] & reachable:
                problems.append(f"{account.handle}'s home holds {post_id} of no one it follows")
        return problems

    async def _invitations(self, account: Account) -> list[str]:
        items = await self._read(account.client, "/v1/invitations", box="received")
        status = {i["id"]: i["status"] for i in items}
        problems = [
            f"{account.handle} has invitation {i} twice" for i in doubled([i["id"] for i in items])
        ]
        for answer in self.ledger.answers.values():
            if answer.invitee != account.id:
                continue
            wanted = "accepted" if answer.accept else "declined"
            if status.get(answer.invitation_id) != wanted:
                problems.append(
                    f"{account.handle}'s invitation {answer.invitation_id}: "
                    f"{status.get(answer.invitation_id)}, acknowledged {wanted}"
                )
        return problems

    async def _follow_counts(self, account: Account) -> list[str]:
        async with self.limit:
            response = await account.client.get(f"/v1/users/{account.handle}")
        if response.status_code != 200:
            raise LookupError(f"profile answered {response.status_code}")
        profile = response.json()
        problems = []
        for key, side in (("following_count", 0), ("followers_count", 1)):
            acked = sum(pair[side] == account.id for pair in self.ledger.follows)
            tried = sum(pair[side] == account.id for pair in self.ledger.follows_tried)
            if not acked <= profile[key] <= tried:
                problems.append(
                    f"{account.handle}: {key} {profile[key]}, acknowledged {acked}, tried {tried}"
                )
        return problems

    async def _notifications(self, account: Account) -> list[str]:
        items = await self._read(account.client, "/v1/notifications")
        by_type: dict[str, Counter[str]] = defaultdict(Counter)
        for n in items:
            actor = (n.get("actor") or {}).get("id", "")
            key = {
                "follower.new": actor,
                "invitation.received": n.get("post_id") or "",
                "invitation.accepted": f"{n.get('post_id')}/{actor}",
                "invitation.declined": f"{n.get('post_id')}/{actor}",
            }.get(n["type"], n.get("post_id") or "")
            by_type[n["type"]][key] += 1
        expected: dict[str, set[str]] = defaultdict(set)
        for follower, followee in self.ledger.follows:
            if followee == account.id:
                expected["follower.new"].add(follower)
        for post_id, record in self.ledger.posts.items():
            if account.id in record.invitees:
                expected["invitation.received"].add(post_id)
        for answer in self.ledger.answers.values():
            if self.ledger.posts[answer.post_id].author == account.id:
                kind = "invitation.accepted" if answer.accept else "invitation.declined"
                expected[kind].add(f"{answer.post_id}/{answer.invitee}")
        for post_id, _ in self.ledger.likes:
            if self.ledger.posts[post_id].author == account.id:
                expected["post.liked"].add(post_id)
        for post_id, _ in self.ledger.replies.values():
            if self.ledger.posts[post_id].author == account.id:
                expected["post.replied"].add(post_id)
        problems = []
        for kind, keys in expected.items():
            for key in keys:
                if by_type[kind][key] != 1:
                    problems.append(f"{account.handle}: {by_type[kind][key]} {kind} for {key}")
        for kind in (
            "follower.new",
            "invitation.received",
            "invitation.accepted",
            "invitation.declined",
            "post.liked",
            "post.replied",
        ):
            for key, count in by_type[kind].items():
                if count > 1:
                    problems.append(f"{account.handle}: {count} {kind} for {key}")
        return problems

    async def _stream(self, account: Account) -> list[str]:
        """Every notification stored for a listener came on its live stream; no event twice."""
        try:
            stored = {n["id"] for n in await self._read(account.client, "/v1/notifications")}
        except LookupError as error:
            return [f"{account.handle}: {error}"]
        log = self.w.streams.get(account.id, StreamLog())
        streamed = {notification for _, notification in log.delivered}
        event_ids = [event for event, _ in log.delivered]
        problems = [
            f"{account.handle}: notification {n} never came on the live stream"
            for n in sorted(stored - streamed)
        ]
        problems += [
            f"{account.handle}: stream event {e} came twice" for e in sorted(doubled(event_ids))
        ]
        return problems

    async def _likes(self, post_id: str) -> list[str]:
        author = self.w.by_id[self.ledger.posts[post_id].author]
        try:
            likers = [
                u["id"] for u in await self._read(author.client, f"/v1/posts/{post_id}/likes")
            ]
        except LookupError as error:
            return [f"likes of {post_id}: {error}"]
        problems = [f"post {post_id} liked twice by {u}" for u in doubled(likers)]
        for post, liker in self.ledger.likes:
            if post == post_id and liker not in likers:
                problems.append(f"post {post_id} lacks the like of {liker}")
        tried = {liker for post, liker in self.ledger.likes_tried if post == post_id}
        problems += [f"post {post_id} liked by {u}, who never tried" for u in set(likers) - tried]
        return problems

    async def _replies(self, post_id: str) -> list[str]:
        author = self.w.by_id[self.ledger.posts[post_id].author]
        try:
            ids = [r["id"] for r in await self._read(author.client, f"/v1/posts/{post_id}/replies")]
        except LookupError as error:
            return [f"replies of {post_id}: {error}"]
        problems = [f"reply {r} listed twice under {post_id}" for r in doubled(ids)]
        acked = [r for r, (post, _) in self.ledger.replies.items() if post == post_id]
        problems += [f"reply {r} missing under {post_id}" for r in acked if r not in ids]
        if len(ids) > self.ledger.replies_tried[post_id]:
            problems.append(
                f"{post_id} has {len(ids)} replies, {self.ledger.replies_tried[post_id]} tried"
            )
        return problems


# -- quiescence, the broker's queues -----------------------------------------------------


def stack_queues(namespace: str) -> dict[str, tuple[int, int]]:
    """The stack's queues: (ready, unacknowledged) messages each (rabbitmqctl, as root)."""
    columns = ["name", "messages_ready", "messages_unacknowledged"]
    output = subprocess.run(  # noqa: S603 -- the broker's CLI, fixed arguments
        ["rabbitmqctl", "-q", "list_queues", "--no-table-headers", *columns],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    queues = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0].startswith(namespace):
            queues[parts[0]] = (int(parts[1]), int(parts[2]))
    return queues


def is_dead_letter(queue: str) -> bool:
    return queue.endswith(".dead-letter") or queue.endswith("copost.unrouted")


def caused_by_a_fault(parked: ParkedEvent) -> bool:
    """Whether a fault explains a dead letter: RabbitMQ parked it after too many deliveries
    (consumers killed while holding it), or its handler failed on an unavailable dependency."""
    if parked.dead_letter.first_reason == "delivery_limit":
        return True
    return parked.dead_letter.refused is None and any(
        marker in parked.error for marker in UNAVAILABLE_DEPENDENCY
    )


def why_parked(parked: ParkedEvent) -> str:
    """The refusal, else the handler's last error, else RabbitMQ's reason."""
    letter = parked.dead_letter
    return f"refused: {letter.refused}" if letter.refused else parked.error or letter.first_reason


def read_parked(faults: FaultInjector, held: dict[str, tuple[int, int]]) -> list[ParkedEvent]:
    """Every event the dead-letter queues hold (left there)."""
    return [
        parked
        for queue, counts in sorted(held.items())
        if is_dead_letter(queue) and sum(counts)
        for parked in faults.parked(queue)
    ]


async def quiet(
    stack_queues: Callable[[], dict[str, tuple[int, int]]], within: float
) -> dict[str, tuple[int, int]]:
    """Wait until every queue of the stack but the dead-letter ones is empty, twice in a row."""
    deadline = time.monotonic() + within
    empty_in_a_row = 0
    while True:
        queues = await asyncio.to_thread(stack_queues)
        busy = {q: n for q, n in queues.items() if not is_dead_letter(q) and sum(n)}
        empty_in_a_row = 0 if busy else empty_in_a_row + 1
        if empty_in_a_row >= 2 or time.monotonic() > deadline:
            return queues
        await asyncio.sleep(1.0)


# -- the run -----------------------------------------------------------------------------


async def run_faults(
    injector: FaultInjector, config: SoakConfig, rng: random.Random, started: float
) -> list[FaultRecord]:
    records: list[FaultRecord] = []
    services = injector.targets()
    consumers = [t for t in services if replica_of(t) != "gateway"]
    for number in range(int(config.duration // config.fault_interval)):
        at = started + (number + 1) * config.fault_interval
        last = started + config.duration - config.fault_interval / 2
        # A fault that outlasted its interval (a rolling restart) delays the next: none starts
        # too near the load's end to be measured under load.
        if max(at, time.monotonic()) > last:
            break
        await asyncio.sleep(max(0.0, at - time.monotonic()))
        kind, _, target = config.schedule[number % len(config.schedule)].partition(":")
        if not injector.supports(kind):
            records.append(
                FaultRecord(kind, target, time.monotonic(), note="not supported: skipped")
            )
            continue
        # A class of targets, or a service (one of its replicas), or none named.
        pool = {"consumer": consumers, "service": consumers, "any": services}.get(target)
        pool = pool or [t for t in services if replica_of(t) == target]
        if pool:
            target = rng.choice(pool)
        target = target or INFRASTRUCTURE_TARGETS.get(kind, "all")
        record = FaultRecord(kind, target, time.monotonic())
        records.append(record)
        try:
            await injector.inject(kind, target)
            await injector.recovered(target, RECOVERY_TIMEOUT)
            record.recovered = time.monotonic()
        except (TimeoutError, RuntimeError) as error:
            record.note = str(error)
    return records


async def soak(stack: LocalStack, config: SoakConfig) -> SoakResult:
    """Run the workload and the faults on a started local stack; check the ledger."""
    faults = LocalProcessFaults(stack)
    async with faults.supervising():
        return await soak_through(
            stack.gateway_url, faults, partial(stack_queues, stack.amqp_namespace), config
        )


async def soak_through(
    gateway_url: str,
    faults: FaultInjector,
    queues: Callable[[], dict[str, tuple[int, int]]],
    config: SoakConfig,
) -> SoakResult:
    """Run the workload through `gateway_url` while `faults` hit the stack behind it; check
    the ledger. `queues`: the stack's queues and what they hold."""
    workload = Workload(gateway_url, config)
    await workload.set_up()
    workload.samples.clear()  # the set-up's follows are in the ledger, not in the load
    listening = [asyncio.create_task(workload.listen(a)) for a in workload.listeners()]
    try:
        stats_start = faults.stats()
        started = time.monotonic()
        fault_task = asyncio.create_task(
            run_faults(faults, config, random.Random(config.seed), started)  # noqa: S311
        )
        await workload.run(config.duration)
        records = await fault_task
        settling = time.monotonic()
        not_ready = []
        try:
            await faults.recovered("all", RECOVERY_TIMEOUT)
        except TimeoutError as error:
            not_ready.append(f"after the load: {error}")
        held = await quiet(queues, config.settle_seconds)
        check = LedgerCheck(workload)
        problems = await check.problems()
        while problems and time.monotonic() < settling + config.settle_seconds:
            await asyncio.sleep(2.0)
            problems = await check.problems()
        settled = time.monotonic() - settling
        held = await quiet(queues, 30.0)
        parked = await asyncio.to_thread(read_parked, faults, held)
        problems += not_ready + [
            f"queue {q} holds {n[0]} ready, {n[1]} unacknowledged"
            for q, n in held.items()
            if sum(n) and not is_dead_letter(q)
        ]
        problems += [
            f"{p.queue} holds {p.dead_letter.event_type} {p.dead_letter.event_id}, which no fault"
            f" explains: {why_parked(p)}"
            for p in parked
            if not caused_by_a_fault(p)
        ]
        stats_end = faults.stats()
    finally:
        for listener in listening:
            listener.cancel()
        await asyncio.gather(*listening, return_exceptions=True)
        await workload.close()
    return SoakResult(
        config,
        workload.samples,
        records,
        problems,
        held,
        stats_start,
        stats_end,
        workload.shed,
        workload.ledger,
        faults.notes,
        settled,
        started,
        parked,
        {workload.by_id[a].handle: log for a, log in workload.streams.items()},
    )


# -- the report --------------------------------------------------------------------------


def ms(values: list[float], fraction: float) -> str:
    return f"{percentile(values, fraction) * 1000:.0f}" if values else "-"


def report(result: SoakResult) -> str:
    config, samples = result.config, result.samples
    ledger = result.ledger
    by_status = Counter(s.status for s in samples if s.outcome == "error")
    lines = [
        "# Soak with faults",
        "",
        f"{machine()}. `make soak{STACKS[config.stack]} DURATION={config.duration:g}`:"
        f" {config.rate:g} arrivals/s (open loop), {config.users} accounts ({CELEBRITIES}"
        f" celebrities), a fault every {config.fault_interval:g} s, seed {config.seed}.",
        "",
        f"**Ledger check: {'passed' if result.passed else 'FAILED'}** (settled"
        f" {result.settled_seconds:.1f} s after the load). Acknowledged: {len(ledger.posts)} posts,"
        f" {len(ledger.answers)} invitation answers, {len(ledger.follows)} follows,"
        f" {len(ledger.likes)} likes, {len(ledger.replies)} replies. Shed by the generator"
        f" (over {MAX_IN_FLIGHT} in flight): {result.shed}.",
        "",
        f"Errors (5xx or no answer): {result.error_rate():.2%} of the requests; outside the"
        f" faults (and {FAULT_MARGIN_SECONDS:g} s after each): {result.error_rate_outside():.2%}."
        " By status (0: no answer within the client's timeout): "
        + (", ".join(f"{status}: {n}" for status, n in sorted(by_status.items())) or "none")
        + ".",
        "",
        "| request | sent | errors (5xx, none) | refused (4xx) | p50 ms | p99 ms |",
        "|---|---|---|---|---|---|",
    ]
    for op, _ in MIX:
        mine = [s for s in samples if s.op == op]
        ok = [s.seconds for s in mine if s.outcome == "ok"]
        errors = sum(s.outcome == "error" for s in mine)
        refused = sum(s.outcome == "refused" for s in mine)
        lines.append(
            f"| {op} | {len(mine)} | {errors} | {refused} | {ms(ok, 0.5)} | {ms(ok, 0.99)} |"
        )
    lines += [
        "",
        "## Faults",
        "",
        "Error rate and p99 of the requests sent while the fault lasted (from the signal until the"
        " target, or for a database every service, answered /readyz again).",
        "",
        "| at s | fault | target | recovered in s | requests | error rate | p99 ms | note |",
        "|---|---|---|---|---|---|---|---|",
    ]
    first = result.load_started
    for fault in result.faults:
        end = fault.recovered or fault.started
        window = [s for s in samples if fault.started <= s.started <= end]
        recovered = f"{fault.recovered - fault.started:.1f}" if fault.recovered else "-"
        lines.append(
            f"| {fault.started - first:.0f} | {fault.kind} | {fault.target} | {recovered} |"
            f" {len(window)} | {result.error_rate(fault.started, end):.1%} |"
            f" {ms([s.seconds for s in window], 0.99)} | {fault.note} |"
        )
    lines += [
        "",
        "## Processes",
        "",
        "Resident memory and open sockets (connections and listeners), at the start of the load"
        " and after it settled; a process restarted by a fault is a new process at the end.",
        "",
        "| process | MiB start | MiB end | sockets start | sockets end | restarted |",
        "|---|---|---|---|---|---|",
    ]
    for name, start in result.stats_start.items():
        end_stats = result.stats_end.get(name)
        if end_stats is None:
            lines.append(f"| {name} | {start.rss_mib:.0f} | - | {start.connections} | - | - |")
            continue
        lines.append(
            f"| {name} | {start.rss_mib:.0f} | {end_stats.rss_mib:.0f} | {start.connections} |"
            f" {end_stats.connections} | {'yes' if end_stats.pid != start.pid else 'no'} |"
        )
    lines += [
        "",
        "## Live streams",
        "",
        "Listeners on their live notification streams through the load balancer the whole"
        " time, each reopened from its last event id whenever it ended: "
        + (
            "; ".join(
                f"{handle} opened it {log.opened} times and got {len(log.delivered)} events"
                for handle, log in result.streams.items()
            )
            or "none"
        )
        + ". The check wants every notification stored for them delivered, no event twice.",
    ]
    dead = {q: n for q, n in result.queues.items() if is_dead_letter(q) and sum(n)}
    lines += [
        "",
        "## Queues",
        "",
        "Dead-letter and unrouted queues holding messages after the soak: "
        + (", ".join(f"{q} {sum(n)}" for q, n in sorted(dead.items())) or "none")
        + ".",
        "",
    ]
    if result.parked:
        lines += [
            "Each parked event (left in its queue): the queue it first failed in and why, its"
            " x-death history (reason in queue: times), the last error its handler logged, and"
            " whether a fault explains it (an unavailable dependency, or RabbitMQ's delivery"
            " limit).",
            "",
            "| queue | event | id | first death | x-death | handler's error | a fault's |",
            "|---|---|---|---|---|---|---|",
        ]
        for parked in result.parked:
            letter = parked.dead_letter
            deaths = ", ".join(f"{death}: {n}" for death, n in letter.deaths.items())
            lines.append(
                f"| {parked.queue} | {letter.event_type} | {letter.event_id} |"
                f" {letter.first_reason} in {letter.first_queue} | {deaths} |"
                f" {why_parked(parked).replace('|', '/')} |"
                f" {'yes' if caused_by_a_fault(parked) else 'NO'} |"
            )
        lines.append("")
    if result.problems:
        lines += ["## Problems", "", *[f"- {p}" for p in result.problems[:50]], ""]
    return "\n".join(lines)


def start_stack(data_dir: Path, overrides: dict[str, str]) -> LocalStack:
    namespace = f"soak-{uuid.uuid4().hex[:8]}."
    return LocalStack(
        data_dir=data_dir,
        base_port=find_free_base_port(),
        amqp_url=os.environ.get("AMQP_URL", DEFAULT_AMQP_URL),
        amqp_namespace=namespace,
        broker_user_prefix=f"copost-{namespace}",
        extra_env={**SOAK_ENVIRONMENT, **overrides},
        ready_timeout=180.0,
    ).start()


def run_locally(config: SoakConfig) -> SoakResult:
    with tempfile.TemporaryDirectory(prefix="copost-soak-") as data_dir:
        stack = start_stack(Path(data_dir), {})
        try:
            return asyncio.run(soak(stack, config))
        finally:
            for problem in stack.stop():
                print(f"  not cleaned: {problem}", file=sys.stderr)
            delete_redis_keys(os.environ.get("REDIS_URL", DEFAULT_REDIS_URL), stack.amqp_namespace)


def run_in_containers(config: SoakConfig) -> SoakResult:
    """The replicated stack (two of each service, two gateways behind HAProxy) in containers
    of a compose project of its own, removed with its volumes after."""
    project = f"copost-soak-{uuid.uuid4().hex[:8]}"
    with (
        tempfile.TemporaryDirectory(prefix="copost-soak-") as work_dir,
        compose_stack(
            Path(work_dir), SOAK_ENVIRONMENT, project_name=project, replicated=True
        ) as stack,
    ):
        faults = ContainerFaults(project)
        return asyncio.run(soak_through(stack.gateway_url, faults, faults.queues, config))


# How each stack is asked for (`make soak` and its switch, in the report).
STACKS = {"local": "", "docker": " DOCKER=1"}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=1800.0, help="seconds of load")
    parser.add_argument("--rate", type=float, default=15.0, help="arrivals a second")
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument(
        "--fault-interval", type=float, help="seconds between faults (default: see FAULT_INTERVAL)"
    )
    parser.add_argument("--seed", type=int, default=26)
    parser.add_argument("--stack", choices=list(STACKS), default="local")
    parser.add_argument("--output", type=Path, default=RESULTS_DIR / "soak.md")
    args = parser.parse_args()
    schedule = CONTAINER_SCHEDULE if args.stack == "docker" else LONG_SCHEDULE
    interval = args.fault_interval or min(FAULT_INTERVAL, args.duration / (len(schedule) + 0.5))
    config = SoakConfig(
        args.duration, args.rate, args.users, interval, schedule, args.seed, stack=args.stack
    )
    result = run_in_containers(config) if args.stack == "docker" else run_locally(config)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report(result))
    print(f"soak: ledger check {'passed' if result.passed else 'FAILED'}; report in {args.output}")
    for problem in result.problems[:20]:
        print(f"  {problem}", file=sys.stderr)
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
