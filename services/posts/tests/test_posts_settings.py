"""The posts service's settings, as read from the environment."""

import pytest

from posts.settings import PostsSettings


def test_one_invitation_ttl_value_configures_posts_and_invitations_alike(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("INVITATION_TTL_SECONDS", "0.5")
    invitations_settings = pytest.importorskip("invitations.settings")

    posts_ttl = PostsSettings().invitation_ttl_seconds
    invitations_ttl = invitations_settings.InvitationsSettings().invitation_ttl_seconds

    assert posts_ttl == invitations_ttl == 0.5


@pytest.mark.parametrize("value", ["0", "-1"])
def test_an_invitation_ttl_must_be_positive(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("INVITATION_TTL_SECONDS", value)
    with pytest.raises(ValueError, match="invitation_ttl_seconds"):
        PostsSettings()
