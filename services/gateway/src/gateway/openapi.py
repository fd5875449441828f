"""The one OpenAPI document of the public API, merged from what each service publishes."""

import asyncio
import copy
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from gateway.domain import (
    PUBLIC_API_PREFIX,
    PUBLIC_ENDPOINTS,
    QUERY_TOKEN_ENDPOINT,
    QUERY_TOKEN_PARAMETER,
    upstream_for,
)
from shared.openapi import OpenApiDocument, operations, problem_response, problem_schemas
from shared.services import Backend

log = logging.getLogger(__name__)

BEARER_SCHEME_NAME = "bearerAuth"
BEARER_SCHEME: dict[str, Any] = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "JWT",
    "description": "An access token from POST /v1/auth/token.",
}
HEADERS_REF = "#/components/headers/"
# What the gateway itself may answer to any request (its rate limits, the services behind
# it), and the headers that come with it.
RETRY_AFTER: dict[str, Any] = {
    "description": "Seconds to wait before trying again.",
    "schema": {"type": "integer", "minimum": 1},
}
WWW_AUTHENTICATE: dict[str, Any] = {
    "description": "`Bearer`: the scheme to authenticate with.",
    "schema": {"type": "string"},
}
TAGS = [
    {"name": "users", "description": "Accounts, sign-in, profiles, follows, blocks and mutes."},
    {"name": "posts", "description": "Posts, their co-authors, likes and replies."},
    {"name": "remixes", "description": "Remixes of posts and the requests to make them."},
    {"name": "invitations", "description": "Invitations to co-author a post, and answers."},
    {"name": "timeline", "description": "Home and profile timelines, and a post's insights."},
    {"name": "notifications", "description": "One's notifications, and their live stream."},
    {"name": "media", "description": "Pictures uploaded for posts and profiles."},
]


def merge_openapi(
    own: OpenApiDocument, services: Mapping[Backend, OpenApiDocument]
) -> OpenApiDocument:
    """The gateway's own document plus every service's public paths the gateway routes to it.

    A path a service documents but the gateway would send elsewhere is left out, so the
    document only promises what the gateway really serves; and every operation also
    declares what the gateway answers in front of the services.
    """
    merged = copy.deepcopy(own)
    paths: dict[str, Any] = merged.setdefault("paths", {})
    components: dict[str, Any] = merged.setdefault("components", {})
    for upstream, document in services.items():
        for path, item in document.get("paths", {}).items():
            if path.startswith("/v1/") and upstream_for(path) == upstream:
                paths.setdefault(path, {}).update(copy.deepcopy(item))
        for section, entries in document.get("components", {}).items():
            target = components.setdefault(section, {})
            for name, entry in entries.items():
                target.setdefault(name, copy.deepcopy(entry))
    components.setdefault("securitySchemes", {})[BEARER_SCHEME_NAME] = BEARER_SCHEME
    components.setdefault("schemas", {}).update(problem_schemas())
    components.setdefault("headers", {}).update(
        {"RetryAfter": RETRY_AFTER, "WWWAuthenticate": WWW_AUTHENTICATE}
    )
    merged["security"] = [{BEARER_SCHEME_NAME: []}]
    merged["tags"] = TAGS
    _document_query_token(merged)
    for method, path, operation in operations(merged):
        if path.startswith(PUBLIC_API_PREFIX):
            _declare_gateway_answers(operation, public=(method, path) in PUBLIC_ENDPOINTS)
    return merged


def _declare_gateway_answers(operation: dict[str, Any], *, public: bool) -> None:
    """The security of the operation and the refusals the gateway answers in front of it."""
    responses: dict[str, Any] = operation.setdefault("responses", {})
    operation["security"] = [] if public else [{BEARER_SCHEME_NAME: []}]
    answers: dict[int, dict[str, Any]] = {
        429: {"Retry-After": {"$ref": HEADERS_REF + "RetryAfter"}},
        502: {},
        503: {"Retry-After": {"$ref": HEADERS_REF + "RetryAfter"}},
        504: {},
    }
    if not public:
        answers[401] = {"WWW-Authenticate": {"$ref": HEADERS_REF + "WWWAuthenticate"}}
    if "requestBody" in operation:
        answers[413] = {}
    if ("requestBody" in operation or operation.get("parameters")) and "422" not in responses:
        responses["422"] = problem_response(422, "ValidationProblem")
    for status, headers in answers.items():
        response = responses.setdefault(str(status), problem_response(status))
        if headers:
            response["headers"] = headers
    operation["responses"] = dict(sorted(responses.items()))


def _document_query_token(document: OpenApiDocument) -> None:
    for method, path, operation in operations(document):
        if (method, path) != QUERY_TOKEN_ENDPOINT:
            continue
        parameters: list[dict[str, Any]] = operation.setdefault("parameters", [])
        if not any(parameter.get("name") == QUERY_TOKEN_PARAMETER for parameter in parameters):
            parameters.append(
                {
                    "name": QUERY_TOKEN_PARAMETER,
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string"},
                    "description": "The access token, for clients (EventSource) that cannot "
                    "send an Authorization header.",
                }
            )


class OpenApiAggregator:
    """Fetches the services' documents when asked, and keeps the merge a short while."""

    def __init__(
        self,
        clients: Mapping[Backend, httpx.AsyncClient],
        own_document: Callable[[], OpenApiDocument],
        *,
        cache_seconds: float,
        fetch_timeout_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clients = clients
        self._own_document = own_document
        self._cache_seconds = cache_seconds
        self._fetch_timeout_seconds = fetch_timeout_seconds
        self._clock = clock
        self._cached: OpenApiDocument | None = None
        self._cached_at = 0.0
        self._lock = asyncio.Lock()

    async def document(self) -> OpenApiDocument:
        async with self._lock:
            if self._cached is None or self._clock() - self._cached_at >= self._cache_seconds:
                self._cached = merge_openapi(self._own_document(), await self._fetch_all())
                self._cached_at = self._clock()
            return self._cached

    async def _fetch_all(self) -> dict[Backend, OpenApiDocument]:
        upstreams = list(self._clients)
        documents = await asyncio.gather(*(self._fetch(upstream) for upstream in upstreams))
        return {
            upstream: document
            for upstream, document in zip(upstreams, documents, strict=True)
            if document is not None
        }

    async def _fetch(self, upstream: Backend) -> OpenApiDocument | None:
        """A service that does not answer is left out of this round, not an error."""
        try:
            response = await self._clients[upstream].get(
                "/openapi.json", timeout=self._fetch_timeout_seconds
            )
            response.raise_for_status()
            document = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            log.info("OpenAPI document unavailable", extra={"upstream": upstream, "err": str(exc)})
            return None
        return document if isinstance(document, dict) else None
