"""The users service's settings: the shared base plus token signing."""

from pathlib import Path

from pydantic import Field, model_validator

from shared.settings import ServiceSettings, set_when_deployed
from users.availability.rules import FeatureAvailability


class UsersSettings(ServiceSettings):
    service_name: str = "users"
    media_url: str = "http://127.0.0.1:8006"
    """Where the media service answers (profile pictures, `PATCH /v1/me avatar_media_id`)."""
    federation_url: str = "http://127.0.0.1:8007"
    """Where the federation service answers (remote accounts looked up by `user@host`)."""
    jwt_issuer: str = "copost-users"
    """The `iss` of every token issued (the gateway's `JWT_ISSUER` must match)."""
    jwt_audience: str = "copost"
    """The `aud` of every token issued (the gateway's `JWT_AUDIENCE` must match)."""
    access_token_ttl_seconds: int = Field(default=900, ge=30, le=86_400)
    """Access-token lifetime."""
    jwt_private_key_file: Path | None = Field(default=None, json_schema_extra=set_when_deployed())
    """PEM file of the Ed25519 signing key, created (mode 0600) when missing;
    `.data/jwt-ed25519.pem` under `make run`. Unset, the key is ephemeral: every restart
    invalidates the tokens issued before."""
    jwt_next_private_key_file: Path | None = None
    """The next signing key (created when missing), published in the JWKS beside the current
    one; `.data/jwt-ed25519.next.pem` under `make run`. Rotate by moving current to previous
    and next to current: no token is invalidated."""
    jwt_previous_private_key_file: Path | None = None
    """The previous signing key (if the file exists), still published in the JWKS;
    `.data/jwt-ed25519.previous.pem` under `make run`."""

    password_hashing_memory_mib: int = Field(default=80, ge=8)
    """Memory the concurrent argon2id hashes share (20 MiB each by default): size it to the
    container's memory limit minus the service's own ~90 MiB."""
    password_hashing_concurrency: int = Field(default=4, ge=1, le=64)
    """argon2id hashes run at most this many at once; a sign-in finding no free slot is refused
    at once with 503 and `Retry-After`."""
    password_hash_time_cost: int = Field(default=2, ge=1, le=10)
    """argon2id iterations."""
    login_free_failures: int = Field(default=5, ge=1)
    """Wrong passwords an account takes at once from clients it does not know, across all
    addresses; beyond them sign-ins from such clients get 429 (no `Retry-After`, before any
    hashing) until one failure has decayed. A client holding the account's device cookie
    (`copost_device`, set by a successful sign-in) has the same budget of its own."""
    login_failure_decay_seconds: float = Field(default=60.0, gt=0)
    """One counted failure decays every this many seconds: the longest wait an owner meets,
    and the pace of guessing per account once the free failures are spent."""
    refresh_token_ttl_days: int = Field(default=30, ge=1, le=365)
    """How long a session lasts without use: a refresh token's lifetime (each refresh gives
    the next one, good for as long again)."""
    login_device_ttl_days: int = Field(default=365, ge=1, le=3650)
    """How long a device cookie is good for (renewed by each successful sign-in)."""

    coauthoring_availability: FeatureAvailability = FeatureAvailability()
    """Who may create co-authored posts and invite (a limited test), JSON: `percentage` (0 to 100,
    stable per account id, default 100), `allow_ids` (account ids), `countries` (ISO 3166
    alpha-2 codes; empty: any), `starts_at`, `ends_at` (RFC 3339 with a zone). Inside the
    window an account is in when allow-listed, or in the percentage and its request comes
    from one of the countries (as the gateway's `COUNTRY_HEADER` from a trusted proxy says;
    never the account's own `country`). E.g. `{"percentage": 10, "countries": ["US", "JP"],
    "allow_ids": ["4f1c..."], "ends_at":
    "2026-12-31T00:00:00Z"}`. The default admits everyone, always."""
    remix_availability: FeatureAvailability = FeatureAvailability()
    """Who may remix, as `COAUTHORING_AVAILABILITY` says; each feature draws its own
    population."""

    @property
    def password_hash_memory_kib(self) -> int:
        return self.password_hashing_memory_mib * 1024 // self.password_hashing_concurrency

    @model_validator(mode="after")
    def _hashes_get_enough_memory(self) -> "UsersSettings":
        if self.password_hash_memory_kib < 8 * 1024:
            raise ValueError("each concurrent password hash needs at least 8 MiB")
        return self
