"""HTTP signatures of ActivityPub requests, in the two dialects the fediverse speaks.

- draft-cavage-http-signatures-12 as Mastodon, GoToSocial and Misskey sign: one `Signature`
  header over `(request-target) host date digest`, rsa-sha256 (`hs2019` names the same with an
  RSA key). No maintained library does this dialect safely (apsig, the one maintained, accepts
  signatures that cover neither the date nor the digest), so the signing string is composed
  here per the draft and signed and checked with `cryptography`'s RSA PKCS#1 v1.5.
- RFC 9421 HTTP Message Signatures (`Signature-Input` and `Signature`, the body covered through
  RFC 9530 `Content-Digest`), through the `http-message-signatures` library, rsa-v1_5-sha256.

Either way a verified request proves its key id, its method, target, host, date and body.
"""

import base64
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import http_sf
import httpx
from cryptography.exceptions import InvalidSignature as InvalidRsaSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from http_message_signatures import (
    HTTPMessageSignaturesException,
    HTTPMessageSigner,
    HTTPMessageVerifier,
    InvalidSignature,
    MappingKeyResolver,
    algorithms,
)

CAVAGE_ALGORITHMS = frozenset({"rsa-sha256", "hs2019"})
CAVAGE_SIGNED = ("(request-target)", "host", "date", "digest")
RFC9421_COVERED = ("@method", "@target-uri", "content-digest")
RFC9421_LABEL = "sig1"
_CAVAGE_PARAMETER = re.compile(r'\s*([A-Za-z]+)="([^"]*)"\s*(?:,|$)')


