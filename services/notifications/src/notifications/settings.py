"""Settings of the notifications service, read from environment variables."""

from pydantic import Field

from shared.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    service_name: str = "notifications"
    # One change feed per replica polls this often for notifications any replica stored
    # for the recipients of its open streams (the embedded MongoDB has no change streams).
    stream_poll_seconds: float = Field(default=0.3, gt=0, le=5)
    # How far back each poll of the change feed looks: covers a write still committing and
    # the clock difference between replicas (the timestamp is the storing replica's).
    stream_feed_lookback_seconds: float = Field(default=5.0, gt=0)
    # Open streams one account may hold on one replica; beyond it, 429 with Retry-After.
    max_streams_per_account: int = Field(default=10, ge=1)
    # Notifications are deleted this long after they were stored (TTL index), and the
    # markers of withdrawn subjects this long after the withdrawal.
    notification_retention_seconds: int = Field(default=90 * 24 * 3600, gt=0)
    withdrawal_marker_retention_seconds: int = Field(default=30 * 24 * 3600, gt=0)
    # A comment line this often keeps proxies and load balancers from closing a quiet stream.
    keepalive_seconds: float = Field(default=15.0, gt=0)
    # How long the stream waits for a missing sequence number (a write still committing)
    # before it gives up on it and moves past.
    stream_gap_grace_seconds: float = Field(default=2.0, ge=0)
    # Tells EventSource clients how long to wait before reconnecting.
    stream_retry_milliseconds: int = Field(default=3000, ge=0)
