"""Who the caller is: bearer tokens checked against the users' keys and deleted accounts."""

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
from fastapi import Request
from pydantic import ValidationError

from gateway.domain import QUERY_TOKEN_PARAMETER, accepts_query_token, bearer_token
from gateway.schemas import DeletedUsers, JsonWebKeySet
from shared.periodic import PeriodicTask
from shared.problems import Unauthorized

log = logging.getLogger(__name__)

# Fixed, never read from the token: accepting the token's own `alg` is how `none` and
# HS256-with-the-public-key forgeries get in.
ALGORITHMS = ["EdDSA"]
REQUIRED_CLAIMS = ["exp", "iat", "sub", "aud", "iss"]

type Clock = Callable[[], float]


class InvalidToken(Unauthorized):
    def __init__(self, detail: str = "The bearer token is not valid.") -> None:
        super().__init__(detail)
        self.headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


class JwksCache:
    """The users service's public keys by key id, fetched at start and again for an unknown kid."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        url: str,
        *,
        refetch_min_seconds: float,
        refresh_seconds: float,
        clock: Clock = time.monotonic,
    ) -> None:
        self._client = client
        self._url = url
        self._refetch_min_seconds = refetch_min_seconds
        # Periodically too, so a next key published ahead of a rotation is known before use
        # and a retired one stops being accepted.
        self._refresh_seconds = refresh_seconds
        self._refresher = PeriodicTask(
            "jwks-refresh", self._refresh, interval_seconds=refresh_seconds
        )
        self._clock = clock
        self._keys: dict[str, jwt.PyJWK] = {}
        self._last_fetch_at: float | None = None
        self._lock = asyncio.Lock()

    @property
    def is_loaded(self) -> bool:
        return bool(self._keys)

    async def refresh(self) -> bool:
        """Fetch the key set; keep the keys we had when the users service does not answer."""
        self._last_fetch_at = self._clock()
        try:
            response = await self._client.get(self._url)
            response.raise_for_status()
            key_set = JsonWebKeySet.model_validate(response.json())
        except (httpx.HTTPError, ValueError, ValidationError) as exc:
            log.warning("JWKS fetch failed", extra={"url": self._url, "error": repr(exc)})
            return False
        keys = dict(_usable_keys(key_set.keys))
        if not keys:
            log.warning("JWKS holds no usable EdDSA key", extra={"url": self._url})
            return False
        self._keys = keys
        return True

    async def _refresh(self) -> None:
        last = self._last_fetch_at
        # Skipped when a fetch just happened (at start, or for an unknown key id).
        if last is None or self._clock() - last >= self._refresh_seconds / 2:
            await self.refresh()

    def start(self) -> None:
        self._refresher.start()

    async def stop(self) -> None:
        await self._refresher.stop()

    async def ensure_loaded(self) -> bool:
        """Whether keys are loaded, trying a (rate-bounded) fetch first when none are."""
        if not self._keys:
            await self._refetch_if_due()
        return self.is_loaded

    def knows(self, kid: str) -> bool:
        return kid in self._keys

    async def key_for(self, kid: str) -> jwt.PyJWK | None:
        if key := self._keys.get(kid):
            return key
        await self._refetch_if_due()
        return self._keys.get(kid)

    async def _refetch_if_due(self) -> None:
        # One fetch at a time, and a bounded rate: random kids must not flood the users service.
        async with self._lock:
            last = self._last_fetch_at
            if last is not None and self._clock() - last < self._refetch_min_seconds:
                return
            await self.refresh()


def _usable_keys(jwks: Iterable[dict[str, Any]]) -> Iterable[tuple[str, jwt.PyJWK]]:
    for entry in jwks:
        kid = entry.get("kid")
        signs = entry.get("kty") == "OKP" and entry.get("use", "sig") == "sig"
        if not isinstance(kid, str) or not signs:
            continue
        try:
            key = jwt.PyJWK(entry, algorithm="EdDSA")
        except jwt.PyJWKError:
            continue
        yield kid, key


class RevokedUsers:
    """Accounts deleted recently: their unexpired tokens must stop working at once.

    An id is kept for as long as a token issued before the deletion can live, then dropped.
    """

    def __init__(self, retention_seconds: float, *, clock: Clock = time.monotonic) -> None:
        self._retention_seconds = retention_seconds
        self._clock = clock
        self._forget_at: dict[str, float] = {}

    def add(self, user_ids: Iterable[str]) -> None:
        now = self._clock()
        for user_id in user_ids:
            self._forget_at.setdefault(user_id, now + self._retention_seconds)
        self._prune(now)

    def __contains__(self, user_id: object) -> bool:
        return user_id in self._forget_at

    def __len__(self) -> int:
        return len(self._forget_at)

    def _prune(self, now: float) -> None:
        expired = [user_id for user_id, at in self._forget_at.items() if at <= now]
        for user_id in expired:
            del self._forget_at[user_id]


class DeletedUsersPoller:
    """Asks the users service, every few seconds, which accounts were deleted since last time."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        revoked: RevokedUsers,
        *,
        interval_seconds: float,
        lookback_seconds: float,
    ) -> None:
        self._client = client
        self._revoked = revoked
        self._loop = PeriodicTask(
            "deleted-users-poller", self._poll, interval_seconds=interval_seconds
        )
        # Tokens issued before the gateway started may belong to accounts deleted since.
        self._since = datetime.now(UTC) - timedelta(seconds=lookback_seconds)

    async def poll_once(self) -> bool:
        try:
            response = await self._client.get(
                "/internal/deleted-users", params={"since": self._since.isoformat()}
            )
            response.raise_for_status()
            deleted = DeletedUsers.model_validate(response.json())
        except (httpx.HTTPError, ValueError, ValidationError) as exc:
            log.warning("deleted-users poll failed", extra={"error": repr(exc)})
            return False
        self._revoked.add(deleted.user_ids)
        self._since = deleted.as_of
        return True

    async def _poll(self) -> None:
        await self.poll_once()

    def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()