class SignatureRefused(Exception):
    """The request is not signed as this service requires, or the signature does not verify."""


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """A request as it arrived (or is about to leave): what either dialect covers."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((value for key, value in self.headers.items() if key.lower() == lowered), None)


def claimed_key_id(request: SignedRequest) -> str:
    """The key the request says it is signed with (to fetch before verifying)."""
    if request.header("signature-input") is not None:
        return _rfc9421_key_id(request)
    return _cavage_parameters(request)["keyId"]


def verify(
    request: SignedRequest, key: rsa.RSAPublicKey, *, now: datetime, max_age: timedelta
) -> None:
    """Raises SignatureRefused unless `key` signed the request, recently and with its body."""
    if request.header("signature-input") is not None:
        _verify_rfc9421(request, key, now, max_age)
    else:
        _verify_cavage(request, key, now, max_age)


def sign_cavage(
    method: str, url: str, body: bytes, *, key_id: str, key: rsa.RSAPrivateKey, now: datetime
) -> dict[str, str]:
    """The headers that sign a request the way Mastodon verifies it; a request without a body
    (a signed GET) covers no digest, as Mastodon's and GoToSocial's signed fetches do."""
    headers = {"host": urlsplit(url).netloc, "date": format_datetime(now.astimezone(UTC), True)}
    names = list(CAVAGE_SIGNED)
    if body:
        headers["digest"] = _sha256_digest(body)
    else:
        names.remove("digest")
    signing_string = _cavage_signing_string(method, url, headers, names)
    signature = key.sign(signing_string.encode(), padding.PKCS1v15(), hashes.SHA256())
    headers["signature"] = (
        f'keyId="{key_id}",algorithm="rsa-sha256",headers="{" ".join(names)}",'
        f'signature="{base64.b64encode(signature).decode()}"'
    )
    return headers


def sign_rfc9421(
    method: str, url: str, body: bytes, *, key_id: str, key: rsa.RSAPrivateKey, now: datetime
) -> dict[str, str]:
    """The headers that sign a request per RFC 9421 (with its Content-Digest)."""
    message = httpx.Request(method, url, content=body)
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.RSA_V1_5_SHA256,
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={key_id: key}),
    )
    signer.sign(
        message,
        key_id=key_id,
        created=now,
        label=RFC9421_LABEL,
        covered_component_ids=RFC9421_COVERED[:2],
        body=body,
    )
    return {
        name: message.headers[name] for name in ("content-digest", "signature-input", "signature")
    } | {"date": format_datetime(now.astimezone(UTC), True)}


def _cavage_parameters(request: SignedRequest) -> dict[str, str]:
    header = request.header("signature")
    if header is None:
        raise SignatureRefused("The request is not signed.")
    parameters = dict(_CAVAGE_PARAMETER.findall(header))
    if not {"keyId", "signature"} <= parameters.keys():
        raise SignatureRefused("The Signature header names no key or no signature.")
    return parameters


def _verify_cavage(
    request: SignedRequest, key: rsa.RSAPublicKey, now: datetime, max_age: timedelta
) -> None:
    parameters = _cavage_parameters(request)
    if parameters.get("algorithm", "hs2019").lower() not in CAVAGE_ALGORITHMS:
        raise SignatureRefused("Only rsa-sha256 signatures are accepted.")
    names = parameters.get("headers", "date").lower().split()
    required = set(CAVAGE_SIGNED) if request.body else set(CAVAGE_SIGNED) - {"digest"}
    if not required <= set(names):
        raise SignatureRefused(f"The signature must cover {' '.join(sorted(required))}.")
    _check_date(request.header("date"), now, max_age)
    if request.body and not _digest_matches(request.header("digest") or "", request.body):
        raise SignatureRefused("The Digest header does not match the body.")
    headers = {name.lower(): value for name, value in request.headers.items()}
    try:
        signing_string = _cavage_signing_string(request.method, request.url, headers, names)
        signature = base64.b64decode(parameters["signature"], validate=True)
        key.verify(signature, signing_string.encode(), padding.PKCS1v15(), hashes.SHA256())
    except (KeyError, ValueError, InvalidRsaSignature) as exc:
        raise SignatureRefused("The signature does not verify.") from exc


def _cavage_signing_string(
    method: str, url: str, headers: Mapping[str, str], names: list[str]
) -> str:
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    values = {"(request-target)": f"{method.lower()} {target}", **headers}
    return "\n".join(f"{name}: {values[name]}" for name in names)


def _check_date(date: str | None, now: datetime, max_age: timedelta) -> None:
    try:
        sent = parsedate_to_datetime(date) if date else None
    except (TypeError, ValueError):
        sent = None
    if sent is None or sent.tzinfo is None:
        raise SignatureRefused("The request has no valid Date header.")
    if abs(now - sent) > max_age:
        raise SignatureRefused("The request's Date is too far from now.")


def _sha256_digest(body: bytes) -> str:
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()


def _digest_matches(header: str, body: bytes) -> bool:
    """Whether the Digest header's SHA-256 is the body's. RFC 3230 algorithm names are
    case-insensitive (Mastodon's documentation sends `sha-256=`) and a header may list several
    digests, comma-separated."""
    expected = _sha256_digest(body).partition("=")[2]
    for digest in header.split(","):
        algorithm, _, value = digest.strip().partition("=")
        if algorithm.lower() == "sha-256" and value == expected:
            return True
    return False


def _rfc9421_key_id(request: SignedRequest) -> str:
    try:
        inputs = http_sf.parse(
            (request.header("signature-input") or "").encode(), tltype="dictionary"
        )
    except ValueError as exc:
        raise SignatureRefused("The Signature-Input header is malformed.") from exc
    if not isinstance(inputs, dict) or len(inputs) != 1:
        raise SignatureRefused("Exactly one signature is expected.")
    (member,) = inputs.values()
    params = member[1] if isinstance(member, tuple) else None
    key_id = params.get("keyid") if isinstance(params, dict) else None
    if not isinstance(key_id, str):
        raise SignatureRefused("The signature names no key.")
    return key_id


class _Verifier(HTTPMessageVerifier):
    """The library's verifier, judging `created` and `expires` against the service's clock
    (it reads the system's) with the same tolerance both ways as the cavage dialect's Date."""

    def __init__(self, key_id: str, key: rsa.RSAPublicKey, now: datetime, max_age: timedelta):
        super().__init__(
            signature_algorithm=algorithms.RSA_V1_5_SHA256,
            key_resolver=MappingKeyResolver(public_keys={key_id: key}, private_keys={}),
        )
        self._now = now
        self._max_age = max_age

    def validate_created_and_expires(self, sig_input: Any, max_age: Any = None) -> None:
        created = sig_input.params.get("created")
        expires = sig_input.params.get("expires")
        if not isinstance(created, int) or isinstance(created, bool):
            raise InvalidSignature('The signature needs an integer "created" parameter.')
        if abs(self._now - datetime.fromtimestamp(created, UTC)) > self._max_age:
            raise InvalidSignature("The signature was not created within the allowed time.")
        if isinstance(expires, int) and datetime.fromtimestamp(expires, UTC) < self._now:
            raise InvalidSignature("The signature has expired.")


def _verify_rfc9421(
    request: SignedRequest, key: rsa.RSAPublicKey, now: datetime, max_age: timedelta
) -> None:
    key_id = _rfc9421_key_id(request)
    message = httpx.Request(
        request.method, request.url, headers=list(request.headers.items()), content=request.body
    )
    try:
        _Verifier(key_id, key, now, max_age).verify(
            message, max_age=None, require_components=RFC9421_COVERED[:2], body=request.body
        )
    except HTTPMessageSignaturesException as exc:
        raise SignatureRefused(f"The signature does not verify: {exc}") from exc
