"""The posts service's settings, read from environment variables."""

from pydantic import Field

from shared.settings import ServiceSettings, set_when_deployed


class PostsSettings(ServiceSettings):
    service_name: str = "posts"
    users_url: str = Field(default="http://127.0.0.1:8001", json_schema_extra=set_when_deployed())
    """Where the users service answers (eligibility, remix consent, features)."""
    media_url: str = "http://127.0.0.1:8006"
    """Where the media service answers (attaching uploads to new posts)."""
    max_coauthors: int = Field(default=5, ge=0, le=50)
    """Co-authors per post."""
    max_text_length: int = Field(default=500, ge=1)
    """Characters in a post."""
    invites_per_hour: int = Field(default=50, ge=1)
    """Invitations one user may send per hour (spam is this feature's known abuse)."""
    max_invitations_per_post: int = Field(default=50, ge=1)
    """Accounts ever invited to one post (co-authors now and before): bounds its document;
    beyond it, 422."""
    invitation_ttl_seconds: float = Field(default=14 * 24 * 3600, gt=0)
    """An unanswered invitation expires after this: the same variable and type as the
    invitations service's, so both compute one `expires_at`."""
    edit_window_seconds: float = Field(default=7 * 24 * 3600, gt=0)
    """A post may be edited for this long after its publication."""
    max_edits_per_post: int = Field(default=10, ge=0, le=100)
    """Applied edits per post (each keeps a version in its history: bounds its document)."""
    edit_approval_seconds: float = Field(default=72 * 3600, gt=0)
    """A proposed edit of a co-authored post expires unless every other credited author
    approves it within this."""
    edit_expiry_sweep_seconds: float = Field(default=30, gt=0)
    """How often proposals past their time are marked expired (answers refuse them at once)."""
