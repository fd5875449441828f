"""Media benchmark: processing a 12-megapixel JPEG upload beside its floor, the processing
process's peak memory, and ten concurrent uploads against the processing slots.

- Processing: `media.core.images.process_image` (decode under the pixel limit, orientation,
  stripping, three variants, blurhash) against the floor of Pillow decoding the same JPEG and
  encoding it once at full size. Each in a fresh child process, whose peak resident memory
  (`ru_maxrss`) is the figure for memory.
- Ten concurrent uploads: the media service's app in a fresh child process (embedded MongoDB,
  the local RabbitMQ), ten uploads of that JPEG at once: how many were processed and how many
  refused at once with 503 and Retry-After (`PROCESSING_SLOTS`), the wall time of each kind,
  and the child's peak resident memory (the service, its client and the JPEG's bytes).
- Serving: the local stack (users, posts, media, the gateway; `deploy/local/stack.py`), a
  picture posted (so public and cached for good), its `small` variant loaded through the
  gateway with `wrk`; in the same run a bare FastAPI app (`bench/floor_app.py`, same uvicorn)
  serving the same bytes. CPU per request of each process from /proc, and the ratio of the
  gateway and media service together to the floor.

Writes bench/results/media.md.

    .venv/bin/python bench/media_bench.py [--quick]
"""

import argparse
import asyncio
import io
import multiprocessing
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
from benchlib import cpu_seconds, machine, start_floor, write_results, wrk
from PIL import Image
from pydantic import SecretStr
from read_bench import UNLIMITED
from stack import DEFAULT_AMQP_URL, LocalStack, find_free_base_port, port_is_free

from media.app import create_app
from media.core.images import ImageLimits, process_image
from media.settings import MediaSettings
from shared.embedded_mongo import embedded_mongo
from shared.testing import identity_headers, identity_settings, running_service

TWELVE_MEGAPIXELS = (4000, 3000)
LIMITS = ImageLimits(
    max_pixels=50_000_000,
    max_frames=300,
    sides={"small": 400, "large": 1600, "original": 4096},
)


