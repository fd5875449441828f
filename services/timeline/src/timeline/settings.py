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
    """Entries a home timeline keeps; older ones are trimmed."""
    home_timeline_trim_slack: int = Field(default=50, ge=0)
    """How far past the cap a timeline may grow before it is trimmed, so that a steady stream
    of posts costs one trim per this many posts per follower instead of one per post."""
    celebrity_follower_threshold: int = Field(default=10_000, ge=0)
    """Authors with more followers than this are not fanned out: their posts are merged into
    home timelines at read time."""
    celebrity_demotion_margin: int = Field(default=1_000, ge=0)
    """A celebrity is demoted only once its followers fall to the threshold minus this margin,
    so a follow toggled at the threshold does not flip its status (and copy its posts)."""
    backfill_posts: int = Field(default=50, ge=0, le=800)
    """Recent posts of the followee a new follow copies into the follower's home timeline."""
    fan_out_batch_size: int = Field(default=500, ge=1, le=5000)
    """Documents per bulk write (one command each). 500 suits MongoDB and the default embedded
    server (SecantusDB); with `EMBEDDED_MONGO=mongoeco`, whose cost per document in one command
    grows with the command's size, set 100."""
