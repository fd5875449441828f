"""Access tokens: the Ed25519 signing key, EdDSA JWTs, and the JWKS that lets others verify them."""

import base64
import hashlib
import json
import logging
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from users.settings import UsersSettings

log = logging.getLogger(__name__)

ALGORITHM = "EdDSA"
# The audience of device tokens: never an access token's, so the gateway refuses them as one.
DEVICE_AUDIENCE = "copost-device"


@dataclass(frozen=True)
class SigningKey:
    private_key: Ed25519PrivateKey
    kid: str

    @classmethod
    def of(cls, private_key: Ed25519PrivateKey) -> "SigningKey":
        return cls(private_key, jwk_thumbprint(private_key.public_key()))

    def public_jwk(self) -> dict[str, str]:
        return {
            **_okp_members(self.private_key.public_key()),
            "kid": self.kid,
            "alg": ALGORITHM,
            "use": "sig",
        }


def jwk_thumbprint(public_key: Ed25519PublicKey) -> str:
    """RFC 7638: SHA-256 of the required members, sorted and without whitespace."""
    canonical = json.dumps(_okp_members(public_key), sort_keys=True, separators=(",", ":"))
    return _b64url(hashlib.sha256(canonical.encode()).digest())


def _okp_members(public_key: Ed25519PublicKey) -> dict[str, str]:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"crv": "Ed25519", "kty": "OKP", "x": _b64url(raw)}


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def load_or_create_signing_key(path: Path | None) -> SigningKey:
    if path is None:
        log.warning(
            "JWT_PRIVATE_KEY_FILE is not set: using an ephemeral signing key; "
            "tokens will not survive a restart and replicas will not share them"
        )
        return SigningKey.of(Ed25519PrivateKey.generate())
    if not path.exists():
        _create_key_file(path)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return SigningKey.of(key)


def _create_key_file(path: Path) -> None:
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written whole under a name of its own, then linked to `path`, which fails if it exists:
    # when two replicas start at once, the second reads the first one's key, never a file
    # still being written.
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as key_file:
            key_file.write(pem)
        os.link(draft, path)
    except FileExistsError:
        return
    finally:
        draft.unlink()
    log.info("created a new signing key file", extra={"path": str(path)})


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int


def load_published_keys(next_key: Path | None, previous_key: Path | None) -> list[SigningKey]:
    """The keys the JWKS shows beside the signing one.

    The next key (created when missing) is known to every gateway before it signs anything;
    the previous one (only if its file exists) still verifies tokens issued before a rotation.
    Rotating: previous <- current, current <- next, and a new next is created at start.
    """
    keys = [load_or_create_signing_key(next_key)] if next_key is not None else []
    if previous_key is not None and previous_key.exists():
        keys.append(load_or_create_signing_key(previous_key))
    return keys


class TokenIssuer:
    def __init__(
        self,
        key: SigningKey,
        *,
        issuer: str,
        audience: str,
        ttl_seconds: int,
        device_ttl_seconds: int = 365 * 86_400,
        published: list[SigningKey] | None = None,
    ) -> None:
        self._key = key
        self._published = [k for k in published or [] if k.kid != key.kid]
        self._issuer = issuer
        self._audience = audience
        self._ttl_seconds = ttl_seconds
        self._device_ttl_seconds = device_ttl_seconds

    @classmethod
    def from_settings(cls, settings: UsersSettings) -> "TokenIssuer":
        return cls(
            load_or_create_signing_key(settings.jwt_private_key_file),
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            ttl_seconds=settings.access_token_ttl_seconds,
            device_ttl_seconds=settings.login_device_ttl_days * 86_400,
            published=load_published_keys(
                settings.jwt_next_private_key_file, settings.jwt_previous_private_key_file
            ),
        )

    def issue(self, user_id: str, now: datetime) -> IssuedToken:
        claims: dict[str, Any] = {
            "sub": user_id,
            "iss": self._issuer,
            "aud": self._audience,
            "iat": now,
            "exp": now + timedelta(seconds=self._ttl_seconds),
        }
        token = jwt.encode(
            claims, self._key.private_key, algorithm=ALGORITHM, headers={"kid": self._key.kid}
        )
        return IssuedToken(access_token=token, expires_in=self._ttl_seconds)

    def issue_device(self, user_id: str, device: str, now: datetime) -> IssuedToken:
        """A device token (OWASP's device cookie): this client signed in to `user_id` once,
        so its wrong passwords count in a budget of their own (`device`, kept on renewal)."""
        claims: dict[str, Any] = {
            "sub": user_id,
            "jti": device,
            "iss": self._issuer,
            "aud": DEVICE_AUDIENCE,
            "iat": now,
            "exp": now + timedelta(seconds=self._device_ttl_seconds),
        }
        token = jwt.encode(
            claims, self._key.private_key, algorithm=ALGORITHM, headers={"kid": self._key.kid}
        )
        return IssuedToken(access_token=token, expires_in=self._device_ttl_seconds)

    def device_of(self, token: str | None, user_id: str) -> str | None:
        """The device id of a valid device token of `user_id`; None for anything else."""
        if not token:
            return None
        keys = {key.kid: key for key in (self._key, *self._published)}
        try:
            key = keys.get(jwt.get_unverified_header(token).get("kid", ""))
            if key is None:
                return None
            claims = jwt.decode(
                token,
                key.private_key.public_key(),
                algorithms=[ALGORITHM],
                audience=DEVICE_AUDIENCE,
                issuer=self._issuer,
                options={"require": ["sub", "jti", "exp"]},
            )
        except jwt.PyJWTError:
            return None
        device = claims["jti"]
        return device if claims["sub"] == user_id and isinstance(device, str) else None

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        return {"keys": [key.public_jwk() for key in (self._key, *self._published)]}
