"""What the media tests share: pictures made with Pillow, upload forms, a harness."""

import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from fastapi import FastAPI
from PIL import Image

from media.settings import MediaSettings
from shared.public_media import ATTACH_PATH, AttachRequest
from shared.testing import EventInjector, caller_headers, identity_headers

type SettingsFactory = Callable[..., MediaSettings]


def picture(
    size: tuple[int, int] = (1200, 800), kind: str = "JPEG", *, exif: Image.Exif | None = None
) -> bytes:
    image = Image.new("RGB", size, (180, 40, 60))
    for x in range(0, size[0], 50):
        image.paste((20, 120, 200), (x, 0, min(x + 25, size[0]), size[1]))
    out = io.BytesIO()
    options = {"exif": exif.tobytes()} if exif is not None else {}
    image.save(out, kind, **options)
    return out.getvalue()


def multipart(
    data: bytes, content_type: str, *, filename: str = "upload", alt_text: str | None = None
) -> tuple[bytes, dict[str, str]]:
    """An upload form, encoded here: the test client signs the exact bytes it sends."""
    boundary = uuid.uuid4().hex
    parts = [
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'
        ).encode()
        + data
        + b"\r\n"
    ]
    if alt_text is not None:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="alt_text"\r\n\r\n'.encode()
            + alt_text.encode()
            + b"\r\n"
        )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


@dataclass
class MediaHarness:
    app: FastAPI
    client: httpx.AsyncClient
    events: EventInjector

    async def upload(
        self,
        user_id: str,
        data: bytes,
        content_type: str = "image/jpeg",
        *,
        alt_text: str | None = None,
        filename: str = "upload",
    ) -> httpx.Response:
        body, headers = multipart(data, content_type, filename=filename, alt_text=alt_text)
        return await self.client.post(
            "/v1/media", content=body, headers=headers | identity_headers(user_id, "media")
        )

    async def attach(
        self,
        owner_id: str,
        post_id: str,
        media_ids: list[str],
        *,
        public: bool = True,
        edit_id: str | None = None,
    ) -> httpx.Response:
        """As the posts service asks, signed as itself."""
        request = AttachRequest(
            owner_id=owner_id, post_id=post_id, media_ids=media_ids, public=public, edit_id=edit_id
        )
        return await self.client.post(
            ATTACH_PATH, json=request.model_dump(), headers=caller_headers("posts", "media")
        )

    async def fetch(self, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
        """A variant, as the gateway asks for it (no user)."""
        return await self.client.get(path, headers=(headers or {}) | _gateway())

    async def head(self, path: str) -> httpx.Response:
        return await self.client.head(path, headers=_gateway())


def _gateway() -> dict[str, str]:
    """The gateway forwards a request for a variant without a user."""
    return caller_headers("gateway", "media")
