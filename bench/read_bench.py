"""Read benchmark: CPU per request of the gateway and each service, next to the bare floor.

Starts the whole local stack (`deploy/local/stack.py`, the embedded MongoDB by default) on
free ports, seeds two users, a followed author with a full page of posts, an invitation and
a notification, then loads each public read route through the gateway with `wrk`. Each
process's CPU is read from its own counters (/proc/<pid>/stat, user + system) before and
after each run, and divided by the requests served. In the same run, a bare FastAPI app
(`bench/floor_app.py`, same uvicorn) returns the home page's exact bytes: the floor.
Writes bench/results/reads.md.

    .venv/bin/python bench/read_bench.py [--seconds 8] [--only home]
"""

import argparse
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
from benchlib import (
    CONNECTIONS,
    cpu_seconds,
    embedded_engine,
    machine,
    start_floor,
    write_results,
    wrk,
)
from stack import DEFAULT_AMQP_URL, LocalStack, find_free_base_port, port_is_free

PAGE = 20
UNLIMITED = {
    "USER_RATE_LIMIT_PER_MINUTE": "1e12",
    "USER_RATE_LIMIT_BURST": "1000000000",
    "IP_RATE_LIMIT_PER_MINUTE": "1e12",
    "IP_RATE_LIMIT_BURST": "1000000000",
}
# CPU per request the issue asks for (ms): the gateway per proxied read, the timeline
# service per 20-post page, every other service per read.
GATEWAY_TARGET_MS = 1.0
SERVICE_TARGET_MS = 2.0


@dataclass(frozen=True)
class Route:
    name: str
    path: str
    service: str


@dataclass
class Measured:
    route: Route
    requests: int
    seconds: float
    errors: int
    cpu_ms: dict[str, float]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def measure(
    route: Route, url: str, pids: dict[str, int], seconds: int, headers: dict[str, str]
) -> Measured:
    wrk(url, 1, headers)  # warm-up: connections, caches
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    requests, duration, errors = wrk(url, seconds, headers)
    cpu = {name: (cpu_seconds(pid) - before[name]) * 1000 / requests for name, pid in pids.items()}
    print(f"{route.name}: {requests / duration:.0f} req/s, {cpu}", flush=True)
    return Measured(route, requests, duration, errors, cpu)


def seed(client: httpx.Client, run: str) -> tuple[str, str]:
    """Two users: the reader follows the author, who posts a page and invites the reader."""
    reader, author = f"r{run}", f"a{run}"
    tokens = {}
    for handle in (reader, author):
        client.post(
            "/v1/users",
            json={"handle": handle, "password": "correct horse", "display_name": handle},
        ).raise_for_status()
        answer = client.post("/v1/auth/token", json={"handle": handle, "password": "correct horse"})
        tokens[handle] = answer.raise_for_status().json()["access_token"]
    as_reader = {"Authorization": f"Bearer {tokens[reader]}"}
    as_author = {"Authorization": f"Bearer {tokens[author]}"}
    client.put(f"/v1/users/{author}/follow", headers=as_reader).raise_for_status()
    client.put(f"/v1/users/{reader}/follow", headers=as_author).raise_for_status()
    post_id = ""
    for n in range(PAGE):
        text = f"post {n}: " + "a fair amount of text to make the page a realistic size " * 6
        post = client.post("/v1/posts", json={"text": text[:480]}, headers=as_author)
        post_id = post.raise_for_status().json()["id"]
    client.post(
        "/v1/posts", json={"text": "with you", "coauthors": [reader]}, headers=as_author
    ).raise_for_status()
    deadline = time.monotonic() + 60
    while True:
        page = client.get(f"/v1/timeline?limit={PAGE}", headers=as_reader).json()
        invitations = client.get("/v1/invitations", headers=as_reader).json()
        if len(page["items"]) == PAGE and invitations["items"]:
            return tokens[reader], post_id
        if time.monotonic() > deadline:
            raise RuntimeError("the seeded posts did not reach the home timeline in 60 s")
        time.sleep(0.2)


