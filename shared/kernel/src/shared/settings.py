"""The settings base every service extends: environment variables with local defaults.

Each field's docstring is its documentation: docs/configuration.md is rendered from them by
docs/configuration.py (a test fails while it is stale).

A setting whose default only works on a developer's machine (a local address, an ephemeral key)
is marked `set_when_deployed`: every deployment must set it for each process that uses it
(`ServiceSettings.deployment_variables`; deploy/tests checks the Kubernetes overlays do).
"""

import json
from typing import Any, ClassVar, Literal

from pydantic import Field, SecretStr
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, SettingsConfigDict

type BackingService = Literal["mongodb", "rabbitmq", "redis"]
DEPLOYED = "set_when_deployed"


def listed(value: object) -> object:
    """A list setting as operators write it: comma-separated or a JSON list."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [item.strip() for item in text.split(",") if item.strip()]
    return value


def set_when_deployed(needs: BackingService | None = None) -> dict[str, Any]:
    """The `json_schema_extra` of a setting every deployment sets: for each process, or only for
    those that use the backing service it names."""
    return {DEPLOYED: needs or "every process"}


class ServiceSettings(BaseSettings):
    """Settings common to every service; each service subclasses it with its own."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True, use_attribute_docstrings=True)

    uses: ClassVar[frozenset[BackingService]] = frozenset({"mongodb", "rabbitmq"})
    """The backing services this process talks to; its settings for the others are never
    read."""

    service_name: str = "service"
    """The service's own name, set by its settings class (its database, broker user and traces
    are named after it); not meant to be changed."""
    log_level: str = "INFO"
    """Level of the JSON log lines written to standard output."""
    mongo_url: SecretStr = Field(
        default=SecretStr("mongodb://127.0.0.1:27017/?directConnection=true"),
        json_schema_extra=set_when_deployed("mongodb"),
    )
    """MongoDB connection string (not used by the gateway); unless it is set, `make run` starts
    an embedded server per service's database and points each service at its own. On real
    MongoDB each service has its own user. Secret: a URL may carry credentials, so it is never
    logged."""
    mongo_database: str = ""
    """The service's database; empty means `copost_<service>`."""
    mongo_connect_timeout_seconds: float = Field(default=5.0, gt=0)
    """A MongoDB that stops answering fails the request instead of hanging it: connecting gives
    up after this."""
    mongo_server_selection_timeout_seconds: float = Field(default=5.0, gt=0)
    """Finding a server to send a command to gives up after this."""
    mongo_socket_timeout_seconds: float = Field(default=20.0, gt=0)
    """Waiting for any one reply gives up after this: long enough for the slowest legitimate
    command, an index build at start-up."""
    amqp_url: SecretStr = Field(
        default=SecretStr("amqp://guest:guest@127.0.0.1:5672/"),
        json_schema_extra=set_when_deployed("rabbitmq"),
    )
    """RabbitMQ (not used by the gateway); the user it names is the one the service publishes
    as: under `make run`, the service's own broker user. Never logged."""
    redis_url: SecretStr = Field(
        default=SecretStr("redis://127.0.0.1:6379/0"), json_schema_extra=set_when_deployed("redis")
    )
    """Redis (used by the timeline and the gateway): the timeline's feed cache and the gateway's
    limits, stream slots and revocations, shared by every replica. Either one server,
    `redis://[:password@]host:port/db`, or a primary found through Sentinel (which follows its
    failovers), `redis+sentinel://[:password@]sentinel1:26379,sentinel2:26379,.../master/db`
    (the password is the primary's). Empty: none (the timeline reads MongoDB only, each gateway
    keeps its own counts). Unless it is set and answers, `make run` starts a local server.
    Never logged (it may carry a password)."""
    redis_key_prefix: str = "copost:"
    """Prefix of every Redis key the services write; tests isolate their runs with it."""
    redis_timeout_seconds: float = Field(default=0.5, gt=0)
    """A Redis that does not answer within this is treated as down for that call: reads fall
    back to MongoDB (timeline) or to the replica's own counts (gateway)."""
    amqp_namespace: str = ""
    """Prefix of every exchange and queue name: each local stack has its own (`make run`:
    `<STACK>.`), and tests isolate their runs with it."""
    amqp_user_prefix: str = "copost-"
    """The broker user of service S is `<prefix>S`: each publishes as itself, and a consumer
    accepts an event only from the broker user of the service that produces its type."""
    amqp_prefetch: int = Field(default=32, ge=1, le=1000)
    """Unacknowledged messages a consumer holds at once."""
    event_retry_delays_seconds: tuple[float, ...] = (1.0, 5.0, 30.0)
    """Delay before each retry of a failed event (JSON list); after the last one, the event is
    parked in the service's dead-letter queue."""
    event_database_outage_seconds: float = Field(default=120.0, ge=0)
    """How long a consumer holds an event whose handling fails because MongoDB does not answer,
    trying it again (after 0.5 s, doubling up to every 5 s), before that counts as a failed
    attempt: a database restart does not use up the event's retries. Other errors count at once."""
    outbox_sweep_seconds: float = Field(default=5.0, gt=0)
    """How often the outbox relay sweeps for events not yet published (it also wakes right
    after each write)."""
    shutdown_grace_seconds: float = 10.0
    """Seconds a process takes at most to stop after SIGTERM: in-flight requests finish or are cut at this deadline, consumers stop taking messages, the outbox relay stops; the Kubernetes grace period is set above it."""  # noqa: E501
    internal_http_timeout_seconds: float = Field(default=5.0, gt=0)
    """Calls between services give up after this."""
    service_private_key: SecretStr = Field(
        default=SecretStr(""), json_schema_extra=set_when_deployed()
    )
    """This process's Ed25519 key (base64url, raw 32 bytes), signing the assertions of the calls
    it makes to services (`shared.identity`; used by the gateway, posts and invitations). Empty:
    an ephemeral key nobody trusts. `make run` makes one per process at each start."""
    service_public_keys: dict[str, str] = Field(
        default_factory=dict, json_schema_extra=set_when_deployed()
    )
    """JSON `{"gateway": key, "posts": key, ...}`: the callers whose assertions this service
    verifies (base64url Ed25519 public keys). Empty: every call is refused."""

    @classmethod
    def deployment_variables(cls) -> frozenset[str]:
        """The variables a deployment must set for this process (`set_when_deployed`)."""
        return frozenset(
            name.upper()
            for name, field in cls.model_fields.items()
            if (needs := deployed_for(field)) == "every process" or needs in cls.uses
        )

    @property
    def database_name(self) -> str:
        return self.mongo_database or f"copost_{self.service_name}"


def deployed_for(field: FieldInfo) -> str | None:
    """Whom a setting must be set for in a deployment (`set_when_deployed`), or None."""
    extra = field.json_schema_extra
    return str(extra[DEPLOYED]) if isinstance(extra, dict) and DEPLOYED in extra else None
