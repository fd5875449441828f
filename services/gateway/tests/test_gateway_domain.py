"""The gateway's pure rules: the routing table, public endpoints, headers, token buckets."""

import pytest

from gateway.auth import RevokedUsers
from gateway.domain import (
    accepts_query_token,
    bearer_token,
    forwarded_request_headers,
    is_json_media_type,
    is_public,
    is_upload,
    returned_response_headers,
    upstream_for,
)
from shared.rate_limits import BucketPolicy, TokenBucket, is_full, take_token
from shared.services import Backend as Upstream


@pytest.mark.parametrize(
    ("path", "upstream"),
    [
        ("/v1/users/alice/posts", Upstream.TIMELINE),
        ("/v1/users/alice/posts/", Upstream.TIMELINE),
        ("/v1/timeline", Upstream.TIMELINE),
        ("/v1/users", Upstream.USERS),
        ("/v1/users/alice", Upstream.USERS),
        ("/v1/users/alice/follow", Upstream.USERS),
        ("/v1/users/alice/block", Upstream.USERS),
        ("/v1/users/alice/posts/extra", Upstream.USERS),
        ("/v1/auth/token", Upstream.USERS),
        ("/v1/me", Upstream.USERS),
        ("/v1/posts", Upstream.POSTS),
        ("/v1/posts/p1/coauthors/bob", Upstream.POSTS),
        ("/v1/invitations", Upstream.INVITATIONS),
        ("/v1/invitations/i1/accept", Upstream.INVITATIONS),
        ("/v1/notifications", Upstream.NOTIFICATIONS),
        ("/v1/notifications/stream", Upstream.NOTIFICATIONS),
        ("/v1/media", Upstream.MEDIA),
        ("/v1/media/m1", Upstream.MEDIA),
        ("/media/m1/small", Upstream.MEDIA),
    ],
)
def test_each_public_path_goes_to_the_service_that_owns_it(path: str, upstream: Upstream) -> None:
    assert upstream_for(path) == upstream


@pytest.mark.parametrize(
    "path",
    [
        "/v1",
        "/v1/",
        "/v1/unknown",
        "/v1/postsX",
        "/v1/meow",
        "/internal/deleted-users",
        "/v1/posts/../../internal/deleted-users",
        "/v1/users/./me",
        "/.well-known/jwks.json",
        "/media/m1",
        "/media/m1/small/extra",
        "/internal/media/attach",
    ],
)
def test_unknown_internal_and_dot_segment_paths_go_nowhere(path: str) -> None:
    assert upstream_for(path) is None


@pytest.mark.parametrize(
    ("method", "path", "public"),
    [
        ("POST", "/v1/users", True),
        ("post", "/v1/users/", True),
        ("POST", "/v1/auth/token", True),
        ("GET", "/v1/users", False),
        ("GET", "/v1/auth/token", False),
        ("POST", "/v1/users/alice", False),
        ("GET", "/v1/me", False),
        # Media files are read without a token (the media service decides what it shows).
        ("GET", "/media/m1/small", True),
        ("HEAD", "/media/m1/small", True),
        ("POST", "/v1/media", False),
    ],
)
def test_only_registration_login_and_media_files_skip_authentication(
    method: str, path: str, public: bool
) -> None:
    assert is_public(method, path) is public


@pytest.mark.parametrize(
    ("method", "path", "accepted"),
    [
        ("GET", "/v1/notifications/stream", True),
        ("GET", "/v1/notifications", False),
        ("POST", "/v1/notifications/stream", False),
        ("GET", "/v1/me", False),
    ],
)
def test_only_the_notification_stream_takes_a_query_token(
    method: str, path: str, accepted: bool
) -> None:
    assert accepts_query_token(method, path) is accepted


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc.def.ghi", "abc.def.ghi"),
        ("bearer abc", "abc"),
        ("Bearer   abc  ", "abc"),
        ("Basic dXNlcjpwYXNz", None),
        ("Bearer", None),
        ("Bearer ", None),
        ("", None),
        (None, None),
    ],
)
def test_bearer_token_is_read_only_from_a_bearer_authorization(
    header: str | None, token: str | None
) -> None:
    assert bearer_token(header) == token


