"""Who is calling a service: a short-lived assertion signed by the caller, never a bare header.

Every process that calls a service holds its own Ed25519 key (`SERVICE_PRIVATE_KEY`); every
service knows the public keys of the callers (`SERVICE_PUBLIC_KEYS`, name -> key). A call
carries an EdDSA JWT in `X-CoPost-Assertion`: `iss` the calling process, `aud` the service
called (one string), `rid` the request id it travels with (`X-Request-ID`), `htm`/`htu` the
method and target (path and query) of this very request and `bdg` the SHA-256 of its body
(so a captured assertion is good for nothing else, issue 23), `iat`/`exp` at most
ASSERTION_TTL_SECONDS apart and, when the gateway forwards a signed-in client, `sub` the
user id it verified (and `ctry`, the country a trusted proxy named).

- `CurrentUserId`: the user of a public route; only the gateway may vouch for one.
- `require_caller(...)`: guards `/internal/*` routes; only the named services may call them.
- `create_internal_client` (shared.internal_http) signs every call it makes.

A missing, forged, expired, misdirected or replayed-on-another-request assertion is 401.
"""

import base64
import hashlib
import json
import logging
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from uuid import uuid4

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from fastapi import Depends, Request

from shared.logging import request_id_var
from shared.problems import Forbidden, Unauthorized
from shared.services import GATEWAY as GATEWAY  # re-exported: the caller named in assertions
from shared.settings import ServiceSettings

log = logging.getLogger(__name__)

ASSERTION_HEADER = "X-CoPost-Assertion"
REQUEST_ID_HEADER = "X-Request-ID"
ALGORITHM = "EdDSA"
# Long enough for a request to cross one hop, short enough that a captured one is soon useless.
ASSERTION_TTL_SECONDS = 30
CLOCK_LEEWAY_SECONDS = 5
REQUIRED_CLAIMS = frozenset({"iss", "aud", "rid", "htm", "htu", "bdg", "iat", "exp"})


def encode_private_key(key: Ed25519PrivateKey) -> str:
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return _b64url(raw)


