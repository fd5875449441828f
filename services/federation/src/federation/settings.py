"""Settings of the federation service, read from environment variables."""

from typing import Annotated, ClassVar, Literal

from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from shared.settings import BackingService, ServiceSettings, listed

KILOBYTE = 1024


class FederationSettings(ServiceSettings):
    service_name: str = "federation"
    # The limits per remote host are counted across replicas in Redis (each its own without).
    uses: ClassVar[frozenset[BackingService]] = frozenset({"mongodb", "rabbitmq", "redis"})
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
    federation_test_hosts: dict[str, str] = Field(default_factory=dict)
    """Tests only (empty, off, by default): named hosts reached at a fixed address instead of
    through DNS, as a JSON object (`{"b.copost.test": "127.0.0.1:20400"}`). Only these names
    pass the SSRF check on such an address; TLS is still checked against the name. For two
    instances on one machine without /etc/hosts."""
    remote_ca_file: str = ""
    """A PEM file of the certificate authorities trusted for remote servers instead of the
    system's (a test's own CA). Empty: the usual public roots."""

    authorized_fetch: bool = False
    """Mastodon's secure mode: GETs of actors, Notes, consent stamps and collections must be
    signed by a remote actor (401 otherwise; 403 from a blocked domain). The instance actor
    (`/actor`) and WebFinger stay open, since servers fetch them to check those signatures."""

    federation_blocked_domains: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Domains this instance does not federate with, comma-separated or a JSON list
    (`spam.example,bad.example`); each covers its subdomains. Their activities are refused
    (403) before their keys are fetched, nothing is delivered to them, and their followers
    are not counted. These are the deployment's, changed by a restart; an operator blocks
    more at run time with `python -m federation.domain_blocks.admin block DOMAIN`."""
    domain_blocks_refresh_seconds: float = Field(default=10.0, gt=0)
    """How often each replica reads the operator's domain blocks again: a block or unblock
    takes effect everywhere within this long, without a restart."""
    inbox_rate_limit_per_minute: float = Field(default=600.0, gt=0)
    """Activities a minute one remote host may send to the inboxes (beyond: 429 with
    `Retry-After`, which servers honour by backing off), counted before its key is fetched,
    across replicas in Redis (while Redis is down, by each replica alone). Signed GETs under
    `AUTHORIZED_FETCH` count here too."""
    inbox_rate_limit_burst: int = Field(default=100, ge=1)
    """The burst one remote host may send at once (a post fanned out by a large server)."""
    remote_lookup_rate_limit_per_minute: float = Field(default=60.0, gt=0)
    """Lookups of remote accounts by `user@host` this instance makes of one remote host a
    minute (its WebFinger, then the actor), across replicas; beyond it the lookup finds
    nothing (404), so local users typing handles cannot make this instance flood a server."""
    remote_lookup_rate_limit_burst: int = Field(default=20, ge=1)
    """The lookups of one remote host that may be made at once."""
    delivery_backoff_base_seconds: float = Field(default=60.0, gt=0)
    """How long deliveries to a host wait after its first failure; each further failure in a
    row doubles the wait, up to `DELIVERY_BACKOFF_MAX_SECONDS`."""
    delivery_backoff_max_seconds: float = Field(default=6 * 3600.0, gt=0)
    """The longest wait between two attempts at a failing host."""
    delivery_give_up_seconds: float = Field(default=2 * 24 * 3600.0, gt=0)
    """A host failing for longer than this is parked: its deliveries are kept and counted but
    not attempted until it is heard from again (a signed activity from it) or an operator
    redrives them (`python -m federation.delivery.parked redrive`)."""
    delivery_sweep_seconds: float = Field(default=15.0, gt=0)
    """How often the deliveries waiting for a host's back-off are looked at again."""

    @field_validator("federation_blocked_domains", mode="before")
    @classmethod
    def _split_domains(cls, value: object) -> object:
        return listed(value)

    @field_validator("federation_blocked_domains")
    @classmethod
    def _lower_domains(cls, value: list[str]) -> list[str]:
        return [domain.lower().strip(".") for domain in value]

    @field_validator("federation_test_hosts")
    @classmethod
    def _host_and_port(cls, value: dict[str, str]) -> dict[str, str]:
        for name, address in value.items():
            host, _, port = address.rpartition(":")
            if not (host and port.isdigit()):
                raise ValueError(f"{name}: {address!r} is not host:port")
        return {name.lower(): address for name, address in value.items()}

    @property
    def federating(self) -> bool:
        return bool(self.federation_domain)
