"""The one way services call each other over HTTP: httpx, every call signed by the caller.

Each request carries the request id it belongs to and an assertion (shared.identity) bound to
it, signed with the caller's key for the service called; a caller that sets its own assertion
(the gateway forwarding a user) keeps it.
"""

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from uuid import uuid4

import httpx
from pydantic import BaseModel, ValidationError

from shared.eligibility import (
    BLOCKERS_PATH,
    ELIGIBILITY_PATH,
    FEATURES_PATH,
    REMIX_CONSENT_PATH,
    BlockersRequest,
    BlockersResponse,
    EligibilityRequest,
    EligibilityResponse,
    EligibilityResult,
    Features,
    FeaturesRequest,
    RemixConsent,
    RemixConsentRequest,
)
from shared.identity import (
    ASSERTION_HEADER,
    REQUEST_ID_HEADER,
    AssertionSigner,
    caller_country_var,
)
from shared.logging import request_id_var
from shared.problems import BadGateway, GatewayTimeout, ServiceUnavailable
from shared.settings import ServiceSettings

# A service (uvicorn) closes a connection idle for 5 s. A client that kept it longer could send
# a request just as the server closes it and get no answer (a 502 for a DELETE or a POST,
# which are not retried), so clients drop idle connections well before that.
IDLE_CONNECTION_SECONDS = 2.0


def _signing_hook(
    signer: AssertionSigner, audience: str
) -> Callable[[httpx.Request], Awaitable[None]]:
    async def sign(request: httpx.Request) -> None:
        if REQUEST_ID_HEADER not in request.headers:
            request.headers[REQUEST_ID_HEADER] = request_id_var.get() or uuid4().hex
        if ASSERTION_HEADER not in request.headers:
            request.headers[ASSERTION_HEADER] = signer.sign(
                audience,
                request.headers[REQUEST_ID_HEADER],
                method=request.method,
                target=request.url.raw_path.decode("ascii"),
                body=request.content,
            )

    return sign


def create_internal_client(
    base_url: str,
    *,
    signer: AssertionSigner,
    audience: str,
    timeout_seconds: float,
    transport: httpx.AsyncBaseTransport | None = None,
    max_connections: int = 200,
) -> httpx.AsyncClient:
    """A client for the service `audience` at `base_url`, signing as `signer`."""
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=httpx.Timeout(timeout_seconds),
        transport=transport,
        event_hooks={"request": [_signing_hook(signer, audience)]},
        limits=httpx.Limits(
            max_connections=max_connections,
            max_keepalive_connections=min(50, max_connections),
            keepalive_expiry=IDLE_CONNECTION_SECONDS,
        ),
    )


class EligibilityClient:
    """Asks the users service "may this inviter invite these invitees?" (shared.eligibility)."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    async def by_handles(self, inviter_id: str, handles: Sequence[str]) -> list[EligibilityResult]:
        return await self._ask(
            EligibilityRequest(inviter_id=inviter_id, invitee_handles=[*handles])
        )

    async def by_ids(self, inviter_id: str, user_ids: Sequence[str]) -> list[EligibilityResult]:
        return await self._ask(EligibilityRequest(inviter_id=inviter_id, invitee_ids=[*user_ids]))

    async def remix_consent(self, request: RemixConsentRequest) -> RemixConsent:
        return await self._post(REMIX_CONSENT_PATH, request, RemixConsent)

    async def features(self, user_id: str) -> Features:
        """Under the limited tests, for the request being handled: its trusted country."""
        request = FeaturesRequest(user_id=user_id, country=caller_country_var.get())
        return await self._post(FEATURES_PATH, request, Features)

    async def blockers(
        self, user_id: str, among: Sequence[str], *, timeout_seconds: float
    ) -> set[str]:
        """Which of `among` block `user_id` now (the users service's own records)."""
        request = BlockersRequest(user_id=user_id, among=[*among])
        answer = await self._post(BLOCKERS_PATH, request, BlockersResponse, timeout_seconds)
        return set(answer.blocker_ids)

    async def _ask(self, request: EligibilityRequest) -> list[EligibilityResult]:
        results = (await self._post(ELIGIBILITY_PATH, request, EligibilityResponse)).results
        if len(results) != request.invitee_count:
            raise BadGateway("The users service answered for a different number of users.")
        return results

    async def _post[A: BaseModel](
        self,
        path: str,
        request: BaseModel,
        answer: type[A],
        timeout_seconds: float | None = None,
    ) -> A:
        return await post_internal(
            self._http, "users", path, request, answer, timeout_seconds=timeout_seconds
        )


async def post_internal[A: BaseModel](
    http: httpx.AsyncClient,
    service: str,
    path: str,
    request: BaseModel,
    answer: type[A],
    *,
    timeout_seconds: float | None = None,
    exclude_none: bool = True,
) -> A:
    """POST `request` to another service's internal API and read its `answer`. That service
    failing is the server's problem: 504, 503 or 502, never a 500."""
    timeout = httpx.USE_CLIENT_DEFAULT if timeout_seconds is None else timeout_seconds
    try:
        response = await http.post(
            path, json=request.model_dump(exclude_none=exclude_none), timeout=timeout
        )
    except httpx.TimeoutException as exc:
        raise GatewayTimeout(f"The {service} service did not answer in time.") from exc
    except httpx.HTTPError as exc:
        raise ServiceUnavailable(f"The {service} service is not reachable.") from exc
    if response.status_code != httpx.codes.OK:
        raise BadGateway(f"The {service} service answered {response.status_code}.")
    try:
        return answer.model_validate_json(response.content)
    except ValidationError as exc:
        raise BadGateway(f"The {service} service gave an unreadable answer.") from exc


@asynccontextmanager
async def users_service(
    settings: ServiceSettings, users_url: str, *, transport: httpx.AsyncBaseTransport | None = None
) -> AsyncIterator[EligibilityClient]:
    """The users service's internal API, as this service calls it; closed on the way out.

    `transport` lets tests serve the users service's app in process."""
    async with create_internal_client(
        users_url,
        signer=AssertionSigner.from_settings(settings),
        audience="users",
        timeout_seconds=settings.internal_http_timeout_seconds,
        transport=transport,
    ) as http:
        yield EligibilityClient(http)
