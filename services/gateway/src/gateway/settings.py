"""The gateway's settings: where the services live, how tokens are checked, the limits."""

from pathlib import Path
from typing import Annotated, ClassVar

from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from gateway.domain import parse_networks
from shared.services import Backend
from shared.settings import BackingService, ServiceSettings, listed, set_when_deployed

WEB_CLIENT_DIR = Path(__file__).parent / "web"


class GatewaySettings(ServiceSettings):
    service_name: str = "gateway"
    # Neither MongoDB nor RabbitMQ: the services own the data and the events.
    uses: ClassVar[frozenset[BackingService]] = frozenset({"redis"})

    # Where each backend answers: `<backend>_url` for each in shared.services (`backend_urls`).
    users_url: str = Field(default="http://127.0.0.1:8001", json_schema_extra=set_when_deployed())
    """Where the users service answers."""
    posts_url: str = Field(default="http://127.0.0.1:8002", json_schema_extra=set_when_deployed())
    """Where the posts service answers."""
    invitations_url: str = Field(
        default="http://127.0.0.1:8003", json_schema_extra=set_when_deployed()
    )
    """Where the invitations service answers."""
    timeline_url: str = Field(
        default="http://127.0.0.1:8004", json_schema_extra=set_when_deployed()
    )
    """Where the timeline service answers."""
    notifications_url: str = Field(
        default="http://127.0.0.1:8005", json_schema_extra=set_when_deployed()
    )
    """Where the notifications service answers."""
    media_url: str = "http://127.0.0.1:8006"
    """Where the media service answers."""
    federation_url: str = "http://127.0.0.1:8007"
    """Where the federation service answers."""
    federation_domain: str = ""
    """The instance's domain on the fediverse (as the federation service reads it). Set: the
    gateway forwards WebFinger, actors (asked for as ActivityPub JSON), inboxes and
    collections to the federation service. Empty: those paths answer 404."""

    jwks_url: str = ""
    """Where the users service's public keys are fetched; empty means
    `USERS_URL/.well-known/jwks.json`."""
    jwks_refetch_min_seconds: float = Field(default=5.0, ge=0)
    """A token with an unknown key id makes the gateway fetch the JWKS again, at most this
    often."""
    jwt_issuer: str = "copost-users"
    """The `iss` every token must carry (the users service's `JWT_ISSUER`)."""
    jwt_audience: str = "copost"
    """The `aud` every token must carry (the users service's `JWT_AUDIENCE`)."""
    jwt_leeway_seconds: float = Field(default=5.0, ge=0)
    """Clock difference allowed with the users service when checking `exp` and `iat`."""
    max_token_lifetime_seconds: float = Field(default=900.0, gt=0)
    """The longest token lifetime (`exp - iat`) accepted, at least the users service's
    `ACCESS_TOKEN_TTL_SECONDS`. Also how far back the first poll of deleted accounts looks
    and how long a deleted account stays on the revoked list, so no token outlives its
    revocation."""
    jwks_refresh_seconds: float = Field(default=300.0, gt=0)
    """The JWKS is fetched again this often (as well as on an unknown key id)."""
    deleted_users_poll_seconds: float = Field(default=2.0, gt=0)
    """How often the gateway asks the users service for deleted accounts, to revoke their
    tokens (the gateway that served the deletion revokes them at once)."""

    max_body_bytes: int = Field(default=65536, ge=0)
    """Larger request bodies get 413."""
    max_upload_bytes: int = Field(default=100 * 1024 * 1024 + 65536, ge=0)
    """Larger media uploads (`POST /v1/media`) get 413, from their declared length before any
    byte is read; the media service refuses each kind of file beyond its own, smaller limit."""
    user_rate_limit_per_minute: float = Field(default=1200.0, gt=0)
    """Per-user token bucket: requests a minute (beyond: 429 with `Retry-After`)."""
    user_rate_limit_burst: int = Field(default=200, ge=1)
    """Per-user token bucket: the burst allowed."""
    ip_rate_limit_per_minute: float = Field(default=6000.0, gt=0)
    """Per-client-address token bucket: requests a minute."""
    ip_rate_limit_burst: int = Field(default=600, ge=1)
    """Per-client-address token bucket: the burst allowed."""
    login_rate_limit_per_minute: float = Field(default=30.0, gt=0)
    """Sign-ups and sign-ins (each hashes a password) a minute per client address: a much
    smaller allowance."""
    login_rate_limit_burst: int = Field(default=10, ge=1)
    """The burst of sign-ups and sign-ins allowed per client address."""
    export_interval_seconds: float = Field(default=3600.0, gt=0)
    """One export of a person's data (`GET /v1/me/export`) per account in this time, counted
    by every gateway together (beyond: 429 with `Retry-After`)."""
    search_rate_limit_per_minute: float = Field(default=60.0, gt=0)
    """User searches (`GET /v1/users?q=`) a minute per user, beside the per-user limit: a
    smaller allowance, so the directory of handles cannot be walked quickly."""
    search_rate_limit_burst: int = Field(default=20, ge=1)
    """The burst of user searches allowed per user (enough for typing into an autocomplete)."""
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Addresses or CIDR blocks (comma-separated or a JSON list) of the proxies in front of the
    gateway (the ingress): only from them is `X-Forwarded-For` believed (its nearest untrusted
    hop). Empty, the default and `make run`'s: never."""

    country_header: str = ""
    """The header in which a proxy of `TRUSTED_PROXIES` names the client's country (ISO 3166
    alpha-2), e.g. `CF-IPCountry`; believed from those proxies only and passed to the services
    signed, for limited tests by country. Empty (the default): no request has a country."""

    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Allowed CORS origins, comma-separated or a JSON list, e.g.
    `https://a.example,https://b.example`."""
    static_dir: Path | None = WEB_CLIENT_DIR
    """The files served at `/`: the web client shipped with the gateway by default."""
    upstream_timeout_seconds: float = Field(default=10.0, gt=0)
    """Calls to the services give up after this (504)."""
    stream_max_connections: int = Field(default=1000, ge=1)
    """Connections to the notifications service for open streams, a pool apart from ordinary
    requests', so streams never take their connections; a stream beyond it gets 503 with
    `Retry-After`."""
    stream_max_per_account: int = Field(default=10, ge=1)
    """Open streams one account may hold through all the gateways (beyond it: 429)."""
    stream_max_per_address: int = Field(default=50, ge=1)
    """Open streams one client address (IPv6: one /64) may hold through all the gateways
    (beyond it: 429), so accounts made from one place cannot take every slot."""
    stream_max_total: int = Field(default=1000, ge=1)
    """Open streams through all the gateways together (beyond it: 503 with `Retry-After`)."""
    stream_slot_lease_seconds: float = Field(default=60.0, gt=0)
    """A stream slot kept in Redis is renewed by its gateway every third of this; the slots
    of a gateway that died are free again after it."""
    openapi_cache_seconds: float = Field(default=30.0, ge=0)
    """The aggregated OpenAPI document is rebuilt from the services at most this often."""

    @field_validator("cors_origins", "trusted_proxies", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        return listed(value)

    @field_validator("trusted_proxies")
    @classmethod
    def _valid_networks(cls, value: list[str]) -> list[str]:
        parse_networks(value)
        return value

    def backend_urls(self) -> dict[Backend, str]:
        return {backend: str(getattr(self, f"{backend}_url")) for backend in Backend}

    @property
    def effective_jwks_url(self) -> str:
        return self.jwks_url or self.users_url.rstrip("/") + "/.well-known/jwks.json"
