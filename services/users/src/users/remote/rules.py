"""What a remote actor's profile becomes here, free of I/O: its display name within this
instance's rules and its picture as an Avatar."""

from shared.events.federation import RemoteAccountSeen
from shared.public_user import Avatar
from users.accounts.rules import DISPLAY_NAME_MAX_LENGTH, normalize_display_name


def remote_display_name(seen: RemoteAccountSeen) -> str:
    """The actor's name cut to the length allowed here; its username where the name shows
    nothing or is not a name this instance accepts (the handle, as a last resort)."""
    username = seen.handle.rpartition("@")[0]
    for candidate in (seen.display_name, username, seen.handle):
        try:
            return normalize_display_name(candidate[:DISPLAY_NAME_MAX_LENGTH])
        except ValueError:
            continue
    return seen.handle


def remote_avatar(seen: RemoteAccountSeen) -> Avatar | None:
    """The actor's own picture, at its own URL, for both sizes (it is not copied here)."""
    return Avatar(small=seen.avatar_url, large=seen.avatar_url) if seen.avatar_url else None