def encode_public_key(key: Ed25519PublicKey) -> str:
    return _b64url(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def decode_private_key(text: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(_unb64url(text))


def decode_public_key(text: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(_unb64url(text))


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _compact_json(value: Mapping[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# Where the signed-in user's request comes from, as the gateway vouched for it (a trusted
# proxy's word, issue 23), for the request being handled; None when nobody trusted said.
caller_country_var: ContextVar[str | None] = ContextVar("caller_country", default=None)


@dataclass(frozen=True)
class Caller:
    """A verified assertion: which process called, for which user (if any), from where."""

    service: str
    user_id: str | None
    country: str | None = None


class AssertionSigner:
    """Signs the assertions of one calling process (`issuer`) with its own key.

    The token is the JWT that PyJWT would encode, byte for byte, built here directly: the
    gateway signs one per forwarded request, and PyJWT's generic encoding cost half as much
    again as the Ed25519 signature itself. The verifier checks it directly too.
    """

    def __init__(self, issuer: str, private_key: Ed25519PrivateKey) -> None:
        self.issuer = issuer
        self._key = private_key
        # The header never changes: JSON with sorted keys and no spaces, as PyJWT writes it.
        header = {"alg": ALGORITHM, "kid": issuer, "typ": "JWT"}
        self._encoded_header = _b64url(_compact_json(header))

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> "AssertionSigner":
        secret = settings.service_private_key.get_secret_value()
        if not secret:
            log.warning("SERVICE_PRIVATE_KEY is not set: no service will accept this one's calls")
            return cls(settings.service_name, Ed25519PrivateKey.generate())
        return cls(settings.service_name, decode_private_key(secret))

    def sign(
        self,
        audience: str,
        request_id: str,
        user_id: str | None = None,
        *,
        method: str,
        target: str,
        body: bytes = b"",
        country: str | None = None,
    ) -> str:
        """`target`: the path and query as sent (`/v1/posts?limit=5`)."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": audience,
            "rid": request_id,
            "htm": method.upper(),
            "htu": target,
            "bdg": body_digest(body),
            "iat": now,
            "exp": now + ASSERTION_TTL_SECONDS,
        }
        if user_id is not None:
            claims["sub"] = user_id
        if country is not None:
            claims["ctry"] = country
        signing_input = f"{self._encoded_header}.{_b64url(_compact_json(claims))}"
        signature = self._key.sign(signing_input.encode())
        return f"{signing_input}.{_b64url(signature)}"

    def headers(
        self,
        audience: str,
        user_id: str | None = None,
        *,
        method: str,
        target: str,
        body: bytes = b"",
        country: str | None = None,
    ) -> dict[str, str]:
        """Headers of one new request: a fresh request id and the assertion bound to it."""
        request_id = uuid4().hex
        assertion = self.sign(
            audience, request_id, user_id, method=method, target=target, body=body, country=country
        )
        return {REQUEST_ID_HEADER: request_id, ASSERTION_HEADER: assertion}


class AssertionVerifier:
    """Checks the assertions sent to one service (`audience`) against its callers' keys."""

    def __init__(self, audience: str, public_keys: Mapping[str, Ed25519PublicKey]) -> None:
        self._audience = audience
        self._keys = dict(public_keys)

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> "AssertionVerifier":
        keys = {name: decode_public_key(key) for name, key in settings.service_public_keys.items()}
        return cls(settings.service_name, keys)

    def verify(
        self,
        token: str | None,
        request_id: str | None,
        *,
        method: str,
        target: str,
        body: bytes = b"",
    ) -> Caller:
        if not token or not request_id:
            raise Unauthorized("This service answers only calls signed by a known caller.")
        try:
            issuer, claims = self._signed_claims(token)
        except InvalidAssertion as exc:
            log.warning("call refused: bad assertion", extra={"error": str(exc)})
            raise Unauthorized("The call's assertion is not valid.") from None
        if claims["rid"] != request_id:
            raise Unauthorized("The call's assertion belongs to another request.")
        if not isinstance(claims["aud"], str) or claims["exp"] - claims["iat"] > (
            ASSERTION_TTL_SECONDS
        ):
            raise Unauthorized("The call's assertion names several services or lives too long.")
        bound = (claims["htm"], claims["htu"], claims["bdg"])
        if bound != (method.upper(), target, body_digest(body)):
            log.warning("call refused: assertion of another method, path or body")
            raise Unauthorized("The call's assertion was made for another method, path or body.")
        user_id, country = claims.get("sub"), claims.get("ctry")
        return Caller(
            service=issuer,
            user_id=user_id if isinstance(user_id, str) else None,
            country=country if isinstance(country, str) and issuer == GATEWAY else None,
        )

    def _signed_claims(self, token: str) -> tuple[str, dict[str, Any]]:
        """The issuer and claims of a JWT signed with the key of the caller its header names,
        checked as PyJWT checks them (EdDSA only, the required claims, this audience, the
        issuer, the lifetime with leeway), without PyJWT's generic decoding: every call
        to a service pays this, and PyJWT's layers cost as much as the signature's check."""
        try:
            encoded_header, encoded_claims, signature = token.split(".")
            header = json.loads(_unb64url(encoded_header))
            issuer = str(header.get("kid"))
            key = self._keys.get(issuer)
            if key is None or header.get("alg") != ALGORITHM:
                raise InvalidAssertion("unknown caller or algorithm")
            key.verify(_unb64url(signature), f"{encoded_header}.{encoded_claims}".encode())
            claims = json.loads(_unb64url(encoded_claims))
        except (ValueError, AttributeError, InvalidSignature) as exc:
            raise InvalidAssertion(f"malformed or forged: {exc!r}") from None
        if not isinstance(claims, dict) or not claims.keys() >= REQUIRED_CLAIMS:
            raise InvalidAssertion("claims missing")
        if claims["iss"] != issuer or claims["aud"] not in (self._audience, [self._audience]):
            raise InvalidAssertion("another issuer or audience")
        issued, expires = claims["iat"], claims["exp"]
        if not all(type(moment) is int for moment in (issued, expires)):
            raise InvalidAssertion("iat and exp must be integers")
        now = time.time()
        if expires <= now - CLOCK_LEEWAY_SECONDS or issued > now + CLOCK_LEEWAY_SECONDS:
            raise InvalidAssertion("expired or not yet valid")
        return issuer, claims


class InvalidAssertion(Exception):
    """An assertion that is malformed, forged, for another service or out of its lifetime."""


def body_digest(body: bytes) -> str:
    return _b64url(hashlib.sha256(body).digest())


def request_target(scope: Mapping[str, Any]) -> str:
    """The path and query of a request as its client sent them (what `htu` names)."""
    raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
    # Some servers (and httpx's in-process transport) keep the query in raw_path.
    path = raw_path.partition(b"?")[0].decode("latin-1")
    query: bytes = scope.get("query_string", b"")
    return f"{path}?{query.decode('latin-1')}" if query else path


async def verified_caller(request: Request) -> Caller:
    """The caller of this request, verified once and kept on the request."""
    cached: Caller | None = getattr(request.state, "caller", None)
    if cached is not None:
        return cached
    verifier: AssertionVerifier = request.app.state.assertion_verifier
    caller = verifier.verify(
        request.headers.get(ASSERTION_HEADER),
        request_id_var.get(),
        method=request.method,
        target=request_target(request.scope),
        body=await request.body(),
    )
    request.state.caller = caller
    caller_country_var.set(caller.country)
    return caller


async def current_user_id(request: Request) -> str:
    """The signed-in user, as the gateway vouched for it after verifying their token."""
    caller = await verified_caller(request)
    if caller.service != GATEWAY or caller.user_id is None:
        raise Unauthorized()
    return caller.user_id


CurrentUserId = Annotated[str, Depends(current_user_id)]


async def caller_country(request: Request) -> str | None:
    """Where the request comes from, as the gateway vouched; never the user's own word."""
    return (await verified_caller(request)).country


CallerCountry = Annotated[str | None, Depends(caller_country)]


def require_caller(*services: str) -> Callable[[Request], Awaitable[Caller]]:
    """A dependency admitting only calls signed by one of `services` (401 unsigned, 403 others).

    Async, like `current_user_id`: FastAPI runs a sync dependency in its thread pool.
    """
    allowed = frozenset(services)

    async def dependency(request: Request) -> Caller:
        caller = await verified_caller(request)
        if caller.service not in allowed:
            raise Forbidden(f"The {caller.service} service may not call this route.")
        return caller

    return dependency


def generate_keys(names: Iterable[str]) -> dict[str, dict[str, str]]:
    """A fresh key pair per name: {"private": {name: key}, "public": {name: key}}."""
    keys = {name: Ed25519PrivateKey.generate() for name in names}
    return {
        "private": {name: encode_private_key(key) for name, key in keys.items()},
        "public": {name: encode_public_key(key.public_key()) for name, key in keys.items()},
    }


def write_env_files(directory: Path, names: Iterable[str]) -> None:
    """`<name>.env` per process: its own private key and every process's public key (Compose).

    Kept while every process has one, so a running stack keeps its keys; written anew, all of
    them, when one is missing (a process added since): each file lists every public key."""
    names = list(names)
    if all((directory / f"{name}.env").exists() for name in names):
        return
    keys = generate_keys(names)
    directory.mkdir(parents=True, exist_ok=True)
    public = json.dumps(keys["public"], separators=(",", ":"))
    for name, private in keys["private"].items():
        path = directory / f"{name}.env"
        path.write_text(f"SERVICE_PRIVATE_KEY={private}\nSERVICE_PUBLIC_KEYS={public}\n")
        path.chmod(0o600)


if __name__ == "__main__":
    # `python -m shared.identity gateway users ...`: key pairs as JSON (the local stack's);
    # `python -m shared.identity --env-dir DIR gateway users ...`: one env file each (Compose).
    if len(sys.argv) > 2 and sys.argv[1] == "--env-dir":
        write_env_files(Path(sys.argv[2]), sys.argv[3:])
    else:
        print(json.dumps(generate_keys(sys.argv[1:])))
