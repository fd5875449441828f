"""Settings of the invitations service, read from environment variables."""

from pydantic import Field

from shared.settings import ServiceSettings, set_when_deployed

FOURTEEN_DAYS_SECONDS = 14 * 24 * 60 * 60


class InvitationsSettings(ServiceSettings):
    service_name: str = "invitations"
    users_url: str = Field(default="http://127.0.0.1:8001", json_schema_extra=set_when_deployed())
    """Where the users service answers (eligibility, asked again when accepting)."""
    media_url: str = "http://127.0.0.1:8006"
    """Where the media service answers (a post's media shown on its invitations)."""
    invitation_ttl_seconds: float = Field(default=FOURTEEN_DAYS_SECONDS, gt=0)
    """How long an invitation waits for an answer before it expires (the posts service's
    `INVITATION_TTL_SECONDS`)."""
    expiry_sweep_seconds: float = Field(default=30.0, gt=0)
    """How often the expiry scheduler looks for invitations past their expiry."""
    expiry_batch_size: int = Field(default=100, ge=1, le=1000)
    """Invitations expired per step of a sweep."""
