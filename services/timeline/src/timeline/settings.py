"""The timeline service's settings, read from environment variables."""

from pydantic import Field

from shared.settings import ServiceSettings


class TimelineSettings(ServiceSettings):
    service_name: str = "timeline"
    # A home timeline keeps this many newest entries; older ones are trimmed.
    home_timeline_cap: int = Field(default=800, ge=1)
    # Trimming waits until a timeline is this far over the cap, so that a steady stream of
    # posts costs one trim per `slack` posts per follower instead of one per post.
    home_timeline_trim_slack: int = Field(default=50, ge=0)
    # Authors with more followers than this are merged in at read time, not fanned out.
    celebrity_follower_threshold: int = Field(default=10_000, ge=0)
    # A celebrity is demoted only once its followers fall to the threshold minus this margin,
    # so a follow toggled at the threshold does not flip its status (and copy its posts).
    celebrity_demotion_margin: int = Field(default=1_000, ge=0)
    # A new follow copies this many of the followee's most recent posts into the home timeline.
    backfill_posts: int = Field(default=50, ge=0, le=800)
    # Documents per bulk write: one command each. 500 suits MongoDB and the default embedded
    # server (SecantusDB); with EMBEDDED_MONGO=mongoeco, whose cost per document in one
    # command grows with the command's size, set 100.
    fan_out_batch_size: int = Field(default=500, ge=1, le=5000)
