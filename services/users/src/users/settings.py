"""The users service's settings: the shared base plus token signing."""

from pathlib import Path

from pydantic import Field, model_validator

from shared.settings import ServiceSettings
from users.availability.rules import FeatureAvailability


class UsersSettings(ServiceSettings):
    service_name: str = "users"
    jwt_issuer: str = "copost-users"
    jwt_audience: str = "copost"
    access_token_ttl_seconds: int = Field(default=900, ge=30, le=86_400)
    # PEM file of the Ed25519 signing key; created (mode 0600) when missing. Without it the
    # key is ephemeral: every restart invalidates the tokens issued before.
    jwt_private_key_file: Path | None = None
    # The next signing key (created when missing) and the previous one (if present): both
    # published in the JWKS beside the current one, so a rotation invalidates no token.
    jwt_next_private_key_file: Path | None = None
    jwt_previous_private_key_file: Path | None = None

    # Sign-ins: argon2id hashes run at most PASSWORD_HASHING_CONCURRENCY at once and share
    # PASSWORD_HASHING_MEMORY_MIB between them (size it to the container's memory limit minus
    # the service's own ~90 MiB); beyond that a sign-in is refused at once with 503.
    password_hashing_memory_mib: int = Field(default=80, ge=8)
    password_hashing_concurrency: int = Field(default=4, ge=1, le=64)
    password_hash_time_cost: int = Field(default=2, ge=1, le=10)
    # After this many wrong passwords in a row on one account, each further attempt waits
    # (429 + Retry-After) twice as long as the one before, from the base up to the maximum.
    login_free_failures: int = Field(default=5, ge=1)
    login_backoff_base_seconds: float = Field(default=1.0, gt=0)
    login_backoff_max_seconds: float = Field(default=900.0, gt=0)

    # Limited tests (JSON, users.availability): who may create co-authored posts and invite,
    # and who may remix. The defaults admit everyone, always.
    coauthoring_availability: FeatureAvailability = FeatureAvailability()
    remix_availability: FeatureAvailability = FeatureAvailability()

    @property
    def password_hash_memory_kib(self) -> int:
        return self.password_hashing_memory_mib * 1024 // self.password_hashing_concurrency

    @model_validator(mode="after")
    def _hashes_get_enough_memory(self) -> "UsersSettings":
        if self.password_hash_memory_kib < 8 * 1024:
            raise ValueError("each concurrent password hash needs at least 8 MiB")
        return self
