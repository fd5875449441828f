"""Remote accounts' ids and handles: derived from the actor, never colliding with local ones."""

import uuid

import pytest

from shared.remote_accounts import (
    is_remote_user_id,
    remote_domain,
    remote_handle,
    remote_user_id,
    split_remote_handle,
)

ACTOR = "https://social.example/users/ada"


def test_a_remote_user_id_is_derived_from_the_actor_and_shaped_like_a_local_one() -> None:
    user_id = remote_user_id(ACTOR)

    assert user_id == remote_user_id(ACTOR)
    assert user_id != remote_user_id("https://social.example/users/bob")
    assert len(user_id) == len(uuid.uuid4().hex)
    assert int(user_id, 16) >= 0


def test_a_remote_user_id_is_never_a_local_one() -> None:
    assert is_remote_user_id(remote_user_id(ACTOR))
    assert not any(is_remote_user_id(uuid.uuid4().hex) for _ in range(1000))
    assert not is_remote_user_id("u-alice")


@pytest.mark.parametrize(
    ("username", "actor", "handle"),
    [
        ("ada", ACTOR, "ada@social.example"),
        ("Ada", "https://Social.EXAMPLE/@ada", "ada@social.example"),
        ("ada.l-x", "http://127.0.0.1:8443/actor", "ada.l-x@127.0.0.1:8443"),
    ],
)
def test_a_remote_handle_is_the_username_at_the_host_in_lower_case(
    username: str, actor: str, handle: str
) -> None:
    assert remote_handle(username, actor) == handle
    assert split_remote_handle(handle) == tuple(handle.split("@"))


@pytest.mark.parametrize("username", ["", "a b", "ada@x", "<ada>", "x" * 65])
def test_a_username_no_handle_can_hold_is_refused(username: str) -> None:
    with pytest.raises(ValueError, match="not a handle"):
        remote_handle(username, ACTOR)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("@Ada@Social.Example", ("ada", "social.example")),
        ("ada@social.example", ("ada", "social.example")),
        ("ada", None),
        ("@ada@", None),
        ("ada@bad host", None),
    ],
)
def test_a_handle_is_read_in_lower_case_with_or_without_its_leading_at(
    raw: str, expected: tuple[str, str] | None
) -> None:
    assert split_remote_handle(raw) == expected


def test_the_domain_keeps_a_port() -> None:
    assert remote_domain("https://Social.Example:8443/users/ada") == "social.example:8443"
