"""The gateway's settings: where the services live, how tokens are checked, the limits."""

import json
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from gateway.domain import parse_networks
from shared.services import Backend
from shared.settings import ServiceSettings

WEB_CLIENT_DIR = Path(__file__).parent / "web"


class GatewaySettings(ServiceSettings):
    service_name: str = "gateway"

    # Where each backend answers: `<backend>_url` for each in shared.services (`backend_urls`).
    users_url: str = "http://127.0.0.1:8001"
    posts_url: str = "http://127.0.0.1:8002"
    invitations_url: str = "http://127.0.0.1:8003"
    timeline_url: str = "http://127.0.0.1:8004"
    notifications_url: str = "http://127.0.0.1:8005"

    # Empty means users_url + "/.well-known/jwks.json".
    jwks_url: str = ""
    # An unknown key id triggers a refetch of the JWKS, but not more often than this.
    jwks_refetch_min_seconds: float = Field(default=5.0, ge=0)
    jwt_issuer: str = "copost-users"
    jwt_audience: str = "copost"
    # Allowed clock difference with the users service when checking exp and iat.
    jwt_leeway_seconds: float = Field(default=5.0, ge=0)
    # The longest token lifetime (exp - iat) accepted: at least the users service's
    # ACCESS_TOKEN_TTL_SECONDS. Also how far back the first poll of deleted accounts looks and
    # how long a deleted account stays on the revoked list, so no token outlives its revocation.
    max_token_lifetime_seconds: float = Field(default=900.0, gt=0)
    # The JWKS is fetched again this often (and on an unknown key id, see above).
    jwks_refresh_seconds: float = Field(default=300.0, gt=0)
    deleted_users_poll_seconds: float = Field(default=2.0, gt=0)

    max_body_bytes: int = Field(default=65536, ge=0)
    user_rate_limit_per_minute: float = Field(default=1200.0, gt=0)
    user_rate_limit_burst: int = Field(default=200, ge=1)
    ip_rate_limit_per_minute: float = Field(default=6000.0, gt=0)
    ip_rate_limit_burst: int = Field(default=600, ge=1)

    # Sign-up and sign-in (password hashing) per client address: a much smaller allowance.
    login_rate_limit_per_minute: float = Field(default=30.0, gt=0)
    login_rate_limit_burst: int = Field(default=10, ge=1)
    # Addresses or CIDR blocks of the proxies in front of the gateway (the ingress): only
    # from them is X-Forwarded-For believed. Empty (the default, and `make run`): never.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)

    # JSON list or comma-separated origins, e.g. CORS_ORIGINS=https://a.example,https://b.example
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # The web client's files, served at "/"; the client shipped with the gateway by default.
    static_dir: Path | None = WEB_CLIENT_DIR
    upstream_timeout_seconds: float = Field(default=10.0, gt=0)
    # Notification streams have their own connections to the notifications service, at most
    # this many: open streams can never take the connections ordinary requests need.
    stream_max_connections: int = Field(default=1000, ge=1)
    # The aggregated OpenAPI document is rebuilt from the services at most this often.
    openapi_cache_seconds: float = Field(default=30.0, ge=0)

    @field_validator("cors_origins", "trusted_proxies", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [origin.strip() for origin in text.split(",") if origin.strip()]
        return value

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
