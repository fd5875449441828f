"""Settings of the federation service, read from environment variables."""

from typing import Literal

from pydantic import Field

from shared.settings import ServiceSettings

KILOBYTE = 1024


class FederationSettings(ServiceSettings):
    service_name: str = "federation"
    federation_domain: str = ""
    """The instance's domain on the fediverse (`copost.example`): handles are
    `@handle@<domain>` and actors `https://<domain>/users/<handle>`. Empty: federation is off
    (WebFinger, actors and inboxes answer 404, nothing is delivered). The gateway reads the
    same variable to forward the federation paths."""
    federation_scheme: Literal["https", "http"] = "https"
    """The scheme of this instance's ActivityPub URLs; `http` only for tests on loopback."""
    inbox_max_bytes: int = Field(default=256 * KILOBYTE, gt=0)
    """The largest activity an inbox reads; a larger one is refused with 413 unread."""
    signature_max_age_seconds: int = Field(default=300, gt=0)
    """How far a signed request's date may be from now, either way (clock skew and replays)."""
    remote_key_cache_seconds: int = Field(default=24 * 3600, gt=0)
    """How long a remote actor's public key is used before it is fetched again (a signature
    that fails with the cached key is checked once against a fresh copy: key rotation)."""
    remote_fetch_timeout_seconds: float = Field(default=10.0, gt=0)
    """Fetching a remote actor gives up after this."""
    remote_fetch_max_bytes: int = Field(default=1024 * KILOBYTE, gt=0)
    """A remote document larger than this is refused."""
    allow_private_addresses: bool = False
    """Whether remote actors may live on loopback or private addresses. Off outside tests: a
    key URL pointing inside the network would make this service fetch from it (SSRF)."""

    @property
    def federating(self) -> bool:
        return bool(self.federation_domain)
