"""The one way services call each other over HTTP: httpx, with the request id passed along."""

from collections.abc import Sequence

import httpx
from pydantic import ValidationError

from shared.eligibility import (
    ELIGIBILITY_PATH,
    EligibilityRequest,
    EligibilityResponse,
    EligibilityResult,
)
from shared.identity import REQUEST_ID_HEADER
from shared.logging import request_id_var
from shared.problems import BadGateway, GatewayTimeout, ServiceUnavailable


async def _propagate_request_id(request: httpx.Request) -> None:
    if (request_id := request_id_var.get()) and REQUEST_ID_HEADER not in request.headers:
        request.headers[REQUEST_ID_HEADER] = request_id


def create_internal_client(
    base_url: str,
    *,
    timeout_seconds: float,
    transport: httpx.AsyncBaseTransport | None = None,
    max_connections: int = 200,
) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=httpx.Timeout(timeout_seconds),
        transport=transport,
        event_hooks={"request": [_propagate_request_id]},
        limits=httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=min(50, max_connections)
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

    async def _ask(self, request: EligibilityRequest) -> list[EligibilityResult]:
        """The users service failing is the server's problem: 504, 503 or 502, never a 500."""
        try:
            response = await self._http.post(
                ELIGIBILITY_PATH, json=request.model_dump(exclude_none=True)
            )
        except httpx.TimeoutException as exc:
            raise GatewayTimeout("The users service did not answer in time.") from exc
        except httpx.HTTPError as exc:
            raise ServiceUnavailable("The users service is not reachable.") from exc
        if response.status_code != httpx.codes.OK:
            raise BadGateway(f"The users service answered {response.status_code}.")
        try:
            results = EligibilityResponse.model_validate_json(response.content).results
        except ValidationError as exc:
            raise BadGateway("The users service gave an unreadable answer.") from exc
        if len(results) != request.invitee_count:
            raise BadGateway("The users service answered for a different number of users.")
        return results
