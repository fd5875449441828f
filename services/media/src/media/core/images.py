"""Pictures as users expect them: checked, turned upright, stripped, re-encoded, in sizes.

Pure and synchronous (it runs in a worker thread): bytes in, encoded variants out, or
`ImageRefused`. Nothing is ever served as uploaded: whatever the bytes also were (an HTML
polyglot, a metadata block with GPS), only the decoded pixels survive.
"""

import io
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, cast

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from media.core.blurhash import encode_blurhash

# What each accepted picture type is decoded as (Pillow's format names).
IMAGE_FORMATS: Mapping[str, str] = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/webp": "WEBP",
    "image/gif": "GIF",
}
JPEG_QUALITY = 85
WEBP_QUALITY = 82
BLURHASH_SIDE = 32

type Refusal = Literal["damaged", "too_many_pixels"]


class ImageRefused(Exception):
    """The bytes are not a picture of the claimed type, are damaged, or are too large."""

    def __init__(self, reason: Refusal, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class ImageLimits:
    max_pixels: int
    max_frames: int
    # Each variant's name and the longest side it may have.
    sides: Mapping[str, int]
    square: bool = False


@dataclass(frozen=True, slots=True)
class EncodedVariant:
    name: str
    content_type: str
    data: bytes
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class ProcessedImage:
    width: int
    height: int
    blurhash: str
    variants: tuple[EncodedVariant, ...]


def process_image(data: bytes, content_type: str, limits: ImageLimits) -> ProcessedImage:
    """Decode `data` as `content_type` (one of IMAGE_FORMATS), never anything else."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[IMAGE_FORMATS[content_type]]) as opened:
                _check_size(opened, limits)
                frames, durations = _decoded_frames(opened, limits)
    except ImageRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRefused("too_many_pixels", "The picture has too many pixels.") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, IndexError):
        raise ImageRefused(
            "damaged", f"The file is not a complete picture of type {content_type}."
        ) from None
    if limits.square:
        frames = [ImageOps.fit(frame, (min(frame.size),) * 2) for frame in frames]
    first = frames[0]
    variants = tuple(
        _encoded(name, [_scaled(frame, side) for frame in frames], durations)
        for name, side in limits.sides.items()
    )
    largest = max(variants, key=lambda variant: variant.width * variant.height)
    return ProcessedImage(
        width=largest.width,
        height=largest.height,
        blurhash=_blurhash(first),
        variants=variants,
    )


def _check_size(opened: Image.Image, limits: ImageLimits) -> None:
    """Before any pixel is decoded: the header's size against the limits."""
    frames = getattr(opened, "n_frames", 1)
    width, height = opened.size
    if width < 1 or height < 1:
        raise ImageRefused("damaged", "The picture has no pixels.")
    if frames > limits.max_frames:
        raise ImageRefused(
            "too_many_pixels", f"The picture has more than {limits.max_frames} frames."
        )
    if width * height * frames > limits.max_pixels:
        raise ImageRefused(
            "too_many_pixels", f"The picture has more than {limits.max_pixels} pixels."
        )


def _decoded_frames(
    opened: Image.Image, limits: ImageLimits
) -> tuple[list[Image.Image], list[int]]:
    """Every frame, upright, in RGB or RGBA, with no metadata left on it."""
    if not getattr(opened, "is_animated", False):
        upright = ImageOps.exif_transpose(opened)
        return [_stripped(upright)], []
    frames, durations = [], []
    for frame in ImageSequence.Iterator(opened):
        durations.append(int(frame.info.get("duration", 100)) or 100)
        frames.append(_stripped(frame.convert("RGBA")))
    return frames, durations


def _stripped(image: Image.Image) -> Image.Image:
    """The pixels alone: RGB when nothing is transparent, RGBA otherwise; no info, no EXIF."""
    has_alpha = image.mode in {"RGBA", "LA", "PA"} or "transparency" in image.info
    converted = image.convert("RGBA" if has_alpha else "RGB")
    if has_alpha and converted.getchannel("A").getextrema() == (255, 255):
        converted = converted.convert("RGB")
    converted.load()
    converted.info.clear()
    return converted


def _scaled(frame: Image.Image, side: int) -> Image.Image:
    copy = frame.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)
    return copy


def _encoded(name: str, frames: Sequence[Image.Image], durations: Sequence[int]) -> EncodedVariant:
    first = frames[0]
    out = io.BytesIO()
    if len(frames) > 1:
        first.save(
            out,
            "WEBP",
            save_all=True,
            append_images=list(frames[1:]),
            duration=list(durations),
            loop=0,
            quality=WEBP_QUALITY,
        )
        content_type = "image/webp"
    elif first.mode == "RGBA":
        first.save(out, "WEBP", quality=WEBP_QUALITY, exif=b"", icc_profile=None)
        content_type = "image/webp"
    else:
        first.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True, exif=b"")
        content_type = "image/jpeg"
    width, height = first.size
    return EncodedVariant(name, content_type, out.getvalue(), width, height)


def _blurhash(frame: Image.Image) -> str:
    tiny = frame.convert("RGB").resize((BLURHASH_SIDE, BLURHASH_SIDE), Image.Resampling.BILINEAR)
    pixels = cast("list[tuple[int, int, int]]", list(tiny.get_flattened_data()))
    return encode_blurhash(pixels, BLURHASH_SIDE, BLURHASH_SIDE)
