"""Remix consent and limited tests in the users service: the rules, /v1/me, the internal routes."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from shared.eligibility import RemixRefusal
from shared.testing import EventRecorder, caller_headers, identity_headers, running_service
from users.app import create_app
from users.core.rules import RemixApproval, RemixPolicy
from users.eligibility.rules import RemixFacts, decide_remix_consent
from users.settings import UsersSettings

type Register = Callable[..., Awaitable[dict[str, Any]]]

EVERYONE, FOLLOWING, NOBODY = RemixPolicy.EVERYONE, RemixPolicy.FOLLOWING, RemixPolicy.NOBODY
AUTOMATIC, MANUAL = RemixApproval.AUTOMATIC, RemixApproval.MANUAL


@pytest.mark.parametrize(
    ("policy", "approval", "follows", "expected"),
    [
        (EVERYONE, AUTOMATIC, False, AUTOMATIC),
        (EVERYONE, MANUAL, False, MANUAL),
        (FOLLOWING, AUTOMATIC, True, AUTOMATIC),
        (FOLLOWING, MANUAL, True, MANUAL),
        (FOLLOWING, AUTOMATIC, False, RemixRefusal.POLICY_FOLLOWING),
        (FOLLOWING, MANUAL, False, RemixRefusal.POLICY_FOLLOWING),
        (NOBODY, AUTOMATIC, True, RemixRefusal.POLICY_NOBODY),
        (NOBODY, MANUAL, True, RemixRefusal.POLICY_NOBODY),
    ],
)
def test_policy_and_approval_decide_every_remix(
    policy: RemixPolicy,
    approval: RemixApproval,
    follows: bool,
    expected: RemixApproval | RemixRefusal,
) -> None:
    decision = decide_remix_consent(
        RemixFacts(
            remixer_exists=True,
            original_author_exists=True,
            original_author_follows_remixer=follows,
            policy=policy,
            approval=approval,
        )
    )
    assert (decision.approval or decision.reason) == expected


@pytest.mark.parametrize("policy", list(RemixPolicy))
def test_a_block_either_way_refuses_whatever_the_policy(policy: RemixPolicy) -> None:
    facts = RemixFacts(True, True, blocked_either_way=True, policy=policy)
    assert decide_remix_consent(facts).reason is RemixRefusal.BLOCKED


def test_remixing_ones_own_post_needs_nobodys_approval() -> None:
    facts = RemixFacts(True, True, is_self=True, policy=NOBODY, approval=MANUAL)
    assert decide_remix_consent(facts).approval is AUTOMATIC


def test_unknown_accounts_are_refused() -> None:
    assert decide_remix_consent(RemixFacts(False, True)).reason is RemixRefusal.REMIXER_UNKNOWN
    assert (
        decide_remix_consent(RemixFacts(True, False)).reason is RemixRefusal.ORIGINAL_AUTHOR_UNKNOWN
    )


# -- over HTTP -------------------------------------------------------------------------------


async def test_me_shows_and_patch_changes_remix_settings_and_country(
    client: httpx.AsyncClient, register: Register
) -> None:
    ann = await register("ann")
    me = identity_headers(ann["id"], "users")
    response = await client.patch(
        "/v1/me",
        json={"remix_policy": "following", "remix_approval": "manual", "country": "fr"},
        headers=me,
    )
    assert response.status_code == 200, response.text
    shown = (await client.get("/v1/me", headers=me)).json()
    assert (shown["remix_policy"], shown["remix_approval"], shown["country"]) == (
        "following",
        "manual",
        "FR",
    )
    cleared = await client.patch("/v1/me", json={"country": None}, headers=me)
    assert cleared.json()["country"] is None
    assert cleared.json()["remix_policy"] == "following"


async def test_changing_a_remix_setting_tells_both_as_they_are_now_and_nothing_else_does(
    client: httpx.AsyncClient, register: Register, event_recorder: EventRecorder
) -> None:
    ann = await register("ann")
    me = identity_headers(ann["id"], "users")
    await client.patch("/v1/me", json={"remix_approval": "manual"}, headers=me)
    await client.patch("/v1/me", json={"remix_approval": "manual", "country": "fr"}, headers=me)
    await client.patch("/v1/me", json={"remix_policy": "nobody"}, headers=me)

    first, second = await event_recorder.wait_for("user.remix_settings_changed", count=2)
    assert (first.data["user_id"], first.data["remix_policy"], first.data["remix_approval"]) == (
        ann["id"],
        "everyone",
        "manual",
    )
    assert (second.data["remix_policy"], second.data["remix_approval"]) == ("nobody", "manual")


@pytest.mark.parametrize(
    "body",
    [
        {"country": "XX"},
        {"country": "France"},
        {"remix_policy": "friends"},
        {"remix_approval": None},
        {"remix_policy": None},
    ],
)
async def test_bad_remix_settings_are_422_and_change_nothing(
    client: httpx.AsyncClient, register: Register, body: dict[str, Any]
) -> None:
    ann = await register("ann")
    me = identity_headers(ann["id"], "users")
    before = (await client.get("/v1/me", headers=me)).json()
    response = await client.patch("/v1/me", json=body, headers=me)
    assert response.status_code == 422
    assert (await client.get("/v1/me", headers=me)).json() == before


async def test_registration_takes_an_optional_country(client: httpx.AsyncClient) -> None:
    body = {"handle": "zed", "password": "correct horse", "display_name": "Zed"}
    assert (await client.post("/v1/users", json={**body, "country": "ZZ"})).status_code == 422
    assert (await client.post("/v1/users", json={**body, "country": "de"})).status_code == 201


async def test_remix_consent_reads_the_original_authors_settings_and_blocks(
    client: httpx.AsyncClient, register: Register
) -> None:
    ann, rex, cat = [(await register(handle))["id"] for handle in ("ann", "rex", "cat")]

    async def consent(*coauthors: str) -> dict[str, Any]:
        response = await client.post(
            "/internal/remix-consent",
            json={"remixer_id": rex, "original_author_id": ann, "original_coauthor_ids": coauthors},
            headers=caller_headers("posts", "users"),
        )
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    assert await consent() == {"allowed": True, "approval": "automatic", "reason": None}
    await client.patch(
        "/v1/me",
        json={"remix_policy": "following", "remix_approval": "manual"},
        headers=identity_headers(ann, "users"),
    )
    assert (await consent())["reason"] == "policy_following"
    await client.put("/v1/users/rex/follow", headers=identity_headers(ann, "users"))
    assert await consent() == {"allowed": True, "approval": "manual", "reason": None}
    await client.put("/v1/users/rex/block", headers=identity_headers(cat, "users"))
    assert (await consent(cat))["reason"] == "blocked"


async def test_only_posts_may_ask_for_consent_and_features(
    client: httpx.AsyncClient, register: Register
) -> None:
    ann = (await register("ann"))["id"]
    for path, body in [
        ("/internal/remix-consent", {"remixer_id": ann, "original_author_id": ann}),
        ("/internal/features", {"user_id": ann}),
    ]:
        refused = await client.post(path, json=body, headers=caller_headers("gateway", "users"))
        assert refused.status_code == 403


class Clock:
    """The users service's clock, moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


