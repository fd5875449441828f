"""Videos as every browser plays them: probed with ffprobe, refused when they are not what
they claim, turned by ffmpeg into H.264/AAC MP4 with fast start and a JPEG poster.

Both tools are Debian's (package ffmpeg), run as subprocesses on temporary files.
"""

import asyncio
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The container names ffprobe reports for each accepted type.
VIDEO_CONTAINERS = {
    "video/mp4": "mov,mp4,m4a,3gp,3g2,mj2",
    "video/quicktime": "mov,mp4,m4a,3gp,3g2,mj2",
    "video/webm": "matroska,webm",
}
PROBE_TIMEOUT_SECONDS = 20


class VideoToolsMissing(Exception):
    """ffprobe or ffmpeg is not installed here (`make ffmpeg`; not in the service image)."""


class VideoRefused(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True, slots=True)
class VideoTools:
    ffprobe: str
    ffmpeg: str


@dataclass(frozen=True, slots=True)
class ProbedVideo:
    width: int
    height: int
    duration_s: float


@dataclass(frozen=True, slots=True)
class ProcessedVideo:
    video: bytes
    poster: bytes
    width: int
    height: int


async def probe_video(
    ffprobe: str, data: bytes, content_type: str, max_seconds: float
) -> ProbedVideo:
    """What the file is, from its bytes; VideoRefused when not a playable video of that type."""
    with tempfile.NamedTemporaryFile(suffix=".upload") as source:
        source.write(data)
        source.flush()
        out = await _run(
            [
                ffprobe,
                "-v",
                "error",
                "-print_format",
                "json",
                "-show_format",
                "-show_streams",
                source.name,
            ],
            PROBE_TIMEOUT_SECONDS,
        )
    if out is None:
        raise VideoRefused(f"The file is not a complete video of type {content_type}.")
    found: dict[str, Any] = json.loads(out or b"{}")
    container = found.get("format", {}).get("format_name")
    video = next((s for s in found.get("streams", []) if s.get("codec_type") == "video"), None)
    if container != VIDEO_CONTAINERS[content_type] or video is None:
        raise VideoRefused(f"The file is not a video of type {content_type}.")
    duration = float(found["format"].get("duration") or 0)
    if duration <= 0:
        raise VideoRefused("The video has no duration.")
    if duration > max_seconds:
        raise VideoRefused(f"A video may last at most {max_seconds:g} seconds.")
    return ProbedVideo(int(video.get("width", 0)), int(video.get("height", 0)), duration)


async def process_video(
    tools: "VideoTools", data: bytes, max_side: int, timeout_seconds: float
) -> ProcessedVideo | None:
    """The web-safe MP4 and its poster; None when ffmpeg cannot make them."""
    scale = f"scale='min({max_side},iw)':'min({max_side},ih)':force_original_aspect_ratio=decrease"
    with tempfile.TemporaryDirectory() as folder:
        source, video, poster = (Path(folder) / name for name in ("in", "out.mp4", "poster.jpg"))
        source.write_bytes(data)
        encoded = await _run(
            [
                tools.ffmpeg,
                "-v",
                "error",
                "-y",
                "-i",
                str(source),
                "-map_metadata",
                "-1",
                "-vf",
                f"{scale},scale=trunc(iw/2)*2:trunc(ih/2)*2",
                "-c:v",
                "libx264",
                "-preset",
                "veryfast",
                "-crf",
                "23",
                "-pix_fmt",
                "yuv420p",
                # x264 takes 1.5 threads per core it sees, and a container sees every core of
                # its node: bounded, a video's memory does not grow with the node
                # (about 185 MB for 1080p to 720p, docs/media.md).
                "-threads",
                "2",
                "-c:a",
                "aac",
                "-b:a",
                "128k",
                "-movflags",
                "+faststart",
                str(video),
            ],
            timeout_seconds,
        )
        if encoded is None:
            return None
        framed = await _run(
            [
                tools.ffmpeg,
                "-v",
                "error",
                "-y",
                "-i",
                str(video),
                "-frames:v",
                "1",
                "-q:v",
                "3",
                str(poster),
            ],
            timeout_seconds,
        )
        if framed is None:
            return None
        probe = await _run(
            [
                tools.ffprobe,
                "-v",
                "error",
                "-select_streams",
                "v:0",
                "-show_entries",
                "stream=width,height",
                "-of",
                "json",
                str(video),
            ],
            PROBE_TIMEOUT_SECONDS,
        )
        stream = json.loads(probe or b"{}").get("streams", [{}])[0]
        return ProcessedVideo(
            video.read_bytes(),
            poster.read_bytes(),
            int(stream.get("width", 0)),
            int(stream.get("height", 0)),
        )


async def _run(command: list[str], timeout_seconds: float) -> bytes | None:
    """The command's output, or None when it fails or overruns (then it is killed)."""
    try:
        process = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
        )
    except FileNotFoundError:
        raise VideoToolsMissing(command[0]) from None
    try:
        out, _ = await asyncio.wait_for(process.communicate(), timeout_seconds)
    except TimeoutError:
        process.kill()
        await process.wait()
        return None
    return out if process.returncode == 0 else None
