"""The media service's internal API, as the services that call it see it: posts attach uploads
to new posts, users set profile pictures. Every call is signed (shared.internal_http)."""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import httpx
from pydantic import BaseModel, ValidationError

from shared.identity import AssertionSigner
from shared.internal_http import create_internal_client
from shared.problems import BadGateway, GatewayTimeout, ServiceUnavailable
from shared.public_media import (
    ATTACH_PATH,
    AVATAR_PATH,
    AttachAnswer,
    AttachRequest,
    AvatarAnswer,
    AvatarRequest,
)
from shared.services import Backend
from shared.settings import ServiceSettings


class MediaClient:
    """Answers as the media service gives them; what a refusal means is the caller's to say."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    async def attach(
        self, owner_id: str, post_id: str, media_ids: Sequence[str], *, public: bool
    ) -> AttachAnswer:
        request = AttachRequest(
            owner_id=owner_id, post_id=post_id, media_ids=[*media_ids], public=public
        )
        return await self._post(ATTACH_PATH, request, AttachAnswer)

    async def set_avatar(self, owner_id: str, media_id: str | None) -> AvatarAnswer:
        request = AvatarRequest(owner_id=owner_id, media_id=media_id)
        return await self._post(AVATAR_PATH, request, AvatarAnswer)

    async def _post[A: BaseModel](self, path: str, request: BaseModel, answer: type[A]) -> A:
        """The media service failing is the server's problem: 504, 503 or 502, never a 500."""
        try:
            response = await self._http.post(path, json=request.model_dump())
        except httpx.TimeoutException as exc:
            raise GatewayTimeout("The media service did not answer in time.") from exc
        except httpx.HTTPError as exc:
            raise ServiceUnavailable("The media service is not reachable.") from exc
        if response.status_code != httpx.codes.OK:
            raise BadGateway(f"The media service answered {response.status_code}.")
        try:
            return answer.model_validate_json(response.content)
        except ValidationError as exc:
            raise BadGateway("The media service gave an unreadable answer.") from exc


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
