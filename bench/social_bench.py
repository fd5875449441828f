"""Social benchmark: a real social graph built through the gateway, then a mixed workload on it.

Starts the whole local stack (`deploy/local/stack.py`: `make run`'s default, the embedded
MongoDB servers, one per service's database, and Redis) on free ports and, through the gateway:

1. signs up every user of the graph (DeathStarBench's socfb-Reed98: 962 users, 18 812
   friendships followed both ways = 37 624 follows; read from SOCIAL_GRAPH_DIR, never copied
   into this repository; without it, a generated graph of the same shape);
2. makes every follow, with FOLLOW_WORKERS concurrent clients, timing each block of follows
   (the rate must not fall as the graph grows), then waits until the timeline service has
   handled them all;
3. measures the floor (a bare FastAPI app returning a home page's bytes) and a home page's
   CPU through the gateway with `wrk`, in the same run;
4. runs DeathStarBench's socialNetwork mix for SECONDS with CLIENTS closed-loop clients: 60 %
   home timelines, 30 % profiles, 10 % new posts (a tenth of them co-authored with one of
   the author's followers), reporting throughput, p50/p90/p99 per request type (failures by
   status) and each process's CPU.

Writes bench/results/social.md.

    .venv/bin/python bench/social_bench.py [--graph DIR] [--clients 16] [--seconds 30]
"""

import argparse
import asyncio
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from benchlib import (
    bench_cpu_seconds,
    cpu_seconds,
    embedded_engine,
    machine,
    machine_cpu_seconds,
    other_work,
    percentile,
    write_results,
    wrk,
)
from pymongo import MongoClient
from read_bench import UNLIMITED
from stack import DEFAULT_AMQP_URL, LocalStack, find_free_base_port, port_is_free

from shared.testing import DEFAULT_REDIS_URL, delete_redis_keys

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_GRAPH = REPO_ROOT.parent / "shared" / "dsb" / "socfb-Reed98"
PASSWORD = "correct horse battery staple"  # noqa: S105 -- a benchmark user's
PAGE = 20
FOLLOW_BLOCK = 1000
GENERATED_USERS = 1000
GENERATED_FOLLOWS_EACH = 20  # friendships made by each new user: ~40 follows each, both ways
MIX = (("home", 0.6), ("profile", 0.3), ("post", 0.1))
COAUTHORED_SHARE = 0.1
# Targets of issue 24 for the mix (today's throughput on the same machine, before the work).
MIX_BEFORE_RPS = 54.0
MIX_P99_TARGET_MS = 200.0
HOME_TARGET_RATIO = 10.0
FOLLOW_TARGET_SECONDS = 600.0
LIMITS_OFF = {
    **UNLIMITED,
    # The tokens of the sign-ups serve the whole run, however long building the graph takes.
    "ACCESS_TOKEN_TTL_SECONDS": "86400",
    "MAX_TOKEN_LIFETIME_SECONDS": "86400",
    "LOGIN_RATE_LIMIT_PER_MINUTE": "1e9",
    "LOGIN_RATE_LIMIT_BURST": "1000000000",
}


@dataclass(frozen=True)
class Graph:
    name: str
    users: int
    friendships: list[tuple[int, int]]

    @property
    def follows(self) -> list[tuple[int, int]]:
        """Each friendship followed both ways, as DeathStarBench's loader does."""
        return [pair for u, v in self.friendships for pair in ((u, v), (v, u))]


def load_graph(directory: Path) -> Graph:
    name = directory.name
    users = int((directory / f"{name}.nodes").read_text().split()[0])
    friendships = [
        (int(u), int(v))
        for line in (directory / f"{name}.edges").read_text().splitlines()
        if len(parts := line.split()) == 2
        for u, v in [parts]
    ]
    return Graph(f"{name} (DeathStarBench)", users, friendships)


