"""Where this instance's ActivityPub objects live: one place builds (and reads back) every URL."""

from dataclasses import dataclass

from federation.settings import FederationSettings

SHARED_INBOX_PATH = "/inbox"
POSTS_PATH = "/posts/"
USERS_PATH = "/users/"
INSTANCE_ACTOR_PATH = "/actor"


@dataclass(frozen=True, slots=True)
class LocalUrls:
    """The URLs of this instance, `scheme://domain` plus the paths API.md lists."""

    scheme: str
    domain: str

    @classmethod
    def from_settings(cls, settings: FederationSettings) -> "LocalUrls":
        return cls(settings.federation_scheme, settings.federation_domain)

    @property
    def base(self) -> str:
        return f"{self.scheme}://{self.domain}"

    @property
    def shared_inbox(self) -> str:
        return self.base + SHARED_INBOX_PATH

    @property
    def instance_actor(self) -> str:
        """The instance's own actor (Mastodon's and GoToSocial's convention), which signs its
        fetches."""
        return self.base + INSTANCE_ACTOR_PATH

    @property
    def instance_key_id(self) -> str:
        return self.instance_actor + "#main-key"

    def actor(self, handle: str) -> str:
        return f"{self.base}{USERS_PATH}{handle}"

    def inbox(self, handle: str) -> str:
        return self.actor(handle) + "/inbox"

    def outbox(self, handle: str) -> str:
        return self.actor(handle) + "/outbox"

    def followers(self, handle: str) -> str:
        return self.actor(handle) + "/followers"

    def following(self, handle: str) -> str:
        return self.actor(handle) + "/following"

    def post(self, post_id: str) -> str:
        return f"{self.base}{POSTS_PATH}{post_id}"

    def coauthorization(self, handle: str, post_id: str) -> str:
        """Where a co-author's consent to be credited on a post is served (their stamp)."""
        return f"{self.actor(handle)}/coauthorizations/{post_id}"

    def quote_authorization(self, handle: str, remix_id: str) -> str:
        """Where the original's author serves their consent to a remix of it (FEP-044f)."""
        return f"{self.actor(handle)}/quote_authorizations/{remix_id}"

    def key_id(self, handle: str) -> str:
        return self.actor(handle) + "#main-key"

    def handle_of(self, actor_url: str) -> str | None:
        """The handle of one of this instance's actor URLs, or None for any other URL."""
        prefix = self.base + USERS_PATH
        if not actor_url.startswith(prefix):
            return None
        handle = actor_url.removeprefix(prefix)
        return handle if handle and "/" not in handle and "#" not in handle else None

    def post_id_of(self, url: str) -> str | None:
        """The id of one of this instance's post URLs, or None for any other URL."""
        post_id = url.removeprefix(self.base + POSTS_PATH)
        if post_id == url or not post_id or any(char in post_id for char in "/#?"):
            return None
        return post_id
