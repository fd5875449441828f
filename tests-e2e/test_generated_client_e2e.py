"""A third party's client: generated from the gateway's /openapi.json, it runs the core story.

openapi-python-client (a maintained generator nobody here wrote) writes a Python package from
the document the stack serves; the story then goes through that package only: sign up and
in, a co-authored post, the invitation accepted, the follower's timeline, the notifications,
and typed refusals. A change to the document that breaks generated clients fails here.
"""

import importlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from uuid import uuid4

import httpx
import pytest
from conftest import E2E_PASSWORD

from shared.testing import wait_until

PACKAGE = "copost_client"
GENERATOR = Path(sys.executable).with_name("openapi-python-client")
# No formatting of the generated code (it is read by nobody): the generator's default runs
# ruff over it, which only costs time here.
# The export's zip is bytes to the generator, which knows binary answers by the name
# application/octet-stream only (its documented override for other binary types).
GENERATOR_CONFIG = {
    "package_name_override": PACKAGE,
    "post_hooks": [],
    "content_type_overrides": {"application/zip": "application/octet-stream"},
}
GENERATION_TIMEOUT_SECONDS = 120


@pytest.fixture(scope="module")
def api(stack: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The generated package, imported; its `api` and `models` modules are what a caller uses."""
    where = tmp_path_factory.mktemp("generated-client")
    document = where / "openapi.json"
    document.write_text(httpx.get(f"{stack}/openapi.json", timeout=15).text)
    config = where / "config.json"
    config.write_text(json.dumps(GENERATOR_CONFIG))
    command = [str(GENERATOR), "generate", "--path", str(document), "--config", str(config)]
    command += ["--meta", "none", "--output-path", str(where / PACKAGE), "--fail-on-warning"]
    subprocess.run(  # noqa: S603 - the workspace's own generator, on a file written above
        command,
        check=True,
        capture_output=True,
        timeout=GENERATION_TIMEOUT_SECONDS,
    )
    sys.path.insert(0, str(where))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(where))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def _module(api: ModuleType, name: str) -> Any:
    return importlib.import_module(f"{api.__name__}.{name}")


async def _signed_up(api: ModuleType, stack: str, prefix: str) -> tuple[Any, str]:
    """A new account, and a client of the generated package that sends its token."""
    models = _module(api, "models")
    handle = f"{prefix}_{uuid4().hex[:8]}"
    anonymous = api.Client(base_url=stack, raise_on_unexpected_status=True)
    register = _module(api, "api.users.users_register")
    created = await register.asyncio(
        client=anonymous,
        body=models.RegisterRequest(handle=handle, password=E2E_PASSWORD, display_name=prefix),
    )
    assert isinstance(created, models.PublicUser), created
    sign_in = _module(api, "api.users.users_sign_in")
    token = await sign_in.asyncio(
        client=anonymous, body=models.TokenRequest(handle=handle, password=E2E_PASSWORD)
    )
    assert isinstance(token, models.TokenResponse), token
    client = api.AuthenticatedClient(
        base_url=stack, token=token.access_token, raise_on_unexpected_status=True
    )
    return client, handle


async def test_a_generated_client_runs_the_core_story(api: ModuleType, stack: str) -> None:
    models = _module(api, "models")
    ada, _ = await _signed_up(api, stack, "ada")
    bob, bob_handle = await _signed_up(api, stack, "bob")
    cat, _ = await _signed_up(api, stack, "cat")
    ada_handle = (await _module(api, "api.users.users_me").asyncio(client=ada)).handle

    update_me = _module(api, "api.users.users_update_me")
    policy = models.UpdateMeRequest(collab_policy=models.CollabPolicy.EVERYONE)
    assert (await update_me.asyncio(client=bob, body=policy)).collab_policy == "everyone"
    # The follow's body is optional: called without one, the generated code sends none.
    follow = _module(api, "api.users.users_follow")
    assert (await follow.asyncio_detailed(handle=ada_handle, client=cat)).status_code == 204

    create = _module(api, "api.posts.posts_create")
    post = await create.asyncio(
        client=ada,
        body=models.CreatePostRequest(
            text="Written together, read through a generated client.",
            coauthors=[bob_handle],
            publish_mode=models.CreatePostRequestPublishMode.WHEN_ACCEPTED,
        ),
    )
    assert isinstance(post, models.PostOut), post
    assert post.status == "pending"

    invitation = await wait_until(lambda: _invitation_to(api, bob, post.id), timeout=15)
    accepted = await _module(api, "api.invitations.invitations_accept").asyncio(
        invitation_id=invitation.id, client=bob
    )
    assert isinstance(accepted, models.Invitation), accepted
    assert accepted.status == "accepted"

    timeline = await wait_until(lambda: _timeline_with(api, cat, post.id), timeout=15)
    [seen] = [item for item in timeline.items if item.id == post.id]
    assert seen.status == "published"
    assert [coauthor.user.handle for coauthor in seen.coauthors] == [bob_handle]

    notifications = await wait_until(
        lambda: _notification_of(api, ada, "invitation.accepted"), timeout=15
    )
    assert notifications.unread_count >= 1


async def test_refusals_arrive_typed_as_problems(api: ModuleType, stack: str) -> None:
    models = _module(api, "models")
    ada, _ = await _signed_up(api, stack, "ada")

    missing = await _module(api, "api.posts.posts_get").asyncio_detailed(
        post_id=uuid4().hex, client=ada
    )
    invalid = await _module(api, "api.posts.posts_create").asyncio_detailed(
        client=ada, body=models.CreatePostRequest(text="x" * 10_001)
    )
    anonymous = api.AuthenticatedClient(base_url=stack, token="not-a-token")
    refused = await _module(api, "api.users.users_me").asyncio_detailed(client=anonymous)

    assert isinstance(missing.parsed, models.Problem)
    assert missing.parsed.status == 404
    assert isinstance(invalid.parsed, models.ValidationProblem)
    assert [issue.loc for issue in invalid.parsed.errors] == [["body", "text"]]
    assert isinstance(refused.parsed, models.Problem)
    assert refused.parsed.status == 401


async def _invitation_to(api: ModuleType, invitee: Any, post_id: str) -> Any:
    page = await _module(api, "api.invitations.invitations_list").asyncio(client=invitee, limit=100)
    return next((item for item in page.items if item.post_id == post_id), None)


async def _timeline_with(api: ModuleType, reader: Any, post_id: str) -> Any:
    page = await _module(api, "api.timeline.timeline_home").asyncio(client=reader)
    return page if any(item.id == post_id for item in page.items) else None


async def _notification_of(api: ModuleType, account: Any, kind: str) -> Any:
    page = await _module(api, "api.notifications.notifications_list").asyncio(client=account)
    return page if any(item.type_ == kind for item in page.items) else None
