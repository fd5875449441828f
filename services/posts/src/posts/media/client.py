"""Putting the caller's uploads on a new post: the media service's word, asked signed.

The media service owns the uploads; a post keeps the metadata of those it carries (what its
events and the timeline's cards carry too), so rendering a post never asks for them again.
"""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import httpx
from pydantic import ValidationError

from posts.core.rules import InvalidPost
from shared.identity import AssertionSigner
from shared.internal_http import create_internal_client
from shared.problems import BadGateway, Conflict, GatewayTimeout, NotFound, ServiceUnavailable
from shared.public_media import ATTACH_PATH, AttachAnswer, AttachedMedia, AttachRequest
from shared.services import Backend
from shared.settings import ServiceSettings


class MediaAttachments:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    async def attach(
        self, owner_id: str, post_id: str, media_ids: Sequence[str], *, public: bool
    ) -> tuple[AttachedMedia, ...]:
        """The media, in the order given, now on the post; asked again for the same post (a
        retried request) it answers the same. Someone else's upload is 404, one on another
        post 409."""
        if not media_ids:
            return ()
        request = AttachRequest(
            owner_id=owner_id, post_id=post_id, media_ids=[*media_ids], public=public
        )
        answer = await self._post(request)
        match answer.refusal:
            case None:
                return tuple(answer.media)
            case "unknown":
                raise NotFound(f"No such medium: {answer.media_id}.")
            case "attached":
                raise Conflict(f"The medium {answer.media_id} is already on a post.")
            case "not_ready":
                raise Conflict(f"The medium {answer.media_id} is not ready yet.")
            case "composition":
                raise InvalidPost("A post carries up to 4 pictures, or 1 video, each once.")

    async def _post(self, request: AttachRequest) -> AttachAnswer:
        """The media service failing is the server's problem: 504, 503 or 502, never a 500."""
        try:
            response = await self._http.post(ATTACH_PATH, json=request.model_dump())
        except httpx.TimeoutException as exc:
            raise GatewayTimeout("The media service did not answer in time.") from exc
        except httpx.HTTPError as exc:
            raise ServiceUnavailable("The media service is not reachable.") from exc
        if response.status_code != httpx.codes.OK:
            raise BadGateway(f"The media service answered {response.status_code}.")
        try:
            return AttachAnswer.model_validate_json(response.content)
        except ValidationError as exc:
            raise BadGateway("The media service gave an unreadable answer.") from exc


@asynccontextmanager
async def media_service(
    settings: ServiceSettings, media_url: str, *, transport: httpx.AsyncBaseTransport | None = None
) -> AsyncIterator[MediaAttachments]:
    """`transport` lets tests serve the media service's app in process."""
    async with create_internal_client(
        media_url,
        signer=AssertionSigner.from_settings(settings),
        audience=Backend.MEDIA,
        timeout_seconds=settings.internal_http_timeout_seconds,
        transport=transport,
    ) as http:
        yield MediaAttachments(http)
