"""Remote (fediverse) accounts as the rest of CoPost names them: a user id derived from the
actor's URL, and a handle `preferredUsername@host`. Derived, never allocated, so the federation
service can name a remote account in any event without asking the users service first.

The handle is lower case as a whole, like local handles: every lookup by handle here lowers
what it is given, and the servers that allow capitals (Mastodon) match usernames regardless."""

import re
import uuid
from urllib.parse import urlsplit

# Local ids are uuid4 hex (version nibble 4 at index 12); a uuid5 has 5 there: the same shape
# and length as a local id, which every validator accepts, and never equal to one.
_REMOTE_ID_VERSION = 5
_VERSION_INDEX = 12
# What servers put in preferredUsername (Mastodon [A-Za-z0-9_], others also . and -), lowered.
_USERNAME = r"[a-z0-9_][a-z0-9_.-]{0,63}"
_HOST = r"[a-z0-9.-]{1,253}(:[0-9]{1,5})?"
REMOTE_HANDLE_PATTERN = re.compile(rf"(?P<username>{_USERNAME})@(?P<host>{_HOST})")


def remote_user_id(actor_url: str) -> str:
    """The CoPost user id of the remote actor at `actor_url` (deterministic)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, actor_url).hex


def is_remote_user_id(user_id: str) -> bool:
    """Whether `user_id` names a remote account; no lookup needed."""
    return len(user_id) == 32 and user_id[_VERSION_INDEX] == str(_REMOTE_ID_VERSION)


def remote_domain(actor_url: str) -> str:
    """The server an actor lives on, as its handle names it: host[:port], lower case."""
    parts = urlsplit(actor_url)
    host = (parts.hostname or "").lower()
    return f"{host}:{parts.port}" if parts.port else host


def remote_handle(preferred_username: str, actor_url: str) -> str:
    """`preferredUsername@host`, lower case; ValueError for a username no handle can hold."""
    handle = f"{preferred_username}@{remote_domain(actor_url)}".lower()
    if not REMOTE_HANDLE_PATTERN.fullmatch(handle):
        raise ValueError(f"not a handle: {handle!r}")
    return handle


def split_remote_handle(raw: str) -> tuple[str, str] | None:
    """(username, host) of `user@host`, lower case (a leading "@" ignored), or None."""
    found = REMOTE_HANDLE_PATTERN.fullmatch(raw.strip().removeprefix("@").lower())
    return (found["username"], found["host"]) if found else None