def generated_graph(seed: int = 24) -> Graph:
    """Preferential attachment: heavy-tailed degrees, ~40 follows a user, like socfb-Reed98."""
    rng = random.Random(seed)  # noqa: S311 -- a reproducible graph, not a secret
    ends: list[int] = []
    friendships: set[tuple[int, int]] = set()
    for user in range(GENERATED_USERS):
        targets: set[int] = set()
        while ends and len(targets) < min(GENERATED_FOLLOWS_EACH, user):
            targets.add(rng.choice(ends))
        for target in targets:
            friendships.add((user, target))
            ends += [user, target]
        if not targets:
            ends.append(user)
    return Graph("generated (preferential attachment)", GENERATED_USERS, sorted(friendships))


def handle(user: int, run_id: str) -> str:
    return f"u{user}x{run_id}"


# -- building the graph --------------------------------------------------------------------


def sign_up(base_url: str, names: Sequence[str], workers: int) -> tuple[dict[str, str], float]:
    started = time.perf_counter()

    def one(name: str) -> tuple[str, str]:
        with httpx.Client(base_url=base_url, timeout=60) as client:
            body = {"handle": name, "password": PASSWORD, "display_name": name}
            created = _retried(lambda: client.post("/v1/users", json=body), ok=(201, 409))
            created.raise_for_status()
            credentials = {"handle": name, "password": PASSWORD}
            answer = _retried(lambda: client.post("/v1/auth/token", json=credentials))
            return name, answer.raise_for_status().json()["access_token"]

    with ThreadPoolExecutor(workers) as pool:
        tokens = dict(pool.map(one, names))
    return tokens, time.perf_counter() - started


SERVER_ERRORS: list[str] = []


def _retried(
    send: Callable[[], httpx.Response], ok: tuple[int, ...] = (200, 201), attempts: int = 4
) -> httpx.Response:
    """A sign-up or sign-in answered 5xx (argon2 slots all taken, a loaded machine) is sent
    again after a pause; each such answer is counted in the results."""
    for attempt in range(attempts):
        answer = send()
        if answer.status_code in ok or answer.status_code < 500 or attempt == attempts - 1:
            return answer
        SERVER_ERRORS.append(f"{answer.status_code} {answer.request.url.path}")
        time.sleep(1 + attempt)
    return answer


async def follow_all(
    base_url: str,
    follows: Sequence[tuple[str, str]],
    tokens: dict[str, str],
    workers: int,
    budget_seconds: float,
) -> tuple[list[float], int]:
    """Every follow through the gateway, in order, until the time budget is spent; the moment
    each completed, and the failures."""
    done: list[float] = []
    failures = 0
    pending = iter(follows)
    deadline = time.perf_counter() + budget_seconds

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal failures
        for follower, followee in pending:
            if time.perf_counter() > deadline:
                return
            headers = {"Authorization": f"Bearer {tokens[follower]}"}
            answer = await client.put(f"/v1/users/{followee}/follow", headers=headers)
            if answer.status_code >= 300:
                failures += 1
            done.append(time.perf_counter())
            if len(done) % FOLLOW_BLOCK == 0:
                print(f"{len(done)} follows at {done[-1]:.0f}", flush=True)

    limits = httpx.Limits(max_connections=workers)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as client:
        await asyncio.gather(*(worker(client) for _ in range(workers)))
    return done, failures


def top_counters(mongo_urls: Iterable[str]) -> dict[str, tuple[int, int]]:
    """The embedded servers' per-collection counters (`top`): commands and microseconds, over
    every server (a collection is on one of them)."""
    found: Counter[tuple[str, str]] = Counter()
    for mongo_url in set(mongo_urls):
        with MongoClient(mongo_url) as client:
            totals = client.admin.command("top")["totals"]
        for namespace, counters in totals.items():
            if isinstance(counters, dict):
                found[namespace, "count"] += counters["total"]["count"]
                found[namespace, "time"] += counters["total"]["time"]
    return {
        namespace: (found[namespace, "count"], found[namespace, "time"]) for namespace, _ in found
    }


def per_follow(
    before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]], follows: int
) -> dict[str, tuple[float, float]]:
    """Per collection: database commands and milliseconds in the server per follow."""
    result = {}
    for namespace, (count, micros) in after.items():
        count_before, micros_before = before.get(namespace, (0, 0))
        if count > count_before:
            spent_ms = (micros - micros_before) / 1000
            result[namespace] = ((count - count_before) / follows, spent_ms / follows)
    return result