# Tokens verified already, so a client's next requests skip the signature check (0.17 ms
# of the gateway's CPU per request): bounded, the oldest forgotten first.
VERIFIED_TOKENS_KEPT = 10_000


@dataclass(frozen=True)
class _VerifiedToken:
    user_id: str
    kid: str
    expires_at: float


class TokenVerifier:
    """Turns a bearer token into the verified user id, or refuses it with a 401.

    A verified token is remembered until it expires, or until its key leaves the key set;
    revocation is checked on every request.
    """

    def __init__(
        self,
        jwks: JwksCache,
        revoked: RevokedUsers,
        *,
        issuer: str,
        audience: str,
        leeway_seconds: float,
        max_lifetime_seconds: float,
        clock: Clock = time.time,
    ) -> None:
        self._max_lifetime_seconds = max_lifetime_seconds
        self._jwks = jwks
        self._revoked = revoked
        self._issuer = issuer
        self._audience = audience
        self._leeway_seconds = leeway_seconds
        self._clock = clock
        self._verified: dict[str, _VerifiedToken] = {}

    def known_user_id(self, token: str) -> str | None:
        """The user id of a token verified before and still valid, with no signature work;
        None when `user_id_of` would have more to do (or would refuse it)."""
        verified = self._verified.get(token)
        if verified is None or not self._still_valid(verified) or verified.user_id in self._revoked:
            return None
        return verified.user_id

    async def user_id_of(self, token: str) -> str:
        verified = self._verified.get(token)
        if verified is None or not self._still_valid(verified):
            self._verified.pop(token, None)
            verified = await self._verify(token)
            if len(self._verified) >= VERIFIED_TOKENS_KEPT:
                del self._verified[next(iter(self._verified))]
            self._verified[token] = verified
        if verified.user_id in self._revoked:
            raise InvalidToken("The account this token was issued to no longer exists.")
        return verified.user_id

    def _still_valid(self, verified: _VerifiedToken) -> bool:
        # The same bound as PyJWT's `exp` check with the leeway.
        unexpired = self._clock() <= verified.expires_at + self._leeway_seconds
        return unexpired and self._jwks.knows(verified.kid)

    async def _verify(self, token: str) -> _VerifiedToken:
        kid, key = await self._signing_key(token)
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=ALGORITHMS,
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway_seconds,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.InvalidTokenError as exc:
            raise InvalidToken(_reason(exc)) from None
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise InvalidToken()
        # A token outliving the revoked list would outlive its account's deletion too.
        if claims["exp"] - claims["iat"] > self._max_lifetime_seconds:
            raise InvalidToken("The bearer token lives longer than this gateway accepts.")
        return _VerifiedToken(subject, kid, float(claims["exp"]))

    async def _signing_key(self, token: str) -> tuple[str, jwt.PyJWK]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise InvalidToken() from None
        kid = header.get("kid")
        # Checked before the key lookup so forged headers never trigger a JWKS refetch.
        if header.get("alg") not in ALGORITHMS or not isinstance(kid, str):
            raise InvalidToken()
        key = await self._jwks.key_for(kid)
        if key is None:
            raise InvalidToken()
        return kid, key


def _reason(exc: jwt.InvalidTokenError) -> str:
    """A client-safe reason: which check failed, never key material."""
    if isinstance(exc, jwt.ExpiredSignatureError):
        return "The bearer token has expired."
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"The bearer token lacks the {exc.claim!r} claim."
    return "The bearer token is not valid."


def presented_token(request: Request) -> str | None:
    """The bearer token of the request; the stream route may carry it as a query parameter."""
    token = bearer_token(request.headers.get("authorization"))
    if token is None and accepts_query_token(request.method, request.scope["path"]):
        token = request.query_params.get(QUERY_TOKEN_PARAMETER) or None
    return token
