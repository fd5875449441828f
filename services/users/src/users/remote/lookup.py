"""The federation service's internal API as the users service calls it: a remote account by
its handle (found with WebFinger and its actor), signed like every internal call."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from shared.events.federation import RemoteAccountSeen
from shared.identity import AssertionSigner
from shared.internal_http import create_internal_client, post_internal
from shared.problems import TooManyRequests
from shared.remote_accounts import LOOKUP_PATH, RemoteAccountFound, RemoteAccountLookup
from shared.services import Backend
from shared.settings import ServiceSettings


class FederationLookup:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    async def look_up(self, handle: str) -> RemoteAccountSeen | None:
        request = RemoteAccountLookup(handle=handle)
        found = await post_internal(
            self._http, "federation", LOOKUP_PATH, request, RemoteAccountFound
        )
        if found.retry_after_seconds is not None:
            raise TooManyRequests(
                "That server has been asked about accounts too often just now; retry later.",
                retry_after_seconds=found.retry_after_seconds,
            )
        return found.account


@asynccontextmanager
async def federation_service(
    settings: ServiceSettings,
    federation_url: str,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> AsyncIterator[FederationLookup]:
    """`transport` lets tests serve the federation service's API from an in-process app."""
    async with create_internal_client(
        federation_url,
        signer=AssertionSigner.from_settings(settings),
        audience=Backend.FEDERATION,
        timeout_seconds=settings.internal_http_timeout_seconds,
        transport=transport,
    ) as http:
        yield FederationLookup(http)
