"""Session use cases: start one at sign-in, rotate its refresh token, end it."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.clock import utc_now
from users.accounts.schemas import TokenResponse
from users.accounts.tokens import IssuedToken, TokenIssuer
from users.core.repository import AccountRepository
from users.sessions.repository import RefreshTokenRepository
from users.sessions.rules import RefreshToken, SessionEnded


@dataclass(frozen=True, slots=True)
class Renewed:
    token: TokenResponse
    refresh: RefreshToken


def token_response(access: IssuedToken, refresh: RefreshToken, now: datetime) -> TokenResponse:
    return TokenResponse(
        access_token=access.access_token,
        expires_in=access.expires_in,
        refresh_token=refresh.token,
        refresh_expires_in=refresh.expires_in(now),
    )


@dataclass(frozen=True, slots=True)
class SessionCommands:
    accounts: AccountRepository
    refresh_tokens: RefreshTokenRepository
    tokens: TokenIssuer
    lifetime: timedelta

    async def start(self, user_id: str, now: datetime) -> RefreshToken:
        """A new family, for a sign-in."""
        refresh = RefreshToken.new(user_id, None, now, self.lifetime)
        await self.refresh_tokens.insert(refresh)
        return refresh

    async def refresh(self, token: str | None) -> Renewed:
        """A new access token and the family's next refresh token; `token` is spent.

        A token presented again after it was spent is taken as stolen (either its owner or
        a thief used it first): the whole family is revoked (OAuth 2.0 Security BCP, 4.14)."""
        if not token:
            raise SessionEnded()
        now = utc_now()
        spent = await self.refresh_tokens.spend(token, now)
        if spent is None:
            known = await self.refresh_tokens.find(token)
            if known is not None:
                await self.refresh_tokens.revoke_family(known["family_id"])
            raise SessionEnded()
        user_id: str = spent["user_id"]
        if await self.accounts.account(user_id) is None:
            await self.refresh_tokens.revoke_all_of(user_id)
            raise SessionEnded()
        refresh = RefreshToken.new(user_id, spent["family_id"], now, self.lifetime)
        await self.refresh_tokens.insert(refresh)
        return Renewed(token_response(self.tokens.issue(user_id, now), refresh, now), refresh)

    async def end(self, user_id: str, token: str | None) -> None:
        """Sign-out: the family of `token` if it is the caller's, else all of theirs."""
        known = await self.refresh_tokens.find(token) if token else None
        if known is not None and known["user_id"] == user_id:
            await self.refresh_tokens.revoke_family(known["family_id"])
        else:
            await self.refresh_tokens.revoke_all_of(user_id)