def run(seconds: int, only: str | None = None) -> str:
    run_id = uuid.uuid4().hex[:8]
    data_dir = Path(tempfile.mkdtemp(prefix="copost-read-bench-"))
    stack = LocalStack(
        data_dir,
        base_port=find_free_base_port(),
        amqp_namespace=f"bench-{run_id}.",
        amqp_url=os.environ.get("AMQP_URL", DEFAULT_AMQP_URL),
        # Broker users of its own: a `make run` on the same broker keeps its copost-* users.
        broker_user_prefix=f"copost-bench-{run_id}-",
        extra_env=UNLIMITED,
    )
    floor: subprocess.Popen[bytes] | None = None
    try:
        stack.start()
        pids = stack.process_pids()
        with httpx.Client(base_url=stack.gateway_url, timeout=30) as client:
            token, post_id = seed(client, run_id)
            page = client.get(
                f"/v1/timeline?limit={PAGE}", headers={"Authorization": f"Bearer {token}"}
            ).content
        body_file = data_dir / "page.json"
        body_file.write_bytes(page)
        floor_port = stack.base_port + 8
        assert port_is_free(floor_port)
        floor = start_floor(floor_port, body_file)
        floor_url = f"http://127.0.0.1:{floor_port}/page"
        headers = {"Authorization": f"Bearer {token}"}
        author = f"a{run_id}"
        routes = [
            Route("home timeline, 20 posts", f"/v1/timeline?limit={PAGE}", "timeline"),
            Route("profile posts, 20 posts", f"/v1/users/{author}/posts?limit={PAGE}", "timeline"),
            Route("own profile", "/v1/me", "users"),
            Route("a user's profile", f"/v1/users/{author}", "users"),
            Route("one post", f"/v1/posts/{post_id}", "posts"),
            Route("invitations received", "/v1/invitations", "invitations"),
            Route("notifications", "/v1/notifications", "notifications"),
        ]
        if only:
            routes = [route for route in routes if only in route.name]
        floor_result = measure(
            Route("floor: bare FastAPI, same bytes", "/page", "floor"),
            floor_url,
            {"floor": floor.pid},
            seconds,
            {},
        )
        results = [
            measure(
                route,
                stack.gateway_url + route.path,
                {
                    "gateway": pids["gateway"],
                    route.service: pids[route.service],
                    "mongo": pids[stack.database_process(route.service)],
                },
                seconds,
                headers,
            )
            for route in routes
        ]
        return report(floor_result, results, len(page), seconds)
    finally:
        if floor is not None:
            floor.terminate()
            floor.wait(10)
        stack.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def _verdict(value: float, target: float) -> str:
    return "met" if value <= target else "**not met**"


def report(floor: Measured, results: list[Measured], page_bytes: int, seconds: int) -> str:
    floor_ms = floor.cpu_ms["floor"]
    lines = [
        "# Read path: CPU per request",
        "",
        f"Produced by `bench/read_bench.py` on {machine()}. The whole local stack "
        f"(`deploy/local/stack.py`, embedded MongoDB `{embedded_engine()}`) "
        f"on free ports; `wrk -t1 -c{CONNECTIONS} -d{seconds}s` per route through the gateway, "
        "after a one-second warm-up. CPU is each process's own user + system time "
        "(/proc/<pid>/stat) over the run, divided by the requests served. The floor is a bare "
        f"FastAPI app (`bench/floor_app.py`, same uvicorn) returning the home page's {page_bytes} "
        "bytes, measured in the same run.",
        "",
        f"Floor: **{floor_ms:.3f} ms** per request ({floor.rate:.0f} req/s).",
        "",
        "| route (through the gateway) | req/s | gateway ms/req | service | service ms/req "
        "| DB server ms/req | gateway ÷ floor | service ÷ floor | targets (gateway ≤ 1.0, "
        "service ≤ 2.0) | errors |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        gateway, service = result.cpu_ms["gateway"], result.cpu_ms[result.route.service]
        verdicts = (
            f"{_verdict(gateway, GATEWAY_TARGET_MS)} / {_verdict(service, SERVICE_TARGET_MS)}"
        )
        lines.append(
            f"| {result.route.name} | {result.rate:.0f} | {gateway:.3f} | {result.route.service} "
            f"| {service:.3f} | {result.cpu_ms['mongo']:.3f} | {gateway / floor_ms:.1f}x "
            f"| {service / floor_ms:.1f}x | {verdicts} | {result.errors} |"
        )
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=8, help="wrk duration per route")
    parser.add_argument(
        "--only", help="measure only the routes whose name contains this, e.g. 'home'"
    )
    args = parser.parse_args()
    text = run(args.seconds, args.only)
    path = write_results("reads.md", text)
    print(text)
    print(f"written to {path}")


if __name__ == "__main__":
    main()
