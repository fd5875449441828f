"""The settings base every service extends: environment variables with local defaults."""

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Settings common to every service; each service subclasses it with its own."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    service_name: str = "service"
    log_level: str = "INFO"
    # Secret because a URL may carry credentials; never logged.
    mongo_url: SecretStr = SecretStr("mongodb://127.0.0.1:27017/?directConnection=true")
    mongo_database: str = ""
    # A MongoDB that stops answering must fail requests, not hang them: connecting, finding a
    # server and waiting for any one reply are each bounded (the last must outlast the
    # slowest legitimate command, e.g. an index build at start-up).
    mongo_connect_timeout_seconds: float = Field(default=5.0, gt=0)
    mongo_server_selection_timeout_seconds: float = Field(default=5.0, gt=0)
    mongo_socket_timeout_seconds: float = Field(default=20.0, gt=0)
    amqp_url: SecretStr = SecretStr("amqp://guest:guest@127.0.0.1:5672/")
    # Prefixes every exchange and queue name; tests use it to isolate their runs.
    amqp_namespace: str = ""
    # The broker user of service S is `<prefix>S`: each publishes as itself, and consumers
    # accept an event only from the broker user of the service that produces its type.
    amqp_user_prefix: str = "copost-"
    amqp_prefetch: int = Field(default=32, ge=1, le=1000)
    # Delay before each retry of a failed event; after the last one it is dead-lettered.
    event_retry_delays_seconds: tuple[float, ...] = (1.0, 5.0, 30.0)
    outbox_sweep_seconds: float = Field(default=5.0, gt=0)
    # Internal HTTP calls between services give up after this long.
    internal_http_timeout_seconds: float = Field(default=5.0, gt=0)
    # This process's Ed25519 key (base64url, raw 32 bytes): it signs the assertions of the
    # calls it makes to services (shared.identity). Empty: an ephemeral key nobody trusts.
    service_private_key: SecretStr = SecretStr("")
    # The callers this service trusts: process name -> base64url Ed25519 public key.
    service_public_keys: dict[str, str] = Field(default_factory=dict)

    @property
    def database_name(self) -> str:
        return self.mongo_database or f"copost_{self.service_name}"
