"""HTTP signatures in both dialects: what verifies, and each way a request fails to."""

import base64
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from federation.core.signatures import (
    SignatureRefused,
    SignedRequest,
    claimed_key_id,
    sign_cavage,
    sign_rfc9421,
    verify,
)

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
MAX_AGE = timedelta(minutes=5)
URL = "https://copost.test/users/alice/inbox"
KEY_ID = "https://remote.example/actor#main-key"
BODY = b'{"type":"Follow"}'

type Sign = Callable[..., dict[str, str]]
DIALECTS = pytest.mark.parametrize("sign", [sign_cavage, sign_rfc9421], ids=["cavage", "rfc9421"])


def signed(sign: Sign, *, body: bytes = BODY, at: datetime = NOW) -> SignedRequest:
    return SignedRequest("POST", URL, sign("POST", URL, body, key_id=KEY_ID, key=KEY, now=at), body)


@DIALECTS
def test_a_signed_request_verifies_and_names_its_key(sign: Sign) -> None:
    request = signed(sign)

    assert claimed_key_id(request) == KEY_ID
    verify(request, KEY.public_key(), now=NOW, max_age=MAX_AGE)


@DIALECTS
def test_another_key_does_not_verify(sign: Sign) -> None:
    with pytest.raises(SignatureRefused):
        verify(signed(sign), OTHER_KEY.public_key(), now=NOW, max_age=MAX_AGE)


@DIALECTS
def test_a_changed_body_does_not_verify(sign: Sign) -> None:
    request = signed(sign)
    tampered = SignedRequest(request.method, request.url, request.headers, b'{"type":"Undo"}')

    with pytest.raises(SignatureRefused):
        verify(tampered, KEY.public_key(), now=NOW, max_age=MAX_AGE)


@DIALECTS
def test_another_target_does_not_verify(sign: Sign) -> None:
    request = signed(sign)
    elsewhere = SignedRequest("POST", "https://copost.test/inbox", request.headers, request.body)

    with pytest.raises(SignatureRefused):
        verify(elsewhere, KEY.public_key(), now=NOW, max_age=MAX_AGE)


@DIALECTS
def test_an_old_signature_is_refused(sign: Sign) -> None:
    request = signed(sign, at=NOW - timedelta(minutes=10))

    with pytest.raises(SignatureRefused):
        verify(request, KEY.public_key(), now=NOW, max_age=MAX_AGE)


def test_a_cavage_signature_must_cover_the_digest_of_a_body() -> None:
    """apsig accepts this; Mastodon does not, and neither do we: the body would be anyone's."""
    headers = sign_cavage("POST", URL, BODY, key_id=KEY_ID, key=KEY, now=NOW)
    signing_string = (
        f"(request-target): post /users/alice/inbox\nhost: copost.test\ndate: {headers['date']}"
    )

    signature = base64.b64encode(
        KEY.sign(signing_string.encode(), padding.PKCS1v15(), hashes.SHA256())
    ).decode()
    headers["signature"] = (
        f'keyId="{KEY_ID}",algorithm="rsa-sha256",headers="(request-target) host date",'
        f'signature="{signature}"'
    )

    with pytest.raises(SignatureRefused, match="must cover"):
        verify(
            SignedRequest("POST", URL, headers, BODY), KEY.public_key(), now=NOW, max_age=MAX_AGE
        )


def test_a_mastodon_style_hs2019_header_is_read() -> None:
    """Mastodon's documentation shows keyId, headers and signature, without `algorithm`
    (hs2019: the key's own algorithm, RSA here)."""
    headers = sign_cavage("POST", URL, BODY, key_id=KEY_ID, key=KEY, now=NOW)
    headers["signature"] = headers["signature"].replace('algorithm="rsa-sha256",', "")

    verify(SignedRequest("POST", URL, headers, BODY), KEY.public_key(), now=NOW, max_age=MAX_AGE)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"signature": "nonsense"},
        {"signature": 'keyId="x"'},
        {"signature-input": "not a dictionary ((", "signature": "sig1=:AAAA:"},
        {"signature-input": 'sig1=("@method");created=1', "signature": "sig1=:AAAA:"},
    ],
)
def test_a_request_without_a_readable_signature_names_no_key(headers: dict[str, str]) -> None:
    with pytest.raises(SignatureRefused):
        claimed_key_id(SignedRequest("POST", URL, headers, BODY))
