"""The gateway remembers verified tokens, but never past their expiry, key or account."""

import time
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway.auth import InvalidToken, JwksCache, RevokedUsers, TokenVerifier
from services.gateway.tests.conftest import AUDIENCE, ISSUER, Signer, public_jwk

JWKS_URL = "http://users.test/.well-known/jwks.json"


class Keys:
    """The key set the users service publishes, and how often it was fetched."""

    def __init__(self, signer: Signer) -> None:
        self.published = [public_jwk(signer.private_key, signer.kid)]
        self.fetches = 0

    def answer(self, _: httpx.Request) -> httpx.Response:
        self.fetches += 1
        return httpx.Response(200, json={"keys": self.published})


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def signer() -> Signer:
    return Signer(Ed25519PrivateKey.generate())


@pytest.fixture
def keys(signer: Signer) -> Keys:
    return Keys(signer)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def revoked() -> RevokedUsers:
    return RevokedUsers(900)


@pytest.fixture
async def verifier(keys: Keys, clock: Clock, revoked: RevokedUsers) -> Any:
    async with httpx.AsyncClient(transport=httpx.MockTransport(keys.answer)) as client:
        jwks = JwksCache(client, JWKS_URL, refetch_min_seconds=0, refresh_seconds=300)
        await jwks.refresh()
        yield (
            TokenVerifier(
                jwks,
                revoked,
                issuer=ISSUER,
                audience=AUDIENCE,
                leeway_seconds=5,
                max_lifetime_seconds=900,
                clock=clock,
            ),
            jwks,
        )


def count_verifications(verifier: TokenVerifier, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tokens the verifier checks with PyJWT from now on."""
    checked: list[str] = []
    verify = verifier._verify

    async def counted(token: str) -> Any:
        checked.append(token)
        return await verify(token)

    monkeypatch.setattr(verifier, "_verify", counted)
    return checked


async def test_a_remembered_token_is_not_verified_again_until_it_expires(
    verifier: Any, signer: Signer, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    token_verifier, _ = verifier
    now = int(clock.now)
    token = signer.token("user-1", iat=now, exp=now + 60)
    checked = count_verifications(token_verifier, monkeypatch)

    for _ in range(3):
        assert await token_verifier.user_id_of(token) == "user-1"
    assert checked == [token]

    clock.now = now + 60 + 5  # the expiry plus the leeway: still accepted by PyJWT too
    assert await token_verifier.user_id_of(token) == "user-1"
    assert checked == [token]

    clock.now += 1  # past it: checked again (and there PyJWT's clock decides)
    await token_verifier.user_id_of(token)
    assert checked == [token, token]


async def test_a_remembered_token_of_a_deleted_account_is_refused(
    verifier: Any, signer: Signer, revoked: RevokedUsers
) -> None:
    token_verifier, _ = verifier
    token = signer.token("user-2")
    assert await token_verifier.user_id_of(token) == "user-2"

    revoked.add(["user-2"])

    with pytest.raises(InvalidToken, match="no longer exists"):
        await token_verifier.user_id_of(token)


async def test_a_remembered_token_is_refused_once_its_key_is_retired(
    verifier: Any, signer: Signer, keys: Keys
) -> None:
    token_verifier, jwks = verifier
    token = signer.token("user-3")
    assert await token_verifier.user_id_of(token) == "user-3"

    keys.published = [public_jwk(Ed25519PrivateKey.generate(), "key-2")]
    await jwks.refresh()

    with pytest.raises(InvalidToken, match="not valid"):
        await token_verifier.user_id_of(token)
