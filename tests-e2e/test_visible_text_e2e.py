"""Issue 23: names made only of invisible fillers were accepted, and a post could be U+3164
alone. Now display names follow RFC 8266 (PRECIS Nickname) and must show something, and so
must a post's text: 422 problems, through the gateway."""

import httpx
import pytest
from conftest import E2EUser

FILLERS = ["\u3164", "\u115f", "\u2800", "\u034f", "\u3164\u2800 \u034f", "A\u200bB"]


@pytest.mark.parametrize("name", FILLERS)
async def test_a_display_name_of_fillers_is_refused(
    gateway: httpx.AsyncClient, ada: E2EUser, name: str
) -> None:
    registered = await gateway.post(
        "/v1/users", json={"handle": "fill_er", "password": "long enough pw", "display_name": name}
    )
    renamed = await ada.client.patch("/v1/me", json={"display_name": name})

    for answer in (registered, renamed):
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")


async def test_a_name_is_kept_as_written_with_its_spaces_folded(ada: E2EUser) -> None:
    renamed = await ada.client.patch("/v1/me", json={"display_name": "  Zoë   Ōkubo "})

    assert renamed.json()["display_name"] == "Zoë Ōkubo"


@pytest.mark.parametrize("text", ["\u3164", "\u2800\u2800", "\u115f \u034f"])
async def test_a_post_must_show_something(ada: E2EUser, text: str) -> None:
    created = await ada.client.post("/v1/posts", json={"text": text})

    assert created.status_code == 422, created.text
    assert created.json()["errors"][0]["type"] == "invisible"
