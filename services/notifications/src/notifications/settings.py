"""Settings of the notifications service, read from environment variables."""

from pydantic import Field

from shared.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    service_name: str = "notifications"
    # The stream polls the database so it sees what any replica stored (no change streams).
    stream_poll_seconds: float = Field(default=0.3, gt=0, le=5)
    # A comment line this often keeps proxies and load balancers from closing a quiet stream.
    keepalive_seconds: float = Field(default=15.0, gt=0)
    # How long the stream waits for a missing sequence number (a write still committing)
    # before it gives up on it and moves past.
    stream_gap_grace_seconds: float = Field(default=2.0, ge=0)
    # Tells EventSource clients how long to wait before reconnecting.
    stream_retry_milliseconds: int = Field(default=3000, ge=0)
