"""Whom the gateway believes about a client's address, and the sign-in allowance per address."""

import pytest

from gateway.domain import client_address, parse_networks
from services.gateway.tests.conftest import GatewayFactory, Signer, asserted_caller

INGRESS = parse_networks(["10.0.0.0/8"])


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "expected"),
    [
        # No trusted proxy: the header is the client's own words.
        ("203.0.113.9", ["1.2.3.4"], "203.0.113.9"),
        # Through the ingress: the hop it appended, not what the client wrote before it.
        ("10.1.2.3", ["1.2.3.4, 198.51.100.7"], "198.51.100.7"),
        ("10.1.2.3", ["1.2.3.4", "198.51.100.7, 10.9.9.9"], "198.51.100.7"),
        ("10.1.2.3", [], "10.1.2.3"),
        ("10.1.2.3", ["not-an-address"], "not-an-address"),
    ],
)
def test_x_forwarded_for_is_believed_only_from_a_trusted_proxy_and_only_its_last_hop(
    peer: str, forwarded_for: list[str], expected: str
) -> None:
    assert client_address(peer, forwarded_for, INGRESS) == expected


async def test_a_random_x_forwarded_for_does_not_escape_the_per_address_limit(
    start_gateway: GatewayFactory,
) -> None:
    """The issue's bypass: a fresh X-Forwarded-For per request was a fresh allowance."""
    gateway = await start_gateway(ip_rate_limit_per_minute=1, ip_rate_limit_burst=2)

    statuses = [
        (await gateway.get("/healthz-not", headers={"X-Forwarded-For": f"192.0.2.{n}"})).status_code
        for n in range(3)
    ]

    assert statuses[-1] == 429


async def test_behind_a_trusted_proxy_each_client_address_has_its_own_allowance(
    start_gateway: GatewayFactory,
) -> None:
    gateway = await start_gateway(
        ip_rate_limit_per_minute=1, ip_rate_limit_burst=1, trusted_proxies="127.0.0.1"
    )

    first = await gateway.get("/nowhere", headers={"X-Forwarded-For": "192.0.2.1"})
    other = await gateway.get("/nowhere", headers={"X-Forwarded-For": "192.0.2.2"})
    again = await gateway.get("/nowhere", headers={"X-Forwarded-For": "192.0.2.1"})

    assert (first.status_code, other.status_code, again.status_code) == (404, 404, 429)


async def test_sign_ins_from_one_address_get_a_small_allowance_other_calls_do_not_count(
    start_gateway: GatewayFactory, signer: Signer
) -> None:
    gateway = await start_gateway(login_rate_limit_per_minute=1, login_rate_limit_burst=2)
    token = {"Authorization": f"Bearer {signer.token('alice-id')}"}

    sign_ins = [(await gateway.post("/v1/auth/token", json={})).status_code for _ in range(3)]
    other = await gateway.get("/v1/me", headers=token)

    assert sign_ins == [200, 200, 429]
    assert other.status_code == 200


@pytest.mark.parametrize(
    ("trusted_proxies", "header", "expected"),
    [
        # From a trusted proxy: its word, signed into the assertion.
        ("127.0.0.1", "fr", "FR"),
        # From anyone else: the client's own words, never believed.
        ("10.0.0.0/8", "FR", None),
        # Not a country: a CDN's "unknown", or garbage.
        ("127.0.0.1", "XX", None),
        ("127.0.0.1", "France", None),
    ],
)
async def test_the_country_is_a_trusted_proxys_word_signed_into_the_assertion(
    start_gateway: GatewayFactory,
    signer: Signer,
    trusted_proxies: str,
    header: str,
    expected: str | None,
) -> None:
    """Issue 23: the limited test by country was self-declared (PATCH /v1/me `country`)."""
    gateway = await start_gateway(trusted_proxies=trusted_proxies, country_header="CF-IPCountry")

    response = await gateway.get(
        "/v1/me",
        headers={"Authorization": f"Bearer {signer.token('alice-id')}", "CF-IPCountry": header},
    )

    assert response.status_code == 200
    assert asserted_caller(response.json()).country == expected


async def test_a_refused_address_spends_nothing_of_its_callers_allowance(
    start_gateway: GatewayFactory, signer: Signer
) -> None:
    """From the second request on the token is known, and both limits are counted together:
    in the same order as before, the address first."""
    gateway = await start_gateway(
        ip_rate_limit_per_minute=1,
        ip_rate_limit_burst=2,
        user_rate_limit_per_minute=1,
        user_rate_limit_burst=3,
        trusted_proxies="127.0.0.1",
    )
    token = {"Authorization": f"Bearer {signer.token('carol-id')}"}

    def from_address(address: str) -> dict[str, str]:
        return token | {"X-Forwarded-For": address}

    answers = [
        await gateway.get("/v1/me", headers=from_address(address))
        for address in ("192.0.2.1", "192.0.2.1", "192.0.2.1", "192.0.2.2", "192.0.2.3")
    ]

    assert [answer.status_code for answer in answers] == [200, 200, 429, 200, 429]
    assert "client address" in answers[2].json()["detail"]
    assert "user" in answers[4].json()["detail"]


async def test_an_address_over_its_limit_is_refused_before_its_token_is_checked(
    start_gateway: GatewayFactory,
) -> None:
    gateway = await start_gateway(ip_rate_limit_per_minute=1, ip_rate_limit_burst=1)
    forged = {"Authorization": "Bearer not-a-token"}

    first = await gateway.get("/v1/me", headers=forged)
    second = await gateway.get("/v1/me", headers=forged)

    assert (first.status_code, second.status_code) == (401, 429)
