"""Signing-key rotation: the JWKS shows the next key before it signs and the previous one after."""

from datetime import UTC, datetime
from pathlib import Path

import jwt

from users.accounts.tokens import TokenIssuer
from users.settings import UsersSettings


def kids(issuer: TokenIssuer) -> list[str]:
    return [key["kid"] for key in issuer.jwks()["keys"]]


def signing_kid(issuer: TokenIssuer) -> str:
    token = issuer.issue("u-1", datetime.now(UTC)).access_token
    return str(jwt.get_unverified_header(token)["kid"])


def test_a_rotation_invalidates_no_token_and_surprises_no_gateway(tmp_path: Path) -> None:
    current, following, previous = (tmp_path / f"{name}.pem" for name in ("c", "n", "p"))
    settings = UsersSettings(
        jwt_private_key_file=current,
        jwt_next_private_key_file=following,
        jwt_previous_private_key_file=previous,
    )
    before = TokenIssuer.from_settings(settings)
    old_signer = signing_kid(before)
    assert len(kids(before)) == 2  # current and next; no previous yet

    current.rename(previous)
    following.rename(current)
    after = TokenIssuer.from_settings(settings)

    assert signing_kid(after) in kids(before)  # gateways knew the new signing key already
    assert old_signer in kids(after)  # tokens signed before the rotation still verify
    assert len(kids(after)) == 3
