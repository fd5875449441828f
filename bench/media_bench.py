"""Media benchmark: processing a 12-megapixel JPEG upload beside its floor, the processing
process's peak memory, and ten concurrent uploads against the processing slots.

- Processing: `media.core.images.process_image` (decode under the pixel limit, orientation,
  stripping, three variants, blurhash) against the floor of Pillow decoding the same JPEG and
  encoding it once at full size. Each in a fresh child process, whose peak resident memory
  (`ru_maxrss`) is the figure for memory.
- Ten concurrent uploads: the media service's app in process (embedded MongoDB, the local
  RabbitMQ), ten uploads of that JPEG at once: how many were processed and how many refused
  at once with 503 and Retry-After (`PROCESSING_SLOTS`), and the wall time of each kind.

Not measured yet: serving a cached small variant through the gateway against a bare ASGI app
serving the same bytes (it needs a whole stack; see docs/media.md).
Writes bench/results/media.md.

    .venv/bin/python bench/media_bench.py [--quick]
"""

import argparse
import asyncio
import io
import multiprocessing
import resource
import statistics
import time
import uuid

import httpx
from benchlib import machine, write_results
from PIL import Image
from pydantic import SecretStr

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
                return answer.status_code, time.perf_counter() - started

            return await asyncio.gather(*(one(index) for index in range(count)))
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a 2-megapixel picture, 3 uploads")
    args = parser.parse_args()
    size, uploads, runs = ((1600, 1200), 3, 1) if args.quick else (TWELVE_MEGAPIXELS, 10, 3)
    data = photo(size)
    processing = [in_child(data, floor=False) for _ in range(runs)]
    floors = [in_child(data, floor=True) for _ in range(runs)]
    answers = asyncio.run(concurrent_uploads(data, uploads))
    done = [seconds for status, seconds in answers if status == 201]
    refused = [seconds for status, seconds in answers if status == 503]
    megapixels = size[0] * size[1] / 1e6
    lines = [
        "# Media",
        "",
        machine(),
        "",
        f"A {megapixels:.0f}-megapixel JPEG ({len(data) / 2**20:.1f} MiB), median of {runs}:",
        "",
        "| what | seconds | peak memory (MiB) |",
        "| --- | --- | --- |",
        f"| processing (3 variants, blurhash) | {statistics.median(p[0] for p in processing):.2f} "
        f"| {max(p[1] for p in processing) / 1024:.0f} |",
        f"| floor: decode and one encode | {statistics.median(f[0] for f in floors):.2f} "
        f"| {max(f[1] for f in floors) / 1024:.0f} |",
        "",
        f"{uploads} concurrent uploads with the default processing slots: {len(done)} processed "
        f"(median {statistics.median(done) if done else 0:.2f} s), {len(refused)} refused at once "
        f"with 503 (median {statistics.median(refused) if refused else 0:.3f} s), "
        f"other answers: {sorted(s for s, _ in answers if s not in (201, 503))}.",
        "",
    ]
    path = write_results("media.md", "\n".join(lines))
    print(path.read_text())


if __name__ == "__main__":
    main()