def wait_for_follower_notifications(mongo_url: str, expected: int, timeout: float) -> None:
    """Until the notifications service has told every followee of its new follower."""
    started = time.perf_counter()
    with MongoClient(mongo_url) as client:
        notifications = client["copost_notifications"]["notifications"]
        while notifications.count_documents({"type": "follower.new"}) < expected:
            if time.perf_counter() - started > timeout:
                raise RuntimeError("the notifications service did not handle every follow")
            time.sleep(2)


def wait_for_timeline_follows(mongo_url: str, expected: int, timeout: float) -> float:
    """Until the timeline service has recorded every follow; returns the time it took."""
    started = time.perf_counter()
    with MongoClient(mongo_url) as client:
        follows = client["copost_timeline"]["follows"]
        while follows.count_documents({"active": True}) < expected:
            if time.perf_counter() - started > timeout:
                raise RuntimeError("the timeline service did not record every follow in time")
            time.sleep(2)
    return time.perf_counter() - started


# -- the mixed workload --------------------------------------------------------------------


@dataclass
class Mixed:
    seconds: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=dict)
    # Per request type: how many answers had each status of 300 or more.
    errors: dict[str, Counter[int]] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)

    @property
    def requests(self) -> int:
        return sum(len(values) for values in self.latencies.values())


async def mixed_workload(
    base_url: str,
    handles: list[str],
    followers: dict[str, list[str]],
    tokens: dict[str, str],
    clients: int,
    seconds: float,
) -> Mixed:
    """`followers`: who follows each user. A co-author is one of the author's followers: by
    default an account may be invited only by accounts it follows (a stranger is a 403)."""
    rng = random.Random(6)  # noqa: S311 -- a reproducible mix, not a secret
    result = Mixed(
        latencies={kind: [] for kind, _ in MIX}, errors={kind: Counter() for kind, _ in MIX}
    )
    kinds, weights = [k for k, _ in MIX], [w for _, w in MIX]
    deadline = time.perf_counter() + seconds

    async def client_loop(client: httpx.AsyncClient) -> None:
        while time.perf_counter() < deadline:
            kind = rng.choices(kinds, weights)[0]
            user = rng.choice(handles)
            headers = {"Authorization": f"Bearer {tokens[user]}"}
            started = time.perf_counter()
            if kind == "home":
                answer = await client.get(f"/v1/timeline?limit={PAGE}", headers=headers)
            elif kind == "profile":
                other = rng.choice(handles)
                answer = await client.get(f"/v1/users/{other}/posts?limit={PAGE}", headers=headers)
            else:
                body: dict[str, object] = {"text": f"post {uuid.uuid4().hex} " + "text " * 20}
                if rng.random() < COAUTHORED_SHARE and followers.get(user):
                    body["coauthors"] = [rng.choice(followers[user])]
                answer = await client.post("/v1/posts", json=body, headers=headers)
            result.latencies[kind].append((time.perf_counter() - started) * 1000)
            if answer.status_code >= 300:
                result.errors[kind][answer.status_code] += 1

    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for _ in range(clients)))
        result.seconds = time.perf_counter() - started
    return result


# -- the run ---------------------------------------------------------------------------------


@dataclass
class Report:
    graph: Graph
    sign_up_seconds: float
    follow_times: list[float]
    follow_started: float
    follow_failures: int
    timeline_drain_seconds: float
    follow_cpu_ms: dict[str, float]
    follow_db: dict[str, tuple[float, float]]
    floor_ms: float
    home_ms: dict[str, float]
    home_rate: float
    mixed: Mixed
    clients: int
    follow_workers: int