def photo(size: tuple[int, int]) -> bytes:
    """A picture with detail (a gradient and noise), so JPEG works as on a photo."""
    gradient = Image.linear_gradient("L").resize(size)
    noise = Image.effect_noise(size, 40)
    image = Image.merge(
        "RGB", (gradient, noise, gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT))
    )
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def _process(data: bytes, floor: bool, answer: "multiprocessing.Queue[tuple[float, int]]") -> None:
    started = time.perf_counter()
    if floor:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            image.save(io.BytesIO(), "JPEG", quality=85)
    else:
        process_image(data, "image/jpeg", LIMITS)
    answer.put((time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


def in_child(data: bytes, *, floor: bool) -> tuple[float, int]:
    """Seconds and peak resident KiB of one run in a fresh process."""
    answers: multiprocessing.Queue[tuple[float, int]] = multiprocessing.Queue()
    child = multiprocessing.get_context("fork").Process(
        target=_process, args=(data, floor, answers)
    )
    child.start()
    result = answers.get(timeout=300)
    child.join()
    return result


def upload_form(data: bytes) -> tuple[bytes, dict[str, str]]:
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="p.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    body = head + data + f"\r\n--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def _uploads_in_child(
    data: bytes, count: int, answer: "multiprocessing.Queue[tuple[list[tuple[int, float]], int]]"
) -> None:
    answers = asyncio.run(concurrent_uploads(data, count))
    answer.put((answers, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


def uploads_in_child(data: bytes, count: int) -> tuple[list[tuple[int, float]], int]:
    """Each upload's status and seconds, and the peak resident KiB of the process serving them."""
    # Spawned, not forked: the child's peak memory is then the service's alone.
    spawn = multiprocessing.get_context("spawn")
    answers: multiprocessing.Queue[tuple[list[tuple[int, float]], int]] = spawn.Queue()
    child = spawn.Process(target=_uploads_in_child, args=(data, count, answers))
    child.start()
    result = answers.get(timeout=600)
    child.join()
    return result


async def concurrent_uploads(data: bytes, count: int) -> list[tuple[int, float]]:
    server = embedded_mongo()
    mongo_url = server.start()
    try:
        namespace = f"bench-{uuid.uuid4().hex[:8]}."
        settings = MediaSettings(
            mongo_url=SecretStr(mongo_url),
            mongo_database=f"{namespace.rstrip('.')}-media",
            amqp_url=SecretStr("amqp://guest:guest@127.0.0.1:5672/"),
            amqp_namespace=namespace,
            uploads_per_hour=1000,
            # The gateway's test key signs the uploads (shared.testing.identity_headers).
            **identity_settings("media"),
        )
        async with running_service(create_app(settings)) as client:
            body, headers = upload_form(data)

            async def one(index: int) -> tuple[int, float]:
                started = time.perf_counter()
                answer = await client.post(
                    "/v1/media",
                    content=body,
                    headers=headers | identity_headers(f"bench-user-{index}", "media"),
                    timeout=httpx.Timeout(300),
                )
                # A 503 without Retry-After would not be the slots' answer: counted apart.
                status = answer.status_code
                if status == 503 and "retry-after" not in answer.headers:
                    status = 0
                return status, time.perf_counter() - started

            return await asyncio.gather(*(one(index) for index in range(count)))
    finally:
        server.stop()


@dataclass(frozen=True)
class Served:
    name: str
    requests: int
    seconds: float
    errors: int
    cpu_ms: dict[str, float]


def serve(name: str, url: str, pids: dict[str, int], seconds: int) -> Served:
    wrk(url, 1, {})  # warm-up: connections, caches
    before = {process: cpu_seconds(pid) for process, pid in pids.items()}
    requests, duration, errors = wrk(url, seconds, {})
    cpu = {p: (cpu_seconds(pid) - before[p]) * 1000 / requests for p, pid in pids.items()}
    print(f"{name}: {requests / duration:.0f} req/s, {cpu}", flush=True)
    return Served(name, requests, duration, errors, cpu)


def posted_small_variant(client: httpx.Client, data: bytes, run_id: str) -> str:
    """A picture on a post (public, cached for good): its small variant's gateway path."""
    handle = f"m{run_id}"
    client.post(
        "/v1/users", json={"handle": handle, "password": "correct horse", "display_name": handle}
    ).raise_for_status()
    token = client.post(
        "/v1/auth/token", json={"handle": handle, "password": "correct horse"}
    ).raise_for_status()
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    medium = client.post(
        "/v1/media", files={"file": ("p.jpg", data, "image/jpeg")}, headers=headers
    ).raise_for_status()
    post = client.post(
        "/v1/posts", json={"text": "", "media_ids": [medium.json()["id"]]}, headers=headers
    ).raise_for_status()
    return str(post.json()["media"][0]["variants"]["small"])


def serving(data: bytes, seconds: int) -> tuple[Served, Served, int]:
    """The small variant through the gateway, then the same bytes from the floor app."""
    run_id = uuid.uuid4().hex[:8]
    data_dir = Path(tempfile.mkdtemp(prefix="copost-media-bench-"))
    stack = LocalStack(
        data_dir,
        base_port=find_free_base_port(),
        amqp_namespace=f"bench-{run_id}.",
        amqp_url=os.environ.get("AMQP_URL", DEFAULT_AMQP_URL),
        broker_user_prefix=f"copost-bench-{run_id}-",
        extra_env=UNLIMITED,
        services=["users", "posts", "media", "gateway"],
    )
    floor: subprocess.Popen[bytes] | None = None
    try:
        stack.start()
        pids = stack.process_pids()
        with httpx.Client(base_url=stack.gateway_url, timeout=120) as client:
            path = posted_small_variant(client, data, run_id)
            small = client.get(path)
            small.raise_for_status()
        body_file = data_dir / "small.jpg"
        body_file.write_bytes(small.content)
        floor_port = stack.base_port + 8
        assert port_is_free(floor_port)
        floor = start_floor(floor_port, body_file, "image/jpeg")
        floor_served = serve(
            "floor: bare FastAPI, same bytes",
            f"http://127.0.0.1:{floor_port}/page",
            {"floor": floor.pid},
            seconds,
        )
        gateway_served = serve(
            "small variant through the gateway",
            stack.gateway_url + path,
            {
                "gateway": pids["gateway"],
                "media": pids["media"],
                "mongo": pids[stack.database_process("media")],
            },
            seconds,
        )
        return gateway_served, floor_served, len(small.content)
    finally:
        if floor is not None:
            floor.terminate()
            floor.wait(10)
        stack.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a 2-megapixel picture, 3 uploads")
    args = parser.parse_args()
    size, uploads, runs = ((1600, 1200), 3, 1) if args.quick else (TWELVE_MEGAPIXELS, 10, 3)
    seconds = 3 if args.quick else 8
    load_before = load_average()
    data = photo(size)
    processing = [in_child(data, floor=False) for _ in range(runs)]
    floors = [in_child(data, floor=True) for _ in range(runs)]
    answers, uploads_peak_kib = uploads_in_child(data, uploads)
    gateway_served, floor_served, small_bytes = serving(data, seconds)
    load_after = load_average()
    done = [seconds for status, seconds in answers if status == 201]
    refused = [seconds for status, seconds in answers if status == 503]
    megapixels = size[0] * size[1] / 1e6
    floor_ms = floor_served.cpu_ms["floor"]
    served_ms = gateway_served.cpu_ms["gateway"] + gateway_served.cpu_ms["media"]
    lines = [
        "# Media",
        "",
        machine(),
        "",
        f"Load average (1, 5, 15 min) at the start: {load_before}; at the end: {load_after}.",
        "",
        f"A {megapixels:.0f}-megapixel JPEG ({len(data) / 2**20:.1f} MiB), median of {runs}, "
        "each in a fresh process (peak memory: its `ru_maxrss`):",
        "",
        "| what | seconds | peak memory (MiB) |",
        "| --- | --- | --- |",
        f"| processing (3 variants, blurhash) | {statistics.median(p[0] for p in processing):.2f} "
        f"| {max(p[1] for p in processing) / 1024:.0f} |",
        f"| floor: decode and one encode | {statistics.median(f[0] for f in floors):.2f} "
        f"| {max(f[1] for f in floors) / 1024:.0f} |",
        "",
        f"{uploads} concurrent uploads of it to the media service (in a process of its own, the "
        f"default processing slots): {len(done)} processed "
        f"(median {statistics.median(done) if done else 0:.2f} s), {len(refused)} refused at once "
        f"with 503 and Retry-After (median {statistics.median(refused) if refused else 0:.3f} s), "
        f"other answers: {sorted(s for s, _ in answers if s not in (201, 503))}; that process's "
        f"peak memory: {uploads_peak_kib / 1024:.0f} MiB.",
        "",
        f"Serving the posted picture's `small` variant ({small_bytes} bytes, public, cached for "
        f"good) with `wrk -t1 -c8 -d{seconds}s`; ms of CPU per request from /proc:",
        "",
        "| what | requests/s | errors | gateway | media | mongo | floor |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        _served_row(gateway_served),
        _served_row(floor_served),
        "",
        f"Gateway and media service together: {served_ms:.3f} ms per request, "
        f"**{served_ms / floor_ms:.1f}x** the floor's {floor_ms:.3f} ms "
        f"(gateway alone {gateway_served.cpu_ms['gateway'] / floor_ms:.1f}x, "
        f"media alone {gateway_served.cpu_ms['media'] / floor_ms:.1f}x; "
        f"the database {gateway_served.cpu_ms['mongo']:.3f} ms more).",
        "",
    ]
    path = write_results("media.md", "\n".join(lines))
    print(path.read_text())


def _served_row(served: Served) -> str:
    cells = [
        f"{served.cpu_ms[name]:.3f}" if name in served.cpu_ms else "—"
        for name in ("gateway", "media", "mongo", "floor")
    ]
    return (
        f"| {served.name} | {served.requests / served.seconds:.0f} | {served.errors} | "
        + " | ".join(cells)
        + " |"
    )


if __name__ == "__main__":
    main()
