"""Payloads as Mastodon, GoToSocial and Misskey document them (fixtures/README.md says where
from): every actor document gives the key, inbox and shared inbox or is refused, every
activity parses (or is refused as a bad request), and their signature headers verify."""

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from federation.core.remote import RemoteRefused, actor_of
from federation.core.signatures import SignatureRefused, SignedRequest, verify
from federation.inbox.rules import activity_of
from shared.problems import BadRequest

FIXTURES = Path(__file__).parent / "fixtures"
ACTIVITIES = sorted(
    path.relative_to(FIXTURES).as_posix()
    for path in FIXTURES.glob("*/*.json")
    if "actor" not in path.name and "key" not in path.name
)
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


@pytest.mark.parametrize(
    ("name", "key_id", "inbox", "shared_inbox"),
    [
        (
            "mastodon/actor-blog.json",
            "https://my-example.com/actor#main-key",
            "https://my-example.com/inbox",
            None,
        ),
        (
            "mastodon/actor-publickey-array.json",
            "https://mastodon.social/users/Gargron#main-key",
            "https://mastodon.social/users/Gargron/inbox",
            "https://mastodon.social/inbox",
        ),
        (
            "misskey/actor.json",
            "https://misskey.example/users/9abcdef#main-key",
            "https://misskey.example/users/9abcdef/inbox",
            "https://misskey.example/inbox",
        ),
    ],
)
def test_each_documented_actor_gives_its_key_and_inboxes(
    name: str, key_id: str, inbox: str, shared_inbox: str | None
) -> None:
    document = fixture(name)
    actor = actor_of(document, key_id)
    assert (actor.id, actor.key_id, actor.inbox, actor.shared_inbox) == (
        document["id"],
        key_id,
        inbox,
        shared_inbox,
    )
    assert actor.public_key.key_size == 2048


@pytest.mark.parametrize(
    ("name", "key_id"),
    [
        # Mastodon's example shows only the key; GoToSocial's stub at /main-key has no inbox
        # either (the inbox test follows its owner to the actor).
        ("mastodon/actor-key-only.json", "https://mastodon.social/users/Gargron#main-key"),
        ("gotosocial/key-stub.json", "https://example.org/users/example_user/main-key"),
        # Another key than the one that signed.
        ("mastodon/actor-publickey-array.json", "https://mastodon.social/users/Gargron#other"),
    ],
)
def test_a_document_without_an_inbox_or_that_key_is_no_actor(name: str, key_id: str) -> None:
    with pytest.raises(RemoteRefused):
        actor_of(fixture(name), key_id)


@pytest.mark.parametrize("name", [name for name in ACTIVITIES if not name.startswith("expanded")])
def test_each_documented_activity_parses(name: str) -> None:
    raw = (FIXTURES / name).read_bytes()
    activity = activity_of(raw)
    assert activity == json.loads(raw)
    assert activity["actor"].startswith(("https://", "http://"))


def test_an_expanded_json_ld_activity_is_a_bad_request() -> None:
    with pytest.raises(BadRequest):
        activity_of((FIXTURES / "expanded/follow.json").read_bytes())


def signed(
    method: str, url: str, body: bytes, names: list[str], extra: dict[str, str], algorithm: str
) -> SignedRequest:
    """A request signed by hand as the documentation describes it (not by our signer)."""
    path = url.split("/", 3)[3]
    headers = {"host": url.split("/")[2], "date": format_datetime(NOW, usegmt=True)} | extra
    values = {"(request-target)": f"{method.lower()} /{path}", **headers}
    string = "\n".join(f"{name}: {values[name]}" for name in names)
    signature = base64.b64encode(KEY.sign(string.encode(), padding.PKCS1v15(), hashes.SHA256()))
    headers["signature"] = (
        'keyId="https://example.org/users/example_user/main-key",'
        f'algorithm="{algorithm}",headers="{" ".join(names)}",signature="{signature.decode()}"'
    )
    return SignedRequest(method, url, headers, body)


def test_a_gotosocial_get_signed_without_a_digest_verifies() -> None:
    request = signed(
        "GET",
        "https://copost.test/users/alice",
        b"",
        ["(request-target)", "host", "date"],
        {},
        "hs2019",
    )
    verify(request, KEY.public_key(), now=NOW, max_age=timedelta(minutes=5))


@pytest.mark.parametrize(
    "digest",
    [
        "sha-256={}",  # Mastodon's documentation writes the algorithm in lower case
        "SHA-256={}",
        "SHA-512=AAAA,SHA-256={}",
    ],
)
def test_a_post_digest_is_read_whatever_the_algorithm_case(digest: str) -> None:
    body = (FIXTURES / "mastodon/create-reply.json").read_bytes()
    value = base64.b64encode(hashlib.sha256(body).digest()).decode()
    request = signed(
        "POST",
        "https://copost.test/inbox",
        body,
        ["(request-target)", "host", "date", "digest"],
        {"digest": digest.format(value)},
        "rsa-sha256",
    )
    verify(request, KEY.public_key(), now=NOW, max_age=timedelta(minutes=5))


def test_a_post_digest_of_another_body_is_refused() -> None:
    body = (FIXTURES / "mastodon/create-reply.json").read_bytes()
    request = signed(
        "POST",
        "https://copost.test/inbox",
        body,
        ["(request-target)", "host", "date", "digest"],
        {"digest": "sha-256=" + base64.b64encode(hashlib.sha256(b"other").digest()).decode()},
        "rsa-sha256",
    )
    with pytest.raises(SignatureRefused):
        verify(request, KEY.public_key(), now=NOW, max_age=timedelta(minutes=5))
