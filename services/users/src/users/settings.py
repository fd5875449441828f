"""The users service's settings: the shared base plus token signing."""

from pathlib import Path

from pydantic import Field

from shared.settings import ServiceSettings


class UsersSettings(ServiceSettings):
    service_name: str = "users"
    jwt_issuer: str = "copost-users"
    jwt_audience: str = "copost"
    access_token_ttl_seconds: int = Field(default=900, ge=30, le=86_400)
    # PEM file of the Ed25519 signing key; created (mode 0600) when missing. Without it the
    # key is ephemeral: every restart invalidates the tokens issued before.
    jwt_private_key_file: Path | None = None
