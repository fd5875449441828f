"""Remote (fediverse) accounts as the rest of CoPost names them: a user id derived from the
actor's URL (a post's id from its Note's), and a handle `preferredUsername@host`. Derived,
never allocated, so the federation service can name a remote account (or post) in any event
without asking the users (or posts) service first.

The handle is lower case as a whole, like local handles: every lookup by handle here lowers
what it is given, and the servers that allow capitals (Mastodon) match usernames regardless."""

import re
import uuid
from urllib.parse import urlsplit

from pydantic import BaseModel, Field

from shared.events.federation import RemoteAccountSeen

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


def remote_post_id(note_id: str) -> str:
    """The CoPost post id of a remote Note (deterministic, shaped like a local post id)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, note_id).hex


def is_remote_post_id(post_id: str) -> bool:
    """Whether `post_id` names a remote account's post (`remote_post_id`); no lookup needed."""
    return _is_derived(post_id)


def is_remote_user_id(user_id: str) -> bool:
    """Whether `user_id` names a remote account; no lookup needed."""
    return _is_derived(user_id)


def _is_derived(some_id: str) -> bool:
    return len(some_id) == 32 and some_id[_VERSION_INDEX] == str(_REMOTE_ID_VERSION)


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


# The federation service's internal API: a remote account looked up by its handle (WebFinger,
# then its actor), for the users service to show or follow one it has not seen yet.
LOOKUP_PATH = "/internal/remote-accounts/lookup"


class RemoteAccountLookup(BaseModel):
    handle: str = Field(max_length=320)


class RemoteAccountFound(BaseModel):
    """The account as the federation service announces it; None: there is no such account (or
    it cannot be reached, or federation is off)."""

    account: RemoteAccountSeen | None
    retry_after_seconds: int | None = None
    """Set (with no account): that server was asked too often just now, nothing was asked;
    the lookup may be retried after this many seconds."""