def run(
    graph: Graph, clients: int, seconds: int, follow_workers: int, follow_budget: float
) -> Report:
    run_id = uuid.uuid4().hex[:6]
    data_dir = Path(tempfile.mkdtemp(prefix="copost-social-bench-"))
    namespace = f"bench-{run_id}."
    stack = LocalStack(
        data_dir,
        base_port=find_free_base_port(),
        amqp_namespace=namespace,
        amqp_url=os.environ.get("AMQP_URL", DEFAULT_AMQP_URL),
        broker_user_prefix=f"copost-bench-{run_id}-",
        extra_env=LIMITS_OFF,
    )
    floor: subprocess.Popen[bytes] | None = None
    try:
        stack.start()
        pids = stack.process_pids()
        names = [handle(user, run_id) for user in range(graph.users)]
        print(f"signing up {len(names)} users ...", flush=True)
        tokens, sign_up_seconds = sign_up(stack.gateway_url, names, workers=4)
        follows = [(names[u], names[v]) for u, v in graph.follows]
        print(f"making {len(follows)} follows ...", flush=True)
        top_before = top_counters(stack.database_urls.values())
        cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        follow_started = time.perf_counter()
        follow_times, failures = asyncio.run(
            follow_all(stack.gateway_url, follows, tokens, follow_workers, follow_budget)
        )
        print(f"follows done in {time.perf_counter() - follow_started:.0f} s", flush=True)
        made = len(follow_times) - failures
        drain = wait_for_timeline_follows(stack.database_url("timeline"), made, 900)
        wait_for_follower_notifications(stack.database_url("notifications"), made, 900)
        follow_cpu = {
            name: (cpu_seconds(pid) - cpu_before[name]) * 1000 / max(made, 1)
            for name, pid in pids.items()
        }
        follow_db = per_follow(top_before, top_counters(stack.database_urls.values()), max(made, 1))

        # Every user posts once, so every home timeline has something to show.
        asyncio.run(seed_posts(stack.gateway_url, names, tokens))
        reader = Counter(follower for follower, _ in follows).most_common(1)[0][0]
        headers = {"Authorization": f"Bearer {tokens[reader]}"}
        page = httpx.get(f"{stack.gateway_url}/v1/timeline?limit={PAGE}", headers=headers)
        body_file = data_dir / "page.json"
        body_file.write_bytes(page.raise_for_status().content)
        floor_port = stack.base_port + 8
        assert port_is_free(floor_port)
        floor = subprocess.Popen(  # noqa: S603 -- the venv's uvicorn with fixed arguments
            [
                *(sys.executable, "-m", "uvicorn", "floor_app:app", "--app-dir", "bench"),
                *("--no-access-log", "--log-level", "warning", "--port", str(floor_port)),
            ],
            cwd=REPO_ROOT,
            env={**os.environ, "FLOOR_BODY_FILE": str(body_file)},
        )
        floor_url = f"http://127.0.0.1:{floor_port}/page"
        wait_answering(floor_url)
        floor_ms, _ = cpu_per_request(floor_url, {"floor": floor.pid}, {})
        home_ms, home_rate = cpu_per_request(
            f"{stack.gateway_url}/v1/timeline?limit={PAGE}",
            {
                "gateway": pids["gateway"],
                "timeline": pids["timeline"],
                "mongo": pids[stack.database_process("timeline")],
            },
            headers,
        )

        print(f"mixed workload: {clients} clients for {seconds} s ...", flush=True)
        before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        followers: dict[str, list[str]] = {}
        for follower, followee in follows:
            followers.setdefault(followee, []).append(follower)
        mixed = asyncio.run(
            mixed_workload(stack.gateway_url, names, followers, tokens, clients, seconds)
        )
        mixed.cpu = {name: cpu_seconds(pid) - before[name] for name, pid in pids.items()}
        return Report(
            graph,
            sign_up_seconds,
            follow_times,
            follow_started,
            failures,
            drain,
            follow_cpu,
            follow_db,
            floor_ms["floor"],
            home_ms,
            home_rate,
            mixed,
            clients,
            follow_workers,
        )
    finally:
        if floor is not None:
            floor.terminate()
            floor.wait(10)
        stack.stop()
        delete_redis_keys(os.environ.get("REDIS_URL", DEFAULT_REDIS_URL), namespace)
        logs = data_dir / "logs"
        if logs.is_dir():  # the processes' logs outlive the run, for a look at any 5xx
            shutil.copytree(logs, Path(tempfile.gettempdir()) / f"{data_dir.name}-logs")
        shutil.rmtree(data_dir, ignore_errors=True)