START = datetime(2026, 6, 1, tzinfo=UTC)


async def test_limited_tests_go_by_the_trusted_country_and_allow_listed_ids_only(
    users_settings: UsersSettings, client: httpx.AsyncClient
) -> None:
    """A remix test for requests from France during June 2026 (and one allow-listed account
    anywhere). Issue 23: a user outside the test declared `country` and got in; an
    allow-listed handle, deleted and registered again, was inherited by its new owner."""
    ids = {}
    for handle in ("ann", "bob", "vip"):
        body = {"handle": handle, "password": "correct horse", "display_name": handle}
        created = await client.post("/v1/users", json={**body, "country": "FR"})
        ids[handle] = created.json()["id"]
    remix_test = {
        "countries": ["FR"],
        "allow_ids": [ids["vip"]],
        "starts_at": START.isoformat(),
        "ends_at": (START + timedelta(days=30)).isoformat(),
    }
    settings = users_settings.model_copy(
        update={"remix_availability": users_settings.remix_availability.model_validate(remix_test)}
    )
    clock = Clock(START - timedelta(days=1))
    # Where each one's requests come from, as the gateway signs it (a trusted proxy's word).
    requests_from = {"ann": "FR", "bob": "US", "vip": None}

    async with running_service(create_app(settings, clock=clock)) as limited:

        async def remix_allowed() -> dict[str, bool]:
            answers = {}
            for handle, user_id in ids.items():
                country = requests_from[handle]
                headers = identity_headers(user_id, "users", country=country)
                me = (await limited.get("/v1/me", headers=headers)).json()
                internal = await limited.post(
                    "/internal/features",
                    json={"user_id": user_id, "country": country},
                    headers=caller_headers("posts", "users"),
                )
                assert internal.json() == me["features"]
                assert me["features"]["coauthoring"] is True
                answers[handle] = me["features"]["remix"]
            return answers

        assert await remix_allowed() == {"ann": False, "bob": False, "vip": False}
        clock.now = START
        # bob says FR on his profile; his requests come from the US: he is not in.
        assert await remix_allowed() == {"ann": True, "bob": False, "vip": True}
        clock.now = START + timedelta(days=30)
        assert await remix_allowed() == {"ann": False, "bob": False, "vip": False}

        # The allow-listed handle, deleted and taken again, is a new account: not in.
        clock.now = START
        await limited.delete("/v1/me", headers=identity_headers(ids["vip"], "users"))
        body = {"handle": "vip", "password": "correct horse", "display_name": "vip"}
        taken = (await limited.post("/v1/users", json=body)).json()["id"]
        headers = identity_headers(taken, "users")
        assert (await limited.get("/v1/me", headers=headers)).json()["features"]["remix"] is False
