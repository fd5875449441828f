"""Settings of the notifications service, read from environment variables."""

from typing import ClassVar

from pydantic import Field

from shared.settings import BackingService, ServiceSettings


class NotificationsSettings(ServiceSettings):
    service_name: str = "notifications"
    # Posts new in home timelines reach the live streams through Redis (none without it).
    uses: ClassVar[frozenset[BackingService]] = frozenset({"mongodb", "rabbitmq", "redis"})
    stream_poll_seconds: float = Field(default=0.3, gt=0, le=5)
    """How often each replica's change feed looks for notifications any replica stored for the
    recipients of its open streams: one query per replica, not per stream (mongoeco has no
    change streams)."""
    stream_feed_lookback_seconds: float = Field(default=5.0, gt=0)
    """How far back each poll of the change feed looks: covers a write still committing and the
    clock difference between replicas (the timestamp is the storing replica's)."""
    max_streams_per_account: int = Field(default=10, ge=1)
    """Open streams one account may hold on one replica; beyond it, 429 with `Retry-After`."""
    notification_retention_seconds: int = Field(default=90 * 24 * 3600, gt=0)
    """Notifications are deleted this long after they were stored (a TTL index)."""
    withdrawal_marker_retention_seconds: int = Field(default=30 * 24 * 3600, gt=0)
    """Markers of withdrawn posts, invitations and accounts are deleted this long after the
    withdrawal (a TTL index)."""
    keepalive_seconds: float = Field(default=15.0, gt=0)
    """A comment line this often keeps proxies and load balancers from closing a quiet
    stream."""
    stream_gap_grace_seconds: float = Field(default=2.0, ge=0)
    """How long a stream waits for a missing sequence number (a write still committing) before
    it moves past it."""
    stream_retry_milliseconds: int = Field(default=3000, ge=0)
    """The reconnection delay the stream suggests to EventSource clients."""
