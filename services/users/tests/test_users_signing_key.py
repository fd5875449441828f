"""The token signing key: kept in a private file when one is configured, stable across starts."""

import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from users.accounts.tokens import TokenIssuer, jwk_thumbprint, load_or_create_signing_key


def test_a_missing_key_file_is_created_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "jwt.pem"
    first = load_or_create_signing_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_signing_key(path).kid == first.kid


def test_replicas_starting_at_once_all_read_the_one_key_written_whole(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "jwt.pem"
    starters = 8
    together = threading.Barrier(starters)

    def start() -> str:
        together.wait()
        return load_or_create_signing_key(path).kid

    with ThreadPoolExecutor(starters) as pool:
        kids = list(pool.map(lambda _: start(), range(starters)))

    assert len(set(kids)) == 1
    assert [entry.name for entry in path.parent.iterdir()] == ["jwt.pem"]  # no draft left


def test_without_a_key_file_each_start_gets_a_new_ephemeral_key() -> None:
    assert load_or_create_signing_key(None).kid != load_or_create_signing_key(None).kid


def test_the_kid_is_the_rfc_7638_thumbprint() -> None:
    # RFC 8037 appendix A.3: the thumbprint of its example Ed25519 key.
    key = jwt.PyJWK(
        {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    ).key
    assert jwk_thumbprint(key) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_issued_tokens_carry_every_required_claim() -> None:
    key = load_or_create_signing_key(None)
    issuer = TokenIssuer(key, issuer="iss", audience="aud", ttl_seconds=60)
    token = issuer.issue("user-1", datetime.now(UTC)).access_token
    public = key.private_key.public_key()
    assert isinstance(key.private_key, Ed25519PrivateKey)
    claims = jwt.decode(token, public, algorithms=["EdDSA"], audience="aud", issuer="iss")
    assert set(claims) == {"sub", "iss", "aud", "iat", "exp"}