async def seed_posts(base_url: str, names: Sequence[str], tokens: dict[str, str]) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        for start in range(0, len(names), 16):
            await asyncio.gather(
                *(
                    client.post(
                        "/v1/posts",
                        json={"text": f"hello from {name}"},
                        headers={"Authorization": f"Bearer {tokens[name]}"},
                    )
                    for name in names[start : start + 16]
                )
            )


def wait_answering(url: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer")
        time.sleep(0.1)


def cpu_per_request(
    url: str, pids: dict[str, int], headers: dict[str, str], seconds: int = 8
) -> tuple[dict[str, float], float]:
    wrk(url, 1, headers)
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    requests, duration, _ = wrk(url, seconds, headers)
    cpu = {name: (cpu_seconds(pid) - before[name]) * 1000 / requests for name, pid in pids.items()}
    return cpu, requests / duration


# -- the results -------------------------------------------------------------------------------


def errors_text(statuses: Counter[int]) -> str:
    """`19 (409: 12, 503: 7)`: how many failed, and with which statuses."""
    if not statuses:
        return "0"
    each = ", ".join(f"{status}: {count}" for status, count in sorted(statuses.items()))
    return f"{statuses.total()} ({each})"


def report(r: Report, other_work: str) -> str:
    follow_seconds = (r.follow_times[-1] - r.follow_started) if r.follow_times else 0.0
    blocks = []
    previous = r.follow_started
    for end in range(FOLLOW_BLOCK, len(r.follow_times) + FOLLOW_BLOCK, FOLLOW_BLOCK):
        block = r.follow_times[end - FOLLOW_BLOCK : end]
        if block:
            blocks.append(len(block) / (block[-1] - previous))
            previous = block[-1]
    m = r.mixed
    home_total = r.home_ms["gateway"] + r.home_ms["timeline"]
    lines = [
        "# Social workload: a real graph built through the gateway, then a mixed workload",
        "",
        f"Produced by `bench/social_bench.py` on {machine()}. The whole local stack "
        f"(`make run`'s default: embedded MongoDB `{embedded_engine()}`, Redis) on free ports. "
        + other_work,
        "",
        f"Graph: {r.graph.name}, {r.graph.users} users, {len(r.graph.friendships)} friendships, "
        f"{len(r.graph.follows)} follows (both ways).",
        "",
        "## Building the graph",
        "",
        f"- {r.graph.users} sign-ups (each with a sign-in): {r.sign_up_seconds:.0f} s "
        f"({len(SERVER_ERRORS)} answered 5xx and were sent again: "
        f"{', '.join(sorted(set(SERVER_ERRORS))) or 'none'}).",
        (
            f"- **Stopped at the time budget**: {len(r.follow_times)} of "
            f"{len(r.graph.follows)} follows made."
            if len(r.follow_times) < len(r.graph.follows)
            else "- Every follow made."
        ),
        f"- {len(r.follow_times)} follows with {r.follow_workers} concurrent clients: "
        f"**{follow_seconds:.0f} s** ({len(r.follow_times) / max(follow_seconds, 1e-9):.0f}/s; "
        f"target ≤ {FOLLOW_TARGET_SECONDS:.0f} s: "
        f"{'met' if follow_seconds <= FOLLOW_TARGET_SECONDS else '**not met**'}), "
        f"{r.follow_failures} failed; the timeline service had handled every one "
        f"{r.timeline_drain_seconds:.0f} s after the last answer.",
        f"- Rate per block of {FOLLOW_BLOCK} follows, in order (it must not fall as the "
        f"graph grows): {', '.join(f'{rate:.0f}' for rate in blocks)} follows/s.",
        "",
        "What one follow cost, from the moment the first was sent until the timeline and the "
        "notifications services had handled the last: each process's CPU, and the database "
        "commands each collection received (the embedded servers' own `top` counters, one "
        "server per service's database, `mongo-<service>` below; its time is the wall time the "
        "server spent on them):",
        "",
        "| process | CPU ms per follow |",
        "|---|---|",
        *(
            f"| {name} | {used:.2f} |"
            for name, used in sorted(r.follow_cpu_ms.items(), key=lambda item: -item[1])
        ),
        "",
        "| collection | commands per follow | server ms per follow |",
        "|---|---|---|",
        *(
            f"| {namespace} | {count:.2f} | {ms:.2f} |"
            for namespace, (count, ms) in sorted(r.follow_db.items(), key=lambda item: -item[1][1])
            if count >= 0.01
        ),
        f"| all | {sum(c for c, _ in r.follow_db.values()):.2f} "
        f"| {sum(ms for _, ms in r.follow_db.values()):.2f} |",
        "",
        "## A home page beside its floor",
        "",
        f"`wrk -t1 -c8 -d8s` on one 20-post home page (the user following the most), "
        f"{r.home_rate:.0f} req/s. CPU per request: gateway {r.home_ms['gateway']:.3f} ms, "
        f"timeline {r.home_ms['timeline']:.3f} ms, "
        f"its database's server {r.home_ms['mongo']:.3f} ms; "
        f"floor (bare FastAPI app, same bytes) {r.floor_ms:.3f} ms. Gateway + timeline = "
        f"**{home_total / r.floor_ms:.1f}x the floor** (target ≤ {HOME_TARGET_RATIO:.0f}x: "
        f"{'met' if home_total / r.floor_ms <= HOME_TARGET_RATIO else '**not met**'}).",
        "",
        "## The mixed workload",
        "",
        f"DeathStarBench's socialNetwork mix, {r.clients} closed-loop clients for "
        f"{m.seconds:.0f} s over the whole graph: **{m.requests / m.seconds:.0f} requests/s** "
        f"(issue 24 measured {MIX_BEFORE_RPS:.0f}/s before on a 300-user part of the graph; "
        f"target ≥ {5 * MIX_BEFORE_RPS:.0f}/s with p99 ≤ {MIX_P99_TARGET_MS:.0f} ms).",
        "",
        "| request | share | count | p50 ms | p90 ms | p99 ms | errors |",
        "|---|---|---|---|---|---|---|",
    ]
    every: list[float] = []
    for kind, share in MIX:
        values = m.latencies[kind]
        every += values
        if values:
            lines.append(
                f"| {kind} | {share:.0%} | {len(values)} | {percentile(values, 0.5):.0f} "
                f"| {percentile(values, 0.9):.0f} | {percentile(values, 0.99):.0f} "
                f"| {errors_text(m.errors[kind])} |"
            )
    if every:
        lines.append(
            f"| all | | {len(every)} | {percentile(every, 0.5):.0f} | "
            f"{percentile(every, 0.9):.0f} | {percentile(every, 0.99):.0f} "
            f"| {errors_text(sum(m.errors.values(), Counter[int]()))} |"
        )
    lines += [
        "",
        f"CPU of each process over the {m.seconds:.0f} s (seconds; 2 cores = "
        f"{2 * m.seconds:.0f} s available, shared with the other work on the machine):",
        "",
        "| process | CPU s | share of one core |",
        "|---|---|---|",
    ]
    for name, used in sorted(m.cpu.items(), key=lambda item: -item[1]):
        lines.append(f"| {name} | {used:.1f} | {used / m.seconds:.0%} |")
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--graph",
        type=Path,
        default=Path(os.environ.get("SOCIAL_GRAPH_DIR", DEFAULT_GRAPH)),
        help="a DeathStarBench graph folder (<name>.nodes, <name>.edges)",
    )
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--follow-workers", type=int, default=8)
    parser.add_argument("--users", type=int, default=0, help="only the first N users (a try)")
    parser.add_argument(
        "--follow-budget", type=float, default=3600, help="seconds of following at most"
    )
    args = parser.parse_args()
    graph = load_graph(args.graph) if args.graph.is_dir() else generated_graph()
    if args.users:
        kept = [(u, v) for u, v in graph.friendships if u < args.users and v < args.users]
        graph = Graph(f"{graph.name}, first {args.users} users", args.users, kept)
    machine_before, bench_before, started = machine_cpu_seconds(), bench_cpu_seconds(), time.time()
    measured = run(graph, args.clients, args.seconds, args.follow_workers, args.follow_budget)
    text = report(measured, other_work(machine_before, bench_before, time.time() - started))
    path = write_results("social.md", text)
    print(text)
    print(f"written to {path}")


if __name__ == "__main__":
    main()
