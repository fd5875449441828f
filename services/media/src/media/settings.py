"""Settings of the media service, read from environment variables."""

from pydantic import Field, SecretStr

from shared.settings import ServiceSettings, set_when_deployed

MEGABYTE = 1024 * 1024


class MediaSettings(ServiceSettings):
    service_name: str = "media"
    max_image_bytes: int = Field(default=10 * MEGABYTE, gt=0)
    """The largest picture accepted (the file itself); larger ones are refused with 413."""
    max_video_bytes: int = Field(default=100 * MEGABYTE, gt=0)
    """The largest video accepted; larger ones are refused with 413. The upload body as a whole
    may exceed the larger of the two limits by `multipart_overhead_bytes` only: beyond that it
    is refused before it is read to its end."""
    multipart_overhead_bytes: int = Field(default=64 * 1024, ge=0)
    """Room in an upload body for the multipart framing and the alt text around the file."""
    max_image_pixels: int = Field(default=50_000_000, gt=0)
    """Pictures with more pixels are refused before they are decoded (decompression bombs)."""
    max_frames: int = Field(default=300, gt=0)
    """Animated pictures with more frames are refused (each frame is decoded and resized)."""
    original_max_side: int = Field(default=4096, gt=0)
    """The longest side of the `original` variant, in pixels (larger pictures are scaled down)."""
    large_max_side: int = Field(default=1600, gt=0)
    """The longest side of the `large` variant, in pixels."""
    small_max_side: int = Field(default=400, gt=0)
    """The longest side of the `small` variant, in pixels."""
    avatar_small_side: int = Field(default=96, gt=0)
    """The side of a profile picture's `small` size (cropped square), in pixels."""
    avatar_large_side: int = Field(default=400, gt=0)
    """The side of a profile picture's `large` size (cropped square), in pixels."""
    max_video_seconds: float = Field(default=180.0, gt=0)
    """The longest video accepted; longer ones are refused with 422."""
    video_max_side: int = Field(default=1280, gt=0)
    """The longest side of a processed video (and its poster), in pixels."""
    ffprobe_path: str = "/usr/bin/ffprobe"
    """Debian's ffprobe (package ffmpeg; `make ffmpeg` installs it): checks each video."""
    ffmpeg_path: str = "/usr/bin/ffmpeg"
    """Debian's ffmpeg: turns each video into H.264/AAC MP4 with fast start, and a poster."""
    video_processing_seconds: float = Field(default=600.0, gt=0)
    """A video still processing this long after a replica took it is taken again (that replica
    may have died)."""
    processing_slots: int = Field(default=2, ge=1)
    """Uploads decoded at once by one replica; one more is refused at once with 503 and
    `Retry-After`, so the memory a replica needs stays bounded however many arrive."""
    processing_retry_after_seconds: int = Field(default=2, ge=1)
    """The `Retry-After` of an upload refused because every processing slot was taken."""
    uploads_per_hour: int = Field(default=100, ge=1)
    """Uploads one account may make in an hour; beyond it, 429 with `Retry-After`."""
    storage_quota_bytes: int = Field(default=2 * 1024 * MEGABYTE, gt=0)
    """What one account's stored media may weigh at most (every variant counted); an upload
    beyond it is refused with 413."""
    url_signing_key: SecretStr = Field(default=SecretStr(""), json_schema_extra=set_when_deployed())
    """The HMAC key of the signed URLs of media not public yet (shared by every replica). Empty:
    a key of this process only, so signed URLs work only on the replica that made them."""
    signed_url_seconds: int = Field(default=3600, gt=0)
    """How long a signed URL of media not public yet stays valid."""
    unattached_expiry_seconds: int = Field(default=24 * 3600, gt=0)
    """An upload never attached to a post is deleted this long after it was made."""
    media_sweep_seconds: float = Field(default=60.0, gt=0)
    """How often expired uploads and the files of deleted media are removed from storage."""
