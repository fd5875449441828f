"""FEP-044f `canQuote` on local Notes: a post whose author admits remixes automatically (by
anyone, shown at once: the defaults) says `automaticApproval` for the public; any other setting
says `manualApproval`, each request then waiting for the author. The setting is the users
service's, learned from `user.registered` (the defaults) and `user.remix_settings_changed`; an
older change than the one kept changes nothing, and an account never heard of needs approval."""

from datetime import timedelta
from typing import Any

import pytest
from federation_support import DOMAIN, FederationHarness, published

from federation.quotes.policies import QUOTE_POLICIES
from shared.clock import utc_now
from shared.events.users import RemixApprovalName, RemixPolicyName, UserRemixSettingsChanged
from shared.testing import DIRECTORY_USERS

ALICE, BOB, _ = DIRECTORY_USERS
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
AUTOMATIC = {"canQuote": {"automaticApproval": [PUBLIC]}}
MANUAL = {"canQuote": {"manualApproval": [PUBLIC]}}


def changed(
    user_id: str, policy: RemixPolicyName, approval: RemixApprovalName, minutes: int
) -> UserRemixSettingsChanged:
    return UserRemixSettingsChanged(
        user_id=user_id,
        remix_policy=policy,
        remix_approval=approval,
        changed_at=utc_now() + timedelta(minutes=minutes),
    )


async def policy_of(federation: FederationHarness, post_id: str) -> dict[str, Any]:
    answer = await federation.fetch(f"http://{DOMAIN}/posts/{post_id}")
    assert answer.status_code == 200, answer.text
    policy: dict[str, Any] = answer.json()["interactionPolicy"]
    return policy


async def test_an_author_with_the_default_remix_settings_admits_quotes_automatically(
    federation: FederationHarness,
) -> None:
    await federation.events.publish(published("p1", ALICE.id))

    assert await policy_of(federation, "p1") == AUTOMATIC


@pytest.mark.parametrize(
    ("policy", "approval", "expected"),
    [
        ("everyone", "automatic", AUTOMATIC),
        ("everyone", "manual", MANUAL),
        ("following", "automatic", MANUAL),
        ("nobody", "automatic", MANUAL),
    ],
)
async def test_the_authors_remix_settings_decide_the_notes_quote_approval(
    federation: FederationHarness,
    policy: RemixPolicyName,
    approval: RemixApprovalName,
    expected: dict[str, Any],
) -> None:
    await federation.events.publish(
        published("p1", ALICE.id), changed(ALICE.id, policy, approval, 1)
    )

    assert await policy_of(federation, "p1") == expected


async def test_an_older_remix_setting_change_than_the_one_kept_changes_nothing(
    federation: FederationHarness,
) -> None:
    await federation.events.publish(
        published("p1", ALICE.id),
        published("p2", BOB.id),
        changed(ALICE.id, "everyone", "manual", 2),
    )
    await federation.events.publish(changed(ALICE.id, "everyone", "automatic", 1))

    assert await policy_of(federation, "p1") == MANUAL
    assert await policy_of(federation, "p2") == AUTOMATIC


async def test_an_author_never_heard_of_needs_approval_until_the_settings_are_announced(
    federation: FederationHarness,
) -> None:
    await federation.events.publish(published("p1", ALICE.id))
    # As if Alice registered before this service kept remix settings.
    await federation.app.state.runtime.db[QUOTE_POLICIES].delete_one({"_id": ALICE.id})

    assert await policy_of(federation, "p1") == MANUAL

    # The users service's one-time announcement, as of the account's creation.
    announced = UserRemixSettingsChanged(
        user_id=ALICE.id,
        remix_policy="everyone",
        remix_approval="automatic",
        changed_at=ALICE.created_at,
    )
    await federation.events.publish(announced)
    assert await policy_of(federation, "p1") == AUTOMATIC


async def test_a_repeated_registration_does_not_undo_a_later_change(
    federation: FederationHarness,
) -> None:
    await federation.events.publish(
        published("p1", ALICE.id), changed(ALICE.id, "nobody", "automatic", 1)
    )
    await federation.events.register(ALICE)

    assert await policy_of(federation, "p1") == MANUAL
