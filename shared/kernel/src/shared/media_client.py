"""The media service's internal API, as the services that call it see it: posts attach uploads
to new posts, users set profile pictures, invitations show a post's media to its invitees.
Every call is signed (shared.internal_http)."""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import httpx
from pydantic import BaseModel

from shared.identity import AssertionSigner
from shared.internal_http import create_internal_client, post_internal
from shared.public_media import (
    ATTACH_PATH,
    AVATAR_PATH,
    PREVIEWS_PATH,
    AttachAnswer,
    AttachRequest,
    AvatarAnswer,
    AvatarRequest,
    PostMediaIds,
    PreviewsAnswer,
    PreviewsRequest,
)
from shared.services import Backend
from shared.settings import ServiceSettings


class MediaClient:
    """Answers as the media service gives them; what a refusal means is the caller's to say."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    async def attach(
        self,
        owner_id: str,
        post_id: str,
        media_ids: Sequence[str],
        *,
        public: bool,
        edit_id: str | None = None,
    ) -> AttachAnswer:
        request = AttachRequest(
            owner_id=owner_id,
            post_id=post_id,
            media_ids=[*media_ids],
            public=public,
            edit_id=edit_id,
        )
        return await self._post(ATTACH_PATH, request, AttachAnswer)

    async def set_avatar(self, owner_id: str, media_id: str | None) -> AvatarAnswer:
        request = AvatarRequest(owner_id=owner_id, media_id=media_id)
        return await self._post(AVATAR_PATH, request, AvatarAnswer)

    async def previews(self, posts: Sequence[PostMediaIds]) -> PreviewsAnswer:
        return await self._post(PREVIEWS_PATH, PreviewsRequest(posts=[*posts]), PreviewsAnswer)

    async def _post[A: BaseModel](self, path: str, request: BaseModel, answer: type[A]) -> A:
        return await post_internal(self._http, "media", path, request, answer, exclude_none=False)


@asynccontextmanager
async def media_service(
    settings: ServiceSettings, media_url: str, *, transport: httpx.AsyncBaseTransport | None = None
) -> AsyncIterator[MediaClient]:
    """`transport` lets tests serve the media service's API from an in-process app."""
    async with create_internal_client(
        media_url,
        signer=AssertionSigner.from_settings(settings),
        audience=Backend.MEDIA,
        timeout_seconds=settings.internal_http_timeout_seconds,
        transport=transport,
    ) as http:
        yield MediaClient(http)
