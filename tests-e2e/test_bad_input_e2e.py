"""Whatever a client makes up is a 4xx problem through the gateway, and breaks nothing after."""

import base64
import json

import pytest
from conftest import E2EUser

PROBLEM = "application/problem+json"


def forged(position: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


FAR_FUTURE = "9999-12-31T23:59:59-14:00"  # beyond what MongoDB stores, once in UTC


@pytest.mark.parametrize(
    ("path", "cursor"),
    [
        ("/v1/timeline", forged({"t": FAR_FUTURE, "p": "x"})),
        ("/v1/users/{me}/posts", forged({"t": FAR_FUTURE, "p": "x"})),
        ("/v1/invitations", forged({"created_at": FAR_FUTURE, "id": "x"})),
        ("/v1/notifications", forged({"seq": 10**30})),
        ("/v1/timeline", forged({"t": "2026-01-01T00:00:00", "p": "x"})),
        ("/v1/notifications", "%%%"),
    ],
)
async def test_forged_cursors_are_400_and_the_next_request_still_works(
    ada: E2EUser, path: str, cursor: str
) -> None:
    url = path.format(me=ada.handle)

    response = await ada.client.get(url, params={"cursor": cursor})
    after = await ada.client.get(url)

    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert after.status_code == 200


@pytest.mark.parametrize("limit", ["0", "101", "-1", "ten"])
async def test_a_limit_outside_1_to_100_is_422(ada: E2EUser, limit: str) -> None:
    response = await ada.client.get("/v1/timeline", params={"limit": limit})

    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM)


@pytest.mark.parametrize("path", ["/v1/me/", "/v1/timeline/", "/v1/posts/"])
async def test_a_trailing_slash_is_a_404_not_a_redirect_to_a_service(
    ada: E2EUser, path: str
) -> None:
    response = await ada.client.get(path)

    assert response.status_code == 404
    assert "location" not in response.headers


@pytest.mark.parametrize(
    "body",
    [
        {"text": "a\u0000b"},
        {"text": 42},
        {"text": "hi", "coauthors": "bob"},
        {"text": "hi", "publish_mode": "later"},
    ],
)
async def test_a_malformed_post_is_422_and_creates_nothing(
    ada: E2EUser, body: dict[str, object]
) -> None:
    response = await ada.client.post("/v1/posts", json=body)

    assert response.status_code == 422, response.text
    profile = await ada.client.get(f"/v1/users/{ada.handle}/posts")
    assert profile.json()["items"] == []
