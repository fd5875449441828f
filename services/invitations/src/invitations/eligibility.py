"""The users service's answer to "may this inviter still have this invitee as a co-author?"."""

from dataclasses import dataclass

import httpx
from pydantic import BaseModel, ValidationError

from shared.problems import BadGateway, ServiceUnavailable

ELIGIBILITY_PATH = "/internal/eligibility"


class _EligibilityResult(BaseModel):
    user_id: str | None = None
    eligible: bool
    reason: str | None = None


class _EligibilityAnswer(BaseModel):
    results: list[_EligibilityResult]


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    reason: str | None


class EligibilityClient:
    """Calls POST /internal/eligibility of the users service over the shared internal client."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    async def check(self, *, inviter_id: str, invitee_id: str) -> Eligibility:
        body = {"inviter_id": inviter_id, "invitee_ids": [invitee_id]}
        try:
            response = await self._http.post(ELIGIBILITY_PATH, json=body)
        except httpx.HTTPError as exc:
            raise ServiceUnavailable("The users service cannot be reached; retry later.") from exc
        if response.status_code != httpx.codes.OK:
            raise BadGateway(f"The users service answered {response.status_code}.")
        try:
            answer = _EligibilityAnswer.model_validate_json(response.content)
        except ValidationError as exc:
            raise BadGateway("The users service gave an unreadable answer.") from exc
        if len(answer.results) != 1:
            raise BadGateway("The users service answered for the wrong number of users.")
        result = answer.results[0]
        return Eligibility(eligible=result.eligible, reason=result.reason)
