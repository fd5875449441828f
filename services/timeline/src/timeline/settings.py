"""The timeline service's settings, read from environment variables."""

from typing import ClassVar

from pydantic import Field

from shared.settings import BackingService, ServiceSettings, set_when_deployed


class TimelineSettings(ServiceSettings):
    service_name: str = "timeline"
    # Its home feeds are cached in Redis.
    uses: ClassVar[frozenset[BackingService]] = frozenset({"mongodb", "rabbitmq", "redis"})
    users_url: str = Field(default="http://127.0.0.1:8001", json_schema_extra=set_when_deployed())
    """Where the users service answers (who blocks a profile's viewer, at once)."""
    home_timeline_cap: int = Field(default=800, ge=1)
    """Entries a home or profile feed keeps in Redis; a page past them is read from MongoDB."""
    celebrity_follower_threshold: int = Field(default=10_000, ge=0)
    """Authors with more followers than this are not fanned out: their posts are merged into
    home timelines at read time."""
    celebrity_demotion_margin: int = Field(default=1_000, ge=0)
    """A celebrity is demoted only once its followers fall to the threshold minus this margin,
    so a follow toggled at the threshold does not flip its status (and have every follower's
    home feed pulled again)."""
    fan_out_batch_size: int = Field(default=500, ge=1, le=5000)
    """Home feeds per Redis command of a fan-out (one script call each), and authors per
    count when a deleted account's followees are counted again."""
