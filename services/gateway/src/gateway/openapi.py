"""The one OpenAPI document of the public API, merged from what each service publishes."""

import asyncio
import copy
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from gateway.domain import (
    PUBLIC_ENDPOINTS,
    QUERY_TOKEN_ENDPOINT,
    QUERY_TOKEN_PARAMETER,
    upstream_for,
)
from shared.services import Backend

log = logging.getLogger(__name__)

type OpenApiDocument = dict[str, Any]

BEARER_SCHEME_NAME = "bearerAuth"
BEARER_SCHEME: dict[str, Any] = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "JWT",
    "description": "An access token from POST /v1/auth/token.",
}
_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


def merge_openapi(
    own: OpenApiDocument, services: Mapping[Backend, OpenApiDocument]
) -> OpenApiDocument:
    """The gateway's own document plus every service's public paths the gateway routes to it.

    A path a service documents but the gateway would send elsewhere is left out, so the
    document only promises what the gateway really serves.
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
    merged["security"] = [{BEARER_SCHEME_NAME: []}]
    _mark_public_operations(paths)
    _document_query_token(paths)
    return merged


def _operations(paths: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in paths.items()
        for method, operation in item.items()
        if method in _HTTP_METHODS
    ]


def _mark_public_operations(paths: dict[str, Any]) -> None:
    for method, path, operation in _operations(paths):
        if (method, path) in PUBLIC_ENDPOINTS:
            operation["security"] = []


def _document_query_token(paths: dict[str, Any]) -> None:
    for method, path, operation in _operations(paths):
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
