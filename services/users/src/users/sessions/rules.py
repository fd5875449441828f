"""Refresh tokens as values: what one is, how it is stored (hashed), and the refusal."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.problems import Unauthorized

# The refresh token's cookie: HttpOnly, SameSite=Strict, sent back to /v1/auth only.
REFRESH_COOKIE = "copost_refresh"
REFRESH_COOKIE_PATH = "/v1/auth"


class SessionEnded(Unauthorized):
    """Unknown, expired, spent or revoked: the same 401 whatever the reason."""

    def __init__(self) -> None:
        super().__init__("This session has ended; sign in again.")


def token_hash(token: str) -> str:
    """How a refresh token is stored and found: its SHA-256 (the token has 256 random bits,
    so no salt or slow hash is needed, and a copy of the database holds no usable token)."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class RefreshToken:
    """One refresh token of a family: the chain of tokens rotated from one sign-in."""

    token: str
    family_id: str
    user_id: str
    issued_at: datetime
    expires_at: datetime

    @classmethod
    def new(
        cls, user_id: str, family_id: str | None, now: datetime, lifetime: timedelta
    ) -> "RefreshToken":
        return cls(
            token=secrets.token_urlsafe(32),
            family_id=family_id or secrets.token_hex(16),
            user_id=user_id,
            issued_at=now,
            expires_at=now + lifetime,
        )

    def expires_in(self, now: datetime) -> int:
        return max(0, int((self.expires_at - now).total_seconds()))