def test_forwarded_headers_drop_identity_credentials_and_hop_by_hop_headers() -> None:
    headers = [
        ("Host", "gateway"),
        ("Authorization", "Bearer x"),
        ("X-CoPost-User-Id", "spoofed"),
        ("Connection", "keep-alive, X-Private"),
        ("X-Private", "1"),
        ("Transfer-Encoding", "chunked"),
        ("Content-Length", "10"),
        ("Content-Type", "application/json"),
        ("Accept", "application/json"),
        ("If-None-Match", '"v1"'),
    ]
    assert forwarded_request_headers(headers) == [
        ("Content-Type", "application/json"),
        ("Accept", "application/json"),
        ("If-None-Match", '"v1"'),
    ]


def test_of_the_cookies_only_the_sign_in_device_cookie_is_forwarded() -> None:
    headers = [
        ("Cookie", "session=abc; copost_device=dev.tok.en"),
        ("cookie", "tracking=1"),
        ("Accept", "application/json"),
    ]
    assert forwarded_request_headers(headers) == [
        ("Accept", "application/json"),
        ("cookie", "copost_device=dev.tok.en"),
    ]
    assert forwarded_request_headers([("Cookie", "session=abc")]) == []


def test_returned_headers_drop_hop_by_hop_and_the_services_own_server_headers() -> None:
    headers = [
        ("content-type", "application/json"),
        ("location", "/v1/posts/p1"),
        ("set-cookie", "a=1"),
        ("set-cookie", "b=2"),
        ("transfer-encoding", "chunked"),
        ("date", "today"),
        ("server", "uvicorn"),
        ("x-request-id", "abc"),
    ]
    assert returned_response_headers(headers) == [
        ("content-type", "application/json"),
        ("location", "/v1/posts/p1"),
        ("set-cookie", "a=1"),
        ("set-cookie", "b=2"),
    ]


@pytest.mark.parametrize(
    ("content_type", "is_json"),
    [
        ("application/json", True),
        ("application/problem+json; charset=utf-8", True),
        ("text/plain", False),
        ("text/html; charset=utf-8", False),
        (None, False),
    ],
)
def test_json_media_types_are_recognised(content_type: str | None, is_json: bool) -> None:
    assert is_json_media_type(content_type) is is_json


POLICY = BucketPolicy(per_minute=60, burst=3)  # one token a second, three at once


def test_a_new_bucket_allows_a_burst_then_refuses() -> None:
    bucket = None
    outcomes = []
    for _ in range(4):
        decision = take_token(bucket, POLICY, now=100.0)
        bucket = decision.bucket
        outcomes.append(decision.allowed)
    assert outcomes == [True, True, True, False]


def test_a_refusal_says_how_many_whole_seconds_until_the_next_token() -> None:
    empty = TokenBucket(tokens=0.25, updated_at=100.0)
    decision = take_token(empty, POLICY, now=100.0)
    assert not decision.allowed
    assert decision.retry_after_seconds == 1  # 0.75 s rounded up

    slow = BucketPolicy(per_minute=6, burst=1)  # one token every ten seconds
    decision = take_token(TokenBucket(tokens=0.0, updated_at=0.0), slow, now=1.0)
    assert decision.retry_after_seconds == 9


def test_tokens_refill_with_time_up_to_the_burst() -> None:
    empty = TokenBucket(tokens=0.0, updated_at=100.0)
    assert take_token(empty, POLICY, now=101.0).allowed
    later = take_token(empty, POLICY, now=1000.0)
    assert later.bucket.tokens == pytest.approx(POLICY.burst - 1)


def test_a_clock_going_backwards_never_adds_tokens() -> None:
    empty = TokenBucket(tokens=0.0, updated_at=100.0)
    assert not take_token(empty, POLICY, now=50.0).allowed


def test_a_refilled_bucket_is_full_and_can_be_forgotten() -> None:
    bucket = TokenBucket(tokens=0.0, updated_at=0.0)
    assert not is_full(bucket, POLICY, now=1.0)
    assert is_full(bucket, POLICY, now=3.0)


def test_revoked_users_are_forgotten_after_the_longest_token_lifetime() -> None:
    now = [0.0]
    revoked = RevokedUsers(retention_seconds=900, clock=lambda: now[0])
    revoked.add(["u1"])
    now[0] = 899.0
    revoked.add(["u2"])
    assert "u1" in revoked
    now[0] = 901.0
    revoked.add([])
    assert "u1" not in revoked
    assert "u2" in revoked


@pytest.mark.parametrize(
    ("method", "path", "upload"),
    [("POST", "/v1/media", True), ("PATCH", "/v1/media/m1", False), ("POST", "/v1/posts", False)],
)
def test_only_the_media_upload_takes_the_upload_body_limit(
    method: str, path: str, upload: bool
) -> None:
    assert is_upload(method, path) is upload
