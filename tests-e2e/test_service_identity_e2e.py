"""Issue 9's attacks from inside the network: calling a service's own port, not the gateway.

A process that reaches a service port must not act as anyone: a bare or forged identity
header is 401, `/internal/*` refuses a caller without a credential, and nothing changes.
"""

import socket
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from collaboration import create_post, received_invitation
from conftest import E2EUser, NewUser
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from stack import BACKEND_PORT_OFFSETS

from shared.identity import AssertionSigner

# Service ports are published only by the local stack: skipped on any other.
pytestmark = pytest.mark.usefixtures("local_processes")


def service_url(gateway_url: str, service: str) -> str:
    """A service's own port in the local stack, next to the gateway's."""
    gateway_port = httpx.URL(gateway_url).port
    assert gateway_port is not None
    return f"http://127.0.0.1:{gateway_port + BACKEND_PORT_OFFSETS[service]}"


def forged_identity(user_id: str) -> dict[str, str]:
    """The issue's attack: the header services used to trust, with no token at all."""
    return {"X-CoPost-User-Id": user_id}


def self_signed_assertion(claimed_caller: str, service: str, user_id: str | None) -> dict[str, str]:
    """An assertion in the right shape, signed with a key the services do not know."""
    signer = AssertionSigner(claimed_caller, Ed25519PrivateKey.generate())
    return signer.headers(service, user_id, method="GET", target="/")


@pytest.fixture
async def direct(stack: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=15.0) as client:
        yield client


def unknown_key_assertion(user_id: str) -> dict[str, str]:
    return self_signed_assertion("gateway", "users", user_id)


@pytest.mark.parametrize("forge", [forged_identity, unknown_key_assertion])
async def test_a_forged_identity_on_a_service_port_reads_nothing_and_changes_nothing(
    stack: str,
    direct: httpx.AsyncClient,
    new_user: NewUser,
    forge: Callable[[str], dict[str, str]],
) -> None:
    ada = await new_user("ada", display_name="Ada")
    bob = await new_user("bob", collab_policy="everyone")
    post = await create_post(ada, "co-written, pending", [bob], mode="when_accepted")
    invitation = await received_invitation(bob, post["id"])

    def url(service: str, path: str) -> str:
        return service_url(stack, service) + path

    attempts = [
        ("GET", url("notifications", "/v1/notifications"), None),
        ("GET", url("posts", f"/v1/posts/{post['id']}"), None),
        ("GET", url("invitations", f"/v1/invitations/{invitation['id']}"), None),
        ("GET", url("timeline", "/v1/timeline"), None),
        ("PATCH", url("users", "/v1/me"), {"display_name": "Pwned"}),
        ("DELETE", url("users", "/v1/me"), None),
    ]
    for method, target, body in attempts:
        victim = bob if "invitations" in target or "notifications" in target else ada
        response = await direct.request(method, target, json=body, headers=forge(victim.id))
        assert response.status_code == 401, (method, target, response.text)

    await _unchanged(ada, post["id"], invitation["id"], bob)


async def _unchanged(ada: E2EUser, post_id: str, invitation_id: str, bob: E2EUser) -> None:
    me = await ada.client.get("/v1/me")
    assert me.status_code == 200
    assert me.json()["display_name"] == "Ada"
    assert (await ada.client.get(f"/v1/posts/{post_id}")).json()["status"] == "pending"
    invitation = (await bob.client.get(f"/v1/invitations/{invitation_id}")).json()
    assert invitation["status"] == "pending"


async def test_an_assertion_for_one_service_is_refused_by_another(
    stack: str, direct: httpx.AsyncClient, new_user: NewUser
) -> None:
    """Replaying what the gateway sent one service to another service gets nothing."""
    ada = await new_user("ada")
    self_signed = self_signed_assertion("gateway", "posts", ada.id)

    response = await direct.get(service_url(stack, "users") + "/v1/me", headers=self_signed)

    assert response.status_code == 401


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/internal/eligibility", {"inviter_id": "x", "invitee_handles": ["y"]}),
        ("GET", "/internal/deleted-users?since=2020-01-01T00:00:00Z", None),
    ],
)
async def test_internal_routes_refuse_a_caller_without_a_service_credential(
    stack: str, direct: httpx.AsyncClient, method: str, path: str, body: object
) -> None:
    target = service_url(stack, "users") + path
    anonymous = await direct.request(method, target, json=body)
    forged = await direct.request(
        method, target, json=body, headers=self_signed_assertion("posts", "users", None)
    )
    assert (anonymous.status_code, forged.status_code) == (401, 401)


def _non_loopback_address() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))  # no packet is sent: this only picks a route
        except OSError:
            return None
        address: str = probe.getsockname()[0]
    return None if address.startswith("127.") else address


async def test_services_listen_on_loopback_only(stack: str) -> None:
    """`make run` binds every service to 127.0.0.1: other addresses of the host refuse."""
    address = _non_loopback_address()
    if address is None:
        pytest.skip("this host has no address but loopback")
    for service in BACKEND_PORT_OFFSETS:
        port = httpx.URL(service_url(stack, service)).port
        with (
            pytest.raises(ConnectionRefusedError),
            socket.create_connection((address, port or 0), timeout=2),
        ):
            pass
