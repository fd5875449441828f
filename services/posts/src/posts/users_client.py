"""The users service's eligibility answer ("may A invite B?"), asked over internal HTTP."""

from collections.abc import Sequence
from typing import Any

import httpx
from pydantic import BaseModel, ValidationError

from posts.domain import Eligibility
from shared.problems import BadGateway, GatewayTimeout, ServiceUnavailable
from shared.user_directory import PublicUser

ELIGIBILITY_PATH = "/internal/eligibility"


class EligibilityAnswer(BaseModel):
    handle: str | None = None
    user_id: str | None = None
    user: PublicUser | None = None
    eligible: bool
    reason: str | None = None

    def decision(self) -> Eligibility:
        return Eligibility(
            handle=self.handle, user_id=self.user_id, eligible=self.eligible, reason=self.reason
        )


class _EligibilityResponse(BaseModel):
    results: list[EligibilityAnswer]


class UsersClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    async def eligibility_by_handles(
        self, inviter_id: str, handles: Sequence[str]
    ) -> list[EligibilityAnswer]:
        return await self._ask({"inviter_id": inviter_id, "invitee_handles": list(handles)})

    async def eligibility_by_ids(
        self, inviter_id: str, user_ids: Sequence[str]
    ) -> list[EligibilityAnswer]:
        return await self._ask({"inviter_id": inviter_id, "invitee_ids": list(user_ids)})

    async def _ask(self, body: dict[str, Any]) -> list[EligibilityAnswer]:
        try:
            response = await self._http.post(ELIGIBILITY_PATH, json=body)
        except httpx.TimeoutException as exc:
            raise GatewayTimeout("The users service did not answer in time.") from exc
        except httpx.HTTPError as exc:
            raise ServiceUnavailable("The users service is not reachable.") from exc
        if response.status_code != httpx.codes.OK:
            raise BadGateway(f"The users service answered {response.status_code}.")
        try:
            results = _EligibilityResponse.model_validate_json(response.content).results
        except ValidationError as exc:
            raise BadGateway("The users service gave an unreadable answer.") from exc
        expected = len(body.get("invitee_handles") or body.get("invitee_ids") or [])
        if len(results) != expected:
            raise BadGateway("The users service answered for a different number of users.")
        return results
